//! The verdict of a domain (docs/interfaces.md): its owner and conflicts as the next pass will
//! judge them, checked against what libvirt says of it when it was asked.

use super::live::Live;
use crate::hypervisor::{HvError, HvErrorKind};
use crate::model::VmStatus;
use crate::ownership::Siblings;
use crate::store::vms::VmRow;
use serde::Serialize;

/// The verdict of a domain, in precedence order (the first that applies wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Verdict {
    /// libvirt could not be asked (host unreachable, no answer in time, another error).
    Unreachable,
    /// The domain, or an instance's snapshot, does not exist.
    Missing,
    /// Two or more registered instances use the domain.
    Conflict,
    /// The domain's current snapshot is not the owner's while the owner is idle, sleeping or
    /// running.
    Drift,
    /// The domain runs while no instance owns it.
    Orphan,
    /// Owned and consistent.
    Ok,
    /// No owner, and the domain not running.
    Free,
}

impl Verdict {
    /// `ok` and `free` are fine; anything else makes `--check` exit 1.
    pub(crate) fn is_fine(self) -> bool {
        matches!(self, Verdict::Ok | Verdict::Free)
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verdict::Unreachable => "unreachable",
            Verdict::Missing => "missing",
            Verdict::Conflict => "conflict",
            Verdict::Drift => "drift",
            Verdict::Orphan => "orphan",
            Verdict::Ok => "ok",
            Verdict::Free => "free",
        }
    }
}

/// The first verdict that applies (docs/interfaces.md). Without `live` only `conflict`, `ok` and
/// `free` can apply.
pub(crate) fn verdict(
    vms: &[VmRow],
    siblings: &Siblings,
    live: Option<&Result<Live, HvError>>,
) -> Verdict {
    let live = match live {
        Some(Err(err)) if err.kind == HvErrorKind::NoDomain => return Verdict::Missing,
        Some(Err(_)) => return Verdict::Unreachable,
        Some(Ok(live)) => Some(live),
        None => None,
    };
    if let Some(live) = live {
        if vms.iter().any(|vm| !live.snapshots.contains(&vm.snapshot)) {
            return Verdict::Missing;
        }
    }
    if siblings.conflict() {
        return Verdict::Conflict;
    }
    let owner = siblings.owner().map(|i| &vms[i]);
    if let Some(live) = live {
        let using = owner.filter(|o| {
            matches!(
                o.status,
                VmStatus::Idle | VmStatus::Sleeping | VmStatus::Running
            )
        });
        if using.is_some_and(|o| live.current.as_deref() != Some(o.snapshot.as_str())) {
            return Verdict::Drift;
        }
        if live.state.is_active() && owner.is_none() {
            return Verdict::Orphan;
        }
    }
    if owner.is_some() {
        Verdict::Ok
    } else {
        Verdict::Free
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hypervisor::DomainState;

    fn vm(name: &str, snapshot: &str, status: VmStatus) -> VmRow {
        VmRow {
            status,
            ..VmRow::new(name, "qemu:///system", "d", snapshot)
        }
    }

    fn live(state: DomainState, current: &str, snapshots: &[&str]) -> Result<Live, HvError> {
        Ok(Live {
            state,
            current: Some(current.to_string()),
            snapshots: snapshots.iter().map(|s| s.to_string()).collect(),
        })
    }

    fn judge(vms: &[VmRow], live: Option<&Result<Live, HvError>>) -> Verdict {
        let states: Vec<_> = vms.iter().map(|vm| vm.to_vm_state()).collect();
        verdict(vms, &Siblings::of(&states, 3), live)
    }

    #[test]
    fn verdicts_apply_in_their_order() {
        use DomainState::{Running, ShutOff};
        use VmStatus::{Dirty, Idle, Off};
        let both = [vm("a", "s1", Idle), vm("b", "s2", Dirty)];
        let down = Err(HvError::new(HvErrorKind::Timeout, "no answer"));
        let gone = Err(HvError::new(HvErrorKind::NoDomain, "no domain"));
        assert_eq!(judge(&both, Some(&down)), Verdict::Unreachable);
        assert_eq!(judge(&both, Some(&gone)), Verdict::Missing);
        // A missing snapshot comes before the conflict.
        let only_s1 = live(Running, "s1", &["s1"]);
        assert_eq!(judge(&both, Some(&only_s1)), Verdict::Missing);
        let fine = live(Running, "s2", &["s1", "s2"]);
        assert_eq!(judge(&both, Some(&fine)), Verdict::Conflict);
        assert_eq!(judge(&both, None), Verdict::Conflict);
        // Drift only while the owner claims to run its snapshot.
        let idle = [vm("a", "s1", Idle), vm("b", "s2", Off)];
        assert_eq!(judge(&idle, Some(&fine)), Verdict::Drift);
        let dirty = [vm("a", "s1", Dirty), vm("b", "s2", Off)];
        assert_eq!(judge(&dirty, Some(&fine)), Verdict::Ok);
        // Orphan: running while every instance is off; shut off, it is free.
        let off = [vm("a", "s1", Off), vm("b", "s2", Off)];
        assert_eq!(judge(&off, Some(&fine)), Verdict::Orphan);
        let stopped = live(ShutOff, "s2", &["s1", "s2"]);
        assert_eq!(judge(&off, Some(&stopped)), Verdict::Free);
        assert_eq!(judge(&off, None), Verdict::Free);
    }
}
