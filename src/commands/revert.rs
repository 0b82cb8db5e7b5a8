//! `vmsched revert VM [--steal] [--force]`: the emergency revert, in the foreground. The VM
//! may use its domain when it owns it or the domain is free; an idle, dirty or sleeping
//! owner gives it up with `--steal`, a busy one (or the VM's own live operation) with
//! `--force`. The VM ends `idle`, or `offline` when libvirt fails (exit 1).

use super::admin_op::{self, Request};
use crate::cli::RevertArgs;
use crate::ownership::{AdminOp, Overrides};
use crate::Ctx;
use anyhow::Result;

pub(crate) fn run(ctx: &Ctx, args: &RevertArgs) -> Result<()> {
    admin_op::run(
        ctx,
        &Request {
            op: AdminOp::Revert,
            vm: &args.vm,
            with: Overrides {
                steal: args.steal,
                force: args.force,
            },
            reason: args.reason.as_deref(),
        },
    )
}
