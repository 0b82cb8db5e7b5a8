//! The long tests on real QEMU, run serially by scripts/test.sh: a soak — 3 domains with 3
//! snapshots each (9 instances) plus 2 ordinary VMs, 68 tasks that check with libvirt at their
//! start and end that the domain's current snapshot is their own — driven by a sub-second loop
//! of `schedule-once` as cron would run it, and the same soak under chaos: SIGKILLed workers
//! and passes at random moments and one libvirtd outage (`scripts/libvirt-setup.sh bounce`).
//! Both print their figures (docs/reliability.md quotes them).

use crate::invariants::{self, Rng, TaskKey};
use crate::support::Lab;
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const URI: &str = "qemu:///system";
/// The shared domains' snapshots and the instances' roles (one per snapshot).
const SHARED: &[(&str, &str)] = &[("a", "base"), ("b", "winetest"), ("c", "extra")];
/// Time between two passes of the cron loop.
const PASS_INTERVAL: Duration = Duration::from_millis(250);
/// The run gives up (and fails) after this long.
const MAX_RUN: Duration = Duration::from_secs(420);
/// After the jobs: time for offline VMs to come back and workers to end.
const MAX_SETTLE: Duration = Duration::from_secs(90);

#[test]
#[ignore = "long: run serially by scripts/test.sh"]
fn serial_soak_qemu() {
    if !invariants::serial_step("serial_soak_qemu") {
        return;
    }
    let figures = Soak::new("soak", None).run();
    assert_eq!(figures.requeued, 0, "a clean soak requeued tasks");
    assert!(
        figures.went_offline.is_empty(),
        "a clean soak put VMs offline: {:?}",
        figures.went_offline
    );
}

#[test]
#[ignore = "long: run serially by scripts/test.sh"]
fn serial_chaos_qemu() {
    if !invariants::serial_step("serial_chaos_qemu") {
        return;
    }
    let seed = invariants::seed(20_240_607);
    let figures = Soak::new("chaos", Some(Chaos::new(seed))).run();
    let chaos = figures.chaos.as_ref().expect("chaos figures");
    assert!(
        chaos.worker_kills + chaos.pass_kills >= 20,
        "only {} kills (seed {seed})",
        chaos.worker_kills + chaos.pass_kills
    );
    assert!(
        chaos.max_tries < MAX_TASK_TRIES,
        "a task used {} tries",
        chaos.max_tries
    );
}

/// `max_task_tries` under chaos: above what a task can lose to kills (at most
/// `KILLS_PER_TASK` of its workers, plus passes killed after starting it).
const MAX_TASK_TRIES: u32 = 12;
const KILLS_PER_TASK: u32 = 3;
/// Kills each kind of chaos aims at (at least 20 together).
const WORKER_KILLS: usize = 16;
const PASS_KILLS: usize = 12;

/// The chaos of a run: what to kill, when, and what was killed.
struct Chaos {
    seed: u64,
    rng: Rng,
    worker_kills: usize,
    kills_by_kind: BTreeMap<String, usize>,
    pass_kills: usize,
    /// Killed passes that had committed (their operations exist; workers never released).
    pass_kills_after_commit: usize,
    /// Passes that ended by themselves before the chosen moment to kill them.
    pass_kills_missed: usize,
    /// A pass kill decided and not done yet: at a random moment (true) or just after the
    /// pass's commit (false).
    pass_kill: Option<bool>,
    kills_per_task: BTreeMap<TaskKey, u32>,
    /// The libvirtd bounce: running, then its outcome.
    bounce: Option<std::thread::JoinHandle<(i32, Duration)>>,
    bounce_result: Option<(i32, Duration)>,
    /// How long passes that started workers took, to choose a moment inside one.
    pass_time: Duration,
    max_tries: u32,
}

impl Chaos {
    fn new(seed: u64) -> Chaos {
        Chaos {
            seed,
            rng: Rng::new(seed),
            worker_kills: 0,
            kills_by_kind: BTreeMap::new(),
            pass_kills: 0,
            pass_kills_after_commit: 0,
            pass_kills_missed: 0,
            pass_kill: None,
            kills_per_task: BTreeMap::new(),
            bounce: None,
            bounce_result: None,
            pass_time: Duration::from_millis(40),
            max_tries: 0,
        }
    }

