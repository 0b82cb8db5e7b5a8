//! Tests of the libvirt adapter against libvirt's in-process test driver (and, when asked,
//! a real QEMU domain).

use std::os::unix::net::UnixListener;
use std::thread;
use std::time::{Duration, Instant};

use super::libvirt::with_deadline;
use super::{DomainInfo, DomainState, HvError, HvErrorKind, Hypervisor, Libvirt};

const TIMEOUT: Duration = Duration::from_secs(5);

/// A fresh copy of a fixture's domains: the test driver gives each connection its own.
fn open(fixture: &str) -> Libvirt {
    let uri = format!(
        "test://{}/tests/fixtures/{fixture}",
        env!("CARGO_MANIFEST_DIR")
    );
    Libvirt::connect(&uri, TIMEOUT).expect("open the test driver")
}

fn lab() -> Libvirt {
    open("lab.xml")
}

fn kind<T: std::fmt::Debug>(result: Result<T, HvError>) -> HvErrorKind {
    let err = result.expect_err("an error");
    let text = err.to_string();
    assert!(
        !text.is_empty() && !text.ends_with('.') && !text.contains('\n'),
        "{text:?}"
    );
    assert!(!text.contains("[code="), "virt's Display noise in {text:?}");
    err.kind
}

#[test]
fn libvirt_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Libvirt>();
}

#[test]
fn states_use_the_words_of_virsh() {
    let words: Vec<_> = [
        DomainState::NoState,
        DomainState::Running,
        DomainState::Blocked,
        DomainState::Paused,
        DomainState::ShuttingDown,
        DomainState::ShutOff,
        DomainState::Crashed,
        DomainState::PmSuspended,
    ]
    .iter()
    .map(|state| (state.to_string(), state.is_active()))
    .collect();
    let expected = [
        ("no state", false),
        ("running", true),
        ("idle", true),
        ("paused", true),
        ("in shutdown", true),
        ("shut off", false),
        ("crashed", true),
        ("pmsuspended", true),
    ];
    assert_eq!(words, expected.map(|(w, a)| (w.to_string(), a)));
}

#[test]
fn errors_are_one_line_without_a_final_period() {
    let err = HvError::new(HvErrorKind::Other, "internal error: two\nlines.\n");
    assert_eq!(err.to_string(), "internal error: two lines");
}

#[test]
fn domains_lists_active_and_inactive_domains_by_name() {
    let info = |name: &str, state| DomainInfo {
        name: name.to_string(),
        state,
    };
    assert_eq!(
        lab().domains().unwrap(),
        [
            info("build", DomainState::ShutOff),
            info("debian", DomainState::ShutOff),
            info("win10", DomainState::Running),
            info("win7", DomainState::ShutOff),
        ]
    );
}

#[test]
fn reads_state_and_snapshots_of_a_domain() {
    let lv = lab();
    assert_eq!(lv.domain_state("win10").unwrap(), DomainState::Running);
    assert_eq!(lv.domain_state("win7").unwrap(), DomainState::ShutOff);
    assert_eq!(
        lv.current_snapshot("win10").unwrap().as_deref(),
        Some("wtb")
    );
    assert_eq!(
        lv.current_snapshot("build").unwrap().as_deref(),
        Some("clean")
    );
    assert_eq!(lv.current_snapshot("debian").unwrap(), None);
    assert_eq!(lv.snapshots("win10").unwrap(), ["wtb", "wtb-de", "wtb-fr"]);
    assert_eq!(lv.snapshots("debian").unwrap(), Vec::<String>::new());
    let uuid = "10101010-0000-4000-8000-000000000010";
    assert_eq!(lv.uuid("win10").unwrap(), uuid);
}

#[test]
fn revert_switches_the_current_snapshot_and_runs_the_domain() {
    let lv = lab();
    lv.revert("win10", "wtb-fr").unwrap();
    assert_eq!(
        lv.current_snapshot("win10").unwrap().as_deref(),
        Some("wtb-fr")
    );
    assert_eq!(lv.domain_state("win10").unwrap(), DomainState::Running);

    lv.revert("win7", "wtb").unwrap();
    assert_eq!(lv.domain_state("win7").unwrap(), DomainState::Running);
}

#[test]
fn a_refused_revert_powers_off_and_retries_once() {
    let lv = open("risky.xml");
    assert_eq!(lv.domain_state("legacy").unwrap(), DomainState::Running);
    let err = lv.revert("legacy", "old").unwrap_err();
    assert_eq!(err.kind, HvErrorKind::Other);
    assert!(err.message.contains("rollback info"), "{err}");
    assert_eq!(lv.domain_state("legacy").unwrap(), DomainState::ShutOff);
}

#[test]
fn power_off_stops_a_domain_and_accepts_one_already_off() {
    let lv = lab();
    lv.power_off("win10").unwrap();
    assert_eq!(lv.domain_state("win10").unwrap(), DomainState::ShutOff);
    lv.power_off("win10").unwrap();
    lv.power_off("win7").unwrap();
}

#[test]
fn an_unknown_domain_is_no_domain_everywhere() {
    let lv = lab().with_op_timeout(TIMEOUT);
    assert_eq!(kind(lv.domain_state("nope")), HvErrorKind::NoDomain);
    assert_eq!(kind(lv.current_snapshot("nope")), HvErrorKind::NoDomain);
    assert_eq!(kind(lv.snapshots("nope")), HvErrorKind::NoDomain);
    assert_eq!(kind(lv.uuid("nope")), HvErrorKind::NoDomain);
    assert_eq!(kind(lv.revert("nope", "wtb")), HvErrorKind::NoDomain);
    assert_eq!(kind(lv.power_off("nope")), HvErrorKind::NoDomain);
}

