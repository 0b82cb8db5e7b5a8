//! Who may use a database: a shared lab in a group folder (2770) that members use and others
//! may not, read-only inspection of a database one may only read, and plain permission errors.
//! The users are arbitrary uids and gids (no account exists for them): the commands run as them
//! through setgroups/setgid/setuid, which needs root; as anyone else these tests print a `SKIP`
//! line and pass.

use crate::support::{Lab, Run, ADD_X};
use nix::unistd::{chown, setgid, setgroups, setuid, Gid, Uid};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};

/// The service user, owner of the shared folder, and its group.
const SERVICE: u32 = 61_001;
const GROUP: u32 = 61_000;
/// A member of the group, and a user who is not one.
const MEMBER: u32 = 61_002;
const OUTSIDER: u32 = 61_003;

/// Whether this process may switch users; prints `SKIP` when not.
fn root(test: &str) -> bool {
    let root = nix::unistd::geteuid().is_root();
    if !root {
        eprintln!("SKIP {test}: needs root to run commands as other users");
    }
    root
}

/// A lab folder that every user may enter (a temporary folder is its creator's alone).
fn open_lab() -> Lab {
    let lab = Lab::new();
    chmod(lab.path(), 0o755);
    lab
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A group-shared folder in the lab, as the package makes `/var/lib/vmsched` (2770, the
/// service user's and its group's), and the database path in it.
fn shared_folder(lab: &Lab) -> PathBuf {
    let folder = lab.path().join("shared");
    std::fs::create_dir(&folder).expect("create shared folder");
    chown(
        &folder,
        Some(Uid::from_raw(SERVICE)),
        Some(Gid::from_raw(GROUP)),
    )
    .expect("chown");
    chmod(&folder, 0o2770);
    folder.join("vmsched.db")
}

/// Runs `vmsched ARGS` on `db` as `uid` with primary group `uid` and supplementary `groups`.
fn run_as(lab: &Lab, db: &Path, uid: u32, groups: &[u32], args: &[&str]) -> Run {
    let mut cmd = lab.std_cmd(args);
    cmd.env("VMSCHED_DB", db);
    as_user(cmd, uid, groups)
}

/// Runs a command as `uid` with primary group `uid` and supplementary `groups`.
fn as_user(mut cmd: std::process::Command, uid: u32, groups: &[u32]) -> Run {
    let groups: Vec<Gid> = groups.iter().map(|&g| Gid::from_raw(g)).collect();
    // SAFETY: between fork and exec the hook only makes system calls.
    unsafe {
        cmd.pre_exec(move || {
            setgroups(&groups)?;
            setgid(Gid::from_raw(uid))?;
            setuid(Uid::from_raw(uid))?;
            Ok(())
        });
    }
    Run::from(cmd.output().expect("run vmsched"))
}

/// The number of jobs a JSON `jobs list` shows.
fn jobs(run: &Run) -> usize {
    run.json().as_array().expect("a JSON array").len()
}

#[test]
fn a_member_submits_and_lists_in_the_shared_lab() {
    if !root("a_member_submits_and_lists_in_the_shared_lab") {
        return;
    }
    let lab = open_lab();
    let db = shared_folder(&lab);
    let mut cmd = lab.cmd(ADD_X);
    cmd.env("VMSCHED_DB", &db).assert().success();
    // Root's database in a shared folder is the service user's and the group's, 0660.
    let meta = std::fs::metadata(&db).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o7777),
        (SERVICE, GROUP, 0o660)
    );
    run_as(
        &lab,
        &db,
        MEMBER,
        &[GROUP],
        &["jobs", "submit", "--vm", "x", "--", "true"],
    )
    .ok();
    let list = run_as(
        &lab,
        &db,
        MEMBER,
        &[GROUP],
        &["jobs", "list", "--format", "json"],
    )
    .ok();
    assert_eq!(jobs(&list), 1);
    // The service user reads what the member wrote: no file beside it became the member's alone.
    let list = run_as(
        &lab,
        &db,
        SERVICE,
        &[GROUP],
        &["jobs", "list", "--format", "json"],
    )
    .ok();
    assert_eq!(jobs(&list), 1);
    for entry in std::fs::read_dir(db.parent().unwrap()).unwrap() {
        let meta = entry.unwrap().metadata().unwrap();
        assert_eq!(
            meta.gid(),
            GROUP,
            "files in the shared folder are the group's"
        );
        assert_eq!(
            meta.mode() & 0o007,
            0,
            "nothing in the shared folder is world-readable"
        );
    }
}

