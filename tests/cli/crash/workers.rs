//! Workers that die, hang or whose pid is reused: the next pass judges each recorded child by
//! pid and start time and deadline (docs/rules.md §3) and kills what is left of a dead attempt.

use super::{group, CrashLab};
use crate::support::{gone, sigkill, wait_for};
use std::os::unix::process::CommandExt;
use std::time::{Duration, Instant};
use vmsched::process::Proc;

/// The last entries of `vm`'s history are `tail`.
fn assert_history_ends(crash: &CrashLab, vm: &str, tail: &[&str]) {
    let history = crash.history(vm);
    let tail: Vec<String> = tail.iter().map(|s| s.to_string()).collect();
    assert!(history.ends_with(&tail), "{history:#?}");
}

/// The VM's status and errors, and task 1/1/1's status and tries.
fn vm_and_task(crash: &CrashLab, vm: &str) -> [String; 2] {
    let vm = crash.lab.rows(&format!(
        "SELECT status || ' errors ' || errors FROM vms WHERE name = '{vm}'"
    ));
    let task = crash.lab.rows(
        "SELECT status || ' tries ' || tries FROM tasks WHERE job = 1 AND step = 1 AND no = 1",
    );
    [vm[0].clone(), task[0].clone()]
}

/// A pass judged w1's task worker dead: w1 went dirty with an error, its task was requeued with
/// the try counted, and a revert started.
fn assert_task_worker_died(crash: &CrashLab) {
    assert_history_ends(
        crash,
        "w1",
        &[
            "running dirty dirty process died",
            "dirty dirty task 1/1/1 requeued",
            "dirty reverting reverting",
        ],
    );
    assert_eq!(
        vm_and_task(crash, "w1"),
        ["reverting errors 1", "queued tries 1"]
    );
}

#[test]
fn worker_killed_mid_task_is_judged_dead_and_its_command_killed() {
    let crash = CrashLab::new(&["w1"]);
    let op = crash.sleeping_task("w1");
    sigkill(op.pid);
    wait_for("the worker to die", || gone(op.pid));
    assert!(
        !group(op.pgid).is_empty(),
        "the command outlives its worker"
    );
    crash.lab.pass(&[]);
    wait_for("the dead attempt's command to be killed", || {
        group(op.pgid).is_empty()
    });
    assert_task_worker_died(&crash);
    let ended = format!("SELECT result FROM operations WHERE id = {}", op.id);
    assert_eq!(crash.lab.rows(&ended), ["killed: process died"]);
    let log = std::fs::read_to_string(crash.lab.path().join("logs/1/1/1.1.log")).unwrap();
    assert_eq!(log, "started\n", "the command was killed before it ended");
}

#[test]
fn task_out_of_tries_ends_in_boterror_and_cron_hears_of_it_once() {
    let crash = CrashLab::new(&["w1"]);
    crash
        .lab
        .run(&["settings", "set", "max_task_tries", "1"])
        .ok();
    let op = crash.sleeping_task("w1");
    sigkill(op.pid);
    wait_for("the worker to die", || gone(op.pid));
    let run = crash.lab.run(&["schedule-once"]).ok();
    assert_eq!(run.stderr, "warning: w1: task 1/1/1 boterror\n");
    // Nothing is queued any more: the dirty VM is reverted in advance for future work.
    assert_eq!(
        vm_and_task(&crash, "w1"),
        ["reverting errors 1", "boterror tries 1"]
    );
    assert_eq!(crash.lab.rows("SELECT status FROM jobs"), ["boterror"]);
    crash.lab.pass(&[]);
}

/// A crash lab with w1 and a job queued on it.
fn lab_with_a_job() -> CrashLab {
    let crash = CrashLab::new(&["w1"]);
    crash
        .lab
        .run(&["jobs", "submit", "--vm", "w1", "--", "true"])
        .ok();
    crash
}

