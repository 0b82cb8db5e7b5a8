//! The inventory rules `vms add|set|remove` and `vms import` share: valid fields, one
//! spelling of a domain's URI (by its text, and by the UUID libvirt gave), at most one instance
//! in use per domain, no identity change of an instance in use, no removal of a VM with work.
//! Each runs inside the caller's transaction.

use crate::commands::admin_op::release;
use crate::exit::{bad_input, refused};
use crate::model::{
    check_name, check_text, domain_identity, host_key, TaskStatus, VmState, VmStatus,
};
use crate::ownership::Siblings;
use crate::process::Proc;
use crate::store::history::{self, Entry, Event, Kind};
use crate::store::jobs::{
    self,
    attempts::{self, NoResult},
};
use crate::store::operations::{self, Stop};
use crate::store::settings;
use crate::store::vms::{self, Errors, StatusChange, VmRow};
use crate::store::Conn;
use anyhow::Result;

/// What every VM's fields must look like: a valid name, a URI with a scheme and a path, and
/// a non-empty domain, snapshot and kind (and hostname, if any) without control characters.
/// The error names the field.
pub(super) fn check_fields(vm: &VmRow) -> Result<(), (&'static str, String)> {
    check_name(&vm.name).map_err(|e| ("name", e))?;
    host_key(&vm.uri).map_err(|e| ("uri", e))?;
    for (field, value) in [
        ("domain", Some(&vm.domain)),
        ("snapshot", Some(&vm.snapshot)),
        ("kind", Some(&vm.kind)),
        ("hostname", vm.hostname.as_ref()),
    ] {
        if let Some(value) = value {
            check_text(field, value, &vm.name).map_err(|e| (field, e))?;
        }
    }
    if let Some(argv) = &vm.ready_cmd {
        if argv.first().is_none_or(String::is_empty) {
            let message = format!("VM `{}`: the readiness command names no program", vm.name);
            return Err(("ready_cmd", message));
        }
    }
    Ok(())
}

/// Registers a new VM and records `added`. Exit 2 when the name is taken or its domain is
/// registered under another spelling of its URI (`check_spelling`, `check_uuid`).
pub(super) fn create(conn: &Conn, vm: &VmRow, user: &str, reason: Option<&str>) -> Result<()> {
    if vms::get(conn, &vm.name)?.is_some() {
        return Err(bad_input(format!("VM `{}` already exists", vm.name))
            .hint("change it with `vmsched vms set`")
            .into());
    }
    check_spelling(conn, vm)?;
    check_uuid(conn, vm)?;
    vms::insert(conn, vm)?;
    let added = Some(VmStatus::Off);
    let event = Event::new(Kind::Admin, "added");
    record(conn, vm, (None, added), event, user, reason)
}

/// Applies an edit under the safety rules and records it; `status_set` marks an admin status
/// change, recorded even when the status stays. Returns the change in words (`None`: nothing
/// changed; a domain UUID that a check learned is stored all the same, unrecorded).
pub(super) fn change(
    conn: &Conn,
    old: &VmRow,
    new: &VmRow,
    status_set: bool,
    force: bool,
    user: &str,
    reason: Option<&str>,
) -> Result<Option<String>> {
    let mut words: Vec<String> = status_set
        .then(|| new.status.to_string())
        .into_iter()
        .collect();
    words.extend(field_changes(old, new));
    let uuid_changed = new.domain_uuid != old.domain_uuid;
    if words.is_empty() && !uuid_changed {
        return Ok(None);
    }
    let key_changed = (&old.uri, &old.domain) != (&new.uri, &new.domain);
    if key_changed {
        check_spelling(conn, new)?;
    }
    if key_changed || uuid_changed {
        check_uuid(conn, new)?;
    }
    if words.is_empty() {
        vms::update(conn, new)?;
        return Ok(None);
    }
    if force {
        words.push("forced".to_string());
    } else {
        check_safety(conn, old, new)?;
    }
    vms::update(conn, new)?;
    if moved(old, new) || old.status != new.status {
        end_dead_op(conn, new, user)?;
    }
    let summary = words.join(", ");
    let detail = history::detail(&summary, user, reason);
    // An admin status resets the error count (`vms set --status`).
    let errors = if status_set {
        Errors::Reset
    } else {
        Errors::Keep
    };
    vms::set_status(
        conn,
        &StatusChange {
            vm: &new.name,
            host: Some(&new.host()),
            from: old.status,
            to: new.status,
            errors,
            event: Event::new(Kind::Admin, &detail),
            user,
            reason,
        },
    )?;
    Ok(Some(summary))
}

/// The fields an edit changes, as `field=value` (status aside).
fn field_changes(old: &VmRow, new: &VmRow) -> Vec<String> {
    let changes = field_diffs(old, new).into_iter();
    changes
        .map(|(field, _, new)| format!("{field}={new}"))
        .collect()
}

