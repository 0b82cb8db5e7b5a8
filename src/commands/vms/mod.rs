//! `vmsched vms add|set|remove|list|import`: the VM instances of the inventory.

mod check;
pub mod import;
mod rules;
mod show;

use crate::cli::{Format, VmAddArgs, VmListArgs, VmRemoveArgs, VmSetArgs, VmsCommand};
use crate::commands::waits;
use crate::exit::{bad_input, refused};
use crate::hypervisor;
use crate::identity::{self, real_user};
use crate::model::{keeps_state, Role, VmState, VmStatus};
use crate::output;
use crate::ownership::Siblings;
use crate::store::vms::{self, VmRow};
use crate::store::{settings, stored, Mode};
use crate::Ctx;
use anyhow::Result;
use check::{check, Checked};
use rules::{change, check_fields, create, moved, remove};
use serde::Serialize;
use std::io::Write;

/// Runs a `vms` subcommand.
pub(crate) fn run(ctx: &Ctx, command: VmsCommand, out: &mut dyn Write) -> Result<()> {
    match command {
        VmsCommand::Add(args) => add(ctx, args),
        VmsCommand::Set(args) => set(ctx, &args),
        VmsCommand::Remove(args) => remove_one(ctx, &args),
        VmsCommand::List(args) => list(ctx, &args, out),
        VmsCommand::Show(args) => show::show(ctx, &args.name, out),
        VmsCommand::Import(args) => import::import(ctx, &args, out),
    }
}

fn add(ctx: &Ctx, args: VmAddArgs) -> Result<()> {
    let vm = VmRow {
        kind: args.kind,
        role: args.role,
        hostname: args.hostname,
        description: args.description,
        ..VmRow::new(&args.name, &args.uri, &args.domain, &args.snapshot)
    };
    check_fields(&vm).map_err(|(_, message)| bad_input(message))?;
    admit_uris(ctx, [vm.uri.as_str()])?;
    let checked = if args.no_check {
        Checked::default()
    } else {
        check(ctx, std::slice::from_ref(&vm)).map_err(|r| r.error)?
    };
    let vm = checked.stamp(None, vm);
    let user = real_user();
    let mut store = ctx.open(Mode::Create)?;
    store.write(|tx| create(tx, &vm, &user, args.reason.as_deref()))?;
    checked.warn(&ctx.out);
    ctx.out.say(format_args!(
        "added VM `{}` on `{}` (off)",
        vm.name,
        vm.host()
    ));
    Ok(())
}

fn set(ctx: &Ctx, args: &VmSetArgs) -> Result<()> {
    if let Some(status) = args.status.filter(|s| !s.admin_settable()) {
        let settable: Vec<&str> = VmStatus::ALL
            .iter()
            .filter(|s| s.admin_settable())
            .map(|s| s.as_str())
            .collect();
        let message = format!("status `{status}` cannot be set by hand");
        let hint = format!("set one of: {}", settable.join(", "));
        return Err(bad_input(message).hint(hint).into());
    }
    if args.ready_cmd.is_some() {
        identity::privileged(&ctx.db, "set a ready command (it runs as the service user)")?;
    }
    let user = real_user();
    let mut store = ctx.open(Mode::Existing)?;
    let old = vms::require(store.conn(), &args.name)?;
    let new = edited(&old, args);
    if args.uri.is_some() {
        admit_uris(ctx, [new.uri.as_str()])?;
    }
    if args.status == Some(VmStatus::Idle) && !args.force {
        let allow_ext = settings::load(store.conn())?.allow_ext_uris != 0;
        confirm_idle(ctx, &new, allow_ext)?;
    }
    let checked = if args.no_check || !moved(&old, &new) {
        Checked::default()
    } else {
        check_fields(&new).map_err(|(_, message)| bad_input(message))?;
        check(ctx, &[new]).map_err(|r| r.error)?
    };
    let summary = store.write(|tx| {
        let old = vms::require(tx, &args.name)?;
        let new = checked.stamp(Some(&old), edited(&old, args));
        check_fields(&new).map_err(|(_, message)| bad_input(message))?;
        let status_set = args.status.is_some();
        change(
            tx,
            &old,
            &new,
            status_set,
            args.force,
            &user,
            args.reason.as_deref(),
        )
    })?;
    checked.warn(&ctx.out);
    let stops =
        args.role.is_some_and(|r| !r.is_enabled()) || args.status == Some(VmStatus::Maintenance);
    match summary {
        Some(summary) => ctx.out.say(format_args!("VM `{}`: {summary}", args.name)),
        None => ctx.out.say(format_args!("VM `{}` unchanged", args.name)),
    }
    if stops {
        warn_held(ctx, &store, &args.name)?;
    }
    Ok(())
}

