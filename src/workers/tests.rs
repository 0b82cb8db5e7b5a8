//! The revert, power-off and monitor workers against a fake hypervisor (the `Hypervisor`
//! trait is their seam): what each leaves in the database for every answer libvirt may give.
//! The end-to-end tests run the same workers on real libvirt.

use super::{monitor, poweroff, revert};
use crate::hypervisor::{DomainInfo, DomainState, HvError, HvErrorKind, Hypervisor};
use crate::model::{OpKind, VmStatus};
use crate::process::Proc;
use crate::store::deadline::Deadline;
use crate::store::history::{Event, Kind};
use crate::store::operations::{self, NewOperation, Operation};
use crate::store::settings;
use crate::store::vms::{self, VmRow};
use crate::store::Store;
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

/// One domain as the fake shows it, and the calls that changed it.
#[derive(Debug)]
struct Domain {
    state: DomainState,
    current: Option<String>,
    snapshots: Vec<String>,
    /// A revert leaves the current snapshot as it was (libvirt said yes, did something else).
    revert_does_not_take: bool,
    /// Reverts and power-offs fail with this.
    fails: Option<HvErrorKind>,
    calls: Vec<String>,
}

/// A host with one domain, `win7`; clones share it, so a test sees what a worker did.
#[derive(Clone)]
struct Fake(Rc<RefCell<Domain>>);

impl Fake {
    /// `win7`, shut off at snapshot `wtb`, which it has with `old`.
    fn new() -> Fake {
        Fake(Rc::new(RefCell::new(Domain {
            state: DomainState::ShutOff,
            current: Some("wtb".to_string()),
            snapshots: vec!["old".to_string(), "wtb".to_string()],
            revert_does_not_take: false,
            fails: None,
            calls: Vec::new(),
        })))
    }

    fn with(self, f: impl FnOnce(&mut Domain)) -> Fake {
        f(&mut self.0.borrow_mut());
        self
    }

    fn calls(&self) -> Vec<String> {
        self.0.borrow().calls.clone()
    }

    fn domain(&self, name: &str) -> Result<std::cell::RefMut<'_, Domain>, HvError> {
        if name != "win7" {
            return Err(HvError::new(HvErrorKind::NoDomain, "no domain"));
        }
        Ok(self.0.borrow_mut())
    }
}

impl Hypervisor for Fake {
    fn domains(&self) -> Result<Vec<DomainInfo>, HvError> {
        let state = self.0.borrow().state;
        Ok(vec![DomainInfo {
            name: "win7".to_string(),
            state,
        }])
    }

    fn domain_state(&self, domain: &str) -> Result<DomainState, HvError> {
        Ok(self.domain(domain)?.state)
    }

    fn current_snapshot(&self, domain: &str) -> Result<Option<String>, HvError> {
        Ok(self.domain(domain)?.current.clone())
    }

    fn uuid(&self, domain: &str) -> Result<String, HvError> {
        self.domain(domain)?;
        Ok("00000000-0000-0000-0000-000000000007".to_string())
    }

    fn snapshots(&self, domain: &str) -> Result<Vec<String>, HvError> {
        Ok(self.domain(domain)?.snapshots.clone())
    }

    fn revert(&self, domain: &str, snapshot: &str) -> Result<(), HvError> {
        let mut d = self.domain(domain)?;
        d.calls.push(format!("revert {snapshot}"));
        if let Some(kind) = d.fails {
            return Err(HvError::new(kind, "internal error: revert refused"));
        }
        if !d.snapshots.iter().any(|s| s == snapshot) {
            return Err(HvError::new(HvErrorKind::NoSnapshot, "no snapshot"));
        }
        d.state = DomainState::Running;
        if !d.revert_does_not_take {
            d.current = Some(snapshot.to_string());
        }
        Ok(())
    }

