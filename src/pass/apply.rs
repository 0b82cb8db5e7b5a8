//! Writes a plan's decisions in the pass's transaction: status changes, task changes,
//! operation rows (with no process yet) and history, in the plan's order (a displaced owner's
//! `off` row before its thief's `reverting` row). Returns what the pass must do after the
//! commit: the workers to start and the processes to kill.

use crate::model::{Child, OpKind, State, TaskKey, TaskStatus, VmState, VmStatus};
use crate::process::Proc;
use crate::scheduler::{Action, Plan};
use crate::store::deadline::Deadline;
use crate::store::history::{self, Entry, Event, Kind};
use crate::store::jobs::{self, attempts, attempts::NoResult};
use crate::store::operations::{self, NewOperation, Operation, Stop};
use crate::store::vms::{self, Errors, StatusChange};
use crate::store::Conn;
use anyhow::{Context, Result};
use std::collections::{BTreeMap, BTreeSet};

/// Who the history names for the scheduler's own decisions.
pub(crate) const SCHEDULER: &str = "scheduler";

/// Deadlines of new operations, from the settings.
pub(crate) struct Deadlines {
    pub(crate) revert_secs: u64,
    pub(crate) monitor_secs: u64,
    pub(crate) task_margin_secs: u64,
}

/// A new operation that needs a worker.
pub(crate) struct ToSpawn {
    pub(crate) operation: i64,
    /// What the progress line of `--wait` says, e.g. `w10 revert`.
    pub(crate) label: String,
}

/// What the pass does once the plan is committed.
#[derive(Default)]
pub(crate) struct Applied {
    pub(crate) spawn: Vec<ToSpawn>,
    /// Processes to kill (stuck, leftover, displaced, sacrificed workers and the process
    /// groups of dead task workers).
    pub(crate) kill: Vec<Proc>,
    /// Processes of operations stopped earlier that may have survived a pass killed between
    /// its commit and its kills: killed when still alive.
    pub(crate) survivors: Vec<Proc>,
}

/// The pass's view of the VMs while it writes: statuses change as actions are applied.
struct Writer<'a> {
    conn: &'a Conn,
    /// The VMs' error counts that the plan changes.
    errors: BTreeMap<&'a str, u32>,
    max_errors: u32,
    vms: BTreeMap<&'a str, &'a VmState>,
    status: BTreeMap<String, VmStatus>,
    ops: &'a BTreeMap<String, Operation>,
    deadlines: &'a Deadlines,
    /// Jobs whose tasks changed: each is rolled up once, at the end.
    touched: BTreeSet<i64>,
    applied: Applied,
}

/// Writes `plan`, decided from `state` (with the pass's child verdicts) and the VMs' live
/// `ops`, in the caller's transaction.
pub(crate) fn apply(
    conn: &Conn,
    state: &State,
    ops: &BTreeMap<String, Operation>,
    plan: &Plan,
    deadlines: &Deadlines,
) -> Result<Applied> {
    let vms = &state.vms;
    let mut writer = Writer {
        conn,
        errors: plan
            .errors
            .iter()
            .map(|(vm, e)| (vm.as_str(), *e))
            .collect(),
        max_errors: state.max_errors,
        vms: vms.iter().map(|vm| (vm.name.as_str(), vm)).collect(),
        status: vms.iter().map(|vm| (vm.name.clone(), vm.status)).collect(),
        ops,
        deadlines,
        touched: BTreeSet::new(),
        applied: Applied::default(),
    };
    writer.applied.survivors = operations::stopped_recently(conn)?;
    writer.end_dead_operations(vms)?;
    for (vm, errors) in &plan.errors {
        vms::set_errors(conn, vm, *errors)?;
    }
    for action in &plan.actions {
        writer.apply(action)?;
    }
    for job in &writer.touched {
        jobs::roll_up(conn, *job)?;
    }
    let c = plan.counters;
    history::record_counters(conn, SCHEDULER, (c.runnable, c.queued, c.blocked))?;
    Ok(writer.applied)
}

