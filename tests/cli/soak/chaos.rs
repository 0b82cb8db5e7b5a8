//! The chaos of the chaos soak: SIGKILLed workers and one libvirtd outage; the passes it kills
//! are chosen in `passes.rs`.

use crate::invariants::{self, Rng, TaskKey};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Stops libvirtd for a while and starts it again (`bounce SECONDS`).
const LIBVIRT_SETUP: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/libvirt-setup.sh");

/// `max_task_tries` under chaos: above what a task can lose to kills (at most
/// `KILLS_PER_TASK` of its workers, plus passes killed after starting it).
pub(super) const MAX_TASK_TRIES: u32 = 12;
const KILLS_PER_TASK: u32 = 3;
/// Kills each kind of chaos aims at (at least 20 together).
pub(super) const WORKER_KILLS: usize = 16;
pub(super) const PASS_KILLS: usize = 12;

/// The chaos of a run: what to kill, when, and what was killed.
pub(super) struct Chaos {
    pub(super) seed: u64,
    pub(super) rng: Rng,
    pub(super) worker_kills: usize,
    pub(super) kills_by_kind: BTreeMap<String, usize>,
    pub(super) pass_kills: usize,
    /// Killed passes that had committed (their operations exist; workers never released).
    pub(super) pass_kills_after_commit: usize,
    /// Passes that ended by themselves before the chosen moment to kill them.
    pub(super) pass_kills_missed: usize,
    /// A pass kill decided and not done yet: at a random moment (true) or just after the
    /// pass's commit (false).
    pub(super) pass_kill: Option<bool>,
    kills_per_task: BTreeMap<TaskKey, u32>,
    /// The libvirtd bounce: running, then its outcome.
    pub(super) bounce: Option<std::thread::JoinHandle<(i32, Duration)>>,
    pub(super) bounce_result: Option<(i32, Duration)>,
    /// How long passes that started workers took, to choose a moment inside one.
    pub(super) pass_time: Duration,
    pub(super) max_tries: u32,
}

impl Chaos {
    pub(super) fn new(seed: u64) -> Chaos {
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
    pub(super) fn kill_a_worker(&mut self, db: &Path) {
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
        if kill(Pid::from_raw(pid as i32), Signal::SIGKILL).is_ok() {
            self.worker_kills += 1;
            *self.kills_by_kind.entry(kind.clone()).or_default() += 1;
            if let Some(task) = task {
                *self.kills_per_task.entry(task).or_default() += 1;
            }
            eprintln!("chaos: killed the {kind} worker of {vm} (pid {pid})");
        }
    }

    /// Starts the libvirtd outage in the background: stop, 5 s without a daemon, start.
    pub(super) fn start_bounce(&mut self) {
        eprintln!("chaos: stopping libvirtd for 5 s");
        self.bounce = Some(std::thread::spawn(|| {
            let start = Instant::now();
            let status = Command::new(LIBVIRT_SETUP)
                .args(["bounce", "5"])
                .stdin(Stdio::null())
                .status()
                .expect("run scripts/libvirt-setup.sh bounce");
            (status.code().unwrap_or(-1), start.elapsed())
        }));
    }

    /// Collects the bounce's outcome once it has ended (or waits for it with `wait`).
    pub(super) fn check_bounce(&mut self, wait: bool) {
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
