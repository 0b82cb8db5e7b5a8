//! Worker processes: each carries out one recorded operation (revert, poweroff, monitor,
//! task) once the pass that started it has recorded it, and updates the database in short
//! transactions, leaving a VM alone when it is no longer theirs (an admin changed it). A
//! worker's writes wait out a busy database until its deadline, so a result it has is never
//! lost; its end asks for a pass.
//!
//! Every worker is forked by the launcher `vmsched-worker --launch` (`launch`,
//! src/bin/vmsched-worker.rs), a program without libvirt: a pass starts hundreds of them
//! cheaply, and a task's long-lived worker never loads libvirt's libraries. Once released, a
//! revert, power-off or monitor worker replaces itself (`exec`, same pid and start time) with
//! `vmsched worker OP`, which has libvirt.

pub mod launch;
pub(crate) mod logs;
mod monitor;
mod poweroff;

mod revert;
mod slot;
mod task;
#[cfg(test)]
mod tests;
pub(crate) use task::TASK_PATH;
pub use task::VARIABLES as TASK_VARIABLES;
pub(crate) mod wait;

use crate::hypervisor::{self, HvError, Libvirt};
use crate::model::{OpKind, VmStatus};
use crate::process::Proc;
use crate::store::history::Event;
use crate::store::operations::{self, transition, Operation};
use crate::store::vms::{self, Errors, VmRow};
use crate::store::{settings, Mode, Store, Transaction};
use crate::Ctx;
use anyhow::{Context, Result};
use slot::Slot;
use std::fs::File;
use std::io::BufRead;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The folder of the worker log and the task logs, beside the database.
pub(crate) fn logs_dir(db: &Path) -> PathBuf {
    data_dir(db).join("logs")
}

/// The worker log's name in `logs_dir`.
pub(crate) const WORKERS_LOG: &str = "workers.log";

/// Sends this process's stderr to the worker log: for a detached pass, which has no terminal.
pub(crate) fn log_stderr(db: &Path) -> Result<()> {
    let log = open_log(db)?;
    nix::unistd::dup2_stderr(&log).context("cannot send messages to the worker log")?;
    Ok(())
}

/// Opens the worker log beside the database, `logs/workers.log`, for appending (workers have
/// no terminal: their stderr goes there).
pub(crate) fn open_log(db: &Path) -> Result<File> {
    crate::logs::open(db, Path::new("logs/workers.log"), true).context("cannot open the worker log")
}

/// A program of vmsched's installed beside the running one.
pub(crate) fn exe(name: &str) -> Result<PathBuf> {
    let me = std::env::current_exe().context("cannot find the vmsched executable")?;
    Ok(me.with_file_name(name))
}

