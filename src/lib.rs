//! vmsched: schedules test tasks onto libvirt VM instances that may share one domain.
//! `run` parses the command line, resolves the global settings and dispatches a subcommand.

pub mod access;
pub mod cli;
pub mod commands;
pub mod complete;
pub mod exit;
pub mod hypervisor;
pub mod identity;
pub mod interrupt;
pub mod lock;
pub mod logs;
pub mod model;
pub mod output;
pub mod ownership;
pub mod pass;
pub mod process;
pub mod scheduler;
pub mod stats;
pub mod store;
pub mod workers;

use anyhow::Result;
use clap::Parser;
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

/// What every subcommand gets: where the database is, how to print, how long to wait.
pub struct Ctx {
    pub db: PathBuf,
    pub out: output::Output,
    pub timeout: Duration,
}

impl Ctx {
    /// Opens the database (see `store::Mode`), once `access` finds that this user may.
    pub fn open(&self, mode: store::Mode) -> Result<store::Store> {
        access::check(&self.db, mode)?;
        store::Store::open(&self.db, mode)
    }
}

/// Runs vmsched with these arguments and returns the exit code of a success.
pub fn run(args: impl IntoIterator<Item = OsString>) -> Result<u8> {
    let args: Vec<OsString> = args.into_iter().collect();
    let cli = match cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            err.print()?;
            return Ok(exit::OK);
        }
        Err(err) if is_probe(&args) => {
            let error = error_line(&err.render().to_string());
            let error = error.strip_prefix("error: ").unwrap_or(&error);
            return Ok(commands::domains::unknown(&mut std::io::stdout(), error));
        }
        Err(err) => {
            eprint!("{}", usage_error(&err.render().to_string()));
            return Ok(exit::USAGE);
        }
    };
    let ctx = Ctx {
        db: cli.global.db.clone().unwrap_or_else(access::default_db),
        out: output::Output::detect(&cli.global),
        timeout: Duration::from_secs(cli.global.timeout.max(1)),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    commands::dispatch(&ctx, cli.command, &mut out)
}

/// Whether the arguments run `domains check`, the monitoring probe, whose bad arguments are
/// an `UNKNOWN:` line and exit 3 like its other failures: its first two words, the values of
/// the global options that take one left out.
fn is_probe(args: &[OsString]) -> bool {
    let mut words = Vec::new();
    let mut args = args.iter().skip(1).filter_map(|a| a.to_str());
    while let Some(arg) = args.next() {
        if matches!(arg, "--db" | "--format" | "--timeout") {
            args.next();
        } else if !arg.starts_with('-') {
            words.push(arg);
            if words.len() == 2 {
                break;
            }
        }
    }
    words == ["domains", "check"]
}

/// The paragraphs of clap's error text, each joined on one line.
fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

/// The error line of clap's error text: its first paragraph.
fn error_line(text: &str) -> String {
    paragraphs(text)
        .into_iter()
        .next()
        .unwrap_or_else(|| "error: invalid arguments".to_string())
}

/// Reshapes clap's error text into vmsched's error form: one `error:` line (its first
/// paragraph joined) and one `hint:` line (clap's tip, else the usage line, else `--help`).
fn usage_error(text: &str) -> String {
    let paragraphs = paragraphs(text);
    let error = error_line(text);
    let hint = paragraphs
        .iter()
        .find_map(|p| p.strip_prefix("tip: "))
        .map(str::to_string)
        .or_else(|| {
            let usage = paragraphs.iter().find_map(|p| p.strip_prefix("Usage: "))?;
            Some(format!("usage: {usage}"))
        })
        .unwrap_or_else(|| "try `--help`".to_string());
    format!("{error}\nhint: {hint}\n")
}
