//! CLI tests of `revert` and `poweroff` against libvirt's test-driver lab: the ownership rules
//! and their overrides, exit codes, history rows, final statuses, Ctrl-C, and what a
//! concurrent pass sees.

use crate::domains::{add, silent_uri, status, DEAD_URI};
use crate::support::{Lab, Run};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use vmsched::workers::process::Proc;

/// A stand-in worker: a `sleep` leading its own process group, recorded as the VM's live
/// operation with its real start time, as a pass records one.
struct Worker {
    child: Child,
    pid: i64,
}

impl Worker {
    fn start(lab: &Lab, vm: &str, kind: &str, task: Option<(i64, u32, u32)>) -> Worker {
        let child = Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        let pid = i64::from(child.id());
        let proc = Proc::of(pid).unwrap();
        let (job, step, no) = match task {
            Some((j, s, t)) => (j.to_string(), s.to_string(), t.to_string()),
            None => ("NULL".into(), "NULL".into(), "NULL".into()),
        };
        lab.sql(&format!(
            "INSERT INTO operations (vm, kind, pid, start_time, deadline, created, by_user, job, step, task)
             VALUES ('{vm}', '{kind}', {pid}, {}, '2099-01-01T00:00:00Z', '2030-01-01T00:00:00Z',
                     'scheduler', {job}, {step}, {no});
             UPDATE vms SET operation = last_insert_rowid() WHERE name = '{vm}';",
            proc.start_time
        ));
        Worker { child, pid }
    }

    /// Whether it was killed (waits a little for the signal to land).
    fn killed(&mut self) -> bool {
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.signal() == Some(libc::SIGKILL);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A lab with win10 shared by w10 (wtb) and w10_fr (wtb-fr), win7 (w7) and a VM on a host
/// that refuses connections (far).
fn lab() -> Lab {
    let lab = Lab::new();
    add(
        &lab,
        &[
            ("w10", "lab", "win10", "wtb"),
            ("w10_fr", "lab", "win10", "wtb-fr"),
            ("w7", "lab", "win7", "wtb"),
            ("far", DEAD_URI, "far", "s"),
        ],
    );
    lab
}

/// A VM's (status, errors, operation).
fn vm(lab: &Lab, name: &str) -> String {
    let rows = lab.rows(&format!(
        "SELECT status, errors, coalesce(operation, '-') FROM vms WHERE name = '{name}'"
    ));
    rows[0].clone()
}

/// A VM's history after `added`, as `old|new|detail|user|reason`.
fn history(lab: &Lab, name: &str) -> Vec<String> {
    lab.rows(&format!(
        "SELECT old_status, new_status, detail, user, reason FROM history
         WHERE vm = '{name}' AND detail != 'added' ORDER BY id"
    ))
}

/// The operations rows as `vm|kind|by_user|result` (`ended` must be set for a result).
fn operations(lab: &Lab) -> Vec<String> {
    lab.rows(
        "SELECT vm, kind, by_user, CASE WHEN ended IS NULL THEN 'live' ELSE result END
         FROM operations ORDER BY id",
    )
}

/// Runs a refused command: exit 3, one error line naming what is in the way, nothing changed.
fn refused(lab: &Lab, args: &[&str], error: &str, hint: &str) {
    let before = lab.dump();
    let run = lab.run(args).code(3);
    assert_eq!(run.one_line_error(), format!("error: {error}"));
    assert!(run.stderr.contains(hint), "{}", run.stderr);
    assert_eq!(lab.dump(), before, "a refused command changed the database");
}

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
            "off|reverting|reverting by alice: stuck guest|alice|stuck guest",
            "reverting|idle|idle|alice|NULL"
        ]
    );
    assert_eq!(operations(&lab), ["w10|revert|alice|ok"]);
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
        "idle|off|off stolen by tester: urgent|tester|urgent"
    );
    // The owner's off row comes before the thief's reverting row.
    let order = lab.rows(
        "SELECT vm || ' ' || new_status FROM history WHERE user = 'tester' AND detail != 'added'
         AND detail NOT LIKE '% by tester' ORDER BY id",
    );
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
            "w10_fr|revert|scheduler|stolen by tester",
            "w10|revert|tester|ok"
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
            "running|running|task 1/1/1 requeued: stopped by tester|tester|NULL",
            "running|off|off forced by tester: hung task|tester|hung task"
        ]
    );
    assert_eq!(
        operations(&lab)[0],
        "w10_fr|task|scheduler|stopped by tester"
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
        "running|running|task 1/1/1 requeued: process died|tester|NULL"
    );
    assert_eq!(operations(&lab)[0], "w10|task|scheduler|process died");
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
            "w10|revert|scheduler|stopped by tester",
            "w10|revert|tester|ok"
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
            "maintenance|maintenance|maintenance revert by tester: debugging|tester|debugging",
            "maintenance|maintenance|maintenance revert done|tester|NULL"
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
        "maintenance|maintenance|maintenance poweroff done|tester|NULL"
    );
    assert_eq!(operations(&lab), Vec::<String>::new());
}

