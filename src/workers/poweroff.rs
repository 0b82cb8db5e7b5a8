//! The power-off worker: destroys the domain (already off is success), then the VM is off.
//! Failure: offline, errors + 1. A VM an admin put in maintenance meanwhile keeps it.

use super::{connect, finish};
use crate::hypervisor::{HvError, Hypervisor};
use crate::model::VmStatus;
use crate::store::history::{Event, Kind};
use crate::store::operations::Operation;
use crate::store::vms::{Errors, VmRow};
use crate::store::Store;
use crate::Ctx;
use anyhow::Result;

pub(crate) fn run(ctx: &Ctx, store: &mut Store, op: &Operation) -> Result<()> {
    let (vm, hv) = connect(ctx, store, op)?;
    power_off(store, op, &vm, hv)
}

/// The power-off of `vm` through `hv` (a connection, or why there is none).
pub(super) fn power_off(
    store: &mut Store,
    op: &Operation,
    vm: &VmRow,
    hv: Result<impl Hypervisor, HvError>,
) -> Result<()> {
    match hv.and_then(|hv| hv.power_off(&vm.domain)) {
        Ok(()) => finish(
            store,
            op,
            (VmStatus::Dirty, VmStatus::Off),
            Errors::Keep,
            Event::new(Kind::Status, "off powered off"),
        ),
        Err(err) => {
            let detail = format!("offline power-off failed: {err}");
            finish(
                store,
                op,
                (VmStatus::Dirty, VmStatus::Offline),
                Errors::Add,
                Event::new(Kind::Status, &detail),
            )
        }
    }
}
