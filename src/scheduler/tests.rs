//! Unit tests of the core's parts: need order, entry replacement, counters, registration
//! order and steals. Whole passes are tested by the scenario files.

use super::ownership::{self, Access};
use super::tasks::{self, Tier};
use super::{classify, Lab};
use crate::model::{State, VmStatus};
use serde_json::{json, Value};

/// A state on host h1: each VM is (name, status, extra fields); each job is (id, steps).
fn state(vms: &[(&str, &str, Value)], jobs: Value) -> State {
    let vms: Vec<Value> = vms
        .iter()
        .map(|(name, status, extra)| {
            let mut vm = json!({"name": name, "status": status, "uri": "qemu+ssh://h1/system",
                                "domain": name, "snapshot": "wtb"});
            if let Value::Object(fields) = extra {
                vm.as_object_mut()
                    .expect("an object")
                    .extend(fields.clone());
            }
            vm
        })
        .collect();
    State::from_json(&json!({"vms": vms, "jobs": jobs}).to_string()).expect("a valid state")
}

fn task(no: u32, vm: &str) -> Value {
    json!({"no": no, "vm": vm})
}

fn names(lab: &Lab, order: &[usize]) -> Vec<String> {
    order
        .iter()
        .map(|&i| lab.vms[i].name().to_string())
        .collect()
}

fn at(lab: &Lab, name: &str) -> usize {
    lab.index(name).expect("a known VM")
}

#[test]
fn needs_follow_the_priority_tuple() {
    let none = json!({});
    let s = state(
        &[
            ("a", "off", none.clone()),
            ("b", "off", none.clone()),
            ("c", "dirty", none.clone()),
            ("f", "off", json!({"kind": "build"})),
            ("g", "idle", none.clone()),
            ("n", "dirty", none),
        ],
        json!([
            {"id": 1, "steps": [{"no": 1, "tasks": [task(1, "a")]},
                                {"no": 2, "previous": 1, "tasks": [task(1, "n")]}]},
            {"id": 2, "steps": [{"no": 1, "tasks": [task(1, "b"), task(2, "b"), task(3, "c")]}]},
        ]),
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
    let none = json!({});
    let s = state(
        &[("b", "off", none.clone()), ("w", "off", none)],
        json!([
            {"id": 1, "steps": [{"no": 1, "tasks": [task(1, "b")]},
                                {"no": 2, "previous": 1, "tasks": [task(1, "w")]}]},
            {"id": 2, "steps": [{"no": 1, "tasks": [task(1, "w")]}]},
        ]),
    );
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
            ("i", "idle", json!({})),
            ("r", "running", json!({"child": "alive", "role": "retired"})),
        ],
        json!([]),
    );
    let (mut lab, _) = classify::classify(&s);
    let counts = |lab: &Lab| {
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
            ("a", "idle", json!({"domain": "d"})),
            ("b", "running", json!({"domain": "d", "child": "alive"})),
            ("c", "maintenance", json!({"domain": "d"})),
            ("e", "off", json!({"domain": "d"})),
        ],
        json!([]),
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
        &[
            ("w10", "idle", json!({"domain": "w10"})),
            ("w10_fr", "off", json!({"domain": "w10"})),
        ],
        json!([]),
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
