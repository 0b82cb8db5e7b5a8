//! Store tests: row round trips on an in-memory database, and what opening a file guarantees
//! (schema equal to the migrations, WAL, mode 0600, parent folder).

use super::*;
use crate::model::{HostSpec, KillReason, OpKind, Role, TaskKey, VmStatus};
use crate::store::history::{Entry, Event, Kind, Query};
use crate::store::operations::Stop;
use crate::store::settings::Settings;
use crate::store::vms::{LiveOp, VmRow};

fn exit_code(err: &anyhow::Error) -> u8 {
    exit::classify(err).0
}

fn sample() -> VmRow {
    VmRow {
        kind: "win32".to_string(),
        role: Role::Winetest,
        status: VmStatus::Idle,
        hostname: Some("w7.lab".to_string()),
        description: Some("Windows 7".to_string()),
        errors: 2,
        ready_cmd: Some(vec!["ping".to_string(), "-c1".to_string()]),
        last_check: Some("2024-05-01T12:00:00Z".parse().unwrap()),
        domain_uuid: Some("10101010-0000-4000-8000-000000000007".to_string()),
        ..VmRow::new("w7", "qemu+ssh://root@h1/system", "win7", "wtb")
    }
}

#[test]
fn vm_rows_round_trip() {
    let store = Store::scratch().unwrap();
    let conn = store.conn();
    let mut vm = sample();
    vms::insert(conn, &vm).unwrap();
    vms::insert(conn, &VmRow::new("a", "qemu:///system", "win7", "x")).unwrap();
    assert_eq!(vms::get(conn, "w7").unwrap(), Some(vm.clone()));
    assert_eq!(vm.host(), "h1");
    vm.role = Role::Extra;
    vm.ready_cmd = None;
    vms::update(conn, &vm).unwrap();
    assert_eq!(vms::require(conn, "w7").unwrap(), vm);
    // The status and error count change with `set_status` only.
    let edited = VmRow {
        status: VmStatus::Maintenance,
        errors: 9,
        ..vm.clone()
    };
    vms::update(conn, &edited).unwrap();
    assert_eq!(vms::require(conn, "w7").unwrap(), vm);
    let names = |rows: Vec<VmRow>| rows.into_iter().map(|v| v.name).collect::<Vec<_>>();
    assert_eq!(names(vms::list(conn).unwrap()), ["a", "w7"]);
    assert_eq!(names(vms::of_domain(conn, "win7").unwrap()), ["a", "w7"]);
    assert!(names(vms::of_domain(conn, "other").unwrap()).is_empty());
    let uuid = vm.domain_uuid.as_deref().unwrap();
    assert_eq!(names(vms::of_uuid(conn, uuid).unwrap()), ["w7"]);
    vms::delete(conn, "w7").unwrap();
    let err = vms::require(conn, "w7").unwrap_err();
    assert_eq!(exit_code(&err), exit::USAGE);
    assert_eq!(err.to_string(), "unknown VM `w7`");
}