    fn power_off(&self, domain: &str) -> Result<(), HvError> {
        let mut d = self.domain(domain)?;
        d.calls.push("power off".to_string());
        if let Some(kind) = d.fails {
            return Err(HvError::new(kind, "internal error: destroy refused"));
        }
        d.state = DomainState::ShutOff;
        Ok(())
    }
}

/// A scratch database with VM `w7` (domain `win7`, snapshot `wtb`) in `status`, after
/// `errors` failures, carrying out a `kind` operation of this process.
fn busy(status: VmStatus, errors: u32, kind: OpKind) -> (Store, VmRow, Operation) {
    let mut store = Store::scratch().unwrap();
    let vm = VmRow {
        status,
        errors,
        ..VmRow::new("w7", "test:///default", "win7", "wtb")
    };
    let op = store
        .write(|tx| {
            let settle = settings::key("sleep_after_revert")?;
            settings::set(tx, settle, 0)?;
            vms::insert(tx, &vm)?;
            let id = operations::start(
                tx,
                &NewOperation {
                    vm: "w7",
                    kind,
                    deadline: Deadline::in_secs(60),
                    task: None,
                    by_user: "scheduler",
                    process: Some(Proc::current()?),
                },
            )?;
            Ok(operations::get(tx, id)?.expect("just recorded"))
        })
        .unwrap();
    (store, vm, op)
}

