//! A task's attempts: started by a pass, ended by its worker or by a pass that found the
//! worker gone. A single end rolls its job up at once; `start` and `end_without_result` leave
//! that to the caller, so a pass that changes many tasks of one job rolls it up once.

use super::{roll_up, TaskRow};
use crate::model::{TaskStatus, VmStatus};
use crate::process::Proc;
use crate::store::history::{Event, Kind};
use crate::store::now;
use crate::store::operations::{self, Errors};
use anyhow::{Context, Result};
use rusqlite::{params, Connection};

/// A task as (job, step, task).
pub type TaskKey = (i64, u32, u32);

/// What a task worker runs.
pub struct Attempt {
    pub command: Vec<String>,
    pub timeout: u64,
    /// The attempt's log, relative to the database's folder.
    pub log: String,
}

/// Marks the task running with the log of its next try (`logs/<job>/<step>/<task>.<try>.log`)
/// and returns its timeout. The caller rolls the job up.
pub fn start(conn: &Connection, (job, step, no): TaskKey) -> Result<u64> {
    let (tries, timeout): (u32, u64) = conn
        .prepare_cached(
            "SELECT tries, timeout FROM tasks WHERE job = ?1 AND step = ?2 AND no = ?3",
        )?
        .query_row(params![job, step, no], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let log = format!("logs/{job}/{step}/{no}.{}.log", tries.saturating_add(1));
    conn.prepare_cached("UPDATE tasks SET status = 'running', started = ?1, ended = NULL, exit_code = NULL, log = ?2
         WHERE job = ?3 AND step = ?4 AND no = ?5")?.execute(
        params![now(), log, job, step, no],
    )?;
    Ok(timeout)
}

/// The command, timeout and log of a task's current attempt.
pub fn attempt(conn: &Connection, (job, step, no): TaskKey) -> Result<Attempt> {
    let (command, timeout, log): (String, u64, Option<String>) = conn
        .query_row(
            "SELECT s.command, t.timeout, t.log FROM tasks t JOIN steps s ON s.job = t.job AND s.no = t.step
             WHERE t.job = ?1 AND t.step = ?2 AND t.no = ?3",
            params![job, step, no],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .with_context(|| format!("no task {job}/{step}/{no}"))?;
    Ok(Attempt {
        command: serde_json::from_str(&command).context("corrupt command in the database")?,
        timeout,
        log: log.with_context(|| format!("task {job}/{step}/{no} has no log path"))?,
    })
}

/// Records the end of a running task: the command's own result (final), or `canceled`. A
/// task that is no longer running (canceled meanwhile) keeps its status.
pub fn finish(
    conn: &Connection,
    key: TaskKey,
    status: TaskStatus,
    exit_code: Option<i32>,
) -> Result<()> {
    record_end(conn, key, status, exit_code)?;
    roll_up(conn, key.0)
}

/// `finish` without the roll-up, for a caller that ends many tasks of one job.
fn record_end(
    conn: &Connection,
    (job, step, no): TaskKey,
    status: TaskStatus,
    exit_code: Option<i32>,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE tasks SET status = ?1, exit_code = ?2, ended = ?3
         WHERE job = ?4 AND step = ?5 AND no = ?6 AND status = 'running'",
    )?
    .execute(params![status.as_str(), exit_code, now(), job, step, no])?;
    Ok(())
}

/// Ends an attempt that gave no result of the command's own (the worker died, the command
/// could not start): the try counts, and the task is requeued (`queued`) or ends with
/// `status` (e.g. `boterror`). The caller rolls the job up.
pub fn end_without_result(
    conn: &Connection,
    (job, step, no): TaskKey,
    status: TaskStatus,
) -> Result<()> {
    let ended = (status != TaskStatus::Queued).then(now);
    conn.prepare_cached("UPDATE tasks SET status = ?1, tries = MIN(tries + 1, 4294967295), ended = ?2, started = CASE WHEN ?1 = 'queued' THEN NULL ELSE started END
         WHERE job = ?3 AND step = ?4 AND no = ?5")?.execute(
        params![status.as_str(), ended, job, step, no],
    )?;
    Ok(())
}

/// The status of a task whose attempt gave no result: requeued while tries remain.
pub fn retry_status(
    conn: &Connection,
    (job, step, no): TaskKey,
    max_tries: u32,
) -> Result<TaskStatus> {
    let tries: u32 = conn
        .prepare_cached("SELECT tries FROM tasks WHERE job = ?1 AND step = ?2 AND no = ?3")?
        .query_row(params![job, step, no], |r| r.get(0))?;
    Ok(if tries.saturating_add(1) < max_tries {
        TaskStatus::Queued
    } else {
        TaskStatus::Boterror
    })
}

/// Cancels a running task: ends its worker's operation (the VM becomes dirty) and the task.
/// Returns the worker's processes, to kill once the transaction has committed. The caller
/// rolls the job up (once, however many tasks it cancels).
pub fn cancel_running(conn: &Connection, task: &TaskRow, user: &str) -> Result<Vec<Proc>> {
    let key = (task.job, task.step, task.no);
    let mut kill = Vec::new();
    if let Some(op) = operations::live_for(conn, &task.vm)?.filter(|op| op.task == Some(key)) {
        let detail = format!(
            "dirty task {}/{}/{} canceled by {user}",
            task.job, task.step, task.no
        );
        let event = Event::new(Kind::Task, &detail)
            .task(key)
            .result(TaskStatus::Canceled.as_str());
        operations::transition(
            conn,
            &op,
            (VmStatus::Running, VmStatus::Dirty),
            Errors::Keep,
            event,
            None,
        )?;
        kill = operations::stop(conn, &op, "canceled")?;
    }
    record_end(conn, key, TaskStatus::Canceled, None)?;
    Ok(kill)
}

/// The tasks recorded as running on a VM, in (job, step, task) order.
pub fn running_on(conn: &Connection, vm: &str) -> Result<Vec<TaskKey>> {
    let mut stmt = conn.prepare(
        "SELECT job, step, no FROM tasks WHERE vm = ?1 AND status = 'running' ORDER BY job, step, no",
    )?;
    let rows = stmt.query_map([vm], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Puts a running task back in the queue without counting a try: an admin stopped it
/// (`revert --force`), so the attempt says nothing about the task.
pub fn requeue_uncounted(conn: &Connection, (job, step, no): TaskKey) -> Result<()> {
    conn.prepare_cached(
        "UPDATE tasks SET status = 'queued', started = NULL, ended = NULL, exit_code = NULL
         WHERE job = ?1 AND step = ?2 AND no = ?3 AND status = 'running'",
    )?
    .execute(params![job, step, no])?;
    roll_up(conn, job)
}
