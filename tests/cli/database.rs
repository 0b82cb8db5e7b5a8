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
        "database `{}` is at schema version 1: nothing to migrate\n",
        lab.db.display()
    );
    assert_eq!(run.stderr, expected);
    assert_eq!(lab.dump(), before);
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
            .contains("has schema version 99, newer than this vmsched knows (1)"));
        assert_eq!(std::fs::read(&lab.db).unwrap(), bytes, "{args:?}");
    }
}