/// After a VM was retired, deleted or put in maintenance: one warning line with how many of
/// its queued tasks will wait, and one naming the siblings it keeps from their domain while
/// it owns it, as the next pass will judge them.
fn warn_held(ctx: &Ctx, store: &crate::store::Store, name: &str) -> Result<()> {
    let waits = store.read(waits::read)?;
    let state = &waits.loaded.state;
    let Some(vm) = state.vms.iter().find(|vm| vm.name == name) else {
        return Ok(());
    };
    let queued = |vm: &str| waits.tasks.iter().filter(|w| w.vm == vm).count();
    let why = if vm.role.is_enabled() {
        "in maintenance".to_string()
    } else {
        vm.role.to_string()
    };
    let mine = queued(name);
    if mine > 0 {
        ctx.out.warn(format_args!(
            "{mine} queued tasks of `{name}` will wait while it is {why}"
        ));
    }
    let domain: Vec<VmState> = state
        .vms
        .iter()
        .filter(|v| v.uri == vm.uri && v.domain == vm.domain)
        .cloned()
        .collect();
    let siblings = Siblings::of(&domain, state.max_errors);
    let owner = siblings.owner().map(|i| domain[i].name.as_str());
    let others: Vec<String> = domain
        .iter()
        .filter(|v| v.name != name && v.role.is_enabled())
        .map(|v| format!("`{}` ({} queued tasks)", v.name, queued(&v.name)))
        .collect();
    if owner == Some(name) && !others.is_empty() {
        ctx.out.warn(format_args!(
            "`{name}` keeps domain `{}` while it is {why}: its siblings {} wait for it",
            vm.domain,
            others.join(", ")
        ));
    }
    Ok(())
}

/// Refuses (exit 3) a URI that would make libvirt's client run a local program
/// (`hypervisor::runs_named_program`) unless the setting `allow_ext_uris` is true: passes, workers and
/// `domains show` connect to every registered URI as the service user. Asked before libvirt
/// is, so a refused URI runs nothing.
pub(super) fn admit_uris<'a>(ctx: &Ctx, uris: impl IntoIterator<Item = &'a str>) -> Result<()> {
    let Some(uri) = uris
        .into_iter()
        .find(|uri| hypervisor::runs_named_program(uri))
    else {
        return Ok(());
    };
    if ctx.db.exists() && settings::load(ctx.open(Mode::Existing)?.conn())?.allow_ext_uris != 0 {
        return Ok(());
    }
    Err(refused(format!(
        "URI `{uri}` makes libvirt run a local program (`ext` transport or `command=`)"
    ))
    .hint(
        "root or the service user may allow such URIs: `vmsched settings set allow_ext_uris true`",
    )
    .into())
}

/// `idle` claims that the domain runs the VM's snapshot: libvirt must show it (exit 3
/// otherwise, or when libvirt cannot be asked), unless `--force`. Asked before the transaction:
/// no libvirt call runs while the database is held. On libvirt's in-process test driver the
/// claim cannot be checked (`model::keeps_state`) and is taken as it is.
fn confirm_idle(ctx: &Ctx, vm: &VmRow, allow_ext: bool) -> Result<()> {
    if !keeps_state(&vm.uri) {
        return Ok(());
    }
    let shows = hypervisor::allowed(&vm.uri, allow_ext)
        .and_then(|()| hypervisor::connect(&vm.uri, ctx.timeout, ctx.timeout))
        .and_then(|hv| hypervisor::mismatch(&hv, &vm.domain, &vm.snapshot));
    let why = match shows {
        Ok(None) => return Ok(()),
        Ok(Some(shows)) => format!("libvirt shows {shows}"),
        Err(err) => format!("libvirt cannot confirm it: {err}"),
    };
    Err(refused(format!(
        "VM `{}` cannot be idle: that claims domain `{}` runs snapshot `{}`, but {why}",
        vm.name, vm.domain, vm.snapshot
    ))
    .hint(format!(
        "`vmsched revert {}` puts the domain on its snapshot; `--force` claims it anyway",
        vm.name
    ))
    .into())
}

/// The VM as `vms set` would leave it. An admin status resets the error count; an empty
/// hostname or description clears it.
fn edited(old: &VmRow, args: &VmSetArgs) -> VmRow {
    let mut vm = old.clone();
    if let Some(status) = args.status {
        vm.status = status;
        vm.errors = 0;
    }
    vm.role = args.role.unwrap_or(vm.role);
    for (field, value) in [
        (&mut vm.kind, &args.kind),
        (&mut vm.snapshot, &args.snapshot),
        (&mut vm.uri, &args.uri),
        (&mut vm.domain, &args.domain),
    ] {
        if let Some(value) = value {
            field.clone_from(value);
        }
    }
    for (field, value) in [
        (&mut vm.hostname, &args.hostname),
        (&mut vm.description, &args.description),
    ] {
        if let Some(value) = value {
            *field = Some(value.clone()).filter(|v| !v.is_empty());
        }
    }
    if args.ready_cmd.is_some() || args.no_ready_cmd {
        vm.ready_cmd.clone_from(&args.ready_cmd);
    }
    vm
}

