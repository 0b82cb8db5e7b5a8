//! Passes that die anywhere in their pipeline, and passes that run at the same moment: a pass
//! commits its decisions in one transaction and starts its workers after it, so a dead one
//! leaves either nothing or operations that no worker acts on, which the next pass ends; the
//! pass lock lets only one plan at a time.

use super::{lock_file, lock_free, workers_log, CrashLab};
use crate::hv::{RealLibvirt, TEST_URI};
use crate::support::{wait_for, Lab, Run};
use nix::sys::signal::Signal;
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

#[test]
fn pass_killed_before_its_commit_leaves_nothing() {
    killed_pass("before-commit");
}

#[test]
fn pass_killed_after_its_commit_leaves_operations_the_next_pass_ends() {
    killed_pass("after-commit");
}

#[test]
fn pass_killed_after_starting_workers_leaves_no_worker_acting() {
    killed_pass("after-spawn");
}

#[test]
fn pass_killed_after_recording_workers_leaves_no_worker_acting() {
    killed_pass("after-record");
}

/// A pass with a revert (w1) and a task (w2) to start dies at `fault` (VMSCHED_FAULT): no
/// worker acts (the domain is untouched, the task never runs); before the commit the database
/// is as it was, after it the decisions stand with operations that the next pass finds dead
/// and ends; then passes run both jobs.
fn killed_pass(fault: &str) {
    let test = format!("crash-{fault}");
    let Some(hv) = RealLibvirt::test_driver(&test) else {
        return;
    };
    let w1 = hv.domain(&test, "w1", &["s0", "s1"]);
    let w2 = hv.domain(&test, "w2", &["s0"]);
    let lab = Lab::new();
    for (vm, domain) in [("w1", &w1), ("w2", &w2)] {
        let add = ["vms", "add", vm, "-c", TEST_URI, "--domain", &domain.name];
        lab.run(&[&add[..], &["--snapshot", "s0"]].concat()).ok();
        lab.run(&["jobs", "submit", "--vm", vm, "--", "echo", "done"])
            .ok();
    }
    lab.run(&["hosts", "set", "*", "--max-reverts-while-running", "1"])
        .ok();
    lab.run(&["revert", "w2"]).ok();
    let plan = lab.run(&["schedule-once", "--dry-run"]).ok().stdout;
    assert!(
        plan.starts_with("start w2 task 2/1/1\nrevert w1\n"),
        "{plan}"
    );
    let before = lab.dump();
    let last_op = lab.rows("SELECT coalesce(max(id), 0) FROM operations")[0].clone();
    let output = lab
        .std_cmd(&["schedule-once"])
        .env("VMSCHED_FAULT", fault)
        .output()
        .unwrap();
    assert_eq!(
        output.status.signal(),
        Some(Signal::SIGABRT as i32),
        "{output:?}"
    );
    wait_for("the workers to exit", || lab.processes().is_empty());
    let live = "SELECT vm, kind, pid IS NULL FROM operations WHERE ended IS NULL ORDER BY id";
    let log = workers_log(&lab);
    match fault {
        "before-commit" => {
            assert_eq!(lab.dump(), before, "the database changed");
            assert_eq!(log, None, "a worker was started");
        }
        "after-commit" => {
            assert_eq!(lab.rows(live), ["w2|task|1", "w1|revert|1"]);
            assert_eq!(log, None, "a worker was started");
        }
        "after-spawn" => {
            assert_eq!(lab.rows(live), ["w2|task|1", "w1|revert|1"]);
            assert_eq!(log.as_deref(), Some(""), "the workers said something");
        }
        _ => {
            assert_eq!(lab.rows(live), ["w2|task|0", "w1|revert|0"]);
            assert_eq!(log.as_deref(), Some(""), "the workers said something");
        }
    }
    assert!(!lab.path().join("logs/2").exists(), "the task ran");
    assert_eq!(w1.state(), "shut off");
    assert_eq!(w1.current_snapshot(), "s1", "a worker reverted the domain");
    if fault != "before-commit" {
        // Nothing of the dead pass stays live: the next pass ends its operations.
        lab.pass(&[]);
        let crashed = format!("SELECT result FROM operations WHERE id > {last_op} LIMIT 2");
        assert_eq!(
            lab.rows(&crashed),
            ["killed: process died", "killed: process died"]
        );
    }
    lab.drive(&["--wait"], Duration::from_secs(30));
    assert_eq!(
        lab.rows("SELECT status FROM jobs"),
        ["completed", "completed"]
    );
    assert_eq!(w1.current_snapshot(), "s0");
}

/// A lab of three idle VMs with one job of a task on each that sleeps through the test.
fn busy_lab() -> CrashLab {
    let crash = CrashLab::new(&["w1", "w2", "w3"]);
    let lab = &crash.lab;
    lab.run(&[
        "hosts",
        "set",
        "*",
        "--max-active",
        "3",
        "--max-running",
        "3",
    ])
    .ok();
    for vm in ["w1", "w2", "w3"] {
        lab.run(&["vms", "set", vm, "--status", "idle", "--force"])
            .ok();
    }
    let vms = ["--vm", "w1", "--vm", "w2", "--vm", "w3"];
    lab.run(&[&["jobs", "submit"], &vms[..], &["--", "sleep", "3"]].concat())
        .ok();
    crash
}

/// How many times each task of job 1 was started, by task number.
fn starts(lab: &Lab) -> Vec<String> {
    lab.rows(
        "SELECT count(*) FROM history WHERE kind = 'start' AND job = 1 AND step = 1
         GROUP BY task ORDER BY task",
    )
}

#[test]
fn passes_started_together_take_turns() {
    let crash = busy_lab();
    let passes: Vec<_> = (0..4)
        .map(|_| {
            let mut cmd = crash.lab.std_cmd(&["schedule-once"]);
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for pass in passes {
        let run = Run::from(pass.wait_with_output().unwrap()).ok();
        assert_eq!((run.stdout, run.stderr), (String::new(), String::new()));
    }
    assert_eq!(starts(&crash.lab), ["1", "1", "1"]);
}

#[test]
fn a_pass_that_cannot_get_the_lock_exits_4_naming_its_holder() {
    let crash = busy_lab();
    let lab = &crash.lab;
    // Holding the database's write lock stops the first pass in its planning, lock taken.
    let conn = rusqlite::Connection::open(&lab.db).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let mut cmd = lab.std_cmd(&["schedule-once", "--wait"]);
    let mut holder = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let holds = format!("pid {}\n", holder.id());
    wait_for("the first pass to take the lock", || {
        lock_file(lab).starts_with(&holds)
    });
    let second = lab.run(&["schedule-once", "--lock-timeout", "0"]);
    let error = second.code(4).one_line_error();
    assert!(
        error.contains(&format!("(pid {}, start ", holder.id())),
        "{error}"
    );
    conn.execute_batch("ROLLBACK").unwrap();
    // Waiting for the workers is not planning: other passes go on meanwhile.
    wait_for("the first pass to release the lock", || lock_free(lab));
    assert!(
        holder.try_wait().unwrap().is_none(),
        "it kept the lock while waiting"
    );
    lab.pass(&["--lock-timeout", "0"]);
    assert_eq!(starts(lab), ["1", "1", "1"]);
    let first = Run::from(holder.wait_with_output().unwrap()).ok();
    assert_eq!((first.stdout, first.stderr), (String::new(), String::new()));
    assert_eq!(starts(lab), ["1", "1", "1"]);
}
