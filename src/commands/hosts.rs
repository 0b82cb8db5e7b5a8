//! `vmsched hosts list|set`: per-host limits, where each effective value comes from, and the
//! paused flag that drains a host. `vms import` stores host rows through `save` too.

use crate::cli::{Format, HostSetArgs, HostsCommand};
use crate::exit::bad_input;
use crate::identity::real_user;
use crate::model::{host_key, HostSpec, LimitSpec, Limits};
use crate::output;
use crate::pass;
use crate::scheduler::{self, HostCounts};
use crate::store::history::{self, Entry, Event, Kind};
use crate::store::hosts::{self, GLOBAL};
use crate::store::settings;
use crate::store::{vms, Conn, Mode};
use crate::Ctx;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// The limits in the order of docs/rules.md §1.3, as stored and as flags name them.
const NAMES: [&str; 5] = [
    "max_active",
    "max_running",
    "max_reverting",
    "max_reverts_while_running",
    "max_vms_when_idle",
];

fn named(spec: &LimitSpec) -> [Option<u32>; 5] {
    [
        spec.max_active,
        spec.max_running,
        spec.max_reverting,
        spec.max_reverts_while_running,
        spec.max_vms_when_idle,
    ]
}

fn resolved(limits: &Limits) -> [u32; 5] {
    [
        limits.max_active,
        limits.max_running,
        limits.max_reverting,
        limits.max_reverts_while_running,
        limits.max_vms_when_idle,
    ]
}

/// Runs a `hosts` subcommand.
pub fn run(ctx: &Ctx, command: HostsCommand, out: &mut dyn Write) -> Result<()> {
    match command {
        HostsCommand::List => list(ctx, out),
        HostsCommand::Set(args) => set(ctx, &args),
    }
}

/// A host key given by the admin: `*`, or host[:port], lower-cased as URIs' host keys are.
pub(crate) fn parse_host(host: &str) -> Result<String> {
    if host == GLOBAL {
        return Ok(GLOBAL.to_string());
    }
    let invalid = || {
        bad_input(format!(
            "invalid host key `{host}` (expected host[:port] or `*`)"
        ))
    };
    if host.is_empty() || host.contains(['/', '@', '?', '#', ' ']) {
        return Err(invalid().into());
    }
    Ok(host_key(&format!("qemu+ssh://{host}/system")).map_err(|_| invalid())?)
}

/// What changes from `old` to `new` overrides: each limit or `paused` that differs, with its
/// old and new value (`None` for a limit not set).
pub(crate) fn diff(
    old: &HostSpec,
    new: &HostSpec,
) -> Vec<(&'static str, Option<String>, Option<String>)> {
    let text = |v: Option<u32>| v.map(|v| v.to_string());
    let limits = NAMES
        .iter()
        .zip(named(&old.limits()))
        .zip(named(&new.limits()));
    let mut diffs: Vec<_> = limits
        .filter(|((_, old), new)| old != new)
        .map(|((name, old), new)| (*name, text(old), text(new)))
        .collect();
    if old.paused != new.paused {
        let flag = |paused: bool| Some(paused.to_string());
        diffs.push(("paused", flag(old.paused), flag(new.paused)));
    }
    diffs
}

/// Stores a host's overrides and records the change in the history (no VM, the host set).
/// Returns the new overrides in words, `None` when nothing changed.
pub(crate) fn save(
    conn: &Conn,
    host: &str,
    spec: &HostSpec,
    user: &str,
    reason: Option<&str>,
) -> Result<Option<String>> {
    if hosts::get(conn, host)? == *spec {
        return Ok(None);
    }
    hosts::put(conn, host, spec)?;
    let mut words: Vec<String> = NAMES
        .iter()
        .zip(named(&spec.limits()))
        .filter_map(|(name, value)| value.map(|v| format!("{name}={v}")))
        .collect();
    if spec.paused {
        words.push("paused".to_string());
    }
    let words = if words.is_empty() {
        "no overrides".to_string()
    } else {
        words.join(", ")
    };
    let detail = history::detail(&format!("limits of {host}: {words}"), user, reason);
    let entry = Entry {
        host: Some(host),
        reason,
        ..Entry::new(user, Event::new(Kind::Admin, &detail))
    };
    history::record(conn, &entry)?;
    Ok(Some(words))
}

