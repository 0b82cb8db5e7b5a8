//! `vmsched metrics`: Prometheus's text format, read back by a Prometheus text-format parser,
//! and the atomic write of `--textfile`.

use crate::support::{lab_uri, Lab};
use prometheus_parse::{LineInfo, Scrape, Value};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

/// Parses an exposition; every line must be one the format knows (the parser skips others).
fn parse(text: &str) -> Scrape {
    for line in text.lines() {
        assert!(
            !matches!(LineInfo::parse(line), LineInfo::Ignored),
            "not a line of the text format: {line:?}"
        );
    }
    assert!(text.ends_with('\n'));
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).expect("parse metrics")
}

/// The value of the one sample of `metric` with `labels`.
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<f64> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            Value::Gauge(v) | Value::Untyped(v) | Value::Counter(v) => v,
            _ => panic!("{metric} is not a plain value"),
        })
        .collect();
    assert_eq!(found.len(), 1, "{metric} {labels:?}: {found:?}");
    found[0]
}

#[test]
fn metrics_parse_and_say_what_the_lab_holds() {
    let lab = Lab::new();
    let uri = lab_uri();
    for (vm, snapshot) in [("w10", "wtb"), ("w10_fr", "wtb-fr")] {
        let add = ["vms", "add", vm, "-c", &uri, "--domain", "win10"];
        lab.run(&[&add[..], &["--snapshot", snapshot]].concat())
            .ok();
    }
    lab.run(&[
        "vms",
        "add",
        "w7",
        "--no-check",
        "-c",
        "qemu+ssh://h1/system",
        "--domain",
        "w7",
        "--snapshot",
        "s",
    ])
    .ok();
    lab.run(&["vms", "set", "w7", "--status", "maintenance"])
        .ok();
    // Before any pass: no pass metrics, no success, an empty histogram.
    let scrape = parse(&lab.run(&["metrics"]).ok().stdout);
    assert!(!scrape.samples.iter().any(|s| s.metric.contains("pass")));
    assert_eq!(
        value(&scrape, "vmsched_revert_duration_seconds_count", &[]),
        0.0
    );

    let before = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    lab.run(&["jobs", "submit", "--vm", "w10", "--", "true"])
        .ok();
    lab.drive(&["--wait"], Duration::from_secs(60));
    // Work that waits: a task for the VM in maintenance (blocked).
    lab.run(&["jobs", "submit", "--vm", "w7", "--", "true"])
        .ok();
    // `--wait`: what this pass starts (a revert of the dirty w10) has ended before the lab is
    // read twice below, by `metrics` and by `vms list`.
    lab.pass(&["--wait"]);
    let after = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    let text = lab.run(&["metrics"]).ok().stdout;
    let scrape = parse(&text);

    // Every family has its HELP and TYPE lines.
    for name in [
        "vmsched_vms",
        "vmsched_tasks",
        "vmsched_last_pass_timestamp_seconds",
        "vmsched_pass_duration_seconds",
        "vmsched_revert_duration_seconds",
        "vmsched_vm_last_success_timestamp_seconds",
    ] {
        assert!(scrape.docs.contains_key(name), "no HELP for {name}");
        assert!(
            text.contains(&format!("# TYPE {name} ")),
            "no TYPE for {name}"
        );
    }
    // VMs by host and status, each status listed (0 included), as `vms list` says.
    let vms = lab.run(&["vms", "list", "--format", "json"]).ok().json();
    for vm in vms.as_array().unwrap() {
        let host = if vm["name"] == "w7" {
            "h1"
        } else {
            "localhost"
        };
        let status = vm["status"].as_str().unwrap();
        let same = vms
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| v["status"] == status && (v["name"] == "w7") == (vm["name"] == "w7"));
        let expected = same.count() as f64;
        assert_eq!(
            value(
                &scrape,
                "vmsched_vms",
                &[("host", host), ("status", status)]
            ),
            expected
        );
    }
    let h1: f64 = ["off", "idle", "running", "maintenance"]
        .iter()
        .map(|s| value(&scrape, "vmsched_vms", &[("host", "h1"), ("status", s)]))
        .sum();
    assert_eq!(h1, 1.0);
    // Tasks: the last pass's counters, and none running.
    let counters = lab.rows(
        "SELECT runnable, queued, blocked FROM history WHERE kind = 'counters' ORDER BY id DESC LIMIT 1",
    );
    let counters: Vec<f64> = counters[0].split('|').map(|n| n.parse().unwrap()).collect();
    for (status, n) in ["runnable", "queued", "blocked"].iter().zip(&counters) {
        assert_eq!(
            value(&scrape, "vmsched_tasks", &[("status", status)]),
            *n,
            "{status}"
        );
    }
    assert_eq!(
        value(&scrape, "vmsched_tasks", &[("status", "blocked")]),
        1.0
    );
    assert_eq!(
        value(&scrape, "vmsched_tasks", &[("status", "running")]),
        0.0
    );
    // The last pass: started during the test, took a moment.
    let started = value(&scrape, "vmsched_last_pass_timestamp_seconds", &[]);
    assert!(
        before <= started && started <= after,
        "{before} {started} {after}"
    );
    let took = value(&scrape, "vmsched_pass_duration_seconds", &[]);
    assert!((0.0..10.0).contains(&took), "{took}");
    // The reverts' histogram: cumulative buckets ending at +Inf = count, the sum of the
    // history's durations.
    let durations: Vec<f64> = lab
        .rows("SELECT duration_ms FROM history WHERE kind = 'revert' AND duration_ms IS NOT NULL")
        .iter()
        .map(|d| d.parse::<f64>().unwrap() / 1000.0)
        .collect();
    assert!(!durations.is_empty());
    let histogram = scrape
        .samples
        .iter()
        .find(|s| s.metric == "vmsched_revert_duration_seconds")
        .expect("histogram");
    let Value::Histogram(buckets) = &histogram.value else {
        panic!("not a histogram: {histogram:?}");
    };
    assert!(buckets
        .windows(2)
        .all(|w| w[0].less_than < w[1].less_than && w[0].count <= w[1].count));
    for bucket in buckets {
        let below = durations.iter().filter(|d| **d <= bucket.less_than).count();
        assert_eq!(bucket.count, below as f64, "le {}", bucket.less_than);
    }
    assert_eq!(buckets.last().unwrap().less_than, f64::INFINITY);
    let count = value(&scrape, "vmsched_revert_duration_seconds_count", &[]);
    assert_eq!(count, durations.len() as f64);
    let sum = value(&scrape, "vmsched_revert_duration_seconds_sum", &[]);
    assert!((sum - durations.iter().sum::<f64>()).abs() < 1e-6, "{sum}");
    // Last success: w10's completed task; none for the others.
    let done = lab
        .rows("SELECT unixepoch(time) FROM history WHERE kind = 'task' AND result = 'completed'");
    let w10 = value(
        &scrape,
        "vmsched_vm_last_success_timestamp_seconds",
        &[("vm", "w10")],
    );
    assert_eq!(w10, done[0].parse::<f64>().unwrap());
    let successes = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "vmsched_vm_last_success_timestamp_seconds");
    assert_eq!(successes.count(), 1);
}

