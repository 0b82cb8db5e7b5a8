//! The long tests on real QEMU, run serially by scripts/test.sh: a soak — 3 domains with 3
//! snapshots each (9 instances) plus 2 ordinary VMs, 68 tasks that check with libvirt at their
//! start and end that the domain's current snapshot is their own — driven by a sub-second loop
//! of `schedule-once` as cron would run it, and the same soak under chaos: SIGKILLed workers
//! and passes at random moments and one libvirtd outage (`scripts/libvirt-setup.sh bounce`).
//! Both print their figures (docs/reliability.md quotes them).

mod chaos;
mod checks;
mod lab;
mod passes;

use crate::hv::Domain;
use crate::invariants;
use crate::support::Lab;
use chaos::{Chaos, MAX_TASK_TRIES};
use std::time::Duration;

/// The shared domains' snapshots and the instances' roles (one per snapshot).
const SHARED: &[(&str, &str)] = &[("a", "base"), ("b", "winetest"), ("c", "extra")];
/// Time between two passes of the cron loop.
const PASS_INTERVAL: Duration = Duration::from_millis(250);
/// The run gives up (and fails) after this long.
const MAX_RUN: Duration = Duration::from_secs(420);
/// After the jobs: time for offline VMs to come back and workers to end.
const MAX_SETTLE: Duration = Duration::from_secs(90);

#[test]
#[ignore = "long: run serially by scripts/test.sh"]
fn serial_soak_qemu() {
    if !invariants::serial_step("serial_soak_qemu") {
        return;
    }
    let figures = Soak::new("soak", None).run();
    assert_eq!(figures.requeued, 0, "a clean soak requeued tasks");
    assert!(
        figures.went_offline.is_empty(),
        "a clean soak put VMs offline: {:?}",
        figures.went_offline
    );
}

#[test]
#[ignore = "long: run serially by scripts/test.sh"]
fn serial_chaos_qemu() {
    if !invariants::serial_step("serial_chaos_qemu") {
        return;
    }
    let seed = invariants::seed(20_240_607);
    let figures = Soak::new("chaos", Some(Chaos::new(seed))).run();
    let chaos = figures.chaos.as_ref().expect("chaos figures");
    assert!(
        chaos.worker_kills + chaos.pass_kills >= 20,
        "only {} kills (seed {seed})",
        chaos.worker_kills + chaos.pass_kills
    );
    assert!(
        chaos.max_tries < MAX_TASK_TRIES,
        "a task used {} tries",
        chaos.max_tries
    );
}

/// A soak run: its lab, domains, and what it saw.
struct Soak {
    tag: &'static str,
    lab: Lab,
    domains: Vec<Domain>,
    chaos: Option<Chaos>,
}

impl Soak {
    fn new(tag: &'static str, chaos: Option<Chaos>) -> Soak {
        let lab = Lab::new();
        let domains = lab::domains(tag);
        Soak {
            tag,
            lab,
            domains,
            chaos,
        }
    }
}
