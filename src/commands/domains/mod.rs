//! `vmsched domains show`: one entry per domain key of the inventory with its instances, its
//! owner (docs/rules.md §5.1), what libvirt says of it, and a verdict (docs/interfaces.md, "domains show
//! --format json"). Hosts are asked in parallel, each within `--timeout`.

mod live;
mod report;
mod verdict;

pub use live::Live;
pub use verdict::{verdict, Verdict};

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
pub fn run(ctx: &Ctx, command: DomainsCommand, out: &mut dyn Write) -> Result<u8> {
    match command {
        DomainsCommand::Show(args) => show(ctx, &args, out),
    }
}

fn show(ctx: &Ctx, args: &DomainsShowArgs, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.open(Mode::Existing)?;
    let host = args.host.as_deref().map(str::to_ascii_lowercase);
    let mut keys: BTreeMap<Key, Vec<VmRow>> = BTreeMap::new();
    for vm in vms::list(store.conn())? {
        if host.as_ref().is_some_and(|h| vm.host() != *h)
            || args.domain.as_ref().is_some_and(|d| vm.domain != *d)
        {
            continue;
        }
        keys.entry((vm.uri.clone(), vm.domain.clone()))
            .or_default()
            .push(vm);
    }
    let settings = settings::load(store.conn())?;
    drop(store);
    let live = if args.no_live {
        BTreeMap::new()
    } else {
        fetch(keys.keys(), ctx.timeout, settings.allow_ext_uris != 0)
    };
    let max_errors = settings.max_errors;
    let entries: Vec<DomainJson> = keys
        .into_iter()
        .map(|(key, vms)| {
            let live = live.get(&key);
            entry(key, vms, max_errors, live)
        })
        .collect();
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
