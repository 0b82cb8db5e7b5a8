//! The working state of one pass: VMs with what the pass decided about them, host counters
//! kept in step with every status change, jobs in visiting order, domains, ended tasks.

mod host;
mod vm;

pub(crate) use host::Host;
pub(crate) use vm::Vm;

use super::ownership::{Domain, DomainKey};
use super::Action;
use crate::model::{
    JobState, KillReason, MarkReason, State, StepState, TaskKey, TaskState, TaskStatus, VmStatus,
};
use rustc_hash::FxBuildHasher;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

/// A job with its steps in visiting order (§1.4): they are `WorkingState::steps[steps]`.
pub(crate) struct JobView<'s> {
    pub(crate) job: &'s JobState,
    pub(crate) steps: Range<usize>,
}

/// A step with its tasks in visiting order: they are `WorkingState::tasks[tasks]`.
#[derive(Clone)]
pub(crate) struct StepView<'s> {
    pub(crate) step: &'s StepState,
    pub(crate) tasks: Range<usize>,
}

/// A task with the index of its VM, looked up once per pass.
#[derive(Clone, Copy)]
pub(crate) struct TaskView<'s> {
    pub(crate) task: &'s TaskState,
    /// `None` when no VM of the state has the task's VM name.
    pub(crate) vm: Option<usize>,
}

/// A task recorded as running: (job, step, task, tries).
pub(crate) type RunningTask = (i64, u32, u32, u32);

/// The working state of a pass: VMs in name order, jobs in job order, hosts, domains, and the
/// tasks that classification ended.
pub(crate) struct WorkingState<'s> {
    pub(crate) state: &'s State,
    pub(crate) vms: Vec<Vm<'s>>,
    pub(crate) jobs: Vec<JobView<'s>>,
    /// The steps of all jobs, each job's together (one vector for the whole pass, as few
    /// allocations as possible on a queue of a hundred thousand tasks).
    pub(crate) steps: Vec<StepView<'s>>,
    /// The tasks of all steps, each step's together.
    pub(crate) tasks: Vec<TaskView<'s>>,
    /// The hosts, in the order their VMs first appear by name; `Vm::host_ix` points here.
    pub(crate) hosts: Vec<Host>,
    /// The tasks recorded as running on each VM, by VM index, in job, step, task order.
    pub(crate) running: BTreeMap<usize, Vec<RunningTask>>,
    pub(crate) domains: BTreeMap<DomainKey, Domain>,
    /// Tasks ended by classification, by (job, step, task): a requeued task is queued for the
    /// rest of the pass, a failed one is finished.
    pub ended: BTreeMap<TaskKey, TaskStatus>,
}

impl<'s> WorkingState<'s> {
    /// Builds the working state with every recorded worker taken as live until classification
    /// says otherwise, and the hosts counted from that.
    pub(crate) fn new(state: &'s State) -> WorkingState<'s> {
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
                live_child: row.child.is_live(),
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
        let mut lab = WorkingState {
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
    pub(crate) fn index(&self, name: &str) -> Option<usize> {
        self.vms
            .binary_search_by(|vm| vm.row.name.as_str().cmp(name))
            .ok()
    }

    /// The host of VM `i`.
    pub(crate) fn host(&self, i: usize) -> &Host {
        &self.hosts[self.vms[i].host_ix]
    }

    /// The host of VM `i`, to count a decision.
    pub(crate) fn host_mut(&mut self, i: usize) -> &mut Host {
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
    pub(crate) fn set(&mut self, i: usize, status: VmStatus, live_child: bool) {
        self.tally(i, false);
        self.vms[i].status = status;
        self.vms[i].live_child = live_child;
        self.tally(i, true);
    }

    /// Sets a VM's status without an operation and says so in a `mark` action.
    pub(crate) fn mark(&mut self, i: usize, status: VmStatus, reason: MarkReason) -> Action {
        self.set(i, status, false);
        Action::Mark {
            vm: self.vms[i].row.name.clone(),
            status,
            reason,
        }
    }

    /// Kills a VM's worker (its status stays) and says so in a `kill` action.
    pub(crate) fn kill(&mut self, i: usize, reason: KillReason) -> Action {
        self.set(i, self.vms[i].status, false);
        Action::Kill {
            vm: self.vms[i].row.name.clone(),
            reason,
        }
    }

    /// A task's status for this pass: as recorded, unless classification ended it (only
    /// running tasks are ended, so no other task is looked up).
    pub(crate) fn task_status(&self, job: i64, step: u32, task: &TaskState) -> TaskStatus {
        if task.status != TaskStatus::Running {
            return task.status;
        }
        self.ended
            .get(&TaskKey::new(job, step, task.no))
            .copied()
            .unwrap_or(task.status)
    }
}
