//! The invariants a plan must keep, checked against the state it was made from: the plan
//! applied as the shell would, then one check per invariant.

use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use vmsched::model::{Child, MarkReason, State, TaskStatus, VmState, VmStatus};
use vmsched::ownership::Siblings;
use vmsched::scheduler::{Action, Plan};

/// What the plan did to each VM, as the shell would apply it.
struct Applied<'s> {
    vms: BTreeMap<&'s str, &'s VmState>,
    /// Status after classification (its `mark` actions).
    classified: BTreeMap<&'s str, VmStatus>,
    /// Status after the whole plan.
    last: BTreeMap<&'s str, VmStatus>,
    /// VMs whose recorded worker is alive (or stuck) and not killed by the plan.
    live: BTreeSet<&'s str>,
    /// Operations started per VM: start, revert, poweroff, monitor, and being displaced.
    touched: Vec<(&'s str, &'static str)>,
}

fn apply<'s>(state: &'s State, plan: &'s Plan) -> Applied<'s> {
    let vms: BTreeMap<&str, &VmState> = state.vms.iter().map(|v| (v.name.as_str(), v)).collect();
    let mut classified: BTreeMap<&str, VmStatus> =
        vms.iter().map(|(&n, v)| (n, v.status)).collect();
    let mut live: BTreeSet<&str> = vms
        .iter()
        .filter(|(_, v)| matches!(v.child, Child::Alive | Child::Stuck))
        .map(|(&n, _)| n)
        .collect();
    let mut touched = Vec::new();
    for action in &plan.actions {
        match action {
            Action::Mark { vm, status, .. } => {
                classified.insert(vm.as_str(), *status);
            }
            Action::Kill { vm, .. } => {
                live.remove(vm.as_str());
            }
            Action::Start { vm, .. } => touched.push((vm.as_str(), "start")),
            Action::Revert { vm, displaced } => {
                touched.push((vm.as_str(), "revert"));
                if let Some(d) = displaced {
                    touched.push((d.as_str(), "displaced"));
                }
            }
            Action::Poweroff { vm, .. } => touched.push((vm.as_str(), "poweroff")),
            Action::Monitor { vm } => touched.push((vm.as_str(), "monitor")),
            Action::Requeue { .. } | Action::Fail { .. } => {}
        }
    }
    let mut last = classified.clone();
    for &(vm, what) in &touched {
        let status = match what {
            "start" => VmStatus::Running,
            "revert" => VmStatus::Reverting,
            "poweroff" => VmStatus::Dirty,
            "displaced" => VmStatus::Off,
            _ => last[vm],
        };
        last.insert(vm, status);
    }
    Applied {
        vms,
        classified,
        last,
        live,
        touched,
    }
}

impl Applied<'_> {
    fn siblings(&self, vm: &str) -> Vec<&str> {
        let me = self.vms[vm];
        let key = (&me.uri, &me.domain);
        let same = |v: &&&VmState| (&v.uri, &v.domain) == key;
        self.vms
            .values()
            .filter(same)
            .map(|v| v.name.as_str())
            .collect()
    }

    /// A VM the scheduler may not change: in maintenance, or with a live worker (a disabled
    /// VM keeps a stuck one's place for the pass that kills it), and not off.
    fn untouchable(&self, vm: &str) -> bool {
        let status = self.classified[vm];
        let live = self.live.contains(vm) || self.disabled_with_worker(vm);
        status != VmStatus::Off && (status == VmStatus::Maintenance || live)
    }

    /// A retired or deleted VM whose recorded worker is alive or stuck: it owns its domain for
    /// the whole pass, whatever its status.
    fn disabled_with_worker(&self, vm: &str) -> bool {
        let input = self.vms[vm];
        !input.role.is_enabled() && matches!(input.child, Child::Alive | Child::Stuck)
    }

    fn count(&self, host: &str, statuses: &BTreeMap<&str, VmStatus>, of: &[VmStatus]) -> u32 {
        let on_host = |v: &&&VmState| v.role.is_enabled() && v.host() == host;
        let n = self.vms.values().filter(on_host);
        n.filter(|v| of.contains(&statuses[v.name.as_str()]))
            .count() as u32
    }

    fn ops_on(&self, host: &str, what: &str) -> u32 {
        let on_host = |vm: &str| self.vms[vm].host() == host;
        self.touched
            .iter()
            .filter(|&&(vm, w)| w == what && on_host(vm))
            .count() as u32
    }
}

