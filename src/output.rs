//! One place that decides what goes to stdout and stderr: JSON or virsh-like tables for data,
//! and whether progress is shown.

use crate::cli::{Format, Global};
use anyhow::Result;
use comfy_table::{presets, ContentArrangement, Table};
use serde::Serialize;
use std::io::{IsTerminal, Write};

/// The output settings of one command run.
#[derive(Clone, Copy, Debug)]
pub struct Output {
    pub format: Format,
    pub quiet: bool,
    pub verbose: u8,
    /// Spinners and bars are drawn (stderr is a terminal, table format, not quiet).
    pub progress: bool,
}

impl Output {
    /// Resolves the settings; `stderr_is_terminal` is a parameter so the decision is testable.
    pub fn resolve(global: &Global, stderr_is_terminal: bool) -> Output {
        Output {
            format: global.format,
            quiet: global.quiet,
            verbose: global.verbose,
            progress: stderr_is_terminal
                && !global.no_progress
                && !global.quiet
                && global.format == Format::Table,
        }
    }

    /// Settings from the real terminal.
    pub fn detect(global: &Global) -> Output {
        Output::resolve(global, std::io::stderr().is_terminal())
    }

    /// Prints an informational message on stderr unless `--quiet`.
    pub fn say(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    /// Prints a warning on stderr (even with `--quiet`).
    pub fn warn(&self, message: impl std::fmt::Display) {
        eprintln!("warning: {message}");
    }
}

/// Writes `value` as pretty JSON followed by a newline.
/// (Serialised first, so a closed pipe is an `io::Error` that main recognises.)
pub fn json<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    writeln!(out, "{text}")?;
    Ok(())
}

/// A table in virsh's look: a header, a line of dashes, no borders.
pub fn table<I, S>(header: I) -> Table
where
    I: IntoIterator<Item = S>,
    S: Into<comfy_table::Cell>,
{
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header);
    t.set_style(comfy_table::TableComponent::HeaderLines, '-');
    t.set_style(comfy_table::TableComponent::MiddleHeaderIntersections, '-');
    t.set_style(comfy_table::TableComponent::LeftHeaderIntersection, '-');
    t.set_style(comfy_table::TableComponent::RightHeaderIntersection, '-');
    t
}

/// Adds a row whose cells are printed with their control characters escaped (C0, DEL and
/// C1, as `\t`, `\n`, `\u{1b}`, `\u{9b}`: `exit::escape_controls`): stored text (remarks,
/// reasons, descriptions, user names, commands) cannot move the cursor or clear the screen of
/// whoever lists it. JSON prints the same text exactly.
pub fn add_row<I: IntoIterator<Item = String>>(table: &mut Table, cells: I) {
    let cells: Vec<String> = cells
        .into_iter()
        .map(|c| crate::exit::escape_controls(&c))
        .collect();
    table.add_row(cells);
}

/// Writes a table, trimming the trailing spaces comfy-table pads lines with.
pub fn print_table(out: &mut dyn Write, table: &Table) -> Result<()> {
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// A stored RFC 3339 time in local time for tables (`-` when absent).
pub fn local_time(stored: Option<&str>) -> String {
    stored
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|| "-".to_string())
}
