//! Passes on events and the workers that ask for them (docs/architecture.md, "Passes on
//! events"): a request made while a pass holds the lock is served before that pass lets go; a
//! task's result survives a database held by another writer; whatever a task leaves behind
//! dies with it; workers start without libvirt; a detached pass never takes cron's alert lines.

use crate::support::{gone, wait_for, Lab};
use std::time::Duration;

/// A lab of `vms` idle VMs (made-up domains: tasks need no hypervisor) that may all run at
/// once. Event passes are off while it is set up (a pass would revert the VMs).
fn idle_lab(lab: Lab, vms: &[&str]) -> Lab {
    lab.run(&["settings", "set", "event_passes", "false"]).ok();
    for vm in vms {
        let add = ["vms", "add", vm, "-c", "test:///default", "--domain", vm];
        lab.run(&[&add[..], &["--snapshot", "s", "--no-check"]].concat())
            .ok();
        lab.run(&["vms", "set", vm, "--status", "idle"]).ok();
    }
    let n = vms.len().to_string();
    lab.run(&["hosts", "set", "*", "--max-active", &n, "--max-running", &n])
        .ok();
    lab.run(&["settings", "set", "event_passes", "true"]).ok();
    lab
}

/// Submits `sh -c SCRIPT` on `w1`.
fn submit_sh(lab: &Lab, script: &str) {
    lab.run(&["jobs", "submit", "--vm", "w1", "--", "sh", "-c", script])
        .ok();
}

/// Waits until every job has ended.
fn jobs_end(lab: &Lab) {
    wait_for("every job to end", || {
        lab.rows("SELECT count(*) FROM jobs WHERE ended IS NULL") == ["0"]
    });
}

#[test]
fn requests_made_while_a_pass_holds_the_lock_are_served_before_it_lets_go() {
    let lab = idle_lab(Lab::with_event_passes(), &["w1", "w2", "w3"]);
    let vms = ["--vm", "w1", "--vm", "w2", "--vm", "w3"];
    lab.run(&[&["jobs", "submit"], &vms[..], &["--", "sleep", "1"]].concat())
        .ok();
    wait_for("the tasks to start", || {
        lab.rows("SELECT count(*) FROM tasks WHERE status = 'running'") == ["3"]
    });
    // A pass that holds the lock for 3 s after its commit, while the three tasks end and
    // their workers ask for passes: they find the lock taken and start none.
    let paused_pass = lab
        .std_cmd(&["schedule-once", "-v"])
        .env("VMSCHED_PASS_PAUSE_MS", "3000")
        .output()
        .unwrap();
    assert!(paused_pass.status.success(), "{paused_pass:?}");
    assert_eq!(
        lab.rows("SELECT status FROM tasks ORDER BY no"),
        ["completed", "completed", "completed"]
    );
    // It ran again for them before it let go: its actions name the dirty VMs.
    let actions = String::from_utf8_lossy(&paused_pass.stderr);
    for vm in ["w1", "w2", "w3"] {
        assert!(actions.contains(vm), "{actions}");
    }
    // The reverts that second run started ask for passes as they end, after it let go: those
    // requests are served too (by the passes they start), none is left behind.
    wait_for("every request to be served", || {
        lab.rows("SELECT requested = served FROM pass_requests") == ["1"]
    });
}

#[test]
fn a_task_keeps_its_result_while_another_writer_holds_the_database() {
    let lab = idle_lab(Lab::new(), &["w1"]);
    submit_sh(&lab, "sleep 1; echo done");
    let pass = lab
        .std_cmd(&["schedule-once"])
        .env("VMSCHED_BUSY_TIMEOUT_MS", "200")
        .output()
        .unwrap();
    assert!(pass.status.success(), "{pass:?}");
    // The task ends after 1 s; the database stays locked for 4 s, twenty busy timeouts.
    let conn = rusqlite::Connection::open(&lab.db).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    std::thread::sleep(Duration::from_secs(4));
    conn.execute_batch("COMMIT").unwrap();
    jobs_end(&lab);
    assert_eq!(
        lab.rows("SELECT status, tries, exit_code FROM tasks"),
        ["completed|0|0"]
    );
    assert_eq!(
        lab.rows("SELECT count(*) FROM history WHERE detail = 'running 1 1 1'"),
        ["1"]
    );
}

