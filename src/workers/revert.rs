//! The revert worker: reverts the domain to the instance's snapshot in running state
//! (libvirt's refusal gets one power-off and retry, in the adapter), lets the guest settle,
//! runs the optional readiness command, then the VM is idle. Failure: offline, errors + 1.

use crate::hypervisor::{self, Hypervisor};
use crate::model::VmStatus;
use crate::store::operations::{end_op, transition, Errors, Operation};
use crate::store::{settings, vms, Store};
use crate::Ctx;
use anyhow::{Context, Result};
use std::time::Duration;

pub fn run(ctx: &Ctx, store: &mut Store, op: &Operation) -> Result<()> {
    let vm = vms::get(store.conn(), &op.vm)?.context("the VM was removed")?;
    let settings = settings::load(store.conn())?;
    let reverted = hypervisor::connect(
        &vm.uri,
        ctx.timeout,
        Duration::from_secs(u64::from(settings.revert_timeout)),
    )
    .and_then(|hv| hv.revert(&vm.domain, &vm.snapshot));
    if let Err(err) = reverted {
        let detail = format!("offline revert failed: {err}");
        store.write(|tx| {
            transition(
                tx,
                op,
                (VmStatus::Reverting, VmStatus::Offline),
                Errors::Add,
                &detail,
                Some(&detail),
            )
        })?;
        return Ok(());
    }
    let ours = store.write(|tx| {
        transition(
            tx,
            op,
            (VmStatus::Reverting, VmStatus::Sleeping),
            Errors::Keep,
            "sleeping",
            None,
        )
    })?;
    if !ours {
        return store.write(|tx| end_op(tx, op.id, "taken over"));
    }
    std::thread::sleep(Duration::from_secs(u64::from(settings.sleep_after_revert)));
    if let Some(argv) = &vm.ready_cmd {
        if let Err(err) = ready(argv, &vm.name) {
            let detail = format!("offline not ready: {err}");
            store.write(|tx| {
                transition(
                    tx,
                    op,
                    (VmStatus::Sleeping, VmStatus::Offline),
                    Errors::Add,
                    &detail,
                    Some(&detail),
                )
            })?;
            return Ok(());
        }
    }
    store.write(|tx| {
        transition(
            tx,
            op,
            (VmStatus::Sleeping, VmStatus::Idle),
            Errors::Reset,
            "idle",
            Some("ok"),
        )
    })?;
    Ok(())
}

/// Runs the VM's readiness command (an argument vector); it must exit 0.
fn ready(argv: &[String], vm: &str) -> Result<()> {
    let (program, args) = argv.split_first().context("empty readiness command")?;
    let status = std::process::Command::new(program)
        .args(args)
        .env("VMSCHED_VM", vm)
        .stdin(std::process::Stdio::null())
        .status()
        .with_context(|| format!("cannot run `{program}`"))?;
    anyhow::ensure!(status.success(), "`{program}` {status}");
    Ok(())
}
