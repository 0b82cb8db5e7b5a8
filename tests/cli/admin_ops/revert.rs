//! `revert`: of a free or owned domain, from a lamb with `--steal`, from a busy owner with
//! `--force`, and of a VM in maintenance.

use super::{history, lab, operations, refused, vm, Worker};
use crate::domains::status;
use crate::support::{me_in, Run};

#[test]
fn revert_of_a_free_domain_records_who_and_why() {
    let lab = lab();
    lab.sql("UPDATE vms SET errors = 2 WHERE name = 'w10'");
    let args = ["revert", "w10", "--reason", "stuck guest"];
    let run = Run::from(lab.cmd(&args).env("SUDO_USER", "alice").output().unwrap()).ok();
    assert_eq!(run.stderr, "VM `w10`: reverted to `wtb` (idle)\n");
    assert_eq!(run.stdout, "");
    assert_eq!(vm(&lab, "w10"), "idle|0|-");
    assert_eq!(
        history(&lab, "w10"),
        [
            "off|reverting|reverting by {me}: stuck guest|{me}|stuck guest",
            "reverting|idle|idle|{me}|NULL"
        ]
        .map(me_in),
        "the real user, not SUDO_USER"
    );
    assert_eq!(operations(&lab), [me_in("w10|revert|{me}|ok")]);
    // The operation named this command's process while it ran.
    let pid = lab.rows("SELECT pid IS NOT NULL AND start_time IS NOT NULL FROM operations");
    assert_eq!(pid, ["1"]);
}

#[test]
fn revert_of_an_owned_domain() {
    let lab = lab();
    status(&lab, "w10_fr", "dirty");
    lab.run(&["revert", "w10_fr"]).ok();
    assert_eq!(vm(&lab, "w10_fr"), "idle|0|-");
    assert_eq!(vm(&lab, "w10"), "off|0|-");
}

#[test]
fn a_lamb_sibling_refuses_without_steal() {
    for owner in ["idle", "dirty", "sleeping"] {
        let lab = lab();
        lab.sql(&format!(
            "UPDATE vms SET status = '{owner}' WHERE name = 'w10_fr'"
        ));
        refused(
            &lab,
            &["revert", "w10"],
            &format!("domain `win10` is owned by `w10_fr` ({owner})"),
            "hint: pass `--steal` to take the domain from `w10_fr`",
        );
    }
}

#[test]
fn steal_takes_the_domain_from_a_lamb_and_records_it() {
    let lab = lab();
    status(&lab, "w10_fr", "idle");
    let run = lab
        .run(&["revert", "w10", "--steal", "--reason", "urgent"])
        .ok();
    assert_eq!(
        run.stderr,
        "VM `w10_fr` gave domain `win10` up: idle -> off\nVM `w10`: reverted to `wtb` (idle)\n"
    );
    assert_eq!(vm(&lab, "w10_fr"), "off|0|-");
    assert_eq!(vm(&lab, "w10"), "idle|0|-");
    assert_eq!(
        history(&lab, "w10_fr").last().unwrap(),
        &me_in("idle|off|off stolen by {me}: urgent|{me}|urgent")
    );
    // The owner's off row comes before the thief's reverting row.
    let order = lab.rows(&me_in(
        "SELECT vm || ' ' || new_status FROM history WHERE user = '{me}' AND detail != 'added'
             AND detail NOT LIKE '% by {me}' ORDER BY id",
    ));
    assert_eq!(order, ["w10_fr off", "w10 reverting", "w10 idle"]);
}

#[test]
fn steal_from_a_sleeping_owner_kills_its_worker() {
    let lab = lab();
    lab.sql("UPDATE vms SET status = 'sleeping' WHERE name = 'w10_fr'");
    let mut worker = Worker::start(&lab, "w10_fr", "revert", None);
    lab.run(&["revert", "w10", "--steal"]).ok();
    assert!(worker.killed(), "the sleeping owner's worker still runs");
    assert_eq!(vm(&lab, "w10_fr"), "off|0|-");
    assert_eq!(
        operations(&lab),
        [
            me_in("w10_fr|revert|scheduler|killed: stolen by {me}"),
            me_in("w10|revert|{me}|ok")
        ]
    );
}

#[test]
fn a_busy_owner_needs_force() {
    for owner in ["running", "reverting", "offline", "maintenance"] {
        let lab = lab();
        lab.sql(&format!(
            "UPDATE vms SET status = '{owner}' WHERE name = 'w10_fr'"
        ));
        let _worker = matches!(owner, "running" | "reverting")
            .then(|| Worker::start(&lab, "w10_fr", "revert", None));
        refused(
            &lab,
            &["revert", "w10", "--steal"],
            &format!("domain `win10` is owned by `w10_fr` ({owner})"),
            "hint: pass `--force` to stop what `w10_fr` does",
        );
        refused(
            &lab,
            &["poweroff", "w10"],
            &format!("domain `win10` is owned by `w10_fr` ({owner})"),
            "hint: pass `--force`",
        );
    }
}