impl Writer<'_> {
    /// Ends the operations of the workers this pass judged dead, so their VMs are free for
    /// the plan; what is left of a dead worker's session and of its task's process group is
    /// killed too, so nothing of it keeps running (even a command whose group was not
    /// recorded yet).
    fn end_dead_operations(&mut self, vms: &[VmState]) -> Result<()> {
        for vm in vms.iter().filter(|vm| vm.child == Child::Dead) {
            if let Some(op) = self.ops.get(&vm.name) {
                let procs = operations::stop(self.conn, op, Stop::ProcessDied)?;
                self.applied.kill.extend(procs);
            }
        }
        Ok(())
    }

    /// Sets a VM's status and records the change. Going offline is a line for cron first in a
    /// streak of failures and at max_errors (docs/rules.md §7).
    fn set_status(&mut self, vm: &str, new: VmStatus, event: Event) -> Result<()> {
        let old = *self
            .status
            .get(vm)
            .with_context(|| format!("the plan names an unknown VM `{vm}`"))?;
        self.status.insert(vm.to_string(), new);
        let errors = self.errors.get(vm).copied();
        let alert = new == VmStatus::Offline
            && old != VmStatus::Offline
            && errors.is_some_and(|e| e == 1 || e == self.max_errors);
        let host = self.vms.get(vm).map(|v| v.host());
        vms::set_status(
            self.conn,
            &StatusChange {
                vm,
                host: host.as_deref(),
                from: old,
                to: new,
                errors: Errors::Keep,
                event: event.alert(alert),
                user: SCHEDULER,
                reason: None,
            },
        )
    }

    /// Records a decision about a VM that does not change its status.
    fn note(&self, vm: &str, event: Event) -> Result<()> {
        let status = self.status.get(vm).map(|s| s.as_str());
        let host = self.vms.get(vm).map(|v| v.host());
        history::record(
            self.conn,
            &Entry {
                vm: Some(vm),
                host: host.as_deref(),
                old_status: status,
                new_status: status,
                ..Entry::new(SCHEDULER, event)
            },
        )
    }

    /// Ends a VM's live worker (killed after the commit).
    fn stop_worker(&mut self, vm: &str, why: Stop) -> Result<()> {
        if let Some(op) = self.ops.get(vm) {
            let procs = operations::stop(self.conn, op, why)?;
            self.applied.kill.extend(procs);
        }
        Ok(())
    }

    /// Records a new operation that a worker will carry out once the plan is committed.
    fn start_operation(
        &mut self,
        vm: &str,
        kind: OpKind,
        secs: u64,
        task: Option<TaskKey>,
    ) -> Result<()> {
        let id = operations::start(
            self.conn,
            &NewOperation {
                vm,
                kind,
                deadline: Deadline::in_secs(secs),
                task,
                by_user: SCHEDULER,
                process: None,
            },
        )?;
        self.applied.spawn.push(ToSpawn {
            operation: id,
            label: format!("{vm} {kind}"),
        });
        Ok(())
    }

    /// Ends a running task's attempt without a result of its own.
    fn end_attempt(&mut self, vm: &str, task: TaskKey, status: TaskStatus) -> Result<()> {
        attempts::end_without_result(self.conn, task, status, NoResult::WorkerDied)?;
        self.touched.insert(task.job);
        let what = match status {
            TaskStatus::Queued => "requeued".to_string(),
            other => other.to_string(),
        };
        let detail = format!("task {task} {what}");
        let event = Event::new(Kind::Task, &detail)
            .task(task)
            .result(status.as_str())
            .alert(status == TaskStatus::Boterror);
        self.note(vm, event)
    }

    fn apply(&mut self, action: &Action) -> Result<()> {
        match action {
            Action::Kill { vm, reason } => {
                self.stop_worker(vm, Stop::Killed(*reason))?;
                let detail = format!("boterror {reason}");
                self.note(vm, Event::new(Kind::Stop, &detail))?;
            }
            Action::Mark { vm, status, reason } => {
                let detail = format!("{status} {reason}");
                self.set_status(vm, *status, Event::new(Kind::Status, &detail))?
            }
            Action::Requeue {
                vm,
                job,
                step,
                task,
            } => self.end_attempt(vm, TaskKey::new(*job, *step, *task), TaskStatus::Queued)?,
            Action::Fail {
                vm,
                job,
                step,
                task,
                status,
            } => self.end_attempt(vm, TaskKey::new(*job, *step, *task), *status)?,
            Action::Monitor { vm } => {
                let secs = self.deadlines.monitor_secs;
                self.start_operation(vm, OpKind::Monitor, secs, None)?;
            }
            Action::Start {
                vm,
                job,
                step,
                task,
            } => self.start_task(vm, TaskKey::new(*job, *step, *task))?,
            Action::Revert { vm, displaced } => {
                if let Some(owner) = displaced {
                    self.stop_worker(owner, Stop::StolenBy(vm))?;
                    let detail = format!("off stolen by {vm}");
                    let event = Event::new(Kind::Steal, &detail).for_vm(vm);
                    self.set_status(owner, VmStatus::Off, event)?;
                }
                let event = Event::new(Kind::Status, "reverting");
                self.set_status(vm, VmStatus::Reverting, event)?;
                let secs = self.deadlines.revert_secs;
                self.start_operation(vm, OpKind::Revert, secs, None)?;
            }
            Action::Poweroff { vm, reason, for_vm } => {
                self.stop_worker(vm, Stop::PoweredOff)?;
                // docs/rules.md §8 labels: `dirty sacrifice for w10`, `dirty poweroff`.
                let detail;
                let event = match for_vm {
                    Some(other) => {
                        detail = format!("dirty {reason} for {other}");
                        Event::new(Kind::Sacrifice, &detail).for_vm(other)
                    }
                    None => Event::new(Kind::Status, "dirty poweroff"),
                };
                self.set_status(vm, VmStatus::Dirty, event)?;
                let secs = self.deadlines.revert_secs;
                self.start_operation(vm, OpKind::Poweroff, secs, None)?;
            }
        }
        Ok(())
    }

    /// Marks the task and the VM running and records the task's operation.
    fn start_task(&mut self, vm: &str, task: TaskKey) -> Result<()> {
        let timeout = attempts::start(self.conn, task)?;
        self.touched.insert(task.job);
        let TaskKey {
            job,
            step,
            task: no,
        } = task;
        let detail = format!("running {job} {step} {no}");
        let event = Event::new(Kind::Start, &detail).task(task);
        self.set_status(vm, VmStatus::Running, event)?;
        let secs = timeout + self.deadlines.task_margin_secs;
        self.start_operation(vm, OpKind::Task, secs, Some(task))
    }
}
