//! Every way an admin or an outside change once made a task see another instance's snapshot,
//! on real QEMU: the task never runs on it. Two instances `a1`, `a2` share one tiny domain;
//! each task checks with virsh, at its start, that the domain's current snapshot is its own
//! instance's (exit 1 and `wrong snapshot` in its log otherwise), so a completed task is one
//! that saw the right snapshot. Where no hypervisor answers, a `SKIP` line and a pass.

use crate::domains::add;
use crate::hv::{Domain, RealLibvirt};
use crate::support::{gone, wait_for, Lab};
use std::time::Duration;

/// The task: fails unless the domain runs its instance's snapshot.
const CHECK: &str = r#"current=$(virsh -q -c "$VMSCHED_URI" snapshot-current --name "$VMSCHED_DOMAIN")
[ "$current" = "$VMSCHED_SNAPSHOT" ] || { echo "wrong snapshot: $current"; exit 1; }
echo "saw $current""#;

/// A lab of `a1` (snapshot `s1`) and `a2` (`s2`) on one running QEMU domain, event passes off:
/// the test runs the passes.
fn shared(hv: &RealLibvirt, test: &str) -> (Domain, Lab) {
    let domain = hv.running_domain(test, "d", &["s1", "s2"]);
    let lab = Lab::new();
    add(
        &lab,
        &[
            ("a1", hv.uri, &domain.name, "s1"),
            ("a2", hv.uri, &domain.name, "s2"),
        ],
    );
    (domain, lab)
}

/// Submits the checking task on `vm`.
fn submit(lab: &Lab, vm: &str) {
    lab.run(&["jobs", "submit", "--vm", vm, "--", "sh", "-c", CHECK])
        .ok();
}

/// Runs cron-like passes (`schedule-once --wait`) until every job has ended; returns the alert
/// lines they printed.
fn drive(lab: &Lab) -> Vec<String> {
    let mut alerts = Vec::new();
    for _ in 0..30 {
        if lab.rows("SELECT count(*) FROM jobs WHERE ended IS NULL") == ["0"] {
            return alerts;
        }
        let run = lab.run(&["schedule-once", "--wait"]).ok();
        alerts.extend(run.stderr.lines().map(str::to_string));
    }
    panic!("jobs still open:\n{}", lab.run(&["history"]).stdout);
}

/// Every task completed, having seen its own snapshot, with no try used up.
fn assert_all_completed_right(lab: &Lab) {
    for row in lab.rows("SELECT status, tries, log FROM tasks") {
        let fields: Vec<&str> = row.split('|').collect();
        assert_eq!(fields[..2], ["completed", "0"], "{row}");
        let log = std::fs::read_to_string(lab.path().join(fields[2])).unwrap();
        assert!(log.starts_with("saw "), "{log}");
    }
    // The command's own line; an attempt the check refused says `vmsched: not started: ...`.
    let wrong = lab.path().join("logs");
    let logs = std::process::Command::new("grep")
        .args(["-rl", "^wrong snapshot"])
        .arg(&wrong)
        .output()
        .unwrap();
    assert!(logs.stdout.is_empty(), "a task saw a wrong snapshot");
}

/// Task 1/1/1's first attempt was refused by the check, and its log says so.
fn assert_first_attempt_refused(lab: &Lab) {
    let first = lab.rows("SELECT result, log FROM attempts WHERE job = 1 AND no = 1");
    let fields: Vec<&str> = first[0].split('|').collect();
    assert_eq!(fields[0], "wrong-snapshot");
    let log = std::fs::read_to_string(lab.path().join(fields[1])).unwrap();
    assert!(
        log.starts_with("vmsched: not started: wrong snapshot: "),
        "{log}"
    );
}

#[test]
fn an_admin_cannot_claim_idle_on_a_siblings_snapshot() {
    let Some(hv) = RealLibvirt::qemu("wrong snapshot: admin idle") else {
        return;
    };
    let (domain, lab) = shared(&hv, "ws-idle");
    lab.run(&["revert", "a1"]).ok();
    lab.run(&["vms", "set", "a1", "--status", "off"]).ok();
    // libvirt shows s1: a2 may not claim it runs s2.
    let refused = lab.refused(&["vms", "set", "a2", "--status", "idle"], 3);
    assert!(
        refused.stderr.contains("current snapshot `s1`") && refused.stderr.contains("hint:"),
        "{}",
        refused.stderr
    );
    // Maintenance, a new snapshot, then idle: refused the same way.
    lab.run(&["vms", "set", "a1", "--status", "maintenance"])
        .ok();
    lab.run(&["vms", "set", "a1", "--snapshot", "s2"]).ok();
    lab.refused(&["vms", "set", "a1", "--status", "idle"], 3);
    lab.run(&["vms", "set", "a1", "--snapshot", "s1", "--status", "off"])
        .ok();
    // Forced, the claim is recorded, and the task's check still refuses to start on s1.
    lab.run(&["vms", "set", "a2", "--status", "idle", "--force"])
        .ok();
    submit(&lab, "a2");
    let alerts = drive(&lab);
    assert_all_completed_right(&lab);
    assert_first_attempt_refused(&lab);
    assert_eq!(
        alerts
            .iter()
            .filter(|l| l.contains("wrong snapshot"))
            .count(),
        1,
        "{alerts:?}"
    );
    let history = lab.rows("SELECT detail FROM history WHERE vm = 'a2' ORDER BY id");
    assert!(
        history
            .iter()
            .any(|d| d.starts_with("dirty wrong snapshot, task 1/1/1 not started")),
        "{history:#?}"
    );
    assert_eq!(domain.current_snapshot(), "s2");
}

