//! Why each queued task waits, in the words of `schedule-once --dry-run`: what the plan says of
//! its VM (the reason it waits, or the action the next pass takes on it), or what holds the task
//! before its VM matters (a step that is not runnable yet, a disabled or maintenance VM).

use super::tasks::{Scheduled, Waiting};
use super::{Action, Plan, WorkingState};
use crate::model::{TaskKey, TaskStatus};
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// A queued task the next pass does not start, and why (docs/interfaces.md, "Waiting tasks").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct TaskWait {
    pub(crate) job: i64,
    pub(crate) step: u32,
    pub(crate) task: u32,
    pub(crate) vm: String,
    pub(crate) reason: String,
}

impl Plan {
    /// What the plan says of each VM it speaks of: why it waits, else `next pass: ` and the
    /// last action it takes on it, as a dry-run prints it.
    pub(crate) fn said(&self) -> HashMap<&str, String> {
        let mut said = HashMap::new();
        for action in &self.actions {
            said.insert(action.vm(), format!("next pass: {action}"));
        }
        for waiting in &self.waiting {
            said.insert(waiting.vm.as_str(), waiting.reason.clone());
        }
        said
    }
}

/// The queued tasks that `plan` does not start, in task order.
pub(crate) fn tasks(lab: &WorkingState, scheduled: &Scheduled, plan: &Plan) -> Vec<TaskWait> {
    let started: HashSet<TaskKey> = plan
        .actions
        .iter()
        .filter_map(|action| match action {
            Action::Start {
                job, step, task, ..
            } => Some(TaskKey::new(*job, *step, *task)),
            _ => None,
        })
        .collect();
    let said = plan.said();
    let mut out = Vec::new();
    for queued in &scheduled.queued {
        let job = lab.jobs[queued.job].job;
        let view = lab.tasks[queued.task];
        let key = TaskKey::new(job.id, queued.step, view.task.no);
        if started.contains(&key) {
            continue;
        }
        let name = view.task.vm.as_str();
        let of_vm = || {
            said.get(name)
                .cloned()
                .unwrap_or_else(|| format!("waits for {name}"))
        };
        let reason = match queued.waiting {
            Waiting::Blocked => match view.vm.map(|i| &lab.vms[i]) {
                None => format!("blocked: no VM {name}"),
                Some(vm) if !vm.enabled() => format!("blocked: {name} is {}", vm.row.role),
                Some(_) => format!("blocked: {name} is in maintenance"),
            },
            Waiting::Step { previous, next } => {
                let ended = job
                    .steps
                    .iter()
                    .find(|s| s.no == previous)
                    .into_iter()
                    .flat_map(|s| &s.tasks)
                    .map(|t| lab.task_status(job.id, previous, t))
                    .find(|&s| s.is_done() && s != TaskStatus::Completed);
                match ended {
                    Some(status) => {
                        format!("step {previous} has a {status} task: this step will be skipped")
                    }
                    None if next && said.contains_key(name) => {
                        format!("waits for step {previous} to complete; {}", of_vm())
                    }
                    None => format!("waits for step {previous} to complete"),
                }
            }
            Waiting::Vm => of_vm(),
        };
        out.push(TaskWait {
            job: key.job,
            step: key.step,
            task: key.task,
            vm: name.to_string(),
            reason,
        });
    }
    out
}