#[test]
fn a_status_change_counts_errors_and_alerts_on_a_new_streak() {
    let store = Store::scratch().unwrap();
    let conn = store.conn();
    vms::insert(conn, &sample()).unwrap();
    let change = |from, to, errors| {
        vms::set_status(
            conn,
            &vms::StatusChange {
                vm: "w7",
                host: Some("h1"),
                from,
                to,
                errors,
                event: Event::new(Kind::Status, "test"),
                user: "tester",
                reason: None,
            },
        )
        .unwrap();
        let vm = vms::require(conn, "w7").unwrap();
        let alert: bool = conn
            .query_row(
                "SELECT alert FROM history ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        (vm.status, vm.errors, alert)
    };
    use vms::Errors::{Add, Keep, Reset};
    use VmStatus::{Offline, Reverting};
    assert_eq!(change(Offline, Reverting, Reset), (Reverting, 0, false));
    assert_eq!(change(Reverting, Offline, Add), (Offline, 1, true));
    assert_eq!(change(Offline, Reverting, Keep), (Reverting, 1, false));
    assert_eq!(change(Reverting, Offline, Add), (Offline, 2, false));
}

#[test]
fn vm_rows_carry_their_live_operation() {
    let store = Store::scratch().unwrap();
    let conn = store.conn();
    conn.execute(
        "INSERT INTO operations (id, vm, kind, pid, start_time, deadline, created, by_user)
         VALUES (7, 'w7', 'revert', 4242, 99, '2024-05-01T12:06:00Z', '2024-05-01T12:00:00Z', 't')",
        [],
    )
    .unwrap();
    let vm = VmRow {
        operation: Some(7),
        ..sample()
    };
    vms::insert(conn, &vm).unwrap();
    let live = LiveOp {
        id: 7,
        kind: OpKind::Revert,
        pid: Some(4242),
        start_time: Some(99),
        deadline: super::deadline::Deadline {
            wall: "2024-05-01T12:06:00Z".parse().unwrap(),
            boot_ms: None,
        },
    };
    assert_eq!(vms::get(conn, "w7").unwrap().unwrap().live, Some(live));
    conn.execute("UPDATE operations SET ended = '2024-05-01T12:01:00Z'", [])
        .unwrap();
    let ended = vms::get(conn, "w7").unwrap().unwrap();
    assert_eq!((ended.operation, ended.live), (Some(7), None));
    assert_eq!(live_operations(conn).unwrap(), 0);
}

#[test]
fn an_unreadable_deadline_is_an_error_at_read() {
    let store = Store::scratch().unwrap();
    let conn = store.conn();
    conn.execute(
        "INSERT INTO operations (id, vm, kind, pid, start_time, deadline, created, by_user)
         VALUES (7, 'w7', 'revert', 4242, 99, 'garbage', '2024-05-01T12:00:00Z', 't')",
        [],
    )
    .unwrap();
    let vm = VmRow {
        operation: Some(7),
        ..sample()
    };
    vms::insert(conn, &vm).unwrap();
    let err = format!("{:#}", vms::get(conn, "w7").unwrap_err());
    assert!(err.contains("unreadable time `garbage`"), "{err}");
    let err = format!("{:#}", operations::get(conn, 7).unwrap_err());
    assert!(err.contains("unreadable time `garbage`"), "{err}");
}

#[test]
fn an_unreadable_monitor_check_is_an_error_naming_its_column() {
    let store = Store::scratch().unwrap();
    let conn = store.conn();
    vms::insert(conn, &sample()).unwrap();
    conn.execute("UPDATE vms SET last_check = 'soon'", [])
        .unwrap();
    let named = "unreadable time `soon` in column `last_check`";
    let err = format!("{:#}", vms::get(conn, "w7").unwrap_err());
    assert!(err.contains(named), "{err}");
    let err = state::load(conn, 3, 3, 60).err().unwrap();
    assert!(format!("{err:#}").contains(named), "{err:#}");
}

#[test]
fn queued_tasks_are_counted_and_canceled() {
    let store = Store::scratch().unwrap();
    let conn = store.conn();
    conn.execute_batch(
        "INSERT INTO jobs (id, user, submitted) VALUES (1, 't', '2024-05-01T10:00:00Z');
         INSERT INTO steps (job, no, command) VALUES (1, 1, '[\"true\"]');
         INSERT INTO tasks (job, step, no, vm, status) VALUES
             (1, 1, 2, 'w7', 'queued'), (1, 1, 1, 'w7', 'queued'),
             (1, 1, 3, 'w7', 'running'), (1, 1, 4, 'other', 'queued');",
    )
    .unwrap();
    assert_eq!(jobs::vm_work(conn, "w7").unwrap(), (2, 1));
    assert_eq!(
        jobs::cancel_queued_on_vm(conn, "w7").unwrap(),
        [TaskKey::new(1, 1, 1), TaskKey::new(1, 1, 2)]
    );
    assert_eq!(jobs::vm_work(conn, "w7").unwrap(), (0, 1));
    assert_eq!(jobs::vm_work(conn, "other").unwrap(), (1, 0));
}

#[test]
fn host_rows_round_trip() {
    let store = Store::scratch().unwrap();
    let conn = store.conn();
    let spec = HostSpec {
        max_active: Some(0),
        max_vms_when_idle: Some(3),
        paused: true,
        ..HostSpec::default()
    };
    hosts::put(conn, "h1", &spec).unwrap();
    hosts::put(
        conn,
        hosts::GLOBAL,
        &HostSpec {
            max_running: Some(2),
            ..HostSpec::default()
        },
    )
    .unwrap();
    assert_eq!(hosts::get(conn, "h1").unwrap(), spec);
    assert_eq!(hosts::get(conn, "h2").unwrap(), HostSpec::default());
    let all = hosts::load(conn).unwrap();
    assert_eq!(all.keys().collect::<Vec<_>>(), ["*", "h1"]);
    hosts::put(conn, "h1", &HostSpec::default()).unwrap();
    assert_eq!(hosts::load(conn).unwrap().len(), 1);
}

#[test]
fn settings_have_defaults_and_refuse_bad_values() {
    let store = Store::scratch().unwrap();
    let conn = store.conn();
    let defaults = settings::load(conn).unwrap();
    assert_eq!(defaults, settings::Settings::default());
    assert_eq!(
        (
            defaults.max_errors,
            defaults.revert_timeout,
            defaults.lock_timeout
        ),
        (3, 360, 30)
    );
    assert_eq!(defaults.monitor_interval_errors, 1800);
    let key = settings::key("task_margin").unwrap();
    settings::set(conn, key, 60).unwrap();
    assert_eq!(settings::load(conn).unwrap().task_margin, 60);
    for err in [
        settings::key("nope").unwrap_err(),
        settings::parse(settings::key("max_errors").unwrap(), "-1").unwrap_err(),
        settings::parse(settings::key("max_errors").unwrap(), "3s").unwrap_err(),
    ] {
        assert_eq!(exit_code(&err), exit::USAGE, "{err}");
    }
    conn.execute("UPDATE settings SET value = 'x'", []).unwrap();
    assert_eq!(exit_code(&settings::load(conn).unwrap_err()), exit::USAGE);
}

#[test]
fn settings_keep_to_their_ranges() {
    let key = |name| settings::key(name).unwrap();
    let parse = |name, value| settings::parse(key(name), value);
    for (name, low, high) in [
        ("revert_timeout", "9", "86401"),
        ("sleep_after_revert", "-1", "86400"),
        ("max_errors", "0", "4294967296"),
        ("max_task_tries", "0", "4294967296"),
        ("task_margin", "9", "4294967296"),
        ("monitor_interval", "0", "4294967296"),
        ("monitor_interval_errors", "0", "4294967296"),
        ("lock_timeout", "-1", "4294967296"),
    ] {
        for value in [low, high] {
            let err = parse(name, value).unwrap_err();
            assert_eq!(exit_code(&err), exit::USAGE, "{name} {value}");
        }
    }
    assert_eq!(parse("revert_timeout", "10").unwrap(), 10);
    assert_eq!(parse("revert_timeout", "86400").unwrap(), 86400);
    assert_eq!(parse("lock_timeout", "0").unwrap(), 0);
    assert_eq!(parse("task_margin", "4294967295").unwrap(), u32::MAX);
    assert_eq!(
        key("revert_timeout").range_words(),
        "`revert_timeout` is 10 to 86400 s"
    );
    assert_eq!(
        key("max_errors").range_words(),
        "`max_errors` is at least 1"
    );

    // sleep_after_revert stays below revert_timeout, whichever of the two changes.
    let current = Settings {
        sleep_after_revert: 100,
        ..Settings::default()
    };
    settings::admit(&current, key("sleep_after_revert"), 359).unwrap();
    settings::admit(&current, key("revert_timeout"), 101).unwrap();
    for (name, value) in [("sleep_after_revert", 360), ("revert_timeout", 100)] {
        let err = settings::admit(&current, key(name), value).unwrap_err();
        assert_eq!(exit_code(&err), exit::USAGE, "{name} {value}");
    }
}

#[test]
fn stored_settings_out_of_range_are_read_within_it() {
    let store = Store::scratch().unwrap();
    let conn = store.conn();
    conn.execute_batch(
        "INSERT INTO settings (key, value) VALUES ('revert_timeout', '0'),
             ('sleep_after_revert', '500'), ('max_errors', '0'), ('monitor_interval', '0')",
    )
    .unwrap();
    let loaded = settings::load(conn).unwrap();
    assert_eq!(
        (
            loaded.revert_timeout,
            loaded.sleep_after_revert,
            loaded.max_errors,
            loaded.monitor_interval
        ),
        (10, 9, 1, 1)
    );
}

#[test]
fn history_lists_oldest_first_with_filters() {
    let store = Store::scratch().unwrap();
    let conn = store.conn();
    for (vm, detail) in [(Some("a"), "one"), (None, "two"), (Some("a"), "three")] {
        let entry = Entry {
            vm,
            ..Entry::new("t", Event::new(Kind::Admin, detail))
        };
        history::record(conn, &entry).unwrap();
    }
    conn.execute(
        "UPDATE history SET time = '2020-01-01T00:00:00Z' WHERE detail = 'one'",
        [],
    )
    .unwrap();
    let details = |q: Query| {
        let mut details = Vec::new();
        history::each(conn, &q, |r| {
            details.push(r.detail);
            Ok(())
        })
        .unwrap();
        details
    };
    assert_eq!(details(Query::default()), ["one", "two", "three"]);
    assert_eq!(
        details(Query {
            vm: Some("a"),
            ..Query::default()
        }),
        ["one", "three"]
    );
    assert_eq!(
        details(Query {
            limit: Some(2),
            ..Query::default()
        }),
        ["two", "three"]
    );
    assert_eq!(
        details(Query {
            since: Some("2021-01-01T00:00:00Z".parse().unwrap()),
            ..Query::default()
        }),
        ["two", "three"]
    );
    assert_eq!(
        details(Query {
            vm: Some("a"),
            since: Some("2021-01-01T00:00:00Z".parse().unwrap()),
            limit: Some(5),
        }),
        ["three"]
    );
    let none = Query {
        since: Some("2999-01-01T00:00:00Z".parse().unwrap()),
        ..Query::default()
    };
    assert!(details(none).is_empty());
    assert!(details(Query {
        limit: Some(0),
        ..Query::default()
    })
    .is_empty());
}

#[test]
fn a_rolled_back_write_changes_nothing() {
    let mut store = Store::scratch().unwrap();
    let vm = sample();
    store.write_if(false, |tx| vms::insert(tx, &vm)).unwrap();
    assert!(vms::list(store.conn()).unwrap().is_empty());
    store.write(|tx| vms::insert(tx, &vm)).unwrap();
    assert_eq!(vms::list(store.conn()).unwrap().len(), 1);
}

/// The schema of a connection, as SQLite stores it.
fn schema(conn: &Connection) -> Vec<String> {
    let mut stmt = conn
        .prepare("SELECT type || ' ' || name || ': ' || coalesce(sql, '') FROM sqlite_master ORDER BY name")
        .unwrap();
    let rows = stmt.query_map([], |r| r.get(0)).unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn a_new_database_has_the_migrated_schema_wal_and_mode_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new/folder/vmsched.db");
    let store = Store::open(&path, Mode::Create).unwrap();
    assert_eq!(store.version().unwrap(), SCHEMA_VERSION);
    let migrated = Connection::open_in_memory().unwrap();
    for sql in MIGRATIONS {
        migrated.execute_batch(sql).unwrap();
    }
    assert_eq!(schema(store.conn()), schema(&migrated));
    let journal: String = store
        .conn()
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    drop(store);
    // It was made under another name: nothing of that is left.
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["vmsched.db"]);
    assert!(Store::open(&path, Mode::Existing).is_ok());
}

