//! Who owns a shared domain as the next pass will judge it, for the commands that read the
//! database (`domains show`, `vms set`, `revert`, `poweroff`), and what an admin operation
//! must override to act on it. Pure: the callers judge each worker first (`VmRow::to_vm_state`),
//! and the judgement of the rows is the core's (`scheduler::Standing`,
//! `scheduler::Registration`), so these commands and the pass cannot disagree.

use crate::model::VmState;
use crate::scheduler::{Group, Registration, Standing};

/// The instances of one domain key, registered as the next pass will register them.
pub struct Siblings<'a> {
    vms: &'a [VmState],
    standings: Vec<Standing<'a>>,
    registration: Registration,
}

impl<'a> Siblings<'a> {
    /// `vms` are all the instances of one domain key, each with its worker's verdict.
    pub fn of(vms: &'a [VmState], max_errors: u32) -> Siblings<'a> {
        let standings: Vec<Standing> = vms.iter().map(|vm| Standing::of(vm, max_errors)).collect();
        let registration = Registration::of(&standings);
        Siblings {
            vms,
            standings,
            registration,
        }
    }

    /// The owner's index; `None` when the domain is free.
    pub fn owner(&self) -> Option<usize> {
        self.registration.owner()
    }

    /// Two or more instances use the domain (docs/rules.md §5.1).
    pub(crate) fn conflict(&self) -> bool {
        self.registration.conflict()
    }

    /// The instances that use the domain, owner first.
    pub(crate) fn users(&self) -> &[usize] {
        &self.registration.users
    }

    /// Instance `i`'s registration group.
    pub(crate) fn group(&self, i: usize) -> Group {
        self.standings[i].group()
    }

    /// A process acts on instance `i`.
    pub(crate) fn live(&self, i: usize) -> bool {
        self.vms[i].child.is_live()
    }
}

/// An admin operation on a VM (docs/architecture.md, "A pass").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AdminOp {
    Revert,
    Poweroff,
}

/// What the admin passed to override the rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Overrides {
    pub(crate) steal: bool,
    pub(crate) force: bool,
}

/// How a sibling that holds the domain is made to give it up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Displace {
    /// A lamb taken by `--steal`: set off (its sleeping worker killed).
    Steal,
    /// Anything else, by `--force`: its operation stopped, its task requeued, set off.
    Force,
}

/// What an admin operation may do, decided before anything is written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Admission {
    /// The VM's own live operation is stopped first (`--force`).
    pub(crate) stop_own: bool,
    /// Siblings that hold the domain and give it up, in registration order.
    pub(crate) displaced: Vec<(usize, Displace)>,
}

/// The command-line flag that overrides a refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// `--steal`
    Steal,
    /// `--force`
    Force,
}

/// Why an admin operation is refused: the instance in the way, and the flag that overrides it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// The VM itself (its live operation) or the sibling that holds the domain.
    pub(crate) blocker: usize,
    pub(crate) needs: Flag,
}

/// Decides whether `op` may act on instance `vm` of a domain (the rules of `revert` and
/// `poweroff`): the VM's own live operation needs `--force`; every other sibling that uses
/// the domain (the owner, and conflicting ones) must give it up — for a revert a lamb needs
/// `--steal` and anything busy or in maintenance `--force`; a power-off needs `--force` for
/// any of them. `--force` implies `--steal`.
pub(crate) fn admit(
    op: AdminOp,
    siblings: &Siblings,
    vm: usize,
    with: Overrides,
) -> Result<Admission, Refusal> {
    let stop_own = siblings.live(vm);
    if stop_own && !with.force {
        return Err(Refusal {
            blocker: vm,
            needs: Flag::Force,
        });
    }
    let mut displaced = Vec::new();
    for &i in siblings.users().iter().filter(|&&i| i != vm) {
        let how = match (op, siblings.group(i)) {
            (AdminOp::Revert, Group::Lamb) => Displace::Steal,
            _ => Displace::Force,
        };
        let allowed = with.force || (how == Displace::Steal && with.steal);
        if !allowed {
            let needs = match how {
                Displace::Steal => Flag::Steal,
                Displace::Force => Flag::Force,
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
