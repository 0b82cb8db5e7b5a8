//! Classification (docs/rules.md §3): children verdicts, disabled VMs, the busy and lamb sets,
//! the tasks of dead workers, host counters, and the monitors of offline VMs.

use super::{ownership, Action, WorkingState};
use crate::model::{Child, KillReason, MarkReason, State, TaskKey, TaskStatus, VmState, VmStatus};

/// Classification actions with the index of the VM they concern, sorted by it at the end so
/// the plan lists them by VM name whatever the step that decided them.
type Out = Vec<(usize, Action)>;

/// Classifies every VM in name order, then registers domain owners and resolves conflicts.
/// Returns the working state and the classification actions, by VM name.
pub(crate) fn classify(state: &State) -> (WorkingState<'_>, Vec<Action>) {
    let mut lab = WorkingState::new(state);
    let mut out = Out::new();
    for i in 0..lab.vms.len() {
        let was = lab.vms[i].status;
        let c = classified(lab.vms[i].row, state.max_errors);
        if let Some(reason) = c.kill {
            out.push((i, lab.kill(i, reason)));
        }
        if let Some(reason) = c.mark {
            out.push((i, lab.mark(i, c.status, reason)));
        }
        if was == VmStatus::Running && c.status != VmStatus::Running {
            end_tasks(&mut lab, i, &mut out);
        }
        let vm = &mut lab.vms[i];
        (vm.errors, vm.busy, vm.lamb) = (c.errors, c.busy, c.lamb);
    }
    ownership::register(&mut lab, &mut out);
    out.sort_by_key(|(i, _)| *i);
    (lab, out.into_iter().map(|(_, action)| action).collect())
}

/// What classification (§3 steps 1–3) makes of one VM, before domain conflicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Classified {
    /// Its status for the rest of the pass.
    pub(crate) status: VmStatus,
    pub(crate) errors: u32,
    /// Its worker is killed, and why.
    pub(crate) kill: Option<KillReason>,
    /// Its status is recorded, and why: it changed, or a dead worker left it dirty.
    pub(crate) mark: Option<MarkReason>,
    pub(crate) busy: bool,
    pub(crate) lamb: bool,
}

/// Classifies one VM from its row alone. A pure function of the row and `max_errors`, so that
/// the commands that read the database judge a VM as the next pass will
/// (`scheduler::Standing::of`).
pub(crate) fn classified(vm: &VmState, max_errors: u32) -> Classified {
    use VmStatus::*;
    let status = vm.status;
    let mut c = Classified {
        status,
        errors: vm.errors,
        kill: None,
        mark: None,
        busy: false,
        lamb: false,
    };
    let worker = vm.child.is_live();
    if vm.child == Child::Stuck {
        c.kill = Some(KillReason::StuckProcess);
    }
    if !vm.role.is_enabled() {
        // §3 step 1: a disabled VM keeps its domain while a worker acts on it (a stuck one for
        // the rest of this pass: its task is ended once the worker is gone) or an admin holds
        // it in maintenance; otherwise nothing may hold a domain for a VM that never runs.
        if worker || status == Maintenance {
            c.busy = true;
        } else if status != Off {
            (c.status, c.mark) = (Off, Some(MarkReason::Disabled));
        }
        return c;
    }
    match vm.child {
        Child::Stuck => {
            c.status = match status {
                Reverting | Sleeping | Offline => {
                    c.errors = c.errors.saturating_add(1);
                    Offline
                }
                Maintenance => Maintenance,
                _ => Dirty,
            };
            c.mark = (c.status != status).then_some(MarkReason::StuckProcess);
        }
        Child::Alive if matches!(status, Maintenance | Idle | Off) => {
            c.kill = Some(KillReason::UnexpectedProcess);
            if status != Maintenance {
                (c.status, c.mark) = (Dirty, Some(MarkReason::UnexpectedProcess));
            }
        }
        Child::Alive => {}
        child @ (Child::Dead | Child::None) => match status {
            Maintenance => {}
            // Its monitor died: still unchecked, one more failure.
            Offline => c.errors = c.errors.saturating_add(u32::from(child == Child::Dead)),
            Running | Reverting | Sleeping => died(&mut c, max_errors),
            _ if child == Child::Dead => died(&mut c, max_errors),
            _ => {}
        },
    }
    c.busy = match c.status {
        Maintenance | Offline | Running | Reverting => true,
        Dirty => worker && c.kill.is_none(),
        _ => false,
    };
    c.lamb = !c.busy && matches!(c.status, Idle | Sleeping | Dirty);
    c
}

/// A worker died or is missing: the domain is in an unknown state, so the VM is dirty, or
/// offline once it keeps failing so that a monitor checks it before it is used again.
fn died(c: &mut Classified, max_errors: u32) {
    c.errors = c.errors.saturating_add(1);
    c.status = if c.errors >= max_errors {
        VmStatus::Offline
    } else {
        VmStatus::Dirty
    };
    c.mark = Some(MarkReason::ProcessDied);
}

/// Ends the tasks recorded as running on a VM whose task worker is gone, in job, step, task
/// order: requeued while tries remain, else failed. They are decided before tasks are
/// scheduled, so a requeued task may start again in this very pass.
fn end_tasks(lab: &mut WorkingState, i: usize, out: &mut Out) {
    let running = lab.running.get(&i).cloned().unwrap_or_default();
    for (job, step, task, tries) in running {
        let vm = lab.vms[i].row.name.clone();
        let (status, action) = if tries.saturating_add(1) < lab.state.max_task_tries {
            let action = Action::Requeue {
                vm,
                job,
                step,
                task,
            };
            (TaskStatus::Queued, action)
        } else {
            let status = TaskStatus::Boterror;
            let action = Action::Fail {
                vm,
                job,
                step,
                task,
                status,
            };
            (status, action)
        };
        lab.ended.insert(TaskKey::new(job, step, task), status);
        out.push((i, action));
    }
}

/// §3 step 5: a monitor for each enabled VM that was already offline when the pass began,
/// has no worker, is due for a check and owns its domain. Only owners get one, so a monitor never
/// powers off a domain a sibling uses, and there is at most one per domain.
pub(crate) fn monitors(lab: &mut WorkingState) -> Vec<Action> {
    let mut out = Vec::new();
    for i in 0..lab.vms.len() {
        let vm = &lab.vms[i];
        let due = vm.enabled()
            && vm.row.status == VmStatus::Offline
            && vm.status == VmStatus::Offline
            && !vm.live_child
            && vm.row.monitor_due;
        if due && ownership::access(lab, i, false).granted() {
            lab.vms[i].live_child = true;
            out.push(Action::Monitor {
                vm: lab.vms[i].row.name.clone(),
            });
        }
    }
    out
}