#[test]
fn an_unreachable_host_puts_the_vm_offline() {
    let lab = lab();
    for (args, what) in [
        (["revert", "far"], "revert"),
        (["poweroff", "far"], "power-off"),
    ] {
        let run = lab.run(&args).code(1);
        let error = run.one_line_error();
        assert!(
            error.starts_with(&format!("error: {what} of VM `far` failed (offline): "))
                && error.contains("Connection refused"),
            "{error}"
        );
    }
    assert_eq!(vm(&lab, "far"), "offline|2|-");
    let rows = history(&lab, "far");
    assert!(rows[0].starts_with("off|reverting|reverting by tester|"));
    assert!(rows[1].starts_with("reverting|offline|offline revert failed: unable to connect"));
    assert!(rows[2].starts_with("offline|dirty|dirty poweroff by tester|"));
    assert!(rows[3].starts_with("dirty|offline|offline power-off failed: "));
    let ops = operations(&lab);
    assert!(
        ops.iter().all(|o| o.contains("Connection refused")),
        "{ops:?}"
    );
}

#[test]
fn unknown_vm_is_bad_input() {
    let lab = lab();
    for command in ["revert", "poweroff"] {
        let run = lab.run(&[command, "nope"]).code(2);
        assert_eq!(run.one_line_error(), "error: unknown VM `nope`");
    }
}

#[test]
fn poweroff_of_an_owned_or_free_domain() {
    let lab = lab();
    status(&lab, "w10", "idle");
    let run = lab.run(&["poweroff", "w10", "--reason", "disk check"]).ok();
    assert_eq!(run.stderr, "VM `w10`: domain `win10` powered off (off)\n");
    assert_eq!(
        history(&lab, "w10")[1..],
        [
            "idle|dirty|dirty poweroff by tester: disk check|tester|disk check",
            "dirty|off|off|tester|NULL"
        ]
    );
    // win7 is shut off already: still a success.
    lab.run(&["poweroff", "w7"]).ok();
    assert_eq!(vm(&lab, "w7"), "off|0|-");
    assert_eq!(
        operations(&lab),
        ["w10|poweroff|tester|ok", "w7|poweroff|tester|ok"]
    );
}

#[test]
fn poweroff_of_a_siblings_domain_needs_force() {
    let lab = lab();
    status(&lab, "w10_fr", "idle");
    refused(
        &lab,
        &["poweroff", "w10"],
        "domain `win10` is owned by `w10_fr` (idle)",
        "hint: pass `--force` to stop what `w10_fr` does and take the domain",
    );
    lab.run(&["poweroff", "w10", "--force"]).ok();
    assert_eq!(vm(&lab, "w10"), "off|0|-");
    assert_eq!(vm(&lab, "w10_fr"), "off|0|-");
    assert_eq!(
        history(&lab, "w10_fr").last().unwrap(),
        "idle|off|off forced by tester|tester|NULL"
    );
}

#[test]
fn ctrl_c_puts_the_vm_offline_and_a_pass_meanwhile_sees_it_busy() {
    let lab = Lab::new();
    let silent = silent_uri(&lab, "silent.sock");
    add(
        &lab,
        &[("s", &silent, "dom", "a"), ("s2", &silent, "dom", "b")],
    );
    lab.task(1, "s2", "queued");
    let child = lab
        .std_cmd(&["--timeout", "30", "revert", "s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while vm(&lab, "s") != "reverting|0|1" {
        assert!(Instant::now() < until, "never reverting: {}", vm(&lab, "s"));
        std::thread::sleep(Duration::from_millis(20));
    }

    // A pass now sees `s` busy (its operation names a live process): it neither marks it nor
    // lets `s2` take the domain for its queued task.
    let plan = lab
        .run(&["schedule-once", "--dry-run", "--format", "json"])
        .ok()
        .json();
    assert_eq!(plan["actions"], serde_json::json!([]), "{plan}");
    assert_eq!(plan["owners"][0]["owner"], "s");
    assert_eq!(plan["waiting"][0]["vm"], "s2");

    let start = Instant::now();
    // SAFETY: signals our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let output = child.wait_with_output().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let run = Run::from(output).code(130);
    assert_eq!(
        run.one_line_error(),
        "error: interrupted: VM `s` is offline"
    );
    assert_eq!(vm(&lab, "s"), "offline|0|-");
    assert_eq!(
        history(&lab, "s").last().unwrap(),
        "reverting|offline|offline interrupted|tester|NULL"
    );
    assert_eq!(operations(&lab), ["s|revert|tester|interrupted"]);
}
