//! `jobs list` and `jobs show`, as tables and as JSON.

use super::{lab_with_vms, script, set_task, show, submit};
use crate::support::Lab;
use serde_json::json;
use vmsched::model::TaskStatus;

/// Two jobs with fixed times: job 1 (two steps, its first task completed at its second
/// attempt, after a worker died) and job 2 (ended failed).
fn lab_with_jobs() -> Lab {
    let lab = lab_with_vms(&["build", "w7", "w8"]);
    script(&lab, "build.sh", "true");
    let file = lab.write(
        "job.toml",
        "remarks = \"nightly\"\n[[step]]\nname = \"build\"\nvms = [\"build\"]\ncommand = [\"./build.sh\", \"--all\"]\n\
         [[step]]\nname = \"test\"\nafter = \"build\"\nvms = [\"w7\", \"w8\"]\ncommand = [\"echo\", \"a b\"]\ntimeout = 60\n",
    );
    submit(&lab, &["--file", &file]);
    submit(&lab, &["--vm", "w8", "--priority", "1", "--", "false"]);
    set_task(&lab, 1, 1, 1, TaskStatus::Completed, "tries = 1, attempts = 2, exit_code = 0, log = 'logs/1/1/1.2.log', started = '2024-05-01T10:00:00Z', ended = '2024-05-01T10:05:00Z'");
    lab.sql(
        "INSERT INTO attempts (job, step, task, no, started, ended, result, exit_code, log) VALUES
         (1, 1, 1, 1, '2024-05-01T09:59:30Z', '2024-05-01T09:59:50Z', 'worker-died', NULL, 'logs/1/1/1.1.log'),
         (1, 1, 1, 2, '2024-05-01T10:00:00Z', '2024-05-01T10:05:00Z', 'completed', 0, 'logs/1/1/1.2.log');",
    );
    set_task(&lab, 2, 1, 1, TaskStatus::Failed, "exit_code = 1");
    let conn = rusqlite::Connection::open(&lab.db).unwrap();
    // A fixed user (not the one running the tests), so the columns keep their widths.
    conn.execute_batch(
        "UPDATE jobs SET user = 'tester';
         UPDATE jobs SET submitted = '2024-05-01T09:59:00Z';
         UPDATE jobs SET ended = '2024-05-01T10:01:00Z' WHERE id = 2;
         UPDATE tasks SET started = '2024-05-01T10:00:30Z', ended = '2024-05-01T10:01:00Z' WHERE job = 2;",
    )
    .unwrap();
    lab
}

#[test]
fn list_table() {
    let lab = lab_with_jobs();
    let run = lab.run(&["jobs", "list", "--all"]).ok();
    // The literal starts with a newline so the first line keeps its leading spaces.
    assert_eq!(
        run.stdout,
        &"
  Id   Priority   Status    User     Submitted             Ended                 Steps   Tasks   Remarks
----------------------------------------------------------------------------------------------------------
  1    5          running   tester   2024-05-01 09:59:00   -                     2       3       nightly
  2    1          failed    tester   2024-05-01 09:59:00   2024-05-01 10:01:00   1       1
"[1..]
    );
    let run = lab
        .run(&["jobs", "list", "--all", "--status", "failed"])
        .ok();
    assert_eq!(run.stdout.lines().count(), 3);
    lab.run(&["jobs", "list", "--status", "bogus"]).code(2);
}

/// `jobs list` by default: the jobs still open and those ended in the last day; `--since`,
/// `--user`, `--limit` and `--all` choose others.
#[test]
fn list_defaults_and_filters() {
    let lab = lab_with_jobs();
    let ids = |args: &[&str]| -> Vec<i64> {
        let run = lab.run(&[&["--format", "json", "jobs", "list"], args].concat());
        let jobs = run.ok().json();
        jobs.as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_i64().unwrap())
            .collect()
    };
    // Job 2 ended in 2024: out of the day's window.
    assert_eq!(ids(&[]), [1]);
    assert_eq!(ids(&["--all"]), [1, 2]);
    assert_eq!(ids(&["--since", "2024-05-01T10:00:00Z"]), [1, 2]);
    assert_eq!(ids(&["--since", "2024-05-01T10:02:00Z"]), [1]);
    // Ended a moment ago: in the window again.
    lab.sql(
        "UPDATE jobs SET ended = strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-2 hours') WHERE id = 2",
    );
    assert_eq!(ids(&[]), [1, 2]);
    assert_eq!(ids(&["--since", "1h"]), [1]);
    assert_eq!(ids(&["--since", "3h"]), [1, 2]);
    assert_eq!(ids(&["--since", "10800"]), [1, 2]);
    // The newest N, oldest first; a user's jobs; a status.
    assert_eq!(ids(&["--limit", "1"]), [2]);
    assert_eq!(ids(&["--limit", "5"]), [1, 2]);
    assert_eq!(ids(&["--limit", "0"]), Vec::<i64>::new());
    assert_eq!(ids(&["--user", "nobody"]), Vec::<i64>::new());
    assert_eq!(ids(&["--user", "tester", "--status", "failed"]), [2]);
    let error = lab
        .run(&["jobs", "list", "--since", "2w"])
        .code(2)
        .one_line_error();
    assert!(error.contains("invalid --since `2w`"), "{error}");
    lab.run(&["jobs", "list", "--since", "1h", "--all"]).code(2);
    // An empty selection is an empty array, or a table with its header only.
    let run = lab.run(&["--format", "json", "jobs", "list", "--user", "nobody"]);
    assert_eq!(run.ok().stdout, "[]\n");
    let run = lab.run(&["jobs", "list", "--user", "nobody"]).ok();
    assert_eq!(run.stdout.lines().count(), 2);
}

