//! `vmsched history`: who changed what, when and why; the newest 50 rows by default, oldest
//! first like `tail`, written as they are read.

use crate::cli::HistoryArgs;
use crate::exit::bad_input;
use crate::model::check_name;
use crate::output::{self, Rows};
use crate::store::history::{self, Query};
use crate::store::Mode;
use crate::Ctx;
use anyhow::Result;
use std::io::Write;

/// The rows `history` shows without `--limit` or `--all`.
const DEFAULT_LIMIT: u32 = 50;

/// Prints the history entries `args` selects. `--vm` takes any valid name: removed VMs keep
/// their history.
pub(crate) fn history(ctx: &Ctx, args: &HistoryArgs, out: &mut dyn Write) -> Result<()> {
    if let Some(vm) = &args.vm {
        check_name(vm).map_err(bad_input)?;
    }
    let since = args.since.as_deref().map(super::since).transpose()?;
    let store = ctx.open(Mode::Read)?;
    let query = Query {
        vm: args.vm.as_deref(),
        since,
        limit: (!args.all).then_some(args.limit.unwrap_or(DEFAULT_LIMIT)),
    };
    let header = [
        "Time", "VM", "Host", "Old", "New", "Detail", "User", "Reason",
    ];
    let mut rows = Rows::new(out, ctx.out.format, &header);
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    store.read(|conn| {
        history::each(conn, &query, |row| {
            rows.push(&row, || {
                vec![
                    output::local(Some(row.time)),
                    text(&row.vm),
                    text(&row.host),
                    text(&row.old_status),
                    text(&row.new_status),
                    row.detail.clone(),
                    crate::identity::shown(&row.user, row.on_behalf_of.as_deref()),
                    text(&row.reason),
                ]
            })
        })
    })?;
    rows.finish()
}
