//! `schedule-once --wait`: waits for the workers a pass started, with one progress line per
//! operation on a terminal (VM, what, elapsed) and nothing elsewhere.

use crate::output::Output;
use crate::process::Proc;
use anyhow::Result;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

/// A worker started by this pass.
pub(crate) struct Started {
    /// What the progress line says, e.g. `w10 revert`.
    pub(crate) label: String,
    pub(crate) proc: Proc,
}

/// Waits for every worker to exit (they are the launcher's children, not this process's:
/// each is watched through its pid and start time).
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
        for (s, bar) in pending {
            if s.proc.is_alive() {
                still.push((s, bar));
            } else {
                bar.finish_and_clear();
            }
        }
        pending = still;
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}
