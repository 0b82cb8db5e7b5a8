//! The key of a task: its job, step and number within the step.

use std::fmt;

/// A task, as `job/step/task` in messages and history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskKey {
    pub job: i64,
    pub step: u32,
    pub task: u32,
}

impl TaskKey {
    pub fn new(job: i64, step: u32, task: u32) -> TaskKey {
        TaskKey { job, step, task }
    }
}

impl fmt::Display for TaskKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.job, self.step, self.task)
    }
}
