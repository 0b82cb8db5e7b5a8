//! The jobs, steps and tasks tables: submitting, listing, loading and cancelling jobs, and the
//! roll-up of task statuses into step and job statuses (in `rollup`).

pub(crate) mod attempts;
mod rollup;
mod rows;
#[cfg(test)]
mod tests;

pub use rollup::roll_up;
pub(crate) use rows::{JobRow, StepRow, TaskRow};

use rows::{job_row, step_row, task_row, JOB_COLUMNS, STEP_COLUMNS, TASK_COLUMNS};

use super::history::{self, Entry, Event, Kind};
use super::now;
use crate::model::{TaskKey, TaskStatus};
use anyhow::{Context, Result};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeMap;

/// A job with its step and task counts, for listings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JobSummary {
    pub(crate) job: JobRow,
    pub(crate) steps: u32,
    pub(crate) tasks: u32,
}

/// A job with its steps (by `no`), each with its tasks (by `no`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct JobDetail {
    pub(crate) job: JobRow,
    pub(crate) steps: Vec<StepDetail>,
}

/// A step with its tasks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StepDetail {
    pub(crate) step: StepRow,
    pub(crate) tasks: Vec<TaskRow>,
}

/// A job about to be inserted; validation is the caller's.
#[derive(Clone, Debug)]
pub(crate) struct NewJob {
    pub(crate) priority: i64,
    /// The real user.
    pub(crate) user: String,
    /// The user it is submitted for, when someone else.
    pub(crate) on_behalf_of: Option<String>,
    /// The variables its tasks get (checked by the caller).
    pub(crate) env: BTreeMap<String, String>,
    pub(crate) remarks: Option<String>,
    /// Numbered 1, 2, ... in this order.
    pub(crate) steps: Vec<NewStep>,
}

/// A step about to be inserted: one task per VM, numbered 1, 2, ... in this order.
#[derive(Clone, Debug)]
pub struct NewStep {
    pub name: Option<String>,
    pub previous: Option<u32>,
    pub timeout: u64,
    pub command: Vec<String>,
    pub vms: Vec<String>,
}

/// Inserts a job with its steps and tasks; call it inside `Store::write` so it is all or
/// nothing; records `job N submitted` in the history. Returns the new job id. The step and
/// task inserts are prepared once: a job file may have tens of thousands of steps.
pub(crate) fn insert(conn: &Connection, job: &NewJob) -> Result<i64> {
    let env = (!job.env.is_empty())
        .then(|| serde_json::to_string(&job.env))
        .transpose()?;
    conn.execute(
        "INSERT INTO jobs (priority, user, on_behalf_of, env, remarks, submitted)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            job.priority,
            job.user,
            job.on_behalf_of,
            env,
            job.remarks,
            now()
        ],
    )?;
    let id = conn.last_insert_rowid();
    let detail = format!("job {id} submitted");
    history::record(
        conn,
        &Entry {
            on_behalf_of: job.on_behalf_of.as_deref(),
            ..Entry::new(&job.user, Event::new(Kind::Submit, &detail).job(id))
        },
    )?;
    let mut insert_step = conn.prepare_cached(
        "INSERT INTO steps (job, no, name, previous, timeout, command)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut insert_task = conn.prepare_cached(
        "INSERT INTO tasks (job, step, no, vm, timeout) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (no, step) in (1u32..).zip(&job.steps) {
        insert_step.execute(params![
            id,
            no,
            step.name,
            step.previous,
            step.timeout,
            serde_json::to_string(&step.command)?
        ])?;
        for (task, vm) in (1u32..).zip(&step.vms) {
            insert_task.execute(params![id, no, task, vm, step.timeout])?;
        }
    }
    Ok(id)
}

/// Which jobs `each` reads.
#[derive(Clone, Debug, Default)]
pub(crate) struct Query<'a> {
    pub(crate) status: Option<TaskStatus>,
    /// Only jobs this user submitted, or that were submitted for them.
    pub(crate) user: Option<&'a str>,
    /// Only jobs that have not ended or ended at or after this time; `None` for all.
    pub(crate) ended_since: Option<chrono::DateTime<chrono::Utc>>,
    /// Only the newest this many; `None` for all.
    pub(crate) limit: Option<u32>,
}

/// Calls `each` with the jobs matching `query` by id, with their step and task counts, as
/// they are read (memory does not grow with their number).
pub(crate) fn each(
    conn: &Connection,
    query: &Query,
    mut each: impl FnMut(JobSummary) -> Result<()>,
) -> Result<()> {
    let mut filter = String::from("1");
    let mut values: Vec<&str> = Vec::new();
    if let Some(status) = query.status {
        filter.push_str(" AND status = ?");
        values.push(status.as_str());
    }
    if let Some(user) = query.user {
        filter.push_str(" AND (user = ? OR on_behalf_of = ?)");
        values.extend([user, user]);
    }
    let since = query.ended_since.map(super::stored);
    if let Some(since) = since.as_deref() {
        filter.push_str(" AND (ended IS NULL OR ended >= ?)");
        values.push(since);
    }
    let Some(first) = super::newest_from(conn, "jobs", &filter, &values, query.limit)? else {
        return Ok(());
    };
    let sql = format!(
        "SELECT {JOB_COLUMNS},
                (SELECT COUNT(*) FROM steps s WHERE s.job = jobs.id),
                (SELECT COUNT(*) FROM tasks t WHERE t.job = jobs.id)
         FROM jobs WHERE {filter} AND id >= {first} ORDER BY id"
    );
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(rusqlite::params_from_iter(&values))?;
    while let Some(r) = rows.next()? {
        each(JobSummary {
            job: job_row(r)?,
            steps: r.get(9)?,
            tasks: r.get(10)?,
        })?;
    }
    Ok(())
}

