//! `vmsched purge --older-than DURATION [--dry-run] [--vacuum]`: removes what ended long ago
//! (jobs with their steps, tasks, operations and task logs, other ended operations, history
//! rows) a batch per short transaction, never anything live (`store::purge`); `--vacuum` then
//! gives the freed pages back to the file system, a few at a time.

use crate::cli::{Format, PurgeArgs};
use crate::exit::bad_input;
use crate::identity::real_user;
use crate::model::duration;
use crate::output;
use crate::store::history::{self, Entry, Event, Kind};
use crate::store::purge::{self, Cutoff, Removed};
use crate::store::{stored, Mode, Store};
use crate::workers::logs;
use crate::Ctx;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// Free pages given back per transaction: 4 MB at SQLite's 4 KB pages, a few milliseconds.
const VACUUM_PAGES: u32 = 1024;

/// `purge --format json`.
#[derive(Serialize)]
struct PurgeJson {
    /// Rows older than this went (RFC 3339 UTC).
    cutoff: String,
    dry_run: bool,
    #[serde(flatten)]
    removed: Removed,
    /// Task log files removed.
    logs: u64,
    /// Bytes the file gave back (`--vacuum`).
    vacuumed: Option<u64>,
}

pub(crate) fn purge(ctx: &Ctx, args: &PurgeArgs, out: &mut dyn Write) -> Result<()> {
    let secs = duration::seconds(&args.older_than).ok_or_else(|| {
        bad_input(format!(
            "invalid --older-than `{}` (expected {})",
            args.older_than,
            duration::DURATION_WORDS
        ))
    })?;
    let cutoff = Cutoff::before(chrono::Utc::now(), secs)
        .ok_or_else(|| bad_input(format!("--older-than `{}` is too long", args.older_than)))?;
    let mut store = ctx.open(Mode::Existing)?;
    let (removed, logs) = if args.dry_run {
        let removed = store.read(|conn| purge::count(conn, &cutoff))?;
        let logs = removed
            .job_ids
            .iter()
            .map(|&job| logs::job_logs(store.path(), job, false))
            .sum();
        (removed, logs)
    } else {
        let (removed, logs) = all(&mut store, &cutoff)?;
        record(&mut store, &removed, &cutoff, args.reason.as_deref())?;
        (removed, logs)
    };
    let vacuumed = if args.vacuum && !args.dry_run {
        Some(vacuum(ctx, &store)?)
    } else {
        None
    };
    let report = PurgeJson {
        cutoff: stored(cutoff.time),
        dry_run: args.dry_run,
        removed,
        logs,
        vacuumed,
    };
    if ctx.out.format == Format::Json {
        return output::json(out, &report);
    }
    let r = &report.removed;
    let verb = if args.dry_run {
        "would remove"
    } else {
        "removed"
    };
    writeln!(
        out,
        "{verb} {} jobs ({} steps, {} tasks, {} task logs), {} operations and {} history rows older than {}",
        r.jobs, r.steps, r.tasks, report.logs, r.operations, r.history, report.cutoff
    )?;
    if let Some(bytes) = report.vacuumed {
        writeln!(out, "gave {} MB back to the file system", bytes / 1_000_000)?;
    }
    Ok(())
}

/// Records the purge in the history (what went, by whom and why), as the newest row, which
/// purges keep.
fn record(
    store: &mut Store,
    removed: &Removed,
    cutoff: &Cutoff,
    reason: Option<&str>,
) -> Result<()> {
    let user = real_user();
    let what = format!(
        "purged {} jobs and {} history rows older than {}",
        removed.jobs,
        removed.history,
        stored(cutoff.time)
    );
    let detail = history::detail(&what, &user, reason);
    store.write(|tx| {
        let entry = Entry {
            reason,
            ..Entry::new(&user, Event::new(Kind::Admin, &detail))
        };
        history::record(tx, &entry)
    })
}

/// Removes batch after batch until nothing is left; each batch's task logs go once it has
/// committed. Returns what went and how many log files.
fn all(store: &mut Store, cutoff: &Cutoff) -> Result<(Removed, u64)> {
    let mut removed = Removed::default();
    let mut logs = 0;
    loop {
        let batch = purge::step(store, cutoff)?;
        if batch.rows() == 0 {
            return Ok((removed, logs));
        }
        logs += batch
            .job_ids
            .iter()
            .map(|&job| logs::job_logs(store.path(), job, true))
            .sum::<u64>();
        removed.add(batch);
    }
}

/// Gives the free pages back, `VACUUM_PAGES` per transaction, so writers wait for one step at
/// most (each followed by as long a pause); a database made before incremental vacuum is rewritten once first. Returns the bytes
/// the file shrank by.
fn vacuum(ctx: &Ctx, store: &Store) -> Result<u64> {
    let size = || std::fs::metadata(store.path()).map_or(0, |m| m.len());
    let before = size();
    if !store.incremental()? {
        ctx.out.say(format_args!(
            "rewriting `{}` once for incremental vacuum (a full VACUUM: it holds the database meanwhile)",
            store.path().display()
        ));
        store.make_incremental()?;
    }
    while store.free_pages()? > 0 {
        // Then as long again for the other writers, as `purge::step` does.
        let began = std::time::Instant::now();
        store.vacuum_step(VACUUM_PAGES)?;
        std::thread::sleep(began.elapsed());
    }
    store.checkpoint()?;
    Ok(before.saturating_sub(size()))
}
