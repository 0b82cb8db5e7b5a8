//! `vmsched poweroff VM [--force]`: powers the VM's domain off now, in the foreground, when
//! the VM owns the domain or it is free (a sibling's domain, or the VM's own live operation,
//! only with `--force`). The VM ends `off`, or `offline` when libvirt fails (exit 1).

use super::admin_op::{self, Request};
use crate::cli::PoweroffArgs;
use crate::ownership::{AdminOp, Overrides};
use crate::Ctx;
use anyhow::Result;

pub(crate) fn run(ctx: &Ctx, args: &PoweroffArgs) -> Result<()> {
    admin_op::run(
        ctx,
        &Request {
            op: AdminOp::Poweroff,
            vm: &args.vm,
            with: Overrides {
                steal: false,
                force: args.force,
            },
            reason: args.reason.as_deref(),
        },
    )
}