    /// Kills one random live worker named by the operations table (its start time checked,
    /// so a reused pid is never hit), sparing tasks that took their share of kills.
    fn kill_a_worker(&mut self, db: &Path) {
        let conn = Connection::open(db).unwrap();
        let mut stmt = conn
            .prepare(
                "SELECT kind, vm, job, step, task, pid, start_time FROM operations
                 WHERE ended IS NULL AND pid IS NOT NULL ORDER BY id",
            )
            .unwrap();
        let live: Vec<(String, String, Option<TaskKey>, i64, i64)> = stmt
            .query_map([], |r| {
                let job: Option<i64> = r.get(2)?;
                let task = match job {
                    Some(job) => Some((job, r.get(3)?, r.get(4)?)),
                    None => None,
                };
                Ok((r.get(0)?, r.get(1)?, task, r.get(5)?, r.get(6)?))
            })
            .unwrap()
            .map(Result::unwrap)
            .filter(|(_, _, task, pid, start)| {
                invariants::start_time(*pid) == Some(*start)
                    && task.is_none_or(|t| {
                        self.kills_per_task.get(&t).copied().unwrap_or(0) < KILLS_PER_TASK
                    })
            })
            .collect();
        if live.is_empty() {
            return;
        }
        let (kind, vm, task, pid, _) = self.rng.pick(&live).clone();
        // SAFETY: kill has no memory-safety preconditions.
        if unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) } == 0 {
            self.worker_kills += 1;
            *self.kills_by_kind.entry(kind.clone()).or_default() += 1;
            if let Some(task) = task {
                *self.kills_per_task.entry(task).or_default() += 1;
            }
            eprintln!("chaos: killed the {kind} worker of {vm} (pid {pid})");
        }
    }

    /// Starts the libvirtd outage in the background: stop, 5 s without a daemon, start.
    fn start_bounce(&mut self) {
        eprintln!("chaos: stopping libvirtd for 5 s");
        self.bounce = Some(std::thread::spawn(|| {
            let start = Instant::now();
            let status = Command::new(script("libvirt-setup.sh"))
                .args(["bounce", "5"])
                .stdin(Stdio::null())
                .status()
                .expect("run scripts/libvirt-setup.sh bounce");
            (status.code().unwrap_or(-1), start.elapsed())
        }));
    }

    /// Collects the bounce's outcome once it has ended (or waits for it with `wait`).
    fn check_bounce(&mut self, wait: bool) {
        if self
            .bounce
            .as_ref()
            .is_some_and(|b| wait || b.is_finished())
        {
            let result = self.bounce.take().unwrap().join().unwrap();
            eprintln!(
                "chaos: libvirtd bounce ended with {} after {:.1?}",
                result.0, result.1
            );
            self.bounce_result = Some(result);
        }
    }
}

fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scripts")
        .join(name)
}

/// The run's domains, removed (with their snapshots and disks) when dropped.
struct Domains {
    names: Vec<String>,
}

impl Domains {
    fn create(tag: &str) -> Domains {
        assert!(
            Command::new("virsh")
                .args(["-q", "-c", URI, "version"])
                .output()
                .is_ok_and(|o| o.status.success()),
            "{URI} does not answer: run `scripts/libvirt-setup.sh start` (as root) first"
        );
        let mut domains = Domains { names: Vec::new() };
        let pid = std::process::id();
        let snapshots: Vec<&str> = SHARED.iter().map(|(s, _)| *s).collect();
        for (suffix, snapshots) in [
            ("s1", &snapshots[..]),
            ("s2", &snapshots[..]),
            ("s3", &snapshots[..]),
            ("p1", &["clean"][..]),
            ("p2", &["clean"][..]),
        ] {
            let name = format!("vmsched-{tag}-{pid}-{suffix}");
            domains.names.push(name.clone());
            let status = Command::new(script("qemu-test-domain.sh"))
                .args(["create", &name])
                .args(snapshots)
                .status()
                .expect("run scripts/qemu-test-domain.sh");
            assert!(status.success(), "cannot create domain {name}");
            // Off, as an admin leaves a domain that no instance uses.
            let _ = Command::new("virsh")
                .args(["-q", "-c", URI, "destroy", &name])
                .output();
        }
        domains
    }
}