#[test]
fn worker_killed_mid_revert_leaves_the_vm_dirty() {
    let crash = lab_with_a_job();
    let start = Instant::now();
    crash.lab.pass(&[]);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "the pass waited for its worker (cron would too)"
    );
    wait_for("the revert worker to connect", || crash.accepted() == 1);
    let op = crash.op("w1");
    assert_eq!(op.kind, "revert");
    sigkill(op.pid);
    wait_for("the worker to die", || gone(op.pid));
    crash.lab.pass(&[]);
    assert_history_ends(
        &crash,
        "w1",
        &[
            "off reverting reverting",
            "reverting dirty dirty process died",
            "dirty reverting reverting",
        ],
    );
    assert_eq!(
        vm_and_task(&crash, "w1"),
        ["reverting errors 1", "queued tries 0"]
    );
    wait_for("a new revert worker to connect", || crash.accepted() == 2);
}

#[test]
fn a_reused_pid_is_not_mistaken_for_our_worker_nor_killed() {
    let crash = CrashLab::new(&["w1"]);
    let op = crash.sleeping_task("w1");
    sigkill(op.pid);
    sigkill(op.pgid);
    wait_for("the worker and its command to die", || {
        gone(op.pid) && gone(op.pgid)
    });
    // An unrelated process that leads its own group, now under the recorded pid.
    let mut other = std::process::Command::new("sleep")
        .arg("60")
        .process_group(0)
        .spawn()
        .unwrap();
    let pid = i64::from(other.id());
    let start = Proc::of(pid).unwrap().start_time + 1;
    crash.set_op(&op, &format!("pid = {pid}, start_time = {start}"));
    crash.lab.pass(&[]);
    assert_task_worker_died(&crash);
    std::thread::sleep(Duration::from_millis(200));
    assert!(other.try_wait().unwrap().is_none(), "the pass killed it");
    other.kill().unwrap();
    other.wait().unwrap();
}

#[test]
fn stuck_revert_worker_is_killed_and_the_vm_goes_offline() {
    let crash = lab_with_a_job();
    crash.lab.pass(&[]);
    wait_for("the revert worker to connect", || crash.accepted() == 1);
    let op = crash.op("w1");
    crash.set_op(
        &op,
        "deadline = '2000-01-01T00:00:00Z', boot_deadline_ms = 0",
    );
    let run = crash.lab.run(&["schedule-once"]).ok();
    assert_eq!(run.stderr, "warning: w1: offline stuck process\n");
    wait_for("the stuck worker to be killed", || gone(op.pid));
    assert_history_ends(
        &crash,
        "w1",
        &[
            "reverting reverting boterror stuck process",
            "reverting offline offline stuck process",
        ],
    );
    assert_eq!(
        vm_and_task(&crash, "w1"),
        ["offline errors 1", "queued tries 0"]
    );
    crash.lab.pass(&[]);
}

#[test]
fn stuck_task_worker_and_its_command_are_killed() {
    let crash = CrashLab::new(&["w1"]);
    let op = crash.sleeping_task("w1");
    // The wall clock was stepped forward past the deadline: the boot clock's deadline is
    // still ahead, so the worker is not stuck.
    crash.set_op(&op, "deadline = '2000-01-01T00:00:00Z'");
    crash.lab.pass(&[]);
    assert!(
        !gone(op.pid),
        "a step of the wall clock killed a healthy worker"
    );
    assert_eq!(
        vm_and_task(&crash, "w1"),
        ["running errors 0", "running tries 0"]
    );
    crash.set_op(&op, "boot_deadline_ms = 0");
    crash.lab.pass(&[]);
    wait_for("the worker and its command to be killed", || {
        gone(op.pid) && group(op.pgid).is_empty()
    });
    assert_history_ends(
        &crash,
        "w1",
        &[
            "running running boterror stuck process",
            "running dirty dirty stuck process",
            "dirty dirty task 1/1/1 requeued",
            "dirty reverting reverting",
        ],
    );
    assert_eq!(
        vm_and_task(&crash, "w1"),
        ["reverting errors 0", "queued tries 1"]
    );
}
