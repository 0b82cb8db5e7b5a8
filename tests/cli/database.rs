//! CLI tests of the database file: which commands create it and how, `migrate`, and the
//! refusal of a database newer than the binary or of a file that is not a vmsched database.

use crate::support::{example_inventory, Lab, ADD_X};
use vmsched::store::SCHEMA_VERSION;

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
        "database `{}` is at schema version {SCHEMA_VERSION}: nothing to migrate\n",
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
        error.contains(&format!(
            "has schema version 1, older than this vmsched's ({SCHEMA_VERSION})"
        )),
        "{error}"
    );
    assert_eq!(lab.dump(), before, "a refused command changed the database");
    let run = lab.run(&["migrate"]).ok();
    let expected = format!(
        "migrated database `{db}` from schema version 1 to {SCHEMA_VERSION}\n\
         rewrote database `{db}` once so that `vmsched purge --vacuum` can compact it\n",
        db = lab.db.display()
    );
    assert_eq!(run.stderr, expected);
    assert_eq!(lab.rows("PRAGMA auto_vacuum"), ["2"]);
    // Everything the old database held is still there, and the new tables and columns work.
    let kept = |dump: &str| -> Vec<String> {
        dump.lines()
            .filter(|l| {
                !["pass_requests:", "history:", "alerts_reported:"]
                    .iter()
                    .any(|new| l.starts_with(new))
            })
            .map(str::to_string)
            .collect()
    };
    // The VMs' new last column, `domain_uuid`, is NULL: they were never checked with libvirt;
    // so are the jobs' `on_behalf_of` and `env`: they were submitted for nobody else, with no
    // variables. The tasks' new last column, `attempts`, is 0: they never started.
    let after: String = lab
        .dump()
        .lines()
        .map(|l| {
            if let Some(vm) = l.strip_prefix("vms: ") {
                format!("vms: {}\n", vm.strip_suffix("|NULL").expect("no UUID"))
            } else if let Some(job) = l.strip_prefix("jobs: ") {
                format!("jobs: {}\n", job.strip_suffix("|NULL|NULL").expect("none"))
            } else if let Some(task) = l.strip_prefix("tasks: ") {
                format!("tasks: {}\n", task.strip_suffix("|0").expect("no attempts"))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_eq!(kept(&after), kept(&before));
    assert_eq!(
        lab.rows("SELECT count(*), sum(alert) FROM history"),
        ["6|0"]
    );
    // Every old row is an admin's change (VMs added, limits, a setting, maintenance), and
    // says so by its kind; no alert was reported yet.
    assert_eq!(
        lab.rows("SELECT kind, count(*) FROM history GROUP BY kind"),
        ["admin|6"]
    );
    assert_eq!(lab.rows("SELECT history FROM alerts_reported"), ["0"]);
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
    // The migration marks the file as vmsched's.
    assert_eq!(lab.rows("PRAGMA application_id"), ["1986884452"]);
}

/// Files that are not vmsched databases, by name: empty, not SQLite, another program's.
fn foreign_files(lab: &Lab) -> Vec<(&'static str, std::path::PathBuf)> {
    let file = |name: &str, bytes: &[u8]| {
        let path = lab.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let other = lab.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1); PRAGMA user_version = 1;")
        .unwrap();
    let bare = lab.path().join("bare.db");
    rusqlite::Connection::open(&bare)
        .unwrap()
        .execute_batch("PRAGMA application_id = 42; VACUUM;")
        .unwrap();
    vec![
        ("an empty file", file("empty.db", b"")),
        ("not an SQLite file", file("text.db", b"not a database\n")),
        ("not an SQLite file", file("binary.db", &[0xa5; 8192])),
        ("another program's SQLite database", other),
        ("another program's SQLite database", bare),
    ]
}

#[test]
fn a_file_that_is_not_a_vmsched_database_is_refused_untouched() {
    let lab = Lab::new();
    let commands: [&[&str]; 9] = [
        &["vms", "list"],
        ADD_X,
        &["vms", "import", "--no-check", &example_inventory()],
        &["hosts", "set", "localhost", "--paused"],
        &["settings", "set", "max_errors", "4"],
        &["schedule-once"],
        &["schedule-once", "--dry-run"],
        &["migrate", "--force"],
        &["domains", "show"],
    ];
    let listing = || {
        let mut names: Vec<_> = std::fs::read_dir(lab.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        names
    };
    for (what, path) in foreign_files(&lab) {
        let bytes = std::fs::read(&path).unwrap();
        let files = listing();
        for args in commands {
            let db = path.to_str().unwrap();
            let run = lab.run(&[&["--db", db], args].concat()).code(2);
            assert_eq!(
                run.one_line_error(),
                format!("error: `{db}` is not a vmsched database ({what})"),
                "{args:?}"
            );
            assert_eq!(std::fs::read(&path).unwrap(), bytes, "{db} {args:?}");
            assert_eq!(listing(), files, "{db} {args:?} made files");
        }
    }
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
        assert!(run.one_line_error().contains(&format!(
            "has schema version 99, newer than this vmsched knows ({SCHEMA_VERSION})"
        )));
        assert_eq!(std::fs::read(&lab.db).unwrap(), bytes, "{args:?}");
    }
}
