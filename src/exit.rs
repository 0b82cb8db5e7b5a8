//! The exit codes of vmsched, each documented once, and the error type that carries one.

use std::fmt;

/// Success.
pub const OK: u8 = 0;
/// An operation failed.
pub const FAILED: u8 = 1;
/// Usage or bad input.
pub const USAGE: u8 = 2;
/// Refused by a safety rule.
pub const REFUSED: u8 = 3;
/// Another pass holds the lock.
pub const LOCKED: u8 = 4;
/// Interrupted by SIGINT.
pub const INTERRUPTED: u8 = 130;

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

/// Bad input or usage (exit 2). The message is made one line (see `one_line`), as it often
/// quotes the input.
pub fn bad_input(message: impl Into<String>) -> Exit {
    exit(USAGE, one_line(&message.into()))
}

/// The longest error line printed, in characters; a longer one loses its middle.
pub const MAX_LINE: usize = 1000;

/// Makes a message fit on one line of a terminal: line breaks become spaces, other control
/// characters are escaped (`\r`, `\u{1b}`), and past `MAX_LINE` characters the middle is
/// cut, so quoting a 20 MB line of bad input stays readable.
pub fn one_line(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let chars = text.chars().count();
    let (head, tail) = (MAX_LINE * 6 / 10, MAX_LINE * 3 / 10);
    let cut = (chars > MAX_LINE).then(|| head..chars - tail);
    let mut line = String::with_capacity(text.len().min(MAX_LINE * 2));
    for (i, c) in text.chars().enumerate() {
        if let Some(cut) = cut.as_ref().filter(|cut| cut.contains(&i)) {
            if i == cut.start {
                line.push_str(&format!(" [... {} characters cut ...] ", cut.len()));
            }
            continue;
        }
        match c {
            '\n' => line.push(' '),
            c if c.is_control() => line.extend(c.escape_debug()),
            c => line.push(c),
        }
    }
    line
}

/// A value as error messages quote it: control characters escaped (`\n`, `\u{7}`), so that
/// the quote shows what the input holds.
pub fn escape_controls(value: &str) -> String {
    let mut shown = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_control() {
            shown.extend(c.escape_debug());
        } else {
            shown.push(c);
        }
    }
    shown
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_escapes_and_cuts() {
        let line = one_line("a\r\nb\nc\rd\te\u{1b}[0m\0");
        assert_eq!(line, "a b c\\rd\\te\\u{1b}[0m\\0");
        let long = format!("`f`: bad `{}` at line 1 column 9", "x".repeat(20_000_000));
        let line = one_line(&long);
        assert!(line.starts_with("`f`: bad `xxx") && line.ends_with("x` at line 1 column 9"));
        assert!(
            line.contains(" [... 19999130 characters cut ...] "),
            "{line}"
        );
        assert!(line.chars().count() < MAX_LINE + 40);
        assert_eq!(bad_input("a\nb").message, "a b");
    }
}
