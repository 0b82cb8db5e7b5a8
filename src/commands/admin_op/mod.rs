//! What `revert` and `poweroff` share: an admin operation carried out in the foreground.
//! 1. One short `BEGIN IMMEDIATE` transaction checks the ownership rules, makes the siblings
//!    in the way give the domain up (`--steal`, `--force`) and records the VM busy with an
//!    operation naming this process, so a concurrent pass leaves it alone.
//! 2. The slow libvirt call runs in a thread under the revert timeout, with a spinner on a
//!    terminal, while Ctrl-C is polled.
//! 3. One transaction records the result and ends the operation.
//!
//! A VM in maintenance keeps its status throughout and gets no operation (the scheduler never
//! touches it anyway); only the history says what was done.

mod libvirt_call;
mod reserve;

use crate::exit;
use crate::hypervisor::{self, HvError};
use crate::identity::real_user;
use crate::interrupt;
use crate::model::{OpKind, VmStatus};
use crate::ownership::{AdminOp, Overrides};
use crate::process::Proc;
use crate::store::history::{Event, Kind};
use crate::store::operations::{self, Operation};
use crate::store::vms::{self, Errors, VmRow};
use crate::store::{settings, Mode, Store};
use crate::Ctx;
use anyhow::Result;
pub(crate) use reserve::release;
use reserve::{reserve, set_status};
use std::time::Duration;

/// One admin operation as asked on the command line.
pub(crate) struct Request<'a> {
    pub(crate) op: AdminOp,
    pub(crate) vm: &'a str,
    pub(crate) with: Overrides,
    pub(crate) reason: Option<&'a str>,
}

/// How each admin operation is recorded: its kind, the VM's statuses while it runs and after
/// it succeeded, what its failure is called, and the history row of its end.
pub(super) struct Bookkeeping {
    /// The operation's kind in the `operations` table.
    kind: OpKind,
    /// The VM's status while it runs.
    busy: VmStatus,
    /// The VM's status when it succeeded.
    done: VmStatus,
    /// How the success changes the error count.
    errors: Errors,
    /// What failed, in `offline <what> failed: ...`.
    what: &'static str,
    /// The kind of the history row of its end (a revert's end has a result and a duration).
    ended: Kind,
}

pub(super) fn bookkeeping(op: AdminOp) -> Bookkeeping {
    match op {
        AdminOp::Revert => Bookkeeping {
            kind: OpKind::Revert,
            busy: VmStatus::Reverting,
            done: VmStatus::Idle,
            errors: Errors::Reset,
            what: "revert",
            ended: Kind::Revert,
        },
        AdminOp::Poweroff => Bookkeeping {
            kind: OpKind::Poweroff,
            busy: VmStatus::Dirty,
            done: VmStatus::Off,
            errors: Errors::Keep,
            what: "power-off",
            ended: Kind::Status,
        },
    }
}

/// What the first transaction recorded.
pub(super) struct Reserved {
    /// The VM as it was before (its status is the one the command started from).
    vm: VmRow,
    /// The VM's operation; `None` for a VM in maintenance.
    op: Option<Operation>,
    /// The deadline of the libvirt call (the `revert_timeout` setting).
    op_timeout: Duration,
    /// Workers of stopped operations, killed once the transaction has committed.
    kill: Vec<Proc>,
    /// The siblings that gave the domain up, with their status before.
    displaced: Vec<(String, VmStatus)>,
}

/// How the slow call ended.
pub(super) enum Outcome {
    Done,
    Failed(HvError),
    Interrupted,
}

/// Runs an admin operation from start to end; see the module comment.
pub(crate) fn run(ctx: &Ctx, req: &Request) -> Result<()> {
    interrupt::catch();
    let user = real_user();
    let mut store = ctx.open(Mode::Existing)?;
    let allow_ext = settings::load(store.conn())?.allow_ext_uris != 0;
    let reserved = store.write(|tx| reserve(tx, req, &user, ctx.timeout))?;
    crate::process::kill_all(&reserved.kill);
    for (sibling, status) in &reserved.displaced {
        ctx.out.say(format_args!(
            "VM `{sibling}` gave domain `{}` up: {status} -> off",
            reserved.vm.domain
        ));
    }
    let began = std::time::Instant::now();
    let outcome = if interrupt::interrupted() {
        Outcome::Interrupted
    } else if let Err(err) = hypervisor::allowed(&reserved.vm.uri, allow_ext) {
        Outcome::Failed(err)
    } else {
        libvirt_call::call_libvirt(ctx, req.op, &reserved.vm, reserved.op_timeout)
    };
    let took = began.elapsed();
    finish(ctx, &mut store, req, &user, &reserved, (outcome, took))
}

/// Step 3: records the outcome and ends the operation, in one transaction.
fn finish(
    ctx: &Ctx,
    store: &mut Store,
    req: &Request,
    user: &str,
    reserved: &Reserved,
    (outcome, took): (Outcome, Duration),
) -> Result<()> {
    let books = bookkeeping(req.op);
    let vm = &reserved.vm;
    let (to, errors, detail, end) = match &outcome {
        Outcome::Done => (books.done, books.errors, books.done.to_string(), "ok"),
        Outcome::Failed(err) => (
            VmStatus::Offline,
            Errors::Add,
            format!("offline {} failed: {err}", books.what),
            "failed",
        ),
        Outcome::Interrupted => (
            VmStatus::Offline,
            Errors::Keep,
            "offline interrupted".to_string(),
            "interrupted",
        ),
    };
    let ours = store.write(|tx| match &reserved.op {
        Some(op) => {
            let result = match &outcome {
                Outcome::Failed(err) => err.to_string(),
                _ => end.to_string(),
            };
            let event = match books.ended {
                Kind::Revert => Event::new(Kind::Revert, &detail).result(end).duration(took),
                kind => Event::new(kind, &detail),
            };
            operations::transition(tx, op, (books.busy, to), errors, event, Some(&result))
        }
        None => {
            // Maintenance: the status stays, the history says what happened.
            let detail = match &outcome {
                Outcome::Done => format!("maintenance {} done", books.kind),
                Outcome::Failed(err) => format!("maintenance {} failed: {err}", books.what),
                Outcome::Interrupted => format!("maintenance {} interrupted", books.kind),
            };
            let now = vms::require(tx, &vm.name)?;
            let event = Event::new(Kind::Admin, &detail);
            set_status(tx, &now, now.status, event, user, None)?;
            Ok(true)
        }
    })?;
    if !ours {
        ctx.out.warn(format_args!(
            "VM `{}` was changed meanwhile: its status is left as it is",
            vm.name
        ));
    }
    let status = if reserved.op.is_some() && ours {
        to
    } else {
        vms::require(store.conn(), &vm.name)?.status
    };
    match outcome {
        Outcome::Done => {
            let did = match req.op {
                AdminOp::Revert => format!("reverted to `{}`", vm.snapshot),
                AdminOp::Poweroff => format!("domain `{}` powered off", vm.domain),
            };
            ctx.out
                .say(format_args!("VM `{}`: {did} ({status})", vm.name));
            Ok(())
        }
        Outcome::Failed(err) => Err(exit::failed(format!(
            "{} of VM `{}` failed ({status}): {err}",
            books.what, vm.name
        ))
        .into()),
        Outcome::Interrupted => {
            Err(exit::interrupted(format!("interrupted: VM `{}` is {status}", vm.name)).into())
        }
    }
}
