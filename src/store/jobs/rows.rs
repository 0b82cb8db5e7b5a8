//! The rows of the jobs, steps and tasks tables as plain structs, and their column lists.

use crate::model::TaskStatus;
use crate::store::{opt_time_at, time_at};
use chrono::{DateTime, Utc};
use rusqlite::Row;
use std::collections::BTreeMap;

/// A row of `jobs`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JobRow {
    pub(crate) id: i64,
    /// A niceness: lower runs first.
    pub(crate) priority: i64,
    pub(crate) status: TaskStatus,
    /// The real user who submitted it.
    pub(crate) user: String,
    /// The user it was submitted for (`jobs submit --user`), when someone else.
    pub(crate) on_behalf_of: Option<String>,
    /// The variables its tasks get on top of the allow-listed ones, by name.
    pub(crate) env: BTreeMap<String, String>,
    pub(crate) remarks: Option<String>,
    /// RFC 3339 UTC.
    pub(crate) submitted: DateTime<Utc>,
    /// RFC 3339 UTC, set once the job has ended.
    pub(crate) ended: Option<DateTime<Utc>>,
}

/// A row of `steps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StepRow {
    pub(crate) job: i64,
    pub(crate) no: u32,
    pub(crate) name: Option<String>,
    /// The step this one waits for; always below `no`.
    pub(crate) previous: Option<u32>,
    pub(crate) status: TaskStatus,
    /// Seconds; the default of the step's tasks.
    pub(crate) timeout: u64,
    /// The argument vector every task of the step runs.
    pub(crate) command: Vec<String>,
}

/// A row of `tasks`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TaskRow {
    pub(crate) job: i64,
    pub(crate) step: u32,
    pub(crate) no: u32,
    /// The VM instance, by name.
    pub(crate) vm: String,
    pub(crate) status: TaskStatus,
    /// Seconds.
    pub(crate) timeout: u64,
    /// Attempts that ended without the command's own result: what decides `boterror`.
    pub(crate) tries: u32,
    /// Every start (or try to start) of the command, however it ended.
    pub(crate) attempts: u32,
    pub(crate) started: Option<DateTime<Utc>>,
    pub(crate) ended: Option<DateTime<Utc>>,
    pub(crate) exit_code: Option<i64>,
    /// The log file of the latest attempt.
    pub(crate) log: Option<String>,
}

pub(super) const JOB_COLUMNS: &str =
    "id, priority, status, user, remarks, submitted, ended, on_behalf_of, env";
pub(super) const STEP_COLUMNS: &str = "job, no, name, previous, status, timeout, command";
pub(super) const TASK_COLUMNS: &str =
    "job, step, no, vm, status, timeout, tries, started, ended, exit_code, log, attempts";

/// Reads a `jobs` row selected with `JOB_COLUMNS`.
pub(super) fn job_row(r: &Row) -> rusqlite::Result<JobRow> {
    Ok(JobRow {
        id: r.get(0)?,
        priority: r.get(1)?,
        status: status(r, 2)?,
        user: r.get(3)?,
        remarks: r.get(4)?,
        submitted: time_at(r, 5)?,
        ended: opt_time_at(r, 6)?,
        on_behalf_of: r.get(7)?,
        env: match r.get::<_, Option<String>>(8)? {
            Some(env) => serde_json::from_str(&env).map_err(|e| bad_column(8, e.to_string()))?,
            None => BTreeMap::new(),
        },
    })
}

/// Reads a `steps` row selected with `STEP_COLUMNS`.
pub(super) fn step_row(r: &Row) -> rusqlite::Result<StepRow> {
    let command: String = r.get(6)?;
    Ok(StepRow {
        job: r.get(0)?,
        no: r.get(1)?,
        name: r.get(2)?,
        previous: r.get(3)?,
        status: status(r, 4)?,
        timeout: r.get(5)?,
        command: serde_json::from_str(&command).map_err(|e| bad_column(6, e.to_string()))?,
    })
}

/// Reads a `tasks` row selected with `TASK_COLUMNS`.
pub(super) fn task_row(r: &Row) -> rusqlite::Result<TaskRow> {
    Ok(TaskRow {
        job: r.get(0)?,
        step: r.get(1)?,
        no: r.get(2)?,
        vm: r.get(3)?,
        status: status(r, 4)?,
        timeout: r.get(5)?,
        tries: r.get(6)?,
        started: opt_time_at(r, 7)?,
        ended: opt_time_at(r, 8)?,
        exit_code: r.get(9)?,
        log: r.get(10)?,
        attempts: r.get(11)?,
    })
}

/// Reads a status column; an unknown word is a conversion error naming the column.
fn status(r: &Row, column: usize) -> rusqlite::Result<TaskStatus> {
    let word: String = r.get(column)?;
    word.parse().map_err(|e: String| bad_column(column, e))
}

/// A conversion error naming the column whose text does not parse.
fn bad_column(column: usize, message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, message.into())
}