#[test]
fn opening_refuses_a_missing_or_newer_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vmsched.db");
    let err = Store::open(&path, Mode::Existing).err().unwrap();
    assert_eq!(exit_code(&err), exit::USAGE);
    assert!(!path.exists());
    drop(Store::open(&path, Mode::Create).unwrap());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Store::open(&path, Mode::Migrate).err().unwrap();
    assert_eq!(exit_code(&err), exit::USAGE);
    assert!(err.to_string().contains("newer"), "{err}");
}

#[test]
fn stopped_operations_that_survived_are_found_again() {
    let store = Store::scratch().unwrap();
    let conn = store.conn();
    vms::insert(conn, &VmRow::new("w7", "qemu:///system", "win7", "wtb")).unwrap();
    let mut sleeper = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let process = crate::process::Proc::of(i64::from(sleeper.id()));
    let new = operations::NewOperation {
        vm: "w7",
        kind: OpKind::Task,
        deadline: deadline::Deadline::in_secs(60),
        task: None,
        by_user: "tester",
        process,
    };
    let id = operations::start(conn, &new).unwrap();
    let op = operations::get(conn, id).unwrap().unwrap();
    assert_eq!(op.deadline, new.deadline, "both clocks' deadlines are kept");
    assert_eq!(
        operations::stop(conn, &op, Stop::Killed(KillReason::StuckProcess)).unwrap(),
        process.into_iter().collect::<Vec<_>>()
    );
    // The command that stopped it died before killing it: a later pass finds it.
    assert_eq!(
        operations::stopped_recently(conn).unwrap(),
        process.into_iter().collect::<Vec<_>>()
    );
    sleeper.kill().unwrap();
    sleeper.wait().unwrap();
}

