//! Tasks and needed VMs (docs/rules.md §4): step readiness, task counters and starts, and the
//! needed-VM entries with their priority tuples, future VMs included.

use super::working::{StepView, TaskView};
use super::{ownership, Action, Counters, WorkingState};
use crate::model::{JobState, StepState, TaskState, TaskStatus, VmStatus};
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// Why a VM is needed, most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tier {
    Runnable,
    NextStep,
    Future,
}

/// One needed VM (§4.1).
struct Need {
    tier: Tier,
    /// The job rank, or the future niceness for a future VM.
    rank: u32,
    /// The VM was not off when first added: it is likely still in the host's memory.
    hot: bool,
    /// Tasks wanting it, + 1 if it still needs a revert: a VM many tasks wait for goes first,
    /// since its tasks cannot run in parallel.
    count: u32,
    /// For a next-step VM, the VMs its previous step still needs.
    deps: Vec<usize>,
}

/// The needed VMs, by VM index (`None` for a VM nobody needs).
#[derive(Default)]
pub(crate) struct Needs(Vec<Option<Need>>);

/// The priority tuple of §4.1; VM indices follow name order, so the index breaks ties by name.
pub(crate) type Key = (Tier, u32, bool, Reverse<u32>, usize);

impl Needs {
    /// The VM's priority tuple, if it is needed.
    pub(crate) fn key(&self, i: usize) -> Option<Key> {
        self.get(i)
            .map(|n| (n.tier, n.rank, !n.hot, Reverse(n.count), i))
    }

    fn get(&self, i: usize) -> Option<&Need> {
        self.0.get(i).and_then(Option::as_ref)
    }

    fn need(&self, i: usize) -> &Need {
        self.get(i).expect("a needed VM")
    }

    /// Why a needed VM is needed.
    pub(crate) fn tier(&self, i: usize) -> Tier {
        self.need(i).tier
    }

    /// The VMs a next-step VM waits for before it is reverted (§6 step 3).
    pub(crate) fn deps(&self, i: usize) -> &[usize] {
        &self.need(i).deps
    }

    /// The needed VMs, most urgent first.
    pub(crate) fn in_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.0.len()).filter(|&i| self.0[i].is_some()).collect();
        order.sort_by_key(|&i| self.key(i));
        order
    }

    /// Adds a need for VM `i`, `task` saying whether a task wants it. Returns false when an
    /// equal or better (tier, rank) already wants the VM; only a strictly better one replaces
    /// an entry, dependencies included.
    fn add(
        &mut self,
        lab: &WorkingState,
        i: usize,
        tier: Tier,
        rank: u32,
        deps: &[usize],
        task: bool,
    ) -> bool {
        if self.0.len() <= i {
            self.0.resize_with(lab.vms.len().max(i + 1), || None);
        }
        let Some(need) = self.0[i].as_mut() else {
            let status = lab.vms[i].status;
            let pending = !matches!(
                status,
                VmStatus::Idle | VmStatus::Reverting | VmStatus::Sleeping
            );
            let need = Need {
                tier,
                rank,
                hot: status != VmStatus::Off,
                count: u32::from(task) + u32::from(pending),
                deps: deps.to_vec(),
            };
            self.0[i] = Some(need);
            return true;
        };
        need.count += u32::from(task);
        if (tier, rank) < (need.tier, need.rank) {
            need.tier = tier;
            need.rank = rank;
            need.deps = deps.to_vec();
            return true;
        }
        false
    }
}

/// What the task phase decided.
#[derive(Default)]
pub(crate) struct Scheduled {
    pub(crate) counters: Counters,
    pub(crate) needs: Needs,
    pub(crate) starts: Vec<Action>,
    /// Why a needed VM got no action yet, by VM index; the first reason found stays.
    pub(crate) waits: BTreeMap<usize, String>,
    /// Every queued task in task order, with what it waits for, for `scheduler::explain`.
    pub(crate) queued: Vec<QueuedTask>,
}

/// A queued task of the pass and what it waits for before it can start (§4.2, §4.3).
pub(crate) struct QueuedTask {
    /// Its job in `WorkingState::jobs`.
    pub(crate) job: usize,
    pub(crate) step: u32,
    /// The task in `WorkingState::tasks`.
    pub(crate) task: usize,
    pub(crate) waiting: Waiting,
}

/// What a queued task waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Waiting {
    /// Its VM is disabled, in maintenance or unknown: only an admin can change that.
    Blocked,
    /// Its step is not runnable: the previous step (this number) has not completed; `next`
    /// when its VM is prepared meanwhile (rank 1).
    Step { previous: u32, next: bool },
    /// Its step is runnable: the task waits for its VM only.
    Vm,
}

/// Goes through the queued and running jobs in job order, then adds every enabled VM not in
/// maintenance as a future VM (§4.4).
pub(crate) fn schedule(lab: &mut WorkingState) -> Scheduled {
    let mut out = Scheduled::default();
    let jobs: Vec<usize> = (0..lab.jobs.len())
        .filter(|&j| !lab.jobs[j].job.status.is_done())
        .collect();
    for (rank, j) in (1..).zip(jobs) {
        schedule_job(lab, j, rank, &mut out);
    }
    for i in 0..lab.vms.len() {
        let vm = &lab.vms[i];
        if vm.enabled() && vm.status != VmStatus::Maintenance {
            out.needs
                .add(lab, i, Tier::Future, vm.niceness(), &[], false);
        }
    }
    out
}