#[test]
fn an_unknown_snapshot_is_no_snapshot_and_changes_nothing() {
    let lv = lab();
    assert_eq!(kind(lv.revert("win10", "nope")), HvErrorKind::NoSnapshot);
    assert_eq!(
        lv.current_snapshot("win10").unwrap().as_deref(),
        Some("wtb")
    );
    assert_eq!(lv.domain_state("win10").unwrap(), DomainState::Running);
}

#[test]
fn a_closed_port_is_unreachable_at_once() {
    let start = Instant::now();
    let result = Libvirt::connect("qemu+tcp://127.0.0.1:1/system", TIMEOUT);
    assert_eq!(kind(result), HvErrorKind::Unreachable);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn a_silent_daemon_times_out_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("sock");
    let listener = UnixListener::bind(&socket).unwrap();
    // Accept connections and keep them open without ever answering.
    thread::spawn(move || {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept() {
            open.push(stream);
        }
    });

    let uri = format!("qemu+unix:///system?socket={}", socket.display());
    let timeout = Duration::from_millis(1500);
    let start = Instant::now();
    let err = Libvirt::connect(&uri, timeout).expect_err("a timeout");
    let elapsed = start.elapsed();
    assert_eq!(err.kind, HvErrorKind::Timeout);
    assert!(
        err.message.contains(&uri) && err.message.contains("1.5 s"),
        "{err}"
    );
    assert!(elapsed >= timeout && elapsed < timeout + Duration::from_secs(2));
    eprintln!("silent daemon: timeout after {elapsed:?}");
}

#[test]
fn a_call_past_its_deadline_times_out_and_names_the_uri() {
    let start = Instant::now();
    let result = with_deadline("qemu:///slow", Duration::from_millis(100), "list", || {
        thread::sleep(Duration::from_secs(2));
        Ok(())
    });
    let err = result.unwrap_err();
    assert_eq!(err.kind, HvErrorKind::Timeout);
    assert_eq!(
        err.to_string(),
        "list: no answer from `qemu:///slow` within 0.1 s"
    );
    assert!(start.elapsed() < Duration::from_secs(1));
}

/// Removes the real domain even when the test fails.
struct QemuDomain(String);

impl QemuDomain {
    fn create(name: &str, snapshots: &[&str]) -> QemuDomain {
        qemu_test_domain(&[&["create", name], snapshots].concat());
        QemuDomain(name.to_string())
    }
}

impl Drop for QemuDomain {
    fn drop(&mut self) {
        qemu_test_domain(&["remove", &self.0]);
    }
}

fn qemu_test_domain(args: &[&str]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/qemu-test-domain.sh");
    let status = std::process::Command::new(script).args(args).status();
    assert!(status.is_ok_and(|s| s.success()), "{script} {args:?}");
}

/// No QEMU for the real QEMU test: it fails under `CI=true`, else says why it did nothing.
fn no_qemu(why: &str) {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("real QEMU adapter test: {why} (CI=true: a hypervisor is required)");
    }
    eprintln!("SKIP real QEMU adapter test: {why}");
}

/// Runs where a local QEMU hypervisor answers (scripts/test.sh starts one when it can);
/// elsewhere it only says why it did nothing (or fails, under `CI=true`). The domain's name
/// carries the run's (`VMSCHED_TEST_RUN`, set by scripts/test.sh), whose clean-up removes it
/// if the test cannot.
#[test]
fn real_qemu_revert_and_power_off() {
    if !std::path::Path::new("/usr/bin/qemu-system-x86_64").exists() {
        return no_qemu("qemu-system-x86_64 is not installed");
    }
    if let Err(err) = Libvirt::connect("qemu:///system", TIMEOUT) {
        return no_qemu(&format!("qemu:///system: {err}"));
    }
    let run = std::env::var("VMSCHED_TEST_RUN").unwrap_or_else(|_| "test".to_string());
    let name = format!("vmsched-{run}-hv-{}", std::process::id());
    let domain = QemuDomain::create(&name, &["base", "second"]);
    let lv = Libvirt::connect("qemu:///system", TIMEOUT).unwrap();
    let lv = lv.with_op_timeout(Duration::from_secs(60));
    let dom = domain.0.as_str();
    assert_eq!(lv.current_snapshot(dom).unwrap().as_deref(), Some("second"));
    assert_eq!(lv.snapshots(dom).unwrap(), ["base", "second"]);

    let timed = |what: &str, op: &dyn Fn() -> Result<(), HvError>| {
        let start = Instant::now();
        op().unwrap();
        eprintln!("real QEMU: {what} took {:?}", start.elapsed());
    };
    timed("revert of a running domain", &|| lv.revert(dom, "base"));
    assert_eq!(lv.current_snapshot(dom).unwrap().as_deref(), Some("base"));
    assert_eq!(lv.domain_state(dom).unwrap(), DomainState::Running);

    timed("power-off", &|| lv.power_off(dom));
    assert_eq!(lv.domain_state(dom).unwrap(), DomainState::ShutOff);
    timed("power-off of a domain already off", &|| lv.power_off(dom));

    timed("revert of a shut-off domain", &|| lv.revert(dom, "second"));
    assert_eq!(lv.current_snapshot(dom).unwrap().as_deref(), Some("second"));
    assert_eq!(lv.domain_state(dom).unwrap(), DomainState::Running);
    assert_eq!(kind(lv.revert(dom, "nope")), HvErrorKind::NoSnapshot);
}
