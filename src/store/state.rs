//! Loads what a scheduling pass plans from: VMs with their live operations, host limits and
//! the unfinished jobs, as the core's `State`. Child verdicts and monitor timing need the
//! clock and /proc, so the caller fills them in.

use super::operations::{self, Operation};
use crate::model::{Child, HostSpec, JobState, LimitSpec, State, StepState, TaskState, VmState};
use anyhow::{Context, Result};
use rusqlite::{Connection, Row};
use std::collections::{BTreeMap, HashMap};

/// The state as stored, plus what the shell needs to judge each VM's child.
pub struct Loaded {
    /// `child` is `none` and `monitor_due` true until the caller judges them.
    pub(crate) state: State,
    /// The live operation of each VM that has one.
    pub(crate) operations: BTreeMap<String, Operation>,
    /// The last monitor check of each VM that had one.
    pub(crate) last_check: BTreeMap<String, chrono::DateTime<chrono::Utc>>,
}

/// Reads the whole scheduling state in the caller's transaction.
pub(crate) fn load(
    conn: &Connection,
    max_errors: u32,
    max_task_tries: u32,
    revert_timeout: u64,
) -> Result<Loaded> {
    let mut hosts = BTreeMap::new();
    let mut limits = LimitSpec::default();
    let mut stmt = conn.prepare(
        "SELECT host, max_active, max_running, max_reverting, max_reverts_while_running,
                max_vms_when_idle, paused FROM hosts ORDER BY host",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let host: String = r.get(0)?;
        let spec = HostSpec {
            max_active: r.get(1)?,
            max_running: r.get(2)?,
            max_reverting: r.get(3)?,
            max_reverts_while_running: r.get(4)?,
            max_vms_when_idle: r.get(5)?,
            paused: r.get(6)?,
        };
        if host == "*" {
            limits = spec.limits();
        } else {
            hosts.insert(host, spec);
        }
    }

    let mut vms = Vec::new();
    let mut last_check = BTreeMap::new();
    let mut stmt = conn.prepare(
        "SELECT name, kind, role, status, uri, domain, snapshot, errors, last_check FROM vms ORDER BY name",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let name: String = r.get(0)?;
        if let Some(check) = super::opt_time_at(r, 8)? {
            last_check.insert(name.clone(), check);
        }
        vms.push(VmState {
            kind: r.get(1)?,
            role: word(r, 2, "role")?,
            status: word(r, 3, "status")?,
            uri: r.get(4)?,
            domain: r.get(5)?,
            snapshot: r.get(6)?,
            child: Child::None,
            errors: r.get(7)?,
            monitor_due: true,
            name,
        });
    }
    let operations = operations::live_by_vm(conn)?;

    Ok(Loaded {
        state: State {
            limits,
            hosts,
            max_errors,
            max_task_tries,
            revert_timeout,
            vms,
            jobs: jobs(conn)?,
        },
        operations,
        last_check,
    })
}

/// A status word of column `i`, read without copying the text.
fn word<T: std::str::FromStr<Err = String>>(r: &Row, i: usize, what: &str) -> Result<T> {
    r.get_ref(i)?
        .as_str()?
        .parse()
        .map_err(|e: String| anyhow::anyhow!("corrupt {what} in the database: {e}"))
}

/// The unfinished jobs, whose steps and tasks a pass loads.
const LIVE_JOBS: &str = "SELECT id FROM jobs WHERE status IN ('queued', 'running')";

/// The queued and running jobs with all their steps and tasks, in job order (priority, id;
/// steps and tasks by number). Jobs, steps and tasks are read by three index searches in no
/// particular order and put in order here: ordering one joined query made SQLite sort every
/// task row, the largest cost of a pass on a big queue.
fn jobs(conn: &Connection) -> Result<Vec<JobState>> {
    let mut jobs: Vec<JobState> = Vec::new();
    let mut job_at: HashMap<i64, usize> = HashMap::new();
    let mut stmt = conn
        .prepare("SELECT id, priority, status FROM jobs WHERE status IN ('queued', 'running')")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        job_at.insert(id, jobs.len());
        jobs.push(JobState {
            id,
            priority: r.get(1)?,
            status: word(r, 2, "job status")?,
            steps: Vec::new(),
        });
    }

    // (job index, step index) of each step, by (job id, step no).
    let mut step_at: HashMap<(i64, u32), (usize, usize)> = HashMap::new();
    let mut stmt = conn.prepare(&format!(
        "SELECT job, no, previous, status FROM steps WHERE job IN ({LIVE_JOBS})"
    ))?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (id, no): (i64, u32) = (r.get(0)?, r.get(1)?);
        let j = *job_at
            .get(&id)
            .context("corrupt database: a step of an unknown job")?;
        step_at.insert((id, no), (j, jobs[j].steps.len()));
        jobs[j].steps.push(StepState {
            no,
            previous: r.get(2)?,
            status: word(r, 3, "step status")?,
            tasks: Vec::new(),
        });
    }

    let mut stmt = conn.prepare(&format!(
        "SELECT job, step, no, vm, status, timeout, tries FROM tasks WHERE job IN ({LIVE_JOBS})"
    ))?;
    let mut rows = stmt.query([])?;
    // Tasks of one step come together: look the step up only when it changes.
    let mut last: Option<((i64, u32), (usize, usize))> = None;
    while let Some(r) = rows.next()? {
        let key: (i64, u32) = (r.get(0)?, r.get(1)?);
        let (j, s) = match last {
            Some((k, at)) if k == key => at,
            _ => {
                let at = *step_at
                    .get(&key)
                    .context("corrupt database: a task of an unknown step")?;
                last = Some((key, at));
                at
            }
        };
        jobs[j].steps[s].tasks.push(TaskState {
            no: r.get(2)?,
            vm: r.get(3)?,
            status: word(r, 4, "task status")?,
            timeout: r.get(5)?,
            tries: r.get(6)?,
        });
    }

    jobs.sort_by_key(|job| (job.priority, job.id));
    for job in &mut jobs {
        job.steps.sort_by_key(|step| step.no);
        for step in &mut job.steps {
            step.tasks.sort_by_key(|task| task.no);
        }
    }
    Ok(jobs)
}
