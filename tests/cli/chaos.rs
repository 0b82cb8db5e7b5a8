//! Fast chaos regressions on libvirt's test driver: a worker killed in the narrowest windows
//! the soak's random kills can only hit by luck.

use crate::invariants::start_time;
use crate::support::{lab_uri, Lab};
use rusqlite::Connection;
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

/// A task worker killed after starting its command but before recording the command's
/// process group: the pass that finds the worker dead must still kill the command (it is in
/// the worker's session), not let it run on while the task is retried.
#[test]
fn a_task_command_dies_with_a_worker_killed_before_recording_its_group() {
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
    let conn = Connection::open(&lab.db).unwrap();
    let mut pass = lab
        .std_cmd(&["schedule-once"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    // The moment the pass has committed the task's operation, hold the database, so the
    // worker starts its command and then waits to record the command's group.
    let (op, worker) = wait_for("task operation", || {
        conn.query_row(
            "SELECT id, pid FROM operations WHERE kind = 'task' AND pid IS NOT NULL",
            [],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
        )
        .ok()
    });
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    assert!(pass.wait().unwrap().success());
    let command: i64 = wait_for("command pid", || {
        std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse().ok())
    });
    let group: Option<i64> = conn
        .query_row("SELECT pgid FROM operations WHERE id = ?1", [op], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        group, None,
        "the worker recorded the group before the lock was taken"
    );
    // SAFETY: kill has no memory-safety preconditions; the pid is our lab's worker.
    unsafe { libc::kill(worker as libc::pid_t, libc::SIGKILL) };
    conn.execute_batch("ROLLBACK").unwrap();
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
