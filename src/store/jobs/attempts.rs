//! A task's attempts: started by a pass, ended by its worker or by a pass that found the
//! worker gone. A single end rolls its job up at once; `start` and `end_without_result` leave
//! that to the caller, so a pass that changes many tasks of one job rolls it up once.
//! Each attempt has a row in `attempts` (numbered from 1 per task) and a log of its own,
//! `logs/<job>/<step>/<task>.<attempt>.log`: every start counts, a requeue that uses no try
//! included, so no attempt's log overwrites another's.

use super::{roll_up, TaskRow};
use crate::model::{TaskKey, TaskStatus, VmStatus};
use crate::process::Proc;
use crate::store::history::{Event, Kind};
use crate::store::now;
use crate::store::operations;
use crate::store::vms::Errors;
use anyhow::{Context, Result};
use rusqlite::{params, Connection};
use std::collections::BTreeMap;

/// What a task worker runs.
pub(crate) struct Attempt {
    pub(crate) command: Vec<String>,
    pub(crate) timeout: u64,
    /// The attempt's log, relative to the database's folder.
    pub(crate) log: String,
    /// The variables the job sets for its tasks.
    pub(crate) env: BTreeMap<String, String>,
}

/// How an attempt ended without a result of the command's own (an attempt that has one ends
/// with the task's status, `completed`, `failed` or `timeout`, or `canceled` by `jobs cancel`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NoResult {
    /// The command could not start (or the snapshot could not be checked); its log says why.
    NotStarted,
    /// The domain did not run the VM's snapshot, so the command was not started.
    WrongSnapshot,
    /// The worker died; a pass (or an admin command) found it gone.
    WorkerDied,
    /// An admin command stopped the worker (`--force`, a removed VM).
    Stopped,
}

impl NoResult {
    /// The word stored in `attempts.result` and shown by `jobs show`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            NoResult::NotStarted => "not-started",
            NoResult::WrongSnapshot => "wrong-snapshot",
            NoResult::WorkerDied => "worker-died",
            NoResult::Stopped => "stopped",
        }
    }
}

/// A row of `attempts`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AttemptRow {
    pub(crate) step: u32,
    pub(crate) task: u32,
    /// 1 for the task's first attempt.
    pub(crate) no: u32,
    /// RFC 3339 UTC; `None` for an attempt recorded before attempts had rows.
    pub(crate) started: Option<chrono::DateTime<chrono::Utc>>,
    pub(crate) ended: Option<chrono::DateTime<chrono::Utc>>,
    /// `None` while the attempt runs: a task status or a `NoResult` word (or `unknown`).
    pub(crate) result: Option<String>,
    pub(crate) exit_code: Option<i64>,
    /// Relative to the database's folder.
    pub(crate) log: String,
}

