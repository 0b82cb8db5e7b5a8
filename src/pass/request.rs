//! Asking for a pass after a committed change (docs/architecture.md, "Passes on events").
//! The request is recorded in the database first; then, when event passes are on and this
//! process may run passes for the database's owner, a detached pass is started unless a pass
//! holds the lock (that pass runs again before it lets go, and serves the request). The
//! requester never waits for the pass it asks for.

use super::owner::{self, Standing};
use crate::lock;
use crate::store::{requests, settings, Store};
use anyhow::{Context, Result};
use std::path::Path;
use std::process::{Command, Stdio};

/// The variable that turns event passes off for a process tree (`0`).
pub(crate) const ENV: &str = "VMSCHED_EVENT_PASSES";

/// Whether this process tree may start event passes.
fn enabled_here() -> bool {
    std::env::var_os(ENV).is_none_or(|v| v != "0")
}

/// Asks for a pass after a change this process committed. A failure is only a warning: the
/// change is committed, and cron's next pass plans from it.
pub(crate) fn ask(store: &mut Store) {
    if let Err(err) = try_ask(store) {
        eprintln!("warning: could not ask for a scheduling pass: {err:#}");
    }
}

fn try_ask(store: &mut Store) -> Result<()> {
    let on = store.write(|tx| {
        requests::request(tx)?;
        Ok(settings::load(tx)?.event_passes != 0)
    })?;
    if !on || !enabled_here() {
        return Ok(());
    }
    match owner::standing(store.path())? {
        Standing::Other { .. } => return Ok(()),
        // Root does not touch the lock file, which must stay the owner's: the pass it starts
        // takes the owner's identity first, then looks at the lock.
        Standing::Root { .. } => {}
        Standing::Owner => {
            if lock::try_acquire(store.path())?.is_none() {
                return Ok(());
            }
        }
    }
    start_detached(store.path())
}

/// Starts `vmsched schedule-once --event`, not waited for: it leaves this process's session
/// and sends its messages to the worker log itself, once it runs as the owner.
fn start_detached(db: &Path) -> Result<()> {
    Command::new(crate::workers::exe("vmsched")?)
        .arg("--db")
        .arg(db)
        .args(["--no-progress", "schedule-once", "--event"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot start a pass")?;
    Ok(())
}