/// The folder of the database, where task logs live.
pub(crate) fn data_dir(db: &Path) -> PathBuf {
    db.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A worker forked by the launcher (`launch`): waits for the pass's release on `gate` and
/// carries out a task itself; for any other operation it becomes `vmsched worker OP`.
fn run(db: &Path, timeout: Duration, id: i64, gate: File) -> Result<()> {
    let Some((store, op, slot)) = claim(db, id, gate)? else {
        return Ok(());
    };
    if op.kind == OpKind::Task {
        return match task::start(store, &op, timeout, slot) {
            Ok(mut store) => finished(&mut store, &op, Ok(())),
            Err(err) => finished(&mut Store::open(db, Mode::Existing)?, &op, Err(err)),
        };
    }
    drop(store);
    // `exec` lets go of the start slot: the released worker's libvirt calls may be slow.
    let err = Command::new(exe("vmsched")?)
        .arg("--db")
        .arg(db)
        .args(["--no-progress", "--timeout", &timeout.as_secs().to_string()])
        .args(["worker", &id.to_string()])
        .exec();
    eprintln!(
        "{} worker {id}: cannot run `vmsched worker`: {err}",
        crate::store::now()
    );
    Err(err.into())
}

/// `vmsched-worker --wait --db DB OP PID DEADLINE`: what a task worker becomes once its
/// command runs (`task::start`): waits for it, records its result, asks for a pass.
pub fn run_waiting(db: &Path, id: i64, pid: i32, deadline: i64) -> Result<()> {
    let result = task::wait_and_finish(db, id, pid, deadline);
    let mut store = Store::open(db, Mode::Existing)?;
    let op = operations::get(store.conn(), id)?.context("the operation was removed")?;
    finished(&mut store, &op, result)
}

/// `vmsched worker OP`: a released worker, now with libvirt, carries out a revert, power-off
/// or monitor. It acts only when the operation still names this process (the same pid and
/// start time as `vmsched-worker`'s, which it replaced).
pub(crate) fn run_released(ctx: &Ctx, id: i64) -> Result<()> {
    let mut store = Store::open(&ctx.db, Mode::Existing)?;
    let Some(op) = operations::get(store.conn(), id)? else {
        return Ok(());
    };
    if op.ended.is_some() || op.process != Some(Proc::current()?) {
        return Ok(());
    }
    let result = match op.kind {
        OpKind::Revert => revert::run(ctx, &mut store, &op),
        OpKind::Poweroff => poweroff::run(ctx, &mut store, &op),
        OpKind::Monitor => monitor::run(ctx, &mut store, &op),
        other @ OpKind::Task => Err(anyhow::anyhow!(
            "`{other}` is not an operation of `vmsched worker`"
        )),
    };
    finished(&mut store, &op, result)
}

/// `vmsched worker --check OP`: prints `ok` when the operation's domain runs its VM's
/// snapshot, else `mismatch ` and what libvirt shows; a libvirt error is exit 1. The task
/// worker runs it right before a task's command, as a short-lived process, so the task's own
/// long-lived worker never loads libvirt.
pub(crate) fn check(ctx: &Ctx, id: i64, out: &mut dyn std::io::Write) -> Result<()> {
    let store = Store::open(&ctx.db, Mode::Existing)?;
    let op = operations::get(store.conn(), id)?.context("no such operation")?;
    let (vm, hv) = connect(ctx, &store, &op)?;
    match hypervisor::mismatch(&hv?, &vm.domain, &vm.snapshot)? {
        None => writeln!(out, "ok")?,
        Some(shows) => writeln!(out, "mismatch {shows}")?,
    }
    Ok(())
}

/// Waits for the pass's release on `gate` and for a start slot, and checks that the operation
/// names this process and has not ended; `None` when the worker must not act.
fn claim(db: &Path, id: i64, gate: File) -> Result<Option<(Store, Operation, Option<Slot>)>> {
    let mut line = String::new();
    std::io::BufReader::new(gate).read_line(&mut line)?;
    if line.trim() != "go" {
        return Ok(None); // the pass died before releasing us: nothing may be ours
    }
    let slot = slot::take(db, id);
    let store = Store::open(db, Mode::Existing)?;
    let me = Proc::current()?;
    let Some(op) = operations::get(store.conn(), id)? else {
        return Ok(None);
    };
    if op.ended.is_some() || op.process != Some(me) {
        return Ok(None);
    }
    Ok(Some((store, op, slot)))
}

/// Logs a failed operation and asks for a pass: the VM's change may let work proceed.
fn finished(store: &mut Store, op: &Operation, result: Result<()>) -> Result<()> {
    if let Err(err) = &result {
        eprintln!(
            "{} worker {} ({} {}): {err:#}",
            crate::store::now(),
            op.id,
            op.kind,
            op.vm
        );
    }
    crate::pass::request::ask(store);
    result
}

/// Writes in one transaction, trying again while the database is busy until the operation's
/// deadline (at least a minute from now): past it, a pass judges the worker stuck anyway.
fn write<T>(
    store: &mut Store,
    op: &Operation,
    f: impl FnMut(&Transaction) -> Result<T>,
) -> Result<T> {
    let left = op.deadline.left().max(Duration::from_secs(60));
    store.write_until(Instant::now() + left, f)
}

/// The VM of an operation and a connection to its host: `--timeout` bounds connecting and
/// reads, the revert timeout reverts and power-offs.
fn connect(ctx: &Ctx, store: &Store, op: &Operation) -> Result<(VmRow, Result<Libvirt, HvError>)> {
    let vm = vms::get(store.conn(), &op.vm)?.context("the VM was removed")?;
    let settings = settings::load(store.conn())?;
    let op_timeout = Duration::from_secs(u64::from(settings.revert_timeout));
    let hv = hypervisor::allowed(&vm.uri, settings.allow_ext_uris != 0)
        .and_then(|()| hypervisor::connect(&vm.uri, ctx.timeout, op_timeout));
    Ok((vm, hv))
}

/// Moves the VM on (while it is still the operation's), records `event` and ends the
/// operation, in the event's words.
fn finish(
    store: &mut Store,
    op: &Operation,
    step: (VmStatus, VmStatus),
    errors: Errors,
    event: Event,
) -> Result<()> {
    write(store, op, |tx| {
        transition(tx, op, step, errors, event.clone(), Some(event.detail)).map(drop)
    })
}
