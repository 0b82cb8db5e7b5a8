//! Retention: removing what ended long ago (jobs with their steps, tasks and operations, other
//! ended operations, history rows), a batch of a few hundred rows per short transaction, so a
//! purge never holds up the writers for long. Nothing live is ever removed: a job goes only
//! when it ended with no task queued or running and no live operation; an operation only
//! when it ended; of the history, each registered VM's latest status row stays (what the VM
//! was when the kept history begins). The newest job, operation and history row stay too, so
//! their ids are never given out again.

use super::{stored, Store};
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};
use std::time::Instant;

/// Rows per transaction (a job goes whole, however many tasks it has).
const BATCH: u64 = 500;

/// Operations are kept at least this long: a pass kills the survivors of operations stopped
/// in the last day (`operations::stopped_recently`).
const KEEP_OPERATIONS_SECS: u64 = 86_400;

/// What is older than the cutoff.
#[derive(Clone, Debug)]
pub(crate) struct Cutoff {
    /// Jobs ended and history rows written before this.
    pub(crate) time: DateTime<Utc>,
    /// Operations ended before this: `time`, or a day ago when that is earlier.
    pub(crate) operations: DateTime<Utc>,
}

impl Cutoff {
    /// Everything older than `secs` before `now`; `None` when out of range.
    pub(crate) fn before(now: DateTime<Utc>, secs: u64) -> Option<Cutoff> {
        let before = crate::model::duration::before;
        Some(Cutoff {
            time: before(now, secs)?,
            operations: before(now, secs.max(KEEP_OPERATIONS_SECS))?,
        })
    }

    /// The two times as stored, to compare in SQL (`?1`, `?2`).
    fn stored(&self) -> (String, String) {
        (stored(self.time), stored(self.operations))
    }
}

/// What a purge removed (or would remove).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Removed {
    pub(crate) jobs: u64,
    pub(crate) steps: u64,
    pub(crate) tasks: u64,
    pub(crate) operations: u64,
    pub(crate) history: u64,
    /// The removed jobs, whose task logs go once the transaction has committed.
    #[serde(skip)]
    pub(crate) job_ids: Vec<i64>,
}

impl Removed {
    /// Rows removed.
    pub(crate) fn rows(&self) -> u64 {
        self.jobs + self.steps + self.tasks + self.operations + self.history
    }

    pub(crate) fn add(&mut self, other: Removed) {
        self.jobs += other.jobs;
        self.steps += other.steps;
        self.tasks += other.tasks;
        self.operations += other.operations;
        self.history += other.history;
        self.job_ids.extend(other.job_ids);
    }
}

/// The jobs a purge removes (`?1`: the cutoff): ended before it with nothing live.
const JOBS: &str = "SELECT id FROM jobs j WHERE ended < ?1 AND id < (SELECT max(id) FROM jobs)
    AND NOT EXISTS (SELECT 1 FROM tasks t WHERE t.job = j.id AND t.status IN ('queued', 'running'))
    AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.ended IS NULL AND o.job = j.id)";

/// The ended operations a purge may remove (`?2`: the operations' cutoff).
const OLD_OPERATIONS: &str = "ended < ?2 AND id < (SELECT max(id) FROM operations)";

/// Those of them that belong to no job, or to a job that is gone.
const OPERATIONS: &str = "ended < ?2 AND id < (SELECT max(id) FROM operations)
    AND (job IS NULL OR job NOT IN (SELECT id FROM jobs))";

/// The history rows a purge removes (`?1`): written before the cutoff, but each registered
/// VM's latest status row.
const HISTORY: &str = "time < ?1 AND id < (SELECT max(id) FROM history)
    AND id NOT IN (SELECT kept FROM (
        SELECT (SELECT h.id FROM history h WHERE h.vm = v.name AND h.new_status IS NOT NULL
                ORDER BY h.id DESC LIMIT 1) AS kept
        FROM vms v) WHERE kept IS NOT NULL)";

