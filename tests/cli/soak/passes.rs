//! The run: a sub-second loop of `schedule-once` as cron would run it, some passes killed
//! under chaos, until every job has ended and the lab has settled.

use super::chaos::{PASS_KILLS, WORKER_KILLS};
use super::checks::Figures;
use super::{Soak, MAX_RUN, MAX_SETTLE, PASS_INTERVAL};
use rusqlite::Connection;
use std::process::Stdio;
use std::time::{Duration, Instant};

impl Soak {
    pub(super) fn query<T: rusqlite::types::FromSql>(&self, sql: &str) -> T {
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
                    if out.status.signal() == Some(nix::sys::signal::SIGKILL as i32) {
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
    pub(super) fn run(mut self) -> Figures {
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
