//! `vmsched stats` on a lab at work, and the silence alert of cron's passes.

use crate::support::{lab_uri, Lab};
use serde_json::Value;
use std::time::Duration;

/// Two instances of the test-driver domain `win10`: `w10` completes a task, `w10_fr` fails
/// two; they take the domain from each other.
fn lab_at_work() -> Lab {
    let lab = Lab::new();
    let uri = lab_uri();
    for (vm, snapshot) in [("w10", "wtb"), ("w10_fr", "wtb-fr")] {
        let add = ["vms", "add", vm, "-c", &uri, "--domain", "win10"];
        lab.run(&[&add[..], &["--snapshot", snapshot]].concat())
            .ok();
    }
    lab.run(&["jobs", "submit", "--vm", "w10", "--", "true"])
        .ok();
    lab.run(&["jobs", "submit", "--vm", "w10_fr", "--", "false"])
        .ok();
    lab.drive(&["--wait"], Duration::from_secs(60));
    lab.run(&["jobs", "submit", "--vm", "w10_fr", "--", "false"])
        .ok();
    lab.drive(&["--wait"], Duration::from_secs(60));
    lab
}

/// The entry of `list` whose `field` is `name`.
fn entry<'a>(list: &'a Value, field: &str, name: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e[field] == name)
        .unwrap_or_else(|| panic!("no {field} {name} in {list}"))
}

/// The nearest-rank percentile of the revert durations the history records for `vm`.
fn revert_percentile(lab: &Lab, vm: &str, p: usize) -> i64 {
    let sql = format!(
        "SELECT duration_ms FROM history WHERE kind = 'revert' AND vm = '{vm}' ORDER BY duration_ms"
    );
    let all: Vec<i64> = lab.rows(&sql).iter().map(|d| d.parse().unwrap()).collect();
    all[(all.len() * p).div_ceil(100) - 1]
}

