//! Every refused input, as a table: each case sets up a lab, runs one command and expects an
//! exit code, a one-line error with a given text, and a database left exactly as it was.

use crate::support::{example_inventory, Lab, Run, ADD_X};

/// What a setup keeps alive while the command runs (a connection holding a write lock).
type Guard = Option<rusqlite::Connection>;

struct Case {
    setup: fn(&Lab) -> Guard,
    /// `{dir}` stands for the lab folder.
    args: &'static [&'static str],
    code: i32,
    error: &'static str,
}

fn nothing(_: &Lab) -> Guard {
    None
}

/// The example inventory plus the inventory files the cases import.
fn example(lab: &Lab) -> Guard {
    lab.run(&["vms", "import", "--no-check", &example_inventory()])
        .ok();
    let vm = |name: &str, uri: &str| {
        format!(
            "[[vm]]\nname = \"{name}\"\nuri = \"{uri}\"\ndomain = \"{name}\"\nsnapshot = \"s\"\n"
        )
    };
    lab.write("malformed.toml", "[limits]\n[[vm]\n");
    lab.write(
        "unknown.toml",
        &format!("{}bogus = 1\n", vm("new", "qemu:///system")),
    );
    lab.write("negative.toml", "[limits]\nmax_active = -1\n");
    let partial = format!(
        "{}{}",
        vm("new", "qemu:///system"),
        vm("new2", "qemu+ssh://h1")
    );
    lab.write("partial.toml", &partial);
    lab.write(
        "alias.toml",
        &vm("win7", "qemu://localhost/system").replace("\"win7\"\nuri", "\"win7b\"\nuri"),
    );
    None
}

fn w10_idle(lab: &Lab) -> Guard {
    example(lab);
    lab.run(&["vms", "set", "w10", "--status", "idle", "--force"])
        .ok();
    None
}

fn win7_has_work(lab: &Lab) -> Guard {
    example(lab);
    lab.task(1, "win7", "queued");
    None
}

fn settles_100_s(lab: &Lab) -> Guard {
    example(lab);
    lab.run(&["settings", "set", "sleep_after_revert", "100"])
        .ok();
    None
}

fn newer(lab: &Lab) -> Guard {
    example(lab);
    lab.sql("PRAGMA user_version = 99");
    None
}

/// Another writer holds the database (a `BEGIN IMMEDIATE` never committed).
fn locked(lab: &Lab) -> Guard {
    example(lab);
    let conn = rusqlite::Connection::open(&lab.db).unwrap();
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    Some(conn)
}

