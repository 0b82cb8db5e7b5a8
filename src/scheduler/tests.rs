//! Unit tests of the core's parts: need order, entry replacement, counters, registration
//! order and steals. Whole passes are tested by the scenario files.

use super::ownership::{self, Access};
use super::tasks::{self, Tier};
use super::{classify, WorkingState};
use crate::model::{State, VmStatus};

/// A state on host h1 from VMs (name, status, extra JSON fields; the domain defaults to the
/// name) and the jobs' JSON.
fn state(vms: &[(&str, &str, &str)], jobs: &str) -> State {
    let vms: Vec<String> = vms
        .iter()
        .map(|(name, status, extra)| {
            let domain = if extra.contains("\"domain\"") {
                String::new()
            } else {
                format!(r#","domain":"{name}""#)
            };
            let place = r#""uri":"qemu+ssh://h1/system","snapshot":"wtb""#;
            format!(r#"{{"name":"{name}","status":"{status}",{place}{domain}{extra}}}"#)
        })
        .collect();
    let text = format!(r#"{{"vms":[{}],"jobs":{jobs}}}"#, vms.join(","));
    State::from_json(&text).expect("a valid state")
}

/// A job with the given steps, each a list of task VMs; step `n` > 1 follows step `n - 1` when
/// `chained`.
fn job(id: i64, steps: &[&[&str]], chained: bool) -> String {
    let steps: Vec<String> = steps
        .iter()
        .zip(1..)
        .map(|(vms, no)| {
            let tasks: Vec<String> = vms
                .iter()
                .zip(1..)
                .map(|(vm, t)| format!(r#"{{"no":{t},"vm":"{vm}"}}"#))
                .collect();
            let previous = if chained && no > 1 {
                format!(r#","previous":{}"#, no - 1)
            } else {
                String::new()
            };
            format!(r#"{{"no":{no}{previous},"tasks":[{}]}}"#, tasks.join(","))
        })
        .collect();
    format!(r#"{{"id":{id},"steps":[{}]}}"#, steps.join(","))
}

fn names(lab: &WorkingState, order: &[usize]) -> Vec<String> {
    order
        .iter()
        .map(|&i| lab.vms[i].name().to_string())
        .collect()
}

fn at(lab: &WorkingState, name: &str) -> usize {
    lab.index(name).expect("a known VM")
}

#[test]
fn needs_follow_the_priority_tuple() {
    let jobs = format!(
        "[{},{}]",
        job(1, &[&["a"], &["n"]], true),
        job(2, &[&["b", "b", "c"]], false)
    );
    let s = state(
        &[
            ("a", "off", ""),
            ("b", "off", ""),
            ("c", "dirty", ""),
            ("f", "off", r#","kind":"build""#),
            ("g", "idle", ""),
            ("n", "dirty", ""),
        ],
        &jobs,
    );
    let (mut lab, _) = classify::classify(&s);
    let scheduled = tasks::schedule(&mut lab);
    let order = scheduled.needs.in_order();
    // Job rank first; then hot (c) before cold (b) although b has more tasks; the next step
    // after every runnable need; future VMs last, by niceness (build f before win64 g).
    assert_eq!(names(&lab, &order), ["a", "c", "b", "n", "f", "g"]);
    assert_eq!(scheduled.needs.tier(at(&lab, "n")), Tier::NextStep);
    assert_eq!(scheduled.needs.deps(at(&lab, "n")), [at(&lab, "a")]);
    assert_eq!(scheduled.counters.runnable, 4);
    assert_eq!(scheduled.counters.queued, 5);
}

#[test]
fn a_strictly_better_need_replaces_tier_and_dependencies() {
    let jobs = format!(
        "[{},{}]",
        job(1, &[&["b"], &["w"]], true),
        job(2, &[&["w"]], false)
    );
    let s = state(&[("b", "off", ""), ("w", "off", "")], &jobs);
    let (mut lab, _) = classify::classify(&s);
    let scheduled = tasks::schedule(&mut lab);
    let w = at(&lab, "w");
    assert_eq!(scheduled.needs.tier(w), Tier::Runnable);
    assert!(scheduled.needs.deps(w).is_empty());
    // Two tasks want w, and it still needs a revert.
    let key = scheduled.needs.key(w).expect("w is needed");
    assert_eq!((key.1, key.3 .0), (2, 3));
}

#[test]
fn counters_follow_every_status_change() {
    let s = state(
        &[
            ("i", "idle", ""),
            ("r", "running", r#","child":"alive","role":"retired""#),
        ],
        "[]",
    );
    let (mut lab, _) = classify::classify(&s);
    let counts = |lab: &WorkingState| {
        let h = lab.host(0);
        (h.active, h.idle, h.running, h.dirty, h.dirty_child)
    };
    // The retired VM is busy but counted nowhere.
    assert_eq!(counts(&lab), (1, 1, 0, 0, 0));
    let i = at(&lab, "i");
    lab.set(i, VmStatus::Running, true);
    assert_eq!(counts(&lab), (1, 0, 1, 0, 0));
    assert_eq!(lab.host(i).max_reverts(), 0);
    lab.set(i, VmStatus::Dirty, true);
    assert_eq!(counts(&lab), (1, 0, 0, 1, 1));
    lab.set(i, VmStatus::Off, false);
    assert_eq!(counts(&lab), (0, 0, 0, 0, 0));
}

#[test]
fn registration_order_decides_who_keeps_a_domain() {
    let s = state(
        &[
            ("a", "idle", r#","domain":"d""#),
            ("b", "running", r#","domain":"d","child":"alive""#),
            ("c", "maintenance", r#","domain":"d""#),
            ("e", "off", r#","domain":"d""#),
        ],
        "[]",
    );
    let (lab, actions) = classify::classify(&s);
    let owners = ownership::owners(&lab);
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0].owner, "c");
    // a is set off; b keeps its worker, which freezes the domain for everyone.
    assert_eq!(actions.len(), 1);
    assert_eq!(lab.vms[at(&lab, "a")].status, VmStatus::Off);
    assert!(matches!(
        ownership::access(&lab, at(&lab, "e"), true),
        Access::Denied(_)
    ));
}

#[test]
fn only_an_unclaimed_lamb_owner_can_be_stolen_from() {
    let s = state(
        &[("w10", "idle", ""), ("w10_fr", "off", r#","domain":"w10""#)],
        "[]",
    );
    let (mut lab, _) = classify::classify(&s);
    let (owner, thief) = (at(&lab, "w10"), at(&lab, "w10_fr"));
    assert!(matches!(
        ownership::access(&lab, thief, false),
        Access::Denied(_)
    ));
    assert!(matches!(ownership::access(&lab, thief, true), Access::Steal(o) if o == owner));
    assert!(matches!(
        ownership::access(&lab, owner, false),
        Access::Mine
    ));
    lab.vms[owner].lamb = false;
    assert!(matches!(
        ownership::access(&lab, thief, true),
        Access::Denied(_)
    ));
}

#[test]
fn explain_gives_each_queued_task_the_plans_words() {
    // Job 1: a then n (next step), then z too early; job 2: a task on a retired VM; job 3
    // on idle i, started, so no revert may run beside it.
    let jobs = format!(
        "[{},{},{}]",
        job(1, &[&["a"], &["n"], &["z"]], true),
        job(2, &[&["r"]], false),
        job(3, &[&["i"]], false)
    );
    let s = state(
        &[
            ("a", "off", ""),
            ("i", "idle", ""),
            ("n", "off", ""),
            ("r", "off", r#","role":"retired""#),
            ("z", "off", ""),
        ],
        &jobs,
    );
    let (plan, waits) = super::explain(&s);
    assert_eq!(plan, super::plan(&s));
    let reasons: Vec<(i64, u32, &str, &str)> = waits
        .iter()
        .map(|w| (w.job, w.step, w.vm.as_str(), w.reason.as_str()))
        .collect();
    let limit = "revert limit reached on h1 (0 of 0 while a task runs)";
    assert!(plan.waiting.iter().all(|w| w.reason == limit));
    assert_eq!(
        reasons,
        [
            (1, 1, "a", limit),
            (
                1,
                2,
                "n",
                &*format!("waits for step 1 to complete; {limit}")
            ),
            (1, 3, "z", "waits for step 2 to complete"),
            (2, 1, "r", "blocked: r is retired"),
        ]
    );
}
