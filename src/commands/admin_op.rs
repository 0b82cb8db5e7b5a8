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

use crate::exit;
use crate::hypervisor::{self, HvError, Hypervisor};
use crate::interrupt;
use crate::model::VmStatus;
use crate::ownership::{admit, AdminOp, Displace, Instance, Overrides, Refusal, View};
use crate::store::history::{self, current_user, Entry};
use crate::store::jobs::attempts;
use crate::store::operations::{self, Errors, NewOperation, Operation};
use crate::store::vms::{self, VmRow};
use crate::store::{settings, Conn, Mode, Store};
use crate::workers::process::Proc;
use crate::Ctx;
use anyhow::Result;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// One admin operation as asked on the command line.
pub struct Request<'a> {
    pub op: AdminOp,
    pub vm: &'a str,
    pub with: Overrides,
    pub reason: Option<&'a str>,
}

/// The words and statuses of each operation.
struct Words {
    /// The operation's kind in the `operations` table.
    kind: &'static str,
    /// The VM's status while it runs.
    busy: VmStatus,
    /// The VM's status when it succeeded.
    done: VmStatus,
    /// How the success changes the error count.
    errors: Errors,
    /// What failed, in `offline <what> failed: ...`.
    what: &'static str,
}

fn words(op: AdminOp) -> Words {
    match op {
        AdminOp::Revert => Words {
            kind: "revert",
            busy: VmStatus::Reverting,
            done: VmStatus::Idle,
            errors: Errors::Reset,
            what: "revert",
        },
        AdminOp::Poweroff => Words {
            kind: "poweroff",
            busy: VmStatus::Dirty,
            done: VmStatus::Off,
            errors: Errors::Keep,
            what: "power-off",
        },
    }
}

/// What the first transaction recorded.
struct Held {
    /// The VM as it was before (its status is the one the command started from).
    vm: VmRow,
    /// The VM's operation; `None` for a VM in maintenance.
    op: Option<Operation>,
    /// Workers of stopped operations, killed once the transaction has committed.
    kill: Vec<Proc>,
    /// The siblings that gave the domain up, with their status before.
    displaced: Vec<(String, VmStatus)>,
}

/// How the slow call ended.
enum Outcome {
    Done,
    Failed(HvError),
    Interrupted,
}

/// Runs an admin operation from start to end; see the module comment.
pub fn run(ctx: &Ctx, req: &Request) -> Result<()> {
    interrupt::catch();
    let user = current_user();
    let mut store = ctx.open(Mode::Existing)?;
    let revert_timeout = u64::from(settings::load(store.conn())?.revert_timeout);
    // Connecting has its own deadline before the operation's: the pass must not find this
    // process stuck while it still waits for libvirt legitimately.
    let deadline_secs = revert_timeout + ctx.timeout.as_secs();
    let held = store.write(|tx| hold(tx, req, &user, deadline_secs))?;
    for worker in &held.kill {
        worker.kill_group();
    }
    for (sibling, status) in &held.displaced {
        ctx.out.say(format_args!(
            "VM `{sibling}` gave domain `{}` up: {status} -> off",
            held.vm.domain
        ));
    }
    let outcome = if interrupt::interrupted() {
        Outcome::Interrupted
    } else {
        slow(ctx, req.op, &held.vm, Duration::from_secs(revert_timeout))
    };
    finish(ctx, &mut store, req, &user, &held, outcome)
}

