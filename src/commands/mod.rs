//! One file per subcommand group; each takes the context, its arguments and stdout.

pub mod completions;
pub mod jobs;

use crate::cli::Command;
use crate::Ctx;
use anyhow::Result;
use std::io::Write;

/// Runs one subcommand; returns the exit code of a success.
pub fn dispatch(ctx: &Ctx, command: Command, out: &mut dyn Write) -> Result<u8> {
    let done = |()| crate::exit::OK;
    match command {
        Command::Completions(args) => completions::completions(args.shell, out).map(done),
        Command::Man => completions::man(out).map(done),
        Command::Jobs(command) => jobs::run(ctx, command, out),
        other => {
            Err(crate::exit::failed(format!("`{other:?}` is not available in this build")).into())
        }
    }
}
