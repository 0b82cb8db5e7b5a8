//! The operations table: every worker run, in flight (`ended` NULL) or past. A VM's live
//! operation is the one its `operation` column names.

use super::deadline::Deadline;
use super::history::Event;
use super::now;
use super::vms::{self, Errors, StatusChange};
use crate::model::{KillReason, OpKind, TaskKey, VmStatus};
use crate::process::Proc;
use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};

/// One operation row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Operation {
    pub(crate) id: i64,
    pub(crate) vm: String,
    /// A worker's, or an admin's `revert`/`poweroff`.
    pub(crate) kind: OpKind,
    pub(crate) process: Option<Proc>,
    pub(crate) deadline: Deadline,
    pub(crate) ended: Option<chrono::DateTime<chrono::Utc>>,
    pub(crate) result: Option<String>,
    pub(crate) task: Option<TaskKey>,
    pub(crate) by_user: String,
}

/// What a new operation needs.
#[derive(Clone, Debug)]
pub(crate) struct NewOperation<'a> {
    pub(crate) vm: &'a str,
    pub(crate) kind: OpKind,
    pub(crate) deadline: Deadline,
    pub(crate) task: Option<TaskKey>,
    pub(crate) by_user: &'a str,
    /// Set when the acting process is known now (admin commands act themselves).
    pub(crate) process: Option<Proc>,
}

const COLUMNS: &str =
    "id, vm, kind, pid, start_time, deadline, ended, result, job, step, task, by_user, boot_deadline_ms";

fn proc_of(pid: Option<i64>, start: Option<i64>) -> Option<Proc> {
    Some(Proc {
        pid: pid?,
        start_time: start?,
    })
}

fn from_row(r: &Row) -> rusqlite::Result<Operation> {
    let job: Option<i64> = r.get(8)?;
    Ok(Operation {
        id: r.get(0)?,
        vm: r.get(1)?,
        kind: vms::word(r, 2)?,
        process: proc_of(r.get(3)?, r.get(4)?),
        deadline: Deadline {
            wall: super::time_at(r, 5)?,
            boot_ms: r.get(12)?,
        },
        ended: super::opt_time_at(r, 6)?,
        result: r.get(7)?,
        task: match job {
            Some(job) => Some(TaskKey::new(job, r.get(9)?, r.get(10)?)),
            None => None,
        },
        by_user: r.get(11)?,
    })
}

/// Records a new operation and makes it the VM's live one; returns its id.
pub(crate) fn start(conn: &Connection, op: &NewOperation) -> Result<i64> {
    let (job, step, task) = match op.task {
        Some(key) => (Some(key.job), Some(key.step), Some(key.task)),
        None => (None, None, None),
    };
    conn.prepare_cached("INSERT INTO operations (vm, kind, pid, start_time, deadline, boot_deadline_ms, created, job, step, task,
             by_user)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")?.execute(
        params![
            op.vm,
            op.kind.as_str(),
            op.process.map(|p| p.pid),
            op.process.map(|p| p.start_time),
            super::stored(op.deadline.wall),
            op.deadline.boot_ms,
            now(),
            job,
            step,
            task,
            op.by_user
        ],
    )?;
    let id = conn.last_insert_rowid();
    conn.prepare_cached("UPDATE vms SET operation = ?1 WHERE name = ?2")?
        .execute(params![id, op.vm])?;
    Ok(id)
}

/// Names the worker process that carries the operation out.
pub(crate) fn set_process(conn: &Connection, id: i64, process: Proc) -> Result<()> {
    conn.prepare_cached("UPDATE operations SET pid = ?1, start_time = ?2 WHERE id = ?3")?
        .execute(params![process.pid, process.start_time, id])?;
    Ok(())
}

/// One operation by id.
pub(crate) fn get(conn: &Connection, id: i64) -> Result<Option<Operation>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM operations WHERE id = ?1"),
            [id],
            from_row,
        )
        .optional()?)
}

/// The live operation of a VM, if any.
pub(crate) fn live_for(conn: &Connection, vm: &str) -> Result<Option<Operation>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM operations WHERE id = (SELECT operation FROM vms WHERE name = ?1)
                 AND ended IS NULL"
            ),
            [vm],
            from_row,
        )
        .optional()?)
}

