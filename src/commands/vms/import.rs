//! `vmsched vms import FILE.toml`: creates and updates the VMs and host limits an inventory
//! lists, under the rules of `vms add` and `vms set`, all or nothing in one transaction.

use super::check::{check, Checked};
use super::rules::{change, check_fields, create, field_diffs, remove};
use crate::cli::{Format, VmImportArgs};
use crate::commands::{read_text, toml_place};
use crate::exit::bad_input;
use crate::identity::real_user;
use crate::model::{from_maps_only, HostSpec, LimitSpec, Role};
use crate::output;
use crate::process::Proc;
use crate::store::hosts::GLOBAL;
use crate::store::vms::{self, VmRow};
use crate::store::{self, Conn, Mode, Store};
use crate::Ctx;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use toml::Spanned;

/// The inventory file (docs/interfaces.md, "Inventory file"). What it names, it sets: each
/// `[[vm]]` the whole VM, `[limits]` and each `[hosts.H]` the limits and `paused` they name;
/// what it leaves out of those tables keeps its stored value, other hosts stay.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct Inventory {
    limits: Option<LimitSpec>,
    #[serde(default)]
    hosts: BTreeMap<String, HostSpec>,
    #[serde(default)]
    vm: Vec<Entry>,
}

/// One `[[vm]]`; it describes the whole VM, so an absent optional field is its default.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, remote = "Self")]
struct Entry {
    name: Spanned<String>,
    uri: Spanned<String>,
    domain: Spanned<String>,
    snapshot: Spanned<String>,
    kind: Option<Spanned<String>>,
    role: Option<Role>,
    hostname: Option<Spanned<String>>,
    description: Option<String>,
    ready_cmd: Option<Spanned<Vec<String>>>,
}

from_maps_only!(Inventory: "a table", Entry: "a `[[vm]]` table");

impl Entry {
    /// The entry's fields over `base` (a new VM, or the registered one it updates).
    fn apply(&self, base: VmRow) -> VmRow {
        VmRow {
            name: self.name.get_ref().clone(),
            uri: self.uri.get_ref().clone(),
            domain: self.domain.get_ref().clone(),
            snapshot: self.snapshot.get_ref().clone(),
            kind: self
                .kind
                .as_ref()
                .map_or_else(|| "win64".to_string(), |k| k.get_ref().clone()),
            role: self.role.unwrap_or(Role::Base),
            hostname: self.hostname.as_ref().map(|h| h.get_ref().clone()),
            description: self.description.clone(),
            ready_cmd: self.ready_cmd.as_ref().map(|c| c.get_ref().clone()),
            ..base
        }
    }

    /// Where a field is written (the name's line for a field left out).
    fn span(&self, field: &str) -> std::ops::Range<usize> {
        let span = match field {
            "uri" => Some(self.uri.span()),
            "domain" => Some(self.domain.span()),
            "snapshot" => Some(self.snapshot.span()),
            "kind" => self.kind.as_ref().map(Spanned::span),
            "hostname" => self.hostname.as_ref().map(Spanned::span),
            "ready_cmd" => self.ready_cmd.as_ref().map(Spanned::span),
            _ => None,
        };
        span.unwrap_or_else(|| self.name.span())
    }
}

/// One change of an import, as printed (`--format json`: an array of them).
#[derive(Serialize)]
struct Change {
    /// `add`, `update`, `remove` or `limits`.
    action: &'static str,
    /// A VM name or a host key.
    target: String,
    detail: String,
    /// What an update or a limits change changes, field by field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<Field>,
}

/// A field an update changes: its old and new value (`null` for none).
#[derive(Serialize)]
struct Field {
    field: &'static str,
    old: Option<String>,
    new: Option<String>,
}

impl Change {
    /// An update or limits change, its detail the fields `old → new` (`-` for none).
    fn fields(action: &'static str, target: String, fields: Vec<Field>, forced: bool) -> Change {
        let shown = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_string());
        let mut words: Vec<String> = fields
            .iter()
            .map(|f| format!("{}: {} → {}", f.field, shown(&f.old), shown(&f.new)))
            .collect();
        if forced {
            words.push("forced".to_string());
        }
        Change {
            action,
            target,
            detail: words.join("; "),
            fields,
        }
    }
}