/// Step 1: the check-and-record transaction.
fn hold(conn: &Conn, req: &Request, user: &str, deadline_secs: u64) -> Result<Held> {
    let vm = vms::require(conn, req.vm)?;
    let siblings: Vec<VmRow> = vms::of_domain(conn, &vm.domain)?
        .into_iter()
        .filter(|s| s.uri == vm.uri)
        .collect();
    let instances: Vec<Instance> = siblings.iter().map(super::domains::instance).collect();
    let me = siblings
        .iter()
        .position(|s| s.name == vm.name)
        .expect("a VM is its own sibling");
    let admission = admit(req.op, &instances, me, req.with)
        .map_err(|refusal| refused(req, &siblings, &instances, &refusal))?;
    let mut kill = release(conn, &vm, user, "stopped")?;
    let mut displaced = Vec::new();
    for &(i, how) in &admission.displaced {
        let sibling = &siblings[i];
        displaced.push((sibling.name.clone(), sibling.status));
        let (what, why) = match how {
            Displace::Steal => ("off stolen", "stolen"),
            Displace::Force => ("off forced", "stopped"),
        };
        kill.extend(release(conn, sibling, user, why)?);
        let detail = history::detail(what, user, req.reason);
        set_status(conn, sibling, VmStatus::Off, &detail, user, req.reason)?;
    }
    let words = words(req.op);
    let op = if vm.status == VmStatus::Maintenance {
        let detail = history::detail(&format!("maintenance {}", words.kind), user, req.reason);
        set_status(conn, &vm, vm.status, &detail, user, req.reason)?;
        None
    } else {
        let detail = match req.op {
            AdminOp::Revert => history::detail("reverting", user, req.reason),
            AdminOp::Poweroff => history::detail("dirty poweroff", user, req.reason),
        };
        set_status(conn, &vm, words.busy, &detail, user, req.reason)?;
        let deadline = chrono::Utc::now() + chrono::Duration::seconds(deadline_secs as i64);
        let id = operations::start(
            conn,
            &NewOperation {
                vm: &vm.name,
                kind: words.kind,
                deadline: deadline.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                by_user: user,
                process: Some(Proc::current()?),
                ..NewOperation::default()
            },
        )?;
        operations::get(conn, id)?
    };
    Ok(Held {
        vm,
        op,
        kill,
        displaced,
    })
}

/// The refusal in words: who is in the way, its status, and the flag that overrides it.
fn refused(
    req: &Request,
    siblings: &[VmRow],
    instances: &[Instance],
    refusal: &Refusal,
) -> anyhow::Error {
    let blocker = &siblings[refusal.blocker];
    if blocker.name == req.vm {
        let op = blocker.live.as_ref().expect("a live operation refused it");
        let pid = op.pid.map_or(String::new(), |pid| format!(" (pid {pid})"));
        return exit::refused(format!(
            "VM `{}` is busy: its {} operation{pid} is live",
            blocker.name, op.kind
        ))
        .hint("wait for it to end, or pass `--force` to stop it")
        .into();
    }
    let owner = View::of(instances).owner() == Some(refusal.blocker);
    let message = if owner {
        format!(
            "domain `{}` is owned by `{}` ({})",
            blocker.domain, blocker.name, blocker.status
        )
    } else {
        format!(
            "domain `{}` is also used by `{}` ({})",
            blocker.domain, blocker.name, blocker.status
        )
    };
    let hint = match refusal.needs {
        "--steal" => format!(
            "pass `--steal` to take the domain from `{}` (it becomes `off`)",
            blocker.name
        ),
        _ => format!(
            "pass `--force` to stop what `{}` does and take the domain (it becomes `off`)",
            blocker.name
        ),
    };
    exit::refused(message).hint(hint).into()
}

/// Ends a VM's recorded operation (live or dead) and puts the tasks running on it back in the
/// queue without counting a try. Returns the workers to kill after the commit.
fn release(conn: &Conn, vm: &VmRow, user: &str, why: &str) -> Result<Vec<Proc>> {
    let mut kill = Vec::new();
    if let Some(op) = operations::live_for(conn, &vm.name)? {
        operations::end_op(conn, op.id, &format!("{why} by {user}"))?;
        kill.extend(op.process);
        kill.extend(op.group);
    }
    for task in attempts::running_on(conn, &vm.name)? {
        attempts::requeue_uncounted(conn, task)?;
        let (job, step, no) = task;
        let detail = format!("task {job}/{step}/{no} requeued: {why} by {user}");
        set_status(conn, vm, vm.status, &detail, user, None)?;
    }
    Ok(kill)
}

/// Sets a VM's status (errors kept) and records it.
fn set_status(
    conn: &Conn,
    vm: &VmRow,
    new: VmStatus,
    detail: &str,
    user: &str,
    reason: Option<&str>,
) -> Result<()> {
    conn.execute(
        "UPDATE vms SET status = ?1 WHERE name = ?2",
        crate::store::params![new.as_str(), vm.name],
    )?;
    history::record(
        conn,
        &Entry {
            vm: Some(&vm.name),
            host: Some(&vm.host()),
            old_status: Some(vm.status.as_str()),
            new_status: Some(new.as_str()),
            detail,
            user,
            reason,
        },
    )
}

