//! The attacks of docs/reliability.md, "Security", and what stops them: declared users, the
//! environment's names, a pass's environment in a task's log, logs others could read, links
//! planted beside the database, URIs that run programs, ready commands, and control characters
//! sent to an admin's terminal.

use crate::support::{me, Lab, Run, ADD_X};
use nix::unistd::{setgid, setgroups, setuid, Gid, Uid};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;

/// A uid (and gid) without an account: a local user who may write the database.
const OTHER: u32 = 54_321;

/// Whether this test process is root (it may switch a child to another uid); prints a `SKIP`
/// line naming `test` when not.
fn root(test: &str) -> bool {
    let root = Uid::current().is_root();
    if !root {
        println!("SKIP {test}: needs root to run commands as another uid");
    }
    root
}

/// Lets `OTHER` write the lab's folder and database, as a member of a lab's group may.
fn shared(lab: &Lab) {
    for path in [lab.path(), lab.db.as_path()] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o777)).unwrap();
    }
}

/// Runs `vmsched ARGS` on the lab as `uid` (its groups: only `uid` as a gid).
fn run_as(lab: &Lab, uid: u32, args: &[&str]) -> Run {
    let mut cmd = lab.std_cmd(args);
    unsafe {
        cmd.pre_exec(move || {
            let gid = Gid::from_raw(uid);
            setgroups(&[gid])?;
            setgid(gid)?;
            setuid(Uid::from_raw(uid))?;
            Ok(())
        });
    }
    Run::from(cmd.output().expect("run vmsched as another uid"))
}

/// A lab with one VM `w1` on the test driver, idle (its domain is made up: tasks need no
/// hypervisor), that a pass starts tasks on.
fn idle_lab() -> Lab {
    let lab = Lab::new();
    let add = [
        "vms",
        "add",
        "w1",
        "-c",
        "test:///default",
        "--domain",
        "w1",
    ];
    lab.run(&[&add[..], &["--snapshot", "s", "--no-check"]].concat())
        .ok();
    lab.run(&["vms", "set", "w1", "--status", "idle"]).ok();
    lab
}

/// The mode bits of a path (permissions, setgid and sticky) without following a link.
fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

#[test]
fn only_root_and_the_service_user_act_on_behalf_of_others() {
    if !root("on behalf of") {
        return;
    }
    let lab = Lab::new();
    lab.run(ADD_X).ok();
    shared(&lab);
    let submit = ["jobs", "submit", "--vm", "x"];
    let for_alice = [&submit[..], &["--user", "alice", "--", "true"]].concat();
    let run = run_as(&lab, OTHER, &["--format", "json", "jobs", "list"]).ok();
    assert_eq!(run.json(), serde_json::json!([]), "a member reads the jobs");
    let before = lab.dump();
    let run = run_as(&lab, OTHER, &for_alice).code(3);
    assert!(
        run.one_line_error()
            .contains("`uid 54321` may not act on behalf of `alice`"),
        "{}",
        run.stderr
    );
    assert_eq!(
        lab.dump(),
        before,
        "a refused submission changed the database"
    );
    // Declaring oneself is acting for nobody else.
    run_as(
        &lab,
        OTHER,
        &[&submit[..], &["--user", "uid 54321", "--", "true"]].concat(),
    )
    .ok();
    lab.run(&for_alice).ok();
    let jobs = lab.run(&["--format", "json", "jobs", "list"]).ok().json();
    let who: Vec<(String, serde_json::Value)> = jobs
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            (
                j["user"].as_str().unwrap().to_string(),
                j["on_behalf_of"].clone(),
            )
        })
        .collect();
    assert_eq!(
        who,
        [
            ("uid 54321".to_string(), serde_json::Value::Null),
            (me(), serde_json::json!("alice"))
        ]
    );
    // `--user` matches who submitted and for whom.
    let ids = |user: &str| -> Vec<i64> {
        let jobs = lab.run(&["--format", "json", "jobs", "list", "--user", user]);
        let jobs = jobs.ok().json();
        jobs.as_array()
            .unwrap()
            .iter()
            .map(|j| j["id"].as_i64().unwrap())
            .collect()
    };
    assert_eq!(
        (ids("alice"), ids(&me()), ids("uid 54321")),
        (vec![2], vec![2], vec![1])
    );
    let table = lab.run(&["jobs", "list"]).ok().stdout;
    assert!(table.contains(&format!("{} for alice", me())), "{table}");
    let show = lab.run(&["jobs", "show", "2"]).ok().stdout;
    assert!(
        show.contains(&format!("User:       {} for alice", me())),
        "{show}"
    );
    let history = lab.run(&["--format", "json", "history"]).ok().json();
    let submitted = history
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["detail"] == "job 2 submitted")
        .expect("the submission is in the history");
    assert_eq!(
        (&submitted["user"], &submitted["on_behalf_of"]),
        (&serde_json::json!(me()), &serde_json::json!("alice"))
    );
    // The service user (the database's owner) may act for others too.
    std::os::unix::fs::chown(&lab.db, Some(OTHER), Some(OTHER)).unwrap();
    run_as(&lab, OTHER, &for_alice).ok();
}