/// The VM's status and error count, the operation's result, and the last history detail.
fn outcome(store: &Store, op: &Operation) -> (VmStatus, u32, Option<String>, String) {
    let conn = store.conn();
    let vm = vms::require(conn, "w7").unwrap();
    let op = operations::get(conn, op.id).unwrap().unwrap();
    let detail: String = conn
        .query_row(
            "SELECT detail FROM history WHERE vm = 'w7' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    (vm.status, vm.errors, op.result, detail)
}

#[test]
fn a_revert_that_takes_makes_the_vm_idle_and_clears_its_errors() {
    let (mut store, vm, op) = busy(VmStatus::Reverting, 2, OpKind::Revert);
    let fake = Fake::new().with(|d| d.current = Some("old".to_string()));
    revert::revert(&mut store, &op, &vm, Ok(fake.clone()), Instant::now()).unwrap();
    assert_eq!(fake.calls(), ["revert wtb"]);
    assert_eq!(
        outcome(&store, &op),
        (
            VmStatus::Idle,
            0,
            Some("idle".to_string()),
            "idle".to_string()
        )
    );
    assert!(vms::require(store.conn(), "w7").unwrap().live.is_none());
}

#[test]
fn a_revert_that_does_not_take_puts_the_vm_offline() {
    let (mut store, vm, op) = busy(VmStatus::Reverting, 0, OpKind::Revert);
    let fake = Fake::new().with(|d| {
        d.current = Some("old".to_string());
        d.revert_does_not_take = true;
    });
    revert::revert(&mut store, &op, &vm, Ok(fake), Instant::now()).unwrap();
    let detail =
        "offline revert did not take: domain `win7` is running with current snapshot `old`";
    assert_eq!(
        outcome(&store, &op),
        (
            VmStatus::Offline,
            1,
            Some(detail.to_string()),
            detail.to_string()
        )
    );
}

#[test]
fn a_failed_or_unconnected_revert_puts_the_vm_offline_and_counts_an_error() {
    let (mut store, vm, op) = busy(VmStatus::Reverting, 0, OpKind::Revert);
    let fake = Fake::new().with(|d| d.fails = Some(HvErrorKind::Other));
    revert::revert(&mut store, &op, &vm, Ok(fake), Instant::now()).unwrap();
    let detail = "offline revert failed: internal error: revert refused";
    assert_eq!(
        outcome(&store, &op),
        (
            VmStatus::Offline,
            1,
            Some(detail.to_string()),
            detail.to_string()
        )
    );

    let (mut store, vm, op) = busy(VmStatus::Reverting, 3, OpKind::Revert);
    let unreachable = HvError::new(HvErrorKind::Unreachable, "cannot connect");
    revert::revert(
        &mut store,
        &op,
        &vm,
        Err::<Fake, _>(unreachable),
        Instant::now(),
    )
    .unwrap();
    assert_eq!(outcome(&store, &op).0, VmStatus::Offline);
    assert_eq!(outcome(&store, &op).1, 4);
}

#[test]
fn a_revert_leaves_a_vm_an_admin_took_meanwhile_alone() {
    let (mut store, vm, op) = busy(VmStatus::Reverting, 1, OpKind::Revert);
    store
        .write(|tx| {
            vms::set_status(
                tx,
                &vms::StatusChange {
                    vm: "w7",
                    host: None,
                    from: VmStatus::Reverting,
                    to: VmStatus::Maintenance,
                    errors: vms::Errors::Keep,
                    event: Event::new(Kind::Admin, "maintenance"),
                    user: "admin",
                    reason: None,
                },
            )
        })
        .unwrap();
    let fake = Fake::new();
    revert::revert(&mut store, &op, &vm, Ok(fake.clone()), Instant::now()).unwrap();
    assert_eq!(fake.calls(), ["revert wtb"]);
    assert_eq!(
        outcome(&store, &op),
        (
            VmStatus::Maintenance,
            1,
            Some("taken over".to_string()),
            "maintenance".to_string()
        )
    );
}

#[test]
fn a_power_off_makes_the_vm_off_or_offline_when_it_fails() {
    let (mut store, vm, op) = busy(VmStatus::Dirty, 1, OpKind::Poweroff);
    let fake = Fake::new().with(|d| d.state = DomainState::Running);
    poweroff::power_off(&mut store, &op, &vm, Ok(fake.clone())).unwrap();
    assert_eq!(fake.calls(), ["power off"]);
    let done = "off powered off".to_string();
    assert_eq!(
        outcome(&store, &op),
        (VmStatus::Off, 1, Some(done.clone()), done)
    );

    let (mut store, vm, op) = busy(VmStatus::Dirty, 1, OpKind::Poweroff);
    let fake = Fake::new().with(|d| d.fails = Some(HvErrorKind::Timeout));
    poweroff::power_off(&mut store, &op, &vm, Ok(fake)).unwrap();
    let detail = "offline power-off failed: internal error: destroy refused".to_string();
    assert_eq!(
        outcome(&store, &op),
        (VmStatus::Offline, 2, Some(detail.clone()), detail)
    );
}

#[test]
fn a_monitor_powers_a_running_domain_off_and_makes_the_vm_usable_again() {
    let (mut store, vm, op) = busy(VmStatus::Offline, 5, OpKind::Monitor);
    let fake = Fake::new().with(|d| d.state = DomainState::Running);
    monitor::monitor(&mut store, &op, &vm, Ok(fake.clone())).unwrap();
    assert_eq!(fake.calls(), ["power off"]);
    let detail = "off monitor: usable again".to_string();
    // The errors stay: they count the operations' own failures.
    assert_eq!(
        outcome(&store, &op),
        (VmStatus::Off, 5, Some(detail.clone()), detail)
    );
    assert!(vms::require(store.conn(), "w7")
        .unwrap()
        .last_check
        .is_some());
}

#[test]
fn a_monitor_keeps_the_vm_offline_without_its_snapshot_and_records_the_check() {
    let (mut store, vm, op) = busy(VmStatus::Offline, 1, OpKind::Monitor);
    let fake = Fake::new().with(|d| d.snapshots = vec!["old".to_string()]);
    monitor::monitor(&mut store, &op, &vm, Ok(fake.clone())).unwrap();
    assert!(fake.calls().is_empty(), "nothing is powered off");
    let detail = "offline monitor: snapshot `wtb` of domain `win7` is missing".to_string();
    assert_eq!(
        outcome(&store, &op),
        (VmStatus::Offline, 1, Some(detail.clone()), detail)
    );
    assert!(vms::require(store.conn(), "w7")
        .unwrap()
        .last_check
        .is_some());
}
