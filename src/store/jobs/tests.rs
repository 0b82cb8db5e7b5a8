//! Tests of the jobs store on real temporary SQLite files.

use super::*;
use crate::model::TaskStatus::{self, *};
use crate::store::{Mode, Store};

/// A fresh database holding one job whose steps are given as (previous, number of tasks);
/// task `t` of step `s` runs on VM `v{s}{t}`.
fn setup(steps: &[(Option<u32>, u32)]) -> (tempfile::TempDir, Store, i64) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(&dir.path().join("t.db"), Mode::Create).unwrap();
    let job = new_job(5, steps);
    let id = store.write(|tx| insert(tx, &job)).unwrap();
    (dir, store, id)
}

fn new_job(priority: i64, steps: &[(Option<u32>, u32)]) -> NewJob {
    NewJob {
        priority,
        user: "alice".into(),
        on_behalf_of: None,
        env: Default::default(),
        remarks: None,
        steps: (1..)
            .zip(steps)
            .map(|(s, &(previous, tasks))| NewStep {
                name: Some(format!("s{s}")),
                previous,
                timeout: 60,
                command: vec!["true".into(), "a b".into()],
                vms: (1..=tasks).map(|t| format!("v{s}{t}")).collect(),
            })
            .collect(),
    }
}

/// Sets task statuses as a worker would, then rolls the job up.
fn set(store: &mut Store, job: i64, changes: &[(u32, u32, TaskStatus)]) {
    store
        .write(|tx| {
            for (step, task, status) in changes {
                tx.execute(
                    "UPDATE tasks SET status = ?4 WHERE job = ?1 AND step = ?2 AND no = ?3",
                    params![job, step, task, status.as_str()],
                )?;
            }
            roll_up(tx, job)
        })
        .unwrap();
}

/// The job's status, its steps' statuses and each step's task statuses.
fn statuses(store: &Store, job: i64) -> (TaskStatus, Vec<TaskStatus>, Vec<Vec<TaskStatus>>) {
    let detail = load(store.conn(), job).unwrap().unwrap();
    (
        detail.job.status,
        detail.steps.iter().map(|s| s.step.status).collect(),
        detail
            .steps
            .iter()
            .map(|s| s.tasks.iter().map(|t| t.status).collect())
            .collect(),
    )
}

#[test]
fn combine_follows_the_precedence() {
    use super::rollup::combine;
    assert_eq!(combine(&[Queued, Queued]), Queued);
    assert_eq!(combine(&[Queued, Completed]), Running);
    assert_eq!(combine(&[Running, Failed]), Running);
    assert_eq!(combine(&[Completed, Skipped]), Skipped);
    assert_eq!(combine(&[Completed, Canceled, Skipped]), Canceled);
    assert_eq!(combine(&[Canceled, Timeout]), Timeout);
    assert_eq!(combine(&[Timeout, Failed, Completed]), Failed);
    assert_eq!(combine(&[Failed, Boterror]), Boterror);
    assert_eq!(combine(&[Completed, Completed]), Completed);
    assert_eq!(combine(&[]), Completed);
}

#[test]
fn a_new_job_is_queued() {
    let (_dir, mut store, id) = setup(&[(None, 2), (Some(1), 1)]);
    set(&mut store, id, &[]);
    assert_eq!(
        statuses(&store, id),
        (
            Queued,
            vec![Queued, Queued],
            vec![vec![Queued, Queued], vec![Queued]]
        )
    );
    assert_eq!(job(store.conn(), id).unwrap().unwrap().ended, None);
}

#[test]
fn a_started_task_makes_step_and_job_running() {
    let (_dir, mut store, id) = setup(&[(None, 2), (Some(1), 1)]);
    set(&mut store, id, &[(1, 1, Running)]);
    assert_eq!(statuses(&store, id).0, Running);
    assert_eq!(statuses(&store, id).1, vec![Running, Queued]);
    set(&mut store, id, &[(1, 1, Completed)]);
    assert_eq!(statuses(&store, id).1, vec![Running, Queued]);
    set(&mut store, id, &[(1, 2, Completed)]);
    assert_eq!(statuses(&store, id).1, vec![Completed, Queued]);
    assert_eq!(statuses(&store, id).0, Running, "step 2 is still to run");
}

