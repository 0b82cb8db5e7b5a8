//! The power-off worker: destroys the domain (already off is success), then the VM is off.
//! Failure: offline, errors + 1. A VM an admin put in maintenance meanwhile keeps it.

use crate::hypervisor::{self, Hypervisor};
use crate::model::VmStatus;
use crate::store::operations::{transition, Errors, Operation};
use crate::store::{settings, vms, Store};
use crate::Ctx;
use anyhow::{Context, Result};
use std::time::Duration;

pub fn run(ctx: &Ctx, store: &mut Store, op: &Operation) -> Result<()> {
    let vm = vms::get(store.conn(), &op.vm)?.context("the VM was removed")?;
    let settings = settings::load(store.conn())?;
    let done = hypervisor::connect(
        &vm.uri,
        ctx.timeout,
        Duration::from_secs(u64::from(settings.revert_timeout)),
    )
    .and_then(|hv| hv.power_off(&vm.domain));
    let (to, errors, detail) = match done {
        Ok(()) => (VmStatus::Off, Errors::Keep, "off powered off".to_string()),
        Err(err) => (
            VmStatus::Offline,
            Errors::Add,
            format!("offline power-off failed: {err}"),
        ),
    };
    store.write(|tx| {
        transition(
            tx,
            op,
            (VmStatus::Dirty, to),
            errors,
            &detail,
            Some(&detail),
        )
    })?;
    Ok(())
}