fn set(ctx: &Ctx, args: &HostSetArgs) -> Result<()> {
    let host = parse_host(&args.host)?;
    let given = [
        args.max_active,
        args.max_running,
        args.max_reverting,
        args.max_reverts_while_running,
        args.max_vms_when_idle,
    ];
    let mut values = [None; 5];
    for ((value, given), name) in values.iter_mut().zip(given).zip(NAMES) {
        *value = given
            .map(|v| {
                u32::try_from(v).map_err(|_| {
                    let flag = name.replace('_', "-");
                    bad_input(format!(
                        "invalid limit `--{flag} {v}`: limits are 0 or more"
                    ))
                })
            })
            .transpose()?;
    }
    if host == GLOBAL && args.paused {
        return Err(bad_input("`*` cannot be paused")
            .hint("pause hosts one by one")
            .into());
    }
    let user = real_user();
    let mut store = ctx.open(Mode::Create)?;
    let (words, used) = store.write(|tx| {
        let mut spec = if args.reset {
            HostSpec::default()
        } else {
            hosts::get(tx, &host)?
        };
        let slots = [
            &mut spec.max_active,
            &mut spec.max_running,
            &mut spec.max_reverting,
            &mut spec.max_reverts_while_running,
            &mut spec.max_vms_when_idle,
        ];
        for (slot, value) in slots.into_iter().zip(values) {
            if value.is_some() {
                *slot = value;
            }
        }
        spec.paused = args.paused || (spec.paused && !args.resume);
        let used = host == GLOBAL || vms::list(tx)?.iter().any(|vm| vm.host() == host);
        Ok((save(tx, &host, &spec, &user, args.reason.as_deref())?, used))
    })?;
    if !used {
        ctx.out.warn(format_args!("no VM uses host `{host}` yet"));
    }
    match words {
        Some(words) => ctx.out.say(format_args!("host `{host}`: {words}")),
        None => ctx.out.say(format_args!("host `{host}` unchanged")),
    }
    Ok(())
}

/// One effective limit of `hosts list`.
#[derive(Serialize)]
struct LimitJson {
    value: u32,
    /// The value named by the host or global row, before normalisation.
    set: Option<u32>,
    /// `host`, `global` or `default`.
    source: &'static str,
    normalised: bool,
}

/// An element of `hosts list --format json`.
#[derive(Serialize)]
struct HostJson {
    host: String,
    vms: usize,
    paused: bool,
    /// What the host holds now (for `*`, every host together).
    live: HostCounts,
    limits: BTreeMap<&'static str, LimitJson>,
}

/// Every host key of the inventory or of the `hosts` table, and `*` (the global limits,
/// counting every VM), with what each holds now and its effective limits and where they
/// come from, all read in one transaction.
fn list(ctx: &Ctx, out: &mut dyn Write) -> Result<()> {
    let store = ctx.open(Mode::Read)?;
    let (specs, all, live) = store.read(|tx| {
        let loaded = pass::judge(tx, &settings::load(tx)?)?;
        let live = scheduler::host_counts(&loaded.state);
        Ok((hosts::load(tx)?, vms::list(tx)?, live))
    })?;
    let total = live
        .values()
        .fold(HostCounts::default(), |sum, c| HostCounts {
            active: sum.active + c.active,
            idle: sum.idle + c.idle,
            sleeping: sum.sleeping + c.sleeping,
            reverting: sum.reverting + c.reverting,
            running: sum.running + c.running,
            dirty: sum.dirty + c.dirty,
            queued: sum.queued + c.queued,
        });
    let mut counts: BTreeMap<String, usize> = specs.keys().map(|h| (h.clone(), 0)).collect();
    counts.insert(GLOBAL.to_string(), all.len());
    for vm in &all {
        *counts.entry(vm.host()).or_default() += 1;
    }
    let global = specs.get(GLOBAL).cloned().unwrap_or_default().limits();
    let rows: Vec<HostJson> = counts
        .into_iter()
        .map(|(host, vms)| {
            let spec = specs
                .get(&host)
                .filter(|_| host != GLOBAL)
                .cloned()
                .unwrap_or_default();
            let values = resolved(&Limits::resolve(&global, &spec.limits()));
            let sources = named(&spec.limits())
                .into_iter()
                .zip(named(&global))
                .map(|(h, g)| {
                    h.map(|v| (Some(v), "host"))
                        .or(g.map(|v| (Some(v), "global")))
                        .unwrap_or((None, "default"))
                });
            let limits = NAMES
                .into_iter()
                .zip(values.into_iter().zip(sources))
                .map(|(name, (value, (set, source)))| {
                    let normalised = set.is_some_and(|s| s != value);
                    (
                        name,
                        LimitJson {
                            value,
                            set,
                            source,
                            normalised,
                        },
                    )
                })
                .collect();
            let counts = if host == GLOBAL {
                total
            } else {
                live.get(&host).copied().unwrap_or_default()
            };
            HostJson {
                host,
                vms,
                paused: spec.paused,
                live: counts,
                limits,
            }
        })
        .collect();
    if ctx.out.format == Format::Json {
        return output::json(out, &rows);
    }
    let header = [
        "Host",
        "VMs",
        "Paused",
        "Active",
        "Running",
        "Reverting",
        "Queued",
    ];
    let mut table = output::table(header.into_iter().chain(NAMES));
    for row in &rows {
        let l = row.live;
        let mut cells = vec![row.host.clone(), row.vms.to_string(), yes_no(row.paused)];
        cells.extend([l.active, l.running, l.reverting, l.queued].map(|n| n.to_string()));
        for name in NAMES {
            let l = &row.limits[name];
            cells.push(match l.set.filter(|_| l.normalised) {
                Some(set) => format!("{set}→{} ({}, normalised)", l.value, l.source),
                None => format!("{} ({})", l.value, l.source),
            });
        }
        table.add_row(cells);
    }
    output::print_table(out, &table)
}

fn yes_no(flag: bool) -> String {
    if flag { "yes" } else { "no" }.to_string()
}