/// Imports the file, parsed before any transaction. `--dry-run` runs the same changes on an
/// in-memory copy of the database (an empty one when there is none yet), so it takes no write
/// lock and creates nothing.
pub fn import(ctx: &Ctx, args: &VmImportArgs, out: &mut dyn Write) -> Result<()> {
    let file = args.file.display().to_string();
    let text = read_text(&args.file, &format!("`{file}`"))?;
    let inventory = parse(&file, &text)?;
    let source = Source {
        file: &file,
        text: &text,
    };
    let listed = listed(&inventory, &source)?;
    super::admit_uris(ctx, listed.iter().map(|vm| vm.uri.as_str()))?;
    let checked = if args.no_check {
        Checked::default()
    } else {
        check(ctx, &listed).or_else(|refusal| {
            let span = inventory.vm[refusal.index].span(refusal.field);
            source.at(span, Err(refusal.error.into()))
        })?
    };
    let mut store = match (args.dry_run, ctx.db.exists()) {
        (true, false) => Store::scratch()?,
        (true, true) => ctx.open(Mode::Read)?.in_memory_copy()?,
        (false, _) => ctx.open(Mode::Create)?,
    };
    let (changes, kill) = store.write_if(!args.dry_run, |tx| {
        apply(tx, &inventory, &listed, &checked, args, &source)
    })?;
    if !args.dry_run {
        crate::process::kill_all(&kill);
    }
    checked.warn(&ctx.out);
    if ctx.out.format == Format::Json {
        output::json(out, &changes)?;
    } else if !changes.is_empty() {
        let mut table = output::table(["Action", "Target", "Detail"]);
        for c in &changes {
            output::add_row(
                &mut table,
                [c.action, &c.target, &c.detail].map(String::from),
            );
        }
        output::print_table(out, &table)?;
    }
    let verb = if args.dry_run { "would make" } else { "made" };
    ctx.out
        .say(format_args!("`{file}`: {verb} {} changes", changes.len()));
    Ok(())
}

/// Parses an inventory's text; errors name the file, the line and the field where known.
pub fn parse(file: &str, text: &str) -> Result<Inventory> {
    toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map_or(String::new(), |span| toml_place(text, span.start));
        let message: Vec<&str> = e.message().lines().map(str::trim).collect();
        bad_input(format!("`{file}`{at}: {}", message.join("; "))).into()
    })
}

/// The file being imported, to locate errors.
struct Source<'a> {
    file: &'a str,
    text: &'a str,
}

impl Source<'_> {
    /// Prefixes an error with the file and the place of `span` in it.
    fn at<T>(&self, span: std::ops::Range<usize>, result: Result<T>) -> Result<T> {
        result.with_context(|| format!("`{}`{}", self.file, toml_place(self.text, span.start)))
    }
}

/// The VMs the inventory lists, as new rows, once their fields are valid and their names
/// unique: checked before libvirt is asked and before any transaction.
fn listed(inv: &Inventory, src: &Source) -> Result<Vec<VmRow>> {
    let mut names = BTreeSet::new();
    let mut listed = Vec::new();
    for entry in &inv.vm {
        let vm = entry.apply(VmRow::new("", "", "", ""));
        if let Err((field, message)) = check_fields(&vm) {
            return src.at(entry.span(field), Err(bad_input(message).into()));
        }
        if !names.insert(vm.name.clone()) {
            let duplicate = bad_input(format!("VM `{}` is listed twice", vm.name));
            return src.at(entry.name.span(), Err(duplicate.into()));
        }
        listed.push(vm);
    }
    Ok(listed)
}