fn remove_one(ctx: &Ctx, args: &VmRemoveArgs) -> Result<()> {
    let user = real_user();
    let mut store = ctx.open(Mode::Existing)?;
    let removed =
        store.write(|tx| remove(tx, &args.name, args.force, &user, args.reason.as_deref()))?;
    crate::process::kill_all(&removed.kill);
    let stopped = match removed.stopped {
        0 => String::new(),
        n => format!(", {n} running tasks stopped and canceled"),
    };
    ctx.out.say(format_args!(
        "removed VM `{}` ({} queued tasks canceled{stopped})",
        args.name, removed.canceled
    ));
    Ok(())
}

/// An element of `vms list --format json` (a contract: docs/interfaces.md).
#[derive(Serialize)]
struct VmJson<'a> {
    name: &'a str,
    kind: &'a str,
    role: Role,
    status: VmStatus,
    uri: &'a str,
    domain: &'a str,
    snapshot: &'a str,
    host: String,
    hostname: Option<&'a str>,
    errors: u32,
    child: Option<ChildJson<'a>>,
    description: Option<&'a str>,
    ready_cmd: Option<&'a [String]>,
}

#[derive(Serialize)]
struct ChildJson<'a> {
    pid: Option<i64>,
    operation: &'a str,
    deadline: String,
}

fn list(ctx: &Ctx, args: &VmListArgs, out: &mut dyn Write) -> Result<()> {
    let store = ctx.open(Mode::Read)?;
    let host = args.host.as_deref().map(str::to_ascii_lowercase);
    let vms: Vec<VmRow> = vms::list(store.conn())?
        .into_iter()
        .filter(|vm| args.role.is_none_or(|r| vm.role == r))
        .filter(|vm| args.status.is_none_or(|s| vm.status == s))
        .filter(|vm| args.domain.as_ref().is_none_or(|d| vm.domain == *d))
        .filter(|vm| host.as_ref().is_none_or(|h| vm.host() == *h))
        .collect();
    if args.name {
        for vm in &vms {
            writeln!(out, "{}", vm.name)?;
        }
        return Ok(());
    }
    if ctx.out.format == Format::Json {
        let json: Vec<VmJson> = vms.iter().map(vm_json).collect();
        return output::json(out, &json);
    }
    let mut table = output::table([
        "Name",
        "Kind",
        "Role",
        "Status",
        "Host",
        "Domain",
        "Snapshot",
        "Errors",
        "Operation",
    ]);
    for vm in &vms {
        let operation = vm.live.as_ref().map_or("-".to_string(), |op| match op.pid {
            Some(pid) => format!("{} (pid {pid})", op.kind),
            None => op.kind.to_string(),
        });
        output::add_row(
            &mut table,
            vec![
                vm.name.clone(),
                vm.kind.clone(),
                vm.role.to_string(),
                vm.status.to_string(),
                vm.host(),
                vm.domain.clone(),
                vm.snapshot.clone(),
                vm.errors.to_string(),
                operation,
            ],
        );
    }
    output::print_table(out, &table)
}

fn vm_json(vm: &VmRow) -> VmJson<'_> {
    VmJson {
        name: &vm.name,
        kind: &vm.kind,
        role: vm.role,
        status: vm.status,
        uri: &vm.uri,
        domain: &vm.domain,
        snapshot: &vm.snapshot,
        host: vm.host(),
        hostname: vm.hostname.as_deref(),
        errors: vm.errors,
        child: vm.live.as_ref().map(|op| ChildJson {
            pid: op.pid,
            operation: op.kind.as_str(),
            deadline: stored(op.deadline.wall),
        }),
        description: vm.description.as_deref(),
        ready_cmd: vm.ready_cmd.as_deref(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use clap::Parser;

    /// Runs a `vms` subcommand in-process on `ctx`, returning what it wrote on stdout.
    fn vms(ctx: &Ctx, args: &[&str]) -> String {
        let cli = Cli::try_parse_from([&["vmsched", "vms"], args].concat()).unwrap();
        let crate::cli::Command::Vms(command) = cli.command else {
            unreachable!("parsed a vms subcommand")
        };
        let mut out = Vec::new();
        run(ctx, command, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn commands_write_their_data_to_the_given_output() {
        let dir = tempfile::tempdir().unwrap();
        let mut ctx = Ctx {
            db: dir.path().join("vmsched.db"),
            out: output::Output {
                format: Format::Table,
                quiet: true,
                verbose: 0,
                progress: false,
            },
            timeout: std::time::Duration::from_secs(1),
        };
        let add = ["add", "w10", "-c", "qemu:///system", "--domain", "win10"];
        let add = [&add[..], &["--snapshot", "wtb", "--no-check"]].concat();
        assert_eq!(vms(&ctx, &add), "");
        assert_eq!(vms(&ctx, &["list", "--name"]), "w10\n");
        ctx.out.format = Format::Json;
        let list: serde_json::Value = serde_json::from_str(&vms(&ctx, &["list"])).unwrap();
        assert_eq!(list[0]["snapshot"], "wtb");
    }
}
