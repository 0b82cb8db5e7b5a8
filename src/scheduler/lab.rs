//! The working state of one pass: VMs with what the pass decided about them, host counters
//! kept in step with every status change, jobs in visiting order, domains, ended tasks.

use super::ownership::{Domain, DomainKey};
use super::Action;
use crate::model::{
    Child, JobState, Limits, Role, State, StepState, TaskState, TaskStatus, VmState, VmStatus,
};
use rustc_hash::FxBuildHasher;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

/// A VM as the pass sees it: its row, plus what the pass has decided about it so far.
pub(crate) struct Vm<'s> {
    /// The VM as the state file gives it (the pass never changes it).
    pub row: &'s VmState,
    /// Its host key: limits and counters are per host.
    pub host: String,
    /// Its host's place in `Lab::hosts`.
    pub host_ix: usize,
    /// Its status as decided so far in this pass.
    pub status: VmStatus,
    /// A worker acts on this VM and goes on doing so: alive and not killed by this pass, or
    /// started by it. Such a VM may not start anything new (§5.1).
    pub live_child: bool,
    /// Doing something that must not be disturbed (§3).
    pub busy: bool,
    /// Powered on but expendable: may be stolen or sacrificed (§3, §5.2, §6).
    pub lamb: bool,
    /// Consecutive failures, as classification updates them.
    pub errors: u32,
}

impl Vm<'_> {
    /// The VM's name, as actions and reasons show it.
    pub fn name(&self) -> &str {
        &self.row.name
    }

    /// Retired and deleted VMs are never scheduled nor counted.
    pub fn enabled(&self) -> bool {
        self.row.role.is_enabled()
    }

    /// The domain this instance shares with its siblings.
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

/// A job with its steps in visiting order (§1.4): they are `Lab::steps[steps]`.
pub(crate) struct JobView<'s> {
    pub job: &'s JobState,
    pub steps: Range<usize>,
}

/// A step with its tasks in visiting order: they are `Lab::tasks[tasks]`.
#[derive(Clone)]
pub(crate) struct StepView<'s> {
    pub step: &'s StepState,
    pub tasks: Range<usize>,
}

/// A task with the index of its VM, looked up once per pass.
#[derive(Clone, Copy)]
pub(crate) struct TaskView<'s> {
    pub task: &'s TaskState,
    /// `None` when no VM of the state has the task's VM name.
    pub vm: Option<usize>,
}

/// A task recorded as running: (job, step, task, tries).
pub(crate) type RunningTask = (i64, u32, u32, u32);

/// The working state of a pass: VMs in name order, jobs in job order, hosts, domains, and the
/// tasks that classification ended.
pub(crate) struct Lab<'s> {
    pub state: &'s State,
    pub vms: Vec<Vm<'s>>,
    pub jobs: Vec<JobView<'s>>,
    /// The steps of all jobs, each job's together (one vector for the whole pass, as few
    /// allocations as possible on a queue of a hundred thousand tasks).
    pub steps: Vec<StepView<'s>>,
    /// The tasks of all steps, each step's together.
    pub tasks: Vec<TaskView<'s>>,
    /// The hosts, in the order their VMs first appear by name; `Vm::host_ix` points here.
    pub hosts: Vec<Host>,
    /// The tasks recorded as running on each VM, by VM index, in job, step, task order.
    pub running: BTreeMap<usize, Vec<RunningTask>>,
    pub domains: BTreeMap<DomainKey, Domain>,
    /// Tasks ended by classification, by (job, step, task): a requeued task is queued for the
    /// rest of the pass, a failed one is finished.
    pub ended: BTreeMap<(i64, u32, u32), TaskStatus>,
}

