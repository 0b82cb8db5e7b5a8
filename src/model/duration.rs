//! Durations and points in time as people write them on the command line and in settings:
//! seconds (`90`), or a count with a unit `s`, `m`, `h` or `d` (`90d`); `--since` also takes an
//! RFC 3339 time.

use chrono::{DateTime, TimeDelta, Timelike, Utc};

/// What a duration spells, for messages.
pub const DURATION_WORDS: &str = "seconds or <n>[smhd], e.g. `90`, `2h` or `90d`";

/// The seconds a duration spells; `None` when it is not one (or overflows).
pub fn seconds(text: &str) -> Option<u64> {
    let (count, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    if count.is_empty() {
        return None;
    }
    let (_, scale) = UNITS.iter().find(|(u, _)| *u == unit)?;
    count
        .parse::<u64>()
        .ok()?
        .checked_mul(*scale)
        .filter(|&s| i64::try_from(s).is_ok())
}

/// The time `secs` before `now`; `None` when out of range.
pub fn before(now: DateTime<Utc>, secs: u64) -> Option<DateTime<Utc>> {
    let ago = TimeDelta::try_seconds(i64::try_from(secs).ok()?)?;
    now.checked_sub_signed(ago)
}

/// `--since`: a duration before `now` or an RFC 3339 time, rounded up to a whole second. Times
/// are stored in whole seconds, so a row stored in the second the period starts in may be from
/// before it: `--since 1s` must not count what happened 1.5 s ago.
pub fn since(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let start = match DateTime::parse_from_rfc3339(text) {
        Ok(time) => time.with_timezone(&Utc),
        Err(_) => before(now, seconds(text)?)?,
    };
    let whole = start.with_nanosecond(0)?;
    Some(if whole == start {
        start
    } else {
        whole + TimeDelta::seconds(1)
    })
}

/// The units a duration may end with, largest first, with their seconds.
const UNITS: [(&str, u64); 4] = [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)];

/// Seconds in at most two units, the largest first: `3d`, `1h 30m`, `2m 5s`, `0s` (exact
/// below an hour; longer ones leave out what is below their second unit).
pub fn show_duration(secs: u64) -> String {
    let Some(first) = UNITS.iter().position(|(_, size)| secs >= *size) else {
        return "0s".to_string();
    };
    let mut rest = secs;
    let mut parts = Vec::new();
    for (unit, size) in &UNITS[first..UNITS.len().min(first + 2)] {
        if rest / size > 0 {
            parts.push(format!("{}{unit}", rest / size));
        }
        rest %= size;
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_seconds_or_a_count_with_a_unit() {
        assert_eq!(seconds("90"), Some(90));
        assert_eq!(seconds("90s"), Some(90));
        assert_eq!(seconds("5m"), Some(300));
        assert_eq!(seconds("2h"), Some(7200));
        assert_eq!(seconds("90d"), Some(7_776_000));
        assert_eq!(seconds("0"), Some(0));
        for bad in [
            "",
            "h",
            "2w",
            "-1h",
            "x2h",
            "1.5h",
            " 2h",
            "2h ",
            "2 h",
            "99999999999999999999d",
        ] {
            assert_eq!(seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn since_accepts_durations_and_times() {
        let now = DateTime::parse_from_rfc3339("2024-05-01T12:00:00Z")
            .unwrap()
            .to_utc();
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(since("90s", now), Some(at("2024-05-01T11:58:30Z")));
        assert_eq!(since("90", now), Some(at("2024-05-01T11:58:30Z")));
        assert_eq!(since("2h", now), Some(at("2024-05-01T10:00:00Z")));
        assert_eq!(since("1d", now), Some(at("2024-04-30T12:00:00Z")));
        assert_eq!(
            since("2024-05-01T14:00:00+02:00", now),
            Some(at("2024-05-01T12:00:00Z"))
        );
        // Rounded up to the second, as rows are stored: nothing of 11:59:58 is counted.
        let later = at("2024-05-01T12:00:00.400Z");
        assert_eq!(since("2", later), Some(at("2024-05-01T11:59:59Z")));
        assert_eq!(
            since("2024-05-01T11:59:58.5Z", now),
            Some(at("2024-05-01T11:59:59Z"))
        );
        for bad in [
            "",
            "h",
            "2w",
            "-1h",
            "x2h",
            "2024-13-01T00:00:00Z",
            "999999999999d",
        ] {
            assert!(since(bad, now).is_none(), "{bad}");
        }
    }

    #[test]
    fn durations_print_in_two_units() {
        assert_eq!(show_duration(0), "0s");
        assert_eq!(show_duration(59), "59s");
        assert_eq!(show_duration(125), "2m 5s");
        assert_eq!(show_duration(5400), "1h 30m");
        assert_eq!(show_duration(259_200), "3d");
        assert_eq!(show_duration(90_061), "1d 1h");
        assert_eq!(show_duration(86_460), "1d");
    }
}
