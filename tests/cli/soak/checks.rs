//! What a run measured, and the invariants checked once it has ended; the figures are printed
//! on stderr (docs/reliability.md quotes them).

use super::Soak;
use crate::invariants;
use std::collections::BTreeMap;
use std::time::Duration;

/// What a run measured.
#[derive(Default)]
pub(super) struct Figures {
    pub(super) passes: usize,
    pub(super) duration: Duration,
    pub(super) tasks: usize,
    pub(super) attempts: usize,
    pub(super) requeued: usize,
    pub(super) checks_passed: usize,
    pub(super) went_offline: Vec<String>,
    pub(super) monitor_recoveries: usize,
    pub(super) history_rows: usize,
    pub(super) chaos: Option<ChaosFigures>,
}

#[derive(Default)]
pub(super) struct ChaosFigures {
    pub(super) worker_kills: usize,
    pub(super) kills_by_kind: BTreeMap<String, usize>,
    pub(super) pass_kills: usize,
    pub(super) pass_kills_after_commit: usize,
    pub(super) pass_kills_missed: usize,
    pub(super) bounce: Option<(i32, Duration)>,
    pub(super) max_tries: u32,
    pub(super) pass_time: Duration,
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
    /// The invariants, then the figures on stderr.
    pub(super) fn check(&mut self, figures: &mut Figures, failures: &[String]) {
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
            "SELECT COUNT(*) FROM history WHERE kind = 'monitor' AND new_status = 'off'",
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
    pub(super) fn state(&self) -> String {
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
