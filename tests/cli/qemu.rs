//! End to end on a real QEMU hypervisor through `qemu:///system`: `revert`, `revert --steal`,
//! `poweroff` and `domains show` checked against what virsh says. Two tiny domains with names
//! unique to this run, removed even when the test fails. Where no hypervisor answers the test
//! passes after a visible `SKIP qemu: <reason>` line on stderr.

use crate::domains::{add, shown};
use crate::hv::{Domain, RealLibvirt};
use crate::support::{me_in, Lab};
use serde_json::Value;

/// A VM's status.
fn status(lab: &Lab, vm: &str) -> String {
    lab.rows(&format!("SELECT status FROM vms WHERE name = '{vm}'"))[0].clone()
}

/// The `domains show` entry of `domain`, checked against virsh.
fn entry_of(lab: &Lab, domain: &Domain) -> Value {
    let entry = shown(lab, &["--domain", &domain.name])[0].clone();
    assert_eq!(entry["live"]["state"], domain.state(), "{entry}");
    assert_eq!(
        entry["live"]["current_snapshot"],
        domain.current_snapshot(),
        "{entry}"
    );
    entry
}

/// The domain's (current snapshot, state).
fn live(domain: &Domain) -> (String, String) {
    (domain.current_snapshot(), domain.state())
}

#[test]
fn real_qemu_revert_steal_poweroff_and_domains_show() {
    let Some(hv) = RealLibvirt::qemu("qemu") else {
        return;
    };
    let a = hv.running_domain("e2e", "a", &["a", "b", "c"]);
    let b = hv.running_domain("e2e", "b", &["a"]);
    let lab = Lab::new();
    add(
        &lab,
        &[
            ("e1", hv.uri, &a.name, "a"),
            ("e2", hv.uri, &a.name, "b"),
            ("e3", hv.uri, &a.name, "c"),
            ("f1", hv.uri, &b.name, "a"),
        ],
    );

    // Created running, every instance off: orphans.
    assert_eq!(entry_of(&lab, &a)["verdict"], "orphan");
    assert_eq!(a.current_snapshot(), "c");

    lab.run(&["revert", "e1"]).ok();
    assert_eq!(live(&a), ("a".into(), "running".into()));
    let entry = entry_of(&lab, &a);
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
    assert_eq!(a.current_snapshot(), "a");

    lab.run(&["revert", "e2", "--steal", "--reason", "e2e"])
        .ok();
    assert_eq!(live(&a), ("b".into(), "running".into()));
    assert_eq!(
        (status(&lab, "e1"), status(&lab, "e2")),
        ("off".into(), "idle".into())
    );
    let stolen = lab.rows("SELECT detail FROM history WHERE vm = 'e1' ORDER BY id DESC LIMIT 1");
    assert_eq!(stolen, [me_in("off stolen by {me}: e2e")]);
    assert_eq!(entry_of(&lab, &a)["owner"], "e2");

    lab.run(&["poweroff", "e3"]).code(3);
    assert_eq!(a.state(), "running");
    lab.run(&["poweroff", "e2"]).ok();
    assert_eq!(a.state(), "shut off");
    assert_eq!(status(&lab, "e2"), "off");
    assert_eq!(entry_of(&lab, &a)["verdict"], "free");
    lab.run(&["poweroff", "e2"]).ok();

    // A revert of a shut-off domain starts it on the instance's snapshot.
    lab.run(&["revert", "e3"]).ok();
    assert_eq!(live(&a), ("c".into(), "running".into()));
    assert_eq!(entry_of(&lab, &a)["verdict"], "ok");

    // Someone reverts behind vmsched's back: drift.
    a.virsh(&["snapshot-revert", &a.name, "a", "--running"]);
    assert_eq!(entry_of(&lab, &a)["verdict"], "drift");
    lab.run(&["domains", "show", "--check"]).code(1);

    // The other domain: free, so it may be powered off; nobody owns it after.
    lab.run(&["poweroff", "f1"]).ok();
    assert_eq!(b.state(), "shut off");
    let entry = entry_of(&lab, &b);
    assert_eq!(
        (&entry["verdict"], &entry["owner"]),
        (&"free".into(), &Value::Null)
    );
}
