//! Classification (docs/rules.md §3): children verdicts, disabled VMs, the busy and lamb sets,
//! the tasks of dead workers, host counters, and the monitors of offline VMs.

use super::{ownership, Action, Lab};
use crate::model::{Child, State, TaskStatus, VmStatus};

/// Classification actions with the index of the VM they concern, sorted by it at the end so
/// the plan lists them by VM name whatever the step that decided them.
type Out = Vec<(usize, Action)>;

/// Classifies every VM in name order, then registers domain owners and resolves conflicts.
/// Returns the working state and the classification actions, by VM name.
pub(crate) fn classify(state: &State) -> (Lab<'_>, Vec<Action>) {
    let mut lab = Lab::new(state);
    let mut out = Out::new();
    for i in 0..lab.vms.len() {
        if lab.vms[i].enabled() {
            classify_enabled(&mut lab, i, &mut out);
        } else {
            classify_disabled(&mut lab, i, &mut out);
        }
    }
    ownership::register(&mut lab, &mut out);
    out.sort_by_key(|(i, _)| *i);
    (lab, out.into_iter().map(|(_, action)| action).collect())
}

/// §3 step 1: a disabled VM keeps its domain only while a worker still acts on it (or an admin
/// holds it in maintenance); otherwise nothing may hold a domain for a VM that never runs.
fn classify_disabled(lab: &mut Lab, i: usize, out: &mut Out) {
    let vm = &mut lab.vms[i];
    if vm.live_child || vm.status == VmStatus::Maintenance {
        vm.busy = true;
    } else if vm.status != VmStatus::Off {
        let was = vm.status;
        out.push((i, lab.mark(i, VmStatus::Off, "disabled")));
        if was == VmStatus::Running {
            end_tasks(lab, i, out);
        }
    }
}

/// §3 steps 2 and 3 for an enabled VM.
fn classify_enabled(lab: &mut Lab, i: usize, out: &mut Out) {
    let status = lab.vms[i].status;
    match lab.vms[i].row.child {
        Child::Stuck => {
            out.push((i, lab.kill(i, "stuck process")));
            let new = match status {
                VmStatus::Reverting | VmStatus::Sleeping | VmStatus::Offline => {
                    lab.vms[i].add_error();
                    VmStatus::Offline
                }
                VmStatus::Maintenance => VmStatus::Maintenance,
                _ => VmStatus::Dirty,
            };
            if new != status {
                out.push((i, lab.mark(i, new, "stuck process")));
            }
            if status == VmStatus::Running {
                end_tasks(lab, i, out);
            }
        }
        Child::Alive => {
            if matches!(
                status,
                VmStatus::Maintenance | VmStatus::Idle | VmStatus::Off
            ) {
                out.push((i, lab.kill(i, "unexpected process")));
                if status != VmStatus::Maintenance {
                    out.push((i, lab.mark(i, VmStatus::Dirty, "unexpected process")));
                }
            }
        }
        child @ (Child::Dead | Child::None) => match status {
            VmStatus::Maintenance => {}
            // Its monitor died: still unchecked, one more failure.
            VmStatus::Offline if child == Child::Dead => lab.vms[i].add_error(),
            VmStatus::Offline => {}
            VmStatus::Running | VmStatus::Reverting | VmStatus::Sleeping => died(lab, i, out),
            _ if child == Child::Dead => died(lab, i, out),
            _ => {}
        },
    }
    let vm = &mut lab.vms[i];
    vm.busy = match vm.status {
        VmStatus::Maintenance | VmStatus::Offline | VmStatus::Running | VmStatus::Reverting => true,
        VmStatus::Dirty => vm.live_child,
        _ => false,
    };
    vm.lamb = !vm.busy
        && matches!(
            vm.status,
            VmStatus::Idle | VmStatus::Sleeping | VmStatus::Dirty
        );
}

/// A worker died or is missing: the domain is in an unknown state, so the VM is dirty, or
/// offline once it keeps failing so that a monitor checks it before it is used again.
fn died(lab: &mut Lab, i: usize, out: &mut Out) {
    let was = lab.vms[i].status;
    lab.vms[i].add_error();
    let new = if lab.vms[i].errors >= lab.state.max_errors {
        VmStatus::Offline
    } else {
        VmStatus::Dirty
    };
    out.push((i, lab.mark(i, new, "process died")));
    if was == VmStatus::Running {
        end_tasks(lab, i, out);
    }
}

/// Ends the tasks recorded as running on a VM whose task worker is gone, in job, step, task
/// order: requeued while tries remain, else failed. They are decided before tasks are
/// scheduled, so a requeued task may start again in this very pass.
fn end_tasks(lab: &mut Lab, i: usize, out: &mut Out) {
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
        lab.ended.insert((job, step, task), status);
        out.push((i, action));
    }
}

/// §3 step 5: a monitor for each VM that was already offline when the pass began, has no
/// worker, is due for a check and owns its domain. Only owners get one, so a monitor never
/// powers off a domain a sibling uses, and there is at most one per domain.
pub(crate) fn monitors(lab: &mut Lab) -> Vec<Action> {
    let mut out = Vec::new();
    for i in 0..lab.vms.len() {
        let vm = &lab.vms[i];
        let due = vm.row.status == VmStatus::Offline
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