impl<'s> Lab<'s> {
    /// Builds the working state with every recorded worker taken as live until classification
    /// says otherwise, and the hosts counted from that.
    pub fn new(state: &'s State) -> Lab<'s> {
        // A URI is parsed once, not once per VM: a host has many VMs.
        let mut host_of: HashMap<&str, String, FxBuildHasher> = HashMap::default();
        let mut vms: Vec<Vm> = state
            .vms
            .iter()
            .map(|row| Vm {
                row,
                host: host_of
                    .entry(row.uri.as_str())
                    .or_insert_with(|| row.host())
                    .clone(),
                host_ix: 0,
                status: row.status,
                live_child: matches!(row.child, Child::Alive | Child::Stuck),
                busy: false,
                lamb: false,
                errors: row.errors,
            })
            .collect();
        vms.sort_by(|a, b| a.row.name.cmp(&b.row.name));
        let mut hosts = Vec::new();
        let mut host_ixs: BTreeMap<&str, usize> = BTreeMap::new();
        for vm in &mut vms {
            vm.host_ix = *host_ixs.entry(vm.host.as_str()).or_insert_with(|| {
                let (limits, paused) = state.host_limits(&vm.host);
                hosts.push(Host::new(limits, paused));
                hosts.len() - 1
            });
        }
        // One hash look-up per task: a binary search compares names a dozen times.
        let by_name: HashMap<&str, usize, FxBuildHasher> = (0..vms.len())
            .map(|i| (vms[i].row.name.as_str(), i))
            .collect();
        let index = |name: &str| by_name.get(name).copied();
        let mut by_order: Vec<&JobState> = state.jobs.iter().collect();
        by_order.sort_by_key(|job| (job.priority, job.id));
        let mut jobs = Vec::with_capacity(by_order.len());
        let step_count = by_order.iter().map(|job| job.steps.len()).sum();
        let task_count = by_order
            .iter()
            .flat_map(|job| &job.steps)
            .map(|step| step.tasks.len())
            .sum();
        let mut steps: Vec<StepView> = Vec::with_capacity(step_count);
        let mut tasks: Vec<TaskView> = Vec::with_capacity(task_count);
        let mut running: BTreeMap<usize, Vec<RunningTask>> = BTreeMap::new();
        for job in by_order {
            let first_step = steps.len();
            for step in &job.steps {
                let first_task = tasks.len();
                tasks.extend(step.tasks.iter().map(|task| TaskView {
                    task,
                    vm: index(&task.vm),
                }));
                tasks[first_task..].sort_by_key(|view| view.task.no);
                steps.push(StepView {
                    step,
                    tasks: first_task..tasks.len(),
                });
            }
            steps[first_step..].sort_by_key(|view| view.step.no);
            for view in &steps[first_step..] {
                for t in &tasks[view.tasks.clone()] {
                    if let (TaskStatus::Running, Some(i)) = (t.task.status, t.vm) {
                        let entry = (job.id, view.step.no, t.task.no, t.task.tries);
                        running.entry(i).or_default().push(entry);
                    }
                }
            }
            jobs.push(JobView {
                job,
                steps: first_step..steps.len(),
            });
        }
        let mut lab = Lab {
            state,
            vms,
            jobs,
            steps,
            tasks,
            hosts,
            running,
            domains: BTreeMap::new(),
            ended: BTreeMap::new(),
        };
        for i in 0..lab.vms.len() {
            lab.tally(i, true);
        }
        lab
    }

    /// The index of a VM by name (VMs are sorted by name).
    #[cfg(test)]
    pub fn index(&self, name: &str) -> Option<usize> {
        self.vms
            .binary_search_by(|vm| vm.row.name.as_str().cmp(name))
            .ok()
    }

    /// The host of VM `i`.
    pub fn host(&self, i: usize) -> &Host {
        &self.hosts[self.vms[i].host_ix]
    }

    /// The host of VM `i`, to count a decision.
    pub fn host_mut(&mut self, i: usize) -> &mut Host {
        &mut self.hosts[self.vms[i].host_ix]
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

    /// A task's status for this pass: as recorded, unless classification ended it (only
    /// running tasks are ended, so no other task is looked up).
    pub fn task_status(&self, job: i64, step: u32, task: &TaskState) -> TaskStatus {
        if task.status != TaskStatus::Running {
            return task.status;
        }
        self.ended
            .get(&(job, step, task.no))
            .copied()
            .unwrap_or(task.status)
    }
}