#[rustfmt::skip]
const CASES: &[Case] = &[
    Case { setup: example, args: &["vms", "set", "nope", "--status", "off"], code: 2, error: "unknown VM `nope`" },
    Case { setup: example, args: &["vms", "remove", "nope"], code: 2, error: "unknown VM `nope`" },
    Case { setup: example, args: &["vms", "add", "w10", "-c", "qemu:///system", "--domain", "x", "--snapshot", "s", "--no-check"], code: 2, error: "VM `w10` already exists" },
    Case { setup: example, args: &["vms", "add", "bad name", "-c", "qemu:///system", "--domain", "x", "--snapshot", "s"], code: 2, error: "invalid VM name `bad name`" },
    Case { setup: example, args: &["vms", "set", "w10", "--status", "bogus"], code: 2, error: "invalid value 'bogus' for '--status <STATUS>'" },
    Case { setup: example, args: &["vms", "set", "w10", "--status", "running"], code: 2, error: "status `running` cannot be set by hand" },
    Case { setup: example, args: &["vms", "list", "--role", "boss"], code: 2, error: "unknown role `boss`" },
    Case { setup: example, args: &["vms", "add", "x", "-c", "nonsense", "--domain", "x", "--snapshot", "s"], code: 2, error: "malformed URI `nonsense`" },
    Case { setup: example, args: &["vms", "add", "x", "-c", "qemu+ssh://h1", "--domain", "x", "--snapshot", "s"], code: 2, error: "malformed URI `qemu+ssh://h1`: no path" },
    Case { setup: example, args: &["vms", "add", "x", "-c", "qemu://localhost/system", "--domain", "win10", "--snapshot", "s", "--no-check"], code: 2, error: "domain `win10` is already registered as `qemu:///system` (VM `w10`)" },
    Case { setup: example, args: &["vms", "set", "w10"], code: 2, error: "the following required arguments were not provided" },
    Case { setup: example, args: &["vms", "import", "{dir}/malformed.toml"], code: 2, error: "malformed.toml` line 2: invalid table header" },
    Case { setup: example, args: &["vms", "import", "{dir}/unknown.toml"], code: 2, error: "unknown.toml` line 6, field `bogus`: unknown field `bogus`" },
    Case { setup: example, args: &["vms", "import", "{dir}/negative.toml"], code: 2, error: "negative.toml` line 2, field `max_active`: invalid value: integer `-1`" },
    Case { setup: example, args: &["vms", "import", "{dir}/partial.toml"], code: 2, error: "partial.toml` line 8, field `uri`: malformed URI" },
    Case { setup: example, args: &["vms", "import", "--no-check", "{dir}/alias.toml"], code: 2, error: "alias.toml` line 3, field `uri`: domain `win7` is already registered as `qemu:///system`" },
    Case { setup: example, args: &["vms", "import", "{dir}/none.toml"], code: 2, error: "cannot read `" },
    Case { setup: example, args: &["jobs", "submit", "--vm", "w10", "--task-timeout", "9223372036854775807", "--", "true"], code: 2, error: "9223372036854775807 is not in 1..=4294967295" },
    Case { setup: example, args: &["hosts", "set", "localhost", "--max-active", "-1"], code: 2, error: "invalid limit `--max-active -1`: limits are 0 or more" },
    Case { setup: example, args: &["hosts", "set", "root@h1", "--max-active", "1"], code: 2, error: "invalid host key `root@h1`" },
    Case { setup: example, args: &["hosts", "set", "h1"], code: 2, error: "the following required arguments were not provided" },
    Case { setup: example, args: &["hosts", "set", "*", "--paused"], code: 2, error: "`*` cannot be paused" },
    Case { setup: example, args: &["settings", "set", "nope", "1"], code: 2, error: "unknown setting `nope`" },
    Case { setup: example, args: &["settings", "set", "max_errors", "many"], code: 2, error: "invalid value `many` for setting `max_errors`" },
    Case { setup: example, args: &["settings", "set", "revert_timeout", "0"], code: 2, error: "invalid value `0` for setting `revert_timeout`: out of range" },
    Case { setup: example, args: &["settings", "set", "revert_timeout", "86401"], code: 2, error: "invalid value `86401` for setting `revert_timeout`: out of range" },
    Case { setup: example, args: &["settings", "set", "sleep_after_revert", "360"], code: 2, error: "invalid value `360` for setting `sleep_after_revert`: must be below `revert_timeout` (360 s)" },
    Case { setup: settles_100_s, args: &["settings", "set", "revert_timeout", "100"], code: 2, error: "invalid value `100` for setting `revert_timeout`: must be above `sleep_after_revert` (100 s)" },
    Case { setup: nothing, args: &["settings", "set", "sleep_after_revert", "400"], code: 2, error: "must be below `revert_timeout` (360 s)" },
    Case { setup: example, args: &["settings", "set", "max_errors", "0"], code: 2, error: "invalid value `0` for setting `max_errors`: out of range" },
    Case { setup: example, args: &["settings", "set", "max_task_tries", "0"], code: 2, error: "invalid value `0` for setting `max_task_tries`: out of range" },
    Case { setup: example, args: &["settings", "set", "task_margin", "9"], code: 2, error: "invalid value `9` for setting `task_margin`: out of range" },
    Case { setup: example, args: &["settings", "set", "monitor_interval", "0"], code: 2, error: "invalid value `0` for setting `monitor_interval`: out of range" },
    Case { setup: example, args: &["settings", "set", "monitor_interval_errors", "0"], code: 2, error: "invalid value `0` for setting `monitor_interval_errors`: out of range" },
    Case { setup: example, args: &["history", "--since", "yesterday"], code: 2, error: "invalid --since `yesterday`" },
    Case { setup: nothing, args: &["vms", "list"], code: 2, error: "no database at `" },
    Case { setup: newer, args: &["vms", "list"], code: 2, error: "has schema version 99, newer than this vmsched knows" },
    Case { setup: example, args: &["--db", "{dir}", "vms", "list"], code: 1, error: "cannot open database `" },
    Case { setup: example, args: &["--db", "/proc/vmsched.db", "vms", "add", "x", "-c", "qemu:///system", "--domain", "x", "--snapshot", "s", "--no-check"], code: 1, error: "cannot create database `/proc/vmsched.db`" },
    Case { setup: locked, args: ADD_X, code: 1, error: "database is busy: another vmsched held it longer than 300ms" },
    Case { setup: w10_idle, args: &["vms", "set", "w10_fr", "--status", "dirty"], code: 3, error: "VM `w10` of domain `win10` is `idle`" },
    Case { setup: win7_has_work, args: &["vms", "remove", "win7"], code: 3, error: "VM `win7` has work: 1 queued and 0 running tasks" },
];

#[test]
fn bad_input_is_refused_with_one_line_and_no_change() {
    for case in CASES {
        let lab = Lab::new();
        let guard = (case.setup)(&lab);
        let dir = lab.path().to_str().unwrap().to_string();
        let args: Vec<String> = case.args.iter().map(|a| a.replace("{dir}", &dir)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let before = lab.dump();
        let mut cmd = lab.cmd(&args);
        let run = Run::from(cmd.env("VMSCHED_BUSY_TIMEOUT_MS", "300").output().unwrap());
        assert_eq!(run.code, case.code, "{args:?}: {}", run.stderr);
        let error = run.one_line_error();
        assert!(error.contains(case.error), "{args:?}: {error}");
        drop(guard);
        assert_eq!(lab.dump(), before, "{args:?} changed the database");
    }
}
