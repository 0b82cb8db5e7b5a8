//! A VM as a pass sees it: the state file's row, its host, and what the pass has decided about
//! it so far.

use crate::model::{Role, VmState, VmStatus};
use crate::scheduler::ownership::DomainKey;

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

    /// One more consecutive failure; the count stops at `u32::MAX` (a wrap to 0 would bring a
    /// failing VM back as if it had never failed).
    pub fn add_error(&mut self) {
        self.errors = self.errors.saturating_add(1);
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