/// Step 2: the libvirt call in a thread, a spinner while it runs, Ctrl-C polled.
fn slow(ctx: &Ctx, op: AdminOp, vm: &VmRow, op_timeout: Duration) -> Outcome {
    let (tx, rx) = mpsc::sync_channel(1);
    let (uri, domain, snapshot) = (vm.uri.clone(), vm.domain.clone(), vm.snapshot.clone());
    let timeout = ctx.timeout;
    let spawned = std::thread::Builder::new()
        .name("admin-op".to_string())
        .spawn(move || {
            let result = hypervisor::connect(&uri, timeout, op_timeout).and_then(|hv| match op {
                AdminOp::Revert => hv.revert(&domain, &snapshot),
                AdminOp::Poweroff => hv.power_off(&domain),
            });
            let _ = tx.send(result);
        });
    if let Err(err) = spawned {
        return Outcome::Failed(HvError::new(
            hypervisor::HvErrorKind::Other,
            format!("cannot start a thread: {err}"),
        ));
    }
    let spinner = ProgressBar::with_draw_target(
        None,
        if ctx.out.progress {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        spinner.set_style(style);
    }
    spinner.set_message(match op {
        AdminOp::Revert => format!("reverting `{}` to `{}`", vm.domain, vm.snapshot),
        AdminOp::Poweroff => format!("powering `{}` off", vm.domain),
    });
    spinner.enable_steady_tick(Duration::from_millis(120));
    let outcome = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Ok(())) => break Outcome::Done,
            Ok(Err(err)) => break Outcome::Failed(err),
            Err(RecvTimeoutError::Timeout) if interrupt::interrupted() => {
                break Outcome::Interrupted
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                break Outcome::Failed(HvError::new(
                    hypervisor::HvErrorKind::Other,
                    "the libvirt call panicked",
                ))
            }
        }
    };
    spinner.finish_and_clear();
    outcome
}

/// Step 3: records the outcome and ends the operation, in one transaction.
fn finish(
    ctx: &Ctx,
    store: &mut Store,
    req: &Request,
    user: &str,
    held: &Held,
    outcome: Outcome,
) -> Result<()> {
    let words = words(req.op);
    let vm = &held.vm;
    let (to, errors, detail, end) = match &outcome {
        Outcome::Done => (words.done, words.errors, words.done.to_string(), "ok"),
        Outcome::Failed(err) => (
            VmStatus::Offline,
            Errors::Add,
            format!("offline {} failed: {err}", words.what),
            "failed",
        ),
        Outcome::Interrupted => (
            VmStatus::Offline,
            Errors::Keep,
            "offline interrupted".to_string(),
            "interrupted",
        ),
    };
    let ours = store.write(|tx| match &held.op {
        Some(op) => {
            let result = match &outcome {
                Outcome::Failed(err) => err.to_string(),
                _ => end.to_string(),
            };
            operations::transition(tx, op, (words.busy, to), errors, &detail, Some(&result))
        }
        None => {
            // Maintenance: the status stays, the history says what happened.
            let detail = match &outcome {
                Outcome::Done => format!("maintenance {} done", words.kind),
                Outcome::Failed(err) => format!("maintenance {} failed: {err}", words.what),
                Outcome::Interrupted => format!("maintenance {} interrupted", words.kind),
            };
            let now = vms::require(tx, &vm.name)?;
            set_status(tx, &now, now.status, &detail, user, None)?;
            Ok(true)
        }
    })?;
    if !ours {
        ctx.out.warn(format_args!(
            "VM `{}` was changed meanwhile: its status is left as it is",
            vm.name
        ));
    }
    let status = if held.op.is_some() && ours {
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
            words.what, vm.name
        ))
        .into()),
        Outcome::Interrupted => {
            Err(exit::interrupted(format!("interrupted: VM `{}` is {status}", vm.name)).into())
        }
    }
}
