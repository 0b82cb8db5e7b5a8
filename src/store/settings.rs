//! The `settings` table: named non-negative integers and flags (`true`/`false`, kept as 1/0)
//! with defaults and ranges. `KEYS` is the one list of them (name, default, range, unit,
//! meaning); `Settings` is what the rest of vmsched reads.

use crate::exit;
use crate::model::duration;
use anyhow::Result;
use rusqlite::{params, Connection};
use std::ops::RangeInclusive;

/// One setting as documented by `settings list`.
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub default: u32,
    /// The values `settings set` accepts: outside them the scheduler would stop working (a
    /// revert timeout of 0 fails every revert, a `max_errors` of 0 puts every VM offline).
    pub range: RangeInclusive<u32>,
    pub unit: &'static str,
    pub meaning: &'static str,
    /// A flag: written and shown as `true`/`false`.
    pub flag: bool,
}

impl Key {
    /// A value as people write it: a number, or `true`/`false` for a flag.
    pub fn show(&self, value: u32) -> String {
        match (self.flag, value) {
            (true, 0) => "false".to_string(),
            (true, _) => "true".to_string(),
            (false, n) => n.to_string(),
        }
    }

    /// Its range in words, as errors' hints say it: "`revert_timeout` is 10 to 86400 s",
    /// "`max_errors` is at least 1".
    pub fn range_words(&self) -> String {
        let (min, max) = (*self.range.start(), *self.range.end());
        let unit = if self.unit == "s" { " s" } else { "" };
        match max {
            u32::MAX => format!("`{}` is at least {min}{unit}", self.name),
            _ => format!("`{}` is {min} to {max}{unit}", self.name),
        }
    }
}

/// Every setting, in the order `settings list` shows them.
pub const KEYS: &[Key] = &[
    Key {
        name: "max_errors",
        range: 1..=u32::MAX,
        default: 3,
        unit: "failures",
        meaning: "consecutive failures that put a VM offline",
        flag: false,
    },
    Key {
        name: "max_task_tries",
        range: 1..=u32::MAX,
        default: 3,
        unit: "tries",
        meaning: "attempts of a task before it ends in boterror",
        flag: false,
    },
    Key {
        name: "revert_timeout",
        range: 10..=86400,
        default: 360,
        unit: "s",
        meaning: "time allowed for a revert or a power-off",
        flag: false,
    },
    Key {
        name: "sleep_after_revert",
        range: 0..=86399,
        default: 0,
        unit: "s",
        meaning: "time a reverted guest settles before it is idle",
        flag: false,
    },
    Key {
        name: "task_margin",
        range: 10..=u32::MAX,
        default: 120,
        unit: "s",
        meaning: "time added to a task's timeout before its worker is stuck",
        flag: false,
    },
    Key {
        name: "monitor_interval",
        range: 1..=u32::MAX,
        default: 60,
        unit: "s",
        meaning: "time between checks of an offline VM",
        flag: false,
    },
    Key {
        name: "monitor_interval_errors",
        range: 1..=u32::MAX,
        default: 1800,
        unit: "s",
        meaning: "time between checks once errors reached max_errors",
        flag: false,
    },
    Key {
        name: "lock_timeout",
        range: 0..=u32::MAX,
        default: 30,
        unit: "s",
        meaning: "time a pass waits for another pass's lock",
        flag: false,
    },
    Key {
        name: "silence_alert",
        range: 0..=u32::MAX,
        default: 3 * 86400,
        unit: "s",
        meaning: "time without a completed task before a VM with work is reported (0: never)",
        flag: false,
    },
    Key {
        name: "retention",
        range: 0..=u32::MAX,
        default: 90 * 86_400,
        unit: "s",
        meaning: "age past which passes purge ended jobs and history (0: never)",
        flag: false,
    },
    Key {
        name: "event_passes",
        range: 0..=1,
        default: 1,
        unit: "",
        meaning: "start a pass after every change that may let work proceed",
        flag: true,
    },
    Key {
        name: "allow_ext_uris",
        range: 0..=1,
        default: 0,
        unit: "",
        meaning: "accept URIs that make libvirt run a local program (ext, command=)",
        flag: true,
    },
];

/// Every setting's value; times are in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub max_errors: u32,
    pub max_task_tries: u32,
    pub revert_timeout: u32,
    pub sleep_after_revert: u32,
    pub task_margin: u32,
    pub monitor_interval: u32,
    pub monitor_interval_errors: u32,
    pub lock_timeout: u32,
    /// Seconds an enabled VM with work may go without a completed task before a pass
    /// reports it; 0 never.
    pub silence_alert: u32,
    /// Passes purge what ended longer ago than this; 0: never.
    pub retention: u32,
    /// 1 when changes start passes themselves (`event_passes`).
    pub event_passes: u32,
    /// 1 when VM URIs may make libvirt run a local program (`allow_ext_uris`).
    pub allow_ext_uris: u32,
}