#[test]
fn a_completed_job_gets_its_end_time_once() {
    let (_dir, mut store, id) = setup(&[(None, 1), (Some(1), 1)]);
    set(&mut store, id, &[(1, 1, Completed), (2, 1, Completed)]);
    let row = job(store.conn(), id).unwrap().unwrap();
    assert_eq!(row.status, Completed);
    let ended = row.ended.expect("ended is set");
    store
        .write(|tx| Ok(tx.execute("UPDATE jobs SET ended = '2000-01-01T00:00:00Z'", [])?))
        .unwrap();
    set(&mut store, id, &[]);
    let again = job(store.conn(), id).unwrap().unwrap().ended.unwrap();
    assert_eq!(
        again,
        "2000-01-01T00:00:00Z"
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        "a second roll-up keeps the first end time"
    );
    assert_eq!(ended.timestamp_subsec_nanos(), 0, "stored in whole seconds");
}

#[test]
fn a_requeued_task_reopens_the_job() {
    let (_dir, mut store, id) = setup(&[(None, 2)]);
    set(&mut store, id, &[(1, 1, Completed), (1, 2, Boterror)]);
    assert_eq!(statuses(&store, id).0, Boterror);
    set(&mut store, id, &[(1, 2, Queued)]);
    let row = job(store.conn(), id).unwrap().unwrap();
    assert_eq!((row.status, row.ended), (Running, None));
}

#[test]
fn a_failed_step_skips_its_dependents_transitively() {
    // 1 <- 2 <- 3, and 1 <- 4: step 2 fails, so 3 is skipped but 4 still runs.
    let (_dir, mut store, id) = setup(&[(None, 1), (Some(1), 2), (Some(2), 2), (Some(1), 1)]);
    set(
        &mut store,
        id,
        &[(1, 1, Completed), (2, 1, Failed), (2, 2, Running)],
    );
    assert_eq!(
        statuses(&store, id).1,
        vec![Completed, Running, Queued, Queued]
    );
    set(&mut store, id, &[(2, 2, Completed)]);
    let (job_status, steps, tasks) = statuses(&store, id);
    assert_eq!(steps, vec![Completed, Failed, Skipped, Queued]);
    assert_eq!(tasks[2], vec![Skipped, Skipped]);
    assert_eq!(job_status, Running, "step 4 does not depend on step 2");
    let skipped = load(store.conn(), id).unwrap().unwrap().steps[2].tasks[0].clone();
    assert!(skipped.ended.is_some(), "a skipped task has ended");
    set(&mut store, id, &[(4, 1, Completed)]);
    let row = job(store.conn(), id).unwrap().unwrap();
    assert_eq!(row.status, Failed);
    assert!(row.ended.is_some());
}

#[test]
fn skipping_passes_through_a_step_that_still_runs() {
    // Step 2's running task is left alone, but step 3 behind it is skipped at once.
    let (_dir, mut store, id) = setup(&[(None, 1), (Some(1), 2), (Some(2), 1)]);
    set(&mut store, id, &[(1, 1, Timeout), (2, 1, Running)]);
    let (job_status, steps, tasks) = statuses(&store, id);
    assert_eq!(steps, vec![Timeout, Running, Skipped]);
    assert_eq!(tasks[1], vec![Running, Skipped]);
    assert_eq!(job_status, Running);
    set(&mut store, id, &[(2, 1, Completed)]);
    assert_eq!(statuses(&store, id).0, Timeout);
}

#[test]
fn every_non_completed_end_skips() {
    for end in [Failed, Timeout, Boterror, Canceled, Skipped] {
        let (_dir, mut store, id) = setup(&[(None, 1), (Some(1), 1)]);
        set(&mut store, id, &[(1, 1, end)]);
        let (job_status, steps, _) = statuses(&store, id);
        assert_eq!(steps, vec![end, Skipped], "after {end}");
        let expected = if end == Skipped { Canceled } else { end };
        assert_eq!(job_status, expected, "after {end}");
    }
}