#[test]
fn textfile_is_written_atomically_and_never_through_a_link() {
    let lab = Lab::new();
    let add = [
        "vms",
        "add",
        "w7",
        "--no-check",
        "-c",
        "qemu:///system",
        "--domain",
        "w7",
    ];
    lab.run(&[&add[..], &["--snapshot", "s"]].concat()).ok();
    let folder = lab.path().join("textfile");
    std::fs::create_dir(&folder).unwrap();
    let path = folder.join("vmsched.prom");
    let textfile = path.to_str().unwrap();
    // A link planted at the temporary file's name, to a file that must stay as it is.
    let victim = lab.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    std::os::unix::fs::symlink(&victim, folder.join(".vmsched.prom.tmp")).unwrap();

    let run = lab.run(&["metrics", "--textfile", textfile]).ok();
    assert!(
        run.stdout.is_empty() && run.stderr.is_empty(),
        "{}{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written, lab.run(&["metrics"]).ok().stdout);
    parse(&written);
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert!(meta.file_type().is_file());
    assert_eq!(meta.permissions().mode() & 0o777 & !0o022, 0o644 & !0o022);
    let names: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["vmsched.prom"], "no temporary file left");

    // A reader never sees a part: every read while writers replace it is a whole exposition.
    let reader = {
        let path = path.clone();
        let whole = written.clone();
        std::thread::spawn(move || {
            let mut reads = 0;
            let start = std::time::Instant::now();
            while start.elapsed() < Duration::from_secs(3) {
                let text = std::fs::read_to_string(&path).unwrap();
                assert_eq!(text, whole, "a partial or other file");
                reads += 1;
            }
            reads
        })
    };
    let writers: Vec<_> = (0..3)
        .map(|_| {
            let mut cmd = lab.std_cmd(&["metrics", "--textfile", textfile]);
            std::thread::spawn(move || {
                for _ in 0..10 {
                    assert!(cmd.status().unwrap().success());
                }
            })
        })
        .collect();
    writers.into_iter().for_each(|w| w.join().unwrap());
    assert!(reader.join().unwrap() > 0);
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 1);

    // A folder that does not exist: one line, exit 2.
    let missing = lab.path().join("nowhere/vmsched.prom");
    lab.run(&["metrics", "--textfile", missing.to_str().unwrap()])
        .code(2)
        .one_line_error();
}