impl Settings {
    /// The field of a key, so `KEYS` and the struct are tied in one place.
    fn slot(&mut self, key: &str) -> Option<&mut u32> {
        Some(match key {
            "max_errors" => &mut self.max_errors,
            "max_task_tries" => &mut self.max_task_tries,
            "revert_timeout" => &mut self.revert_timeout,
            "sleep_after_revert" => &mut self.sleep_after_revert,
            "task_margin" => &mut self.task_margin,
            "monitor_interval" => &mut self.monitor_interval,
            "monitor_interval_errors" => &mut self.monitor_interval_errors,
            "lock_timeout" => &mut self.lock_timeout,
            "silence_alert" => &mut self.silence_alert,
            "retention" => &mut self.retention,
            "event_passes" => &mut self.event_passes,
            "allow_ext_uris" => &mut self.allow_ext_uris,
            _ => return None,
        })
    }

    /// The value of a setting.
    pub fn get(&self, key: &Key) -> u32 {
        let mut copy = *self;
        *copy.slot(key.name).expect("every key has a field")
    }
}

impl Default for Settings {
    fn default() -> Settings {
        let mut settings = Settings {
            max_errors: 0,
            max_task_tries: 0,
            revert_timeout: 0,
            sleep_after_revert: 0,
            task_margin: 0,
            monitor_interval: 0,
            monitor_interval_errors: 0,
            lock_timeout: 0,
            silence_alert: 0,
            retention: 0,
            event_passes: 0,
            allow_ext_uris: 0,
        };
        for key in KEYS {
            *settings.slot(key.name).expect("every key has a field") = key.default;
        }
        settings
    }
}

/// The documentation of a key; an unknown key is bad input (exit 2).
pub fn key(name: &str) -> Result<&'static Key> {
    KEYS.iter().find(|k| k.name == name).ok_or_else(|| {
        let names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        exit::bad_input(format!("unknown setting `{name}`"))
            .hint(format!("settings are: {}", names.join(", ")))
            .into()
    })
}

/// The number a value spells: an integer, a duration for a key in seconds (`90d`), or
/// `true`/`false` (1/0) for a flag.
fn number(key: &Key, value: &str) -> Option<u32> {
    match (key.flag, value.trim()) {
        (true, "true") => Some(1),
        (true, "false") => Some(0),
        (true, _) => None,
        (false, text) if key.unit == "s" => u32::try_from(duration::seconds(text)?).ok(),
        (false, text) => text.parse().ok(),
    }
}

/// Parses a value for `settings set`: an integer in the key's range, or `true`/`false` for a
/// flag; else bad input (exit 2) with the range in the hint.
pub fn parse(key: &Key, value: &str) -> Result<u32> {
    let invalid = |why: &str| {
        exit::bad_input(format!(
            "invalid value `{value}` for setting `{}`: {why}",
            key.name
        ))
    };
    Err(match number(key, value) {
        Some(n) if key.range.contains(&n) => return Ok(n),
        None if key.flag => invalid("expected `true` or `false`"),
        None if key.unit == "s" => {
            invalid(&format!("expected {}", duration::DURATION_WORDS)).hint(key.range_words())
        }
        None => invalid("expected an integer").hint(key.range_words()),
        Some(_) => invalid("out of range").hint(key.range_words()),
    }
    .into())
}

/// Checks that a setting may take `value` given the others' current values: a guest settles
/// after its revert within the revert's own deadline, so `sleep_after_revert` stays below
/// `revert_timeout` (else every revert would be judged stuck). Refused: bad input (exit 2).
pub fn admit(current: &Settings, key: &Key, value: u32) -> Result<()> {
    let mut new = *current;
    *new.slot(key.name).expect("every key has a field") = value;
    if new.sleep_after_revert < new.revert_timeout {
        return Ok(());
    }
    let (why, hint) = if key.name == "revert_timeout" {
        let other = new.sleep_after_revert;
        (
            format!("must be above `sleep_after_revert` ({other} s)"),
            "lower `sleep_after_revert` first",
        )
    } else {
        let other = new.revert_timeout;
        (
            format!("must be below `revert_timeout` ({other} s)"),
            "raise `revert_timeout` first",
        )
    };
    let message = format!("invalid value `{value}` for setting `{}`: {why}", key.name);
    Err(exit::bad_input(message).hint(hint).into())
}

/// Every setting, stored values over defaults. Unknown stored keys are ignored (a newer
/// vmsched may have written them); a stored value that is not a number (or a flag's word) is
/// bad input (exit 2). A value out of its range (written before ranges existed, or by hand) is
/// read as the nearest one in range, so an old database cannot stop every revert.
pub fn load(conn: &Connection) -> Result<Settings> {
    let mut settings = Settings::default();
    let mut stmt = conn.prepare("SELECT key, value FROM settings")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (name, value) = row?;
        if let Some(key) = KEYS.iter().find(|k| k.name == name) {
            let parsed = number(key, &value).ok_or_else(|| {
                exit::bad_input(format!(
                    "invalid stored value `{value}` for setting `{name}`"
                ))
                .hint(format!("set it with `vmsched settings set {name} VALUE`"))
            })?;
            *settings.slot(&name).expect("every key has a field") =
                parsed.clamp(*key.range.start(), *key.range.end());
        }
    }
    settings.sleep_after_revert = settings.sleep_after_revert.min(settings.revert_timeout - 1);
    Ok(settings)
}

/// Stores a setting's value.
pub fn set(conn: &Connection, key: &Key, value: u32) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)",
        params![key.name, key.show(value)],
    )?;
    Ok(())
}