#[test]
fn force_stops_a_running_owner_and_requeues_its_task_without_a_try() {
    let lab = lab();
    lab.task(1, "w10_fr", "running");
    lab.sql(
        "UPDATE tasks SET tries = 1, started = '2030-01-01T00:00:00Z';
         UPDATE jobs SET status = 'running'; UPDATE steps SET status = 'running';
         UPDATE vms SET status = 'running' WHERE name = 'w10_fr';",
    );
    let mut worker = Worker::start(&lab, "w10_fr", "task", Some((1, 1, 1)));
    lab.run(&["revert", "w10", "--force", "--reason", "hung task"])
        .ok();
    assert!(worker.killed(), "the owner's task worker still runs");
    assert_eq!(vm(&lab, "w10_fr"), "off|0|-");
    assert_eq!(vm(&lab, "w10"), "idle|0|-");
    assert_eq!(
        lab.rows("SELECT status, tries, coalesce(started, '-') FROM tasks"),
        ["queued|1|-"]
    );
    assert_eq!(lab.rows("SELECT status FROM jobs"), ["queued"]);
    assert_eq!(
        history(&lab, "w10_fr"),
        [
            me_in("running|running|task 1/1/1 requeued: stopped by {me}|{me}|NULL"),
            me_in("running|off|off forced by {me}: hung task|{me}|hung task")
        ]
    );
    assert_eq!(
        operations(&lab)[0],
        me_in("w10_fr|task|scheduler|killed: stopped by {me}")
    );
}

#[test]
fn a_dead_workers_task_uses_a_try_as_a_pass_would_count_it() {
    let lab = lab();
    lab.task(1, "w10", "running");
    lab.sql(&format!(
        "UPDATE vms SET status = 'running' WHERE name = 'w10';
         INSERT INTO operations (vm, kind, pid, start_time, deadline, created, by_user, job, step, task)
         VALUES ('w10', 'task', {}, 1, '2099-01-01T00:00:00Z', '2030-01-01T00:00:00Z', 'scheduler', 1, 1, 1);
         UPDATE vms SET operation = last_insert_rowid() WHERE name = 'w10';",
        i32::MAX
    ));
    // No --force needed: nothing lives.
    lab.run(&["revert", "w10"]).ok();
    assert_eq!(vm(&lab, "w10"), "idle|0|-");
    assert_eq!(lab.rows("SELECT status, tries FROM tasks"), ["queued|1"]);
    assert_eq!(
        history(&lab, "w10")[0],
        me_in("running|running|task 1/1/1 requeued: process died|{me}|NULL")
    );
    assert_eq!(
        operations(&lab)[0],
        "w10|task|scheduler|killed: process died"
    );
}

#[test]
fn the_vms_own_live_operation_needs_force() {
    let lab = lab();
    lab.sql("UPDATE vms SET status = 'reverting' WHERE name = 'w10'");
    let mut worker = Worker::start(&lab, "w10", "revert", None);
    let error = format!(
        "VM `w10` is busy: its revert operation (pid {}) is live",
        worker.pid
    );
    refused(&lab, &["revert", "w10", "--steal"], &error, "`--force`");
    refused(&lab, &["poweroff", "w10"], &error, "`--force`");
    lab.run(&["revert", "w10", "--force"]).ok();
    assert!(worker.killed());
    assert_eq!(vm(&lab, "w10"), "idle|0|-");
    assert_eq!(
        operations(&lab),
        [
            me_in("w10|revert|scheduler|killed: stopped by {me}"),
            me_in("w10|revert|{me}|ok")
        ]
    );
}

#[test]
fn a_vm_in_maintenance_is_reverted_and_stays_in_maintenance() {
    let lab = lab();
    status(&lab, "w10", "maintenance");
    status(&lab, "far", "maintenance");
    let run = lab.run(&["revert", "w10", "--reason", "debugging"]).ok();
    assert_eq!(run.stderr, "VM `w10`: reverted to `wtb` (maintenance)\n");
    assert_eq!(vm(&lab, "w10"), "maintenance|0|-");
    let rows = history(&lab, "w10");
    assert_eq!(
        rows[1..],
        [
            me_in("maintenance|maintenance|maintenance revert by {me}: debugging|{me}|debugging"),
            me_in("maintenance|maintenance|maintenance revert done|{me}|NULL")
        ]
    );
    // Also when libvirt fails.
    let run = lab.run(&["revert", "far"]).code(1);
    assert!(
        run.one_line_error().contains("(maintenance)"),
        "{}",
        run.stderr
    );
    assert_eq!(vm(&lab, "far"), "maintenance|0|-");
    assert!(history(&lab, "far")
        .last()
        .unwrap()
        .starts_with("maintenance|maintenance|maintenance revert failed: unable to connect"));
    lab.run(&["poweroff", "w10"]).ok();
    assert_eq!(vm(&lab, "w10"), "maintenance|0|-");
    assert_eq!(
        history(&lab, "w10").last().unwrap(),
        &me_in("maintenance|maintenance|maintenance poweroff done|{me}|NULL")
    );
    assert_eq!(operations(&lab), Vec::<String>::new());
}

#[test]
fn a_retired_vms_live_worker_holds_its_domain_even_while_off() {
    let lab = lab();
    lab.run(&["vms", "set", "w10", "--role", "retired"]).ok();
    let _worker = Worker::start(&lab, "w10", "task", None);
    refused(
        &lab,
        &["revert", "w10_fr", "--steal"],
        "domain `win10` is owned by `w10` (off)",
        "hint: pass `--force` to stop what `w10` does",
    );
    let error = lab
        .refused(&["vms", "set", "w10_fr", "--status", "dirty"], 3)
        .one_line_error();
    assert!(
        error.contains("VM `w10` of domain `win10` is `off` with a live worker"),
        "{error}"
    );
    let win10 = crate::domains::shown(&lab, &["--no-live", "--domain", "win10"]);
    assert_eq!(win10[0]["owner"], "w10");
}
