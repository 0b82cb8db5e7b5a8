//! Reserves a VM for an admin operation, in one transaction: the ownership rules, the siblings
//! that give the domain up, and the VM recorded busy under this process.

use super::{bookkeeping, Request, Reserved};
use crate::exit;
use crate::model::{TaskStatus, VmState, VmStatus};
use crate::ownership::{admit, AdminOp, Displace, Flag, Refusal, Siblings};
use crate::process::Proc;
use crate::store::deadline::Deadline;
use crate::store::history::{self, Event, Kind};
use crate::store::jobs::{self, attempts, attempts::NoResult};
use crate::store::operations::{self, NewOperation, Stop};
use crate::store::settings;
use crate::store::vms::{self, Errors, StatusChange, VmRow};
use crate::store::Conn;
use anyhow::Result;
use std::time::Duration;

/// Checks the rules and records the operation, in the caller's transaction.
/// `connect_timeout` is added to the operation's deadline: the pass must not find this
/// process stuck while it still waits for libvirt legitimately.
pub(super) fn reserve(
    conn: &Conn,
    req: &Request,
    user: &str,
    connect_timeout: Duration,
) -> Result<Reserved> {
    let settings = settings::load(conn)?;
    let op_timeout = Duration::from_secs(u64::from(settings.revert_timeout));
    let vm = vms::require(conn, req.vm)?;
    let siblings: Vec<VmRow> = vms::of_domain(conn, &vm.domain)?
        .into_iter()
        .filter(|s| s.uri == vm.uri)
        .collect();
    let states: Vec<VmState> = siblings.iter().map(|s| s.to_vm_state()).collect();
    let registered = Siblings::of(&states, settings.max_errors);
    let me = siblings
        .iter()
        .position(|s| s.name == vm.name)
        .expect("a VM is its own sibling");
    let admission = admit(req.op, &registered, me, req.with)
        .map_err(|refusal| refused(req, &siblings, &registered, &refusal))?;
    let stopped = Stop::StoppedBy(user);
    let mut kill = release(conn, &vm, user, stopped, settings.max_task_tries)?;
    let mut displaced = Vec::new();
    for &(i, how) in &admission.displaced {
        let sibling = &siblings[i];
        displaced.push((sibling.name.clone(), sibling.status));
        let (what, why) = match how {
            Displace::Steal => ("off stolen", Stop::StolenBy(user)),
            Displace::Force => ("off forced", stopped),
        };
        kill.extend(release(conn, sibling, user, why, settings.max_task_tries)?);
        let detail = history::detail(what, user, req.reason);
        let event = Event::new(Kind::Steal, &detail).for_vm(&vm.name);
        set_status(conn, sibling, VmStatus::Off, event, user, req.reason)?;
    }
    let books = bookkeeping(req.op);
    let op = if vm.status == VmStatus::Maintenance {
        let detail = history::detail(&format!("maintenance {}", books.kind), user, req.reason);
        let event = Event::new(Kind::Admin, &detail);
        set_status(conn, &vm, vm.status, event, user, req.reason)?;
        None
    } else {
        let detail = match req.op {
            AdminOp::Revert => history::detail("reverting", user, req.reason),
            AdminOp::Poweroff => history::detail("dirty poweroff", user, req.reason),
        };
        let event = Event::new(Kind::Admin, &detail);
        set_status(conn, &vm, books.busy, event, user, req.reason)?;
        let id = operations::start(
            conn,
            &NewOperation {
                vm: &vm.name,
                kind: books.kind,
                deadline: Deadline::in_secs(op_timeout.saturating_add(connect_timeout).as_secs()),
                task: None,
                by_user: user,
                process: Some(Proc::current()?),
            },
        )?;
        operations::get(conn, id)?
    };
    Ok(Reserved {
        vm,
        op,
        op_timeout,
        kill,
        displaced,
    })
}

/// The refusal in words: who is in the way, its status, and the flag that overrides it.
fn refused(
    req: &Request,
    siblings: &[VmRow],
    registered: &Siblings,
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
    let owner = registered.owner() == Some(refusal.blocker);
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
        Flag::Steal => format!(
            "pass `--steal` to take the domain from `{}` (it becomes `off`)",
            blocker.name
        ),
        Flag::Force => format!(
            "pass `--force` to stop what `{}` does and take the domain (it becomes `off`)",
            blocker.name
        ),
    };
    exit::refused(message).hint(hint).into()
}

/// Ends a VM's recorded operation and the attempts of the tasks running on it. A live
/// operation is stopped by the admin (`why`): its tasks are requeued without using a try. A
/// dead one is what the next pass would clear: its tasks use a try, as the pass would count
/// it. Returns the workers (and task process groups) to kill after the commit.
pub(crate) fn release(
    conn: &Conn,
    vm: &VmRow,
    user: &str,
    why: Stop,
    max_tries: u32,
) -> Result<Vec<Proc>> {
    let op = operations::live_for(conn, &vm.name)?;
    let alive = op
        .as_ref()
        .is_some_and(|op| crate::process::recorded_alive(op.process));
    let cause = if alive { why } else { Stop::ProcessDied };
    let mut kill = Vec::new();
    if let Some(op) = op {
        kill = operations::stop(conn, &op, cause)?;
    }
    for task in attempts::running_on(conn, &vm.name)? {
        let status = if alive {
            attempts::requeue_uncounted(conn, task, NoResult::Stopped)?;
            TaskStatus::Queued
        } else {
            let status = attempts::retry_status(conn, task, max_tries)?;
            attempts::end_without_result(conn, task, status, NoResult::WorkerDied)?;
            jobs::roll_up(conn, task.job)?;
            status
        };
        let what = match status {
            TaskStatus::Queued => "requeued".to_string(),
            other => other.to_string(),
        };
        let detail = format!("task {task} {what}: {cause}");
        let event = Event::new(Kind::Task, &detail)
            .task(task)
            .result(status.as_str());
        set_status(conn, vm, vm.status, event, user, None)?;
    }
    Ok(kill)
}

/// Sets a VM's status (errors kept) and records it with `event`.
pub(super) fn set_status(
    conn: &Conn,
    vm: &VmRow,
    new: VmStatus,
    event: Event,
    user: &str,
    reason: Option<&str>,
) -> Result<()> {
    vms::set_status(
        conn,
        &StatusChange {
            vm: &vm.name,
            host: Some(&vm.host()),
            from: vm.status,
            to: new,
            errors: Errors::Keep,
            event,
            user,
            reason,
        },
    )
}
