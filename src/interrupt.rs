//! Ctrl-C as a flag. A command that holds a VM while it waits for libvirt catches SIGINT,
//! polls the flag and cleans up before it exits 130, instead of dying with the VM recorded
//! as busy under a process that no longer exists.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// From now on SIGINT sets the flag instead of killing the process.
pub(crate) fn catch() {
    // Fails only if sigaction does, which it cannot for SIGINT; SIGINT then still kills.
    let _ = signal_hook::flag::register(signal_hook::consts::SIGINT, &INTERRUPTED);
}

/// Whether SIGINT arrived since `catch`.
pub(crate) fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
