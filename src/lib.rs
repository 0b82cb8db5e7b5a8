//! vmsched: schedules test tasks onto libvirt VM instances that may share one domain.
//! `run` parses the command line, resolves the global settings and dispatches a subcommand.

pub mod cli;
pub mod commands;
pub mod exit;
pub mod hypervisor;
pub mod interrupt;
pub mod lock;
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
    /// Opens the database (see `store::Mode`).
    pub fn open(&self, mode: store::Mode) -> Result<store::Store> {
        store::Store::open(&self.db, mode)
    }
}

/// Runs vmsched with these arguments and returns the exit code of a success.
pub fn run(args: impl IntoIterator<Item = OsString>) -> Result<u8> {
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) if !err.use_stderr() => {
            err.print()?;
            return Ok(exit::OK);
        }
        Err(err) => {
            eprint!("{}", usage_error(&err.render().to_string()));
            return Ok(exit::USAGE);
        }
    };
    let ctx = Ctx {
        db: cli.global.db.clone().unwrap_or_else(default_db),
        out: output::Output::detect(&cli.global),
        timeout: Duration::from_secs(cli.global.timeout.max(1)),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    commands::dispatch(&ctx, cli.command, &mut out)
}

/// Reshapes clap's error text into vmsched's error form: one `error:` line (its first
/// paragraph joined) and one `hint:` line (clap's tip, else the usage line, else `--help`).
fn usage_error(text: &str) -> String {
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    let error = paragraphs.first().map_or("error: invalid arguments", |p| p);
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

/// `/var/lib/vmsched/vmsched.db` for root, else under `$XDG_STATE_HOME` (or `~/.local/state`).
fn default_db() -> PathBuf {
    if nix::unistd::Uid::effective().is_root() {
        return PathBuf::from("/var/lib/vmsched/vmsched.db");
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".local/state")
        });
    state.join("vmsched/vmsched.db")
}