impl Drop for Domains {
    fn drop(&mut self) {
        for name in &self.names {
            let _ = Command::new(script("qemu-test-domain.sh"))
                .args(["remove", name])
                .status();
        }
    }
}

/// A soak run: its lab, domains, and what it saw.
struct Soak {
    tag: &'static str,
    lab: Lab,
    domains: Domains,
    chaos: Option<Chaos>,
}

/// What a run measured.
#[derive(Default)]
struct Figures {
    passes: usize,
    duration: Duration,
    tasks: usize,
    attempts: usize,
    requeued: usize,
    checks_passed: usize,
    went_offline: Vec<String>,
    monitor_recoveries: usize,
    history_rows: usize,
    chaos: Option<ChaosFigures>,
}

#[derive(Default)]
struct ChaosFigures {
    worker_kills: usize,
    kills_by_kind: BTreeMap<String, usize>,
    pass_kills: usize,
    pass_kills_after_commit: usize,
    pass_kills_missed: usize,
    bounce: Option<(i32, Duration)>,
    max_tries: u32,
    pass_time: Duration,
}

impl Figures {
    /// The figures in words, as docs/reliability.md quotes them.
    fn summary(&self) -> String {
        let mut text = format!(
            "{} passes in {:.0?}; {} tasks, {} attempts ({} requeued), {} snapshot checks \
             passed; {} history rows replayed; went offline: {:?}, back through a monitor: {}",
            self.passes,
            self.duration,
            self.tasks,
            self.attempts,
            self.requeued,
            self.checks_passed,
            self.history_rows,
            self.went_offline,
            self.monitor_recoveries
        );
        if let Some(c) = &self.chaos {
            text.push_str(&format!(
                "; kills: {} workers {:?}, {} passes ({} of them after committing operations; {} ended \
                 before the chosen moment; a pass that starts workers takes about {:.0?}); \
                 libvirtd bounce: {}; most tries of a task: {}",
                c.worker_kills,
                c.kills_by_kind,
                c.pass_kills,
                c.pass_kills_after_commit,
                c.pass_kills_missed,
                c.pass_time,
                match c.bounce {
                    Some((0, took)) => format!("down and up again in {took:.1?}"),
                    Some((code, _)) => format!("exit {code}"),
                    None => "not run".to_string(),
                },
                c.max_tries
            ));
        }
        text
    }
}

impl Soak {
    fn new(tag: &'static str, chaos: Option<Chaos>) -> Soak {
        let lab = Lab::new();
        let domains = Domains::create(tag);
        Soak {
            tag,
            lab,
            domains,
            chaos,
        }
    }

    /// The instances: (name, domain, snapshot, role, kind).
    fn instances(&self) -> Vec<(String, String, String, String, String)> {
        let mut vms = Vec::new();
        for (i, domain) in self.domains.names[..3].iter().enumerate() {
            for (snapshot, role) in SHARED {
                let name = format!("s{}{snapshot}", i + 1);
                vms.push((
                    name,
                    domain.clone(),
                    snapshot.to_string(),
                    role.to_string(),
                    "win64".to_string(),
                ));
            }
        }
        for (i, domain) in self.domains.names[3..].iter().enumerate() {
            let kind = if i == 0 { "build" } else { "wine" };
            vms.push((
                format!("p{}", i + 1),
                domain.clone(),
                "clean".to_string(),
                "base".to_string(),
                kind.to_string(),
            ));
        }
        vms
    }

    fn ok(&self, args: &[&str]) -> String {
        self.lab.run(args).ok().stdout
    }

