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
    let mut t = bare_table();
    t.set_header(header);
    t
}

/// A table in virsh's look without its header (the later chunks of `Rows`).
fn bare_table() -> Table {
    let mut t = Table::new();
    t.load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled);
    t.set_style(comfy_table::TableComponent::HeaderLines, '-');
    t.set_style(comfy_table::TableComponent::MiddleHeaderIntersections, '-');
    t.set_style(comfy_table::TableComponent::LeftHeaderIntersection, '-');
    t.set_style(comfy_table::TableComponent::RightHeaderIntersection, '-');
    t
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

/// Rows written as they are read, so memory does not grow with their number: a JSON array
/// written element by element, or a table aligned a chunk of rows at a time (a later chunk's
/// columns are at least as wide as the earlier ones'; the header comes once).
pub struct Rows<'a> {
    out: &'a mut dyn Write,
    header: Option<Vec<&'static str>>,
    /// JSON: elements written so far; table: rows waiting for their chunk.
    written: usize,
    pending: Vec<Vec<String>>,
    widths: Vec<usize>,
}

/// Table rows aligned together.
const CHUNK: usize = 1000;

impl<'a> Rows<'a> {
    /// Rows in `format`; a table has `header`.
    pub fn new(out: &'a mut dyn Write, format: Format, header: &[&'static str]) -> Rows<'a> {
        Rows {
            out,
            header: (format == Format::Table).then(|| header.to_vec()),
            written: 0,
            pending: Vec::new(),
            widths: Vec::new(),
        }
    }

    /// Writes one row: `json` as an array element, or the table `cells` (made only for a
    /// table).
    pub fn push<T: Serialize>(
        &mut self,
        json: &T,
        cells: impl FnOnce() -> Vec<String>,
    ) -> Result<()> {
        if self.header.is_none() {
            let text = serde_json::to_string_pretty(json)?;
            let lead = if self.written == 0 { "[\n" } else { ",\n" };
            write!(self.out, "{lead}  {}", text.replace('\n', "\n  "))?;
            self.written += 1;
            return Ok(());
        }
        self.pending.push(cells());
        if self.pending.len() == CHUNK {
            self.flush_table()?;
        }
        Ok(())
    }

    /// Writes what is left: the last chunk, or the end of the array.
    pub fn finish(mut self) -> Result<()> {
        if self.header.is_some() {
            return self.flush_table();
        }
        match self.written {
            0 => writeln!(self.out, "[]")?,
            _ => writeln!(self.out, "\n]")?,
        }
        Ok(())
    }

    /// Aligns and writes the pending rows (with the header, the first time).
    fn flush_table(&mut self) -> Result<()> {
        let header = self.header.as_deref().unwrap_or_default();
        if self.written > 0 && self.pending.is_empty() {
            return Ok(());
        }
        let mut table = match self.written {
            0 => table(header.iter().copied()),
            _ => bare_table(),
        };
        for row in self.pending.drain(..) {
            let cells = row.into_iter().enumerate().map(|(i, cell)| {
                let width = self.widths.get(i).copied().unwrap_or(0);
                format!("{cell:width$}")
            });
            table.add_row(cells.collect::<Vec<_>>());
        }
        print_table(self.out, &table)?;
        let widths = table.column_max_content_widths();
        self.widths.resize(widths.len().max(self.widths.len()), 0);
        for (mine, new) in self.widths.iter_mut().zip(widths) {
            *mine = (*mine).max(usize::from(new));
        }
        self.written += 1;
        Ok(())
    }
}
