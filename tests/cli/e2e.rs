//! End to end on a real libvirt: a lab whose domain is shared by several instances, jobs over
//! it (one with two steps), silent `schedule-once --wait` passes until every job has ended, or
//! no `schedule-once` at all: the passes that changes start themselves.
//! Then every task completed and saw its own snapshot in libvirt, its log says so, the history
//! shows steals, and no two siblings were ever non-off at once: neither in the history nor in
//! the database while the passes ran.

use crate::hv::{Domain, RealLibvirt};
use crate::invariants;
use crate::support::{gone, wait_for, Lab};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// The task: prints its VM and snapshot, and checks with virsh, at its start and end, that its
/// domain's current snapshot is its instance's; exits 1 if not.
const CHECK: &str = r#"echo "$VMSCHED_VM $VMSCHED_SNAPSHOT"
check() {
    current=$(virsh -q -c "$VMSCHED_URI" snapshot-current --name "$VMSCHED_DOMAIN") || exit 1
    [ "$current" = "$VMSCHED_SNAPSHOT" ] || { echo "wrong snapshot: $current"; exit 1; }
}
check; sleep 0.2; check; echo "snapshot checked""#;

/// A VM instance of the lab: name, domain, snapshot, role.
type Vm<'a> = (&'a str, &'a Domain, &'a str, &'a str);

#[test]
fn test_driver_lab_runs_every_job_one_sibling_at_a_time() {
    let Some(hv) = RealLibvirt::test_driver("e2e on the test driver") else {
        return;
    };
    let (_domains, lab) = win_lab(&hv, "e2e-test", &["build", "linux"], Lab::new());
    submit_four_jobs(&lab);
    run_and_check(&lab, cron(&["--wait"], 60), 10);
}

#[test]
fn test_driver_lab_runs_every_job_on_event_passes_alone() {
    let Some(hv) = RealLibvirt::test_driver("e2e on event passes, test driver") else {
        return;
    };
    let lab = Lab::with_event_passes();
    let (_domains, lab) = win_lab(&hv, "e2e-events", &["build", "linux"], lab);
    submit_four_jobs(&lab);
    run_and_check(&lab, events(60), 10);
}

#[test]
fn qemu_lab_runs_every_job_one_sibling_at_a_time() {
    let Some(hv) = RealLibvirt::qemu("e2e on QEMU") else {
        return;
    };
    let (_domains, lab) = win_lab(&hv, "e2e", &["linux"], Lab::new());
    submit(&lab, &["--vm", "w10", "--vm", "w10_fr", "--vm", "w10_de"]);
    submit_steps(&lab, "linux", &["w10_fr"]);
    run_and_check(&lab, cron(&["--wait"], 240), 5);
}

#[test]
fn qemu_lab_runs_every_job_on_event_passes_alone() {
    let Some(hv) = RealLibvirt::qemu("e2e on event passes, QEMU") else {
        return;
    };
    let lab = Lab::with_event_passes();
    let (_domains, lab) = win_lab(&hv, "e2e-events", &["linux"], lab);
    submit(&lab, &["--vm", "w10", "--vm", "w10_fr", "--vm", "w10_de"]);
    submit_steps(&lab, "linux", &["w10_fr"]);
    run_and_check(&lab, events(240), 5);
}

/// Four jobs over the shared domain and two other VMs, one of two steps: ten tasks.
fn submit_four_jobs(lab: &Lab) {
    submit(lab, &["--vm", "w10", "--vm", "w10_fr", "--vm", "w10_de"]);
    submit_steps(lab, "build", &["w10_fr", "linux"]);
    submit(
        lab,
        &["--priority", "3", "--vm", "w10_fr", "--vm", "w10_de"],
    );
    submit(lab, &["--vm", "w10", "--vm", "linux"]);
}

/// Drives a lab like cron: `schedule-once ARGS` until every job has ended, within `secs`.
fn cron(args: &'static [&'static str], secs: u64) -> impl FnOnce(&Lab) {
    move |lab| {
        let passes = lab.drive(args, Duration::from_secs(secs));
        assert!(passes > 1, "{passes} passes");
    }
}

