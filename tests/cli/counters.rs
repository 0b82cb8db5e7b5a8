//! Failure counters stop at their largest value (4294967295): a VM's `errors` and a task's
//! `tries` that wrapped to 0 would bring a failing VM back as new and run a task forever.

use crate::domains::DEAD_URI;
use crate::support::Lab;

const MAX: &str = "4294967295";

/// A lab with VM `w` on a host that refuses connections, its errors at the largest value.
fn lab() -> Lab {
    let lab = Lab::new();
    let args = ["vms", "add", "w", "-c", DEAD_URI, "--domain", "w"];
    lab.run(&[&args[..], &["--snapshot", "s"]].concat()).ok();
    lab.sql(&format!("UPDATE vms SET errors = {MAX}"));
    lab
}

#[test]
fn a_dead_task_worker_saturates_errors_and_tries() {
    let lab = lab();
    lab.task(1, "w", "running");
    // A task operation without a process: the pass judges its worker dead.
    lab.sql(&format!(
        "UPDATE tasks SET tries = {MAX};
         INSERT INTO operations (vm, kind, deadline, created, by_user, job, step, task)
         VALUES ('w', 'task', '2099-01-01T00:00:00Z', '2030-01-01T00:00:00Z', 'scheduler', 1, 1, 1);
         UPDATE vms SET status = 'running', operation = last_insert_rowid();
         INSERT INTO settings (key, value) VALUES ('max_task_tries', '{MAX}'), ('max_errors', '{MAX}');"
    ));
    lab.run(&["schedule-once"]).ok();
    assert_eq!(
        lab.rows("SELECT status, errors FROM vms"),
        [format!("offline|{MAX}")]
    );
    assert_eq!(
        lab.rows("SELECT status, tries FROM tasks"),
        [format!("boterror|{MAX}")]
    );
    lab.run(&["jobs", "show", "1"]).ok();
}

#[test]
fn a_failed_revert_saturates_errors() {
    let lab = lab();
    lab.run(&["revert", "w"]).code(1);
    assert_eq!(
        lab.rows("SELECT status, errors FROM vms"),
        [format!("offline|{MAX}")]
    );
    lab.run(&["vms", "list"]).ok();
}
