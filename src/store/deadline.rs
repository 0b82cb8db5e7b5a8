//! Deadlines of operations, kept on two clocks: the wall clock (RFC 3339 UTC, for people and
//! JSON) and the boot clock (`CLOCK_BOOTTIME`), which judges them. The wall clock may be
//! stepped (NTP, an admin's `date`): judged on it, a forward step makes a healthy worker stuck
//! and a backward one keeps a stuck worker alive. The boot clock is one clock for every
//! process, never stepped, and counts time spent suspended.

use std::time::Duration;

/// The longest deadline: a huge timeout written by hand neither overflows the clock
/// arithmetic nor leaves the range RFC 3339 can spell.
const CENTURY: u64 = 100 * 365 * 24 * 3600;

/// An operation's deadline as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Deadline {
    /// RFC 3339 UTC, seconds precision.
    pub(crate) wall: String,
    /// Milliseconds since boot on `CLOCK_BOOTTIME`; `None` in rows written by a vmsched
    /// before schema version 4, which the wall clock judges.
    pub(crate) boot_ms: Option<i64>,
}

impl Deadline {
    /// The deadline `secs` seconds from now (at most a century).
    pub(crate) fn in_secs(secs: u64) -> Deadline {
        let secs = secs.min(CENTURY);
        let wall = chrono::Utc::now() + chrono::Duration::seconds(secs as i64);
        Deadline {
            wall: wall.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            boot_ms: Some(boot_ms() + secs as i64 * 1000),
        }
    }

    /// The time left before it, zero once it has passed: on the boot clock when it is known,
    /// else on the wall clock (an unreadable wall time has passed).
    pub(crate) fn left(&self) -> Duration {
        let ms = match self.boot_ms {
            Some(boot) => boot.saturating_sub(boot_ms()),
            None => chrono::DateTime::parse_from_rfc3339(&self.wall).map_or(0, |t| {
                (t.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_milliseconds()
            }),
        };
        Duration::from_millis(u64::try_from(ms).unwrap_or(0))
    }

    /// Whether it has passed (see `left`).
    pub(crate) fn is_past(&self) -> bool {
        self.left().is_zero()
    }
}

/// Milliseconds since boot on `CLOCK_BOOTTIME`.
pub(crate) fn boot_ms() -> i64 {
    let now = nix::time::clock_gettime(nix::time::ClockId::CLOCK_BOOTTIME)
        .expect("CLOCK_BOOTTIME is readable on Linux");
    now.tv_sec() * 1000 + now.tv_nsec() / 1_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_wall_time_has_passed() {
        let garbage = Deadline {
            wall: "garbage".to_string(),
            boot_ms: None,
        };
        assert!(garbage.is_past());
    }

    #[test]
    fn a_new_deadline_is_ahead_on_both_clocks() {
        let deadline = Deadline::in_secs(60);
        assert!(!deadline.is_past());
        assert!(deadline.left() <= Duration::from_secs(60));
        let wall = chrono::DateTime::parse_from_rfc3339(&deadline.wall).unwrap();
        assert!(wall > chrono::Utc::now() + chrono::Duration::seconds(58));
        let huge = Deadline::in_secs(u64::MAX);
        assert!(chrono::DateTime::parse_from_rfc3339(&huge.wall).is_ok());
        assert!(huge.boot_ms.unwrap() > boot_ms());
    }
}