#[test]
fn whatever_a_task_leaves_behind_dies_when_it_ends() {
    let lab = idle_lab(Lab::new(), &["w1"]);
    // A background process in the task's group, and one that starts a session of its own
    // after its parent has gone (a daemon's double fork).
    let script = "sleep 300 & echo $! > group.pid; \
                  (setsid sh -c 'echo $$ > session.pid; exec sleep 300' &) ; sleep 0.5";
    submit_sh(&lab, script);
    lab.pass(&[]);
    jobs_end(&lab);
    assert_eq!(lab.rows("SELECT status FROM tasks"), ["completed"]);
    for file in ["group.pid", "session.pid"] {
        let path = lab.path().join("logs/1/1").join(file);
        let pid: i64 = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .trim()
            .parse()
            .unwrap();
        wait_for(&format!("the process of {file} to be killed"), || gone(pid));
    }
}

#[test]
fn workers_start_without_libvirt() {
    let exe = assert_cmd::cargo::cargo_bin("vmsched-worker");
    let out = std::process::Command::new("readelf")
        .arg("-d")
        .arg(&exe)
        .output()
        .expect("run readelf");
    let dynamic = String::from_utf8_lossy(&out.stdout);
    assert!(dynamic.contains("(NEEDED)"), "{dynamic}");
    assert!(!dynamic.contains("libvirt"), "{dynamic}");
    // And it refuses to be run by hand without its arguments.
    let run = std::process::Command::new(&exe).output().unwrap();
    assert_eq!(run.status.code(), Some(2));
}

#[test]
fn passes_started_by_events_leave_the_alert_lines_to_cron() {
    let lab = idle_lab(Lab::with_event_passes(), &["w1"]);
    lab.run(&["settings", "set", "max_task_tries", "1"]).ok();
    // A program that is gone by the time the task starts.
    let program = lab.write("gone.sh", "#!/bin/sh\n");
    std::fs::set_permissions(
        &program,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    lab.run(&["jobs", "submit", "--vm", "w1", "--", &program])
        .ok();
    std::fs::remove_file(&program).unwrap();
    jobs_end(&lab);
    assert_eq!(lab.rows("SELECT status FROM tasks"), ["boterror"]);
    let cron = lab.run(&["schedule-once"]).ok();
    assert!(
        cron.stderr.contains("w1: dirty task 1/1/1 boterror"),
        "{}",
        cron.stderr
    );
}

#[test]
fn roots_pass_runs_as_the_database_owner() {
    let lab = idle_lab(Lab::new(), &["w1"]);
    submit_sh(&lab, "id -u > uid");
    let nobody = nix::unistd::User::from_name("nobody").unwrap().unwrap();
    let owner = |path: &std::path::Path| {
        nix::unistd::chown(path, Some(nobody.uid), Some(nobody.gid)).unwrap()
    };
    owner(lab.path());
    for entry in std::fs::read_dir(lab.path()).unwrap() {
        owner(&entry.unwrap().path());
    }
    lab.pass(&[]);
    jobs_end(&lab);
    let uid = std::fs::read_to_string(lab.path().join("logs/1/1/uid")).unwrap();
    assert_eq!(
        uid.trim(),
        nobody.uid.to_string(),
        "the task ran as another user"
    );
    use std::os::unix::fs::MetadataExt;
    for made in [
        "logs",
        "logs/workers.log",
        "vmsched.db.lock",
        "logs/1/1/1.1.log",
    ] {
        let meta = std::fs::metadata(lab.path().join(made)).unwrap();
        assert_eq!(meta.uid(), nobody.uid.as_raw(), "{made} is not the owner's");
    }
}
