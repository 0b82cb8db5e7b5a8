//! `jobs log ID [STEP TASK]`: print the log of every attempt of a job's tasks.

use super::found;
use crate::cli::JobLogArgs;
use crate::exit;
use crate::store::jobs::{self, TaskRow};
use crate::store::Mode;
use crate::Ctx;
use anyhow::Result;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Prints each selected task's logs, one per attempt, each under a `== job 1 step 1 task 2
/// (w7), try 1 ==` line. Tasks without a log yet and missing files are reported on stderr;
/// a missing file makes the exit code 1 once everything else is printed.
pub fn log(ctx: &Ctx, args: &JobLogArgs, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.open(Mode::Read)?;
    let detail = found(jobs::load(store.conn(), args.id)?, args.id)?;
    let tasks: Vec<&TaskRow> = detail
        .steps
        .iter()
        .flat_map(|s| &s.tasks)
        .filter(|t| args.step.is_none_or(|s| t.step == s))
        .filter(|t| args.task.is_none_or(|n| t.no == n))
        .collect();
    if tasks.is_empty() {
        let what = match (args.step, args.task) {
            (Some(step), Some(task)) => format!("job {} has no step {step} task {task}", args.id),
            (Some(step), None) => format!("job {} has no step {step}", args.id),
            _ => format!("job {} has no task", args.id),
        };
        return Err(exit::bad_input(what).into());
    }
    let base = store.path().parent().unwrap_or(Path::new("."));
    let mut missing = false;
    for task in tasks {
        let name = format!(
            "job {} step {} task {} ({})",
            task.job, task.step, task.no, task.vm
        );
        let Some(log) = &task.log else {
            ctx.out.say(format_args!("{name} has no log yet"));
            continue;
        };
        for (attempt, path) in attempts(&base.join(log), task) {
            match std::fs::read(&path) {
                Ok(text) => {
                    writeln!(out, "== {name}, try {attempt} ==")?;
                    out.write_all(&text)?;
                    if !text.is_empty() && !text.ends_with(b"\n") {
                        writeln!(out)?;
                    }
                }
                Err(e) => {
                    ctx.out.warn(format_args!(
                        "{name}, try {attempt}: cannot read `{}`: {e}",
                        path.display()
                    ));
                    missing = true;
                }
            }
        }
    }
    Ok(if missing { exit::FAILED } else { exit::OK })
}

/// The log of every attempt up to the recorded latest one, `<task>.<try>.log` in the same
/// folder (docs/interfaces.md, "Tasks as they run"). A log named otherwise is the only one.
fn attempts(latest: &Path, task: &TaskRow) -> Vec<(u32, PathBuf)> {
    let name = latest.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let prefix = format!("{}.", task.no);
    let last: Option<u32> = name
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(".log"))
        .and_then(|n| n.parse().ok());
    match last {
        Some(last) => (1..=last)
            .map(|n| (n, latest.with_file_name(format!("{}.{n}.log", task.no))))
            .collect(),
        None => vec![(task.tries.saturating_add(1), latest.to_path_buf())],
    }
}
