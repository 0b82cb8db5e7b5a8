//! One file per subcommand group; each takes the context, its arguments and stdout.

pub mod completions;
pub mod history;
pub mod hosts;
pub mod migrate;
pub mod settings;
pub mod vms;

use crate::cli::Command;
use crate::Ctx;
use anyhow::Result;
use std::io::Write;

/// Runs one subcommand; returns the exit code of a success.
pub fn dispatch(ctx: &Ctx, command: Command, out: &mut dyn Write) -> Result<u8> {
    match command {
        Command::Completions(args) => completions::completions(args.shell, out),
        Command::Man => completions::man(out),
        Command::Vms(command) => vms::run(ctx, command, out),
        Command::Hosts(command) => hosts::run(ctx, command, out),
        Command::Settings(command) => settings::run(ctx, command, out),
        Command::History(args) => history::history(ctx, &args, out),
        Command::Migrate(args) => migrate::migrate(ctx, &args),
        other => {
            Err(crate::exit::failed(format!("`{other:?}` is not available in this build")).into())
        }
    }
    .map(|()| crate::exit::OK)
}
