//! The scheduling core: decides one pass from plain data. No I/O, no clock, no libvirt, no
//! SQLite — `plan(&State)` is a pure function, so a pass can be replayed from a state file.
//! This file holds the output types, the pass's working state and the order of the phases.

mod classify;
mod ownership;
mod reverts;
mod tasks;

use crate::model::{
    Child, JobState, Limits, Role, State, StepState, TaskState, TaskStatus, VmState, VmStatus,
};
use ownership::{Domain, DomainKey};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One decision of a pass, in decision order (DESIGN.md, "Plan").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase", deny_unknown_fields)]
pub enum Action {
    /// Set a VM's status without an operation (classification, conflicts, disabled VMs).
    Mark {
        vm: String,
        status: VmStatus,
        reason: String,
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
    Kill { vm: String, reason: String },
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
    /// Start a power-off worker (`reason` is `sacrifice` or `dirty`; `for` the VM it makes room for).
    Poweroff {
        vm: String,
        reason: String,
        #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
        for_vm: Option<String>,
    },
}

/// Task counters of a pass (SCHEDULER.md §4.3).
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
pub struct Waiting {
    pub vm: String,
    pub reason: String,
}

/// The outcome of a pass.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub actions: Vec<Action>,
    pub counters: Counters,
    pub owners: Vec<Owner>,
    pub waiting: Vec<Waiting>,
    /// New error counts of VMs whose count changed (not part of the JSON contract: the shell
    /// writes them with the status changes).
    #[serde(skip)]
    pub errors: Vec<(String, u32)>,
}

/// Plans one pass: classification, monitors, task starts, reverts and sacrifices, then dirty
/// power-offs (SCHEDULER.md §3–§6). Each phase sees the decisions of the ones before it.
pub fn plan(state: &State) -> Plan {
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
    Plan {
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
    }
}

/// The runnable and next-step needs that got neither a start nor a revert, in need order, so an
/// admin sees first what matters most.
fn waiting(lab: &Lab, scheduled: &tasks::Scheduled, actions: &[Action]) -> Vec<Waiting> {
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

/// A VM as the pass sees it: its row, plus what the pass has decided about it so far.
pub(crate) struct Vm<'s> {
    pub row: &'s VmState,
    pub host: String,
    pub status: VmStatus,
    /// A worker acts on this VM and goes on doing so: alive and not killed by this pass, or
    /// started by it. Such a VM may not start anything new (§5.1).
    pub live_child: bool,
    /// Doing something that must not be disturbed (§3).
    pub busy: bool,
    /// Powered on but expendable: may be stolen or sacrificed (§3, §5.2, §6).
    pub lamb: bool,
    pub errors: u32,
}

impl Vm<'_> {
    pub fn name(&self) -> &str {
        &self.row.name
    }

    pub fn enabled(&self) -> bool {
        self.row.role.is_enabled()
    }

    pub fn domain_key(&self) -> DomainKey {
        (self.row.uri.clone(), self.row.domain.clone())
    }

    /// How unlikely the VM is to be needed by the next job (§4.4); also breaks sacrifice ties,
    /// so the least useful VM goes first. Disabled roles never reach here.
    pub fn niceness(&self) -> u32 {
        let role = match self.row.role {
            Role::Base => 0,
            Role::Winetest => 10,
            _ => 20,
        };
        let kind = match self.row.kind.as_str() {
            "build" => 0,
            "win64" => 1,
            "win32" => 2,
            "wine" => 3,
            _ => 4,
        };
        role + kind
    }
}

/// One host's limits and counters (§3): counts of its enabled VMs by status, and its tasks.
pub(crate) struct Host {
    pub limits: Limits,
    pub paused: bool,
    pub active: u32,
    pub idle: u32,
    pub reverting: u32,
    pub sleeping: u32,
    pub running: u32,
    pub dirty: u32,
    pub dirty_child: u32,
    pub queued: u32,
}

impl Host {
    fn new(limits: Limits, paused: bool) -> Host {
        Host {
            limits,
            paused,
            active: 0,
            idle: 0,
            reverting: 0,
            sleeping: 0,
            running: 0,
            dirty: 0,
            dirty_child: 0,
            queued: 0,
        }
    }

    /// Adds or removes one VM from the counters; every status change goes through here, so
    /// the counters always match the statuses the pass has decided.
    fn tally(&mut self, status: VmStatus, child: bool, add: bool) {
        let bump = |n: &mut u32| if add { *n += 1 } else { *n -= 1 };
        let slot = match status {
            VmStatus::Idle => &mut self.idle,
            VmStatus::Sleeping => &mut self.sleeping,
            VmStatus::Reverting => &mut self.reverting,
            VmStatus::Running => &mut self.running,
            VmStatus::Dirty => &mut self.dirty,
            _ => return,
        };
        bump(slot);
        bump(&mut self.active);
        if status == VmStatus::Dirty && child {
            bump(&mut self.dirty_child);
        }
    }

