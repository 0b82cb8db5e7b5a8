//! The `settings` table: named non-negative integers and flags (`true`/`false`, kept as 1/0)
//! with defaults. `KEYS` is the one list of
//! them (name, default, unit, meaning); `Settings` is what the rest of vmsched reads.

use crate::exit;
use anyhow::Result;
use rusqlite::{params, Connection};

/// One setting as documented by `settings list`.
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub default: u32,
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
}

/// Every setting, in the order `settings list` shows them.
pub const KEYS: &[Key] = &[
    Key {
        name: "max_errors",
        default: 3,
        unit: "failures",
        meaning: "consecutive failures that put a VM offline",
        flag: false,
    },
    Key {
        name: "max_task_tries",
        default: 3,
        unit: "tries",
        meaning: "attempts of a task before it ends in boterror",
        flag: false,
    },
    Key {
        name: "revert_timeout",
        default: 360,
        unit: "s",
        meaning: "time allowed for a revert or a power-off",
        flag: false,
    },
    Key {
        name: "sleep_after_revert",
        default: 0,
        unit: "s",
        meaning: "time a reverted guest settles before it is idle",
        flag: false,
    },
    Key {
        name: "task_margin",
        default: 120,
        unit: "s",
        meaning: "time added to a task's timeout before its worker is stuck",
        flag: false,
    },
    Key {
        name: "monitor_interval",
        default: 60,
        unit: "s",
        meaning: "time between checks of an offline VM",
        flag: false,
    },
    Key {
        name: "monitor_interval_errors",
        default: 1800,
        unit: "s",
        meaning: "time between checks once errors reached max_errors",
        flag: false,
    },
    Key {
        name: "lock_timeout",
        default: 30,
        unit: "s",
        meaning: "time a pass waits for another pass's lock",
        flag: false,
    },
    Key {
        name: "event_passes",
        default: 1,
        unit: "",
        meaning: "start a pass after every change that may let work proceed",
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
    /// 1 when changes start passes themselves (`event_passes`).
    pub event_passes: u32,
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
            "event_passes" => &mut self.event_passes,
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
            event_passes: 0,
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

/// Parses a value: a non-negative integer, or `true`/`false` for a flag; else bad input
/// (exit 2).
pub fn parse(key: &Key, value: &str) -> Result<u32> {
    let parsed = match (key.flag, value.trim()) {
        (true, "true") => Some(1),
        (true, "false") => Some(0),
        (true, _) => None,
        (false, text) => text.parse().ok(),
    };
    parsed.ok_or_else(|| {
        let expected = if key.flag {
            "`true` or `false`"
        } else {
            "a non-negative integer"
        };
        exit::bad_input(format!(
            "invalid value `{value}` for setting `{}`: expected {expected}",
            key.name
        ))
        .into()
    })
}

/// Every setting, stored values over defaults. Unknown stored keys are ignored (a newer
/// vmsched may have written them); a bad stored value is bad input (exit 2).
pub fn load(conn: &Connection) -> Result<Settings> {
    let mut settings = Settings::default();
    let mut stmt = conn.prepare("SELECT key, value FROM settings")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (name, value) = row?;
        if let Some(key) = KEYS.iter().find(|k| k.name == name) {
            let parsed = parse(key, &value)?;
            *settings.slot(&name).expect("every key has a field") = parsed;
        }
    }
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
