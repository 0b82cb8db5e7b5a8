//! Writes a plan's decisions in the pass's transaction: status changes, task changes,
//! operation rows and history, in the plan's order (a displaced owner's `off` row before its
//! thief's `reverting` row). Returns what the shell must do after the commit.

use super::history::{record, Entry};
use super::jobs::attempts;
use super::operations::{self, NewOperation, Operation};
use crate::model::{TaskStatus, VmState, VmStatus};
use crate::scheduler::{Action, Plan};
use crate::workers::process::Proc;
use anyhow::Result;
use rusqlite::{params, Connection};
use std::collections::BTreeMap;

/// Who the history names for the scheduler's own decisions.
pub const SCHEDULER: &str = "scheduler";

/// Deadlines of new operations, from the settings.
pub struct Deadlines {
    pub revert_secs: u64,
    pub monitor_secs: u64,
    pub task_margin_secs: u64,
}

/// What the shell does once the plan is written.
#[derive(Default)]
pub struct Applied {
    /// New operations that need a worker, with a label (`VM kind`) for progress lines.
    pub spawn: Vec<(i64, String)>,
    /// Processes to kill after the commit (leftover, stuck, displaced, sacrificed workers and
    /// the process groups of dead task workers).
    pub kill: Vec<Proc>,
}

/// The pass's view of the VMs while it writes: statuses change as actions are applied.
struct Pass<'a> {
    conn: &'a Connection,
    vms: BTreeMap<&'a str, &'a VmState>,
    status: BTreeMap<String, VmStatus>,
    ops: &'a BTreeMap<String, Operation>,
    deadlines: &'a Deadlines,
    applied: Applied,
}

/// Writes `plan` (decided from `vms` and their live `ops`) in the caller's transaction.
pub fn apply(
    conn: &Connection,
    vms: &[VmState],
    ops: &BTreeMap<String, Operation>,
    plan: &Plan,
    deadlines: &Deadlines,
) -> Result<Applied> {
    let mut pass = Pass {
        conn,
        vms: vms.iter().map(|vm| (vm.name.as_str(), vm)).collect(),
        status: vms.iter().map(|vm| (vm.name.clone(), vm.status)).collect(),
        ops,
        deadlines,
        applied: Applied::default(),
    };
    pass.applied.kill = operations::survivors(conn)?;
    pass.end_dead_operations()?;
    for (vm, errors) in &plan.errors {
        conn.execute(
            "UPDATE vms SET errors = ?1 WHERE name = ?2",
            params![errors, vm],
        )?;
    }
    for action in &plan.actions {
        pass.apply(action)?;
    }
    record_counters(conn, plan)?;
    Ok(pass.applied)
}