/// The steps of one job in order (§4.2, §4.3). `readied` holds, for each rank-0 step still
/// being readied, the VMs its queued tasks need: they are the next step's dependencies.
fn schedule_job(lab: &mut WorkingState, j: usize, rank: u32, out: &mut Scheduled) {
    let (job, steps) = (lab.jobs[j].job, lab.jobs[j].steps.clone());
    let mut readied: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for s in steps {
        let StepView { step, tasks } = lab.steps[s].clone();
        let step_rank = step_rank(job, step, &readied);
        let deps = step
            .previous
            .and_then(|p| readied.get(&p))
            .cloned()
            .unwrap_or_default();
        let mut ready = (step_rank == 0).then(Vec::new);
        for t in tasks {
            let TaskView { task, vm } = lab.tasks[t];
            if lab.task_status(job.id, step.no, task) != TaskStatus::Queued {
                continue;
            }
            let waiting = match (step_rank, step.previous) {
                (0, _) | (_, None) => Waiting::Vm,
                (rank, Some(previous)) => Waiting::Step {
                    previous,
                    next: rank == 1,
                },
            };
            let usable =
                vm.filter(|&i| lab.vms[i].enabled() && lab.vms[i].status != VmStatus::Maintenance);
            out.queued.push(QueuedTask {
                job: j,
                step: step.no,
                task: t,
                waiting: if usable.is_some() {
                    waiting
                } else {
                    Waiting::Blocked
                },
            });
            let Some(i) = usable else {
                // The task cannot run until an admin acts: the step cannot finish either.
                out.counters.blocked += 1;
                ready = None;
                continue;
            };
            out.counters.queued += 1;
            lab.host_mut(i).queued += 1;
            match step_rank {
                0 => {
                    out.counters.runnable += 1;
                    if !runnable_task(lab, i, (job.id, step, task), rank, out) {
                        ready = None;
                    }
                    if let Some(vms) = ready.as_mut() {
                        vms.push(i);
                    }
                }
                1 => {
                    out.needs.add(lab, i, Tier::NextStep, rank, &deps, true);
                }
                _ => {}
            }
        }
        if let Some(vms) = ready {
            readied.insert(step.no, vms);
        }
    }
}

/// §4.2: 0 when the step may run (no previous step, or it completed), 1 when its previous step
/// is runnable and still being readied (prepare this one's VMs), else 2 (only counted). A rank-1
/// step is never in `readied`, so only one step ahead is ever prepared.
fn step_rank(job: &JobState, step: &StepState, readied: &BTreeMap<u32, Vec<usize>>) -> u8 {
    let Some(p) = step.previous else {
        return 0;
    };
    if job
        .steps
        .iter()
        .any(|s| s.no == p && s.status == TaskStatus::Completed)
    {
        0
    } else if readied.contains_key(&p) {
        1
    } else {
        2
    }
}

/// A queued task of a runnable step (§4.3): adds its VM as runnable, claims it, and starts the
/// task on an idle VM when the host allows. Returns whether the step may still be readied.
fn runnable_task(
    lab: &mut WorkingState,
    i: usize,
    (job, step, task): (i64, &StepState, &TaskState),
    rank: u32,
    out: &mut Scheduled,
) -> bool {
    if !out.needs.add(lab, i, Tier::Runnable, rank, &[], true) {
        // A better need has the VM: this task waits, so its step will not end soon.
        return false;
    }
    let vm = &lab.vms[i];
    let usable = vm.lamb
        || matches!(
            vm.status,
            VmStatus::Off | VmStatus::Idle | VmStatus::Reverting | VmStatus::Sleeping
        );
    let readied = usable && task.timeout <= lab.state.revert_timeout;
    match vm.status {
        VmStatus::Idle => {
            // A revert is slower than a task: the first task met for an idle VM keeps it.
            lab.vms[i].lamb = false;
            match start_refusal(lab, i) {
                Some(reason) => {
                    out.waits.insert(i, reason);
                }
                None => {
                    lab.set(i, VmStatus::Running, true);
                    lab.vms[i].busy = true;
                    out.starts.push(Action::Start {
                        vm: lab.vms[i].row.name.clone(),
                        job,
                        step: step.no,
                        task: task.no,
                    });
                }
            }
        }
        VmStatus::Reverting | VmStatus::Sleeping => lab.vms[i].lamb = false,
        _ => {}
    }
    readied
}

/// Why a task cannot start on idle VM `i` now, if it cannot (§4.3). Sleeping and dirty VMs
/// count against the running limit: they still use the host's CPU and disks.
fn start_refusal(lab: &WorkingState, i: usize) -> Option<String> {
    let host = lab.host(i);
    let name = &lab.vms[i].host;
    let busy = host.sleeping + host.running + host.dirty;
    if host.paused {
        Some(format!("host {name} is paused"))
    } else if busy >= host.limits.max_running {
        Some(format!(
            "running limit reached on {name} ({busy} of {} running, sleeping or dirty)",
            host.limits.max_running
        ))
    } else if host.reverting > 0 && host.reverting > host.limits.max_reverts_while_running {
        Some(format!(
            "reverts in progress on {name} ({}, at most {} beside a running task)",
            host.reverting, host.limits.max_reverts_while_running
        ))
    } else {
        match ownership::access(lab, i, false) {
            ownership::Access::Denied(reason) => Some(reason),
            _ => None,
        }
    }
}
