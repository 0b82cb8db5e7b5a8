//! `vmsched schedule-once`: passes under the pass lock (`crate::pass`), run by cron or by
//! hand (alerts on stderr, `--lock-timeout`, exit 4), or detached after a change (`--event`:
//! silent, gives up at once when another pass holds the lock); or the plan of one pass with
//! `--dry-run` / `--state`, which change nothing and take no write lock.

use crate::cli::{Format, ScheduleArgs};
use crate::model::State;
use crate::output::{self, Output};
use crate::pass::{self, owner};
use crate::scheduler::{self, Plan};
use crate::store::{requests, settings, Mode, Store};
use crate::{exit, lock, workers, Ctx};
use anyhow::Result;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// Runs passes (or prints the plan of one with `--dry-run` / `--state`).
pub(crate) fn run(ctx: &Ctx, args: &ScheduleArgs, out: &mut dyn Write) -> Result<u8> {
    if let Some(file) = &args.state {
        let state = read_state_file(file)?;
        print_plan(ctx.out, &scheduler::plan(&state), out)?;
        return Ok(exit::OK);
    }
    if args.dry_run {
        let store = ctx.open(Mode::Read)?;
        let loaded = store.read(|tx| pass::judge(tx, &settings::load(tx)?))?;
        print_plan(ctx.out, &scheduler::plan(&loaded.state), out)?;
        return Ok(exit::OK);
    }
    if args.event {
        return event(ctx);
    }
    // Before anything is opened, so every file a pass creates is the owner's.
    if ctx.db.exists() && !owner::become_owner(&ctx.db)? {
        let owner = match owner::standing(&ctx.db)? {
            owner::Standing::Other { uid } => crate::identity::account_name(uid),
            _ => "its owner".to_string(),
        };
        return Err(exit::refused(format!(
            "passes on `{}` run as the database's owner `{owner}`",
            ctx.db.display()
        ))
        .hint(format!(
            "run `vmsched schedule-once` as `{owner}` or root; your changes ask for a pass already"
        ))
        .into());
    }
    let mut store = ctx.open(Mode::Existing)?;
    let timeout = match args.lock_timeout {
        Some(secs) => secs,
        None => u64::from(settings::load(store.conn())?.lock_timeout),
    };
    let lock = lock::acquire(store.path(), Duration::from_secs(timeout))?;
    let passes = pass::run(&mut store, ctx.timeout, lock)?;
    if ctx.out.verbose > 0 {
        // `-v`: what the passes did, for an admin running passes by hand.
        for action in passes.plans.iter().flat_map(|plan| &plan.actions) {
            eprintln!("{action}");
        }
    }
    report(&mut store, ctx.out)?;
    if args.wait {
        workers::wait::wait_all(ctx.out, passes.started)?;
    }
    Ok(exit::OK)
}

/// A pass started after a change: it leaves the requester's session, runs as the database's
/// owner with its messages in the worker log, and exits at once when another pass holds the
/// lock (that pass serves the request) or when no request is left. It never reports alerts:
/// those are for cron's mail.
fn event(ctx: &Ctx) -> Result<u8> {
    let _ = nix::unistd::setsid();
    if !owner::become_owner(&ctx.db)? {
        return Ok(exit::OK);
    }
    workers::log_stderr(&ctx.db)?;
    let mut store = ctx.open(Mode::Existing)?;
    let Some(lock) = lock::try_acquire(store.path())? else {
        return Ok(exit::OK);
    };
    if requests::pending(store.conn())? {
        pass::run(&mut store, ctx.timeout, lock)?;
    }
    Ok(exit::OK)
}

/// Reads and validates a state file (exit 2 naming the file on any error).
pub fn read_state_file(path: &Path) -> Result<State> {
    let text = crate::commands::read_text(path, &format!("`{}`", path.display()))?;
    State::from_json(&text)
        .map_err(|e| exit::bad_input(format!("`{}`: {e}", path.display())).into())
}

/// One stderr line per VM that went offline, per task that ended in `boterror` and per VM
/// found silent (`silence_alert`) since the previous pass, so cron mails them. Silences are
/// looked for here, by cron's and admins' passes only: passes on events do no more than before.
/// A line may quote a task's command: its control characters are escaped, so it stays one line
/// and cannot drive the terminal of a pass run by hand.
fn report(store: &mut Store, out: Output) -> Result<()> {
    let lines = store.write(|tx| {
        let silence = settings::load(tx)?.silence_alert;
        crate::store::stats::record_silences(tx, pass::SCHEDULER, silence)?;
        crate::store::history::take_alerts(tx)
    })?;
    for line in lines {
        out.warn(crate::model::escape_controls(&line));
    }
    Ok(())
}

/// Prints a plan: JSON as docs/interfaces.md shows, or one line per action.
pub fn print_plan(out_settings: Output, plan: &Plan, out: &mut dyn Write) -> Result<()> {
    if out_settings.format == Format::Json {
        return output::json(out, plan);
    }
    for action in &plan.actions {
        writeln!(out, "{action}")?;
    }
    let c = plan.counters;
    writeln!(
        out,
        "counters: runnable {} queued {} blocked {}",
        c.runnable, c.queued, c.blocked
    )?;
    for owner in &plan.owners {
        writeln!(
            out,
            "owner: {} {} -> {}",
            owner.uri, owner.domain, owner.owner
        )?;
    }
    for waiting in &plan.waiting {
        writeln!(out, "waiting: {} {}", waiting.vm, waiting.reason)?;
    }
    Ok(())
}
