//! Deadlines of operations, kept on two clocks: the wall clock (RFC 3339 UTC, for people and
//! JSON) and the boot clock (`CLOCK_BOOTTIME`), which judges them. The wall clock may be
//! stepped (NTP, an admin's `date`): judged on it, a forward step makes a healthy worker stuck
//! and a backward one keeps a stuck worker alive. The boot clock is one clock for every
//! process, never stepped, and counts time spent suspended.

use crate::model::Child;
use chrono::{DateTime, SubsecRound, Utc};
use std::time::Duration;

/// The longest deadline: a huge timeout written by hand neither overflows the clock
/// arithmetic nor leaves the range RFC 3339 can spell.
const CENTURY: u64 = 100 * 365 * 24 * 3600;

/// An operation's deadline as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Deadline {
    /// Whole seconds, as stored (RFC 3339 UTC).
    pub(crate) wall: DateTime<Utc>,
    /// Milliseconds since boot on `CLOCK_BOOTTIME`; `None` in rows written by a vmsched
    /// before schema version 4, which the wall clock judges.
    pub(crate) boot_ms: Option<i64>,
}

impl Deadline {
    /// The deadline `secs` seconds from now (at most a century).
    pub(crate) fn in_secs(secs: u64) -> Deadline {
        let secs = secs.min(CENTURY);
        let wall = Utc::now() + chrono::Duration::seconds(secs as i64);
        Deadline {
            wall: wall.trunc_subsecs(0),
            boot_ms: Some(boot_ms() + secs as i64 * 1000),
        }
    }

    /// The time left before it, zero once it has passed: on the boot clock when it is known,
    /// else on the wall clock.
    pub(crate) fn left(&self) -> Duration {
        let ms = match self.boot_ms {
            Some(boot) => boot.saturating_sub(boot_ms()),
            None => (self.wall - Utc::now()).num_milliseconds(),
        };
        Duration::from_millis(u64::try_from(ms).unwrap_or(0))
    }

    /// Whether it has passed (see `left`).
    pub(crate) fn is_past(&self) -> bool {
        self.left().is_zero()
    }

    /// The verdict on the recorded worker it is the deadline of (docs/rules.md §3): dead
    /// unless its process is `alive`, stuck when alive past it. Whether a worker not recorded
    /// yet counts as alive is the caller's: dead for the pass, alive for every other reader
    /// (`process::recorded_alive`).
    pub(crate) fn verdict(&self, alive: bool) -> Child {
        if !alive {
            Child::Dead
        } else if self.is_past() {
            Child::Stuck
        } else {
            Child::Alive
        }
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
    fn a_new_deadline_is_ahead_on_both_clocks() {
        let deadline = Deadline::in_secs(60);
        assert!(!deadline.is_past());
        assert!(deadline.left() <= Duration::from_secs(60));
        assert!(deadline.wall > Utc::now() + chrono::Duration::seconds(58));
        assert_eq!(
            deadline.wall.timestamp_subsec_nanos(),
            0,
            "stored in whole seconds"
        );
        let huge = Deadline::in_secs(u64::MAX);
        let spelled = crate::store::stored(huge.wall);
        assert_eq!(DateTime::parse_from_rfc3339(&spelled).unwrap(), huge.wall);
        assert!(huge.boot_ms.unwrap() > boot_ms());
    }
}
