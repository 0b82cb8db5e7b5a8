//! Unit tests of ownership as the commands see it: registration order, owners judged as the
//! pass judges them, and the rules of `revert` and `poweroff` on a shared domain.

use super::*;
use crate::model::{Child, Role, VmStatus};
use VmStatus::*;

fn vm(name: &str, status: VmStatus) -> VmState {
    VmState {
        name: name.to_string(),
        kind: "win64".to_string(),
        role: Role::Base,
        status,
        uri: "qemu:///system".to_string(),
        domain: "d".to_string(),
        snapshot: name.to_string(),
        child: Child::None,
        errors: 0,
        monitor_due: true,
    }
}

/// `vm` with a live worker.
fn busy(name: &str, status: VmStatus) -> VmState {
    VmState {
        child: Child::Alive,
        ..vm(name, status)
    }
}

fn retired(vm: VmState) -> VmState {
    VmState {
        role: Role::Retired,
        ..vm
    }
}

fn of(all: &[VmState]) -> Siblings<'_> {
    Siblings::of(all, 3)
}

fn users(all: &[VmState]) -> Vec<&str> {
    let siblings = of(all);
    siblings
        .users()
        .iter()
        .map(|&i| all[i].name.as_str())
        .collect()
}

#[test]
fn registration_order_and_owner() {
    let all = [
        vm("a_off", Off),
        vm("b_idle", Idle),
        vm("z_maint", Maintenance),
        retired(vm("a_retired", Idle)),
        retired(busy("b_retired", Running)),
        busy("c_dirty", Dirty),
        vm("d_dirty", Dirty),
        busy("e_sleeping", Sleeping),
        vm("f_offline", Offline),
    ];
    // Maintenance, busy, lambs, each by name; the retired VM without a worker and the off one
    // do not use the domain.
    assert_eq!(
        users(&all),
        [
            "z_maint",
            "b_retired",
            "c_dirty",
            "f_offline",
            "b_idle",
            "d_dirty",
            "e_sleeping"
        ]
    );
    assert_eq!(of(&all).owner(), Some(2));
    assert!(of(&all).conflict());
}

#[test]
fn owners_as_the_next_pass_judges_them() {
    assert_eq!(of(&[vm("a", Off), vm("b", Off)]).owner(), None);
    let one = [vm("a", Off), vm("b", Idle)];
    assert_eq!((of(&one).owner(), of(&one).conflict()), (Some(1), false));
    // A disabled VM that is not off but has no worker does not hold the domain.
    assert_eq!(of(&[vm("a", Off), retired(vm("b", Idle))]).owner(), None);
    // One with a worker does, even while off.
    let kept = [retired(busy("a", Off)), vm("b", Idle)];
    assert_eq!(users(&kept), ["a", "b"]);
    // A running VM whose worker is gone is dirty to the next pass, a lamb after the idle
    // sibling by name; once its errors reach max_errors it is offline, busy, and first.
    let died = [vm("a_idle", Idle), vm("z_run", Running)];
    assert_eq!(users(&died), ["a_idle", "z_run"]);
    let failing = [
        vm("a_idle", Idle),
        VmState {
            errors: 2,
            ..vm("z_run", Running)
        },
    ];
    assert_eq!(users(&failing), ["z_run", "a_idle"]);
    // A stuck worker is killed: a sleeping VM goes offline (busy), first.
    let stuck = [
        vm("a_idle", Idle),
        VmState {
            child: Child::Stuck,
            ..vm("z_sleeping", Sleeping)
        },
    ];
    assert_eq!(users(&stuck), ["z_sleeping", "a_idle"]);
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
    let admit = |op, all: &[VmState], i, with| admit(op, &of(all), i, with);
    // Free domain, or the VM owns it.
    assert_eq!(
        admit(AdminOp::Revert, &[vm("a", Off), vm("b", Off)], 0, none),
        Ok(Admission::default())
    );
    assert_eq!(
        admit(AdminOp::Revert, &[vm("a", Idle), vm("b", Off)], 0, none),
        Ok(Admission::default())
    );
    // A lamb owner needs --steal (or --force); so does a running one whose worker died.
    for owner in [
        vm("b", Idle),
        vm("b", Dirty),
        busy("b", Sleeping),
        vm("b", Running),
    ] {
        let all = [vm("a", Off), owner];
        let refusal = admit(AdminOp::Revert, &all, 0, none).unwrap_err();
        assert_eq!((refusal.blocker, refusal.needs), (1, Flag::Steal));
        let admitted = admit(AdminOp::Revert, &all, 0, steal).unwrap();
        assert_eq!(admitted.displaced, [(1, Displace::Steal)]);
        assert!(admit(AdminOp::Revert, &all, 0, force).is_ok());
    }
    // A busy owner needs --force; --steal is not enough.
    let owners = [
        busy("b", Running),
        busy("b", Reverting),
        vm("b", Offline),
        vm("b", Maintenance),
        retired(busy("b", Off)),
    ];
    for owner in owners {
        let all = [vm("a", Off), owner];
        let refusal = admit(AdminOp::Revert, &all, 0, steal).unwrap_err();
        assert_eq!((refusal.blocker, refusal.needs), (1, Flag::Force));
        let admitted = admit(AdminOp::Revert, &all, 0, force).unwrap();
        assert_eq!(admitted.displaced, [(1, Displace::Force)]);
    }
    // The VM's own live operation needs --force.
    let own = [busy("a", Reverting), vm("b", Off)];
    let refusal = admit(AdminOp::Revert, &own, 0, steal).unwrap_err();
    assert_eq!((refusal.blocker, refusal.needs), (0, Flag::Force));
    assert!(admit(AdminOp::Revert, &own, 0, force).unwrap().stop_own);
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
    let all = [vm("a", Dirty), vm("b", Off)];
    assert!(admit(AdminOp::Poweroff, &of(&all), 0, none).is_ok());
    let all = [vm("a", Off), vm("b", Idle)];
    let refusal = admit(AdminOp::Poweroff, &of(&all), 0, none).unwrap_err();
    assert_eq!((refusal.blocker, refusal.needs), (1, Flag::Force));
    let admitted = admit(AdminOp::Poweroff, &of(&all), 0, force).unwrap();
    assert_eq!(admitted.displaced, [(1, Displace::Force)]);
}
