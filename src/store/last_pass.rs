//! The `last_pass` table: when the last pass started and how long it took (its planning
//! transaction, kills and spawns), for `vmsched metrics`.

use anyhow::Result;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use std::time::Duration;

/// The last pass: its start and duration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LastPass {
    pub(crate) started: DateTime<Utc>,
    pub(crate) duration_ms: i64,
}

/// Records a pass that started at `started` and took `took`. The start is stored to the
/// millisecond (RFC 3339 UTC), finer than other times, as the metric gives its fraction.
pub(crate) fn record(conn: &Connection, started: DateTime<Utc>, took: Duration) -> Result<()> {
    let started = started.to_rfc3339_opts(SecondsFormat::Millis, true);
    let ms = i64::try_from(took.as_millis()).unwrap_or(i64::MAX);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO last_pass (id, started, duration_ms) VALUES (1, ?1, ?2)",
    )?
    .execute(params![started, ms])?;
    Ok(())
}

/// The last pass recorded, if any.
pub(crate) fn get(conn: &Connection) -> Result<Option<LastPass>> {
    Ok(conn
        .query_row("SELECT started, duration_ms FROM last_pass", [], |r| {
            Ok(LastPass {
                started: super::time_at(r, 0)?,
                duration_ms: r.get(1)?,
            })
        })
        .optional()?)
}
