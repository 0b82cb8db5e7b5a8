//! Ctrl-C as a flag. A command that holds a VM while it waits for libvirt catches SIGINT,
//! polls the flag and cleans up before it exits 130, instead of dying with the VM recorded
//! as busy under a process that no longer exists.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    // Only an atomic store: async-signal-safe.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// From now on SIGINT sets the flag instead of killing the process.
pub fn catch() {
    // SAFETY: installs a handler that only stores to an atomic; `action` is fully initialised
    // (zeroed, then its mask emptied) before sigaction reads it.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigint as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_flags = libc::SA_RESTART;
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

/// Whether SIGINT arrived since `catch`.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