#[test]
fn history_records_the_real_user_whatever_the_environment_says() {
    let lab = Lab::new();
    lab.run(ADD_X).ok();
    let mut cmd = lab.cmd(&[
        "vms",
        "set",
        "x",
        "--status",
        "maintenance",
        "--reason",
        "r",
    ]);
    for name in ["SUDO_USER", "USER", "LOGNAME"] {
        cmd.env(name, "alice");
    }
    Run::from(cmd.output().unwrap()).ok();
    let history = lab
        .run(&["--format", "json", "history", "--vm", "x"])
        .ok()
        .json();
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["user"], serde_json::json!(me()));
    assert_eq!(last["detail"], format!("maintenance by {}: r", me()));
    assert!(!lab.dump().contains("alice"));
}

#[test]
fn a_task_sees_the_allow_list_and_its_job_variables_not_the_pass_environment() {
    let lab = idle_lab();
    let job = lab.write(
        "job.toml",
        "[env]\nGREETING = \"from the file\"\nLANG = \"C.UTF-8\"\n\n[[step]]\nname = \"env\"\nvms = [\"w1\"]\ncommand = [\"env\"]\n",
    );
    lab.run(&[
        "jobs",
        "submit",
        "--file",
        &job,
        "--env",
        "GREETING=hi",
        "--env",
        "EMPTY=",
    ])
    .ok();
    let show = lab
        .run(&["--format", "json", "jobs", "show", "1"])
        .ok()
        .json();
    assert_eq!(
        show["env"],
        serde_json::json!({"EMPTY": "", "GREETING": "hi", "LANG": "C.UTF-8"})
    );
    let pass = lab
        .cmd(&["schedule-once", "--wait"])
        .env("SECRET_TOKEN", "hunter2")
        .output()
        .unwrap();
    Run::from(pass).ok();
    assert_eq!(lab.rows("SELECT status FROM tasks"), ["completed"]);
    let log = lab.path().join(&lab.rows("SELECT log FROM tasks")[0]);
    let text = std::fs::read_to_string(&log).unwrap();
    let mut names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(n, _)| n)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "EMPTY",
            "GREETING",
            "HOME",
            "LANG",
            "PATH",
            "VMSCHED_DOMAIN",
            "VMSCHED_HOSTNAME",
            "VMSCHED_JOB",
            "VMSCHED_SNAPSHOT",
            "VMSCHED_STEP",
            "VMSCHED_TASK",
            "VMSCHED_URI",
            "VMSCHED_VM"
        ],
        "{text}"
    );
    for line in [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "GREETING=hi",
        "LANG=C.UTF-8",
        "VMSCHED_VM=w1",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
    assert!(!text.contains("hunter2"));
    let show = lab.run(&["jobs", "show", "1"]).ok().stdout;
    assert!(
        show.contains("Env:        EMPTY= GREETING=hi LANG=C.UTF-8\n"),
        "{show}"
    );
    // Private logs: files 0640, folders 2750, from the logs folder down.
    assert_eq!(mode(&log), 0o640);
    let mut folder = log.parent().unwrap();
    while folder != lab.path() {
        assert_eq!(mode(folder), 0o2750, "{}", folder.display());
        folder = folder.parent().unwrap();
    }
    assert_eq!(mode(&lab.path().join("logs/workers.log")), 0o640);
}