/// (a) The plan never makes a second sibling non-off: two non-off siblings remain only where
/// one of them is untouchable (live worker or maintenance) and the other was already non-off or
/// had a leftover worker; and a started or reverted VM is the only non-off one of its domain.
pub fn one_sibling_in_use(state: &State, plan: &Plan) -> Result<(), TestCaseError> {
    let ap = apply(state, plan);
    for vm in ap.vms.keys() {
        let in_use: Vec<&str> = ap
            .siblings(vm)
            .into_iter()
            .filter(|v| ap.last[v] != VmStatus::Off)
            .collect();
        let free: Vec<&&str> = in_use.iter().filter(|v| !ap.untouchable(v)).collect();
        prop_assert!(
            free.len() <= 1,
            "{vm}'s domain has non-off siblings {in_use:?}"
        );
        if in_use.len() > 1 {
            for v in free {
                let input = ap.vms[*v];
                let before = input.status != VmStatus::Off || input.child != Child::None;
                prop_assert!(before, "{v} was made non-off beside {in_use:?}");
            }
        }
    }
    for &(vm, what) in &ap.touched {
        if what == "start" || what == "revert" {
            let others: Vec<&str> = ap.siblings(vm).into_iter().filter(|v| v != &vm).collect();
            let busy: Vec<&&str> = others
                .iter()
                .filter(|v| ap.last[**v] != VmStatus::Off)
                .collect();
            prop_assert!(
                busy.is_empty(),
                "{what} {vm} while {busy:?} hold its domain"
            );
        }
    }
    Ok(())
}

/// (a') A retired or deleted VM with a live or stuck worker owns its domain (§3 step 1, §5.1):
/// no sibling of it is started or reverted.
pub fn disabled_workers_keep_their_domain(state: &State, plan: &Plan) -> Result<(), TestCaseError> {
    let ap = apply(state, plan);
    for &(vm, what) in &ap.touched {
        if what == "start" || what == "revert" {
            let holder = ap
                .siblings(vm)
                .into_iter()
                .find(|v| ap.disabled_with_worker(v));
            prop_assert!(holder.is_none(), "{what} {vm} beside {holder:?}");
        }
    }
    Ok(())
}

/// (b) Starts within max_running, reverts and sacrifices within the host's revert limit,
/// nothing started or reverted on a paused host, and max_active kept by any host that reverts.
pub fn within_limits(state: &State, plan: &Plan) -> Result<(), TestCaseError> {
    use VmStatus::*;
    let ap = apply(state, plan);
    let hosts: BTreeSet<String> = state.vms.iter().map(VmState::host).collect();
    for host in &hosts {
        let (limits, paused) = state.host_limits(host);
        let starts = ap.ops_on(host, "start");
        let reverts = ap.ops_on(host, "revert");
        let sacrifices = plan
            .actions
            .iter()
            .filter(|a| matches!(a, Action::Poweroff { vm, for_vm: Some(_), .. } if ap.vms[vm.as_str()].host() == *host))
            .count() as u32;
        if paused {
            prop_assert_eq!(starts + reverts + sacrifices, 0, "paused {} acted", host);
        }
        let busy = ap.count(host, &ap.classified, &[Sleeping, Running, Dirty]);
        let reverting = ap.count(host, &ap.classified, &[Reverting]);
        if starts > 0 {
            prop_assert!(
                busy + starts <= limits.max_running,
                "{host}: {busy} busy + {starts} starts"
            );
            let rvr = limits.max_reverts_while_running;
            prop_assert!(
                reverting == 0 || reverting <= rvr,
                "{host}: start while reverting"
            );
        }
        if reverts + sacrifices > 0 {
            let running = ap.count(host, &ap.classified, &[Running]) + starts;
            let max = if running > 0 {
                limits.max_reverts_while_running
            } else {
                limits.max_reverting
            };
            prop_assert!(
                reverting + reverts + sacrifices <= max,
                "{host}: too many reverts"
            );
        }
        if reverts > 0 {
            let active = ap.count(host, &ap.last, &[Idle, Sleeping, Reverting, Running, Dirty]);
            prop_assert!(
                active <= limits.max_active,
                "{host}: {active} active after a revert"
            );
        }
    }
    Ok(())
}

