//! `vmsched settings list|set`: the tunable numbers of the scheduler, with their defaults.

use crate::cli::{Format, SettingSetArgs, SettingsCommand};
use crate::identity::{self, real_user};
use crate::output;
use crate::store::history::{self, Entry, Event, Kind};
use crate::store::settings::{self, Settings, KEYS};
use crate::store::Mode;
use crate::Ctx;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// Runs a `settings` subcommand.
pub fn run(ctx: &Ctx, command: SettingsCommand, out: &mut dyn Write) -> Result<()> {
    match command {
        SettingsCommand::List => list(ctx, out),
        SettingsCommand::Set(args) => set(ctx, &args),
    }
}

/// An element of `settings list --format json`.
#[derive(Serialize)]
struct SettingJson {
    key: &'static str,
    /// A number, or a boolean for a flag.
    value: serde_json::Value,
    default: serde_json::Value,
    unit: &'static str,
    meaning: &'static str,
}

fn list(ctx: &Ctx, out: &mut dyn Write) -> Result<()> {
    let store = ctx.open(Mode::Read)?;
    let current = settings::load(store.conn())?;
    let rows: Vec<SettingJson> = KEYS
        .iter()
        .map(|key| SettingJson {
            key: key.name,
            value: json_value(key, current.get(key)),
            default: json_value(key, key.default),
            unit: key.unit,
            meaning: key.meaning,
        })
        .collect();
    if ctx.out.format == Format::Json {
        return output::json(out, &rows);
    }
    let mut table = output::table(["Key", "Value", "Default", "Unit", "Meaning"]);
    for row in &rows {
        table.add_row(vec![
            row.key.to_string(),
            row.value.to_string(),
            row.default.to_string(),
            row.unit.to_string(),
            row.meaning.to_string(),
        ]);
    }
    output::print_table(out, &table)
}

/// A value in JSON: a boolean for a flag, else a number.
fn json_value(key: &settings::Key, value: u32) -> serde_json::Value {
    if key.flag {
        serde_json::Value::Bool(value != 0)
    } else {
        serde_json::Value::from(value)
    }
}

fn set(ctx: &Ctx, args: &SettingSetArgs) -> Result<()> {
    let key = settings::key(&args.key)?;
    let value = settings::parse(key, &args.value)?;
    // A refused value must not create the database: without one, the others are the defaults.
    if !ctx.db.exists() {
        settings::admit(&Settings::default(), key, value)?;
    }
    if key.name == "allow_ext_uris" {
        identity::privileged(&ctx.db, "change `allow_ext_uris`")?;
    }
    let user = real_user();
    let mut store = ctx.open(Mode::Create)?;
    let old = store.write(|tx| {
        let current = settings::load(tx)?;
        settings::admit(&current, key, value)?;
        let old = current.get(key);
        if old != value {
            settings::set(tx, key, value)?;
            let reason = args.reason.as_deref();
            let change = format!("{} {}→{}", key.name, key.show(old), key.show(value));
            let detail = history::detail(&change, &user, reason);
            let event = Event::new(Kind::Admin, &detail);
            history::record(
                tx,
                &Entry {
                    reason,
                    ..Entry::new(&user, event)
                },
            )?;
        }
        Ok(old)
    })?;
    let unit = if key.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", key.unit)
    };
    ctx.out.say(format_args!(
        "{} = {}{unit} (was {})",
        key.name,
        key.show(value),
        key.show(old)
    ));
    Ok(())
}
