//! `schedule-once --wait`: waits for the workers a pass started, with one progress line per
//! operation on a terminal (VM, what, elapsed) and nothing elsewhere.

use crate::output::Output;
use anyhow::Result;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::process::Child;
use std::time::Duration;

/// A worker started by this pass.
pub(crate) struct Started {
    /// What the progress line says, e.g. `w10 revert`.
    pub(crate) label: String,
    pub(crate) child: Child,
}

/// Waits for every worker to exit.
pub(crate) fn wait_all(out: Output, started: Vec<Started>) -> Result<()> {
    let bars = MultiProgress::with_draw_target(if out.progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let style = ProgressStyle::with_template("{spinner} {msg} {elapsed}")?;
    let mut pending: Vec<(Started, ProgressBar)> = started
        .into_iter()
        .map(|s| {
            let bar = bars.add(
                ProgressBar::new_spinner()
                    .with_style(style.clone())
                    .with_message(s.label.clone()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            (s, bar)
        })
        .collect();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for (mut s, bar) in pending {
            match s.child.try_wait()? {
                Some(_) => bar.finish_and_clear(),
                None => still.push((s, bar)),
            }
        }
        pending = still;
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
