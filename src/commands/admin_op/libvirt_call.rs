//! The libvirt call of an admin operation in a thread under the revert
//! timeout, a spinner with the elapsed time on a terminal, and Ctrl-C polled meanwhile.

use super::Outcome;
use crate::hypervisor::{self, HvError, Hypervisor};
use crate::interrupt;
use crate::ownership::AdminOp;
use crate::store::vms::VmRow;
use crate::Ctx;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// Runs the operation's libvirt call; returns when it ends or Ctrl-C arrives.
pub(super) fn call_libvirt(ctx: &Ctx, op: AdminOp, vm: &VmRow, op_timeout: Duration) -> Outcome {
    let (tx, rx) = mpsc::sync_channel(1);
    let (uri, domain, snapshot) = (vm.uri.clone(), vm.domain.clone(), vm.snapshot.clone());
    let timeout = ctx.timeout;
    let spawned = std::thread::Builder::new()
        .name("admin-op".to_string())
        .spawn(move || {
            let result = hypervisor::connect(&uri, timeout, op_timeout).and_then(|hv| match op {
                AdminOp::Revert => {
                    hv.revert(&domain, &snapshot)?;
                    // The VM becomes idle only on a domain libvirt shows at its snapshot.
                    match hypervisor::mismatch(&hv, &domain, &snapshot)? {
                        None => Ok(()),
                        Some(shows) => Err(HvError::new(
                            hypervisor::HvErrorKind::Other,
                            format!("the revert did not take: {shows}"),
                        )),
                    }
                }
                AdminOp::Poweroff => hv.power_off(&domain),
            });
            let _ = tx.send(result);
        });
    if let Err(err) = spawned {
        return Outcome::Failed(HvError::new(
            hypervisor::HvErrorKind::Other,
            format!("cannot start a thread: {err}"),
        ));
    }
    let spinner = ProgressBar::with_draw_target(
        None,
        if ctx.out.progress {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
        spinner.set_style(style);
    }
    spinner.set_message(match op {
        AdminOp::Revert => format!(
            "`{}`: reverting `{}` to `{}`",
            vm.name, vm.domain, vm.snapshot
        ),
        AdminOp::Poweroff => format!("`{}`: powering `{}` off", vm.name, vm.domain),
    });
    spinner.enable_steady_tick(Duration::from_millis(120));
    let outcome = loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Ok(())) => break Outcome::Done,
            Ok(Err(err)) => break Outcome::Failed(err),
            Err(RecvTimeoutError::Timeout) if interrupt::interrupted() => {
                break Outcome::Interrupted
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                break Outcome::Failed(HvError::new(
                    hypervisor::HvErrorKind::Other,
                    "the libvirt call panicked",
                ))
            }
        }
    };
    spinner.finish_and_clear();
    outcome
}