/// Runs no pass at all: waits up to `secs` for the passes that changes start to end every job.
fn events(secs: u64) -> impl FnOnce(&Lab) {
    move |lab| {
        let open = "SELECT count(*) FROM jobs WHERE ended IS NULL";
        let limit = std::time::Instant::now() + Duration::from_secs(secs);
        while lab.rows(open) != ["0"] {
            assert!(
                std::time::Instant::now() < limit,
                "jobs still open after {secs} s of event passes:\n{}",
                lab.run(&["history"]).stdout
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        // Passes go on preparing VMs for future work: stop them, and let what runs end before
        // the domains go away.
        lab.run(&["settings", "set", "event_passes", "false"]).ok();
        wait_for("the lab's passes and workers to end", || {
            lab.processes().is_empty()
        });
    }
}

#[test]
fn cron_like_passes_displace_a_sleeping_owner_and_kill_its_worker() {
    let Some(hv) = RealLibvirt::test_driver("e2e steal from a sleeping owner") else {
        return;
    };
    let win = hv.domain("e2e-sleeping", "win", &["wtb", "wtb-fr"]);
    let lab = lab(
        &[
            ("w10", &win, "wtb", "base"),
            ("w10_fr", &win, "wtb-fr", "winetest"),
        ],
        Lab::new(),
    );
    lab.run(&["settings", "set", "sleep_after_revert", "60"])
        .ok();
    lab.pass(&[]);
    let status = "SELECT status FROM vms WHERE name = 'w10'";
    wait_for("w10 prepared in advance", || {
        lab.rows(status) == ["sleeping"]
    });
    let worker = "SELECT o.pid FROM operations o JOIN vms v ON v.operation = o.id";
    let worker: i64 = lab.rows(worker)[0].parse().unwrap();
    lab.run(&["settings", "set", "sleep_after_revert", "0"])
        .ok();
    submit(&lab, &["--vm", "w10_fr"]);
    run_and_check(&lab, cron(&[], 30), 1);
    wait_for("the displaced owner's worker to be killed", || gone(worker));
    let history = lab.rows(
        "SELECT old_status || ' ' || new_status || ' ' || detail FROM history
         WHERE vm = 'w10' ORDER BY id DESC LIMIT 1",
    );
    assert_eq!(history, ["sleeping off off stolen by w10_fr"]);
}

/// `lab` with these VMs (imported from an inventory) and limits that let work overlap.
fn lab(vms: &[Vm], lab: Lab) -> Lab {
    let mut toml = String::from(
        "[limits]\nmax_active = 3\nmax_running = 2\nmax_reverting = 2\nmax_reverts_while_running = 1\n",
    );
    for (name, domain, snapshot, role) in vms {
        toml += &format!(
            "\n[[vm]]\nname = \"{name}\"\nuri = \"{}\"\ndomain = \"{}\"\nsnapshot = \"{snapshot}\"\nrole = \"{role}\"\n",
            domain.uri, domain.name
        );
    }
    lab.run(&["vms", "import", &lab.write("lab.toml", &toml)])
        .ok();
    lab
}

/// A lab on `hv`: domain win shared by w10 (wtb, base), w10_fr (wtb-fr, winetest) and w10_de
/// (wtb-de, extra), then for each of `others` a domain with a `clean` snapshot and one VM of
/// that name (base). The domains come with it: keep them while the lab is used.
fn win_lab(hv: &RealLibvirt, test: &str, others: &[&str], lab: Lab) -> (Vec<Domain>, Lab) {
    let win = hv.domain(test, "win", &["wtb", "wtb-fr", "wtb-de"]);
    let other: Vec<Domain> = others
        .iter()
        .map(|name| hv.domain(test, name, &["clean"]))
        .collect();
    let mut vms: Vec<Vm> = vec![
        ("w10", &win, "wtb", "base"),
        ("w10_fr", &win, "wtb-fr", "winetest"),
        ("w10_de", &win, "wtb-de", "extra"),
    ];
    vms.extend(
        others
            .iter()
            .zip(&other)
            .map(|(n, d)| (*n, d, "clean", "base")),
    );
    let lab = self::lab(&vms, lab);
    (std::iter::once(win).chain(other).collect(), lab)
}

/// `jobs submit ARGS -- sh -c CHECK`.
fn submit(lab: &Lab, args: &[&str]) {
    let command = ["--", "sh", "-c", CHECK];
    lab.run(&[&["jobs", "submit"], args, &command].concat())
        .ok();
}

/// A job of two steps: CHECK on `first`, then on `then`.
fn submit_steps(lab: &Lab, first: &str, then: &[&str]) {
    let command = serde_json::to_string(&["sh", "-c", CHECK]).unwrap();
    let file = format!(
        "[[step]]\nname = \"first\"\nvms = [\"{first}\"]\ncommand = {command}\n\n\
         [[step]]\nname = \"then\"\nafter = \"first\"\nvms = {}\ncommand = {command}\n",
        serde_json::to_string(then).unwrap()
    );
    let file = lab.write("two-steps.toml", &file);
    lab.run(&["jobs", "submit", "--file", &file]).ok();
}

/// Runs the lab with `drive` until every job has ended, watching the database, then checks
/// the outcome: `tasks` tasks, each completed once with its snapshot checked.
fn run_and_check(lab: &Lab, drive: impl FnOnce(&Lab), tasks: usize) {
    let watch = Watcher::start(lab);
    drive(lab);
    watch.stop();
    let snapshot: BTreeMap<String, String> = pairs(lab, "SELECT name, snapshot FROM vms");
    let jobs = lab.run(&["jobs", "list", "--format", "json"]).ok().json();
    let mut seen = 0;
    for job in jobs.as_array().unwrap() {
        assert_eq!(job["status"], "completed", "{job}");
        let id = job["id"].to_string();
        let shown = lab.run(&["jobs", "show", &id, "--format", "json"]).ok();
        let logs = lab.run(&["jobs", "log", &id]).ok().stdout;
        for step in shown.json()["steps"].as_array().unwrap() {
            for task in step["tasks"].as_array().unwrap() {
                let vm = task["vm"].as_str().unwrap();
                assert_eq!(
                    (&task["status"], &task["exit_code"]),
                    (&"completed".into(), &0.into())
                );
                let log = lab.path().join(task["log"].as_str().unwrap());
                let text = std::fs::read_to_string(&log).expect("task log");
                let said = format!("{vm} {}\nsnapshot checked\n", snapshot[vm]);
                assert!(text.contains(&said) && logs.contains(&said), "{vm}: {text}");
                let key = format!(
                    "job = {id} AND step = {} AND task = {}",
                    step["no"], task["no"]
                );
                let starts = lab.rows(&format!(
                    "SELECT id FROM history WHERE vm = '{vm}' AND kind = 'start' AND {key}"
                ));
                assert_eq!(starts.len(), 1, "{vm} {key}");
                seen += 1;
            }
        }
    }
    assert_eq!(seen, tasks);
    assert!(
        !lab.rows("SELECT id FROM history WHERE kind = 'steal' AND for_vm IS NOT NULL")
            .is_empty(),
        "no steal in the history:\n{}",
        lab.run(&["history"]).stdout
    );
    let (_, overlaps) = invariants::sibling_overlaps(&lab.db);
    assert!(overlaps.is_empty(), "{overlaps:#?}");
}

/// The first two columns of a query's rows, as a map.
fn pairs(lab: &Lab, sql: &str) -> BTreeMap<String, String> {
    let rows = lab.rows(sql).into_iter();
    let split = rows.map(|r| {
        r.split_once('|')
            .map(|(a, b)| (a.into(), b.into()))
            .unwrap()
    });
    split.collect()
}

/// Polls the database while passes run and remembers any moment when two siblings were
/// non-off (each poll is one read transaction: a consistent snapshot).
struct Watcher {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<String>>,
}

impl Watcher {
    fn start(lab: &Lab) -> Watcher {
        let stop = Arc::new(AtomicBool::new(false));
        let (db, flag) = (lab.db.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let conn = rusqlite::Connection::open(db).unwrap();
            let sql = "SELECT group_concat(name || ' ' || status) FROM vms WHERE status != 'off'
                       GROUP BY uri, domain HAVING count(*) > 1";
            let mut seen = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                let found = conn.prepare(sql).and_then(|mut stmt| {
                    stmt.query_map([], |r| r.get::<_, String>(0))?
                        .collect::<Result<Vec<_>, _>>()
                });
                seen.extend(found.unwrap_or_default());
                std::thread::sleep(Duration::from_millis(10));
            }
            seen
        });
        Watcher { stop, thread }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let seen = self.thread.join().unwrap();
        assert!(seen.is_empty(), "siblings non-off at once: {seen:?}");
    }
}