/// The newest `limit` jobs, newest first: what completion offers for a job id.
pub(crate) fn newest(conn: &Connection, limit: u32) -> Result<Vec<JobRow>> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY id DESC LIMIT ?1");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([limit], job_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One job's row, or `None` when there is no such job.
pub(crate) fn job(conn: &Connection, id: i64) -> Result<Option<JobRow>> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1");
    Ok(conn.query_row(&sql, [id], job_row).optional()?)
}

/// One job with its steps and tasks, or `None` when there is no such job.
pub(crate) fn load(conn: &Connection, id: i64) -> Result<Option<JobDetail>> {
    let Some(job) = job(conn, id)? else {
        return Ok(None);
    };
    let sql = format!("SELECT {STEP_COLUMNS} FROM steps WHERE job = ?1 ORDER BY no");
    let steps: Vec<StepRow> = conn
        .prepare(&sql)?
        .query_map([id], step_row)?
        .collect::<rusqlite::Result<_>>()?;
    let mut tasks = tasks_where(conn, "job = ?1", id)?.into_iter().peekable();
    let steps = steps
        .into_iter()
        .map(|step| {
            let mut mine = Vec::new();
            while let Some(task) = tasks.next_if(|t| t.step == step.no) {
                mine.push(task);
            }
            StepDetail { step, tasks: mine }
        })
        .collect();
    Ok(Some(JobDetail { job, steps }))
}

/// The running tasks of a job, by step and task. `jobs cancel` cancels only queued tasks; this
/// is the hook through which running ones are found so their workers can be stopped (the task
/// worker then records the task's end and rolls the job up).
pub(crate) fn running_tasks(conn: &Connection, job: i64) -> Result<Vec<TaskRow>> {
    tasks_where(conn, "job = ?1 AND status = 'running'", job)
}

/// Cancels the queued tasks of a job, records each in the history (VM = the task's VM) and
/// rolls the job up; call it inside `Store::write`. Returns the canceled tasks.
pub(crate) fn cancel_queued(
    conn: &Connection,
    job: i64,
    user: &str,
    reason: Option<&str>,
) -> Result<Vec<TaskRow>> {
    let queued = tasks_where(conn, "job = ?1 AND status = 'queued'", job)?;
    let ended = now();
    for task in &queued {
        conn.execute(
            "UPDATE tasks SET status = 'canceled', ended = ?4 WHERE job = ?1 AND step = ?2 AND no = ?3",
            params![task.job, task.step, task.no, ended],
        )?;
        let host = super::vms::get(conn, &task.vm)?.map(|vm| vm.host());
        let detail = format!("canceled {} {} {}", task.job, task.step, task.no);
        let event = Event::new(Kind::Task, &detail)
            .task(TaskKey::new(task.job, task.step, task.no))
            .result(crate::model::TaskStatus::Canceled.as_str());
        history::record(
            conn,
            &Entry {
                vm: Some(&task.vm),
                host: host.as_deref(),
                reason,
                ..Entry::new(user, event)
            },
        )?;
    }
    roll_up(conn, job)?;
    Ok(queued)
}

/// How many tasks wait for the VM `name` (`queued`) and run on it (`running`): what makes
/// removing it unsafe.
pub(crate) fn vm_work(conn: &Connection, name: &str) -> Result<(u32, u32)> {
    Ok(conn.prepare_cached("SELECT COUNT(*) FILTER (WHERE status = 'queued'), COUNT(*) FILTER (WHERE status = 'running')
         FROM tasks WHERE vm = ?1")?.query_row(
        [name],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Marks the queued tasks of the VM `name` `canceled`, rolls their jobs up and returns the
/// tasks' keys.
pub(crate) fn cancel_queued_on_vm(conn: &Connection, name: &str) -> Result<Vec<TaskKey>> {
    let mut stmt = conn.prepare(
        "UPDATE tasks SET status = 'canceled', ended = ?2 WHERE vm = ?1 AND status = 'queued'
         RETURNING job, step, no",
    )?;
    let rows = stmt.query_map(params![name, now()], |r| {
        Ok(TaskKey::new(r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    let mut tasks: Vec<TaskKey> = rows.collect::<rusqlite::Result<_>>()?;
    tasks.sort_unstable();
    let mut jobs: Vec<i64> = tasks.iter().map(|t| t.job).collect();
    jobs.dedup();
    for job in jobs {
        roll_up(conn, job)?;
    }
    Ok(tasks)
}

/// Tasks matching a condition on `?1`, by step and task.
fn tasks_where(conn: &Connection, condition: &str, value: i64) -> Result<Vec<TaskRow>> {
    let sql = format!("SELECT {TASK_COLUMNS} FROM tasks WHERE {condition} ORDER BY step, no");
    let tasks = conn
        .prepare(&sql)?
        .query_map([value], task_row)?
        .collect::<rusqlite::Result<_>>()
        .context("cannot read tasks")?;
    Ok(tasks)
}