#[test]
fn bad_job_variables_and_users_are_refused() {
    let lab = idle_lab();
    let run = lab.refused(
        &["jobs", "submit", "--vm", "w1", "--user", "", "--", "true"],
        2,
    );
    assert_eq!(run.one_line_error(), "error: empty --user");
    for (env, error) in [
        ("NOEQUALS", "invalid --env `NOEQUALS` (expected NAME=VALUE)"),
        ("1X=a", "invalid variable name `1X`"),
        (
            "VMSCHED_VM=w2",
            "variable `VMSCHED_VM` is vmsched's own and cannot be set",
        ),
    ] {
        let run = lab.refused(
            &["jobs", "submit", "--vm", "w1", "--env", env, "--", "true"],
            2,
        );
        assert!(run.one_line_error().contains(error), "{}", run.stderr);
    }
    let job = lab.write(
        "job.toml",
        "[env]\n\"A-B\" = \"x\"\n\n[[step]]\nname = \"s\"\nvms = [\"w1\"]\ncommand = [\"true\"]\n",
    );
    let run = lab.refused(&["jobs", "submit", "--file", &job], 2);
    assert!(
        run.one_line_error()
            .contains("line 1, field `env`: invalid variable name `A-B`"),
        "{}",
        run.stderr
    );
}

