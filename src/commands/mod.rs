//! One file per subcommand group; each takes the context, its arguments and stdout.

pub mod completions;
pub mod demo;
pub mod schedule;
pub mod state;

use crate::cli::{Command, StateCommand};
use crate::Ctx;
use anyhow::Result;
use std::io::Write;

/// Runs one subcommand; returns the exit code of a success.
pub fn dispatch(ctx: &Ctx, command: Command, out: &mut dyn Write) -> Result<u8> {
    match command {
        Command::ScheduleOnce(args) => return schedule::run(ctx, &args, out),
        Command::Demo(args) => return demo::run(ctx, &args, out),
        Command::State(StateCommand::Export) => state::export(ctx, out),
        Command::Worker(args) => crate::workers::run(ctx, args.operation),
        Command::Completions(args) => completions::completions(args.shell, out),
        Command::Man => completions::man(out),
        other => {
            Err(crate::exit::failed(format!("`{other:?}` is not available in this build")).into())
        }
    }
    .map(|()| crate::exit::OK)
}
