//! The exit codes of vmsched, each documented once, and the error type that carries one.

use std::fmt;

/// Success (`domains show --check`: every verdict `ok` or `free`).
pub const OK: u8 = 0;
/// An operation failed: libvirt error, unreachable or hung host, worker failure, database busy
/// past the busy timeout, unreadable or read-only database path, a bad `domains show --check`.
pub const FAILED: u8 = 1;
/// Usage or bad input: clap errors, unknown VM or job, malformed URI, name, status or file,
/// invalid state file, negative limit, missing, older or newer database.
pub const USAGE: u8 = 2;
/// Refused by a safety rule: a sibling owns the domain, the VM or owner is busy, removing a VM
/// with work, making a VM non-off while a sibling is non-off.
pub const REFUSED: u8 = 3;
/// Another pass holds the lock past `--lock-timeout`.
pub const LOCKED: u8 = 4;
/// Interrupted by SIGINT.
pub const INTERRUPTED: u8 = 130;

/// An error that knows its exit code and may carry a `hint:` line.
#[derive(Debug)]
pub struct Exit {
    pub code: u8,
    pub message: String,
    pub hint: Option<String>,
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

impl Exit {
    /// Adds a `hint:` line to the error.
    pub fn hint(mut self, hint: impl Into<String>) -> Exit {
        self.hint = Some(hint.into());
        self
    }
}

fn exit(code: u8, message: impl Into<String>) -> Exit {
    Exit {
        code,
        message: message.into(),
        hint: None,
    }
}

/// Bad input or usage (exit 2).
pub fn bad_input(message: impl Into<String>) -> Exit {
    exit(USAGE, message)
}

/// Refused by a safety rule (exit 3).
pub fn refused(message: impl Into<String>) -> Exit {
    exit(REFUSED, message)
}

/// The pass lock is held (exit 4).
pub fn locked(message: impl Into<String>) -> Exit {
    exit(LOCKED, message)
}

/// Interrupted by the user (exit 130).
pub fn interrupted(message: impl Into<String>) -> Exit {
    exit(INTERRUPTED, message)
}

/// An operation failed (exit 1), for failures that want a hint.
pub fn failed(message: impl Into<String>) -> Exit {
    exit(FAILED, message)
}

/// The exit code and hint of any error: an `Exit` anywhere in the chain decides, everything
/// else is an operation failure.
pub fn classify(err: &anyhow::Error) -> (u8, Option<&str>) {
    err.chain()
        .find_map(|e| e.downcast_ref::<Exit>())
        .map_or((FAILED, None), |e| (e.code, e.hint.as_deref()))
}