/// Removes one batch, in the caller's transaction: jobs first (whole), then other ended
/// operations, then history rows, up to `BATCH` rows in all. Nothing removed: nothing is left.
fn batch(conn: &Connection, cutoff: &Cutoff) -> Result<Removed> {
    let (time, operations) = cutoff.stored();
    let mut removed = Removed::default();
    let jobs: Vec<i64> = conn
        .prepare_cached(&format!("{JOBS} LIMIT {BATCH}"))?
        .query_map([&time], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    for job in jobs {
        if removed.rows() >= BATCH {
            break;
        }
        let count = |sql: &str| -> Result<u64> {
            Ok(conn.prepare_cached(sql)?.query_row([job], |r| r.get(0))?)
        };
        removed.steps += count("SELECT count(*) FROM steps WHERE job = ?1")?;
        removed.tasks += count("SELECT count(*) FROM tasks WHERE job = ?1")?;
        // Those ended less than a day ago stay, for the next passes' kills; they go later,
        // as operations of a job that is gone.
        let sql = format!("DELETE FROM operations WHERE job = ?1 AND {OLD_OPERATIONS}");
        removed.operations += conn
            .prepare_cached(&sql)?
            .execute(params![job, operations])? as u64;
        // Steps and tasks go with their job (ON DELETE CASCADE).
        conn.prepare_cached("DELETE FROM jobs WHERE id = ?1")?
            .execute([job])?;
        removed.jobs += 1;
        removed.job_ids.push(job);
    }
    let left = BATCH.saturating_sub(removed.rows());
    if left > 0 {
        let sql = format!(
            "DELETE FROM operations WHERE id IN (SELECT id FROM operations WHERE {OPERATIONS} LIMIT {left})"
        );
        removed.operations += conn
            .prepare_cached(&sql)?
            .execute(params![time, operations])? as u64;
    }
    let left = BATCH.saturating_sub(removed.rows());
    if left > 0 {
        let sql = format!(
            "DELETE FROM history WHERE id IN (SELECT id FROM history WHERE {HISTORY} LIMIT {left})"
        );
        removed.history += conn.prepare_cached(&sql)?.execute([&time])? as u64;
    }
    Ok(removed)
}

/// Removes one batch in its own transaction, then leaves the database to other writers for as
/// long as the batch held it: a writer waiting in SQLite's busy handler retries after sleeps
/// of a few milliseconds, and back-to-back batches would let it in only by chance.
pub(crate) fn step(store: &mut Store, cutoff: &Cutoff) -> Result<Removed> {
    let began = Instant::now();
    let removed = store.write(|tx| batch(tx, cutoff))?;
    std::thread::sleep(began.elapsed());
    Ok(removed)
}

/// What a purge with `cutoff` would remove, counted in one read (`--dry-run`); the job ids
/// are those whose logs would go.
pub(crate) fn count(conn: &Connection, cutoff: &Cutoff) -> Result<Removed> {
    let (time, operations) = cutoff.stored();
    let one =
        |sql: String| -> Result<u64> { Ok(conn.prepare(&sql)?.query_row([&time], |r| r.get(0))?) };
    let both = |sql: String| -> Result<u64> {
        let values = params![time, operations];
        Ok(conn.prepare(&sql)?.query_row(values, |r| r.get(0))?)
    };
    let job_ids = conn
        .prepare(JOBS)?
        .query_map([&time], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Removed {
        jobs: one(format!("SELECT count(*) FROM ({JOBS})"))?,
        steps: one(format!("SELECT count(*) FROM steps WHERE job IN ({JOBS})"))?,
        tasks: one(format!("SELECT count(*) FROM tasks WHERE job IN ({JOBS})"))?,
        operations: both(format!(
            "SELECT count(*) FROM operations
             WHERE (job IN ({JOBS}) AND {OLD_OPERATIONS}) OR ({OPERATIONS})"
        ))?,
        history: one(format!("SELECT count(*) FROM history WHERE {HISTORY}"))?,
        job_ids,
    })
}
