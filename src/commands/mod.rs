//! One file per subcommand group; each takes the context, its arguments and stdout.

pub mod completions;

use crate::cli::Command;
use crate::Ctx;
use anyhow::Result;
use std::io::Write;

/// Runs one subcommand; returns the exit code of a success.
pub fn dispatch(_ctx: &Ctx, command: Command, out: &mut dyn Write) -> Result<u8> {
    match command {
        Command::Completions(args) => completions::completions(args.shell, out),
        Command::Man => completions::man(out),
        other => {
            Err(crate::exit::failed(format!("`{other:?}` is not available in this build")).into())
        }
    }
    .map(|()| crate::exit::OK)
}
