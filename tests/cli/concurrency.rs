//! Concurrency, run serially by scripts/test.sh: 8 `schedule-once` loops and 2 admins (`jobs
//! submit`, `jobs cancel`, `vms set`, `revert --steal`, `poweroff`) hammer one database for a
//! minute, on libvirt's test driver (fast reverts, no daemon). No SQLite error may reach a
//! user — only a clean lock timeout (exit 4) or a documented refusal (exit 3) — no submitted
//! job may be lost, no task attempt may start twice, and no two siblings may be in use at once.

use crate::invariants::{self, Rng};
use crate::support::{lab_uri, Lab};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const HAMMER: Duration = Duration::from_secs(60);
const PASS_LOOPS: usize = 8;
const ADMINS: usize = 2;
const VMS: &[(&str, &str, &str)] = &[
    ("w10", "win10", "wtb"),
    ("w10_fr", "win10", "wtb-fr"),
    ("w10_de", "win10", "wtb-de"),
    ("w7", "win7", "wtb"),
    ("build", "build", "clean"),
];

/// Everything the threads saw: exit codes per command, and what must not happen.
#[derive(Default)]
struct Seen {
    exits: BTreeMap<(String, i32), usize>,
    violations: Vec<String>,
    submitted: Vec<i64>,
}

impl Seen {
    /// Records a command's outcome; anything but an allowed exit code with a clean stderr is
    /// a violation.
    fn record(&mut self, what: &str, run: &crate::support::Run, allowed: &[i32]) {
        *self.exits.entry((what.to_string(), run.code)).or_default() += 1;
        let stderr = run.stderr.to_lowercase();
        // SQLite's own words, or vmsched's "database is busy" (exit 1).
        let leaked = ["sqlite", "database", "sql"]
            .iter()
            .any(|w| stderr.contains(w));
        let clean_lock =
            run.code == 4 && run.stderr.starts_with("error: another pass holds the lock");
        if !allowed.contains(&run.code) || (leaked && !clean_lock) {
            self.violations
                .push(format!("{what}: exit {}: {}", run.code, run.stderr.trim()));
        }
    }
}

#[test]
#[ignore = "long: run serially by scripts/test.sh"]
fn serial_concurrency_hammer() {
    if !invariants::serial_step("serial_concurrency_hammer") {
        return;
    }
    let lab = Arc::new(Lab::new());
    let uri = lab_uri();
    let mut inventory = String::new();
    for (name, domain, snapshot) in VMS {
        inventory.push_str(&format!(
            "[[vm]]\nname = \"{name}\"\nuri = \"{uri}\"\ndomain = \"{domain}\"\nsnapshot = \"{snapshot}\"\n\n"
        ));
    }
    let inventory = lab.write("lab.toml", &inventory);
    lab.run(&["vms", "import", &inventory]).ok();
    lab.run(&[
        "hosts",
        "set",
        "localhost",
        "--max-active",
        "3",
        "--max-running",
        "2",
        "--max-reverting",
        "2",
        "--max-reverts-while-running",
        "1",
    ])
    .ok();
    for (key, value) in [
        ("monitor_interval", "1"),
        ("monitor_interval_errors", "2"),
        ("max_task_tries", "5"),
    ] {
        lab.run(&["settings", "set", key, value]).ok();
    }
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let seed = invariants::seed(8_088);
    let mut threads = Vec::new();
    for i in 0..PASS_LOOPS {
        let (lab, seen, stop) = (lab.clone(), seen.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let mut rng = Rng::new(seed + i as u64);
            let timeout = (i % 2).to_string();
            while !stop.load(Ordering::Relaxed) {
                let run = lab.run(&["schedule-once", "--lock-timeout", &timeout]);
                seen.lock().unwrap().record("schedule-once", &run, &[0, 4]);
                std::thread::sleep(Duration::from_millis(20 + rng.below(100)));
            }
        }));
    }
    for i in 0..ADMINS {
        let (lab, seen, stop) = (lab.clone(), seen.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let mut rng = Rng::new(seed + 100 + i as u64);
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                admin(&lab, &seen, &mut rng, n);
                std::thread::sleep(Duration::from_millis(30 + rng.below(120)));
            }
        }));
    }
    std::thread::sleep(HAMMER);
    stop.store(true, Ordering::Relaxed);
    for thread in threads {
        thread.join().unwrap();
    }
    let hammered = seen.lock().unwrap().exits.clone();

    // Drain: maintenance VMs back to off, passes until every job has ended.
    let start = Instant::now();
    loop {
        for vm in lab.rows("SELECT name FROM vms WHERE status = 'maintenance'") {
            let run = lab.run(&["vms", "set", &vm, "--status", "off"]);
            seen.lock()
                .unwrap()
                .record("vms set (drain)", &run, &[0, 3]);
        }
        let run = lab.run(&["schedule-once"]);
        seen.lock()
            .unwrap()
            .record("schedule-once (drain)", &run, &[0]);
        let open = lab.rows("SELECT id FROM jobs WHERE ended IS NULL");
        if open.is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "jobs still open after the drain: {open:?}\n{}",
            lab.rows("SELECT name, status, errors, operation FROM vms")
                .join("\n")
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    let seen = seen.lock().unwrap();
    let known: Vec<i64> = lab
        .rows("SELECT id FROM jobs")
        .iter()
        .map(|id| id.parse().unwrap())
        .collect();
    let lost: Vec<&i64> = seen
        .submitted
        .iter()
        .filter(|id| !known.contains(id))
        .collect();
    let (rows, overlaps) = invariants::sibling_overlaps(&lab.db);
    let (starts, doubles) = invariants::double_starts(&lab.db);
    let by_status = lab.rows("SELECT status, COUNT(*) FROM tasks GROUP BY status");
    let commands: Vec<String> = hammered
        .iter()
        .map(|((what, code), n)| format!("{what} exit {code}: {n}"))
        .collect();
    eprintln!(
        "concurrency figures: {}s, seed {seed}; {}; jobs submitted {}, task starts {starts}, \
         tasks by status {by_status:?}, history rows replayed {rows}, drained in {:.1?}",
        HAMMER.as_secs(),
        commands.join(", "),
        seen.submitted.len(),
        start.elapsed()
    );
    assert!(
        seen.violations.is_empty(),
        "errors reached users:\n{}",
        seen.violations.join("\n")
    );
    assert!(lost.is_empty(), "submitted jobs lost: {lost:?}");
    assert!(
        overlaps.is_empty(),
        "siblings non-off together:\n{}",
        overlaps.join("\n")
    );
    assert!(doubles.is_empty(), "double starts:\n{}", doubles.join("\n"));
    assert!(starts > 0, "no task started");
}

