//! The history table: who changed what, when and why.

use super::now;
use anyhow::Result;
use rusqlite::{params, Connection};
use serde::Serialize;

/// One history entry about to be written.
#[derive(Clone, Debug, Default)]
pub(crate) struct Entry<'a> {
    pub(crate) vm: Option<&'a str>,
    pub(crate) host: Option<&'a str>,
    pub(crate) old_status: Option<&'a str>,
    pub(crate) new_status: Option<&'a str>,
    /// What happened, e.g. `dirty sacrifice for w10` or `off stolen by w10_fr`.
    pub(crate) detail: &'a str,
    /// The real user (`identity::real_user`, or the scheduler's name).
    pub(crate) user: &'a str,
    /// The user the action was declared for (`jobs submit --user`), when someone else.
    pub(crate) on_behalf_of: Option<&'a str>,
    pub(crate) reason: Option<&'a str>,
    /// A line for cron's mail (docs/interfaces.md, "Cron").
    pub(crate) alert: bool,
}

/// Appends an entry, unless it repeats the VM's last one (same new status and detail).
pub(crate) fn record(conn: &Connection, entry: &Entry) -> Result<()> {
    if let Some(vm) = entry.vm {
        let last: Option<(Option<String>, String)> = conn
            .query_row(
                "SELECT new_status, detail FROM history WHERE vm = ?1 ORDER BY id DESC LIMIT 1",
                [vm],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .ok();
        if entry.old_status == entry.new_status
            && last
                .as_ref()
                .is_some_and(|(s, d)| s.as_deref() == entry.new_status && d == entry.detail)
        {
            return Ok(());
        }
    }
    conn.prepare_cached(
        "INSERT INTO history (time, vm, host, old_status, new_status, detail, user, reason, alert,
                              on_behalf_of)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        now(),
        entry.vm,
        entry.host,
        entry.old_status,
        entry.new_status,
        entry.detail,
        entry.user,
        entry.reason,
        entry.alert,
        entry.on_behalf_of
    ])?;
    Ok(())
}

/// Records a pass's task counters (`counters runnable R queued Q blocked B`) when they differ
/// from the last recorded ones.
pub(crate) fn record_counters(
    conn: &Connection,
    user: &str,
    (runnable, queued, blocked): (u32, u32, u32),
) -> Result<()> {
    let detail = format!("counters runnable {runnable} queued {queued} blocked {blocked}");
    let last: Option<String> = conn
        .query_row(
            "SELECT detail FROM history WHERE vm IS NULL AND detail LIKE 'counters %' ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .ok();
    if last.as_deref() == Some(detail.as_str()) {
        return Ok(());
    }
    record(
        conn,
        &Entry {
            detail: &detail,
            user,
            ..Entry::default()
        },
    )
}

/// A history detail naming who acted and why: `maintenance by alice: disk full`.
pub(crate) fn detail(what: &str, user: &str, reason: Option<&str>) -> String {
    match reason {
        Some(reason) => format!("{what} by {user}: {reason}"),
        None => format!("{what} by {user}"),
    }
}

/// The settings row that remembers the last history entry a pass reported.
const REPORTED: &str = "_last_reported";

/// The lines for cron's mail recorded since the last call (rows marked `alert`: tasks that
/// ended in `boterror` or did not start on a domain showing another snapshot, VMs that went
/// offline first in a streak of failures or reached max_errors),
/// for cron's mail; remembers where it stopped.
pub(crate) fn take_alerts(conn: &Connection) -> Result<Vec<String>> {
    let since: i64 = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [REPORTED],
            |r| r.get::<_, String>(0),
        )
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut stmt = conn.prepare(
        "SELECT id, vm, detail, new_status FROM history WHERE id > ?1 AND alert = 1 ORDER BY id",
    )?;
    let mut last = since;
    let mut lines = Vec::new();
    let mut rows = stmt.query([since])?;
    while let Some(r) = rows.next()? {
        last = r.get(0)?;
        let vm: String = r.get(1)?;
        let detail: String = r.get(2)?;
        lines.push(format!("{vm}: {detail}"));
    }
    let newest: i64 = conn
        .prepare_cached("SELECT coalesce(max(id), 0) FROM history")?
        .query_row([], |r| r.get(0))?;
    conn.prepare_cached("INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2")?.execute(
        params![REPORTED, newest.max(last).to_string()],
    )?;
    Ok(lines)
}

/// One stored history entry, as `history --format json` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Row {
    /// RFC 3339 UTC.
    pub(crate) time: String,
    pub(crate) vm: Option<String>,
    pub(crate) host: Option<String>,
    #[serde(rename = "old")]
    pub(crate) old_status: Option<String>,
    #[serde(rename = "new")]
    pub(crate) new_status: Option<String>,
    pub(crate) detail: String,
    /// The real user who acted.
    pub(crate) user: String,
    /// The user the action was declared for, when someone else.
    pub(crate) on_behalf_of: Option<String>,
    pub(crate) reason: Option<String>,
}

/// Which entries `list` returns.
#[derive(Clone, Debug, Default)]
pub(crate) struct Query<'a> {
    pub(crate) vm: Option<&'a str>,
    /// Only entries at or after this stored time (RFC 3339 UTC, as `now` writes it).
    pub(crate) since: Option<&'a str>,
    /// Only the newest this many.
    pub(crate) limit: Option<u32>,
}

/// The entries matching `query`, oldest first.
pub(crate) fn list(conn: &Connection, query: &Query) -> Result<Vec<Row>> {
    let mut stmt = conn.prepare(
        "SELECT time, vm, host, old_status, new_status, detail, user, reason, on_behalf_of
         FROM history
         WHERE (?1 IS NULL OR vm = ?1) AND (?2 IS NULL OR time >= ?2)
         ORDER BY id DESC LIMIT ?3",
    )?;
    let limit = query.limit.map_or(-1, i64::from);
    let rows = stmt.query_map(params![query.vm, query.since, limit], |r| {
        Ok(Row {
            time: r.get(0)?,
            vm: r.get(1)?,
            host: r.get(2)?,
            old_status: r.get(3)?,
            new_status: r.get(4)?,
            detail: r.get(5)?,
            user: r.get(6)?,
            reason: r.get(7)?,
            on_behalf_of: r.get(8)?,
        })
    })?;
    let mut rows: Vec<Row> = rows.collect::<rusqlite::Result<_>>()?;
    rows.reverse();
    Ok(rows)
}
