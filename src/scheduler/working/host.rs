//! One host's limits and counters during a pass, kept in step with every status change of its
//! VMs.

use crate::model::{Limits, VmStatus};

/// One host's limits and counters (§3): counts of its enabled VMs by status, and its tasks.
pub(crate) struct Host {
    pub(crate) limits: Limits,
    pub(crate) paused: bool,
    pub(crate) active: u32,
    pub(crate) idle: u32,
    pub(crate) reverting: u32,
    pub(crate) sleeping: u32,
    pub(crate) running: u32,
    pub(crate) dirty: u32,
    pub(crate) dirty_child: u32,
    pub(crate) queued: u32,
}

impl Host {
    pub(super) fn new(limits: Limits, paused: bool) -> Host {
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
    pub(super) fn tally(&mut self, status: VmStatus, child: bool, add: bool) {
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
    pub(crate) fn max_reverts(&self) -> u32 {
        if self.running > 0 {
            self.limits.max_reverts_while_running
        } else {
            self.limits.max_reverting
        }
    }
}
