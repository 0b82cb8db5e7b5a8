//! `vmsched history`: who changed what, when and why, oldest first.

use crate::cli::{Format, HistoryArgs};
use crate::exit::bad_input;
use crate::model::{check_name, parse_duration};
use crate::output;
use crate::store::history::{self, Query};
use crate::store::Mode;
use crate::Ctx;
use anyhow::Result;
use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use std::io::Write;

/// Prints the history entries `args` selects. `--vm` takes any valid name: removed VMs keep
/// their history.
pub fn history(ctx: &Ctx, args: &HistoryArgs, out: &mut dyn Write) -> Result<()> {
    if let Some(vm) = &args.vm {
        check_name(vm).map_err(bad_input)?;
    }
    let since = args
        .since
        .as_deref()
        .map(|s| since(s, Utc::now()))
        .transpose()?;
    let store = ctx.open(Mode::Read)?;
    let query = Query {
        vm: args.vm.as_deref(),
        since: since.as_deref(),
        limit: args.limit,
    };
    let rows = history::list(store.conn(), &query)?;
    if ctx.out.format == Format::Json {
        return output::json(out, &rows);
    }
    let mut table = output::table([
        "Time", "VM", "Host", "Old", "New", "Detail", "User", "Reason",
    ]);
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_string());
    for row in &rows {
        output::add_row(
            &mut table,
            vec![
                output::local_time(Some(&row.time)),
                text(&row.vm),
                text(&row.host),
                text(&row.old_status),
                text(&row.new_status),
                row.detail.clone(),
                crate::identity::shown(&row.user, row.on_behalf_of.as_deref()),
                text(&row.reason),
            ],
        );
    }
    output::print_table(out, &table)
}

/// `--since` (of `history` and `stats`): `<n>[smhd]` before `now`, or an RFC 3339 time;
/// returned as times are stored (RFC 3339 UTC, whole seconds), so it compares as text.
pub(crate) fn since(text: &str, now: DateTime<Utc>) -> Result<String> {
    let invalid = || {
        bad_input(format!(
            "invalid --since `{text}` (expected <n>[smhd], e.g. `2h`, or an RFC 3339 time)"
        ))
    };
    let time = match DateTime::parse_from_rfc3339(text) {
        Ok(time) => time.with_timezone(&Utc),
        Err(_) => {
            let ago = parse_duration(text)
                .and_then(|secs| TimeDelta::try_seconds(secs as i64))
                .ok_or_else(invalid)?;
            now.checked_sub_signed(ago).ok_or_else(invalid)?
        }
    };
    Ok(time.to_rfc3339_opts(SecondsFormat::Secs, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_durations_and_times() {
        let now = DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(since("90s", now).unwrap(), "2024-05-01T11:58:30Z");
        assert_eq!(since("2h", now).unwrap(), "2024-05-01T10:00:00Z");
        assert_eq!(since("1d", now).unwrap(), "2024-04-30T12:00:00Z");
        assert_eq!(
            since("2024-05-01T14:00:00+02:00", now).unwrap(),
            "2024-05-01T12:00:00Z"
        );
        for bad in ["", "h", "2", "2w", "-1h", "x2h", "2024-13-01T00:00:00Z"] {
            assert!(since(bad, now).is_err(), "{bad}");
        }
    }
}
