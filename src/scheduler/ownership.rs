//! Domain ownership (docs/rules.md §5): registration order, conflicts, who may use a domain,
//! steals, and the owners left after the plan.

use super::{classify, Action, Owner, WorkingState};
use crate::model::{KillReason, MarkReason, VmState, VmStatus};
use std::collections::BTreeMap;

/// A domain is identified by its URI and name, compared as exact strings (§1.1).
pub(crate) type DomainKey = (String, String);

/// Who holds one domain during the pass.
#[derive(Default)]
pub(crate) struct Domain {
    /// The first registered sibling that uses the domain; `None` while the domain is free.
    owner: Option<usize>,
    /// A conflicting sibling that the scheduler may not change (live worker, maintenance)
    /// still uses the domain: nothing new starts on it until that is over.
    frozen: bool,
    /// A VM whose revert on this domain waits for a sacrifice made in this pass: no sibling
    /// takes the domain meanwhile, so one pass never sacrifices twice for one domain.
    reserved: Option<usize>,
}

/// Whether a VM may use its domain (§5.1, §5.2).
pub(crate) enum Access {
    /// The VM owns the domain.
    Mine,
    /// Every sibling is off: the VM becomes the owner when it acts.
    Free,
    /// The owner (this index) is an unclaimed lamb that a revert may displace.
    Steal(usize),
    /// Not now, and why, in an admin's words.
    Denied(String),
}

impl Access {
    /// The VM may use the domain without taking it from anyone.
    pub(crate) fn granted(&self) -> bool {
        matches!(self, Access::Mine | Access::Free)
    }
}

/// One instance of a domain as registration sees it (§3 step 4, §5.1): its status and sets
/// after classification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Standing<'a> {
    pub(crate) name: &'a str,
    pub(crate) status: VmStatus,
    /// Its role is not retired or deleted.
    pub(crate) enabled: bool,
    pub(crate) busy: bool,
    pub(crate) lamb: bool,
}

/// The registration groups of §3 step 4, in their order: the VMs least able to give the
/// domain up come first, so they keep it when siblings conflict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Group {
    Maintenance,
    Busy,
    Lamb,
    Off,
}

impl<'a> Standing<'a> {
    /// What the next pass's classification makes of a VM row (with its child verdict): the
    /// one judgement that the pass, `domains show` and the admin commands share.
    pub(crate) fn of(vm: &'a VmState, max_errors: u32) -> Standing<'a> {
        let c = classify::classified(vm, max_errors);
        Standing {
            name: &vm.name,
            status: c.status,
            enabled: vm.role.is_enabled(),
            busy: c.busy,
            lamb: c.lamb,
        }
    }

    /// Its registration group (§3 step 4).
    pub(crate) fn group(&self) -> Group {
        if self.status == VmStatus::Maintenance {
            Group::Maintenance
        } else if self.busy {
            Group::Busy
        } else if self.lamb {
            Group::Lamb
        } else {
            Group::Off
        }
    }

    /// Every enabled VM registers, and a disabled one only while it is busy (§3 step 1).
    fn registers(&self) -> bool {
        self.enabled || self.busy
    }

    /// A registered VM uses the domain when it is not off, or when it is a busy disabled one,
    /// whatever its status: a retired VM's worker may still run on it (§5.1).
    fn uses(&self) -> bool {
        self.status != VmStatus::Off || !self.enabled
    }
}

/// The instances of one domain in registration order, and those that use the domain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Registration {
    /// Indices of the registered instances, in registration order.
    pub(crate) registered: Vec<usize>,
    /// The registered instances that use the domain, in registration order: the first is the
    /// owner, two or more are a conflict.
    pub(crate) users: Vec<usize>,
}

impl Registration {
    /// Registers `instances` (all of one domain) in the order of §3 step 4: maintenance, busy,
    /// lambs, off, each group by name.
    pub(crate) fn of(instances: &[Standing]) -> Registration {
        let mut registered: Vec<usize> = (0..instances.len())
            .filter(|&i| instances[i].registers())
            .collect();
        registered.sort_by_key(|&i| (instances[i].group(), instances[i].name));
        let users = registered
            .iter()
            .copied()
            .filter(|&i| instances[i].uses())
            .collect();
        Registration { registered, users }
    }

    /// The owner; `None` while the domain is free.
    pub(crate) fn owner(&self) -> Option<usize> {
        self.users.first().copied()
    }

    /// Two or more registered instances use the domain (§5.1).
    pub(crate) fn conflict(&self) -> bool {
        self.users.len() > 1
    }
}

