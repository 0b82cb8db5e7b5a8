//! A task's attempts end to end on libvirt's test driver: every start counts (an admin's
//! forced requeue and a dead worker's retry included), each attempt keeps its own log, and a
//! command that cannot start says why in its attempt's log.

use crate::support::{lab_uri, wait_for, Lab};
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;

/// A lab with VM `t1` on the test driver's `win7`.
fn lab() -> Lab {
    let lab = Lab::new();
    let uri = lab_uri();
    let args = ["vms", "add", "t1", "-c", &uri, "--domain", "win7"];
    lab.run(&[&args[..], &["--snapshot", "wtb"]].concat()).ok();
    lab
}

/// Runs passes that wait for their workers until every job has ended (at most 10).
fn run_to_the_end(lab: &Lab) {
    for _ in 0..10 {
        if lab.rows("SELECT count(*) FROM jobs WHERE ended IS NULL") == ["0"] {
            return;
        }
        lab.run(&["schedule-once", "--wait"]).ok();
    }
    panic!("the job did not end:\n{}", lab.run(&["history"]).stdout);
}

/// The text of attempt `n`'s log of task 1/1/1, empty while there is none.
fn log(lab: &Lab, n: u32) -> String {
    std::fs::read_to_string(lab.path().join(format!("logs/1/1/1.{n}.log"))).unwrap_or_default()
}

#[test]
fn every_attempt_counts_and_keeps_its_own_log() {
    let lab = lab();
    let fast = lab.path().join("fast");
    let script = format!(
        "echo attempt $VMSCHED_TASK; [ -e '{}' ] && exit 0; exec sleep 30",
        fast.display()
    );
    lab.run(&["jobs", "submit", "--vm", "t1", "--", "sh", "-c", &script])
        .ok();
    lab.pass(&["--wait"]); // the revert: t1 idle
                           // Attempt 1, stopped by an admin: requeued without using a try.
    lab.pass(&[]);
    wait_for("attempt 1 runs", || log(&lab, 1) == "attempt 1\n");
    lab.run(&["revert", "t1", "--force"]).ok();
    assert_eq!(
        lab.rows("SELECT status, tries, attempts FROM tasks"),
        ["queued|0|1"]
    );
    // Attempt 2: its worker dies right after starting the command; the next pass retries it.
    let pass = lab
        .std_cmd(&["schedule-once", "--wait"])
        .env("VMSCHED_FAULT", "task-started")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(pass.status.success(), "{pass:?}");
    wait_for("attempt 2 runs", || log(&lab, 2) == "attempt 1\n");
    // Attempt 3 completes.
    std::fs::write(&fast, "").unwrap();
    run_to_the_end(&lab);
    assert_eq!(
        lab.rows("SELECT status, tries, attempts, log FROM tasks"),
        ["completed|1|3|logs/1/1/1.3.log"]
    );
    assert_eq!(
        lab.rows("SELECT no, result, coalesce(exit_code, '-'), log, started IS NOT NULL, ended IS NOT NULL FROM attempts"),
        [
            "1|stopped|-|logs/1/1/1.1.log|1|1",
            "2|worker-died|-|logs/1/1/1.2.log|1|1",
            "3|completed|0|logs/1/1/1.3.log|1|1"
        ]
    );
    for n in 1..=3 {
        assert_eq!(log(&lab, n), "attempt 1\n", "attempt {n}'s log");
    }
    let shown = lab
        .run(&["--format", "json", "jobs", "show", "1"])
        .ok()
        .json();
    let task = &shown["steps"][0]["tasks"][0];
    let results: Vec<_> = task["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["result"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(results, ["stopped", "worker-died", "completed"]);
    assert_eq!(task["tries"], 1);
    let table = lab.run(&["jobs", "show", "1"]).ok().stdout;
    assert!(table.contains(" worker-died "), "{table}");
    let latest = lab.run(&["jobs", "log", "1"]).ok().stdout;
    assert_eq!(
        latest,
        "== job 1 step 1 task 1 (t1), attempt 3 ==\nattempt 1\n"
    );
    let first = lab.run(&["jobs", "log", "1", "--attempt", "1"]).ok().stdout;
    assert_eq!(
        first,
        "== job 1 step 1 task 1 (t1), attempt 1 ==\nattempt 1\n"
    );
}

#[test]
fn a_command_that_cannot_start_says_why_in_its_attempts_log() {
    let lab = lab();
    lab.run(&["settings", "set", "max_task_tries", "2"]).ok();
    let program = lab.write("run-tests.sh", "#!/bin/sh\necho ran\n");
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    lab.run(&["jobs", "submit", "--vm", "t1", "--", "./run-tests.sh"])
        .ok();
    // It stops being executable after it was accepted.
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o644)).unwrap();
    run_to_the_end(&lab);
    assert_eq!(
        lab.rows("SELECT status, tries, attempts FROM tasks"),
        ["boterror|2|2"]
    );
    assert_eq!(
        lab.rows("SELECT no, result FROM attempts"),
        ["1|not-started", "2|not-started"]
    );
    let why = format!(
        "vmsched: not started: cannot start `{program}`: Permission denied (os error 13)\n"
    );
    assert_eq!(log(&lab, 1), why);
    assert_eq!(log(&lab, 2), why);
    let shown = lab.run(&["jobs", "log", "1"]).ok().stdout;
    assert_eq!(
        shown,
        format!("== job 1 step 1 task 1 (t1), attempt 2 ==\n{why}")
    );
}
