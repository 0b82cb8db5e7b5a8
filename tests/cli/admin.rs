//! CLI tests of `hosts`, `settings` and `history`, in table and JSON form.

use crate::inventory::{cells, table};
use crate::support::{me, me_in, texts, Lab};
use serde_json::{json, Value};

/// The entry of `host` in `hosts list --format json`.
fn host(lab: &Lab, host: &str) -> Value {
    let hosts = lab.run(&["hosts", "list", "--format", "json"]).ok().json();
    let found = hosts.as_array().unwrap().iter().find(|h| h["host"] == host);
    found.cloned().unwrap_or(Value::Null)
}

#[test]
fn hosts_list_says_where_each_limit_comes_from() {
    let lab = Lab::example();
    let args = [
        "hosts",
        "set",
        "localhost",
        "--max-running",
        "0",
        "--max-vms-when-idle",
        "9",
        "--paused",
        "--reason",
        "drain",
    ];
    assert_eq!(
        lab.run(&args).ok().stderr,
        "host `localhost`: max_active=3, max_running=0, max_vms_when_idle=9, paused\n"
    );
    let run = lab
        .run(&["hosts", "set", "H2:22", "--max-active", "0"])
        .ok();
    assert!(
        run.stderr
            .starts_with("warning: no VM uses host `h2:22` yet\n"),
        "{}",
        run.stderr
    );
    let header = "Host VMs Paused Active Running Reverting Queued max_active max_running \
                  max_reverting max_reverts_while_running max_vms_when_idle";
    let lines = table(&lab, &["hosts", "list"], header);
    assert_eq!(lines.len(), 5);
    assert_eq!(
        cells(&lines[2]),
        [
            "*",
            "6",
            "no",
            "0",
            "0",
            "0",
            "0",
            "2",
            "(global)",
            "1",
            "(global)",
            "1",
            "(global)",
            "0",
            "(default)",
            "2",
            "(default)"
        ]
    );
    assert_eq!(
        cells(&lines[3])[..9],
        ["h2:22", "0", "no", "0", "0", "0", "0", "0→1", "(host,"]
    );
    assert!(lines[4].contains("0→3 (host, normalised)"), "{}", lines[4]);
    assert!(lines[4].contains("9→3 (host, normalised)"), "{}", lines[4]);
    let localhost = host(&lab, "localhost");
    assert_eq!(
        (&localhost["vms"], &localhost["paused"]),
        (&json!(6), &json!(true))
    );
    assert_eq!(
        localhost["limits"]["max_running"],
        json!({"value": 3, "set": 0, "source": "host", "normalised": true})
    );
    assert_eq!(
        localhost["limits"]["max_reverting"],
        json!({"value": 1, "set": 1, "source": "global", "normalised": false})
    );
    assert_eq!(
        localhost["limits"]["max_reverts_while_running"],
        json!({"value": 0, "set": null, "source": "default", "normalised": false})
    );
    let history = lab.run(&["history", "--format", "json"]).ok().json();
    let set = &history[history.as_array().unwrap().len() - 2];
    assert_eq!(
        (&set["vm"], &set["host"], &set["reason"]),
        (&Value::Null, &json!("localhost"), &json!("drain"))
    );
    assert_eq!(set["detail"], format!("limits of localhost: max_active=3, max_running=0, max_vms_when_idle=9, paused by {}: drain", me()));
    lab.run(&["hosts", "set", "localhost", "--resume"]).ok();
    assert_eq!(host(&lab, "localhost")["paused"], false);
    lab.run(&["hosts", "set", "localhost", "--reset"]).ok();
    assert_eq!(
        host(&lab, "localhost")["limits"]["max_active"]["source"],
        "global"
    );
    assert_eq!(lab.rows("SELECT host FROM hosts"), ["*", "h2:22"]);
}

#[test]
fn settings_list_and_set() {
    let lab = Lab::new();
    let run = lab
        .run(&[
            "settings",
            "set",
            "max_errors",
            "5",
            "--reason",
            "flaky hosts",
        ])
        .ok();
    assert_eq!(run.stderr, "max_errors = 5 failures (was 3)\n");
    let lines = table(
        &lab,
        &["settings", "list"],
        "Key Value Default Unit Meaning",
    );
    assert_eq!(cells(&lines[2])[..4], ["max_errors", "5", "3", "failures"]);
    assert_eq!(lines.len(), 14);
    let json = lab
        .run(&["settings", "list", "--format", "json"])
        .ok()
        .json();
    assert_eq!(
        texts(&json, "key"),
        [
            "max_errors",
            "max_task_tries",
            "revert_timeout",
            "sleep_after_revert",
            "task_margin",
            "monitor_interval",
            "monitor_interval_errors",
            "lock_timeout",
            "silence_alert",
            "retention",
            "event_passes",
            "allow_ext_uris"
        ]
    );
    assert_eq!(
        json[10],
        json!({"key": "event_passes", "value": true, "default": true, "unit": "", "meaning": "start a pass after every change that may let work proceed"})
    );
    assert_eq!(
        json[2],
        json!({"key": "revert_timeout", "value": 360, "default": 360, "unit": "s", "meaning": "time allowed for a revert or a power-off"})
    );
    assert_eq!(json[0]["value"], 5);
    let history = lab.run(&["history", "--format", "json"]).ok().json();
    assert_eq!(
        history[0]["detail"],
        me_in("max_errors 3→5 by {me}: flaky hosts")
    );
    // A flag is written and shown as a word.
    let run = lab.run(&["settings", "set", "event_passes", "false"]).ok();
    assert_eq!(run.stderr, "event_passes = false (was true)\n");
    let error = lab
        .run(&["settings", "set", "event_passes", "0"])
        .code(2)
        .one_line_error();
    assert!(error.contains("expected `true` or `false`"), "{error}");
    // A setting in seconds takes a duration, stored and shown in seconds.
    let run = lab.run(&["settings", "set", "retention", "30d"]).ok();
    assert_eq!(run.stderr, "retention = 2592000 s (was 7776000)\n");
    let run = lab.run(&["settings", "set", "revert_timeout", "10m"]).ok();
    assert_eq!(run.stderr, "revert_timeout = 600 s (was 360)\n");
    let error = lab
        .run(&["settings", "set", "retention", "3w"])
        .code(2)
        .one_line_error();
    assert!(
        error.contains("invalid value `3w` for setting `retention`: expected seconds or <n>[smhd]"),
        "{error}"
    );
}

