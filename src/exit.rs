//! The exit codes of vmsched, each documented once, and the error type that carries one.

use crate::model::one_line;
use std::fmt;

/// Success.
pub const OK: u8 = 0;
/// An operation failed.
pub const FAILED: u8 = 1;
/// Usage or bad input.
pub const USAGE: u8 = 2;
/// Refused by a safety rule.
pub(crate) const REFUSED: u8 = 3;
/// Another pass holds the lock.
pub(crate) const LOCKED: u8 = 4;
/// Interrupted by SIGINT.
pub(crate) const INTERRUPTED: u8 = 130;

/// Every exit code with when it is given: the manual's EXIT STATUS is made from this list,
/// and a test checks that docs/interfaces.md lists the same codes.
pub const CODES: &[(u8, &str)] = &[
    (
        OK,
        "success (`domains show --check`: every verdict `ok` or `free`)",
    ),
    (
        FAILED,
        "an operation failed: libvirt error, unreachable or hung host, worker failure, database \
         busy past the busy timeout, unreadable or read-only database path, `domains show --check` \
         with a bad verdict",
    ),
    (
        USAGE,
        "usage or bad input: clap errors, unknown VM or job, malformed URI, name, status or file, \
         invalid state file, negative limit, setting out of range, missing, older or newer \
         database, a file that is not a vmsched database, a domain or snapshot libvirt says does \
         not exist",
    ),
    (
        REFUSED,
        "refused by a safety rule: a sibling owns the domain, the VM or owner is busy, removing a \
         VM with work, making a VM non-off while a sibling uses the domain, `schedule-once` by a \
         user who is neither the database file's owner nor root",
    ),
    (LOCKED, "another pass holds the lock past `--lock-timeout`"),
    (INTERRUPTED, "interrupted (SIGINT)"),
];

/// An error that knows its exit code and may carry a `hint:` line.
#[derive(Debug)]
pub(crate) struct Exit {
    pub(crate) code: u8,
    pub(crate) message: String,
    pub(crate) hint: Option<String>,
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Exit {}

impl Exit {
    /// Adds a `hint:` line to the error.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Exit {
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

/// Bad input or usage (exit 2). The message is made one line (see `one_line`), as it often
/// quotes the input.
pub(crate) fn bad_input(message: impl Into<String>) -> Exit {
    exit(USAGE, one_line(&message.into()))
}

/// Refused by a safety rule (exit 3).
pub(crate) fn refused(message: impl Into<String>) -> Exit {
    exit(REFUSED, message)
}

/// The pass lock is held (exit 4).
pub(crate) fn locked(message: impl Into<String>) -> Exit {
    exit(LOCKED, message)
}

/// Interrupted by the user (exit 130).
pub(crate) fn interrupted(message: impl Into<String>) -> Exit {
    exit(INTERRUPTED, message)
}

/// An operation failed (exit 1), for failures that want a hint.
pub(crate) fn failed(message: impl Into<String>) -> Exit {
    exit(FAILED, message)
}

/// The exit code and hint of any error: an `Exit` anywhere in the chain decides, everything
/// else is an operation failure.
pub fn classify(err: &anyhow::Error) -> (u8, Option<&str>) {
    err.chain()
        .find_map(|e| e.downcast_ref::<Exit>())
        .map_or((FAILED, None), |e| (e.code, e.hint.as_deref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_one_line() {
        assert_eq!(bad_input("a\nb").message, "a b");
    }
}
