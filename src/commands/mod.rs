//! One file per subcommand group; each takes the context, its arguments and stdout.

mod admin_op;
pub(crate) mod completions;
pub(crate) mod demo;
pub(crate) mod domains;
pub(crate) mod history;
pub(crate) mod hosts;
pub mod jobs;
pub(crate) mod metrics;
pub(crate) mod migrate;
pub(crate) mod poweroff;
pub(crate) mod purge;
pub(crate) mod revert;
pub mod schedule;
pub(crate) mod settings;
pub(crate) mod state;
pub(crate) mod stats;
pub mod vms;
mod waits;

use crate::cli::{Command, HostsCommand, JobsCommand, SettingsCommand, StateCommand, VmsCommand};
use crate::Ctx;
use anyhow::Result;
use std::io::Write;
use std::path::Path;

/// Runs one subcommand; returns the exit code of a success. A change that may let work
/// proceed asks for a pass once it is committed (`crate::pass::request`).
pub(crate) fn dispatch(ctx: &Ctx, command: Command, out: &mut dyn Write) -> Result<u8> {
    let asks = asks_for_pass(&command);
    let code = run(ctx, command, out)?;
    if asks {
        let mut store = ctx.open(crate::store::Mode::Existing)?;
        crate::pass::request::ask(&mut store);
    }
    Ok(code)
}

/// Whether a successful command changed what a pass plans from.
fn asks_for_pass(command: &Command) -> bool {
    match command {
        Command::Vms(VmsCommand::Import(args)) => !args.dry_run,
        Command::Vms(VmsCommand::List(_) | VmsCommand::Show(_)) => false,
        Command::Vms(_) => true,
        Command::Hosts(HostsCommand::Set(_))
        | Command::Settings(SettingsCommand::Set(_))
        | Command::Jobs(JobsCommand::Submit(_) | JobsCommand::Cancel(_))
        | Command::Revert(_)
        | Command::Poweroff(_) => true,
        _ => false,
    }
}

fn run(ctx: &Ctx, command: Command, out: &mut dyn Write) -> Result<u8> {
    let done = |()| crate::exit::OK;
    match command {
        Command::ScheduleOnce(args) => schedule::run(ctx, &args, out),
        Command::Demo(args) => demo::run(ctx, &args, out),
        Command::State(StateCommand::Export) => state::export(ctx, out).map(done),
        Command::Worker(args) if args.check => {
            crate::workers::check(ctx, args.operation, out).map(done)
        }
        Command::Worker(args) => crate::workers::run_released(ctx, args.operation).map(done),
        Command::Completions(args) => completions::completions(args.shell, out).map(done),
        Command::Man => completions::man(out).map(done),
        Command::Jobs(command) => jobs::run(ctx, command, out),
        Command::Vms(command) => vms::run(ctx, command, out).map(done),
        Command::Hosts(command) => hosts::run(ctx, command, out).map(done),
        Command::Settings(command) => settings::run(ctx, command, out).map(done),
        Command::History(args) => history::history(ctx, &args, out).map(done),
        Command::Stats(args) => stats::stats(ctx, &args, out).map(done),
        Command::Metrics(args) => metrics::metrics(ctx, &args, out).map(done),
        Command::Migrate(args) => migrate::migrate(ctx, &args).map(done),
        Command::Purge(args) => purge::purge(ctx, &args, out).map(done),
        Command::Domains(command) => domains::run(ctx, command, out),
        Command::Revert(args) => revert::run(ctx, &args).map(done),
        Command::Poweroff(args) => poweroff::run(ctx, &args).map(done),
    }
}

/// `--since`: a duration ago or an RFC 3339 time; bad input (exit 2) when it is neither.
pub(crate) fn since(text: &str) -> Result<chrono::DateTime<chrono::Utc>> {
    use crate::model::duration;
    duration::since(text, chrono::Utc::now()).ok_or_else(|| {
        let expected = duration::DURATION_WORDS;
        crate::exit::bad_input(format!(
            "invalid --since `{text}` (expected {expected}, or an RFC 3339 time)"
        ))
        .into()
    })
}

/// Reads an input file (state file, inventory, job file) as text; `label` names it in errors,
/// e.g. ``job file `j.toml` ``. Exit 2 when it cannot be read or is not UTF-8 (with the line
/// of the first bad byte).
pub(crate) fn read_text(path: &Path, label: &str) -> Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|e| crate::exit::bad_input(format!("cannot read {label}: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        let message = format!("{label} line {line}: not UTF-8 (byte {at})");
        crate::exit::bad_input(message).into()
    })
}

/// ` line L, field `F`` for a byte offset in a TOML text: the field is the key the line
/// assigns, if any.
pub(crate) fn toml_place(text: &str, offset: usize) -> String {
    let before = &text.as_bytes()[..offset.min(text.len())];
    let number = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line = text.lines().nth(number - 1).unwrap_or("");
    match line.split_once('=').map(|(key, _)| key.trim()) {
        Some(key) if !key.is_empty() && !key.starts_with('[') => {
            format!(" line {number}, field `{key}`")
        }
        _ => format!(" line {number}"),
    }
}
