//! One place that decides what goes to stdout and stderr: JSON or virsh-like tables for data,
//! and whether progress is shown.

use crate::cli::{Format, Global};
use anyhow::Result;
use comfy_table::{presets, ColumnConstraint, ContentArrangement, Table, Width};
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
    pub(crate) fn resolve(global: &Global, stderr_is_terminal: bool) -> Output {
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
    pub(crate) fn detect(global: &Global) -> Output {
        Output::resolve(global, std::io::stderr().is_terminal())
    }

    /// Prints an informational message on stderr unless `--quiet`.
    pub(crate) fn say(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{message}");
        }
    }

    /// Prints a warning on stderr (even with `--quiet`).
    pub(crate) fn warn(&self, message: impl std::fmt::Display) {
        eprintln!("warning: {message}");
    }
}

/// Writes `value` as pretty JSON followed by a newline.
/// (Serialised first, so a closed pipe is an `io::Error` that main recognises.)
pub(crate) fn json<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    writeln!(out, "{text}")?;
    Ok(())
}

/// A table in virsh's look: a header, a line of dashes, no borders.
pub(crate) fn table<I, S>(header: I) -> Table
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

/// Fits a table to `width` columns by wrapping its cells at spaces, never inside a word (a
/// column keeps the width of its longest word; a table of long words stays wider).
fn fit(table: &mut Table, width: u16) {
    let mut longest = Vec::new();
    let rows = table.header().into_iter().chain(table.row_iter());
    for row in rows {
        for (i, cell) in row.cell_iter().enumerate() {
            let content = cell.content();
            let word = content.split_whitespace().map(|w| w.chars().count());
            let word = u16::try_from(word.max().unwrap_or(0)).unwrap_or(u16::MAX);
            if longest.len() <= i {
                longest.resize(i + 1, 0);
            }
            longest[i] = longest[i].max(word);
        }
    }
    table
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(width);
    for (column, word) in table.column_iter_mut().zip(longest) {
        let least = word.saturating_add(column.padding_width());
        column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(least)));
    }
}

/// The width tables are fitted to: the terminal's when stdout is one (`COLUMNS` overrides its
/// size, as for `--help`); none on a pipe or in a file, whose lines stay whole for `grep`,
/// `cut` and scripts.
fn terminal_width(table: &Table) -> Option<u16> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok());
    columns.or_else(|| table.width()).filter(|&w| w > 0)
}

/// Adds a row whose cells are printed with their control characters escaped (C0, DEL and
/// C1, as `\t`, `\n`, `\u{1b}`, `\u{9b}`: `model::escape_controls`): stored text (remarks,
/// reasons, descriptions, user names, commands) cannot move the cursor or clear the screen of
/// whoever lists it. JSON prints the same text exactly.
pub(crate) fn add_row<I: IntoIterator<Item = String>>(table: &mut Table, cells: I) {
    let cells: Vec<String> = cells
        .into_iter()
        .map(|c| crate::model::escape_controls(&c))
        .collect();
    table.add_row(cells);
}

/// Writes a table, trimming the trailing spaces comfy-table pads lines with.
/// Fitted to the terminal's width when stdout is one (`terminal_width`).
pub(crate) fn print_table(out: &mut dyn Write, table: &Table) -> Result<()> {
    let mut fitted;
    let table = match terminal_width(table) {
        Some(width) => {
            fitted = table.clone();
            fit(&mut fitted, width);
            &fitted
        }
        None => table,
    };
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// A time in the local zone for tables, `-` for none.
pub(crate) fn local(time: Option<chrono::DateTime<chrono::Utc>>) -> String {
    time.map(|t| {
        t.with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    })
    .unwrap_or_else(|| "-".to_string())
}

/// An argument vector as a shell would read it back, for tables only (the database keeps the
/// vector itself).
pub(crate) fn shell_line(argv: &[String]) -> String {
    let quote = |arg: &String| {
        let plain = !arg.is_empty()
            && arg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_./=:,+@%-".contains(c));
        if plain {
            arg.clone()
        } else {
            format!("'{}'", arg.replace('\'', r"'\''"))
        }
    };
    argv.iter().map(quote).collect::<Vec<_>>().join(" ")
}

/// Rows written as they are read, so memory does not grow with their number: a JSON array
/// written element by element, or a table aligned a chunk of rows at a time (a later chunk's
/// columns are at least as wide as the earlier ones'; the header comes once).
pub(crate) struct Rows<'a> {
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
    pub(crate) fn new(out: &'a mut dyn Write, format: Format, header: &[&'static str]) -> Rows<'a> {
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
    pub(crate) fn push<T: Serialize>(
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
    pub(crate) fn finish(mut self) -> Result<()> {
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
                let cell = crate::model::escape_controls(&cell);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn wide() -> Table {
        let mut t = table(["Name", "Description"]);
        t.add_row(["w10", &"a long description ".repeat(10)]);
        t
    }

    fn widest(table: &Table) -> usize {
        let lines = table.lines().map(|l| l.trim_end().chars().count());
        lines.max().unwrap_or(0)
    }

    #[test]
    fn tables_fit_a_width_without_splitting_words() {
        let mut t = wide();
        let whole = widest(&t);
        fit(&mut t, 60);
        assert!(widest(&t) <= 60, "{t}");
        assert!(t.lines().count() > 3, "the description is wrapped:\n{t}");
        let words: Vec<String> = t
            .lines()
            .flat_map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect();
        assert!(
            words.iter().all(
                |w| ["Name", "Description", "w10", "a", "long", "description"]
                    .contains(&w.trim_matches('-'))
                    || w.chars().all(|c| c == '-')
            ),
            "{t}"
        );
        let mut t = wide();
        fit(&mut t, 10);
        assert!(widest(&t) > 10 && widest(&t) < whole, "{t}");
        assert!(t.to_string().contains("description"), "{t}");
    }

    #[test]
    fn shell_line_quotes_what_needs_it() {
        let argv = ["./run.sh", "--all", "a b", "it's", ""].map(String::from);
        assert_eq!(shell_line(&argv), r"./run.sh --all 'a b' 'it'\''s' ''");
    }
}
