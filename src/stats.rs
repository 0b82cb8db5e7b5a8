//! Stats of a period, aggregated from history events (docs/interfaces.md, "Stats"): pure,
//! no store, no clock, so every definition is tested on data. `vmsched stats` reads the
//! events and prints what this makes of them; `vmsched metrics` uses the percentiles' and
//! histograms' arithmetic.

use crate::model::VmStatus;
use crate::store::stats::{Completed, Event};
use serde::Serialize;
use std::collections::BTreeMap;

/// The task results a history `task` row can have, in the order stats print them (`queued`:
/// the attempt ended and the task went back to the queue).
pub const TASK_RESULTS: [&str; 6] = [
    "completed",
    "failed",
    "timeout",
    "boterror",
    "queued",
    "canceled",
];

/// The value at percentile `p` (0 to 100) of sorted values, by the nearest-rank method: the
/// smallest value that at least `p`% of the values do not exceed. `None` when empty.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let rank = (n * p.min(100) as usize).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

/// Whether a `revert` or `task` result ends or extends a streak of errors: a failed revert or
/// a task attempt that ended `failed`, `timeout` or `boterror` is an error; a `completed`
/// task ends the streak; anything else (a revert that succeeded or was interrupted, an
/// attempt sent back to the queue, a cancel) changes nothing, so a VM whose every task fails
/// keeps counting through its good reverts.
fn streak_step(kind: &str, result: Option<&str>) -> Option<bool> {
    match (kind, result?) {
        ("revert", "failed") | ("task", "failed" | "timeout" | "boterror") => Some(true),
        ("task", "completed") => Some(false),
        _ => None,
    }
}

