//! `vmsched purge` and retention by passes: what ended long ago goes with its task logs,
//! nothing live ever does, `--dry-run` changes nothing.

use crate::support::{me_in, Lab};

/// A lab with VMs `a` and `b` (in maintenance: passes leave them alone) and, from 2024 unless
/// said otherwise:
/// - job 1, completed, with two tasks, their operations and log files: old, it goes;
/// - job 2, running: its task runs under a live operation;
/// - job 3, queued;
/// - job 4, ended an hour ago (the newest job);
/// - an ended revert operation of `b` (goes) and the live task operation of job 2;
/// - history: three old rows of `a` (the last one its latest status row), one old row of a
///   removed VM `gone`, one new row.
fn old_lab() -> Lab {
    let lab = Lab::new();
    lab.run(&["settings", "set", "retention", "0"]).ok();
    let old = "2024-01-01T00:00:00Z";
    lab.sql(&format!(
        "DELETE FROM history;
         INSERT INTO vms (name, uri, domain, snapshot, status) VALUES
             ('a', 'qemu+ssh://h1/system', 'a', 's', 'maintenance'),
             ('b', 'qemu+ssh://h1/system', 'b', 's', 'maintenance');
         INSERT INTO jobs (id, status, user, submitted, ended) VALUES
             (1, 'completed', 't', '{old}', '{old}'),
             (2, 'running', 't', '{old}', NULL),
             (3, 'queued', 't', '{old}', NULL),
             (4, 'completed', 't', '{old}', strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-1 hour'));
         INSERT INTO steps (job, no, status, command) VALUES
             (1, 1, 'completed', '[\"true\"]'), (2, 1, 'running', '[\"true\"]'),
             (3, 1, 'queued', '[\"true\"]'), (4, 1, 'completed', '[\"true\"]');
         INSERT INTO tasks (job, step, no, vm, status, started, ended) VALUES
             (1, 1, 1, 'a', 'completed', '{old}', '{old}'),
             (1, 1, 2, 'b', 'completed', '{old}', '{old}'),
             (2, 1, 1, 'a', 'running', '{old}', NULL),
             (3, 1, 1, 'b', 'queued', NULL, NULL),
             (4, 1, 1, 'b', 'completed', '{old}', '{old}');
         INSERT INTO operations (id, vm, kind, deadline, created, ended, result, job, step, task, by_user) VALUES
             (1, 'a', 'task', '{old}', '{old}', '{old}', 'completed', 1, 1, 1, 'scheduler'),
             (2, 'b', 'task', '{old}', '{old}', '{old}', 'completed', 1, 1, 2, 'scheduler'),
             (3, 'b', 'revert', '{old}', '{old}', '{old}', 'ok', NULL, NULL, NULL, 'scheduler'),
             (4, 'a', 'task', '2999-01-01T00:00:00Z', '{old}', NULL, NULL, 2, 1, 1, 'scheduler');
         UPDATE vms SET operation = 4 WHERE name = 'a';
         INSERT INTO history (id, time, vm, kind, old_status, new_status, detail, user) VALUES
             (1, '{old}', 'a', 'status', 'off', 'reverting', 'reverting', 'scheduler'),
             (2, '{old}', 'a', 'start', 'idle', 'running', 'running 2 1 1', 'scheduler'),
             (3, '{old}', 'a', 'admin', NULL, NULL, 'note', 'scheduler'),
             (4, '{old}', 'gone', 'admin', 'off', NULL, 'removed', 'root'),
             (5, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), NULL, 'admin', NULL, NULL, 'new', 'root');"
    ));
    for (job, file) in [
        (1, "1/1.1.log"),
        (1, "2/1.1.log"),
        (2, "1/1.1.log"),
        (4, "1/1.1.log"),
    ] {
        let path = lab.path().join(format!("logs/{job}/1/{file}"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "log\n").unwrap();
    }
    lab
}

/// What is left: jobs, tasks, operations, history ids, job log folders.
fn left(lab: &Lab) -> [Vec<String>; 5] {
    let mut logs: Vec<String> = std::fs::read_dir(lab.path().join("logs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    logs.sort();
    [
        lab.rows("SELECT id FROM jobs ORDER BY id"),
        lab.rows("SELECT job || '/' || no FROM tasks ORDER BY job, no"),
        lab.rows("SELECT id FROM operations ORDER BY id"),
        lab.rows("SELECT id FROM history ORDER BY id"),
        logs,
    ]
}

#[test]
fn purge_removes_what_ended_long_ago_and_nothing_live() {
    let lab = old_lab();
    let before = lab.dump();
    let dry = lab
        .run(&[
            "--format",
            "json",
            "purge",
            "--older-than",
            "30d",
            "--dry-run",
        ])
        .ok()
        .json();
    assert_eq!(lab.dump(), before, "--dry-run changed the database");
    assert_eq!(left(&lab)[4], ["1", "2", "4"], "--dry-run removed logs");
    let run = lab
        .run(&["--format", "json", "purge", "--older-than", "30d"])
        .ok()
        .json();
    for key in ["jobs", "steps", "tasks", "operations", "history", "logs"] {
        assert_eq!(dry[key], run[key], "{key}: the dry run said otherwise");
    }
    assert_eq!(
        (
            &run["jobs"],
            &run["steps"],
            &run["tasks"],
            &run["operations"]
        ),
        (&1.into(), &1.into(), &2.into(), &3.into())
    );
    assert_eq!(
        (&run["history"], &run["logs"], &run["dry_run"]),
        (&3.into(), &2.into(), &false.into())
    );
    // Job 1 went with its tasks, operations and logs; the running, queued and recent jobs
    // stay, as do the live operation, `a`'s latest status row and the newest row.
    assert_eq!(
        left(&lab),
        [
            vec!["2", "3", "4"],
            vec!["2/1", "3/1", "4/1"],
            vec!["4"],
            vec!["2", "5", "6"],
            vec!["2", "4"],
        ]
        .map(|v| v.into_iter().map(String::from).collect::<Vec<_>>())
    );
    // The purge is in the history: what went, by whom.
    let recorded = lab.rows("SELECT kind, user, detail FROM history WHERE id = 6");
    assert!(
        recorded[0].starts_with(&me_in(
            "admin|{me}|purged 1 jobs and 3 history rows older than "
        )),
        "{recorded:?}"
    );
    // Again: nothing is left to remove; the table says so in words.
    let again = lab
        .run(&[
            "purge",
            "--older-than",
            "30d",
            "--vacuum",
            "--reason",
            "disk",
        ])
        .ok();
    assert!(
        again.stdout.starts_with("removed 0 jobs (0 steps, 0 tasks, 0 task logs), 0 operations and 0 history rows older than "),
        "{}",
        again.stdout
    );
    assert!(
        again.stdout.contains("back to the file system"),
        "{}",
        again.stdout
    );
    assert_eq!(lab.rows("PRAGMA freelist_count"), ["0"]);
    assert_eq!(
        lab.rows("SELECT reason FROM history ORDER BY id DESC LIMIT 1"),
        ["disk"]
    );
    assert_eq!(
        lab.rows("PRAGMA auto_vacuum"),
        ["2"],
        "a new database vacuums incrementally"
    );
}

#[test]
fn purge_refuses_a_bad_duration_and_changes_nothing() {
    let lab = old_lab();
    for bad in ["", "2w", "x1d", "1.5d", "d"] {
        let error = lab
            .refused(&["purge", "--older-than", bad], 2)
            .one_line_error();
        assert_eq!(
            error,
            format!("error: invalid --older-than `{bad}` (expected seconds or <n>[smhd], e.g. `90`, `2h` or `90d`)")
        );
    }
    lab.refused(&["purge"], 2);
}

#[test]
fn passes_purge_past_the_retention_setting() {
    let lab = old_lab();
    lab.pass(&[]);
    assert_eq!(
        left(&lab)[0],
        ["1", "2", "3", "4"],
        "retention 0 purges nothing"
    );
    let run = lab.run(&["settings", "set", "retention", "30d"]).ok();
    assert!(run.stderr.contains("2592000"), "{}", run.stderr);
    lab.pass(&[]);
    let [jobs, _, operations, history, logs] = left(&lab);
    assert_eq!(
        (jobs, operations, logs),
        (
            vec!["2".to_string(), "3".into(), "4".into()],
            vec!["4".to_string()],
            vec!["2".to_string(), "4".into()]
        )
    );
    // The settings row and the pass's counters are new; `a`'s latest status row stays.
    assert!(
        history.contains(&"2".to_string()) && !history.contains(&"1".to_string()),
        "{history:?}"
    );
    lab.run(&["settings", "set", "retention", "90x"]).code(2);
}
