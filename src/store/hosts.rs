//! The `hosts` table: per-host limit overrides and the paused flag; the row `*` holds the
//! global limits.

use crate::model::HostSpec;
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
pub fn load(conn: &Connection) -> Result<BTreeMap<String, HostSpec>> {
    let mut stmt = conn.prepare(&format!("SELECT host, {COLUMNS} FROM hosts"))?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, from_row(r, 1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The overrides of one host key (empty when it has no row).
pub fn get(conn: &Connection, host: &str) -> Result<HostSpec> {
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