/// The fields an edit changes with their old and new values (status aside; `` for none).
pub(super) fn field_diffs(old: &VmRow, new: &VmRow) -> Vec<(&'static str, String, String)> {
    let fields = |vm: &VmRow| {
        [
            ("role", vm.role.to_string()),
            ("kind", vm.kind.clone()),
            ("uri", vm.uri.clone()),
            ("domain", vm.domain.clone()),
            ("snapshot", vm.snapshot.clone()),
            ("hostname", vm.hostname.clone().unwrap_or_default()),
            ("description", vm.description.clone().unwrap_or_default()),
            (
                "ready_cmd",
                vm.ready_cmd
                    .as_ref()
                    .map(|c| c.join(" "))
                    .unwrap_or_default(),
            ),
        ]
    };
    fields(old)
        .into_iter()
        .zip(fields(new))
        .filter(|(a, b)| a.1 != b.1)
        .map(|((field, old), (_, new))| (field, old, new))
        .collect()
}

/// Refuses (exit 2) a domain registered under a differently spelled URI with the same host
/// key, path and domain name: two spellings of one domain would defeat ownership.
fn check_spelling(conn: &Conn, vm: &VmRow) -> Result<()> {
    let identity = domain_identity(&vm.uri, &vm.domain).map_err(bad_input)?;
    for other in vms::of_domain(conn, &vm.domain)? {
        if other.name != vm.name
            && other.uri != vm.uri
            && domain_identity(&other.uri, &other.domain).as_ref() == Ok(&identity)
        {
            return Err(bad_input(format!(
                "domain `{}` is already registered as `{}` (VM `{}`), not `{}`",
                vm.domain, other.uri, other.name, vm.uri
            ))
            .hint(format!("spell the URI `{}`", other.uri))
            .into());
        }
    }
    Ok(())
}

/// Refuses (exit 2) a domain whose UUID, as libvirt gave it, is that of a domain registered
/// under another (uri, domain) key: two URIs that reach one daemon (a host name and its IP)
/// would make one domain two, and ownership would not hold. Nothing to compare without a UUID.
fn check_uuid(conn: &Conn, vm: &VmRow) -> Result<()> {
    let Some(uuid) = &vm.domain_uuid else {
        return Ok(());
    };
    let other = vms::of_uuid(conn, uuid)?
        .into_iter()
        .find(|o| o.name != vm.name && (&o.uri, &o.domain) != (&vm.uri, &vm.domain));
    let Some(other) = other else {
        return Ok(());
    };
    Err(bad_input(format!(
        "VM `{}`: domain `{}` on `{}` is domain `{}` of VM `{}` on `{}` (same UUID {uuid})",
        vm.name, vm.domain, vm.uri, other.domain, other.name, other.uri
    ))
    .hint(format!(
        "spell it as VM `{}` does: `-c {} --domain {}`",
        other.name, other.uri, other.domain
    ))
    .into())
}

/// The rules `--force` overrides (exit 3): no status or identity change under a live
/// operation, no second instance in use of a domain, and uri, domain or snapshot change only
/// while the VM is `off`, or in maintenance when no other VM of the new domain key uses it.
/// Workers and owners are judged as the next pass will judge them (`ownership::Siblings`).
fn check_safety(conn: &Conn, old: &VmRow, new: &VmRow) -> Result<()> {
    let moved = moved(old, new);
    if let Some(op) = live_op(old).filter(|_| moved || old.status != new.status) {
        let pid = op.pid.map_or(String::new(), |pid| format!(" (pid {pid})"));
        return Err(refused(format!(
            "VM `{}` is busy: its {} operation{pid} is live",
            old.name, op.kind
        ))
        .hint("wait for it to end, or pass `--force`")
        .into());
    }
    let siblings: Vec<VmState> = vms::of_domain(conn, &new.domain)?
        .iter()
        .filter(|s| s.is_sibling(new))
        .map(|s| s.to_vm_state())
        .collect();
    let max_errors = settings::load(conn)?.max_errors;
    let in_use = Siblings::of(&siblings, max_errors)
        .owner()
        .map(|i| &siblings[i]);
    let newly_in_use = new.status != VmStatus::Off
        && (old.status == VmStatus::Off || (&old.uri, &old.domain) != (&new.uri, &new.domain));
    if let Some(sibling) = in_use.filter(|_| newly_in_use) {
        let worker = if sibling.status == VmStatus::Off {
            " with a live worker"
        } else {
            ""
        };
        return Err(refused(format!(
            "VM `{}` of domain `{}` is `{}`{worker}: only one instance of a domain may be in use",
            sibling.name, new.domain, sibling.status
        ))
        .hint(format!(
            "set `{}` off first, or pass `--force`",
            sibling.name
        ))
        .into());
    }
    let may_move =
        new.status == VmStatus::Off || (new.status == VmStatus::Maintenance && in_use.is_none());
    if moved && !may_move {
        return Err(refused(format!(
            "cannot change the uri, domain or snapshot of VM `{}` while it is `{}`",
            new.name, new.status
        ))
        .hint("set it `off` or `maintenance` first, or pass `--force`")
        .into());
    }
    Ok(())
}

