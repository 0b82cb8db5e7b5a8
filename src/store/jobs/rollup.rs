//! The roll-up of docs/rules.md §1.2: step and job statuses from task statuses, and the
//! skipping of queued tasks behind a step that ended in anything but `completed`.

use super::tasks_where;
use crate::model::TaskStatus;
use crate::store::now;
use anyhow::Result;
use rusqlite::{params, Connection};
use std::collections::BTreeSet;

/// Ended statuses in the order the roll-up picks them: the first present wins.
const PRECEDENCE: [TaskStatus; 6] = [
    TaskStatus::Boterror,
    TaskStatus::Failed,
    TaskStatus::Timeout,
    TaskStatus::Canceled,
    TaskStatus::Skipped,
    TaskStatus::Completed,
];

/// Recomputes the statuses of a job's steps and of the job from its tasks' statuses, skips
/// every queued task of a step that depends (directly or transitively) on a step that ended in
/// anything but `completed`, and sets the `ended` time of skipped tasks and of an ended job.
/// Call it inside `Store::write` after changing any task status of the job; it is idempotent.
pub fn roll_up(conn: &Connection, job: i64) -> Result<()> {
    let steps: Vec<(u32, Option<u32>)> = conn
        .prepare("SELECT no, previous FROM steps WHERE job = ?1 ORDER BY no")?
        .query_map([job], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let tasks = tasks_where(conn, "job = ?1", job)?;
    let ended = now();
    // Steps that ended badly or wait for one that did; `previous` < `no`, so one pass in step
    // order sees every step's dependency before the step itself.
    let mut doomed = BTreeSet::new();
    let mut step_statuses = Vec::with_capacity(steps.len());
    let mut all_tasks = Vec::with_capacity(tasks.len());
    for (no, previous) in steps {
        let skip = previous.is_some_and(|p| doomed.contains(&p));
        if skip {
            conn.prepare_cached(
                "UPDATE tasks SET status = 'skipped', ended = ?3
                 WHERE job = ?1 AND step = ?2 AND status = 'queued'",
            )?
            .execute(params![job, no, ended])?;
        }
        let mine: Vec<TaskStatus> = tasks
            .iter()
            .filter(|t| t.step == no)
            .map(|t| match t.status {
                TaskStatus::Queued if skip => TaskStatus::Skipped,
                status => status,
            })
            .collect();
        let status = combine(&mine);
        if skip || (status.is_done() && status != TaskStatus::Completed) {
            doomed.insert(no);
        }
        conn.prepare_cached("UPDATE steps SET status = ?3 WHERE job = ?1 AND no = ?2")?
            .execute(params![job, no, status.as_str()])?;
        step_statuses.push(status);
        all_tasks.extend(mine);
    }
    let status =
        if !step_statuses.is_empty() && step_statuses.iter().all(|s| *s == TaskStatus::Skipped) {
            TaskStatus::Canceled
        } else {
            combine(&all_tasks)
        };
    conn.prepare_cached(
        "UPDATE jobs SET status = ?2,
                ended = CASE WHEN ?3 THEN COALESCE(ended, ?4) ELSE NULL END
         WHERE id = ?1",
    )?
    .execute(params![job, status.as_str(), status.is_done(), ended])?;
    Ok(())
}

/// The status of a step or job with tasks of these statuses: `queued` while all are queued,
/// `running` while any is queued or running (and one has started), else the first present of
/// `PRECEDENCE`. Nothing to do (no task) counts as `completed`, so an empty step never holds
/// up its job.
pub(super) fn combine(statuses: &[TaskStatus]) -> TaskStatus {
    if statuses.is_empty() {
        TaskStatus::Completed
    } else if statuses.iter().all(|s| *s == TaskStatus::Queued) {
        TaskStatus::Queued
    } else if statuses.iter().any(|s| !s.is_done()) {
        TaskStatus::Running
    } else {
        PRECEDENCE
            .into_iter()
            .find(|p| statuses.contains(p))
            .unwrap_or(TaskStatus::Completed)
    }
}
