//! The history as typed events: what the pass, the workers and admins record, by kind, with
//! the structured fields that stats read.

use crate::support::{lab_uri, Lab};
use std::time::Duration;

/// Two instances of one domain (`win10` of the test-driver lab), each given one task: both
/// revert, run and hand the domain over, and every step is a row of its kind.
#[test]
fn a_lab_at_work_records_typed_events() {
    let lab = Lab::new();
    let uri = lab_uri();
    for (vm, snapshot) in [("w10", "wtb"), ("w10_fr", "wtb-fr")] {
        let add = ["vms", "add", vm, "-c", &uri, "--domain", "win10"];
        lab.run(&[&add[..], &["--snapshot", snapshot]].concat())
            .ok();
        lab.run(&["jobs", "submit", "--vm", vm, "--", "true"]).ok();
    }
    lab.drive(&["--wait"], Duration::from_secs(60));
    let rows = |sql: &str| lab.rows(sql);
    // One start and one completed attempt per task, with its key; the attempt's run time.
    assert_eq!(
        rows("SELECT vm, job, step, task FROM history WHERE kind = 'start' ORDER BY id"),
        ["w10|1|1|1", "w10_fr|2|1|1"]
    );
    assert_eq!(
        rows(
            "SELECT vm, job, step, task, result, old_status, new_status, duration_ms >= 0
             FROM history WHERE kind = 'task' ORDER BY id"
        ),
        [
            "w10|1|1|1|completed|running|dirty|1",
            "w10_fr|2|1|1|completed|running|dirty|1"
        ]
    );
    // Each revert ended well and says how long it took.
    assert_eq!(
        rows(
            "SELECT vm, result, new_status, duration_ms >= 0 FROM history
             WHERE kind = 'revert' ORDER BY id"
        ),
        ["w10|ok|idle|1", "w10_fr|ok|idle|1"]
    );
    // w10 gave the domain up to w10_fr, by a steal or a sacrifice, and says for whom.
    assert_eq!(
        rows("SELECT vm, for_vm FROM history WHERE kind IN ('steal', 'sacrifice')"),
        ["w10|w10_fr"]
    );
    // Counters with their numbers; the admin's additions and submissions.
    assert_eq!(
        rows("SELECT runnable, queued, blocked FROM history WHERE kind = 'counters' ORDER BY id LIMIT 1"),
        ["2|2|0"]
    );
    assert_eq!(
        rows("SELECT vm, detail FROM history WHERE kind = 'admin' ORDER BY id"),
        ["w10|added", "w10_fr|added"]
    );
    // Every row with a kind that names a VM's status change has both statuses.
    assert_eq!(
        rows(
            "SELECT count(*) FROM history WHERE kind IN ('start', 'revert', 'steal', 'sacrifice')
             AND (old_status IS NULL OR new_status IS NULL)"
        ),
        ["0"]
    );
}

/// A lab whose history holds `n` rows, one a minute from 2024-01-01, alternately of VMs `a`
/// and `bb` (row i says `row i`).
fn long_history(n: usize) -> Lab {
    let lab = Lab::new();
    lab.run(&["settings", "set", "max_errors", "3"]).ok();
    lab.sql(&format!(
        "DELETE FROM history;
         WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < {n})
         INSERT INTO history (id, time, vm, kind, detail, user, new_status)
         SELECT n, strftime('%Y-%m-%dT%H:%M:%SZ', '2024-01-01', '+' || n || ' minutes'),
                CASE n % 2 WHEN 1 THEN 'a' ELSE 'bb' END, 'status', 'row ' || n, 'tester', 'off'
         FROM i;"
    ));
    lab
}

/// The `detail` of each row `history ARGS` prints in JSON.
fn details(lab: &Lab, args: &[&str]) -> Vec<String> {
    let run = lab
        .run(&[&["--format", "json", "history"], args].concat())
        .ok();
    let rows = run.json();
    let rows = rows.as_array().expect("a JSON array");
    rows.iter()
        .map(|r| r["detail"].as_str().unwrap().to_string())
        .collect()
}

fn rows(range: std::ops::RangeInclusive<usize>) -> Vec<String> {
    range.map(|i| format!("row {i}")).collect()
}

#[test]
fn history_shows_the_newest_fifty_oldest_first() {
    let lab = long_history(1200);
    assert_eq!(details(&lab, &[]), rows(1151..=1200));
    assert_eq!(details(&lab, &["--limit", "3"]), rows(1198..=1200));
    assert_eq!(details(&lab, &["--all"]), rows(1..=1200));
    assert_eq!(details(&lab, &["--limit", "0"]), Vec::<String>::new());
    // One VM's newest, and a time: rows 1195 to 1200 are from 19:55 on.
    let a: Vec<String> = (1191..=1200)
        .step_by(2)
        .map(|i| format!("row {i}"))
        .collect();
    assert_eq!(details(&lab, &["--vm", "a", "--limit", "5"]), a);
    let since = ["--since", "2024-01-01T19:55:00Z"];
    assert_eq!(details(&lab, &since), rows(1195..=1200));
    assert_eq!(
        details(&lab, &[&since[..], &["--limit", "2"]].concat()),
        rows(1199..=1200)
    );
    assert_eq!(details(&lab, &["--since", "1d"]), Vec::<String>::new());
    assert_eq!(details(&lab, &["--vm", "nobody"]), Vec::<String>::new());
    lab.run(&["history", "--all", "--limit", "3"]).code(2);
    // A table of more rows than one aligned chunk: one header, every row's columns where the
    // header's are.
    let table = lab.run(&["history", "--all"]).ok().stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 1202);
    assert_eq!(
        lines
            .iter()
            .filter(|l| l.trim_start().starts_with("Time"))
            .count(),
        1
    );
    let detail = lines[0].find("Detail").unwrap();
    for line in &lines[2..] {
        assert!(line[detail..].starts_with("row "), "{line}");
    }
}

/// `history --all` on 200,000 rows stays within the memory goal of the default listing at 1M
/// rows (50 MB): rows are written as they are read (collected first, 200,000 rows and their
/// JSON text would take well over that). Peak RSS from `/usr/bin/time` (skipped where it is
/// missing).
#[test]
fn history_streams_within_its_memory_goal() {
    let time = std::path::Path::new("/usr/bin/time");
    if !time.exists() {
        eprintln!("SKIP history_streams_within_its_memory_goal: no /usr/bin/time");
        return;
    }
    let lab = long_history(200_000);
    for args in [&["history"][..], &["--format", "json", "history", "--all"]] {
        let out = lab.path().join("rss");
        let mut cmd = std::process::Command::new(time);
        cmd.arg("-f").arg("%M").arg("-o").arg(&out);
        let vmsched = lab.std_cmd(args);
        cmd.arg(vmsched.get_program()).args(vmsched.get_args());
        cmd.envs(vmsched.get_envs().filter_map(|(k, v)| Some((k, v?))));
        cmd.current_dir(lab.path())
            .stdout(std::process::Stdio::null());
        assert!(cmd.status().unwrap().success(), "{args:?}");
        let kb: u64 = std::fs::read_to_string(&out)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(kb < 50 * 1024, "{args:?}: peak RSS {kb} kB");
    }
}
