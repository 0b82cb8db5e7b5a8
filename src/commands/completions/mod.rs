//! `vmsched completions SHELL` and `vmsched man`: generated from the clap definition, so they
//! never drift from `--help`; the committed copies are checked by a test. `manual.rs` writes
//! the page's sections beyond the options.

mod manual;

use crate::cli::Cli;
use anyhow::{Context, Result};
use clap::CommandFactory;
use std::io::Write;

/// Writes the script that registers vmsched's completion with `shell`: on <TAB> it runs
/// `vmsched` (found on PATH) with `COMPLETE` set, which answers from the database
/// (`crate::complete`). The script names no path, so one copy serves every installation.
pub(crate) fn completions(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<()> {
    let name = shell.to_string();
    let shells = clap_complete::env::Shells::builtins();
    let completer = shells
        .completer(&name)
        .with_context(|| format!("no completion for {name}"))?;
    completer.write_registration(crate::complete::VAR, "vmsched", "vmsched", "vmsched", out)?;
    if shell == clap_complete::Shell::Zsh {
        // Autoloaded from `fpath` (as packages install it), the file's body runs on the first
        // <TAB> and only registers the completer: complete that first <TAB> too. Sourced, it
        // registers only.
        writeln!(
            out,
            "[[ ${{funcstack[1]}} = _vmsched ]] && _clap_dynamic_completer_vmsched \"$@\""
        )?;
    }
    Ok(())
}

/// The width help text is wrapped at in the man page, fixed so the page does not depend on
/// the terminal that generates it.
const MAN_WIDTH: usize = 100;

/// Writes the man page (roff): the options, every subcommand's, then the sections of
/// `manual` (which `--help` points to instead of an EXTRA section).
pub(crate) fn man(out: &mut dyn Write) -> Result<()> {
    let cmd = Cli::command()
        .term_width(MAN_WIDTH)
        .after_long_help(None::<&str>);
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    writeln!(page, ".SH \"SUBCOMMAND OPTIONS\"")?;
    writeln!(
        page,
        "Every subcommand also takes the GLOBAL OPTIONS above."
    )?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        render_sub(&mut page, sub, "vmsched")?;
    }
    manual::render(&mut page)?;
    out.write_all(&page)?;
    Ok(())
}

/// Appends a `.SS` section per leaf subcommand with its full `--help` text, so the page
/// documents every option of every subcommand.
fn render_sub(page: &mut Vec<u8>, cmd: &clap::Command, parent: &str) -> Result<()> {
    let name = format!("{parent} {}", cmd.get_name());
    if cmd.has_subcommands() {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            render_sub(page, sub, &name)?;
        }
        return Ok(());
    }
    let mut cmd = cmd.clone().bin_name(name.clone()).term_width(MAN_WIDTH);
    let help = cmd.render_long_help().to_string();
    writeln!(page, ".SS \"{name}\"\n.nf")?;
    for line in help.lines() {
        let line = line.replace('\\', "\\e");
        let line = if line.starts_with(['.', '\'']) {
            format!("\\&{line}")
        } else {
            line
        };
        writeln!(page, "{}", line.trim_end())?;
    }
    writeln!(page, ".fi")?;
    Ok(())
}
