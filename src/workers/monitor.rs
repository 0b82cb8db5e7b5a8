//! The monitor worker of an offline VM: when the host answers, the domain exists and has the
//! VM's snapshot, powers the domain off if it runs and the VM becomes off; otherwise it stays
//! offline and the check time is recorded, so the next monitor waits its interval. It never
//! resets the errors: they count the failures of the operations themselves, so a VM whose
//! reverts keep failing reaches max_errors and is checked only every
//! `monitor_interval_errors` (docs/rules.md §7).

use super::connect;
use crate::hypervisor::{HvError, Hypervisor};
use crate::model::VmStatus;
use crate::store::history::{Event, Kind};
use crate::store::operations::{transition, Operation};
use crate::store::vms::{self, Errors, VmRow};
use crate::store::Store;
use crate::Ctx;
use anyhow::Result;

pub(crate) fn run(ctx: &Ctx, store: &mut Store, op: &Operation) -> Result<()> {
    let (vm, hv) = connect(ctx, store, op)?;
    monitor(store, op, &vm, hv)
}

/// The check of `vm` through `hv` (a connection, or why there is none).
pub(super) fn monitor(
    store: &mut Store,
    op: &Operation,
    vm: &VmRow,
    hv: Result<impl Hypervisor, HvError>,
) -> Result<()> {
    let checked = hv.and_then(|hv| {
        if !hv.snapshots(&vm.domain)?.contains(&vm.snapshot) {
            return Ok(Err(format!(
                "snapshot `{}` of domain `{}` is missing",
                vm.snapshot, vm.domain
            )));
        }
        if hv.domain_state(&vm.domain)?.is_active() {
            hv.power_off(&vm.domain)?;
        }
        Ok(Ok(()))
    });
    let (to, detail) = match checked {
        Ok(Ok(())) => (VmStatus::Off, "off monitor: usable again".to_string()),
        Ok(Err(missing)) => (VmStatus::Offline, format!("offline monitor: {missing}")),
        Err(err) => (VmStatus::Offline, format!("offline monitor: {err}")),
    };
    super::write(store, op, |tx| {
        vms::set_last_check(tx, &op.vm)?;
        transition(
            tx,
            op,
            (VmStatus::Offline, to),
            Errors::Keep,
            Event::new(Kind::Monitor, &detail),
            Some(&detail),
        )
    })?;
    Ok(())
}
