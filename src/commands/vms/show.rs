//! `vms show NAME`: one VM in full (inventory fields, readiness command, last error, last
//! monitor check, live operation and its deadline) with what the next pass would do with it
//! and why each of its queued tasks waits, all read in one transaction.

use super::{vm_json, VmJson};
use crate::cli::Format;
use crate::commands::waits;
use crate::output;
use crate::output::shell_line;
use crate::scheduler::TaskWait;
use crate::store::vms::{self, VmRow};
use crate::store::{stored, Mode};
use crate::Ctx;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// `vms show --format json` (a contract: docs/interfaces.md): a `vms list` element and more.
#[derive(Serialize)]
struct ShowJson<'a> {
    #[serde(flatten)]
    vm: VmJson<'a>,
    ready_cmd: Option<&'a [String]>,
    last_error: Option<LastError>,
    last_monitor: Option<String>,
    /// Why the VM waits, or the action the next pass takes on it (`None`: neither).
    plan: Option<String>,
    waiting: Vec<TaskWait>,
}

#[derive(Serialize)]
struct LastError {
    #[serde(serialize_with = "crate::store::serialize_time")]
    time: chrono::DateTime<chrono::Utc>,
    detail: String,
}

pub(super) fn show(ctx: &Ctx, name: &str, out: &mut dyn Write) -> Result<()> {
    let store = ctx.open(Mode::Read)?;
    let (vm, failure, waits) = store.read(|tx| {
        let vm = vms::require(tx, name)?;
        Ok((vm, vms::last_failure(tx, name)?, waits::read(tx)?))
    })?;
    let plan = waits.plan.said().remove(vm.name.as_str());
    let waiting: Vec<TaskWait> = waits
        .tasks
        .into_iter()
        .filter(|w| w.vm == vm.name)
        .collect();
    let shown = ShowJson {
        vm: vm_json(&vm),
        ready_cmd: vm.ready_cmd.as_deref(),
        last_error: failure.map(|(time, detail)| LastError { time, detail }),
        last_monitor: vm.last_check.map(stored),
        plan,
        waiting,
    };
    if ctx.out.format == Format::Json {
        return output::json(out, &shown);
    }
    for (key, value) in lines(&vm, &shown) {
        let line = format!("{:<14}{value}", format!("{key}:"));
        writeln!(out, "{}", line.trim_end())?;
    }
    waits::print(out, &shown.waiting.iter().collect::<Vec<_>>())
}

/// The `Key: value` lines of the table format.
fn lines(vm: &VmRow, shown: &ShowJson) -> Vec<(&'static str, String)> {
    let or_dash = |v: Option<&str>| v.unwrap_or("-").to_string();
    let operation = vm.live.as_ref().map_or("-".to_string(), |op| {
        let pid = op.pid.map_or(String::new(), |pid| format!(" (pid {pid})"));
        let deadline = output::local(Some(op.deadline.wall));
        format!("{}{pid}, deadline {deadline}", op.kind)
    });
    let last_error = shown.last_error.as_ref().map_or("-".to_string(), |e| {
        format!("{} {}", output::local(Some(e.time)), e.detail)
    });
    vec![
        ("Name", vm.name.clone()),
        ("Status", vm.status.to_string()),
        ("Role", vm.role.to_string()),
        ("Kind", vm.kind.clone()),
        ("Host", vm.host()),
        ("URI", vm.uri.clone()),
        ("Domain", vm.domain.clone()),
        ("Snapshot", vm.snapshot.clone()),
        ("Hostname", or_dash(vm.hostname.as_deref())),
        ("Description", or_dash(vm.description.as_deref())),
        (
            "Ready cmd",
            vm.ready_cmd.as_deref().map_or("-".to_string(), shell_line),
        ),
        ("Errors", vm.errors.to_string()),
        ("Last error", last_error),
        ("Last monitor", output::local(vm.last_check)),
        ("Operation", operation),
        ("Plan", or_dash(shown.plan.as_deref())),
    ]
}
