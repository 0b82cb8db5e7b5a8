//! The `hosts` table: per-host limit overrides and the paused flag; the row `*` holds the
//! global limits.

use super::history::{self, Entry, Event, Kind};
use crate::exit::bad_input;
use crate::model::{host_key, HostSpec, LimitSpec};
use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::BTreeMap;

/// The host key of the global limits row.
pub const GLOBAL: &str = "*";

/// Reads the `COLUMNS` starting at column `at`.
fn from_row(r: &Row, at: usize) -> rusqlite::Result<HostSpec> {
    Ok(HostSpec {
        max_active: r.get(at)?,
        max_running: r.get(at + 1)?,
        max_reverting: r.get(at + 2)?,
        max_reverts_while_running: r.get(at + 3)?,
        max_vms_when_idle: r.get(at + 4)?,
        paused: r.get(at + 5)?,
    })
}

const COLUMNS: &str =
    "max_active, max_running, max_reverting, max_reverts_while_running, max_vms_when_idle, paused";

/// Every stored row by host key, `*` included (it sorts first).
pub(crate) fn load(conn: &Connection) -> Result<BTreeMap<String, HostSpec>> {
    let mut stmt = conn.prepare(&format!("SELECT host, {COLUMNS} FROM hosts"))?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, from_row(r, 1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The overrides of one host key (empty when it has no row).
pub(crate) fn get(conn: &Connection, host: &str) -> Result<HostSpec> {
    let sql = format!("SELECT {COLUMNS} FROM hosts WHERE host = ?1");
    Ok(conn
        .query_row(&sql, [host], |r| from_row(r, 0))
        .optional()?
        .unwrap_or_default())
}

/// Stores a host's overrides; a row that names nothing and is not paused is deleted.
pub fn put(conn: &Connection, host: &str, spec: &HostSpec) -> Result<()> {
    if *spec == HostSpec::default() {
        conn.execute("DELETE FROM hosts WHERE host = ?1", [host])?;
        return Ok(());
    }
    conn.execute(
        &format!(
            "INSERT OR REPLACE INTO hosts (host, {COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        ),
        params![
            host,
            spec.max_active,
            spec.max_running,
            spec.max_reverting,
            spec.max_reverts_while_running,
            spec.max_vms_when_idle,
            spec.paused
        ],
    )?;
    Ok(())
}

/// The limits in the order of docs/rules.md §1.3, as stored and as flags name them.
pub(crate) const NAMES: [&str; 5] = [
    "max_active",
    "max_running",
    "max_reverting",
    "max_reverts_while_running",
    "max_vms_when_idle",
];

/// The overrides of `spec` in the order of `NAMES`.
pub(crate) fn named(spec: &LimitSpec) -> [Option<u32>; 5] {
    [
        spec.max_active,
        spec.max_running,
        spec.max_reverting,
        spec.max_reverts_while_running,
        spec.max_vms_when_idle,
    ]
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
    conn: &Connection,
    host: &str,
    spec: &HostSpec,
    user: &str,
    reason: Option<&str>,
) -> Result<Option<String>> {
    if get(conn, host)? == *spec {
        return Ok(None);
    }
    put(conn, host, spec)?;
    let mut overrides: Vec<String> = NAMES
        .iter()
        .zip(named(&spec.limits()))
        .filter_map(|(name, value)| value.map(|v| format!("{name}={v}")))
        .collect();
    if spec.paused {
        overrides.push("paused".to_string());
    }
    let overrides = if overrides.is_empty() {
        "no overrides".to_string()
    } else {
        overrides.join(", ")
    };
    let detail = history::detail(&format!("limits of {host}: {overrides}"), user, reason);
    let entry = Entry {
        host: Some(host),
        reason,
        ..Entry::new(user, Event::new(Kind::Admin, &detail))
    };
    history::record(conn, &entry)?;
    Ok(Some(overrides))
}
