//! The monitor worker of an offline VM: when the host answers and the domain exists, powers
//! the domain off if it runs and the VM becomes off (errors reset); otherwise it stays offline
//! and the check time is recorded, so the next monitor waits its interval.

use super::connect;
use crate::hypervisor::Hypervisor;
use crate::model::VmStatus;
use crate::store::operations::{transition, Errors, Operation};
use crate::store::{vms, Store};
use crate::Ctx;
use anyhow::Result;

pub fn run(ctx: &Ctx, store: &mut Store, op: &Operation) -> Result<()> {
    let (vm, hv) = connect(ctx, store, op)?;
    let checked = hv.and_then(|hv| {
        if hv.domain_state(&vm.domain)?.is_active() {
            hv.power_off(&vm.domain)?;
        }
        Ok(())
    });
    let (to, errors, detail) = match checked {
        Ok(()) => (
            VmStatus::Off,
            Errors::Reset,
            "off monitor: usable again".to_string(),
        ),
        Err(err) => (
            VmStatus::Offline,
            Errors::Keep,
            format!("offline monitor: {err}"),
        ),
    };
    super::write(store, op, |tx| {
        vms::set_last_check(tx, &op.vm)?;
        transition(
            tx,
            op,
            (VmStatus::Offline, to),
            errors,
            &detail,
            Some(&detail),
        )
    })?;
    Ok(())
}
