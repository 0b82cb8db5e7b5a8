//! CLI tests of `domains show`: every verdict against libvirt's test-driver lab, table and
//! JSON, `--check`, `--no-live`, filters, and hosts that never answer.

use crate::support::{lab_uri, Lab};
use serde_json::{json, Value};
use std::os::unix::net::UnixListener;
use std::time::{Duration, Instant};

/// A URI that no daemon listens on: refused at once.
pub const DEAD_URI: &str = "qemu+tcp://127.0.0.1:1/system";

/// For `add`: win10 shared by w10 (wtb) and w10_fr (wtb-fr), and win7 (w7), in the lab.
pub const WINDOWS: &[(&str, &str, &str, &str)] = &[
    ("w10", "lab", "win10", "wtb"),
    ("w10_fr", "lab", "win10", "wtb-fr"),
    ("w7", "lab", "win7", "wtb"),
];

/// Registers VMs given as (name, uri, domain, snapshot); `uri` `lab` means the test-driver lab.
pub fn add(lab: &Lab, vms: &[(&str, &str, &str, &str)]) {
    register(lab, vms, &[]);
}

/// Registers VMs as `add` does, without asking libvirt whether their domains and snapshots
/// exist: for those that do not, on purpose.
pub fn add_unchecked(lab: &Lab, vms: &[(&str, &str, &str, &str)]) {
    register(lab, vms, &["--no-check"]);
}

fn register(lab: &Lab, vms: &[(&str, &str, &str, &str)], extra: &[&str]) {
    let lab_uri = lab_uri();
    for &(name, uri, domain, snapshot) in vms {
        let uri = if uri == "lab" { lab_uri.as_str() } else { uri };
        let args = ["vms", "add", name, "-c", uri, "--domain", domain];
        lab.run(&[&args[..], &["--snapshot", snapshot], extra].concat())
            .ok();
    }
}

/// Sets a VM's status as an admin would, overriding the one-instance rule.
pub fn status(lab: &Lab, vm: &str, status: &str) {
    lab.run(&["vms", "set", vm, "--status", status, "--force"])
        .ok();
}

/// A unix socket that accepts connections and never answers, as `qemu+unix` URI; it lives as
/// long as the test process.
pub fn silent_uri(lab: &Lab, name: &str) -> String {
    let socket = lab.path().join(name);
    let listener = UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept() {
            open.push(stream);
        }
    });
    format!("qemu+unix:///system?socket={}", socket.display())
}

/// `domains show --format json` plus extra arguments, by domain name.
pub fn shown(lab: &Lab, args: &[&str]) -> Vec<Value> {
    let run = lab.run(&[&["domains", "show", "--format", "json"], args].concat());
    run.ok().json().as_array().unwrap().clone()
}

/// Asserts the entries' (domain, verdict) pairs, sorted.
fn assert_verdicts(entries: &[Value], expected: &[(&str, &str)]) {
    let mut got: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["domain"].as_str().unwrap(),
                e["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(got, expected);
}

/// The cells of a table line: text separated by two spaces or more.
fn cells(line: &str) -> Vec<&str> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

fn find<'a>(entries: &'a [Value], domain: &str) -> &'a Value {
    entries.iter().find(|e| e["domain"] == domain).unwrap()
}

/// unreachable, missing (no snapshot, no domain), conflict, drift and free in one lab.
pub fn troubled_lab() -> Lab {
    let lab = Lab::new();
    add_unchecked(
        &lab,
        &[
            ("deb", "lab", "debian", "wine"),
            ("ghost", "lab", "ghost", "s"),
        ],
    );
    add(
        &lab,
        &[
            ("far", DEAD_URI, "far", "s"),
            ("b1", "lab", "build", "clean"),
            ("b2", "lab", "build", "wtb"),
            ("w10", "lab", "win10", "wtb"),
            ("w10_fr", "lab", "win10", "wtb-fr"),
            ("w7", "lab", "win7", "wtb"),
        ],
    );
    status(&lab, "b1", "idle");
    status(&lab, "b2", "dirty");
    status(&lab, "w10_fr", "idle");
    lab
}

