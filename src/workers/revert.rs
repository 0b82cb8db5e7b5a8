//! The revert worker: reverts the domain to the instance's snapshot in running state
//! (libvirt's refusal gets one power-off and retry, in the adapter), checks that libvirt now
//! shows the domain running at that snapshot, lets the guest settle, runs the optional
//! readiness command, then the VM is idle. Failure: offline, errors + 1.

use super::{connect, finish};
use crate::hypervisor::{self, HvError, Hypervisor};
use crate::model::VmStatus;
use crate::store::history::{Event, Kind};
use crate::store::operations::{end_op, transition, Operation};
use crate::store::vms::{Errors, VmRow};
use crate::store::{settings, Store};
use crate::Ctx;
use anyhow::{Context, Result};
use std::time::{Duration, Instant};

/// Reverts, then records the revert's end with how long it took (from the worker's start, so
/// the settling time and the readiness command count).
pub(crate) fn run(ctx: &Ctx, store: &mut Store, op: &Operation) -> Result<()> {
    let began = Instant::now();
    let (vm, hv) = connect(ctx, store, op)?;
    revert(store, op, &vm, hv, began)
}

/// The revert of `vm` through `hv` (a connection, or why there is none), begun at `began`.
pub(super) fn revert(
    store: &mut Store,
    op: &Operation,
    vm: &VmRow,
    hv: Result<impl Hypervisor, HvError>,
    began: Instant,
) -> Result<()> {
    let ended = |detail, result| {
        Event::new(Kind::Revert, detail)
            .result(result)
            .duration(began.elapsed())
    };
    let reverted = hv.and_then(|hv| {
        hv.revert(&vm.domain, &vm.snapshot)?;
        hypervisor::mismatch(&hv, &vm.domain, &vm.snapshot)
    });
    let failed = match reverted {
        Ok(None) => None,
        Ok(Some(shows)) => Some(format!("offline revert did not take: {shows}")),
        Err(err) => Some(format!("offline revert failed: {err}")),
    };
    if let Some(detail) = failed {
        return finish(
            store,
            op,
            (VmStatus::Reverting, VmStatus::Offline),
            Errors::Add,
            ended(&detail, "failed"),
        );
    }
    let sleeping = (VmStatus::Reverting, VmStatus::Sleeping);
    if !super::write(store, op, |tx| {
        let event = Event::new(Kind::Status, "sleeping");
        transition(tx, op, sleeping, Errors::Keep, event, None)
    })? {
        return super::write(store, op, |tx| end_op(tx, op.id, "taken over"));
    }
    let settle = settings::load(store.conn())?.sleep_after_revert;
    std::thread::sleep(Duration::from_secs(u64::from(settle)));
    if let Some(argv) = &vm.ready_cmd {
        if let Err(err) = ready(argv, &vm.name) {
            let detail = format!("offline not ready: {err:#}");
            return finish(
                store,
                op,
                (VmStatus::Sleeping, VmStatus::Offline),
                Errors::Add,
                ended(&detail, "failed"),
            );
        }
    }
    finish(
        store,
        op,
        (VmStatus::Sleeping, VmStatus::Idle),
        Errors::Reset,
        ended("idle", "ok"),
    )
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