/// Plants `link` (relative to the lab) as a symbolic link to a file outside, runs one pass
/// that starts a task, and checks the pass or the task refused it and left the file alone.
fn planted_link_is_refused(link: &str, folders: &[&str]) {
    let lab = idle_lab();
    lab.run(&["jobs", "submit", "--vm", "w1", "--", "echo", "written"])
        .ok();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("precious");
    std::fs::write(&target, "precious\n").unwrap();
    for folder in folders {
        std::fs::create_dir_all(lab.path().join(folder)).unwrap();
    }
    let at = lab.path().join(link);
    let points_to = if link == "logs" || link == "logs/1" {
        outside.path().to_path_buf()
    } else {
        target.clone()
    };
    std::os::unix::fs::symlink(&points_to, &at).unwrap();
    let run = lab.run(&["schedule-once", "--wait"]);
    let said = format!("{}{}", run.stderr, lab.run(&["history"]).stdout);
    assert!(said.contains("is a symbolic link"), "{link}: {said}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    let outside_now: Vec<_> = std::fs::read_dir(outside.path()).unwrap().collect();
    assert_eq!(outside_now.len(), 1, "{link}: something was made outside");
    assert!(std::fs::symlink_metadata(&at)
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn links_planted_in_the_logs_are_refused_and_their_targets_untouched() {
    planted_link_is_refused("logs", &[]);
    planted_link_is_refused("logs/workers.log", &["logs"]);
    planted_link_is_refused("logs/1", &["logs"]);
    planted_link_is_refused("logs/1/1/1.1.log", &["logs/1/1"]);
}

#[test]
fn a_lock_file_link_is_refused_and_two_spellings_share_one_lock() {
    let lab = Lab::new();
    lab.run(ADD_X).ok();
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("precious");
    std::fs::write(&target, "precious\n").unwrap();
    let lock = lab.path().join("vmsched.db.lock");
    std::os::unix::fs::symlink(&target, &lock).unwrap();
    let run = lab.run(&["schedule-once"]).code(3);
    assert!(
        run.one_line_error().contains("is a symbolic link"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    std::fs::remove_file(&lock).unwrap();
    // Held through one spelling, the lock is held for every other.
    let link = lab.path().join("same.db");
    std::os::unix::fs::symlink(&lab.db, &link).unwrap();
    let held = vmsched::lock::try_acquire(&lab.db)
        .unwrap()
        .expect("the lock is free");
    let other = link.to_string_lossy().into_owned();
    let dotted = format!(
        "{}/../{}/vmsched.db",
        lab.path().display(),
        lab.path().file_name().unwrap().to_string_lossy()
    );
    for spelling in [other.as_str(), dotted.as_str()] {
        let run = lab
            .run(&["--db", spelling, "schedule-once", "--lock-timeout", "0"])
            .code(4);
        assert!(
            run.stderr.contains("another pass holds the lock"),
            "{}",
            run.stderr
        );
    }
    drop(held);
    assert_eq!(mode(&lock), 0o640);
}

#[test]
fn a_logs_folder_of_another_owner_is_refused() {
    if !root("logs folder of another owner") {
        return;
    }
    let lab = idle_lab();
    lab.run(&["jobs", "submit", "--vm", "w1", "--", "true"])
        .ok();
    let logs = lab.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::os::unix::fs::chown(&logs, Some(OTHER), Some(OTHER)).unwrap();
    let run = lab.run(&["schedule-once", "--wait"]).code(3);
    assert!(
        run.one_line_error()
            .contains("is owned by uid 54321, not by the database's owner"),
        "{}",
        run.stderr
    );
    assert_eq!(std::fs::read_dir(&logs).unwrap().count(), 0);
}

#[test]
fn logs_follow_the_database_group() {
    if !root("logs of the database's group") {
        return;
    }
    let lab = idle_lab();
    std::os::unix::fs::chown(&lab.db, None, Some(OTHER)).unwrap();
    lab.run(&["jobs", "submit", "--vm", "w1", "--", "true"])
        .ok();
    lab.run(&["schedule-once", "--wait"]).ok();
    let log = lab.path().join(&lab.rows("SELECT log FROM tasks")[0]);
    for path in [
        lab.path().join("logs"),
        log.clone(),
        lab.path().join("logs/workers.log"),
    ] {
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.gid(), OTHER, "{}", path.display());
    }
    assert_eq!(
        (mode(&lab.path().join("logs")), mode(&log)),
        (0o2750, 0o640)
    );
}

#[test]
fn uris_that_run_programs_need_allow_ext_uris() {
    let lab = Lab::new();
    lab.run(ADD_X).ok();
    let marker = lab.path().join("ran");
    let script = lab.write(
        "prog.sh",
        &format!("#!/bin/sh\ntouch {}\n", marker.display()),
    );
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let ext = format!("qemu+ext:///system?command={script}");
    let ssh = format!("qemu+ssh://h/system?command={script}");
    for uri in [&ext, &ssh] {
        let add = [
            "vms",
            "add",
            "e",
            "-c",
            uri,
            "--domain",
            "d",
            "--snapshot",
            "s",
        ];
        let run = lab.refused(&add, 3);
        assert!(
            run.one_line_error()
                .contains("makes libvirt run a local program"),
            "{}",
            run.stderr
        );
        lab.refused(&["vms", "set", "x", "-c", uri], 3);
    }
    let inventory = lab.write(
        "lab.toml",
        &format!("[[vm]]\nname = \"e\"\nuri = \"{ext}\"\ndomain = \"d\"\nsnapshot = \"s\"\n"),
    );
    lab.refused(&["vms", "import", &inventory], 3);
    assert!(!marker.exists(), "libvirt ran the URI's program");
    lab.run(&["settings", "set", "allow_ext_uris", "true"]).ok();
    lab.run(&[
        "vms",
        "add",
        "e",
        "-c",
        &ext,
        "--domain",
        "d",
        "--snapshot",
        "s",
        "--no-check",
    ])
    .ok();
    // Once the setting is off again, a URI registered meanwhile is never connected to.
    lab.run(&["settings", "set", "allow_ext_uris", "false"])
        .ok();
    let shown = lab.run(&["--format", "json", "domains", "show", "--domain", "d"]);
    let error = shown.ok().json()[0]["live_error"].clone();
    assert!(
        error
            .as_str()
            .unwrap()
            .contains("`allow_ext_uris` is false"),
        "{error}"
    );
    let run = lab.run(&["revert", "e"]).code(1);
    assert!(
        run.stderr.contains("`allow_ext_uris` is false"),
        "{}",
        run.stderr
    );
    assert!(!marker.exists(), "libvirt ran the URI's program");
    // An ordinary ssh URI was never refused.
    lab.run(&[
        "vms",
        "add",
        "s",
        "-c",
        "qemu+ssh://root@h/system?keyfile=/k",
        "--domain",
        "d2",
        "--snapshot",
        "s",
        "--no-check",
    ])
    .ok();
}

#[test]
fn only_root_and_the_service_user_set_ready_commands_and_allow_ext_uris() {
    if !root("ready commands") {
        return;
    }
    let lab = Lab::new();
    lab.run(ADD_X).ok();
    shared(&lab);
    for args in [
        &["vms", "set", "x", "--ready-cmd", "sh", "-c", "id"][..],
        &["settings", "set", "allow_ext_uris", "true"],
    ] {
        let before = lab.dump();
        let run = run_as(&lab, OTHER, args).code(3);
        assert!(run.one_line_error().contains("may not"), "{}", run.stderr);
        assert_eq!(lab.dump(), before);
    }
    // A member may still remove one, and make other changes.
    run_as(
        &lab,
        OTHER,
        &["vms", "set", "x", "--no-ready-cmd", "--description", "d"],
    )
    .ok();
    lab.run(&["vms", "set", "x", "--ready-cmd", "true"]).ok();
    std::os::unix::fs::chown(&lab.db, Some(OTHER), Some(OTHER)).unwrap();
    run_as(&lab, OTHER, &["vms", "set", "x", "--ready-cmd", "true"]).ok();
}

#[test]
fn control_characters_are_stored_as_given_and_printed_escaped() {
    let lab = Lab::new();
    lab.run(ADD_X).ok();
    let clear = "\u{1b}[2J\u{7}gone\u{9b}";
    lab.run(&[
        "jobs",
        "submit",
        "--vm",
        "x",
        "--remarks",
        clear,
        "--",
        "echo",
        clear,
    ])
    .ok();
    lab.run(&[
        "vms",
        "set",
        "x",
        "--description",
        clear,
        "--status",
        "maintenance",
        "--reason",
        clear,
    ])
    .ok();
    let escaped = r"\u{1b}[2J\u{7}gone\u{9b}";
    for args in [&["jobs", "list"][..], &["jobs", "show", "1"], &["history"]] {
        let out = lab.run(args).ok().stdout;
        assert!(out.contains(escaped), "{args:?}:\n{out}");
        assert!(
            !out.chars().any(|c| c.is_control() && c != '\n'),
            "{args:?}:\n{out:?}"
        );
    }
    let job = lab
        .run(&["--format", "json", "jobs", "show", "1"])
        .ok()
        .json();
    assert_eq!(
        (&job["remarks"], &job["steps"][0]["command"][1]),
        (&serde_json::json!(clear), &serde_json::json!(clear))
    );
    let history = lab.run(&["--format", "json", "history"]).ok().json();
    assert_eq!(
        history.as_array().unwrap().last().unwrap()["reason"],
        serde_json::json!(clear)
    );
}

#[test]
fn cron_lines_quoting_a_command_print_it_escaped() {
    let lab = idle_lab();
    lab.run(&["settings", "set", "max_task_tries", "1"]).ok();
    // A program that exists at submission and is gone when its task starts.
    let program = lab.write("\u{1b}[2Jnope", "#!/bin/sh\n");
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    lab.run(&["jobs", "submit", "--vm", "w1", "--", &program])
        .ok();
    std::fs::remove_file(&program).unwrap();
    let first = lab.run(&["schedule-once", "--wait"]).ok();
    let second = lab.run(&["schedule-once"]).ok();
    let said = format!("{}{}", first.stderr, second.stderr);
    assert_eq!(lab.rows("SELECT status FROM tasks"), ["boterror"]);
    assert!(said.contains(r"\u{1b}[2Jnope`"), "{said:?}");
    assert!(said.contains("cannot start `"), "{said:?}");
    assert!(!said.contains('\u{1b}'), "{said:?}");
}