/// What one VM, or the VMs of one host, did over the period, as stats print it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub reverts: Reverts,
    /// Seconds spent in each VM status.
    pub time_in_status: BTreeMap<&'static str, u64>,
    /// Task attempts by how they ended (`TASK_RESULTS`).
    pub tasks: BTreeMap<&'static str, u32>,
    pub error_streak: Streak,
    /// The last task that completed, whenever that was.
    pub last_completed: Option<Completed>,
    /// Times the VM gave its domain up to another (`lost`) and took one (`won`).
    pub steals: Pair,
    /// Times the VM was powered off for another (`lost`), and another for it (`won`).
    pub sacrifices: Pair,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Reverts {
    pub count: u32,
    pub failed: u32,
    /// Over every revert with a recorded duration, ended well or not.
    pub median_ms: Option<i64>,
    pub p95_ms: Option<i64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Streak {
    /// Errors since the last completed task.
    pub current: u32,
    /// The most errors in a row over the period.
    pub longest: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Pair {
    pub lost: u32,
    pub won: u32,
}

/// The running sums of one VM or host; `summary` finishes them.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    durations: Vec<i64>,
    reverts: u32,
    failed_reverts: u32,
    time: BTreeMap<&'static str, u64>,
    tasks: BTreeMap<&'static str, u32>,
    streak: Streak,
    steals: Pair,
    sacrifices: Pair,
    /// The VM's status since when (seconds since the epoch), while it is known.
    status: Option<(&'static str, i64)>,
}

/// The static word of a status, so tallies hold no strings; `None` for an unknown one.
fn status_word(status: &str) -> Option<&'static str> {
    VmStatus::WORDS.iter().copied().find(|w| *w == status)
}

impl Tally {
    /// A VM whose status at the period's start (`start`, seconds) is `status`, if known.
    pub fn new(status: Option<&str>, start: i64) -> Tally {
        Tally {
            status: status.and_then(status_word).map(|s| (s, start)),
            ..Tally::default()
        }
    }

    /// Counts the time spent in the current status up to `time` and moves to `status`. A time
    /// before the current status began (the wall clock stepped back) counts as that moment,
    /// so no time counts twice.
    fn enter(&mut self, status: Option<&'static str>, time: i64) {
        let mut time = time;
        if let Some((old, since)) = self.status {
            time = time.max(since);
            *self.time.entry(old).or_default() += u64::try_from(time - since).unwrap_or(0);
        }
        self.status = status.map(|s| (s, time));
    }

    /// Adds one event about this VM (`vm` of the event), oldest first. `start` is the
    /// period's start: a VM with no known status gets the first event's old status from then.
    pub fn add(&mut self, event: &Event, start: i64) {
        if self.status.is_none() {
            if let Some(old) = event.old_status.as_deref().and_then(status_word) {
                self.status = Some((old, start));
            }
        }
        if let Some(new) = event.new_status.as_deref().and_then(status_word) {
            self.enter(Some(new), event.time);
        }
        match event.kind.as_str() {
            "revert" => {
                self.reverts += 1;
                if event.result.as_deref() == Some("failed") {
                    self.failed_reverts += 1;
                }
                self.durations.extend(event.duration_ms);
            }
            "task" => {
                let result = event.result.as_deref().unwrap_or_default();
                if let Some(word) = TASK_RESULTS.iter().find(|w| **w == result) {
                    *self.tasks.entry(word).or_default() += 1;
                }
            }
            "steal" => self.steals.lost += 1,
            "sacrifice" => self.sacrifices.lost += 1,
            _ => {}
        }
        match streak_step(&event.kind, event.result.as_deref()) {
            Some(true) => {
                self.streak.current += 1;
                self.streak.longest = self.streak.longest.max(self.streak.current);
            }
            Some(false) => self.streak.current = 0,
            None => {}
        }
    }

    /// Adds a steal (`kind` `steal`) or sacrifice made for this VM.
    pub fn won(&mut self, kind: &str) {
        match kind {
            "steal" => self.steals.won += 1,
            "sacrifice" => self.sacrifices.won += 1,
            _ => {}
        }
    }

    /// Ends the period at `end` (seconds): the current status counts until then.
    fn close(&mut self, end: i64) {
        let status = self.status.map(|(s, _)| s);
        self.enter(status, end);
    }

    /// Adds another tally (a host's VMs): counts and times add up, revert durations pool,
    /// streaks are the worst VM's.
    pub fn merge(&mut self, other: &Tally) {
        self.durations.extend(&other.durations);
        self.reverts += other.reverts;
        self.failed_reverts += other.failed_reverts;
        for (status, secs) in &other.time {
            *self.time.entry(status).or_default() += secs;
        }
        for (result, n) in &other.tasks {
            *self.tasks.entry(result).or_default() += n;
        }
        self.streak.current = self.streak.current.max(other.streak.current);
        self.streak.longest = self.streak.longest.max(other.streak.longest);
        for (mine, theirs) in [
            (&mut self.steals, other.steals),
            (&mut self.sacrifices, other.sacrifices),
        ] {
            mine.lost += theirs.lost;
            mine.won += theirs.won;
        }
    }

    /// The summary, with every status and task result listed (0 when none).
    pub fn summary(&self, last_completed: Option<Completed>) -> Summary {
        let mut durations = self.durations.clone();
        durations.sort_unstable();
        let time_in_status = VmStatus::WORDS
            .iter()
            .map(|w| (*w, self.time.get(w).copied().unwrap_or(0)))
            .collect();
        let tasks = TASK_RESULTS
            .iter()
            .map(|w| (*w, self.tasks.get(w).copied().unwrap_or(0)))
            .collect();
        Summary {
            reverts: Reverts {
                count: self.reverts,
                failed: self.failed_reverts,
                median_ms: percentile(&durations, 50),
                p95_ms: percentile(&durations, 95),
            },
            time_in_status,
            tasks,
            error_streak: self.streak,
            last_completed,
            steals: self.steals,
            sacrifices: self.sacrifices,
        }
    }
}

/// The tallies of a period being read, oldest event first: only VMs begun are tallied, so a
/// selection costs nothing for the others.
pub struct Period {
    /// Seconds since the epoch.
    start: i64,
    tallies: BTreeMap<String, Tally>,
}

impl Period {
    pub fn new(start: i64) -> Period {
        Period {
            start,
            tallies: BTreeMap::new(),
        }
    }

    /// Whether `vm` is tallied.
    pub fn has(&self, vm: &str) -> bool {
        self.tallies.contains_key(vm)
    }

    /// Tallies `vm`, whose status at the start is `status` when known (else its first
    /// event's old status, from the start).
    pub fn begin(&mut self, vm: &str, status: Option<&str>) {
        let tally = Tally::new(status, self.start);
        self.tallies.insert(vm.to_string(), tally);
    }

    /// Adds an event to the VM's tally, and a steal or sacrifice to the tally of the VM it
    /// was for, for those begun.
    pub fn add(&mut self, event: &Event) {
        if let Some(tally) = self.tallies.get_mut(&event.vm) {
            tally.add(event, self.start);
        }
        let for_vm = event.for_vm.as_deref().unwrap_or_default();
        if let Some(tally) = self.tallies.get_mut(for_vm) {
            tally.won(&event.kind);
        }
    }

    /// Ends the period at `end` (seconds): every VM's current status counts until then.
    pub fn close(mut self, end: i64) -> BTreeMap<String, Tally> {
        for tally in self.tallies.values_mut() {
            tally.close(end);
        }
        self.tallies
    }
}

/// A Prometheus histogram: counts of observations at or below each bound, their sum and
/// count.
#[derive(Clone, Debug, PartialEq)]
pub struct Histogram {
    /// Upper bounds, ascending, without `+Inf`.
    pub bounds: Vec<f64>,
    /// Observations at or below each bound (cumulative, as the format wants).
    pub cumulative: Vec<u64>,
    pub sum: f64,
    pub count: u64,
}

impl Histogram {
    pub fn new(bounds: &[f64]) -> Histogram {
        Histogram {
            bounds: bounds.to_vec(),
            cumulative: vec![0; bounds.len()],
            sum: 0.0,
            count: 0,
        }
    }

    pub fn observe(&mut self, value: f64) {
        for (bound, n) in self.bounds.iter().zip(&mut self.cumulative) {
            if value <= *bound {
                *n += 1;
            }
        }
        self.sum += value;
        self.count += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(time: i64, kind: &str, old: Option<&str>, new: Option<&str>) -> Event {
        Event {
            time,
            vm: "w10".to_string(),
            kind: kind.to_string(),
            old_status: old.map(str::to_string),
            new_status: new.map(str::to_string),
            result: None,
            duration_ms: None,
            for_vm: None,
        }
    }

    /// The tallies of `events` from `start` to `end`: the VMs of `known` with their status
    /// at the start, every other VM named with none.
    fn tally(
        events: &[Event],
        start: i64,
        known: &[(&str, &str)],
        end: i64,
    ) -> BTreeMap<String, Tally> {
        let mut period = Period::new(start);
        for (vm, status) in known {
            period.begin(vm, Some(status));
        }
        for event in events {
            for vm in [Some(&event.vm), event.for_vm.as_ref()]
                .into_iter()
                .flatten()
            {
                if !period.has(vm) {
                    period.begin(vm, None);
                }
            }
            period.add(event);
        }
        period.close(end)
    }

    fn result(mut event: Event, result: &str, ms: Option<i64>) -> Event {
        event.result = Some(result.to_string());
        event.duration_ms = ms;
        event
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 50), Some(7));
        assert_eq!(percentile(&[7], 95), Some(7));
        assert_eq!(percentile(&[1, 2, 3, 4], 50), Some(2));
        assert_eq!(percentile(&[1, 2, 3, 4, 5], 50), Some(3));
        let hundred: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&hundred, 95), Some(95));
        assert_eq!(percentile(&hundred, 0), Some(1));
        assert_eq!(percentile(&hundred, 100), Some(100));
        let twenty: Vec<i64> = (1..=20).collect();
        assert_eq!(percentile(&twenty, 95), Some(19));
    }

    #[test]
    fn time_in_status_runs_from_the_start_to_the_end() {
        // Idle at the start (second 100), running from 130, dirty from 190, end at 200.
        let events = [
            event(130, "start", Some("idle"), Some("running")),
            result(
                event(190, "task", Some("running"), Some("dirty")),
                "completed",
                Some(60_000),
            ),
        ];
        let tallies = tally(&events, 100, &[("w10", "idle")], 200);
        let summary = tallies["w10"].summary(None);
        assert_eq!(summary.time_in_status["idle"], 30);
        assert_eq!(summary.time_in_status["running"], 60);
        assert_eq!(summary.time_in_status["dirty"], 10);
        assert_eq!(summary.time_in_status["off"], 0);
        assert_eq!(summary.time_in_status.values().sum::<u64>(), 100);
        assert_eq!(summary.tasks["completed"], 1);
        assert_eq!(summary.tasks["failed"], 0);
    }

    #[test]
    fn an_unknown_start_status_comes_from_the_first_old_status_or_the_first_new_one() {
        // Nothing known before: the first row's old status counts from the start.
        let events = [event(150, "status", Some("off"), Some("reverting"))];
        let tallies = tally(&events, 100, &[], 200);
        let time = tallies["w10"].summary(None).time_in_status;
        assert_eq!((time["off"], time["reverting"]), (50, 50));
        // A VM added during the period (no old status): counted from its first status.
        let events = [event(150, "admin", None, Some("off"))];
        let tallies = tally(&events, 100, &[], 200);
        let time = tallies["w10"].summary(None).time_in_status;
        assert_eq!(time.values().sum::<u64>(), 50);
    }

    #[test]
    fn a_clock_stepped_back_counts_no_time_twice() {
        // Running from 150; a row stamped 120 (the clock went back 30 s) ends it; end at 200.
        let events = [
            event(150, "start", Some("idle"), Some("running")),
            event(120, "status", Some("running"), Some("dirty")),
        ];
        let tallies = tally(&events, 100, &[("w10", "idle")], 200);
        let time = tallies["w10"].summary(None).time_in_status;
        assert_eq!((time["idle"], time["running"], time["dirty"]), (50, 0, 50));
    }

    #[test]
    fn reverts_count_with_their_median_and_p95() {
        let events: Vec<Event> = [(1000, "ok"), (3000, "failed"), (2000, "ok")]
            .into_iter()
            .enumerate()
            .map(|(i, (ms, r))| {
                let e = event(i as i64, "revert", Some("reverting"), Some("idle"));
                result(e, r, Some(ms))
            })
            .collect();
        let tallies = tally(&events, 0, &[], 0);
        let summary = tallies["w10"].summary(None);
        assert_eq!(
            summary.reverts,
            Reverts {
                count: 3,
                failed: 1,
                median_ms: Some(2000),
                p95_ms: Some(3000)
            }
        );
    }

    #[test]
    fn error_streaks_end_with_a_completed_task_only() {
        let rows = [
            ("task", "failed"),
            ("revert", "ok"),
            ("task", "timeout"),
            ("revert", "failed"),
            ("task", "queued"),
            ("task", "completed"),
            ("task", "boterror"),
        ];
        let events: Vec<Event> = rows
            .iter()
            .map(|(kind, r)| result(event(0, kind, None, None), r, None))
            .collect();
        let tallies = tally(&events, 0, &[], 0);
        let summary = tallies["w10"].summary(None);
        assert_eq!(
            summary.error_streak,
            Streak {
                current: 1,
                longest: 3
            }
        );
        assert_eq!(summary.tasks["queued"], 1);
    }

    #[test]
    fn steals_and_sacrifices_count_for_both_vms_and_hosts_merge() {
        let mut steal = event(10, "steal", Some("idle"), Some("off"));
        steal.for_vm = Some("w10_fr".to_string());
        let mut sacrifice = event(20, "sacrifice", Some("idle"), Some("dirty"));
        sacrifice.for_vm = Some("w10_fr".to_string());
        let tallies = tally(&[steal, sacrifice], 0, &[], 20);
        let w10 = tallies["w10"].summary(None);
        let fr = tallies["w10_fr"].summary(None);
        assert_eq!(
            (w10.steals, w10.sacrifices),
            (Pair { lost: 1, won: 0 }, Pair { lost: 1, won: 0 })
        );
        assert_eq!(
            (fr.steals, fr.sacrifices),
            (Pair { lost: 0, won: 1 }, Pair { lost: 0, won: 1 })
        );
        let mut host = Tally::default();
        host.merge(&tallies["w10"]);
        host.merge(&tallies["w10_fr"]);
        let host = host.summary(None);
        assert_eq!(host.steals, Pair { lost: 1, won: 1 });
    }

    #[test]
    fn only_vms_begun_are_tallied() {
        let mut steal = event(10, "steal", Some("idle"), Some("off"));
        steal.for_vm = Some("w10_fr".to_string());
        let mut period = Period::new(0);
        period.begin("w10_fr", Some("off"));
        period.add(&steal);
        let tallies = period.close(20);
        assert_eq!(tallies.keys().collect::<Vec<_>>(), ["w10_fr"]);
        let summary = tallies["w10_fr"].summary(None);
        assert_eq!(summary.steals, Pair { lost: 0, won: 1 });
        assert_eq!(summary.time_in_status["off"], 20);
    }

    #[test]
    fn histograms_are_cumulative() {
        let mut h = Histogram::new(&[1.0, 5.0, 10.0]);
        for v in [0.5, 1.0, 3.0, 12.0] {
            h.observe(v);
        }
        assert_eq!(h.cumulative, [2, 3, 3]);
        assert_eq!(h.count, 4);
        assert_eq!(h.sum, 16.5);
    }
}