/// (c) Every operation targets a VM that may take it after classification: never a busy,
/// maintenance or disabled VM, and never two operations on one VM.
pub fn only_free_vms_touched(state: &State, plan: &Plan) -> Result<(), TestCaseError> {
    use VmStatus::*;
    let ap = apply(state, plan);
    let mut seen = BTreeSet::new();
    for &(vm, what) in &ap.touched {
        prop_assert!(seen.insert(vm), "{vm} gets two operations");
        let input = ap.vms[vm];
        let (status, live) = (ap.classified[vm], ap.live.contains(vm));
        prop_assert!(input.role.is_enabled(), "{what} on disabled {vm}");
        let ok = match what {
            "start" => status == Idle && !live,
            "revert" => matches!(status, Off | Dirty) && !live,
            "poweroff" | "displaced" => {
                status == Sleeping || (matches!(status, Idle | Dirty) && !live)
            }
            _ => input.status == Offline && status == Offline && !live,
        };
        prop_assert!(ok, "{what} on {vm} ({status}, live worker: {live})");
    }
    for action in &plan.actions {
        if let Action::Mark { vm, status, reason } = action {
            let input = ap.vms[vm.as_str()];
            prop_assert!(
                input.status != Maintenance,
                "maintenance {vm} marked {status}"
            );
            if !input.role.is_enabled() {
                prop_assert!(
                    *status == Off && *reason == MarkReason::Disabled,
                    "disabled {vm} marked"
                );
            }
        }
    }
    Ok(())
}

/// The counters add up: every queued task of a queued or running job (requeued ones
/// included) is counted once, as queued or blocked; runnable ones are a part of queued.
pub fn counters_add_up(state: &State, plan: &Plan) -> Result<(), TestCaseError> {
    let requeued: BTreeSet<(i64, u32, u32)> = plan
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Requeue {
                job, step, task, ..
            } => Some((*job, *step, *task)),
            _ => None,
        })
        .collect();
    let mut queued = 0;
    for job in state.jobs.iter().filter(|j| !j.status.is_done()) {
        for step in &job.steps {
            for task in &step.tasks {
                let again = requeued.contains(&(job.id, step.no, task.no));
                queued += u32::from(task.status == TaskStatus::Queued || again);
            }
        }
    }
    let c = plan.counters;
    prop_assert!(c.runnable <= c.queued);
    prop_assert_eq!(c.queued + c.blocked, queued);
    Ok(())
}

/// (e) The commands that read the database (`domains show`, `vms set`, `revert`, `poweroff`)
/// name the owner the pass registers: `ownership::Siblings` on the rows as stored gives the
/// plan's owners, except where the plan reverts a VM, which then owns a domain that was free,
/// its own, or taken from the owner it displaces.
pub fn owners_agree(state: &State, plan: &Plan) -> Result<(), TestCaseError> {
    let mut domains: BTreeMap<(&str, &str), Vec<VmState>> = BTreeMap::new();
    for vm in &state.vms {
        let key = (vm.uri.as_str(), vm.domain.as_str());
        domains.entry(key).or_default().push(vm.clone());
    }
    let planned: BTreeMap<(&str, &str), &str> = plan
        .owners
        .iter()
        .map(|o| ((o.uri.as_str(), o.domain.as_str()), o.owner.as_str()))
        .collect();
    let reverts: BTreeMap<&str, Option<&str>> = plan
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Revert { vm, displaced } => Some((vm.as_str(), displaced.as_deref())),
            _ => None,
        })
        .collect();
    for (key, vms) in &domains {
        let siblings = Siblings::of(vms, state.max_errors);
        let shown = siblings.owner().map(|i| vms[i].name.as_str());
        let planned = planned.get(key).copied();
        let reverted = vms
            .iter()
            .find_map(|v| reverts.get_key_value(v.name.as_str()));
        match reverted {
            Some((&vm, &displaced)) => {
                prop_assert_eq!(planned, Some(vm), "{:?}: revert {}", key, vm);
                let before = [None, Some(vm), displaced];
                prop_assert!(
                    before.contains(&shown),
                    "{key:?}: revert {vm} in a domain owned by {shown:?}"
                );
            }
            None => prop_assert_eq!(planned, shown, "{:?}", key),
        }
    }
    Ok(())
}