#[test]
fn list_json() {
    let lab = lab_with_jobs();
    let jobs = lab
        .run(&["--format", "json", "jobs", "list", "--all"])
        .ok()
        .json();
    assert_eq!(
        jobs,
        json!([
            {"id": 1, "priority": 5, "status": "running", "user": "tester", "on_behalf_of": null, "env": {}, "remarks": "nightly",
             "submitted": "2024-05-01T09:59:00Z", "ended": null, "steps": 2, "tasks": 3},
            {"id": 2, "priority": 1, "status": "failed", "user": "tester", "on_behalf_of": null, "env": {}, "remarks": null,
             "submitted": "2024-05-01T09:59:00Z", "ended": "2024-05-01T10:01:00Z", "steps": 1, "tasks": 1}
        ])
    );
    let running = lab
        .run(&["--format", "json", "jobs", "list", "--status", "running"])
        .ok()
        .json();
    assert_eq!(running.as_array().unwrap().len(), 1);
}

#[test]
fn show_table() {
    let lab = lab_with_jobs();
    let run = lab.run(&["jobs", "show", "1"]).ok();
    let build = lab.path().join("build.sh");
    assert_eq!(
        run.stdout,
        format!(
            "\
Id:         1
Status:     running
Priority:   5
User:       tester
Remarks:    nightly
Submitted:  2024-05-01 09:59:00
Ended:      -
Step 1:     build, completed, timeout 300s: {} --all
Step 2:     test, after step 1, queued, timeout 60s: echo 'a b'

  Step   Task   VM      Status      Tries   Attempts   Exit   Log                Started               Ended
----------------------------------------------------------------------------------------------------------------------------
  1      1      build   completed   1       2          0      logs/1/1/1.2.log   2024-05-01 10:00:00   2024-05-01 10:05:00
  2      1      w7      queued      0       0          -      -                  -                     -
  2      2      w8      queued      0       0          -      -                  -                     -

  Step   Task   Attempt   Result        Exit   Log                Started               Ended
-------------------------------------------------------------------------------------------------------------
  1      1      1         worker-died   -      logs/1/1/1.1.log   2024-05-01 09:59:30   2024-05-01 09:59:50
  1      1      2         completed     0      logs/1/1/1.2.log   2024-05-01 10:00:00   2024-05-01 10:05:00

Waiting:
  Job   Step   Task   VM   Reason
----------------------------------------------------------------
  1     2      1      w7   next pass: revert w7
  1     2      2      w8   revert limit reached on h1 (1 of 1)
",
            build.display()
        )
    );
}

#[test]
fn show_json() {
    let lab = lab_with_jobs();
    assert_eq!(
        show(&lab, 2),
        json!({
            "id": 2, "priority": 1, "status": "failed", "user": "tester", "on_behalf_of": null, "env": {},
            "remarks": null,
            "submitted": "2024-05-01T09:59:00Z", "ended": "2024-05-01T10:01:00Z",
            "steps": [{
                "no": 1, "name": null, "previous": null, "status": "failed",
                "command": ["false"], "timeout": 300,
                "tasks": [{"no": 1, "vm": "w8", "status": "failed", "tries": 0, "exit_code": 1,
                           "log": null, "started": "2024-05-01T10:00:30Z",
                           "ended": "2024-05-01T10:01:00Z", "attempts": []}]
            }],
            "tasks": 1,
            "waiting": []
        })
    );
    let job = show(&lab, 1);
    assert_eq!(
        job["steps"][0]["tasks"][0]["attempts"],
        json!([
            {"no": 1, "started": "2024-05-01T09:59:30Z", "ended": "2024-05-01T09:59:50Z",
             "result": "worker-died", "exit_code": null, "log": "logs/1/1/1.1.log"},
            {"no": 2, "started": "2024-05-01T10:00:00Z", "ended": "2024-05-01T10:05:00Z",
             "result": "completed", "exit_code": 0, "log": "logs/1/1/1.2.log"}
        ])
    );
    assert_eq!(
        job["steps"][1]["tasks"][0]["attempts"],
        json!([]),
        "a queued task has none"
    );
}

#[test]
fn unknown_job_is_bad_input() {
    let lab = lab_with_jobs();
    for args in [
        ["jobs", "show", "7"],
        ["jobs", "cancel", "7"],
        ["jobs", "wait", "7"],
        ["jobs", "log", "7"],
    ] {
        let run = lab.run(&args).code(2);
        assert_eq!(run.one_line_error(), "error: no job 7", "{args:?}");
    }
}