/// One random admin command.
fn admin(lab: &Lab, seen: &Mutex<Seen>, rng: &mut Rng, n: u64) {
    let vm = rng.pick(VMS).0;
    match rng.below(10) {
        0..=1 => {
            let mut args = vec!["--format", "json", "jobs", "submit"];
            let mut vms: Vec<&str> = Vec::new();
            for _ in 0..=rng.below(3) {
                let vm = rng.pick(VMS).0;
                if !vms.contains(&vm) {
                    vms.push(vm);
                }
            }
            for vm in &vms {
                args.extend(["--vm", vm]);
            }
            args.extend(["--", "true"]);
            let run = lab.run(&args);
            let mut seen = seen.lock().unwrap();
            seen.record("jobs submit", &run, &[0]);
            if run.code == 0 {
                let id = run.json()["id"].as_i64().expect("job id");
                seen.submitted.push(id);
            }
        }
        2..=3 => {
            let id = {
                let seen = seen.lock().unwrap();
                if seen.submitted.is_empty() {
                    return;
                }
                *rng.pick(&seen.submitted)
            };
            let run = lab.run(&["jobs", "cancel", &id.to_string()]);
            seen.lock().unwrap().record("jobs cancel", &run, &[0]);
        }
        4..=5 => {
            let run = lab.run(&["revert", vm, "--steal", "--reason", "hammer"]);
            seen.lock().unwrap().record("revert --steal", &run, &[0, 3]);
        }
        6 => {
            let run = lab.run(&["poweroff", vm, "--reason", "hammer"]);
            seen.lock().unwrap().record("poweroff", &run, &[0, 3]);
        }
        _ => {
            let status = *rng.pick(&["maintenance", "off", "off", "dirty", "offline", "-"]);
            let description = format!("hammer {n}");
            let args: Vec<&str> = if status == "-" {
                vec!["vms", "set", vm, "--description", &description]
            } else {
                vec!["vms", "set", vm, "--status", status, "--reason", "hammer"]
            };
            let run = lab.run(&args);
            seen.lock().unwrap().record("vms set", &run, &[0, 3]);
        }
    }
}
