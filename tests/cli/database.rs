//! CLI tests of the database file: which commands create it and how, `migrate`, and the
//! refusal of a database newer than the binary.

use crate::support::{Lab, ADD_X};

#[test]
fn only_create_commands_make_a_database() {
    use std::os::unix::fs::PermissionsExt;
    let lab = Lab::new();
    let db = lab.path().join("deep/er/vmsched.db");
    let path = db.to_str().unwrap();
    let reads: [&[&str]; 7] = [
        &["vms", "list"],
        &["vms", "set", "w10", "--status", "off"],
        &["vms", "remove", "w10"],
        &["hosts", "list"],
        &["settings", "list"],
        &["history"],
        &["migrate"],
    ];
    for args in reads {
        let run = lab.run(&[&["--db", path], args].concat()).code(2);
        assert_eq!(
            run.one_line_error(),
            format!("error: no database at `{path}`")
        );
        assert!(
            run.stderr.contains("hint: create one with"),
            "{}",
            run.stderr
        );
        assert!(!db.exists() && !db.parent().unwrap().exists(), "{args:?}");
    }
    lab.run(&["--db", path, "hosts", "set", "localhost", "--paused"])
        .ok();
    let mode = std::fs::metadata(&db).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let journal: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
}

#[test]
fn migrate_leaves_a_current_database_alone() {
    let lab = Lab::example();
    let before = lab.dump();
    let run = lab.run(&["migrate"]).ok();
    let expected = format!(
        "database `{}` is at schema version 3: nothing to migrate\n",
        lab.db.display()
    );
    assert_eq!(run.stderr, expected);
    assert_eq!(lab.dump(), before);
}

/// A database made by vmsched 0.1 (schema version 1), kept as it was written.
const VERSION_1: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schema-v1.db");

#[test]
fn migrate_upgrades_a_version_1_database_in_place() {
    let lab = Lab::new();
    std::fs::copy(VERSION_1, &lab.db).unwrap();
    let before = lab.dump();
    let error = lab.run(&["vms", "list"]).code(2).one_line_error();
    assert!(
        error.contains("has schema version 1, older than this vmsched's (3)"),
        "{error}"
    );
    assert_eq!(lab.dump(), before, "a refused command changed the database");
    let run = lab.run(&["migrate"]).ok();
    let expected = format!(
        "migrated database `{}` from schema version 1 to 3\n",
        lab.db.display()
    );
    assert_eq!(run.stderr, expected);
    // Everything the old database held is still there, and the new tables work.
    let kept = |dump: &str| -> Vec<String> {
        dump.lines()
            .filter(|l| !l.starts_with("pass_requests:"))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(kept(&lab.dump()), kept(&before));
    assert_eq!(
        lab.rows("SELECT name, status FROM vms ORDER BY name"),
        ["build|off", "w10|maintenance", "w10_fr|off"]
    );
    assert_eq!(
        lab.rows("SELECT requested, served FROM pass_requests"),
        ["0|0"]
    );
    // Operations written before have no boot-clock deadline: the wall clock judges them.
    assert_eq!(
        lab.rows("SELECT count(*) FROM operations WHERE boot_deadline_ms IS NOT NULL"),
        ["0"]
    );
    let plan = lab.run(&["schedule-once", "--dry-run"]).ok().stdout;
    assert!(
        plan.contains("counters: runnable 1 queued 1 blocked 1"),
        "{plan}"
    );
    lab.run(&["settings", "set", "max_errors", "5"]).ok();
    assert_eq!(lab.rows("SELECT requested FROM pass_requests"), ["1"]);
}

#[test]
fn a_newer_database_is_refused_untouched() {
    let lab = Lab::example();
    lab.sql("PRAGMA user_version = 99");
    let bytes = std::fs::read(&lab.db).unwrap();
    let commands: [&[&str]; 4] = [
        &["vms", "list"],
        ADD_X,
        &["settings", "set", "max_errors", "4"],
        &["migrate", "--force"],
    ];
    for args in commands {
        let run = lab.run(args).code(2);
        assert!(run
            .one_line_error()
            .contains("has schema version 99, newer than this vmsched knows (3)"));
        assert_eq!(std::fs::read(&lab.db).unwrap(), bytes, "{args:?}");
    }
}
