//! End to end on a real QEMU hypervisor through `qemu:///system`: `revert`, `revert --steal`,
//! `poweroff` and `domains show` checked against what virsh says. Two tiny domains with names
//! unique to this run, removed even when the test fails. Where no hypervisor answers the test
//! only says `SKIP qemu: <reason>` on stderr (the test script prints the visible SKIP line).

use crate::support::Lab;
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const URI: &str = "qemu:///system";
const EMULATOR: &str = "/usr/bin/qemu-system-x86_64";

/// Why the real hypervisor cannot be used here, if it cannot.
fn unavailable() -> Option<String> {
    if !Path::new(EMULATOR).exists() {
        return Some(format!("`{EMULATOR}` is not installed"));
    }
    let timeout = Duration::from_secs(3);
    match vmsched::hypervisor::connect(URI, timeout, timeout) {
        Err(err) => Some(format!("`{URI}` does not answer: {err}")),
        Ok(_) => None,
    }
}

/// Test domains made by `scripts/qemu-test-domain.sh`, removed on drop.
struct Domains(Vec<String>);

impl Domains {
    fn create(&mut self, name: &str, snapshots: &[&str]) {
        self.0.push(name.to_string());
        let args = [&["create", name], snapshots].concat();
        assert!(script(&args), "qemu-test-domain.sh {args:?} failed");
    }
}

impl Drop for Domains {
    fn drop(&mut self) {
        // No panic here: this runs while a failed test unwinds.
        for name in &self.0 {
            if !script(&["remove", name]) {
                eprintln!("warning: could not remove test domain `{name}`");
            }
        }
    }
}

/// Runs `scripts/qemu-test-domain.sh ARGS`; whether it succeeded.
fn script(args: &[&str]) -> bool {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/qemu-test-domain.sh");
    let status = Command::new(script)
        .args(args)
        .env("VMSCHED_TEST_QEMU_URI", URI)
        .status();
    status.is_ok_and(|s| s.success())
}

/// What `virsh -c qemu:///system ARGS` prints, trimmed.
fn virsh(args: &[&str]) -> String {
    let output = Command::new("virsh")
        .args(["-q", "-c", URI])
        .args(args)
        .output()
        .expect("run virsh");
    assert!(output.status.success(), "virsh {args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn current(domain: &str) -> String {
    virsh(&["snapshot-current", "--name", domain])
}

fn state(domain: &str) -> String {
    virsh(&["domstate", domain])
}

/// A VM's status.
fn status(lab: &Lab, vm: &str) -> String {
    lab.rows(&format!("SELECT status FROM vms WHERE name = '{vm}'"))[0].clone()
}

/// The `domains show` entry of `domain`, checked against virsh.
fn shown(lab: &Lab, domain: &str) -> Value {
    let entries = lab
        .run(&["domains", "show", "--format", "json", "--domain", domain])
        .ok()
        .json();
    let entry = entries[0].clone();
    assert_eq!(entry["live"]["state"], state(domain), "{entry}");
    assert_eq!(
        entry["live"]["current_snapshot"],
        current(domain),
        "{entry}"
    );
    entry
}

#[test]
fn real_qemu_revert_steal_poweroff_and_domains_show() {
    if let Some(reason) = unavailable() {
        eprintln!("SKIP qemu: {reason}");
        return;
    }
    let pid = std::process::id();
    let (a, b) = (
        format!("vmsched-e2e-{pid}-a"),
        format!("vmsched-e2e-{pid}-b"),
    );
    let mut domains = Domains(Vec::new());
    domains.create(&a, &["a", "b", "c"]);
    domains.create(&b, &["a"]);
    let lab = Lab::new();
    for (vm, domain, snapshot) in [
        ("e1", &a, "a"),
        ("e2", &a, "b"),
        ("e3", &a, "c"),
        ("f1", &b, "a"),
    ] {
        let args = ["vms", "add", vm, "-c", URI, "--domain", domain];
        lab.run(&[&args[..], &["--snapshot", snapshot]].concat())
            .ok();
    }

    // Created running, every instance off: orphans.
    assert_eq!(shown(&lab, &a)["verdict"], "orphan");
    assert_eq!(current(&a), "c");

    lab.run(&["revert", "e1"]).ok();
    assert_eq!((current(&a), state(&a)), ("a".into(), "running".into()));
    let entry = shown(&lab, &a);
    assert_eq!(
        (&entry["verdict"], &entry["owner"]),
        (&"ok".into(), &"e1".into())
    );

    let run = lab.run(&["revert", "e2"]).code(3);
    assert!(
        run.stderr.contains("owned by `e1` (idle)"),
        "{}",
        run.stderr
    );
    assert_eq!(current(&a), "a");

    lab.run(&["revert", "e2", "--steal", "--reason", "e2e"])
        .ok();
    assert_eq!((current(&a), state(&a)), ("b".into(), "running".into()));
    assert_eq!(
        (status(&lab, "e1"), status(&lab, "e2")),
        ("off".into(), "idle".into())
    );
    let stolen = lab.rows("SELECT detail FROM history WHERE vm = 'e1' ORDER BY id DESC LIMIT 1");
    assert_eq!(stolen, ["off stolen by tester: e2e"]);
    assert_eq!(shown(&lab, &a)["owner"], "e2");

    lab.run(&["poweroff", "e3"]).code(3);
    assert_eq!(state(&a), "running");
    lab.run(&["poweroff", "e2"]).ok();
    assert_eq!(state(&a), "shut off");
    assert_eq!(status(&lab, "e2"), "off");
    assert_eq!(shown(&lab, &a)["verdict"], "free");
    lab.run(&["poweroff", "e2"]).ok();

    // A revert of a shut-off domain starts it on the instance's snapshot.
    lab.run(&["revert", "e3"]).ok();
    assert_eq!((current(&a), state(&a)), ("c".into(), "running".into()));
    assert_eq!(shown(&lab, &a)["verdict"], "ok");

    // Someone reverts behind vmsched's back: drift.
    virsh(&["snapshot-revert", &a, "a", "--running"]);
    assert_eq!(shown(&lab, &a)["verdict"], "drift");
    lab.run(&["domains", "show", "--check"]).code(1);

    // The other domain: free, so it may be powered off; nobody owns it after.
    lab.run(&["poweroff", "f1"]).ok();
    assert_eq!(state(&b), "shut off");
    let entry = shown(&lab, &b);
    assert_eq!(
        (&entry["verdict"], &entry["owner"]),
        (&"free".into(), &Value::Null)
    );
}