/// Registers every VM of each domain (§3 step 4), then resolves conflicts (§5.1), pushing
/// their actions. Every VM's domain gets an entry.
pub(crate) fn register(lab: &mut WorkingState, out: &mut Vec<(usize, Action)>) {
    let mut siblings: BTreeMap<DomainKey, Vec<usize>> = BTreeMap::new();
    for (i, vm) in lab.vms.iter().enumerate() {
        siblings.entry(vm.domain_key()).or_default().push(i);
    }
    for (key, list) in siblings {
        let standings: Vec<Standing> = list.iter().map(|&i| lab.vms[i].standing()).collect();
        let users: Vec<usize> = Registration::of(&standings)
            .users
            .into_iter()
            .map(|u| list[u])
            .collect();
        let domain = resolve(lab, &users, out);
        lab.domains.insert(key, domain);
    }
}

/// The first user keeps the domain. Every other one is set off unless the scheduler may not
/// change it (maintenance, a live worker, a disabled VM kept for its worker), which freezes the
/// domain; a lamb owner is set dirty so the domain is brought
/// back to a known state by a power-off or a revert.
fn resolve(lab: &mut WorkingState, users: &[usize], out: &mut Vec<(usize, Action)>) -> Domain {
    let Some((&owner, others)) = users.split_first() else {
        return Domain::default();
    };
    let mut frozen = false;
    for &i in others {
        let vm = &mut lab.vms[i];
        vm.lamb = false;
        if vm.status == VmStatus::Maintenance || vm.live_child || !vm.enabled() {
            vm.busy = true;
            frozen = true;
        } else {
            vm.busy = false;
            out.push((i, lab.mark(i, VmStatus::Off, MarkReason::Conflict)));
        }
    }
    if !others.is_empty() && lab.vms[owner].lamb {
        let status = lab.vms[owner].status;
        if status == VmStatus::Sleeping {
            out.push((owner, lab.kill(owner, KillReason::Conflict)));
        }
        if status != VmStatus::Dirty {
            out.push((
                owner,
                lab.mark(owner, VmStatus::Dirty, MarkReason::Conflict),
            ));
        }
    }
    Domain {
        owner: Some(owner),
        frozen,
        reserved: None,
    }
}

/// Whether VM `i` may use its domain; `steal` allows taking it from an unclaimed lamb owner,
/// which only a runnable need in the revert phase may do (§5.2).
pub(crate) fn access(lab: &WorkingState, i: usize, steal: bool) -> Access {
    let vm = &lab.vms[i];
    let domain = &lab.domains[&vm.domain_key()];
    if domain.frozen {
        return Access::Denied(format!(
            "domain {} is frozen by a conflict between its instances",
            vm.row.domain
        ));
    }
    match (domain.owner, domain.reserved) {
        (Some(o), _) if o == i => Access::Mine,
        (_, Some(r)) if r != i => Access::Denied(format!(
            "domain {} is reserved for {}",
            vm.row.domain,
            lab.vms[r].name()
        )),
        (None, _) => Access::Free,
        (Some(o), _) if steal && lab.vms[o].lamb => Access::Steal(o),
        (Some(o), _) => Access::Denied(format!(
            "domain owned by {} ({})",
            lab.vms[o].name(),
            lab.vms[o].status
        )),
    }
}

/// Commits a revert's use of the domain: VM `i` becomes the owner, and a steal sets the
/// displaced owner off (no power-off: the revert reconfigures the domain). Returns the
/// displaced VM's name.
pub(crate) fn take(lab: &mut WorkingState, i: usize, access: &Access) -> Option<String> {
    let displaced = match *access {
        Access::Steal(o) => {
            lab.set(o, VmStatus::Off, false);
            lab.vms[o].lamb = false;
            Some(lab.vms[o].row.name.clone())
        }
        _ => None,
    };
    let domain = domain_mut(lab, i);
    domain.owner = Some(i);
    domain.reserved = None;
    displaced
}

/// Keeps VM `i`'s domain for it while its revert waits for a sacrifice.
pub(crate) fn reserve(lab: &mut WorkingState, i: usize) {
    domain_mut(lab, i).reserved = Some(i);
}

fn domain_mut<'a>(lab: &'a mut WorkingState, i: usize) -> &'a mut Domain {
    let key = lab.vms[i].domain_key();
    lab.domains
        .get_mut(&key)
        .expect("every VM's domain is registered")
}

/// The non-free domains after the plan and their owners, by (uri, domain).
pub(crate) fn owners(lab: &WorkingState) -> Vec<Owner> {
    lab.domains
        .iter()
        .filter_map(|((uri, domain), d)| {
            d.owner.map(|o| Owner {
                uri: uri.clone(),
                domain: domain.clone(),
                owner: lab.vms[o].row.name.clone(),
            })
        })
        .collect()
}