#[test]
fn a_job_whose_steps_are_all_skipped_is_canceled() {
    let (_dir, mut store, id) = setup(&[(None, 2), (Some(1), 1)]);
    set(&mut store, id, &[(1, 1, Skipped), (1, 2, Skipped)]);
    assert_eq!(
        statuses(&store, id),
        (
            Canceled,
            vec![Skipped, Skipped],
            vec![vec![Skipped, Skipped], vec![Skipped]]
        )
    );
}

#[test]
fn cancel_queued_records_history_and_leaves_running_tasks() {
    let (_dir, mut store, id) = setup(&[(None, 2), (Some(1), 1)]);
    store
        .write(|tx| {
            Ok(tx.execute(
                "INSERT INTO vms (name, uri, domain, snapshot) VALUES ('v12', 'qemu+ssh://H1/system', 'd', 's')",
                [],
            )?)
        })
        .unwrap();
    set(&mut store, id, &[(1, 1, Running)]);
    let canceled = store
        .write(|tx| cancel_queued(tx, id, "bob", Some("not needed")))
        .unwrap();
    let names: Vec<&str> = canceled.iter().map(|t| t.vm.as_str()).collect();
    assert_eq!(names, ["v12", "v21"]);
    assert_eq!(
        statuses(&store, id),
        (
            Running,
            vec![Running, Canceled],
            vec![vec![Running, Canceled], vec![Canceled]]
        )
    );
    let running = running_tasks(store.conn(), id).unwrap();
    assert_eq!((running.len(), running[0].vm.as_str()), (1, "v11"));
    let history: Vec<String> = store
        .conn()
        .prepare(
            "SELECT vm || ' ' || IFNULL(host, '-') || ' ' || detail || ' ' || user || ' ' || reason
             FROM history WHERE vm IS NOT NULL ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        history,
        [
            format!("v12 h1 canceled {id} 1 2 bob not needed"),
            format!("v21 - canceled {id} 2 1 bob not needed"),
        ]
    );
    set(&mut store, id, &[(1, 1, Completed)]);
    assert_eq!(statuses(&store, id).0, Canceled);
}

#[test]
fn insert_load_list_and_active_round_trip() {
    let (_dir, mut store, first) = setup(&[(None, 2), (Some(1), 1)]);
    let second = store
        .write(|tx| insert(tx, &new_job(3, &[(None, 1)])))
        .unwrap();
    let detail = load(store.conn(), first).unwrap().unwrap();
    let step = &detail.steps[1].step;
    assert_eq!((step.no, step.previous, step.timeout), (2, Some(1), 60));
    assert_eq!(step.command, ["true", "a b"]);
    assert_eq!(detail.steps[0].tasks[1].vm, "v12");
    assert_eq!(detail.steps[0].tasks[1].timeout, 60);
    let list = |store: &Store, query: Query| {
        let mut jobs = Vec::new();
        each(store.conn(), &query, |s| {
            jobs.push(s);
            Ok(())
        })
        .unwrap();
        jobs
    };
    let counts: Vec<(i64, u32, u32)> = list(&store, Query::default())
        .iter()
        .map(|s| (s.job.id, s.steps, s.tasks))
        .collect();
    assert_eq!(counts, [(first, 2, 3), (second, 1, 1)]);
    let newest = list(
        &store,
        Query {
            limit: Some(1),
            ..Query::default()
        },
    );
    assert_eq!(newest[0].job.id, second);
    set(&mut store, second, &[(1, 1, Completed)]);
    let done = list(
        &store,
        Query {
            status: Some(Completed),
            ..Query::default()
        },
    );
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].job.id, second);
    // Ended before the window: only the open job is left.
    let open = list(
        &store,
        Query {
            ended_since: Some("2999-01-01T00:00:00Z".parse().unwrap()),
            ..Query::default()
        },
    );
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].job.id, first);
    assert!(load(store.conn(), 99).unwrap().is_none());
    let mut for_bob = new_job(5, &[(None, 1)]);
    for_bob.on_behalf_of = Some("bob".into());
    for_bob.env = [("A".to_string(), "1".to_string())].into();
    let third = store.write(|tx| insert(tx, &for_bob)).unwrap();
    let ids = |user| -> Vec<i64> {
        let jobs = list(
            &store,
            Query {
                user: Some(user),
                ..Query::default()
            },
        );
        jobs.iter().map(|s| s.job.id).collect()
    };
    assert_eq!(
        (ids("bob"), ids("alice").len(), ids("carol")),
        (vec![third], 3, vec![])
    );
    let job = job(store.conn(), third).unwrap().unwrap();
    assert_eq!(
        (job.on_behalf_of.as_deref(), job.env["A"].as_str()),
        (Some("bob"), "1")
    );
}

