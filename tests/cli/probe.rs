//! CLI tests of `domains check`, the monitoring probe: its states and exit codes (0 OK,
//! 1 WARNING, 2 CRITICAL, 3 UNKNOWN), the summary line first, `-q`, and vmsched's own failures
//! (bad arguments, a missing or locked database, a file that is not one) as UNKNOWN.

use crate::domains::{add, status, troubled_lab, WINDOWS};
use crate::support::{Lab, Run, ADD_X};

#[test]
fn critical_names_every_bad_verdict_worst_first_then_the_table() {
    let lab = troubled_lab();
    let run = lab.run(&["domains", "check"]).code(2);
    let mut lines = run.stdout.lines();
    assert_eq!(
        lines.next().unwrap(),
        "CRITICAL: 1 of 6 domains unreachable: far; 2 missing: debian, ghost; \
         1 conflict: build; 1 drift: win10"
    );
    assert!(lines.next().unwrap().contains("Verdict"), "{}", run.stdout);
    assert_eq!(run.stderr, "");
    let quiet = lab
        .run(&["domains", "check", "-q", "--domain", "win10"])
        .code(2);
    assert_eq!(quiet.stdout, "CRITICAL: 1 of 1 domains drift: win10\n");
    // `domains show --check` keeps vmsched's exit code.
    lab.run(&["domains", "show", "--check"]).code(1);
}

#[test]
fn an_orphan_is_a_warning_and_a_clean_lab_ok() {
    let lab = Lab::new();
    add(&lab, WINDOWS);
    add(&lab, &[("b", "lab", "build", "clean")]);
    let run = lab.run(&["domains", "check", "-q"]).code(1);
    assert_eq!(run.stdout, "WARNING: 1 of 3 domains orphan: win10\n");
    status(&lab, "w10", "idle");
    let run = lab.run(&["domains", "check"]).ok();
    assert_eq!(run.stdout.lines().next(), Some("OK: 3 domains ok or free"));
    let run = lab.run(&["domains", "check", "--host", "nowhere"]).ok();
    assert_eq!(run.stdout.lines().next(), Some("OK: no domains"));
}

#[test]
fn vmsched_failing_itself_is_unknown() {
    let lab = Lab::new();
    // No database yet: the probe creates none.
    let run = lab.run(&["domains", "check"]).code(3);
    assert!(
        run.stdout.starts_with("UNKNOWN: no database at "),
        "{}",
        run.stdout
    );
    assert_eq!((run.stdout.lines().count(), run.stderr.as_str()), (1, ""));
    assert!(!lab.db.exists());
    // A file that is not a vmsched database.
    std::fs::write(&lab.db, "not a database").unwrap();
    let run = lab.run(&["domains", "check", "-q"]).code(3);
    assert!(run.stdout.starts_with("UNKNOWN: "), "{}", run.stdout);
    std::fs::remove_file(&lab.db).unwrap();
    lab.run(ADD_X).ok();
    // A database another process holds locked past the busy timeout.
    let holder = rusqlite::Connection::open(&lab.db).unwrap();
    holder
        .execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; DELETE FROM settings;")
        .unwrap();
    let mut probe = lab.cmd(&["domains", "check"]);
    let run = Run::from(
        probe
            .env("VMSCHED_BUSY_TIMEOUT_MS", "100")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 3);
    assert!(
        run.stdout.starts_with("UNKNOWN: ") && run.stdout.contains("locked"),
        "{}",
        run.stdout
    );
    drop(holder);
    // Bad arguments, before or after the subcommand's words.
    for args in [
        &["domains", "check", "--bogus"][..],
        &["domains", "check", "--domain"],
        &["--timeout", "0", "domains", "check"],
        &["--db", "x.db", "--format", "yaml", "domains", "check"],
    ] {
        let run = lab.run(args).code(3);
        assert!(
            run.stdout.starts_with("UNKNOWN: "),
            "{args:?}: {}",
            run.stdout
        );
        assert_eq!((run.stdout.lines().count(), run.stderr.as_str()), (1, ""));
    }
    let run = lab.run(&["domains", "check", "--bogus"]);
    assert_eq!(run.stdout, "UNKNOWN: unexpected argument '--bogus' found\n");
    // Every other command keeps vmsched's usage error.
    let run = lab.run(&["domains", "show", "--bogus"]).code(2);
    assert_eq!(
        run.one_line_error(),
        "error: unexpected argument '--bogus' found"
    );
}