/// Rows as the writers before typed history wrote them, and the kind and fields migration 8
/// derives for each (`kind|job|step|task|result|for_vm|runnable|queued|blocked`).
const OLD_ROWS: &[(&str, &str, &str, &str, &str, &str)] = &[
    // (vm, old, new, detail, user, derived)
    (
        "",
        "",
        "",
        "counters runnable 2 queued 10 blocked 3",
        "scheduler",
        "counters||||||2|10|3",
    ),
    (
        "",
        "",
        "",
        "max_errors 3→4 by root",
        "root",
        "admin||||||||",
    ),
    ("w10", "", "off", "added", "root", "admin||||||||"),
    (
        "w10",
        "off",
        "reverting",
        "reverting",
        "scheduler",
        "status||||||||",
    ),
    (
        "w10",
        "reverting",
        "sleeping",
        "sleeping",
        "scheduler",
        "status||||||||",
    ),
    (
        "w10",
        "sleeping",
        "idle",
        "idle",
        "scheduler",
        "revert||||ok||||",
    ),
    (
        "w10",
        "idle",
        "running",
        "running 7 2 3",
        "scheduler",
        "start|7|2|3|||||",
    ),
    (
        "w10",
        "running",
        "dirty",
        "dirty task 7/2/3 completed",
        "scheduler",
        "task|7|2|3|completed||||",
    ),
    (
        "w10",
        "running",
        "dirty",
        "dirty task 7/2/4 boterror: cannot start `x`",
        "scheduler",
        "task|7|2|4|boterror||||",
    ),
    (
        "w10",
        "running",
        "dirty",
        "dirty wrong snapshot, task 8/1/1 not started: s2",
        "scheduler",
        "task|8|1|1|queued||||",
    ),
    (
        "w10",
        "running",
        "dirty",
        "dirty task 9/1/1 canceled by alice",
        "alice",
        "task|9|1|1|canceled||||",
    ),
    (
        "w10",
        "dirty",
        "dirty",
        "task 7/2/5 requeued",
        "scheduler",
        "task|7|2|5|queued||||",
    ),
    (
        "w10",
        "dirty",
        "dirty",
        "task 7/2/6 stopped: VM removed",
        "alice",
        "task|7|2|6|queued||||",
    ),
    (
        "w10",
        "",
        "",
        "canceled 10 1 2",
        "alice",
        "task|10|1|2|canceled||||",
    ),
    (
        "w10",
        "dirty",
        "dirty",
        "boterror stuck",
        "scheduler",
        "stop||||||||",
    ),
    (
        "w10_fr",
        "idle",
        "off",
        "off stolen by w10",
        "scheduler",
        "steal|||||w10|||",
    ),
    (
        "w10_fr",
        "idle",
        "off",
        "off forced by alice: urgent",
        "alice",
        "steal||||||||",
    ),
    (
        "b",
        "idle",
        "dirty",
        "dirty sacrifice for w10",
        "scheduler",
        "sacrifice|||||w10|||",
    ),
    (
        "b",
        "dirty",
        "dirty",
        "dirty poweroff",
        "scheduler",
        "status||||||||",
    ),
    (
        "b",
        "offline",
        "off",
        "off monitor: usable again",
        "scheduler",
        "monitor||||||||",
    ),
    (
        "b",
        "reverting",
        "offline",
        "offline revert failed: no",
        "alice",
        "revert||||failed||||",
    ),
    (
        "b",
        "reverting",
        "offline",
        "offline interrupted",
        "alice",
        "revert||||interrupted||||",
    ),
    (
        "b",
        "off",
        "maintenance",
        "maintenance by alice: disk",
        "alice",
        "admin||||||||",
    ),
    (
        "b",
        "running",
        "offline",
        "offline process died",
        "scheduler",
        "status||||||||",
    ),
];

