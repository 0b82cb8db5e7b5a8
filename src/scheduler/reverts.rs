//! Reverts, sacrifices and power-offs (docs/rules.md §6): needed VMs in priority order, steals
//! committed only with their revert, sacrifice victims, and the final dirty power-offs.

use super::ownership::{self, Access};
use super::tasks::{Needs, Tier};
use super::{Action, Vm, WorkingState};
use crate::model::{PoweroffReason, VmStatus};
use std::cmp::Reverse;
use std::collections::BTreeMap;

/// Takes the needed VMs in priority order and reverts those the limits allow, sacrificing a
/// lamb where a VM needs room; records in `waits` why each VM left alone waits.
pub(crate) fn revert(
    lab: &mut WorkingState,
    needs: &Needs,
    waits: &mut BTreeMap<usize, String>,
) -> Vec<Action> {
    let mut out = Vec::new();
    for i in needs.in_order() {
        if let Err(reason) = consider(lab, needs, i, &mut out) {
            waits.entry(i).or_insert(reason);
        }
    }
    out
}

/// §6 steps 0–7 for VM `i`: reverts it, or sacrifices a lamb for it, or says why not.
fn consider(
    lab: &mut WorkingState,
    needs: &Needs,
    i: usize,
    out: &mut Vec<Action>,
) -> Result<(), String> {
    let access = obstacles(lab, needs, i)?;
    if needs_room(lab, needs, i, &access)? {
        let Some(victim) = victim(lab, needs, i, &access) else {
            let host = lab.host(i);
            return Err(format!(
                "no VM to power off on {} to make room ({} of {} active)",
                lab.vms[i].host, host.active, host.limits.max_active
            ));
        };
        out.push(power_off(lab, victim, PoweroffReason::Sacrifice, Some(i)));
        lab.host_mut(i).reverting += 1;
        lab.vms[i].lamb = false;
        ownership::reserve(lab, i);
        return Err(format!("waits for {} to power off", lab.vms[victim].name()));
    }
    let displaced = ownership::take(lab, i, &access);
    lab.set(i, VmStatus::Reverting, true);
    let vm = &mut lab.vms[i];
    vm.busy = true;
    vm.lamb = false;
    out.push(Action::Revert {
        vm: vm.row.name.clone(),
        displaced,
    });
    Ok(())
}

/// §6 steps 0–4: the host, the VM, the revert limit, the previous step and the domain must all
/// allow a revert now. Returns how the VM may use its domain.
fn obstacles(lab: &WorkingState, needs: &Needs, i: usize) -> Result<Access, String> {
    let vm = &lab.vms[i];
    let host = lab.host(i);
    if host.paused {
        return Err(format!("host {} is paused", vm.host));
    }
    if vm.status == VmStatus::Idle || vm.busy || vm.live_child {
        return Err(describe(vm));
    }
    if host.reverting >= host.max_reverts() {
        let during = if host.running > 0 {
            " while a task runs"
        } else {
            ""
        };
        return Err(format!(
            "revert limit reached on {} ({} of {}{during})",
            vm.host,
            host.reverting,
            host.max_reverts()
        ));
    }
    let ready = |d: &&usize| {
        matches!(
            lab.vms[**d].status,
            VmStatus::Reverting | VmStatus::Sleeping | VmStatus::Running
        )
    };
    if let Some(&d) = needs.deps(i).iter().find(|d| !ready(d)) {
        let name = lab.vms[d].name();
        return Err(format!("waits for {name} (previous step) to get ready"));
    }
    match ownership::access(lab, i, needs.tier(i) == Tier::Runnable) {
        Access::Denied(reason) => Err(reason),
        access => Ok(access),
    }
}