#[test]
fn every_bad_verdict_in_json() {
    let lab = troubled_lab();
    let entries = shown(&lab, &[]);
    let lab_uri = lab_uri();
    assert_verdicts(
        &entries,
        &[
            ("build", "conflict"),
            ("debian", "missing"),
            ("far", "unreachable"),
            ("ghost", "missing"),
            ("win10", "drift"),
            ("win7", "free"),
        ],
    );

    let far = find(&entries, "far");
    assert_eq!(far["live"], Value::Null);
    assert!(
        far["live_error"]
            .as_str()
            .unwrap()
            .contains("Connection refused"),
        "{far}"
    );
    assert_eq!(
        find(&entries, "debian")["live_error"],
        "no snapshot `wine` (VM `deb`)"
    );
    assert_eq!(find(&entries, "ghost")["live"], Value::Null);
    assert_eq!(find(&entries, "build")["owner"], "b1");
    let win10 = find(&entries, "win10");
    assert_eq!(
        *win10,
        json!({
            "uri": lab_uri, "domain": "win10", "host": "localhost", "owner": "w10_fr",
            "instances": [
                {"vm": "w10", "snapshot": "wtb", "status": "off"},
                {"vm": "w10_fr", "snapshot": "wtb-fr", "status": "idle"}
            ],
            "live": {"state": "running", "current_snapshot": "wtb"},
            "live_error": null, "verdict": "drift"
        })
    );
    let win7 = find(&entries, "win7");
    assert_eq!(
        (&win7["owner"], &win7["live"]),
        (
            &Value::Null,
            &json!({"state": "shut off", "current_snapshot": "wtb"})
        )
    );
}

#[test]
fn check_exits_1_on_a_bad_verdict_and_still_prints() {
    let lab = troubled_lab();
    let run = lab.run(&["domains", "show", "--check"]).code(1);
    assert_eq!(run.stderr, "");
    assert!(run.stdout.contains("unreachable"), "{}", run.stdout);
    lab.run(&["domains", "show"]).ok();
    let fine = lab.run(&["domains", "show", "--check", "--domain", "win7"]);
    fine.ok();
}

#[test]
fn orphan_ok_and_free_and_a_clean_check() {
    let lab = Lab::new();
    add(&lab, WINDOWS);
    add(&lab, &[("b", "lab", "build", "clean")]);
    status(&lab, "w7", "idle");
    let entries = shown(&lab, &[]);
    assert_eq!(find(&entries, "win10")["verdict"], "orphan");
    assert_eq!(find(&entries, "win7")["verdict"], "ok");
    assert_eq!(find(&entries, "win7")["owner"], "w7");
    assert_eq!(find(&entries, "build")["verdict"], "free");
    lab.run(&["domains", "show", "--check"]).code(1);

    // The owner's snapshot is the current one: ok.
    status(&lab, "w10", "idle");
    let entries = shown(&lab, &["--check"]);
    assert_eq!(find(&entries, "win10")["verdict"], "ok");
}

#[test]
fn the_table_is_virsh_like_with_errors_below() {
    let lab = troubled_lab();
    let run = lab.run(&["domains", "show"]).ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(
        cells(lines[0]),
        [
            "Domain",
            "Host",
            "Owner",
            "Instances",
            "State",
            "Current",
            "Verdict"
        ]
    );
    assert!(lines[1].chars().all(|c| c == '-'), "{}", lines[1]);
    let win10 = lines.iter().find(|l| l.trim_start().starts_with("win10"));
    assert_eq!(
        cells(win10.unwrap()),
        [
            "win10",
            "localhost",
            "w10_fr",
            "w10:wtb off, w10_fr:wtb-fr idle",
            "running",
            "wtb",
            "drift"
        ]
    );
    let far = lines.iter().find(|l| l.trim_start().starts_with("far"));
    assert_eq!(
        cells(far.unwrap()),
        [
            "far",
            "127.0.0.1:1",
            "-",
            "far:s off",
            "-",
            "-",
            "unreachable"
        ]
    );
    let below = format!("far ({DEAD_URI}): ");
    assert!(
        lines.iter().any(|l| l.starts_with(&below)),
        "{}",
        run.stdout
    );
}

#[test]
fn no_live_gives_only_conflict_ok_and_free() {
    let lab = troubled_lab();
    let entries = shown(&lab, &["--no-live"]);
    assert_verdicts(
        &entries,
        &[
            ("build", "conflict"),
            ("debian", "free"),
            ("far", "free"),
            ("ghost", "free"),
            ("win10", "ok"),
            ("win7", "free"),
        ],
    );
    assert!(entries
        .iter()
        .all(|e| e["live"].is_null() && e["live_error"].is_null()));
    lab.run(&["domains", "show", "--no-live", "--check"])
        .code(1);
}

