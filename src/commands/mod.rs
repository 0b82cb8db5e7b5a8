//! One file per subcommand group; each takes the context, its arguments and stdout.

mod admin_op;
pub mod completions;
pub mod demo;
pub mod domains;
pub mod history;
pub mod hosts;
pub mod jobs;
pub mod migrate;
pub mod poweroff;
pub mod revert;
pub mod schedule;
pub mod settings;
pub mod state;
pub mod vms;

use crate::cli::{Command, StateCommand};
use crate::Ctx;
use anyhow::Result;
use std::io::Write;

/// Runs one subcommand; returns the exit code of a success.
pub fn dispatch(ctx: &Ctx, command: Command, out: &mut dyn Write) -> Result<u8> {
    let done = |()| crate::exit::OK;
    match command {
        Command::ScheduleOnce(args) => schedule::run(ctx, &args, out),
        Command::Demo(args) => demo::run(ctx, &args, out),
        Command::State(StateCommand::Export) => state::export(ctx, out).map(done),
        Command::Worker(args) => crate::workers::run(ctx, args.operation).map(done),
        Command::Completions(args) => completions::completions(args.shell, out).map(done),
        Command::Man => completions::man(out).map(done),
        Command::Jobs(command) => jobs::run(ctx, command, out),
        Command::Vms(command) => vms::run(ctx, command, out).map(done),
        Command::Hosts(command) => hosts::run(ctx, command, out).map(done),
        Command::Settings(command) => settings::run(ctx, command, out).map(done),
        Command::History(args) => history::history(ctx, &args, out).map(done),
        Command::Migrate(args) => migrate::migrate(ctx, &args).map(done),
        Command::Domains(command) => domains::run(ctx, command, out),
        Command::Revert(args) => revert::run(ctx, &args).map(done),
        Command::Poweroff(args) => poweroff::run(ctx, &args).map(done),
    }
}
