//! `vmsched domains show`: one entry per domain key of the inventory with its instances, its
//! owner (docs/rules.md §5.1), what libvirt says of it, and a verdict (docs/interfaces.md, "domains show
//! --format json"). Hosts are asked in parallel, each within `--timeout`. `domains check` is
//! the same verdicts as a monitoring probe (`check`).

mod check;
mod live;
mod report;
mod verdict;

pub(crate) use check::unknown;
pub(crate) use verdict::Verdict;

use crate::cli::{DomainsCommand, DomainsShowArgs, Format};
use crate::exit;
use crate::output;
use crate::store::settings;
use crate::store::vms::{self, VmRow};
use crate::store::Mode;
use crate::Ctx;
use anyhow::Result;
use live::fetch;
use report::{entry, print_table, DomainJson};
use std::collections::BTreeMap;
use std::io::Write;

/// A domain key: (uri, domain), compared as exact strings.
type Key = (String, String);

/// Runs a `domains` subcommand; returns the exit code of a success.
pub(crate) fn run(ctx: &Ctx, command: DomainsCommand, out: &mut dyn Write) -> Result<u8> {
    match command {
        DomainsCommand::Show(args) => show(ctx, &args, out),
        DomainsCommand::Check(args) => Ok(check::check(ctx, &args, out)),
    }
}

/// The entry of every domain key on `host` (a host key) named `domain`, when given; libvirt
/// is asked unless `no_live`. The database is read in one transaction and let go before
/// libvirt is asked.
fn entries(
    ctx: &Ctx,
    host: Option<&str>,
    domain: Option<&str>,
    no_live: bool,
) -> Result<Vec<DomainJson>> {
    let store = ctx.open(Mode::Read)?;
    let host = host.map(str::to_ascii_lowercase);
    let (all, settings) = store.read(|tx| Ok((vms::list(tx)?, settings::load(tx)?)))?;
    drop(store);
    let max_errors = settings.max_errors;
    let mut keys: BTreeMap<Key, Vec<VmRow>> = BTreeMap::new();
    for vm in all {
        if host.as_ref().is_some_and(|h| vm.host() != *h) || domain.is_some_and(|d| vm.domain != d)
        {
            continue;
        }
        keys.entry((vm.uri.clone(), vm.domain.clone()))
            .or_default()
            .push(vm);
    }
    let live = if no_live {
        BTreeMap::new()
    } else {
        fetch(keys.keys(), ctx.timeout, settings.allow_ext_uris != 0)
    };
    Ok(keys
        .into_iter()
        .map(|(key, vms)| {
            let live = live.get(&key);
            entry(key, vms, max_errors, live)
        })
        .collect())
}

fn show(ctx: &Ctx, args: &DomainsShowArgs, out: &mut dyn Write) -> Result<u8> {
    let entries = entries(
        ctx,
        args.host.as_deref(),
        args.domain.as_deref(),
        args.no_live,
    )?;
    if ctx.out.format == Format::Json {
        output::json(out, &entries)?;
    } else {
        print_table(out, &entries)?;
    }
    let fine = entries.iter().all(|e| e.verdict.is_fine());
    Ok(if args.check && !fine {
        exit::FAILED
    } else {
        exit::OK
    })
}