#[test]
fn filters_by_host_and_domain() {
    let lab = troubled_lab();
    let entries = shown(&lab, &["--host", "127.0.0.1:1"]);
    assert_verdicts(&entries, &[("far", "unreachable")]);
    let entries = shown(&lab, &["--host", "LOCALHOST", "--domain", "win7"]);
    assert_verdicts(&entries, &[("win7", "free")]);
    assert_eq!(shown(&lab, &["--domain", "nope"]), Vec::<Value>::new());
}

#[test]
fn silent_hosts_cost_one_timeout_in_parallel_and_hide_nothing() {
    let lab = Lab::new();
    let (a, b) = (silent_uri(&lab, "a.sock"), silent_uri(&lab, "b.sock"));
    add(
        &lab,
        &[
            ("sa", &a, "da", "s"),
            ("sb", &b, "db", "s"),
            ("w7", "lab", "win7", "wtb"),
        ],
    );
    let start = Instant::now();
    let entries = shown(&lab, &["--timeout", "2"]);
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_secs(2) && elapsed < Duration::from_millis(3500),
        "{elapsed:?}"
    );
    assert_eq!(find(&entries, "win7")["verdict"], "free");
    for domain in ["da", "db"] {
        let entry = find(&entries, domain);
        assert_eq!(entry["verdict"], "unreachable");
        assert!(
            entry["live_error"]
                .as_str()
                .unwrap()
                .contains("no answer from"),
            "{entry}"
        );
    }
}

#[test]
fn the_owner_is_the_one_the_next_pass_keeps() {
    let lab = Lab::new();
    add(
        &lab,
        &[
            ("a_idle", "lab", "win10", "wtb"),
            ("z_run", "lab", "win10", "wtb-fr"),
        ],
    );
    status(&lab, "a_idle", "idle");
    // Running, but no worker acts on it: the next pass makes it dirty, a lamb registered after
    // a_idle, and sets it off for the conflict.
    lab.sql("UPDATE vms SET status = 'running' WHERE name = 'z_run'");
    let win10 = shown(&lab, &["--no-live"])[0].clone();
    assert_eq!(
        (&win10["owner"], &win10["verdict"]),
        (&json!("a_idle"), &json!("conflict"))
    );
    let plan = lab
        .run(&["schedule-once", "--dry-run", "--format", "json"])
        .ok()
        .json();
    assert_eq!(plan["owners"][0]["owner"], "a_idle");
    assert!(plan["actions"].as_array().unwrap().contains(
        &json!({"action": "mark", "vm": "z_run", "status": "off", "reason": "conflict"})
    ));
}

/// The `ssh` processes still running whose arguments name `port` (`ssh -p PORT ...`).
fn ssh_processes(port: u16) -> usize {
    let port = port.to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .filter(|cmdline| {
            let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
            args[0].rsplit(|&b| b == b'/').next() == Some(b"ssh")
                && args.windows(2).any(|w| w == [b"-p", port.as_bytes()])
        })
        .count()
}

#[test]
fn a_silent_ssh_host_leaves_no_ssh_behind() {
    if std::process::Command::new("ssh")
        .arg("-V")
        .output()
        .is_err()
    {
        eprintln!(
            "SKIP a_silent_ssh_host_leaves_no_ssh_behind: ssh is not installed (openssh-client)"
        );
        return;
    }
    // A host on the loopback that accepts TCP and never says a word, not even ssh's banner.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, accepted) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept() {
            open.push(stream);
            let _ = tx.send(());
        }
    });
    let lab = Lab::new();
    let uri = format!("qemu+ssh://127.0.0.1:{port}/system?no_tty=1");
    add_unchecked(&lab, &[("s", &uri, "d", "s")]);
    assert_eq!(ssh_processes(port), 0);
    for _ in 0..3 {
        let entries = shown(&lab, &["--timeout", "1"]);
        assert_eq!(find(&entries, "d")["verdict"], "unreachable");
    }
    assert_eq!(accepted.try_iter().count(), 3, "ssh did not reach the host");
    assert_eq!(ssh_processes(port), 0, "ssh processes left behind");
}
