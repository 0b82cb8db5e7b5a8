//! Requests for a scheduling pass (docs/architecture.md, "Passes on events"): a counter that
//! every committed change which may let work proceed bumps in its own transaction, and the
//! value the latest pass planned from. The pass lock, not this table, decides who runs a pass;
//! this table makes sure no request is lost between two passes.

use anyhow::Result;
use rusqlite::Connection;

/// Asks for a pass, in the caller's transaction: it counts once that transaction commits.
pub(crate) fn request(conn: &Connection) -> Result<()> {
    conn.prepare_cached("UPDATE pass_requests SET requested = requested + 1 WHERE id = 1")?
        .execute([])?;
    Ok(())
}

/// Marks every request made so far as served, in the pass's transaction: the pass plans from
/// the state those requests committed.
pub(crate) fn serve(conn: &Connection) -> Result<()> {
    conn.prepare_cached("UPDATE pass_requests SET served = requested WHERE id = 1")?
        .execute([])?;
    Ok(())
}

/// Whether a request was made that no pass has served yet.
pub(crate) fn pending(conn: &Connection) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT requested > served FROM pass_requests WHERE id = 1")?
        .query_row([], |r| r.get(0))?)
}