/// The VM's operation while a process still carries it out, as a reader judges it
/// (`VmRow::child`): a dead worker's operation does not make the VM busy.
fn live_op(vm: &VmRow) -> Option<&vms::LiveOp> {
    vm.live.as_ref().filter(|_| vm.child().is_live())
}

/// Ends the operation of the VM's dead worker and retries its tasks, as the next pass would
/// (what the worker left behind is killed by that pass, `stopped_recently`); nothing while
/// the worker lives or when there is none.
fn end_dead_op(conn: &Conn, vm: &VmRow, user: &str) -> Result<()> {
    if vm.live.is_some() && live_op(vm).is_none() {
        let max_tries = settings::load(conn)?.max_task_tries;
        release(conn, vm, user, Stop::StoppedBy(user), max_tries)?;
    }
    Ok(())
}

/// The edit changes the VM's uri, domain or snapshot.
pub(super) fn moved(old: &VmRow, new: &VmRow) -> bool {
    (&old.uri, &old.domain, &old.snapshot) != (&new.uri, &new.domain, &new.snapshot)
}

/// Records a change of a VM, with its (old, new) status, in the history.
fn record(
    conn: &Conn,
    vm: &VmRow,
    (old, new): (Option<VmStatus>, Option<VmStatus>),
    event: Event,
    user: &str,
    reason: Option<&str>,
) -> Result<()> {
    history::record(
        conn,
        &Entry {
            vm: Some(&vm.name),
            host: Some(&vm.host()),
            old_status: old.map(VmStatus::as_str),
            new_status: new.map(VmStatus::as_str),
            reason,
            ..Entry::new(user, event)
        },
    )
}

/// What removing a VM did: how many queued tasks it canceled, and the processes of its
/// stopped worker, to kill once the transaction has committed.
pub(super) struct Removed {
    /// Queued tasks canceled (running tasks stopped and canceled not included).
    pub(crate) canceled: usize,
    /// Running tasks stopped, then canceled.
    pub(crate) stopped: usize,
    pub(crate) kill: Vec<Proc>,
}

/// Removes a VM; refused (exit 3) while tasks wait for or run on it or its worker is live,
/// unless `force`. A dead worker's operation is ended and its tasks retried, as the next pass
/// would; `force` then stops a live worker as `revert --force` does (a running task goes back
/// to the queue without using a try) and cancels the queued tasks, so no task runs on a VM
/// that is gone and no job waits for it. The history keeps its name.
pub(super) fn remove(
    conn: &Conn,
    name: &str,
    force: bool,
    user: &str,
    reason: Option<&str>,
) -> Result<Removed> {
    let vm = vms::require(conn, name)?;
    let (queued, running) = jobs::vm_work(conn, name)?;
    let live = live_op(&vm);
    if !force && (queued > 0 || running > 0 || live.is_some()) {
        let op = live.map_or(String::new(), |op| {
            format!(", a live {} operation", op.kind)
        });
        return Err(refused(format!(
            "VM `{name}` has work: {queued} queued and {running} running tasks{op}"
        ))
        .hint("wait for it, or pass `--force` to cancel its queued tasks")
        .into());
    }
    end_dead_op(conn, &vm, user)?;
    let status = Some(vm.status);
    let mut kill = Vec::new();
    if let Some(op) = operations::live_for(conn, name)? {
        kill = operations::stop(conn, &op, Stop::VmRemovedBy(user))?;
    }
    let running = attempts::running_on(conn, name)?;
    for &task in &running {
        attempts::requeue_uncounted(conn, task, NoResult::Stopped)?;
        let detail = format!("task {task} stopped: VM removed");
        let event = Event::new(Kind::Task, &detail)
            .task(task)
            .result(TaskStatus::Queued.as_str());
        record(conn, &vm, (status, status), event, user, reason)?;
    }
    let canceled = jobs::cancel_queued_on_vm(conn, name)?;
    for &task in &canceled {
        let detail = format!("task {task} canceled: VM removed");
        let event = Event::new(Kind::Task, &detail)
            .task(task)
            .result(TaskStatus::Canceled.as_str());
        record(conn, &vm, (status, status), event, user, reason)?;
    }
    vms::delete(conn, name)?;
    let event = Event::new(Kind::Admin, "removed");
    record(conn, &vm, (status, None), event, user, reason)?;
    Ok(Removed {
        canceled: canceled.len() - running.len(),
        stopped: running.len(),
        kill,
    })
}
