//! A VM as a pass sees it: the state file's row, its host, and what the pass has decided about
//! it so far.

use crate::model::{Role, VmState, VmStatus};
use crate::scheduler::ownership::{DomainKey, Standing};

/// A VM as the pass sees it: its row, plus what the pass has decided about it so far.
pub(crate) struct Vm<'s> {
    /// The VM as the state file gives it (the pass never changes it).
    pub(crate) row: &'s VmState,
    /// Its host key: limits and counters are per host.
    pub(crate) host: String,
    /// Its host's place in `WorkingState::hosts`.
    pub(crate) host_ix: usize,
    /// Its status as decided so far in this pass.
    pub(crate) status: VmStatus,
    /// A worker acts on this VM and goes on doing so: alive and not killed by this pass, or
    /// started by it. Such a VM may not start anything new (§5.1).
    pub(crate) live_child: bool,
    /// Doing something that must not be disturbed (§3).
    pub(crate) busy: bool,
    /// Powered on but expendable: may be stolen or sacrificed (§3, §5.2, §6).
    pub(crate) lamb: bool,
    /// Consecutive failures, as classification updates them.
    pub(crate) errors: u32,
}

impl<'s> Vm<'s> {
    /// The VM's name, as actions and reasons show it.
    pub(crate) fn name(&self) -> &str {
        &self.row.name
    }

    /// Retired and deleted VMs are never scheduled nor counted.
    pub(crate) fn enabled(&self) -> bool {
        self.row.role.is_enabled()
    }

    /// Its standing for registration, as classification left it (§3 step 4).
    pub(crate) fn standing(&self) -> Standing<'s> {
        Standing {
            name: &self.row.name,
            status: self.status,
            enabled: self.enabled(),
            busy: self.busy,
            lamb: self.lamb,
        }
    }

    /// The domain this instance shares with its siblings.
    pub(crate) fn domain_key(&self) -> DomainKey {
        (self.row.uri.clone(), self.row.domain.clone())
    }

    /// How unlikely the VM is to be needed by the next job (§4.4); also breaks sacrifice ties,
    /// so the least useful VM goes first. Disabled roles never reach here.
    pub(crate) fn niceness(&self) -> u32 {
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