#[test]
fn migration_8_derives_the_kinds_of_old_rows() {
    let conn = Connection::open_in_memory().unwrap();
    for sql in &MIGRATIONS[..6] {
        conn.execute_batch(sql).unwrap();
    }
    let null = |s: &'static str| (!s.is_empty()).then_some(s);
    for (i, (vm, old, new, detail, user, _)) in OLD_ROWS.iter().enumerate() {
        conn.execute(
            "INSERT INTO history (time, vm, old_status, new_status, detail, user)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                format!("2024-01-01T00:00:{i:02}Z"),
                null(vm),
                null(old),
                null(new),
                detail,
                user
            ],
        )
        .unwrap();
    }
    conn.execute("INSERT INTO settings VALUES ('_last_reported', '5')", [])
        .unwrap();
    for sql in &MIGRATIONS[6..] {
        conn.execute_batch(sql).unwrap();
    }
    let derived: Vec<String> = conn
        .prepare(
            "SELECT kind || '|' || ifnull(job, '') || '|' || ifnull(step, '') || '|'
                    || ifnull(task, '') || '|' || ifnull(result, '') || '|' || ifnull(for_vm, '')
                    || '|' || ifnull(runnable, '') || '|' || ifnull(queued, '') || '|'
                    || ifnull(blocked, '')
             FROM history ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let expected: Vec<&str> = OLD_ROWS.iter().map(|r| r.5).collect();
    assert_eq!(derived, expected);
    // Durations from the row that began them: the revert took 2 s, the task 1 s.
    let durations: Vec<(String, i64)> = conn
        .prepare(
            "SELECT detail, duration_ms FROM history WHERE duration_ms IS NOT NULL ORDER BY id",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    assert_eq!(
        durations,
        [
            ("idle".to_string(), 2000),
            ("dirty task 7/2/3 completed".to_string(), 1000)
        ]
    );
    let cursor: i64 = conn
        .query_row("SELECT history FROM alerts_reported", [], |r| r.get(0))
        .unwrap();
    assert_eq!(cursor, 5);
    let left: i64 = conn
        .query_row("SELECT count(*) FROM settings", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
}
