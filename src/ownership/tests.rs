//! Unit tests of ownership: registration order, owners, and the rules of `revert` and
//! `poweroff` on a shared domain.

use super::*;
use VmStatus::*;

fn vm(name: &str, status: VmStatus) -> Instance<'_> {
    Instance {
        name,
        status,
        enabled: true,
        live: false,
    }
}

fn names<'a>(instances: &[Instance<'a>], list: &[usize]) -> Vec<&'a str> {
    list.iter().map(|&i| instances[i].name).collect()
}

#[test]
fn registration_order_and_owner() {
    let retired = Instance {
        enabled: false,
        ..vm("a_retired", Idle)
    };
    let live_retired = Instance {
        enabled: false,
        live: true,
        ..vm("b_retired", Running)
    };
    let live_dirty = Instance {
        live: true,
        ..vm("c_dirty", Dirty)
    };
    let all = [
        vm("a_off", Off),
        vm("b_idle", Idle),
        vm("z_maint", Maintenance),
        retired,
        live_retired,
        live_dirty,
        vm("d_dirty", Dirty),
        vm("e_sleeping", Sleeping),
        vm("f_offline", Offline),
    ];
    let view = View::of(&all);
    assert_eq!(
        names(&all, &view.registered),
        [
            "z_maint",
            "b_retired",
            "c_dirty",
            "f_offline",
            "b_idle",
            "d_dirty",
            "e_sleeping",
            "a_off"
        ]
    );
    assert_eq!(view.owner(), Some(2));
    assert!(view.conflict());
}

#[test]
fn free_and_single_owner() {
    let all = [vm("a", Off), vm("b", Off)];
    assert_eq!(View::of(&all).owner(), None);
    let all = [vm("a", Off), vm("b", Idle)];
    let view = View::of(&all);
    assert_eq!((view.owner(), view.conflict()), (Some(1), false));
    // A disabled VM that is not off but has no worker does not hold the domain.
    let retired = Instance {
        enabled: false,
        ..vm("b", Idle)
    };
    assert_eq!(View::of(&[vm("a", Off), retired]).owner(), None);
}

#[test]
fn revert_rules() {
    let none = Overrides::default();
    let steal = Overrides {
        steal: true,
        force: false,
    };
    let force = Overrides {
        steal: false,
        force: true,
    };
    // Free domain, or the VM owns it.
    assert_eq!(
        admit(AdminOp::Revert, &[vm("a", Off), vm("b", Off)], 0, none),
        Ok(Admission::default())
    );
    assert_eq!(
        admit(AdminOp::Revert, &[vm("a", Idle), vm("b", Off)], 0, none),
        Ok(Admission::default())
    );
    // A lamb owner needs --steal (or --force).
    for status in [Idle, Dirty, Sleeping] {
        let all = [vm("a", Off), vm("b", status)];
        let refusal = admit(AdminOp::Revert, &all, 0, none).unwrap_err();
        assert_eq!((refusal.blocker, refusal.needs), (1, "--steal"));
        let admitted = admit(AdminOp::Revert, &all, 0, steal).unwrap();
        assert_eq!(admitted.displaced, [(1, Displace::Steal)]);
        assert!(admit(AdminOp::Revert, &all, 0, force).is_ok());
    }
    // A busy owner needs --force; --steal is not enough.
    for status in [Running, Reverting, Offline, Maintenance] {
        let all = [vm("a", Off), vm("b", status)];
        let refusal = admit(AdminOp::Revert, &all, 0, steal).unwrap_err();
        assert_eq!((refusal.blocker, refusal.needs), (1, "--force"));
        let admitted = admit(AdminOp::Revert, &all, 0, force).unwrap();
        assert_eq!(admitted.displaced, [(1, Displace::Force)]);
    }
    // The VM's own live operation needs --force.
    let own = Instance {
        live: true,
        ..vm("a", Reverting)
    };
    let refusal = admit(AdminOp::Revert, &[own, vm("b", Off)], 0, steal).unwrap_err();
    assert_eq!((refusal.blocker, refusal.needs), (0, "--force"));
    let admitted = admit(AdminOp::Revert, &[own, vm("b", Off)], 0, force).unwrap();
    assert!(admitted.stop_own);
    // A maintenance VM owns the domain, but a conflicting idle sibling must still go.
    let all = [vm("a", Maintenance), vm("b", Idle)];
    assert_eq!(
        admit(AdminOp::Revert, &all, 0, none).unwrap_err().blocker,
        1
    );
}

#[test]
fn poweroff_rules() {
    let none = Overrides::default();
    let force = Overrides {
        steal: false,
        force: true,
    };
    assert!(admit(AdminOp::Poweroff, &[vm("a", Dirty), vm("b", Off)], 0, none).is_ok());
    let all = [vm("a", Off), vm("b", Idle)];
    let refusal = admit(AdminOp::Poweroff, &all, 0, none).unwrap_err();
    assert_eq!((refusal.blocker, refusal.needs), (1, "--force"));
    let admitted = admit(AdminOp::Poweroff, &all, 0, force).unwrap();
    assert_eq!(admitted.displaced, [(1, Displace::Force)]);
}