#[test]
fn the_attempts_migration_numbers_the_attempts_made_before_it() {
    let conn = Connection::open_in_memory().unwrap();
    let migrations = crate::store::MIGRATIONS;
    let at = migrations
        .iter()
        .position(|sql| sql.contains("CREATE TABLE attempts"))
        .unwrap();
    for sql in &migrations[..at] {
        conn.execute_batch(sql).unwrap();
    }
    // Logs were named by try: `<task>.<tries + 1>.log`.
    conn.execute_batch(
        "INSERT INTO jobs (id, user, submitted) VALUES (1, 'a', 't');
         INSERT INTO steps (job, no, command) VALUES (1, 1, '[\"true\"]');
         INSERT INTO tasks (job, step, no, vm, status, tries, started, ended, exit_code, log) VALUES
           (1, 1, 1, 'a', 'completed', 2, '2024-05-01T10:00:00Z', '2024-05-01T11:00:00Z', 0, 'logs/1/1/1.3.log'),
           (1, 1, 2, 'b', 'running', 0, '2024-05-01T10:00:00Z', NULL, NULL, 'logs/1/1/2.1.log'),
           (1, 1, 3, 'c', 'queued', 1, NULL, NULL, NULL, 'logs/1/1/3.1.log'),
           (1, 1, 4, 'd', 'queued', 0, NULL, NULL, NULL, NULL),
           (1, 1, 5, '2024-05-01T11:00:00Z', 'failed', 0, '2024-05-01T10:00:00Z', '2024-05-01T11:00:00Z', 1, '/elsewhere/e.log');",
    )
    .unwrap();
    conn.execute_batch(migrations[at]).unwrap();
    let counts: Vec<(u32, u32)> = conn
        .prepare("SELECT no, attempts FROM tasks ORDER BY no")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(counts, [(1, 3), (2, 1), (3, 1), (4, 0), (5, 1)]);
    let rows = attempts::of_job(&conn, 1).unwrap();
    let at10 = Some("2024-05-01T10:00:00Z".parse().unwrap());
    let seen: Vec<_> = rows
        .iter()
        .map(|a| {
            let result = a.result.as_deref();
            (a.task, a.no, a.started, result, a.exit_code, a.log.as_str())
        })
        .collect();
    assert_eq!(
        seen,
        [
            (1, 1, None, Some("unknown"), None, "logs/1/1/1.1.log"),
            (1, 2, None, Some("unknown"), None, "logs/1/1/1.2.log"),
            (1, 3, at10, Some("completed"), Some(0), "logs/1/1/1.3.log"),
            (2, 1, at10, None, None, "logs/1/1/2.1.log"),
            (3, 1, None, Some("unknown"), None, "logs/1/1/3.1.log"),
            (5, 1, at10, Some("failed"), Some(1), "/elsewhere/e.log"),
        ]
    );
}

#[test]
fn an_unreadable_time_is_an_error_at_read() {
    let (_dir, mut store, id) = setup(&[(None, 1)]);
    store
        .write(|tx| Ok(tx.execute("UPDATE tasks SET status = 'running', started = 'soon'", [])?))
        .unwrap();
    let err = format!("{:#}", running_tasks(store.conn(), id).unwrap_err());
    assert!(err.contains("unreadable time `soon`"), "{err}");
    store
        .write(|tx| Ok(tx.execute("UPDATE jobs SET submitted = 'today'", [])?))
        .unwrap();
    let err = format!("{:#}", job(store.conn(), id).unwrap_err());
    assert!(err.contains("unreadable time `today`"), "{err}");
}