    /// Reverts allowed at once: fewer while a task runs, so tests keep their speed (§6 step 2).
    pub fn max_reverts(&self) -> u32 {
        if self.running > 0 {
            self.limits.max_reverts_while_running
        } else {
            self.limits.max_reverting
        }
    }
}

/// A job with its steps and tasks in visiting order (§1.4).
pub(crate) struct JobView<'s> {
    pub job: &'s JobState,
    pub steps: Vec<(&'s StepState, Vec<&'s TaskState>)>,
}

/// The working state of a pass: VMs in name order, jobs in job order, hosts, domains, and the
/// tasks that classification ended.
pub(crate) struct Lab<'s> {
    pub state: &'s State,
    pub vms: Vec<Vm<'s>>,
    pub jobs: Vec<JobView<'s>>,
    pub hosts: BTreeMap<String, Host>,
    pub domains: BTreeMap<DomainKey, Domain>,
    /// Tasks ended by classification, by (job, step, task): a requeued task is queued for the
    /// rest of the pass, a failed one is finished.
    pub ended: BTreeMap<(i64, u32, u32), TaskStatus>,
}

impl<'s> Lab<'s> {
    /// Builds the working state with every recorded worker taken as live until classification
    /// says otherwise, and the hosts counted from that.
    fn new(state: &'s State) -> Lab<'s> {
        let mut vms: Vec<Vm> = state
            .vms
            .iter()
            .map(|row| Vm {
                row,
                host: row.host(),
                status: row.status,
                live_child: matches!(row.child, Child::Alive | Child::Stuck),
                busy: false,
                lamb: false,
                errors: row.errors,
            })
            .collect();
        vms.sort_by(|a, b| a.row.name.cmp(&b.row.name));
        let mut jobs: Vec<JobView> = state
            .jobs
            .iter()
            .map(|job| {
                let mut steps: Vec<_> = job
                    .steps
                    .iter()
                    .map(|step| {
                        let mut tasks: Vec<&TaskState> = step.tasks.iter().collect();
                        tasks.sort_by_key(|task| task.no);
                        (step, tasks)
                    })
                    .collect();
                steps.sort_by_key(|(step, _)| step.no);
                JobView { job, steps }
            })
            .collect();
        jobs.sort_by_key(|view| (view.job.priority, view.job.id));
        let mut hosts = BTreeMap::new();
        for vm in &vms {
            hosts.entry(vm.host.clone()).or_insert_with(|| {
                let (limits, paused) = state.host_limits(&vm.host);
                Host::new(limits, paused)
            });
        }
        let mut lab = Lab {
            state,
            vms,
            jobs,
            hosts,
            domains: BTreeMap::new(),
            ended: BTreeMap::new(),
        };
        for i in 0..lab.vms.len() {
            lab.tally(i, true);
        }
        lab
    }

    /// The index of a VM by name (VMs are sorted by name).
    pub fn index(&self, name: &str) -> Option<usize> {
        self.vms
            .binary_search_by(|vm| vm.row.name.as_str().cmp(name))
            .ok()
    }

    pub fn host(&self, i: usize) -> &Host {
        &self.hosts[&self.vms[i].host]
    }

    pub fn host_mut(&mut self, i: usize) -> &mut Host {
        self.hosts
            .get_mut(&self.vms[i].host)
            .expect("every VM's host is known")
    }

    fn tally(&mut self, i: usize, add: bool) {
        let vm = &self.vms[i];
        if vm.enabled() {
            let (status, child) = (vm.status, vm.live_child);
            self.host_mut(i).tally(status, child, add);
        }
    }

    /// Changes a VM's status and worker, keeping its host's counters in step (§3, last
    /// paragraph: later decisions see earlier ones).
    pub fn set(&mut self, i: usize, status: VmStatus, live_child: bool) {
        self.tally(i, false);
        self.vms[i].status = status;
        self.vms[i].live_child = live_child;
        self.tally(i, true);
    }

    /// Sets a VM's status without an operation and says so in a `mark` action.
    pub fn mark(&mut self, i: usize, status: VmStatus, reason: &str) -> Action {
        self.set(i, status, false);
        Action::Mark {
            vm: self.vms[i].row.name.clone(),
            status,
            reason: reason.to_string(),
        }
    }

    /// Kills a VM's worker (its status stays) and says so in a `kill` action.
    pub fn kill(&mut self, i: usize, reason: &str) -> Action {
        self.set(i, self.vms[i].status, false);
        Action::Kill {
            vm: self.vms[i].row.name.clone(),
            reason: reason.to_string(),
        }
    }

    /// A task's status for this pass: as recorded, unless classification ended it.
    pub fn task_status(&self, job: i64, step: u32, task: &TaskState) -> TaskStatus {
        self.ended
            .get(&(job, step, task.no))
            .copied()
            .unwrap_or(task.status)
    }
}