/// §6 step 5: whether reverting VM `i` needs a sacrifice first (a steal frees the displaced
/// owner's slot); an error when a future VM should not be prepared at all.
fn needs_room(
    lab: &WorkingState,
    needs: &Needs,
    i: usize,
    access: &Access,
) -> Result<bool, String> {
    let host = lab.host(i);
    let limits = host.limits;
    let off = u32::from(lab.vms[i].status == VmStatus::Off);
    if needs.tier(i) != Tier::Future {
        let stolen = u32::from(matches!(access, Access::Steal(_)));
        return Ok(host.active + off > limits.max_active + stolen);
    }
    // Prepare VMs in advance only on an idle host, and not while everything powers off: the
    // best future VM is chosen once the hot ones are known.
    let all_powering_off = host.active > 0 && host.active == host.dirty_child;
    if host.queued > 0 || limits.max_vms_when_idle == 0 || all_powering_off {
        return Err("the host is not idle".to_string());
    }
    Ok(
        host.idle + host.reverting + host.sleeping + off > limits.max_vms_when_idle
            || host.active + off > limits.max_active,
    )
}

/// An admin's words for a VM that cannot be reverted because of its own state.
fn describe(vm: &Vm) -> String {
    let name = vm.name();
    match vm.status {
        VmStatus::Idle => format!("{name} is idle, waiting for its step to become runnable"),
        VmStatus::Dirty => format!("{name} is powering off"),
        VmStatus::Sleeping => format!("{name} is settling after its revert"),
        status => format!("{name} is {status}"),
    }
}

/// §6 step 6: the lamb to power off to make room for VM `i`: one of its host's lambs that owns
/// its domain, is needed only after `i`, and is not the owner `i` would displace; for a future
/// VM only dirty ones (a ready VM is worth more than a guess). Dirty before sleeping before
/// idle, then the least likely to be needed, then by name.
fn victim(lab: &WorkingState, needs: &Needs, i: usize, access: &Access) -> Option<usize> {
    let me = needs.key(i);
    let future = needs.tier(i) == Tier::Future;
    let displaced = match *access {
        Access::Steal(o) => Some(o),
        _ => None,
    };
    (0..lab.vms.len())
        .filter(|&j| {
            let vm = &lab.vms[j];
            vm.lamb
                && vm.host_ix == lab.vms[i].host_ix
                && Some(j) != displaced
                && needs.key(j).is_none_or(|key| Some(key) > me)
                && !(future && matches!(vm.status, VmStatus::Idle | VmStatus::Sleeping))
                && matches!(ownership::access(lab, j, false), Access::Mine)
        })
        .min_by_key(|&j| {
            let vm = &lab.vms[j];
            let order = match vm.status {
                VmStatus::Dirty => 0,
                VmStatus::Sleeping => 1,
                _ => 2,
            };
            (order, Reverse(vm.niceness()), j)
        })
}

/// Powers a VM off (a sacrifice, or a dirty VM nobody reverts); a sleeping victim's worker is
/// killed by that power-off. The VM is busy until the power-off ends.
fn power_off(
    lab: &mut WorkingState,
    i: usize,
    reason: PoweroffReason,
    for_vm: Option<usize>,
) -> Action {
    lab.set(i, VmStatus::Dirty, true);
    let for_vm = for_vm.map(|f| lab.vms[f].row.name.clone());
    let vm = &mut lab.vms[i];
    vm.busy = true;
    vm.lamb = false;
    Action::Poweroff {
        vm: vm.row.name.clone(),
        reason,
        for_vm,
    }
}

/// Powers off, by name, every lamb still dirty that may use its domain: nobody reverts it in
/// this pass, so it should not hold the host's resources. Idle and sleeping lambs stay ready.
pub(crate) fn power_off_dirty(lab: &mut WorkingState) -> Vec<Action> {
    let mut out = Vec::new();
    for i in 0..lab.vms.len() {
        let vm = &lab.vms[i];
        if vm.lamb && vm.status == VmStatus::Dirty && ownership::access(lab, i, false).granted() {
            out.push(power_off(lab, i, PoweroffReason::Dirty, None));
        }
    }
    out
}
