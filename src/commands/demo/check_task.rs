//! `vmsched demo --check-task`, the demo's task: the domain's current snapshot must be the
//! instance's own, at the task's start and end.

use crate::hypervisor::{self, Hypervisor};
use crate::{exit, Ctx};
use anyhow::{Context, Result};
use std::time::{Duration, Instant};

/// The demo's task: checks, with libvirt, at its start and end, that its domain's current
/// snapshot is its own instance's; fails loudly otherwise. libvirt errors (a daemon being
/// restarted) are retried for up to `--timeout` seconds per check, on a new connection each
/// time, so a bounced daemon is not mistaken for a wrong snapshot.
pub(super) fn check_task(ctx: &Ctx) -> Result<u8> {
    let var = |k: &str| {
        std::env::var(k).with_context(|| format!("{k} is not set: run me as a vmsched task"))
    };
    let (vm, uri, domain, snapshot) = (
        var("VMSCHED_VM")?,
        var("VMSCHED_URI")?,
        var("VMSCHED_DOMAIN")?,
        var("VMSCHED_SNAPSHOT")?,
    );
    for moment in ["start", "end"] {
        let current = current_snapshot_patiently(&uri, &domain, ctx.timeout)?;
        println!("{moment}: {vm} on {domain}: current snapshot {current:?}, expected {snapshot}");
        if current.as_deref() != Some(snapshot.as_str()) {
            eprintln!(
                "WRONG SNAPSHOT: {vm} expected `{snapshot}` on {domain}, libvirt says {current:?}"
            );
            return Ok(exit::FAILED);
        }
        if moment == "start" {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    Ok(exit::OK)
}

/// The domain's current snapshot, retrying libvirt errors until `within` has passed.
fn current_snapshot_patiently(uri: &str, domain: &str, within: Duration) -> Result<Option<String>> {
    let deadline = Instant::now() + within;
    loop {
        let asked =
            hypervisor::connect(uri, within, within).and_then(|hv| hv.current_snapshot(domain));
        match asked {
            Ok(current) => return Ok(current),
            Err(err) if Instant::now() < deadline => {
                println!("libvirt: {err}; asking again");
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(err) => return Err(err.into()),
        }
    }
}
