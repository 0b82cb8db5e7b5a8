//! Shell completion: the binary answers `COMPLETE=<shell> vmsched -- WORDS` as the committed
//! registration scripts call it, with names read from the database read-only; a database it
//! cannot read yields no names and is left as it was (or absent).

use crate::support::Lab;

/// The candidates offered for the last word of `words`, called the way the bash registration
/// script calls vmsched (`_CLAP_COMPLETE_INDEX` is the word under the cursor).
fn complete(lab: &Lab, words: &[&str]) -> Vec<String> {
    let index = words.len().to_string();
    let run = lab
        .cmd(&[&["--", "vmsched"], words].concat())
        .env("COMPLETE", "bash")
        .env("_CLAP_IFS", "\n")
        .env("_CLAP_COMPLETE_INDEX", index)
        .output()
        .expect("run vmsched");
    assert!(run.status.success(), "completion failed: {run:?}");
    let stdout = String::from_utf8(run.stdout).expect("UTF-8");
    stdout.lines().map(str::to_string).collect()
}

/// The candidates that are not options.
fn values(lab: &Lab, words: &[&str]) -> Vec<String> {
    let all = complete(lab, words);
    all.into_iter().filter(|c| !c.starts_with('-')).collect()
}

/// The lab's folder listing, to see that completion created nothing.
fn files(lab: &Lab) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(lab.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn offers_vm_names_job_ids_hosts_settings_and_words() {
    let lab = Lab::example();
    lab.run(&["hosts", "set", "build.lab", "--max-active", "1"])
        .ok();
    for remarks in ["first", "second"] {
        let submit = [
            "jobs",
            "submit",
            "--vm",
            "w10",
            "--remarks",
            remarks,
            "--",
            "true",
        ];
        lab.run(&submit).ok();
    }
    let before = (files(&lab), lab.dump());

    let names = lab.run(&["vms", "list", "--name"]).ok().stdout;
    let mut offered = values(&lab, &["revert", ""]);
    offered.sort();
    let mut expected: Vec<String> = names.lines().map(str::to_string).collect();
    expected.sort();
    assert_eq!(offered, expected);
    assert_eq!(values(&lab, &["revert", "w10_"]), ["w10_de", "w10_fr"]);
    assert_eq!(values(&lab, &["jobs", "submit", "--vm", "win"]), ["win7"]);
    assert_eq!(values(&lab, &["jobs", "show", ""]), ["2", "1"]);
    assert_eq!(
        values(&lab, &["hosts", "set", ""]),
        ["*", "build.lab", "localhost"]
    );
    assert_eq!(
        values(&lab, &["vms", "list", "--domain", "win1"]),
        ["win10"]
    );
    let command = values(&lab, &["jobs", "submit", "--vm", "w10", "--", "vmsched.d"]);
    assert_eq!(command, ["vmsched.db"], "a task's command is a path");
    let settings = values(&lab, &["settings", "set", ""]);
    assert!(settings.contains(&"max_errors".to_string()), "{settings:?}");
    assert_eq!(values(&lab, &["settings", "set", "lock"]), ["lock_timeout"]);
    assert_eq!(values(&lab, &["vms", "list", "--role", "re"]), ["retired"]);
    assert_eq!(
        values(&lab, &["jobs", "list", "--status", "c"]),
        ["completed", "canceled"]
    );
    let settable = values(&lab, &["vms", "set", "w10", "--status", ""]);
    assert_eq!(settable, ["off", "idle", "dirty", "offline", "maintenance"]);

    assert_eq!(
        (files(&lab), lab.dump()),
        before,
        "completion changed something"
    );
}

#[test]
fn a_database_it_cannot_read_offers_no_names_and_stays_as_it_was() {
    let lab = Lab::new();
    assert_eq!(values(&lab, &["revert", ""]), Vec::<String>::new());
    assert!(!lab.db.exists(), "completion created the database");
    assert_eq!(
        files(&lab),
        Vec::<String>::new(),
        "completion created a file"
    );
    // Options are still offered without a database.
    assert!(complete(&lab, &["revert", "--st"]).contains(&"--steal".to_string()));

    lab.run(crate::support::ADD_X).ok();
    assert_eq!(values(&lab, &["revert", ""]), ["x"]);
    let missing = lab.path().join("other.db");
    let other = missing.to_str().unwrap();
    assert_eq!(
        values(&lab, &["--db", other, "revert", ""]),
        Vec::<String>::new()
    );
    assert_eq!(
        values(&lab, &[&format!("--db={other}"), "poweroff", ""]),
        Vec::<String>::new()
    );
    assert!(
        !missing.exists(),
        "completion created the database named by --db"
    );
    // HOME is the lab folder: `~/` is expanded as the shell would.
    assert_eq!(values(&lab, &["--db", "~/vmsched.db", "revert", ""]), ["x"]);

    lab.sql("PRAGMA user_version = 99");
    assert_eq!(values(&lab, &["revert", ""]), Vec::<String>::new());
    assert_eq!(
        lab.rows("PRAGMA user_version"),
        ["99"],
        "completion migrated"
    );
}

#[test]
fn the_bash_registration_script_completes_from_the_database() {
    let lab = Lab::example();
    let bin = assert_cmd::cargo::cargo_bin("vmsched");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = lab.write(
        "complete.sh",
        r#"source <(vmsched completions bash)
COMP_WORDS=(vmsched poweroff w10_); COMP_CWORD=2; COMP_TYPE=9
_clap_complete_vmsched vmsched w10_ poweroff
printf '%s\n' "${COMPREPLY[@]}""#,
    );
    let run = std::process::Command::new("bash")
        .arg(&script)
        .env("PATH", path)
        .env("VMSCHED_DB", &lab.db)
        .output()
        .expect("run bash");
    let offered = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        offered,
        "w10_de\nw10_fr\n",
        "stderr: {}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// A `COMPLETE` variable in an ordinary run's environment changes nothing.
#[test]
fn an_ordinary_run_ignores_a_stray_complete_variable() {
    let lab = Lab::new();
    lab.run(crate::support::ADD_X).ok();
    for value in ["bash", "1"] {
        let run = lab
            .cmd(&["vms", "list", "--name"])
            .env("COMPLETE", value)
            .output()
            .unwrap();
        assert!(run.status.success(), "{run:?}");
        assert_eq!(String::from_utf8_lossy(&run.stdout), "x\n");
    }
}

/// A database another process holds locked offers no names, at once rather than after the
/// busy timeout of commands.
#[test]
fn a_locked_database_offers_no_names_without_waiting() {
    let lab = Lab::new();
    lab.run(crate::support::ADD_X).ok();
    let writer = rusqlite::Connection::open(&lab.db).unwrap();
    writer
        .execute_batch(
            "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE vms SET kind = kind;",
        )
        .unwrap();
    let start = std::time::Instant::now();
    assert_eq!(values(&lab, &["revert", ""]), Vec::<String>::new());
    let took = start.elapsed();
    assert!(took < std::time::Duration::from_secs(3), "took {took:?}");
    writer.execute_batch("ROLLBACK").unwrap();
}
