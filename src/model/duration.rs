//! Durations as people write them on the command line and in settings: `<n>[smhd]` (`90s`,
//! `2h`, `3d`), and how vmsched prints them back.

/// The units a duration may end with, largest first, with their seconds.
const UNITS: [(&str, u64); 4] = [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)];

/// The seconds of `<n>[smhd]`; `None` when it is not one (no unit, a sign, a fraction) or
/// does not fit in 63 bits.
pub fn parse_duration(text: &str) -> Option<u64> {
    let split = text.len().checked_sub(1)?;
    let (count, unit) = text.split_at_checked(split)?;
    if !count.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (_, seconds) = UNITS.iter().find(|(u, _)| *u == unit)?;
    count
        .parse::<u64>()
        .ok()?
        .checked_mul(*seconds)
        .filter(|&s| i64::try_from(s).is_ok())
}

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
    fn durations_parse_with_a_unit_only() {
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("2m"), Some(120));
        assert_eq!(parse_duration("2h"), Some(7200));
        assert_eq!(parse_duration("3d"), Some(259_200));
        assert_eq!(parse_duration("0d"), Some(0));
        for bad in [
            "",
            "h",
            "2",
            "2w",
            "-1h",
            "+1h",
            "1.5h",
            "x2h",
            " 2h",
            "99999999999999999d",
        ] {
            assert_eq!(parse_duration(bad), None, "{bad}");
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