    /// Registers the lab, raises the local host's limits, shortens the intervals and submits
    /// the jobs: five rounds of one task on each of the 11 VMs, one job on the 9 shared
    /// instances, and a two-step job (build, then 3 VMs): 68 tasks.
    fn setup(&mut self) -> usize {
        let mut inventory = String::new();
        for (name, domain, snapshot, role, kind) in self.instances() {
            inventory.push_str(&format!(
                "[[vm]]\nname = \"{name}\"\nuri = \"{URI}\"\ndomain = \"{domain}\"\n\
                 snapshot = \"{snapshot}\"\nrole = \"{role}\"\nkind = \"{kind}\"\n\n"
            ));
        }
        let inventory = self.lab.write("lab.toml", &inventory);
        self.ok(&["vms", "import", &inventory]);
        self.ok(&[
            "hosts",
            "set",
            "localhost",
            "--max-active",
            "4",
            "--max-running",
            "3",
            "--max-reverting",
            "2",
            "--max-reverts-while-running",
            "2",
        ]);
        let tries = if self.chaos.is_some() {
            MAX_TASK_TRIES
        } else {
            3
        };
        for (key, value) in [
            ("sleep_after_revert", 0),
            ("monitor_interval", 2),
            ("monitor_interval_errors", 3),
            ("max_task_tries", tries),
        ] {
            self.ok(&["settings", "set", key, &value.to_string()]);
        }
        let exe = assert_cmd::cargo::cargo_bin("vmsched");
        let check = [
            exe.to_str().unwrap(),
            "--timeout",
            "60",
            "demo",
            "--check-task",
        ];
        let names: Vec<String> = self.instances().into_iter().map(|v| v.0).collect();
        let mut rng = Rng::new(7);
        let mut tasks = 0;
        for _round in 0..5 {
            for name in &names {
                let priority = (1 + rng.below(9)).to_string();
                let mut args = vec![
                    "jobs",
                    "submit",
                    "--priority",
                    &priority,
                    "--task-timeout",
                    "120",
                    "--vm",
                    name,
                    "--",
                ];
                args.extend(check);
                self.ok(&args);
                tasks += 1;
            }
        }
        let mut args = vec!["jobs", "submit", "--remarks", "every shared instance"];
        for name in &names[..9] {
            args.extend(["--vm", name]);
        }
        args.push("--");
        args.extend(check);
        self.ok(&args);
        tasks += 9;
        let command = serde_json::to_string(&check).unwrap();
        let steps = self.lab.write(
            "steps.toml",
            &format!(
                "remarks = \"build then test\"\n\n[[step]]\nname = \"build\"\nvms = [\"p1\"]\n\
                 command = {command}\ntimeout = 120\n\n[[step]]\nname = \"test\"\nafter = \"build\"\n\
                 vms = [\"s1b\", \"s2c\", \"p2\"]\ncommand = {command}\ntimeout = 120\n"
            ),
        );
        self.ok(&["jobs", "submit", "--file", &steps]);
        tasks + 4
    }

    fn query<T: rusqlite::types::FromSql>(&self, sql: &str) -> T {
        Connection::open(&self.lab.db)
            .unwrap()
            .query_row(sql, [], |r| r.get(0))
            .unwrap()
    }