#[test]
fn a_setting_out_of_range_is_refused_with_its_range() {
    let lab = Lab::example();
    for (key, value, hint) in [
        (
            "revert_timeout",
            "0",
            "hint: `revert_timeout` is 10 to 86400 s",
        ),
        (
            "task_margin",
            "many",
            "hint: `task_margin` is at least 10 s",
        ),
        (
            "sleep_after_revert",
            "400",
            "hint: raise `revert_timeout` first",
        ),
    ] {
        let run = lab.refused(&["settings", "set", key, value], 2);
        run.one_line_error();
        assert_eq!(run.stderr.lines().nth(1), Some(hint), "{}", run.stderr);
    }
    lab.run(&["settings", "set", "revert_timeout", "600"]).ok();
    lab.run(&["settings", "set", "sleep_after_revert", "400"])
        .ok();
    let run = lab.refused(&["settings", "set", "revert_timeout", "400"], 2);
    assert_eq!(
        run.stderr.lines().nth(1),
        Some("hint: lower `sleep_after_revert` first")
    );
}

#[test]
fn history_filters_by_vm_time_and_count() {
    let lab = Lab::example();
    lab.run(&["vms", "set", "w10", "--status", "idle", "--force"])
        .ok();
    lab.sql("UPDATE history SET time = '2000-01-01T00:00:00Z' WHERE id <= 2");
    let details = |args: &[&str]| {
        let args = [&["history", "--format", "json"], args].concat();
        texts(&lab.run(&args).ok().json(), "detail")
    };
    assert_eq!(details(&[]).len(), 9);
    assert_eq!(details(&["--since", "1h"]).len(), 7);
    assert_eq!(details(&["--since", "2000-01-01T01:00:00+01:00"]).len(), 9);
    assert_eq!(
        details(&["--vm", "w10"]),
        ["added", &me_in("idle, forced by {me}")]
    );
    assert_eq!(
        details(&["--vm", "w10", "--limit", "1"]),
        [me_in("idle, forced by {me}")]
    );
    let args = ["history", "--limit", "3", "--since", "2000-01-01T00:00:00Z"];
    let lines = table(&lab, &args, "Time VM Host Old New Detail User Reason");
    let last = cells(&lines[4]);
    assert_eq!(
        last[2..],
        [
            "w10",
            "localhost",
            "off",
            "idle",
            "idle,",
            "forced",
            "by",
            &me(),
            &me(),
            "-"
        ]
    );
    let old = lab.run(&["history", "--limit", "9"]).ok().stdout;
    assert!(
        old.lines()
            .nth(2)
            .unwrap()
            .trim_start()
            .starts_with("2000-01-01 00:00:00   w10 "),
        "{old}"
    );
}

/// Tables fit a terminal's width (here a pseudo-terminal of `COLUMNS=90`), wrapping long cells
/// at spaces; on a pipe their lines stay whole.
#[test]
fn tables_fit_a_terminal_and_stay_whole_on_a_pipe() {
    let lab = Lab::new();
    lab.run(crate::support::ADD_X).ok();
    let reason = "a long reason that says why, in many short words, for the history";
    lab.run(&["settings", "set", "max_errors", "4", "--reason", reason])
        .ok();
    let piped = lab.run(&["history"]).ok().stdout;
    assert!(
        piped.lines().any(|l| l.contains(reason) && l.len() > 90),
        "{piped}"
    );

    let command = format!(
        "{} history",
        assert_cmd::cargo::cargo_bin("vmsched").display()
    );
    let run = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("VMSCHED_DB", &lab.db)
        .env("VMSCHED_EVENT_PASSES", "0")
        .env("COLUMNS", "90")
        .env("TZ", "UTC")
        .output()
        .expect("run script");
    let shown = String::from_utf8_lossy(&run.stdout).replace('\r', "");
    assert!(
        shown.contains("Detail") && shown.contains("many short"),
        "{shown}"
    );
    let widest = shown.lines().map(|l| l.trim_end().chars().count()).max();
    assert!(widest <= Some(90), "wider than the terminal:\n{shown}");
}
