//! CLI tests of `vms set`: admin statuses, the one-instance-per-domain rule, identity changes
//! and live operations.

use crate::inventory::{last_history, live_revert, vm};
use crate::support::{me_in, Lab, Run};
use serde_json::{json, Value};

/// The example inventory's domains exist nowhere: changes of them do not ask libvirt.
const NO_CHECK: &str = "--no-check";

/// Runs a refused `vms set ARGS`: exit 3, one error line containing `error`, nothing changed.
fn refused(lab: &Lab, args: &[&str], error: &str) {
    let line = lab
        .refused(&[&["vms", "set"], args].concat(), 3)
        .one_line_error();
    assert!(line.contains(error), "{line}");
}

#[test]
fn an_admin_status_change_resets_errors_and_records_who_and_why() {
    let lab = Lab::example();
    lab.sql("UPDATE vms SET status = 'offline', errors = 3 WHERE name = 'win7'");
    let args = [
        "vms",
        "set",
        "win7",
        "--status",
        "maintenance",
        "--reason",
        "disk full",
    ];
    let run = Run::from(lab.cmd(&args).env("SUDO_USER", "alice").output().unwrap()).ok();
    assert_eq!(run.stderr, "VM `win7`: maintenance\n");
    let win7 = vm(&lab, "win7");
    assert_eq!(
        (&win7["status"], &win7["errors"]),
        (&json!("maintenance"), &json!(0))
    );
    let entry = last_history(&lab, "win7");
    let expected = json!({
        "time": entry["time"], "kind": "admin", "vm": "win7", "host": "localhost", "old": "offline",
        "new": "maintenance", "detail": me_in("maintenance by {me}: disk full"), "user": me_in("{me}"),
        "on_behalf_of": null, "reason": "disk full"
    });
    assert_eq!(entry, expected);
}

#[test]
fn only_one_instance_of_a_domain_is_in_use() {
    let lab = Lab::example();
    lab.run(&["vms", "set", "w10", "--status", "idle", "--force"])
        .ok();
    refused(
        &lab,
        &["w10_fr", "--status", "dirty"],
        "VM `w10` of domain `win10` is `idle`: only one instance",
    );
    lab.run(&["vms", "set", "w10", "--status", "dirty"]).ok();
    lab.run(&["vms", "set", "w10_fr", "--status", "off"]).ok();
    lab.run(&["vms", "set", "w10_fr", "--status", "maintenance", "--force"])
        .ok();
    assert_eq!(
        last_history(&lab, "w10_fr")["detail"],
        me_in("maintenance, forced by {me}")
    );
}

#[test]
fn uri_domain_and_snapshot_change_only_while_unused() {
    let lab = Lab::example();
    lab.run(&["vms", "set", "w10", "--snapshot", "wtb2", NO_CHECK])
        .ok();
    lab.run(&["vms", "set", "win7", "--status", "idle", "--force"])
        .ok();
    refused(
        &lab,
        &["win7", "--snapshot", "x", NO_CHECK],
        "VM `win7` while it is `idle`",
    );
    lab.run(&["vms", "set", "win7", "--status", "maintenance"])
        .ok();
    lab.run(&["vms", "set", "win7", "--domain", "win7b", NO_CHECK])
        .ok();
    lab.run(&["vms", "set", "w10", "--status", "idle", "--force"])
        .ok();
    let run = lab
        .run(&["vms", "set", "win7", "--domain", "win10", NO_CHECK])
        .code(3);
    assert!(run
        .one_line_error()
        .contains("VM `w10` of domain `win10` is `idle`"));
    lab.run(&[
        "vms",
        "set",
        "w10",
        "--status",
        "off",
        "--snapshot",
        "wtb3",
        NO_CHECK,
    ])
    .ok();
    assert_eq!(vm(&lab, "w10")["snapshot"], "wtb3");
    assert_eq!(vm(&lab, "win7")["domain"], "win7b");
}

#[test]
fn a_live_operation_blocks_status_changes_unless_forced() {
    let lab = Lab::example();
    live_revert(&lab, "win7");
    refused(
        &lab,
        &["win7", "--status", "off"],
        "VM `win7` is busy: its revert operation (pid 4242) is live",
    );
    lab.run(&["vms", "set", "win7", "--description", "busy"])
        .ok();
    lab.run(&["vms", "set", "win7", "--status", "off", "--force"])
        .ok();
    assert_eq!(vm(&lab, "win7")["status"], "off");
}

#[test]
fn set_changes_fields_and_the_readiness_command() {
    let lab = Lab::example();
    let args = [
        "vms",
        "set",
        "build",
        "--kind",
        "build64",
        "--role",
        "retired",
        "--hostname",
        "",
        "--description",
        "old builder",
        "--ready-cmd",
        "ping",
        "-c1",
        "build.lab",
    ];
    lab.run(&args).ok();
    let build = vm(&lab, "build");
    assert_eq!(
        (
            &build["kind"],
            &build["role"],
            &build["hostname"],
            &build["description"]
        ),
        (
            &json!("build64"),
            &json!("retired"),
            &Value::Null,
            &json!("old builder")
        )
    );
    let ready = "SELECT ready_cmd FROM vms WHERE name = 'build'";
    assert_eq!(lab.rows(ready), [r#"["ping","-c1","build.lab"]"#]);
    lab.run(&["vms", "set", "build", "--no-ready-cmd"]).ok();
    assert_eq!(lab.rows(ready), ["NULL"]);
    let run = lab.run(&["vms", "set", "build", "--kind", "build64"]).ok();
    assert_eq!(run.stderr, "VM `build` unchanged\n");
}

#[test]
fn a_dead_workers_operation_blocks_nothing_and_is_ended_as_a_pass_would() {
    let lab = Lab::example();
    lab.task(1, "w10", "running");
    lab.sql(&format!(
        "UPDATE vms SET status = 'running' WHERE name = 'w10';
         INSERT INTO operations (vm, kind, pid, start_time, deadline, created, by_user, job, step, task)
         VALUES ('w10', 'task', {}, 1, '2099-01-01T00:00:00Z', '2030-01-01T00:00:00Z', 'scheduler', 1, 1, 1);
         UPDATE vms SET operation = last_insert_rowid() WHERE name = 'w10';",
        i32::MAX
    ));
    lab.run(&["vms", "set", "w10", "--status", "dirty"]).ok();
    assert_eq!(vm(&lab, "w10")["child"], Value::Null);
    assert_eq!(lab.rows("SELECT status, tries FROM tasks"), ["queued|1"]);
    assert_eq!(
        lab.rows("SELECT result FROM operations"),
        ["killed: process died"]
    );
}
