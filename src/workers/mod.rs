//! Worker processes: each carries out one recorded operation (revert, poweroff, monitor,
//! task) once the pass that started it has committed, and updates the database in short
//! transactions, leaving a VM alone when it is no longer theirs (an admin changed it).

mod monitor;
mod poweroff;
pub mod process;
mod revert;
mod task;
pub mod wait;

use crate::hypervisor::{self, HvError, Libvirt};
use crate::model::VmStatus;
use crate::store::operations::{self, transition, Errors, Operation};
use crate::store::vms::{self, VmRow};
use crate::store::{settings, Mode, Store};
use crate::Ctx;
use anyhow::{Context, Result};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The worker log beside the database (workers have no terminal).
pub fn log_path(db: &Path) -> Result<PathBuf> {
    let dir = data_dir(db).join("logs");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    Ok(dir.join("workers.log"))
}

/// The folder of the database, where task logs live.
pub fn data_dir(db: &Path) -> PathBuf {
    db.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// `vmsched worker OP`: waits for the pass's release, checks that the operation names this
/// process, and carries it out.
pub fn run(ctx: &Ctx, id: i64) -> Result<()> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    if line.trim() != "go" {
        return Ok(()); // the pass died before committing: nothing was recorded for us
    }
    let mut store = ctx.open(Mode::Existing)?;
    let me = process::Proc::current()?;
    let Some(op) = operations::get(store.conn(), id)? else {
        return Ok(());
    };
    if op.ended.is_some() || op.process != Some(me) {
        return Ok(());
    }
    let result = match op.kind.as_str() {
        "revert" => revert::run(ctx, &mut store, &op),
        "poweroff" => poweroff::run(ctx, &mut store, &op),
        "monitor" => monitor::run(ctx, &mut store, &op),
        "task" => task::run(&mut store, &op),
        other => Err(anyhow::anyhow!("unknown operation kind `{other}`")),
    };
    if let Err(err) = &result {
        eprintln!(
            "{} worker {} ({} {}): {err:#}",
            crate::store::now(),
            op.id,
            op.kind,
            op.vm
        );
    }
    result
}

/// The VM of an operation and a connection to its host: `--timeout` bounds connecting and
/// reads, the revert timeout reverts and power-offs.
fn connect(ctx: &Ctx, store: &Store, op: &Operation) -> Result<(VmRow, Result<Libvirt, HvError>)> {
    let vm = vms::get(store.conn(), &op.vm)?.context("the VM was removed")?;
    let slow = Duration::from_secs(u64::from(settings::load(store.conn())?.revert_timeout));
    let hv = hypervisor::connect(&vm.uri, ctx.timeout, slow);
    Ok((vm, hv))
}

/// Moves the VM on (while it is still the operation's) and ends the operation, in the same
/// words.
fn finish(
    store: &mut Store,
    op: &Operation,
    step: (VmStatus, VmStatus),
    errors: Errors,
    detail: &str,
) -> Result<()> {
    store.write(|tx| transition(tx, op, step, errors, detail, Some(detail)).map(drop))
}
