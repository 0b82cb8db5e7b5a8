//! The `last_pass` table: when the last pass started and how long it took (its planning
//! transaction, kills and spawns), for `vmsched metrics`.

use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension};
use std::time::Duration;

/// The last pass: its start (RFC 3339 UTC, milliseconds) and duration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LastPass {
    pub started: String,
    pub duration_ms: i64,
}

/// Records a pass that started at `started` and took `took`.
pub fn record(conn: &Connection, started: &str, took: Duration) -> Result<()> {
    let ms = i64::try_from(took.as_millis()).unwrap_or(i64::MAX);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO last_pass (id, started, duration_ms) VALUES (1, ?1, ?2)",
    )?
    .execute(params![started, ms])?;
    Ok(())
}

/// The last pass recorded, if any.
pub fn get(conn: &Connection) -> Result<Option<LastPass>> {
    Ok(conn
        .query_row("SELECT started, duration_ms FROM last_pass", [], |r| {
            Ok(LastPass {
                started: r.get(0)?,
                duration_ms: r.get(1)?,
            })
        })
        .optional()?)
}
