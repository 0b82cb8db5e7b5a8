//! `vmsched settings list|set`: the tunable numbers of the scheduler, with their defaults.

use crate::cli::{Format, SettingSetArgs, SettingsCommand};
use crate::output;
use crate::store::history::{self, current_user, Entry};
use crate::store::settings::{self, KEYS};
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
    value: u32,
    default: u32,
    unit: &'static str,
    meaning: &'static str,
}

fn list(ctx: &Ctx, out: &mut dyn Write) -> Result<()> {
    let store = ctx.open(Mode::Existing)?;
    let current = settings::load(store.conn())?;
    let rows: Vec<SettingJson> = KEYS
        .iter()
        .map(|key| SettingJson {
            key: key.name,
            value: current.get(key),
            default: key.default,
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

fn set(ctx: &Ctx, args: &SettingSetArgs) -> Result<()> {
    let key = settings::key(&args.key)?;
    let value = settings::parse(key.name, &args.value)?;
    let user = current_user();
    let mut store = ctx.open(Mode::Create)?;
    let old = store.write(|tx| {
        let old = settings::load(tx)?.get(key);
        if old != value {
            settings::set(tx, key, value)?;
            let reason = args.reason.as_deref();
            let detail = history::detail(&format!("{} {old}→{value}", key.name), &user, reason);
            history::record(
                tx,
                &Entry {
                    detail: &detail,
                    user: &user,
                    reason,
                    ..Entry::default()
                },
            )?;
        }
        Ok(old)
    })?;
    ctx.out.say(format_args!(
        "{} = {value} {} (was {old})",
        key.name, key.unit
    ));
    Ok(())
}