#[test]
fn a_non_member_is_refused_with_a_hint_naming_the_group() {
    if !root("a_non_member_is_refused_with_a_hint_naming_the_group") {
        return;
    }
    let lab = open_lab();
    let db = shared_folder(&lab);
    lab.cmd(ADD_X).env("VMSCHED_DB", &db).assert().success();
    let before = std::fs::read(&db).unwrap();
    for args in [
        &["jobs", "list"][..],
        &["jobs", "submit", "--vm", "x", "--", "true"],
        &["vms", "list"],
    ] {
        let run = run_as(&lab, &db, OUTSIDER, &[], args).code(1);
        let error = run.one_line_error();
        assert!(
            error.contains("permission denied") && error.contains("shared"),
            "{error}"
        );
        assert!(
            run.stderr.contains(&format!(
                "hint: ask an admin to add you to group `gid {GROUP}`"
            )),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains("Error code"), "{}", run.stderr);
    }
    assert_eq!(std::fs::read(&db).unwrap(), before, "the database changed");
    // Nor may a member make the lab in the shared folder: it would be theirs, not the
    // service user's.
    let other = db.with_file_name("other.db");
    let run = run_as(&lab, &other, MEMBER, &[GROUP], ADD_X).code(3);
    assert!(
        run.stderr.contains("is made by its owner"),
        "{}",
        run.stderr
    );
    assert!(!other.exists());
}

#[test]
fn a_database_one_may_only_read_can_be_inspected_not_changed() {
    if !root("a_database_one_may_only_read_can_be_inspected_not_changed") {
        return;
    }
    let lab = open_lab();
    lab.run(ADD_X).ok();
    lab.run(&["jobs", "submit", "--vm", "x", "--", "true"]).ok();
    chmod(&lab.db, 0o444);
    let read = |args: &[&str]| run_as(&lab, &lab.db, OUTSIDER, &[], args).ok();
    assert_eq!(jobs(&read(&["jobs", "list", "--format", "json"])), 1);
    assert!(read(&["vms", "list"]).stdout.contains("x "));
    assert!(read(&["jobs", "show", "1"]).stdout.contains("queued"));
    assert!(read(&["history"]).stdout.contains("added"));
    assert!(read(&["domains", "show", "--no-live"])
        .stdout
        .contains("free"));
    // The reader left nothing beside the database (an index of its own would stop the
    // owner's writes).
    let names: Vec<String> = std::fs::read_dir(lab.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("vmsched.db"))
        .collect();
    assert_eq!(names, ["vmsched.db"]);
    let run = run_as(&lab, &lab.db, OUTSIDER, &[], &["jobs", "cancel", "1"]).code(1);
    let error = run.one_line_error();
    assert!(
        error.contains("is read-only for you (permission denied)"),
        "{error}"
    );
    assert!(run.stderr.contains("hint: `"), "{}", run.stderr);
    assert!(run.stderr.contains("is mode 0444"), "{}", run.stderr);
}

#[test]
fn a_reader_sees_what_a_live_writer_committed() {
    if !root("a_reader_sees_what_a_live_writer_committed") {
        return;
    }
    let lab = open_lab();
    lab.run(ADD_X).ok();
    chmod(&lab.db, 0o644);
    // A writer that keeps the database open: its commit stays in the write-ahead log.
    let writer = rusqlite::Connection::open(&lab.db).unwrap();
    writer
        .execute(
            "UPDATE vms SET description = 'seen live' WHERE name = 'x'",
            [],
        )
        .unwrap();
    let run = run_as(
        &lab,
        &lab.db,
        OUTSIDER,
        &[],
        &["vms", "list", "--format", "json"],
    )
    .ok();
    assert_eq!(run.json()[0]["description"], "seen live");
    drop(writer);
}

#[test]
fn files_beside_the_database_that_a_member_cannot_write_are_named() {
    if !root("files_beside_the_database_that_a_member_cannot_write_are_named") {
        return;
    }
    let lab = open_lab();
    let db = shared_folder(&lab);
    lab.cmd(ADD_X).env("VMSCHED_DB", &db).assert().success();
    // A writer keeps the write-ahead log and its index, made private by hand.
    let writer = rusqlite::Connection::open(&db).unwrap();
    writer
        .execute("UPDATE vms SET description = 'held' WHERE name = 'x'", [])
        .unwrap();
    for suffix in ["-wal", "-shm"] {
        chmod(&db.with_file_name(format!("vmsched.db{suffix}")), 0o600);
    }
    let run = run_as(
        &lab,
        &db,
        MEMBER,
        &[GROUP],
        &["jobs", "submit", "--vm", "x", "--", "true"],
    );
    let error = run.code(1).one_line_error();
    assert!(
        error.contains("permission denied on the files SQLite keeps beside it"),
        "{error}"
    );
    assert!(!error.contains("Error code"), "{error}");
    drop(writer);
}

#[test]
fn a_user_outside_group_vmsched_defaults_to_a_lab_of_their_own() {
    if !root("a_user_outside_group_vmsched_defaults_to_a_lab_of_their_own") {
        return;
    }
    let lab = open_lab();
    let mut cmd = lab.std_cmd(&["vms", "list"]);
    cmd.env_remove("VMSCHED_DB");
    let run = as_user(cmd, OUTSIDER, &[]).code(2);
    let own = lab.path().join("state/vmsched/vmsched.db");
    assert!(
        run.stderr
            .contains(&format!("no database at `{}`", own.display())),
        "{}",
        run.stderr
    );
}