#[test]
fn stats_count_what_each_vm_and_host_did() {
    let lab = lab_at_work();
    let stats = lab.run(&["stats", "--format", "json"]).ok().json();
    let (w10, fr) = (
        entry(&stats["vms"], "vm", "w10"),
        entry(&stats["vms"], "vm", "w10_fr"),
    );
    // Tasks by result, and the error streak of the VM whose every task failed.
    assert_eq!(w10["tasks"]["completed"], 1);
    assert_eq!(w10["tasks"]["failed"], 0);
    assert_eq!(fr["tasks"]["failed"], 2);
    assert_eq!(fr["tasks"]["completed"], 0);
    assert_eq!(
        w10["error_streak"],
        serde_json::json!({"current": 0, "longest": 0})
    );
    assert_eq!(
        fr["error_streak"],
        serde_json::json!({"current": 2, "longest": 2})
    );
    // The last completed task, with its key and time; none for w10_fr.
    let completed = lab.rows(
        "SELECT time FROM history WHERE kind = 'task' AND result = 'completed' AND vm = 'w10'",
    );
    assert_eq!(w10["last_completed"]["time"], completed[0]);
    assert_eq!(
        (
            &w10["last_completed"]["job"],
            &w10["last_completed"]["task"]
        ),
        (&serde_json::json!(1), &serde_json::json!(1))
    );
    assert!(fr["last_completed"].is_null());
    // Reverts: as many as the history records, with their median and p95.
    for (vm, stats) in [("w10", w10), ("w10_fr", fr)] {
        let count = lab.rows(&format!(
            "SELECT count(*) FROM history WHERE kind = 'revert' AND vm = '{vm}'"
        ));
        assert_eq!(stats["reverts"]["count"].to_string(), count[0], "{vm}");
        assert_eq!(stats["reverts"]["failed"], 0, "{vm}");
        assert_eq!(
            stats["reverts"]["median_ms"],
            revert_percentile(&lab, vm, 50)
        );
        assert_eq!(stats["reverts"]["p95_ms"], revert_percentile(&lab, vm, 95));
    }
    // The domain changed hands: what one lost, the other won.
    let handed = |v: &Value| {
        v["steals"]["lost"].as_u64().unwrap() + v["sacrifices"]["lost"].as_u64().unwrap()
    };
    let taken =
        |v: &Value| v["steals"]["won"].as_u64().unwrap() + v["sacrifices"]["won"].as_u64().unwrap();
    assert!(handed(w10) + handed(fr) >= 1);
    assert_eq!(handed(w10), taken(fr));
    assert_eq!(handed(fr), taken(w10));
    // The VMs were added within the period: their time in each status adds up to their age.
    let age = |vm: &str| {
        let added = lab.rows(&format!(
            "SELECT unixepoch('{}') - unixepoch(time) FROM history WHERE vm = '{vm}' ORDER BY id LIMIT 1",
            stats["until"].as_str().unwrap()
        ));
        added[0].parse::<u64>().unwrap()
    };
    for (vm, stats) in [("w10", w10), ("w10_fr", fr)] {
        let times = stats["time_in_status"].as_object().unwrap();
        assert_eq!(times.len(), 8, "every status is listed");
        let total: u64 = times.values().map(|t| t.as_u64().unwrap()).sum();
        assert_eq!(total, age(vm), "{vm}: {times:?}");
    }
    // The host adds its VMs up; streaks are its worst VM's.
    let host = entry(&stats["hosts"], "host", "localhost");
    assert_eq!(host["vms"], 2);
    assert_eq!(host["tasks"]["completed"], 1);
    assert_eq!(host["tasks"]["failed"], 2);
    assert_eq!(
        host["reverts"]["count"].as_u64().unwrap(),
        w10["reverts"]["count"].as_u64().unwrap() + fr["reverts"]["count"].as_u64().unwrap()
    );
    assert_eq!(host["error_streak"]["longest"], 2);
    assert_eq!(host["last_completed"], w10["last_completed"]);
    assert_eq!(taken(host), handed(host));

    // The table says the same for people.
    let table = lab.run(&["stats"]).ok().stdout;
    let line = table
        .lines()
        .find(|l| l.trim_start().starts_with("w10_fr"))
        .unwrap();
    assert!(
        line.contains("failed 2") && line.contains(" 2/2 "),
        "{line}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.trim_start().starts_with("localhost")),
        "{table}"
    );
}

#[test]
fn stats_select_a_vm_a_host_and_a_period() {
    let lab = lab_at_work();
    let json = |args: &[&str]| {
        lab.run(&[&["stats", "--format", "json"], args].concat())
            .ok()
            .json()
    };
    let vms = |stats: &Value| crate::support::texts(&stats["vms"], "vm");
    // --vm: that VM only, with what was won for it by the other.
    let fr = json(&["--vm", "w10_fr"]);
    assert_eq!(vms(&fr), ["w10_fr"]);
    let all = json(&[]);
    let mut full = entry(&all["vms"], "vm", "w10_fr").clone();
    let mut alone = fr["vms"][0].clone();
    // (Times in status end at each run's own time.)
    for stats in [&mut full, &mut alone] {
        stats.as_object_mut().unwrap().remove("time_in_status");
    }
    assert_eq!(alone, full);
    assert_eq!(fr["hosts"][0]["vms"], 1);
    // --host: its VMs; another host has none.
    assert_eq!(vms(&json(&["--host", "localhost"])), ["w10", "w10_fr"]);
    let none = json(&["--host", "h1"]);
    assert_eq!(
        (vms(&none).len(), none["hosts"].as_array().unwrap().len()),
        (0, 0)
    );
    // A period that starts after the work: nothing done in it, the last completion still
    // known, each VM in its status all along.
    // (A period starts at a whole second: `--since 2s` is more than one second long.)
    std::thread::sleep(Duration::from_millis(2100));
    let later = json(&["--since", "2s"]);
    let w10 = entry(&later["vms"], "vm", "w10");
    assert_eq!(w10["tasks"]["completed"], 0);
    assert_eq!(w10["reverts"]["count"], 0);
    assert!(w10["reverts"]["median_ms"].is_null());
    assert_eq!(
        w10["last_completed"],
        entry(&all["vms"], "vm", "w10")["last_completed"]
    );
    let status = lab.rows("SELECT status FROM vms WHERE name = 'w10'");
    assert!(
        w10["time_in_status"][&status[0]].as_u64().unwrap() >= 1,
        "{w10}"
    );
    // Bad input: one line, exit 2.
    for args in [
        &["stats", "--since", "2w"][..],
        &["stats", "--vm", "no/such"],
        &["stats", "--host", "H1"],
    ] {
        let run = lab.refused(args, 2);
        run.one_line_error();
    }
}

