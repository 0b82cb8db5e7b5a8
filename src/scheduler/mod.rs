//! The scheduling core: decides one pass from plain data. No I/O, no clock, no libvirt, no
//! SQLite — `plan(&State)` is a pure function, so a pass can be replayed from a state file.
//! This file holds the output types, the pass's working state and the order of the phases.

mod classify;
mod ownership;
mod reverts;
mod tasks;
#[cfg(test)]
mod tests;
mod waits;
mod working;

use crate::model::{KillReason, MarkReason, PoweroffReason, State, TaskStatus, VmStatus};
pub(crate) use ownership::{Group, Registration, Standing};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
pub(crate) use waits::TaskWait;
use working::{Vm, WorkingState};

/// One decision of a pass, in decision order (docs/interfaces.md, "Plan").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase", deny_unknown_fields)]
pub enum Action {
    /// Set a VM's status without an operation (classification, conflicts, disabled VMs).
    Mark {
        vm: String,
        status: VmStatus,
        reason: MarkReason,
    },
    /// End a running task of a VM whose worker died, for good (`boterror`).
    Fail {
        vm: String,
        job: i64,
        step: u32,
        task: u32,
        status: TaskStatus,
    },
    /// Kill a VM's leftover or stuck worker.
    Kill { vm: String, reason: KillReason },
    /// Put a running task of a VM whose worker died back in the queue (tries + 1).
    Requeue {
        vm: String,
        job: i64,
        step: u32,
        task: u32,
    },
    /// Start a monitor worker on an offline VM.
    Monitor { vm: String },
    /// Start a task worker on an idle VM.
    Start {
        vm: String,
        job: i64,
        step: u32,
        task: u32,
    },
    /// Start a revert worker; `displaced` is the sibling whose domain it takes.
    Revert {
        vm: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        displaced: Option<String>,
    },
    /// Start a power-off worker (`for` the VM a sacrifice makes room for).
    Poweroff {
        vm: String,
        reason: PoweroffReason,
        #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
        for_vm: Option<String>,
    },
}

impl Action {
    /// The VM the action is about.
    pub(crate) fn vm(&self) -> &str {
        match self {
            Action::Mark { vm, .. }
            | Action::Fail { vm, .. }
            | Action::Kill { vm, .. }
            | Action::Requeue { vm, .. }
            | Action::Monitor { vm }
            | Action::Start { vm, .. }
            | Action::Revert { vm, .. }
            | Action::Poweroff { vm, .. } => vm,
        }
    }
}

/// One line for an action, as `schedule-once --dry-run` prints it, e.g.
/// `revert w10_fr (displaces w10)`.
impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Mark { vm, status, reason } => write!(f, "mark {vm} {status} ({reason})"),
            Action::Fail {
                vm,
                job,
                step,
                task,
                status,
            } => write!(f, "fail {vm} task {job}/{step}/{task} {status}"),
            Action::Kill { vm, reason } => write!(f, "kill {vm} worker ({reason})"),
            Action::Requeue {
                vm,
                job,
                step,
                task,
            } => write!(f, "requeue {vm} task {job}/{step}/{task}"),
            Action::Monitor { vm } => write!(f, "monitor {vm}"),
            Action::Start {
                vm,
                job,
                step,
                task,
            } => write!(f, "start {vm} task {job}/{step}/{task}"),
            Action::Revert {
                vm,
                displaced: Some(owner),
            } => write!(f, "revert {vm} (displaces {owner})"),
            Action::Revert {
                vm,
                displaced: None,
            } => write!(f, "revert {vm}"),
            Action::Poweroff {
                vm,
                reason,
                for_vm: Some(other),
            } => write!(f, "poweroff {vm} ({reason} for {other})"),
            Action::Poweroff {
                vm,
                reason,
                for_vm: None,
            } => write!(f, "poweroff {vm} ({reason})"),
        }
    }
}

/// Task counters of a pass (docs/rules.md §4.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    pub runnable: u32,
    pub queued: u32,
    pub blocked: u32,
}

/// A non-free domain and its owner after the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Owner {
    pub uri: String,
    pub domain: String,
    pub owner: String,
}

/// A runnable or next-step need that got no action, and why, in an admin's words.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Waiting {
    pub(crate) vm: String,
    pub(crate) reason: String,
}

