//! Loads what a scheduling pass plans from: VMs with their live operations, host limits and
//! the unfinished jobs, as the core's `State`. Child verdicts and monitor timing need the
//! clock and /proc, so the caller fills them in.

use super::operations::{self, Operation};
use crate::model::{Child, HostSpec, JobState, LimitSpec, State, StepState, TaskState, VmState};
use anyhow::{Context, Result};
use rusqlite::Connection;
use std::collections::BTreeMap;

/// The state as stored, plus what the shell needs to judge each VM's child.
pub struct Loaded {
    /// `child` is `none` and `monitor_due` true until the caller judges them.
    pub state: State,
    /// The live operation of each VM that has one.
    pub operations: BTreeMap<String, Operation>,
    /// The last monitor check of each VM that had one.
    pub last_check: BTreeMap<String, String>,
}

fn parse<T: std::str::FromStr<Err = String>>(text: String, what: &str) -> Result<T> {
    text.parse()
        .map_err(|e: String| anyhow::anyhow!("corrupt {what} in the database: {e}"))
}

/// Reads the whole scheduling state in the caller's transaction.
pub fn load(
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
        if let Some(check) = r.get::<_, Option<String>>(8)? {
            last_check.insert(name.clone(), check);
        }
        vms.push(VmState {
            kind: r.get(1)?,
            role: parse(r.get(2)?, "role")?,
            status: parse(r.get(3)?, "status")?,
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

/// The queued and running jobs with all their steps and tasks, in job order.
fn jobs(conn: &Connection) -> Result<Vec<JobState>> {
    let mut jobs: Vec<JobState> = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT j.id, j.priority, j.status, s.no, s.previous, s.status, t.no, t.vm, t.status, t.timeout, t.tries
         FROM jobs j JOIN steps s ON s.job = j.id JOIN tasks t ON t.job = s.job AND t.step = s.no
         WHERE j.status IN ('queued', 'running')
         ORDER BY j.priority, j.id, s.no, t.no",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        if jobs.last().is_none_or(|j| j.id != id) {
            jobs.push(JobState {
                id,
                priority: r.get(1)?,
                status: parse(r.get(2)?, "job status")?,
                steps: Vec::new(),
            });
        }
        let job = jobs.last_mut().context("job row")?;
        let no: u32 = r.get(3)?;
        if job.steps.last().is_none_or(|s| s.no != no) {
            job.steps.push(StepState {
                no,
                previous: r.get(4)?,
                status: parse(r.get(5)?, "step status")?,
                tasks: Vec::new(),
            });
        }
        let step = job.steps.last_mut().context("step row")?;
        step.tasks.push(TaskState {
            no: r.get(6)?,
            vm: r.get(7)?,
            status: parse(r.get(8)?, "task status")?,
            timeout: r.get(9)?,
            tries: r.get(10)?,
        });
    }
    Ok(jobs)
}
