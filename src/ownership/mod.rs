//! Who owns a shared domain, judged from the stored statuses alone (docs/rules.md §3 step 4,
//! §5.1), and what an admin command must override to act on it. Pure: no database, no
//! libvirt, no clock. `domains show`, `revert` and `poweroff` share it; the scheduler keeps its
//! own copy of the order inside a pass, where statuses change as it decides.

use crate::model::VmStatus;

/// One instance of a domain key, as far as ownership goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instance<'a> {
    pub name: &'a str,
    pub status: VmStatus,
    /// Its role is not retired or deleted.
    pub enabled: bool,
    /// A live process carries out an operation on it (checked by the caller).
    pub live: bool,
}

/// The registration groups of docs/rules.md §3 step 4, in their order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Group {
    Maintenance,
    /// Doing something that must not be disturbed: a live operation, or a status that means
    /// one (running, reverting) or a monitor's care (offline).
    Busy,
    /// Powered on but expendable: idle, sleeping, dirty without a live operation.
    Lamb,
    Off,
}

impl Instance<'_> {
    /// Its registration group. A sleeping VM's worker only waits, so it stays a lamb; an idle
    /// or off VM with a live process is about to be made dirty by the next pass (a lamb).
    pub fn group(&self) -> Group {
        match self.status {
            VmStatus::Maintenance => Group::Maintenance,
            VmStatus::Running | VmStatus::Reverting | VmStatus::Offline => Group::Busy,
            VmStatus::Dirty if self.live => Group::Busy,
            VmStatus::Off if !self.live => Group::Off,
            _ => Group::Lamb,
        }
    }

    /// Whether it registers as a possible owner: every enabled VM, and a disabled one only
    /// while a worker acts on it or it is in maintenance (§3 step 1).
    pub fn registers(&self) -> bool {
        self.enabled || self.live || self.status == VmStatus::Maintenance
    }

    fn holds(&self) -> bool {
        self.status != VmStatus::Off
    }
}

/// The ownership of one domain key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// Indices of the registered instances, in registration order.
    pub registered: Vec<usize>,
    /// Indices of the registered instances that are not off, in registration order: the
    /// first is the owner, two or more are a conflict.
    pub holders: Vec<usize>,
}

impl View {
    /// Registers `instances` (all of one domain key) in the order of §3 step 4: maintenance,
    /// busy, lambs, off, each group by name.
    pub fn of(instances: &[Instance]) -> View {
        let mut registered: Vec<usize> = (0..instances.len())
            .filter(|&i| instances[i].registers())
            .collect();
        registered.sort_by_key(|&i| (instances[i].group(), instances[i].name));
        let holders = registered
            .iter()
            .copied()
            .filter(|&i| instances[i].holds())
            .collect();
        View {
            registered,
            holders,
        }
    }

    /// The owner: the first registered instance that is not off; `None` when free.
    pub fn owner(&self) -> Option<usize> {
        self.holders.first().copied()
    }

    /// Two or more registered instances are not off (§5.1).
    pub fn conflict(&self) -> bool {
        self.holders.len() > 1
    }
}

/// An admin operation on a VM (docs/architecture.md, "A pass").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminOp {
    Revert,
    Poweroff,
}

/// What the admin passed to override the rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overrides {
    pub steal: bool,
    pub force: bool,
}

/// How a sibling that holds the domain is made to give it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Displace {
    /// A lamb taken by `--steal`: set off (its sleeping worker killed).
    Steal,
    /// Anything else, by `--force`: its operation stopped, its task requeued, set off.
    Force,
}

/// What an admin operation may do, decided before anything is written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Admission {
    /// The VM's own live operation is stopped first (`--force`).
    pub stop_own: bool,
    /// Siblings that hold the domain and give it up, in registration order.
    pub displaced: Vec<(usize, Displace)>,
}

/// Why an admin operation is refused: the instance in the way, and the flag that overrides it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// The VM itself (its live operation) or the sibling that holds the domain.
    pub blocker: usize,
    /// `--steal` or `--force`.
    pub needs: &'static str,
}

/// Decides whether `op` may act on instance `vm` of a domain (the rules of `revert` and
/// `poweroff`): the VM's own live operation needs `--force`; every other sibling that holds
/// the domain (the owner, and conflicting ones) must give it up — for a revert a lamb needs
/// `--steal` and anything busy or in maintenance `--force`; a power-off needs `--force` for
/// any of them. `--force` implies `--steal`.
pub fn admit(
    op: AdminOp,
    instances: &[Instance],
    vm: usize,
    with: Overrides,
) -> Result<Admission, Refusal> {
    let stop_own = instances[vm].live;
    if stop_own && !with.force {
        return Err(Refusal {
            blocker: vm,
            needs: "--force",
        });
    }
    let view = View::of(instances);
    let mut displaced = Vec::new();
    for &i in view.holders.iter().filter(|&&i| i != vm) {
        let how = match (op, instances[i].group()) {
            (AdminOp::Revert, Group::Lamb) => Displace::Steal,
            _ => Displace::Force,
        };
        let allowed = with.force || (how == Displace::Steal && with.steal);
        if !allowed {
            let needs = match how {
                Displace::Steal => "--steal",
                Displace::Force => "--force",
            };
            return Err(Refusal { blocker: i, needs });
        }
        displaced.push((i, how));
    }
    Ok(Admission {
        stop_own,
        displaced,
    })
}

#[cfg(test)]
mod tests;
