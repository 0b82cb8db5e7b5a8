//! Fast chaos regressions on libvirt's test driver: a worker killed in the narrowest windows
//! the soak's random kills can only hit by luck.

use crate::invariants::start_time;
use crate::support::{lab_uri, Lab};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Waits up to 10 s for `ready`.
fn wait_for<T>(what: &str, mut ready: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = ready() {
            return value;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A task worker killed right after starting its command (the test hook
/// `VMSCHED_FAULT=task-started` aborts it there): the pass that finds the worker dead must
/// still kill the command (it is in the worker's session), not let it run on while the task is
/// retried.
#[test]
fn a_task_command_dies_with_a_worker_killed_right_after_starting_it() {
    let lab = Lab::new();
    lab.run(&[
        "vms",
        "add",
        "t1",
        "-c",
        &lab_uri(),
        "--domain",
        "win7",
        "--snapshot",
        "wtb",
    ])
    .ok();
    let pid_file = lab.path().join("command.pid");
    let script = format!("echo $$ > '{}'; exec sleep 30", pid_file.display());
    lab.run(&["jobs", "submit", "--vm", "t1", "--", "sh", "-c", &script])
        .ok();
    lab.run(&["schedule-once", "--wait"]).ok(); // the revert: t1 idle
    let pass = lab
        .std_cmd(&["schedule-once", "--wait"])
        .env("VMSCHED_FAULT", "task-started")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(pass.status.success(), "{pass:?}");
    let command: i64 = wait_for("command pid", || {
        std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
    });
    assert!(
        start_time(command).is_some(),
        "the command outlives its worker"
    );
    // The next pass finds the worker dead, retries the task and kills what is left of it.
    lab.run(&["schedule-once"]).ok();
    assert_eq!(
        lab.rows("SELECT status, tries FROM tasks"),
        ["queued|1"],
        "the dead attempt is retried"
    );
    wait_for("end of the command", || {
        start_time(command).is_none().then_some(())
    });
}