    /// One pass as cron runs it (no --wait: the workers go on detached). Under chaos some
    /// passes are SIGKILLed at a random moment inside them. Returns an unexpected failure.
    fn pass(&mut self) -> Option<String> {
        let last_op: i64 = self.query("SELECT COALESCE(MAX(id), 0) FROM operations");
        let mut child = self
            .lab
            .std_cmd(&["schedule-once"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start a pass");
        let start = Instant::now();
        if let Some(chaos) = self.chaos.as_mut().filter(|c| c.pass_kills < PASS_KILLS) {
            // A decided kill waits for a pass it can hit (one still running at the moment).
            if chaos.pass_kill.is_none() && chaos.rng.chance(0.1) {
                chaos.pass_kill = Some(chaos.rng.chance(0.5));
            }
            if let Some(at_random) = chaos.pass_kill {
                if at_random {
                    // At a random moment, most often before the pass has written anything.
                    let within = (chaos.pass_time.as_micros() * 6 / 5).max(1) as u64;
                    std::thread::sleep(Duration::from_micros(chaos.rng.below(within)));
                } else {
                    // As soon as its operations are committed: workers not yet released.
                    let conn = Connection::open(&self.lab.db).unwrap();
                    while child.try_wait().unwrap().is_none()
                        && conn
                            .query_row("SELECT COALESCE(MAX(id), 0) FROM operations", [], |r| {
                                r.get::<_, i64>(0)
                            })
                            .unwrap()
                            == last_op
                    {
                        std::thread::sleep(Duration::from_micros(300));
                    }
                }
                if child.try_wait().unwrap().is_none() {
                    child.kill().unwrap();
                    let out = child.wait_with_output().unwrap();
                    use std::os::unix::process::ExitStatusExt;
                    if out.status.signal() == Some(libc::SIGKILL) {
                        let took = start.elapsed();
                        let after: i64 = self.query("SELECT COALESCE(MAX(id), 0) FROM operations");
                        let chaos = self.chaos.as_mut().unwrap();
                        chaos.pass_kill = None;
                        chaos.pass_kills += 1;
                        let committed = after > last_op;
                        chaos.pass_kills_after_commit += usize::from(committed);
                        eprintln!(
                            "chaos: killed a pass after {took:.0?} ({})",
                            if committed {
                                "committed"
                            } else {
                                "not committed"
                            }
                        );
                        return None;
                    }
                    return check_pass(&out);
                }
                chaos.pass_kills_missed += 1;
            }
        }
        let out = child.wait_with_output().unwrap();
        let took = start.elapsed();
        let after: i64 = self.query("SELECT COALESCE(MAX(id), 0) FROM operations");
        if let Some(chaos) = self.chaos.as_mut().filter(|_| after > last_op) {
            chaos.pass_time = (chaos.pass_time * 3 + took) / 4;
        }
        check_pass(&out)
    }

    /// Sets up, loops passes until every job has ended and the lab has settled, checks the
    /// invariants and returns the figures.
    fn run(mut self) -> Figures {
        let total = self.setup();
        let mut figures = Figures {
            tasks: total,
            ..Figures::default()
        };
        let start = Instant::now();
        let mut failures = Vec::new();
        let mut settled_since: Option<Instant> = None;
        loop {
            let open: i64 = self.query("SELECT COUNT(*) FROM jobs WHERE ended IS NULL");
            if open == 0 {
                // Every job has ended: go on until no VM is offline and no worker is left
                // (the outage has passed, monitors brought the VMs back).
                let offline: i64 = self.query("SELECT COUNT(*) FROM vms WHERE status = 'offline'");
                let live: i64 = self.query("SELECT COUNT(*) FROM operations WHERE ended IS NULL");
                let bouncing = self.chaos.as_ref().is_some_and(|c| c.bounce.is_some());
                if offline == 0 && live == 0 && !bouncing {
                    break;
                }
                let since = *settled_since.get_or_insert_with(Instant::now);
                assert!(
                    since.elapsed() < MAX_SETTLE,
                    "the lab did not settle: {offline} VMs offline, {live} live operations\n{}",
                    self.state()
                );
            }
            assert!(
                start.elapsed() < MAX_RUN,
                "{open} jobs still open after {:?}\n{}",
                MAX_RUN,
                self.state()
            );
            let done: i64 = self.query("SELECT COUNT(*) FROM tasks WHERE status = 'completed'");
            if let Some(chaos) = self.chaos.as_mut() {
                if chaos.bounce.is_none()
                    && chaos.bounce_result.is_none()
                    && done as usize >= total / 4
                {
                    chaos.start_bounce();
                }
                chaos.check_bounce(false);
                if chaos.worker_kills < WORKER_KILLS && chaos.rng.chance(0.2) {
                    chaos.kill_a_worker(&self.lab.db);
                }
            }
            if let Some(failure) = self.pass() {
                failures.push(failure);
            }
            figures.passes += 1;
            std::thread::sleep(PASS_INTERVAL);
        }
        figures.duration = start.elapsed();
        let max_tries: u32 = self.query("SELECT MAX(tries) FROM tasks");
        if let Some(chaos) = self.chaos.as_mut() {
            chaos.check_bounce(true);
            chaos.max_tries = max_tries;
        }
        self.check(&mut figures, &failures);
        figures
    }

    /// The invariants, then the figures on stderr.
    fn check(&mut self, figures: &mut Figures, failures: &[String]) {
        let db = self.lab.db.clone();
        let (checks, wrong) = invariants::snapshot_checks(self.lab.path());
        let (rows, overlaps) = invariants::sibling_overlaps(&db);
        let (starts, doubles) = invariants::double_starts(&db);
        figures.checks_passed = checks;
        figures.history_rows = rows;
        figures.attempts = starts;
        figures.requeued = self.query::<i64>("SELECT COALESCE(SUM(tries), 0) FROM tasks") as usize;
        figures.went_offline = self
            .lab
            .rows("SELECT DISTINCT vm FROM history WHERE new_status = 'offline' ORDER BY vm");
        figures.monitor_recoveries = self.query::<i64>(
            "SELECT COUNT(*) FROM history WHERE detail LIKE 'off monitor%' AND new_status = 'off'",
        ) as usize;
        figures.chaos = self.chaos.as_ref().map(|c| ChaosFigures {
            worker_kills: c.worker_kills,
            kills_by_kind: c.kills_by_kind.clone(),
            pass_kills: c.pass_kills,
            pass_kills_after_commit: c.pass_kills_after_commit,
            pass_kills_missed: c.pass_kills_missed,
            bounce: c.bounce_result,
            max_tries: c.max_tries,
            pass_time: c.pass_time,
        });
        eprintln!("{} figures: {}", self.tag, figures.summary());
        if let Some(c) = &self.chaos {
            eprintln!("{} seed: {} (VMSCHED_SEED replays it)", self.tag, c.seed);
        }
        let not_completed = self.lab.rows(
            "SELECT job || '/' || step || '/' || no || ' on ' || vm || ': ' || status || ' (tries ' || tries || ')'
             FROM tasks WHERE status != 'completed' ORDER BY job, step, no",
        );
        let tasks: i64 = self.query("SELECT COUNT(*) FROM tasks");
        assert_eq!(tasks as usize, figures.tasks, "tasks in the database");
        assert!(
            wrong.is_empty(),
            "tasks saw a wrong snapshot:\n{}",
            wrong.join("\n")
        );
        assert!(
            overlaps.is_empty(),
            "siblings non-off together:\n{}",
            overlaps.join("\n")
        );
        assert!(doubles.is_empty(), "double starts:\n{}", doubles.join("\n"));
        assert!(
            not_completed.is_empty(),
            "tasks that did not complete:\n{}\n{}",
            not_completed.join("\n"),
            self.state()
        );
        assert!(
            checks >= 2 * figures.tasks,
            "{checks} snapshot checks passed for {} tasks",
            figures.tasks
        );
        assert!(
            failures.is_empty(),
            "passes failed:\n{}",
            failures.join("\n")
        );
        let jobs = self
            .lab
            .rows("SELECT id FROM jobs WHERE status != 'completed'");
        assert!(jobs.is_empty(), "jobs not completed: {jobs:?}");
        // A VM leaves `offline` only through its monitor here (no admin acts).
        assert!(
            figures.monitor_recoveries >= figures.went_offline.len(),
            "offline VMs that did not come back through a monitor"
        );
        if let Some(chaos) = &self.chaos {
            let bounce = chaos.bounce_result.expect("the libvirtd bounce ran");
            // 3: the script said SKIP (a libvirtd it did not start): no outage, said so.
            assert!(
                bounce.0 == 0 || bounce.0 == 3,
                "scripts/libvirt-setup.sh bounce failed ({})",
                bounce.0
            );
        }
    }

    /// The VMs, live operations and last history rows, for a failure message.
    fn state(&self) -> String {
        let mut text = String::new();
        for (title, sql) in [
            (
                "vms",
                "SELECT name, status, errors, operation FROM vms ORDER BY name",
            ),
            (
                "live operations",
                "SELECT id, vm, kind, pid, deadline FROM operations WHERE ended IS NULL",
            ),
            (
                "history",
                "SELECT * FROM (SELECT id, time, vm, old_status, new_status, detail FROM history
                 ORDER BY id DESC LIMIT 40) ORDER BY id",
            ),
        ] {
            text.push_str(&format!("{title}:\n"));
            for row in self.lab.rows(sql) {
                text.push_str(&format!("  {row}\n"));
            }
        }
        let log = self.lab.path().join("logs/workers.log");
        text.push_str(&format!(
            "workers.log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        ));
        text
    }
}

/// A pass must succeed; its stderr holds only cron's alerts (offline VMs, boterror tasks).
fn check_pass(out: &std::process::Output) -> Option<String> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Some(format!("pass exited with {}: {stderr}", out.status));
    }
    stderr
        .lines()
        .find(|l| l.starts_with("error") || l.to_lowercase().contains("database"))
        .map(|l| format!("pass said: {l}"))
}