/// The outcome of a pass.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub counters: Counters,
    pub owners: Vec<Owner>,
    pub(crate) waiting: Vec<Waiting>,
    /// New error counts of VMs whose count changed (not part of the JSON contract: the shell
    /// writes them with the status changes).
    #[serde(skip)]
    pub errors: Vec<(String, u32)>,
}

/// Plans one pass: classification, monitors, task starts, reverts and sacrifices, then dirty
/// power-offs (docs/rules.md §3–§6). Each phase sees the decisions of the ones before it.
pub fn plan(state: &State) -> Plan {
    decide(state).0
}

/// The plan of one pass and, for every queued task it does not start, why it waits: the
/// commands that show waiting work ask the core, so they say what the next pass would.
pub(crate) fn explain(state: &State) -> (Plan, Vec<TaskWait>) {
    let (plan, lab, scheduled) = decide(state);
    let waits = waits::tasks(&lab, &scheduled, &plan);
    (plan, waits)
}

fn decide(state: &State) -> (Plan, WorkingState<'_>, tasks::Scheduled) {
    let (mut lab, mut actions) = classify::classify(state);
    actions.extend(classify::monitors(&mut lab));
    let mut scheduled = tasks::schedule(&mut lab);
    actions.append(&mut scheduled.starts);
    actions.extend(reverts::revert(
        &mut lab,
        &scheduled.needs,
        &mut scheduled.waits,
    ));
    actions.extend(reverts::power_off_dirty(&mut lab));
    let waiting = waiting(&lab, &scheduled, &actions);
    let plan = Plan {
        actions,
        counters: scheduled.counters,
        owners: ownership::owners(&lab),
        waiting,
        errors: lab
            .vms
            .iter()
            .filter(|vm| vm.errors != vm.row.errors)
            .map(|vm| (vm.row.name.clone(), vm.errors))
            .collect(),
    };
    (plan, lab, scheduled)
}

/// What a host holds now: its enabled VMs by stored status, counted as a pass counts them
/// against the host's limits (docs/rules.md §1.3, §3), and the queued tasks of its VMs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct HostCounts {
    /// Powered on: idle, sleeping, reverting, running or dirty.
    pub(crate) active: u32,
    pub(crate) idle: u32,
    pub(crate) sleeping: u32,
    pub(crate) reverting: u32,
    pub(crate) running: u32,
    pub(crate) dirty: u32,
    pub(crate) queued: u32,
}

/// The counts of every host key that has a VM, for `hosts list`.
pub(crate) fn host_counts(state: &State) -> BTreeMap<String, HostCounts> {
    let lab = WorkingState::new(state);
    let mut out: BTreeMap<String, HostCounts> = BTreeMap::new();
    for vm in &lab.vms {
        let host = &lab.hosts[vm.host_ix];
        out.entry(vm.host.clone()).or_insert(HostCounts {
            active: host.active,
            idle: host.idle,
            sleeping: host.sleeping,
            reverting: host.reverting,
            running: host.running,
            dirty: host.dirty,
            queued: 0,
        });
    }
    for view in &lab.tasks {
        if let (TaskStatus::Queued, Some(i)) = (view.task.status, view.vm) {
            if let Some(counts) = out.get_mut(&lab.vms[i].host) {
                counts.queued += 1;
            }
        }
    }
    out
}

/// The runnable and next-step needs that got neither a start nor a revert, in need order, so an
/// admin sees first what matters most.
fn waiting(lab: &WorkingState, scheduled: &tasks::Scheduled, actions: &[Action]) -> Vec<Waiting> {
    let acted: BTreeSet<&str> = actions
        .iter()
        .filter_map(|action| match action {
            Action::Start { vm, .. } | Action::Revert { vm, .. } => Some(vm.as_str()),
            _ => None,
        })
        .collect();
    scheduled
        .needs
        .in_order()
        .into_iter()
        .filter(|&i| scheduled.needs.tier(i) != tasks::Tier::Future)
        .filter(|&i| !acted.contains(lab.vms[i].row.name.as_str()))
        .map(|i| Waiting {
            vm: lab.vms[i].row.name.clone(),
            reason: scheduled.waits[&i].clone(),
        })
        .collect()
}