impl Pass<'_> {
    /// Ends the operations of workers that are gone, so their VMs are free for the plan; what
    /// is left of a dead worker's session and of its task's process group is killed too, so
    /// nothing of it keeps running (even a command whose group was not recorded yet).
    fn end_dead_operations(&mut self) -> Result<()> {
        for op in self.ops.values() {
            if !op.process.is_some_and(|p| p.is_alive()) {
                let procs = operations::stop(self.conn, op, "process died")?;
                self.applied.kill.extend(procs);
            }
        }
        Ok(())
    }

    /// Sets a VM's status and records the change.
    fn set_status(&mut self, vm: &str, new: VmStatus, detail: &str) -> Result<()> {
        let old = self.status.get(vm).copied();
        self.conn.execute(
            "UPDATE vms SET status = ?1 WHERE name = ?2",
            params![new.as_str(), vm],
        )?;
        self.status.insert(vm.to_string(), new);
        self.record(vm, old, Some(new), detail)
    }

    /// Records a decision about a VM that does not change its status.
    fn note(&self, vm: &str, detail: &str) -> Result<()> {
        let status = self.status.get(vm).copied();
        self.record(vm, status, status, detail)
    }

    /// Appends a history entry about a VM, by the scheduler.
    fn record(
        &self,
        vm: &str,
        old: Option<VmStatus>,
        new: Option<VmStatus>,
        detail: &str,
    ) -> Result<()> {
        let host = self.vms.get(vm).map(|v| v.host());
        record(
            self.conn,
            &Entry {
                vm: Some(vm),
                host: host.as_deref(),
                old_status: old.map(VmStatus::as_str),
                new_status: new.map(VmStatus::as_str),
                detail,
                user: SCHEDULER,
                reason: None,
            },
        )
    }

    /// Ends a VM's live worker (killed after the commit).
    fn stop_worker(&mut self, vm: &str, why: &str) -> Result<()> {
        if let Some(op) = self.ops.get(vm) {
            let procs = operations::stop(self.conn, op, why)?;
            self.applied.kill.extend(procs);
        }
        Ok(())
    }

    /// Records a new operation that a worker will carry out.
    fn start_operation(
        &mut self,
        vm: &str,
        kind: &str,
        secs: u64,
        task: Option<(i64, u32, u32)>,
    ) -> Result<()> {
        let id = operations::start(
            self.conn,
            &NewOperation {
                vm,
                kind,
                deadline: super::deadline_in(secs),
                task,
                by_user: SCHEDULER,
                ..NewOperation::default()
            },
        )?;
        self.applied.spawn.push((id, format!("{vm} {kind}")));
        Ok(())
    }

    fn apply(&mut self, action: &Action) -> Result<()> {
        match action {
            Action::Kill { vm, reason } => {
                self.stop_worker(vm, reason)?;
                self.note(vm, &format!("boterror {reason}"))?;
            }
            Action::Mark { vm, status, reason } => {
                self.set_status(vm, *status, &format!("{status} {reason}"))?
            }
            Action::Requeue {
                vm,
                job,
                step,
                task,
            } => {
                attempts::end_without_result(self.conn, (*job, *step, *task), TaskStatus::Queued)?;
                self.note(vm, &format!("task {job}/{step}/{task} requeued"))?;
            }
            Action::Fail {
                vm,
                job,
                step,
                task,
                status,
            } => {
                attempts::end_without_result(self.conn, (*job, *step, *task), *status)?;
                self.note(vm, &format!("task {job}/{step}/{task} {status}"))?;
            }
            Action::Monitor { vm } => {
                let secs = self.deadlines.monitor_secs;
                self.start_operation(vm, "monitor", secs, None)?;
            }
            Action::Start {
                vm,
                job,
                step,
                task,
            } => self.start_task(vm, *job, *step, *task)?,
            Action::Revert { vm, displaced } => {
                if let Some(owner) = displaced {
                    self.stop_worker(owner, &format!("stolen by {vm}"))?;
                    self.set_status(owner, VmStatus::Off, &format!("off stolen by {vm}"))?;
                }
                self.set_status(vm, VmStatus::Reverting, "reverting")?;
                let secs = self.deadlines.revert_secs;
                self.start_operation(vm, "revert", secs, None)?;
            }
            Action::Poweroff { vm, reason, for_vm } => {
                self.stop_worker(vm, "powered off")?;
                // docs/rules.md §8 labels: `dirty sacrifice for w10`, `dirty poweroff`.
                let detail = match for_vm {
                    Some(other) => format!("dirty {reason} for {other}"),
                    None => "dirty poweroff".to_string(),
                };
                self.set_status(vm, VmStatus::Dirty, &detail)?;
                let secs = self.deadlines.revert_secs;
                self.start_operation(vm, "poweroff", secs, None)?;
            }
        }
        Ok(())
    }

    /// Marks the task and the VM running and records the task's operation.
    fn start_task(&mut self, vm: &str, job: i64, step: u32, task: u32) -> Result<()> {
        let timeout = attempts::start(self.conn, (job, step, task))?;
        self.set_status(
            vm,
            VmStatus::Running,
            &format!("running {job} {step} {task}"),
        )?;
        let secs = timeout + self.deadlines.task_margin_secs;
        self.start_operation(vm, "task", secs, Some((job, step, task)))
    }
}

/// Records the task counters when they differ from the last recorded ones.
fn record_counters(conn: &Connection, plan: &Plan) -> Result<()> {
    let c = plan.counters;
    let detail = format!(
        "counters runnable {} queued {} blocked {}",
        c.runnable, c.queued, c.blocked
    );
    let last: Option<String> = conn
        .query_row(
            "SELECT detail FROM history WHERE vm IS NULL AND detail LIKE 'counters %' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .ok();
    if last.as_deref() != Some(detail.as_str()) {
        record(
            conn,
            &Entry {
                detail: &detail,
                user: SCHEDULER,
                ..Entry::default()
            },
        )?;
    }
    Ok(())
}
