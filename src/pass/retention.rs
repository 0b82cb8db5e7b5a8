//! What passes do once their own work is committed and their workers released: purge a little
//! of what ended longer ago than the `retention` setting (a few batches of a few hundred rows,
//! each its own short transaction, never a vacuum), and keep the worker log bounded.

use crate::store::purge::{self, Cutoff};
use crate::store::{settings, Busy, Store};
use crate::workers::logs;
use anyhow::Result;

/// Batches a run of passes purges at most: a lab's backlog goes over many passes.
const BATCHES: usize = 4;

/// Purges up to `BATCHES` batches and bounds the worker log. A busy database only postpones
/// the purge to a later pass.
pub fn tidy(store: &mut Store) -> Result<()> {
    logs::bound_workers_log(store.path())?;
    let retention = settings::load(store.conn())?.retention;
    let Some(cutoff) = (retention > 0)
        .then(|| Cutoff::before(chrono::Utc::now(), u64::from(retention)))
        .flatten()
    else {
        return Ok(());
    };
    for _ in 0..BATCHES {
        let batch = match purge::step(store, &cutoff) {
            Err(err) if err.is::<Busy>() => return Ok(()),
            other => other?,
        };
        if batch.rows() == 0 {
            break;
        }
        for job in batch.job_ids {
            logs::job_logs(store.path(), job, true);
        }
    }
    Ok(())
}