/// Marks the task running with a new attempt and its log (`logs/<job>/<step>/<task>.<n>.log`)
/// and returns its timeout. The caller rolls the job up.
pub(crate) fn start(conn: &Connection, key: TaskKey) -> Result<u64> {
    let TaskKey {
        job,
        step,
        task: no,
    } = key;
    let (attempts, timeout): (u32, u64) = conn
        .prepare_cached(
            "SELECT attempts, timeout FROM tasks WHERE job = ?1 AND step = ?2 AND no = ?3",
        )?
        .query_row(params![job, step, no], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let attempt = attempts.saturating_add(1);
    let log = format!("logs/{job}/{step}/{no}.{attempt}.log");
    let started = now();
    conn.prepare_cached("UPDATE tasks SET status = 'running', started = ?1, ended = NULL, exit_code = NULL, log = ?2, attempts = ?3
         WHERE job = ?4 AND step = ?5 AND no = ?6")?.execute(
        params![started, log, attempt, job, step, no],
    )?;
    // OR REPLACE only matters once the count saturates, four billion attempts on.
    conn.prepare_cached(
        "INSERT OR REPLACE INTO attempts (job, step, task, no, started, log) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![job, step, no, attempt, started, log])?;
    Ok(timeout)
}

/// Records how the task's latest attempt ended, unless it has ended already (a task canceled
/// while its command ran keeps `canceled` when the command's result comes in).
fn end_attempt(
    conn: &Connection,
    key: TaskKey,
    result: &str,
    exit_code: Option<i32>,
) -> Result<()> {
    let TaskKey {
        job,
        step,
        task: no,
    } = key;
    conn.prepare_cached(
        "UPDATE attempts SET ended = ?1, result = ?2, exit_code = ?3
         WHERE job = ?4 AND step = ?5 AND task = ?6 AND ended IS NULL AND result IS NULL
           AND no = (SELECT attempts FROM tasks WHERE job = ?4 AND step = ?5 AND no = ?6)",
    )?
    .execute(params![now(), result, exit_code, job, step, no])?;
    Ok(())
}

/// Every attempt of a job's tasks, by step, task and attempt.
pub(crate) fn of_job(conn: &Connection, job: i64) -> Result<Vec<AttemptRow>> {
    let mut stmt = conn.prepare(
        "SELECT step, task, no, started, ended, result, exit_code, log FROM attempts
         WHERE job = ?1 ORDER BY step, task, no",
    )?;
    let rows = stmt.query_map([job], |r| {
        Ok(AttemptRow {
            step: r.get(0)?,
            task: r.get(1)?,
            no: r.get(2)?,
            started: crate::store::opt_time_at(r, 3)?,
            ended: crate::store::opt_time_at(r, 4)?,
            result: r.get(5)?,
            exit_code: r.get(6)?,
            log: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The command, timeout, log and job variables of a task's current attempt.
pub(crate) fn attempt(conn: &Connection, key: TaskKey) -> Result<Attempt> {
    let TaskKey {
        job,
        step,
        task: no,
    } = key;
    let (command, timeout, log, env): (String, u64, Option<String>, Option<String>) = conn
        .query_row(
            "SELECT s.command, t.timeout, t.log, j.env FROM tasks t
             JOIN steps s ON s.job = t.job AND s.no = t.step JOIN jobs j ON j.id = t.job
             WHERE t.job = ?1 AND t.step = ?2 AND t.no = ?3",
            params![job, step, no],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .with_context(|| format!("no task {job}/{step}/{no}"))?;
    Ok(Attempt {
        command: serde_json::from_str(&command).context("corrupt command in the database")?,
        timeout,
        log: log.with_context(|| format!("task {job}/{step}/{no} has no log path"))?,
        env: match env {
            Some(env) => {
                serde_json::from_str(&env).context("corrupt job variables in the database")?
            }
            None => BTreeMap::new(),
        },
    })
}

/// Records the end of a running task: the command's own result (final), or `canceled`. A
/// task that is no longer running (canceled meanwhile) keeps its status.
pub(crate) fn finish(
    conn: &Connection,
    key: TaskKey,
    status: TaskStatus,
    exit_code: Option<i32>,
) -> Result<()> {
    record_end(conn, key, status, exit_code)?;
    roll_up(conn, key.job)
}

/// `finish` without the roll-up, for a caller that ends many tasks of one job.
fn record_end(
    conn: &Connection,
    key: TaskKey,
    status: TaskStatus,
    exit_code: Option<i32>,
) -> Result<()> {
    let TaskKey {
        job,
        step,
        task: no,
    } = key;
    end_attempt(conn, key, status.as_str(), exit_code)?;
    conn.prepare_cached(
        "UPDATE tasks SET status = ?1, exit_code = ?2, ended = ?3
         WHERE job = ?4 AND step = ?5 AND no = ?6 AND status = 'running'",
    )?
    .execute(params![status.as_str(), exit_code, now(), job, step, no])?;
    Ok(())
}

/// Ends an attempt that gave no result of the command's own (the worker died, the command
/// could not start), as `how`: the try counts, and the task is requeued (`queued`) or ends
/// with `status` (e.g. `boterror`). The caller rolls the job up.
pub(crate) fn end_without_result(
    conn: &Connection,
    key: TaskKey,
    status: TaskStatus,
    how: NoResult,
) -> Result<()> {
    let TaskKey {
        job,
        step,
        task: no,
    } = key;
    end_attempt(conn, key, how.as_str(), None)?;
    let ended = (status != TaskStatus::Queued).then(now);
    conn.prepare_cached("UPDATE tasks SET status = ?1, tries = MIN(tries + 1, 4294967295), ended = ?2, started = CASE WHEN ?1 = 'queued' THEN NULL ELSE started END
         WHERE job = ?3 AND step = ?4 AND no = ?5")?.execute(
        params![status.as_str(), ended, job, step, no],
    )?;
    Ok(())
}

/// The status of a task whose attempt gave no result: requeued while tries remain.
pub(crate) fn retry_status(conn: &Connection, key: TaskKey, max_tries: u32) -> Result<TaskStatus> {
    let TaskKey {
        job,
        step,
        task: no,
    } = key;
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
pub(crate) fn cancel_running(conn: &Connection, task: &TaskRow, user: &str) -> Result<Vec<Proc>> {
    let key = TaskKey::new(task.job, task.step, task.no);
    let mut kill = Vec::new();
    if let Some(op) = operations::live_for(conn, &task.vm)?.filter(|op| op.task == Some(key)) {
        let detail = format!("dirty task {key} canceled by {user}");
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
        kill = operations::stop(conn, &op, operations::Stop::Canceled)?;
    }
    record_end(conn, key, TaskStatus::Canceled, None)?;
    Ok(kill)
}

/// The tasks recorded as running on a VM, in (job, step, task) order.
pub(crate) fn running_on(conn: &Connection, vm: &str) -> Result<Vec<TaskKey>> {
    let mut stmt = conn.prepare(
        "SELECT job, step, no FROM tasks WHERE vm = ?1 AND status = 'running' ORDER BY job, step, no",
    )?;
    let rows = stmt.query_map([vm], |r| Ok(TaskKey::new(r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Puts a running task back in the queue without counting a try: an admin stopped it
/// (`revert --force`) or its domain was not on the snapshot, so the attempt says nothing about
/// the task. The attempt still counts, and ends as `how`.
pub(crate) fn requeue_uncounted(conn: &Connection, key: TaskKey, how: NoResult) -> Result<()> {
    let TaskKey {
        job,
        step,
        task: no,
    } = key;
    end_attempt(conn, key, how.as_str(), None)?;
    conn.prepare_cached(
        "UPDATE tasks SET status = 'queued', started = NULL, ended = NULL, exit_code = NULL
         WHERE job = ?1 AND step = ?2 AND no = ?3 AND status = 'running'",
    )?
    .execute(params![job, step, no])?;
    roll_up(conn, job)
}
