//! `jobs cancel`, `jobs wait` and `jobs log`.

use super::{lab_with_vms, set_task, show, submit};
use crate::support::{me_in, texts, Lab};
use serde_json::json;
use std::time::{Duration, Instant};
use vmsched::model::TaskStatus;

#[test]
fn cancel_queued_tasks_and_record_them() {
    let lab = lab_with_vms(&["w7", "w8", "w9"]);
    submit(
        &lab,
        &["--vm", "w7", "--vm", "w8", "--vm", "w9", "--", "true"],
    );
    set_task(&lab, 1, 1, 1, TaskStatus::Running, "");
    let run = lab
        .run(&["jobs", "cancel", "1", "--reason", "not needed"])
        .ok();
    assert_eq!(run.stdout, "job 1: 3 task(s) canceled, now canceled\n");
    assert_eq!(run.stderr, "");
    assert_eq!(
        texts(&show(&lab, 1)["steps"][0]["tasks"], "status"),
        ["canceled", "canceled", "canceled"]
    );
    assert_eq!(
        lab.rows(
            "SELECT vm, host, detail, user, reason FROM history WHERE vm IS NOT NULL ORDER BY id"
        ),
        [
            me_in("w8|h1|canceled 1 1 2|{me}|not needed"),
            me_in("w9|h1|canceled 1 1 3|{me}|not needed")
        ]
    );
    set_task(&lab, 1, 1, 1, TaskStatus::Completed, "");
    let run = lab.run(&["jobs", "cancel", "1"]).ok();
    assert_eq!(run.stdout, "job 1 has already ended (canceled)\n");
    let run = lab.run(&["--format", "json", "jobs", "cancel", "1"]).ok();
    assert_eq!(
        run.json(),
        json!({"id": 1, "status": "canceled", "canceled": 0})
    );
}

#[test]
fn cancel_json() {
    let lab = lab_with_vms(&["w7"]);
    submit(&lab, &["--vm", "w7", "--", "true"]);
    let run = lab.run(&["--format", "json", "jobs", "cancel", "1"]).ok();
    assert_eq!(
        run.json(),
        json!({"id": 1, "status": "canceled", "canceled": 1})
    );
    assert_eq!(run.stderr, "");
}

#[test]
fn wait_exits_0_for_completed_and_1_otherwise() {
    let lab = lab_with_vms(&["w7", "w8"]);
    submit(&lab, &["--vm", "w7", "--", "true"]);
    submit(&lab, &["--vm", "w8", "--", "false"]);
    set_task(&lab, 1, 1, 1, TaskStatus::Completed, "");
    set_task(&lab, 2, 1, 1, TaskStatus::Failed, "");
    assert_eq!(
        lab.run(&["jobs", "wait", "1"]).ok().stdout,
        "job 1 completed\n"
    );
    let run = lab.run(&["--format", "json", "jobs", "wait", "2"]).code(1);
    assert_eq!(run.json(), json!({"id": 2, "status": "failed"}));
}

#[test]
fn wait_gives_up_after_max_wait() {
    let lab = lab_with_vms(&["w7"]);
    submit(&lab, &["--vm", "w7", "--", "true"]);
    let start = Instant::now();
    let run = lab.run(&["jobs", "wait", "1", "--max-wait", "1"]).code(1);
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert_eq!(
        run.one_line_error(),
        "error: job 1 has not ended after 1s (it is queued)"
    );
}

#[test]
fn wait_sees_the_job_end() {
    let lab = lab_with_vms(&["w7"]);
    submit(&lab, &["--vm", "w7", "--", "true"]);
    let run = std::thread::scope(|scope| {
        let waiter = scope.spawn(|| lab.run(&["jobs", "wait", "1", "--max-wait", "30"]));
        std::thread::sleep(Duration::from_millis(700));
        set_task(&lab, 1, 1, 1, TaskStatus::Completed, "");
        waiter.join().unwrap()
    });
    assert_eq!(run.ok().stdout, "job 1 completed\n");
}