/// Applies the inventory (its entries and their rows from `listed`) inside the transaction;
/// the first error aborts it all. Returns the changes, and the processes of the workers that
/// `--prune --force` stopped.
fn apply(
    tx: &Conn,
    inv: &Inventory,
    listed: &[VmRow],
    checked: &Checked,
    args: &VmImportArgs,
    src: &Source,
) -> Result<(Vec<Change>, Vec<Proc>)> {
    let user = real_user();
    let reason = format!("imported from {}", src.file);
    let reason = Some(reason.as_str());
    let mut changes = Vec::new();
    let mut kill = Vec::new();
    for (entry, vm) in inv.vm.iter().zip(listed) {
        changes.push(match vms::get(tx, &vm.name)? {
            None => {
                let vm = checked.stamp(None, vm.clone());
                src.at(entry.uri.span(), create(tx, &vm, &user, reason))?;
                Change {
                    action: "add",
                    target: vm.name.clone(),
                    detail: format!("{} {} {}", vm.uri, vm.domain, vm.snapshot),
                    fields: Vec::new(),
                }
            }
            Some(old) => {
                let new = checked.stamp(Some(&old), entry.apply(old.clone()));
                let summary = change(tx, &old, &new, false, args.force, &user, reason);
                if src.at(entry.name.span(), summary)?.is_none() {
                    continue;
                }
                let some = |value: String| (!value.is_empty()).then_some(value);
                let fields = field_diffs(&old, &new).into_iter();
                let fields = fields.map(|(field, old, new)| Field {
                    field,
                    old: some(old),
                    new: some(new),
                });
                Change::fields("update", vm.name.clone(), fields.collect(), args.force)
            }
        });
    }
    if inv.hosts.contains_key(GLOBAL) {
        let message = format!("`{}`: the global limits go in `[limits]`", src.file);
        return Err(bad_input(message).into());
    }
    let named = named_limits(src.text);
    let global = inv
        .limits
        .as_ref()
        .map(|limits| (GLOBAL.to_string(), from_limits(limits)));
    for (host, spec) in global.into_iter().chain(inv.hosts.clone()) {
        let key =
            store::hosts::parse_host(&host).with_context(|| format!("`{}` [hosts]", src.file))?;
        let stored = store::hosts::get(tx, &key)?;
        let spec = merged(&stored, &spec, named.get(&host).unwrap_or(&BTreeSet::new()));
        if store::hosts::save(tx, &key, &spec, &user, reason)?.is_some() {
            let fields = store::hosts::diff(&stored, &spec).into_iter();
            let fields = fields.map(|(field, old, new)| Field { field, old, new });
            changes.push(Change::fields("limits", key, fields.collect(), false));
        }
    }
    if args.prune {
        let names: BTreeSet<&str> = listed.iter().map(|vm| vm.name.as_str()).collect();
        for vm in vms::list(tx)?
            .into_iter()
            .filter(|vm| !names.contains(vm.name.as_str()))
        {
            let removed = remove(tx, &vm.name, args.force, &user, reason)
                .with_context(|| format!("`{}` --prune", src.file))?;
            kill.extend(removed.kill);
            let detail = format!("not listed; {} queued tasks canceled", removed.canceled);
            changes.push(Change {
                action: "remove",
                target: vm.name,
                detail,
                fields: Vec::new(),
            });
        }
    }
    Ok((changes, kill))
}

/// The limits each host table names, by host as written (`*` for `[limits]`): an import sets
/// those and keeps the stored ones it does not name (`merged`). Read from the text, as the
/// parsed `HostSpec` cannot tell `paused = false` from no `paused`; the text parsed already.
fn named_limits(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let Ok(table) = text.parse::<toml::Table>() else {
        return BTreeMap::new();
    };
    let keys = |value: &toml::Value| -> BTreeSet<String> {
        value
            .as_table()
            .map_or_else(BTreeSet::new, |t| t.keys().cloned().collect())
    };
    let hosts = table.get("hosts").and_then(toml::Value::as_table);
    let hosts = hosts
        .into_iter()
        .flatten()
        .map(|(host, spec)| (host.clone(), keys(spec)));
    let global = table
        .get("limits")
        .map(|spec| (GLOBAL.to_string(), keys(spec)));
    global.into_iter().chain(hosts).collect()
}

/// A host's stored overrides with the ones the file names put over them: a re-import never
/// resets a limit or a paused flag that `hosts set` stored and the file leaves out.
fn merged(stored: &HostSpec, file: &HostSpec, named: &BTreeSet<String>) -> HostSpec {
    let pick = |name: &str, stored: Option<u32>, file: Option<u32>| {
        if named.contains(name) {
            file
        } else {
            stored
        }
    };
    HostSpec {
        max_active: pick("max_active", stored.max_active, file.max_active),
        max_running: pick("max_running", stored.max_running, file.max_running),
        max_reverting: pick("max_reverting", stored.max_reverting, file.max_reverting),
        max_reverts_while_running: pick(
            "max_reverts_while_running",
            stored.max_reverts_while_running,
            file.max_reverts_while_running,
        ),
        max_vms_when_idle: pick(
            "max_vms_when_idle",
            stored.max_vms_when_idle,
            file.max_vms_when_idle,
        ),
        paused: if named.contains("paused") {
            file.paused
        } else {
            stored.paused
        },
    }
}

fn from_limits(limits: &LimitSpec) -> HostSpec {
    HostSpec {
        max_active: limits.max_active,
        max_running: limits.max_running,
        max_reverting: limits.max_reverting,
        max_reverts_while_running: limits.max_reverts_while_running,
        max_vms_when_idle: limits.max_vms_when_idle,
        paused: false,
    }
}
