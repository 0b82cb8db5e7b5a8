//! `vmsched jobs ...`: submit jobs, list and show them, cancel, wait for and read their logs.

mod cancel;
pub mod jobfile;
mod log;
mod program;
mod show;
mod submit;
mod wait;

use crate::cli::JobsCommand;
use crate::exit;
use crate::Ctx;
use anyhow::Result;
use std::io::Write;

/// Runs one `jobs` subcommand; returns the exit code of a success.
pub(crate) fn run(ctx: &Ctx, command: JobsCommand, out: &mut dyn Write) -> Result<u8> {
    let done = |()| exit::OK;
    match command {
        JobsCommand::Submit(args) => submit::submit(ctx, args, out).map(done),
        JobsCommand::List(args) => show::list(ctx, &args, out).map(done),
        JobsCommand::Show(args) => show::show(ctx, args.id, out).map(done),
        JobsCommand::Cancel(args) => cancel::cancel(ctx, &args, out).map(done),
        JobsCommand::Wait(args) => wait::wait(ctx, &args, out),
        JobsCommand::Log(args) => log::log(ctx, &args, out),
    }
}

/// The job that was looked up, or bad input (exit 2) when there is none.
fn found<T>(job: Option<T>, id: i64) -> Result<T> {
    job.ok_or_else(|| exit::bad_input(format!("no job {id}")).into())
}