#[test]
fn log_prints_the_latest_attempt_or_the_one_asked_for() {
    let lab = lab_with_vms(&["w7", "w8"]);
    submit(&lab, &["--vm", "w7", "--vm", "w8", "--", "true"]);
    std::fs::create_dir_all(lab.path().join("logs/1/1")).unwrap();
    lab.write("logs/1/1/1.1.log", "worker died\n");
    lab.write("logs/1/1/1.2.log", "all good");
    set_task(
        &lab,
        1,
        1,
        1,
        TaskStatus::Completed,
        "log = 'logs/1/1/1.2.log', tries = 1, attempts = 2",
    );
    lab.sql(
        "INSERT INTO attempts (job, step, task, no, result, log) VALUES
         (1, 1, 1, 1, 'worker-died', 'logs/1/1/1.1.log'), (1, 1, 1, 2, 'completed', 'logs/1/1/1.2.log')",
    );
    let run = lab.run(&["jobs", "log", "1"]).ok();
    assert_eq!(
        run.stdout,
        "== job 1 step 1 task 1 (w7), attempt 2 ==\nall good\n"
    );
    assert_eq!(run.stderr, "job 1 step 1 task 2 (w8) has no log yet\n");
    let run = lab
        .run(&["jobs", "log", "1", "1", "1", "--attempt", "1"])
        .ok();
    assert_eq!(
        run.stdout,
        "== job 1 step 1 task 1 (w7), attempt 1 ==\nworker died\n"
    );
    assert_eq!(run.stderr, "");
    let run = lab.run(&["jobs", "log", "1", "--attempt", "2"]).ok();
    assert_eq!(run.stderr, "job 1 step 1 task 2 (w8) has no attempt 2\n");
    let run = lab
        .run(&["jobs", "log", "1", "1", "1", "--attempt", "3"])
        .code(2);
    assert_eq!(
        run.one_line_error(),
        "error: job 1 step 1 task 1 has no attempt 3"
    );
    let run = lab.run(&["jobs", "log", "1", "--attempt", "3"]).code(2);
    assert_eq!(
        run.one_line_error(),
        "error: no task of job 1 has attempt 3"
    );
    lab.run(&["jobs", "log", "1", "--attempt", "0"]).code(2);
    let abs = lab.path().join("logs/1/1/2.1.log");
    set_task(&lab, 1, 1, 2, TaskStatus::Running, "attempts = 1");
    lab.sql(&format!(
        "INSERT INTO attempts (job, step, task, no, log) VALUES (1, 1, 2, 1, '{}')",
        abs.display()
    ));
    let run = lab.run(&["jobs", "log", "1", "1", "2"]).code(1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("warning: job 1 step 1 task 2 (w8), attempt 1: cannot read `"),
        "{}",
        run.stderr
    );
    let run = lab.run(&["jobs", "log", "1", "2"]).code(2);
    assert_eq!(run.one_line_error(), "error: job 1 has no step 2");
    lab.run(&["jobs", "log", "1", "1", "3"]).code(2);
}

/// A task's command gets every variable the manual lists, with its task's values.
#[test]
fn a_task_gets_the_documented_variables() {
    let lab = Lab::new();
    let uri = crate::support::lab_uri();
    let add = [
        "vms",
        "add",
        "w7",
        "-c",
        &uri,
        "--domain",
        "win7",
        "--snapshot",
        "wtb",
    ];
    lab.run(&[&add[..], &["--hostname", "w7.lab"]].concat())
        .ok();
    submit(&lab, &["--vm", "w7", "--", "env"]);
    lab.drive(&["--wait"], Duration::from_secs(60));
    let log = lab.run(&["jobs", "log", "1", "1", "1"]).ok().stdout;
    let values = ["w7", &uri, "win7", "wtb", "w7.lab", "1", "1", "1"];
    for ((name, _), value) in vmsched::workers::TASK_VARIABLES.iter().zip(values) {
        assert!(
            log.contains(&format!("\n{name}={value}\n")),
            "{name}={value}:\n{log}"
        );
    }
}