/// A VM with queued work that completes nothing for `silence_alert` gets one line from
/// cron's pass, once, and again once it has completed a task and gone silent again.
#[test]
fn a_silent_vm_is_reported_once_until_it_completes_a_task() {
    let lab = Lab::new();
    let uri = lab_uri();
    let add = [
        "vms",
        "add",
        "w10",
        "-c",
        &uri,
        "--domain",
        "win10",
        "--snapshot",
        "wtb",
    ];
    lab.run(&add).ok();
    lab.run(&["settings", "set", "silence_alert", "2s"]).ok();
    let silent_round = |expect_line: bool| {
        lab.run(&["hosts", "set", "localhost", "--paused"]).ok();
        lab.run(&["jobs", "submit", "--vm", "w10", "--", "true"])
            .ok();
        std::thread::sleep(Duration::from_secs(3));
        let pass = lab.run(&["schedule-once"]).ok();
        let lines: Vec<&str> = pass.stderr.lines().collect();
        if expect_line {
            assert_eq!(lines.len(), 1, "{}", pass.stderr);
            assert!(
                lines[0].starts_with("warning: w10: silent: no task completed for 2s"),
                "{}",
                lines[0]
            );
        } else {
            assert!(lines.is_empty(), "{}", pass.stderr);
        }
        // Once only.
        lab.pass(&[]);
        std::thread::sleep(Duration::from_millis(500));
        lab.pass(&[]);
        lab.run(&["hosts", "set", "localhost", "--resume"]).ok();
        lab.drive(&["--wait"], Duration::from_secs(60));
    };
    // Never completed anything: reported as never.
    silent_round(true);
    let silences = "SELECT detail FROM history WHERE kind = 'silence' ORDER BY id";
    assert!(lab.rows(silences)[0].ends_with("(never)"));
    // It completed a task since: silent again, reported again.
    silent_round(true);
    assert_eq!(lab.rows(silences).len(), 2);
    assert!(
        lab.rows(silences)[1].contains("(last 20"),
        "{:?}",
        lab.rows(silences)
    );
    // 0 turns it off.
    lab.run(&["settings", "set", "silence_alert", "0"]).ok();
    silent_round(false);
    assert_eq!(lab.rows(silences).len(), 2);
}

#[test]
fn silence_alert_takes_seconds_or_a_duration() {
    let lab = Lab::new();
    let value = |lab: &Lab| {
        let list = lab
            .run(&["settings", "list", "--format", "json"])
            .ok()
            .json();
        entry(&list, "key", "silence_alert")["value"].clone()
    };
    lab.run(&["settings", "set", "silence_alert", "3d"]).ok();
    assert_eq!(value(&lab), 259_200);
    lab.run(&["settings", "set", "silence_alert", "90"]).ok();
    assert_eq!(value(&lab), 90);
    lab.run(&["settings", "set", "revert_timeout", "5m"]).ok();
    for bad in ["3w", "1x", "1.5h", "99999999d", "d"] {
        let run = lab.refused(&["settings", "set", "silence_alert", bad], 2);
        assert!(
            run.one_line_error()
                .contains("expected seconds or <n>[smhd]"),
            "{bad}"
        );
    }
}