#[test]
fn a_revert_behind_vmscheds_back_starts_no_task() {
    let Some(hv) = RealLibvirt::qemu("wrong snapshot: virsh revert") else {
        return;
    };
    let (domain, lab) = shared(&hv, "ws-virsh");
    lab.run(&["revert", "a1"]).ok();
    domain.virsh(&["snapshot-revert", &domain.name, "s2", "--running"]);
    assert_eq!(lab.run(&["domains", "show", "--check"]).code(1).code, 1);
    submit(&lab, "a1");
    drive(&lab);
    assert_all_completed_right(&lab);
    assert_first_attempt_refused(&lab);
    assert_eq!(domain.current_snapshot(), "s1");
}

#[test]
fn nothing_a_task_left_behind_outlives_it_into_a_siblings_turn() {
    let Some(hv) = RealLibvirt::qemu("wrong snapshot: background process") else {
        return;
    };
    let (_domain, lab) = shared(&hv, "ws-background");
    // Two seconds after its task, the background process would look at the domain.
    let late = lab.path().join("late");
    let script = format!(
        "(sleep 2; virsh -q -c \"$VMSCHED_URI\" snapshot-current --name \"$VMSCHED_DOMAIN\" > '{}') & exit 0",
        late.display()
    );
    lab.run(&["jobs", "submit", "--vm", "a1", "--", "sh", "-c", &script])
        .ok();
    submit(&lab, "a2");
    drive(&lab);
    std::thread::sleep(Duration::from_secs(3));
    assert!(!late.exists(), "the background process ran on");
}

#[test]
fn removing_a_vm_with_a_running_task_stops_the_task() {
    let Some(hv) = RealLibvirt::qemu("wrong snapshot: remove --force") else {
        return;
    };
    let (_domain, lab) = shared(&hv, "ws-remove");
    let pid = lab.path().join("pid");
    let script = format!("echo $$ > '{}'; exec sleep 60", pid.display());
    lab.run(&["jobs", "submit", "--vm", "a1", "--", "sh", "-c", &script])
        .ok();
    wait_for("the task to run", || {
        lab.run(&["schedule-once"]).ok();
        pid.exists()
    });
    let command: i64 = std::fs::read_to_string(&pid)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    lab.run(&["vms", "remove", "a1", "--force"]).ok();
    wait_for("the task's command to be killed", || gone(command));
    assert_eq!(lab.rows("SELECT status FROM jobs"), ["canceled"]);
    // The domain is free for the sibling at once.
    submit(&lab, "a2");
    drive(&lab);
    assert_eq!(
        lab.rows("SELECT status FROM tasks ORDER BY job"),
        ["canceled", "completed"]
    );
}

#[test]
fn a_snapshot_deleted_behind_vmscheds_back_quarantines_the_vm_with_one_alert() {
    let Some(hv) = RealLibvirt::qemu("wrong snapshot: deleted snapshot") else {
        return;
    };
    let (domain, lab) = shared(&hv, "ws-deleted");
    lab.run(&["settings", "set", "monitor_interval", "1"]).ok();
    domain.virsh(&["snapshot-delete", &domain.name, "s2"]);
    submit(&lab, "a2");
    let mut alerts = Vec::new();
    for _ in 0..8 {
        let run = lab.run(&["schedule-once", "--wait"]).ok();
        alerts.extend(run.stderr.lines().map(str::to_string));
        std::thread::sleep(Duration::from_millis(700));
    }
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert!(
        alerts[0].starts_with("warning: a2: offline revert failed"),
        "{alerts:?}"
    );
    assert_eq!(
        lab.rows("SELECT status, errors FROM vms WHERE name = 'a2'"),
        ["offline|1"]
    );
    let monitors = lab.rows(
        "SELECT count(*) FROM history WHERE vm = 'a2' AND detail LIKE 'offline monitor: snapshot `s2`%missing'",
    );
    assert_ne!(monitors, ["0"], "{}", lab.run(&["history"]).stdout);
    assert_eq!(lab.rows("SELECT status FROM jobs"), ["queued"]);
}