/// The live operation of every VM that has one, by VM name.
pub(crate) fn live_by_vm(
    conn: &Connection,
) -> Result<std::collections::BTreeMap<String, Operation>> {
    let columns = COLUMNS
        .split(", ")
        .map(|c| format!("o.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut stmt = conn.prepare(&format!(
        "SELECT {columns} FROM operations o JOIN vms v ON v.operation = o.id WHERE o.ended IS NULL"
    ))?;
    let rows = stmt.query_map([], from_row)?;
    rows.map(|r| Ok(r.map(|op| (op.vm.clone(), op))?)).collect()
}

/// The result prefix of an operation whose processes must die. Its processes are killed after
/// the commit that ends it; a later pass kills any that survived because the command that
/// stopped them died before killing them.
const STOPPED: &str = "killed: ";

/// Why an operation's processes must die: its result is `killed: ` and these words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop<'a> {
    /// The plan kills its worker (a `kill` action).
    Killed(KillReason),
    /// Its worker died: what is left of its session and of its task's group goes.
    ProcessDied,
    /// A revert took its VM's domain: `stolen by` the VM a pass reverts, or the admin whose
    /// `revert` steals it.
    StolenBy(&'a str),
    /// The scheduler powers its VM off.
    PoweredOff,
    /// Its task was canceled.
    Canceled,
    /// An admin's `revert`, `poweroff` or `vms set` took its VM.
    StoppedBy(&'a str),
    /// An admin removed its VM.
    VmRemovedBy(&'a str),
}

impl std::fmt::Display for Stop<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Killed(reason) => write!(f, "{reason}"),
            Stop::ProcessDied => f.write_str("process died"),
            Stop::StolenBy(by) => write!(f, "stolen by {by}"),
            Stop::PoweredOff => f.write_str("powered off"),
            Stop::Canceled => f.write_str("canceled"),
            Stop::StoppedBy(user) => write!(f, "stopped by {user}"),
            Stop::VmRemovedBy(user) => write!(f, "VM removed by {user}"),
        }
    }
}

/// Ends an operation whose worker (and task command) must die, and returns their processes,
/// to kill once the transaction has committed.
pub(crate) fn stop(conn: &Connection, op: &Operation, why: Stop) -> Result<Vec<Proc>> {
    end_op(conn, op.id, &format!("{STOPPED}{why}"))?;
    Ok(op.process.into_iter().collect())
}

/// The processes of operations stopped within the last day (the pass kills those that still
/// run, outside its transaction).
pub(crate) fn stopped_recently(conn: &Connection) -> Result<Vec<Proc>> {
    let since = super::stored(chrono::Utc::now() - chrono::Duration::days(1));
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM operations WHERE ended >= ?1 AND result LIKE '{STOPPED}%'"
    ))?;
    let ops = stmt
        .query_map([since], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(ops.into_iter().filter_map(|op| op.process).collect())
}

/// Ends an operation with its result and detaches it from its VM.
pub(crate) fn end_op(conn: &Connection, id: i64, result: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE operations SET ended = ?1, result = ?2 WHERE id = ?3 AND ended IS NULL",
    )?
    .execute(params![now(), result, id])?;
    conn.prepare_cached("UPDATE vms SET operation = NULL WHERE operation = ?1")?
        .execute([id])?;
    Ok(())
}

/// A worker's status change: moves the VM from `from` to `to` only while the VM still names
/// this operation and is still `from` (an admin may have taken it meanwhile), records it, and
/// ends the operation when `end` is given, whatever the VM's status. Returns whether the VM
/// was still the operation's. The history row records `event`, by the operation's user
/// (`vms::set_status`).
pub(crate) fn transition(
    conn: &Connection,
    op: &Operation,
    (from, to): (VmStatus, VmStatus),
    errors: Errors,
    event: Event,
    end: Option<&str>,
) -> Result<bool> {
    let current: Option<(String, Option<i64>, String)> = conn
        .query_row(
            "SELECT status, operation, uri FROM vms WHERE name = ?1",
            [&op.vm],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let ours =
        matches!(&current, Some((status, Some(id), _)) if *id == op.id && status == from.as_str());
    if ours {
        let host = current
            .as_ref()
            .and_then(|(_, _, uri)| crate::model::host_key(uri).ok());
        vms::set_status(
            conn,
            &StatusChange {
                vm: &op.vm,
                host: host.as_deref(),
                from,
                to,
                errors,
                event,
                user: &op.by_user,
                reason: None,
            },
        )?;
    }
    if let Some(result) = end {
        end_op(conn, op.id, result)?;
    }
    Ok(ours)
}
