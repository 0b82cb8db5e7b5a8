//! `vmsched schedule-once`: one scheduling pass. Takes the pass lock, loads and judges the
//! state, plans, writes the plan and starts the workers in one transaction, commits, then
//! releases the workers (docs/architecture.md, "A pass").

use crate::cli::{Format, ScheduleArgs};
use crate::model::{Child, State};
use crate::output::{self, Output};
use crate::scheduler::{self, Action, Plan};
use crate::store::pass::{self, Deadlines};
use crate::store::settings::{self, Settings};
use crate::store::state::{self, Loaded};
use crate::store::{Mode, Store};
use crate::workers::{self, process};
use crate::{exit, lock, Ctx};
use anyhow::Result;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// Runs one pass (or prints the plan of one with `--dry-run` / `--state`).
pub fn run(ctx: &Ctx, args: &ScheduleArgs, out: &mut dyn Write) -> Result<u8> {
    if let Some(file) = &args.state {
        let state = read_state_file(file)?;
        print_plan(ctx.out, &scheduler::plan(&state), out)?;
        return Ok(exit::OK);
    }
    let mut store = ctx.open(Mode::Existing)?;
    if args.dry_run {
        let loaded = judged(store.conn(), &settings::load(store.conn())?)?;
        print_plan(ctx.out, &scheduler::plan(&loaded.state), out)?;
        return Ok(exit::OK);
    }
    let timeout = match args.lock_timeout {
        Some(secs) => secs,
        None => u64::from(settings::load(store.conn())?.lock_timeout),
    };
    let lock = lock::acquire(store.path(), Duration::from_secs(timeout))?;
    let (started, plan) = pass(&mut store, ctx.timeout)?;
    if ctx.out.verbose > 0 {
        // `-v`: what this pass did, for an admin running passes by hand.
        plan.actions
            .iter()
            .for_each(|action| eprintln!("{}", describe(action)));
    }
    report(&mut store, ctx.out)?;
    // Waiting for workers is not planning: cron's passes must not queue behind a `--wait`.
    drop(lock);
    if args.wait {
        workers::wait::wait_all(ctx.out, started)?;
    }
    Ok(exit::OK)
}

/// Reads and validates a state file (exit 2 naming the file on any error).
pub fn read_state_file(path: &Path) -> Result<State> {
    let text = crate::commands::read_text(path, &format!("`{}`", path.display()))?;
    State::from_json(&text)
        .map_err(|e| exit::bad_input(format!("`{}`: {e}", path.display())).into())
}

/// Loads the state and judges every recorded child: alive when its pid exists and started
/// when recorded, stuck when alive past its deadline, dead otherwise.
pub fn judged(conn: &crate::store::Conn, settings: &Settings) -> Result<Loaded> {
    let mut loaded = state::load(
        conn,
        settings.max_errors,
        settings.max_task_tries,
        u64::from(settings.revert_timeout),
    )?;
    let now = chrono::Utc::now();
    for vm in &mut loaded.state.vms {
        vm.child = match loaded.operations.get(&vm.name) {
            None => Child::None,
            Some(op) if !op.process.is_some_and(|p| p.is_alive()) => Child::Dead,
            Some(op) if past(&op.deadline, now) => Child::Stuck,
            Some(_) => Child::Alive,
        };
        let interval = if vm.errors >= settings.max_errors {
            settings.monitor_interval_errors
        } else {
            settings.monitor_interval
        };
        let due_before = now - chrono::Duration::seconds(interval as i64);
        vm.monitor_due = loaded
            .last_check
            .get(&vm.name)
            .is_none_or(|check| past(check, due_before));
    }
    Ok(loaded)
}

/// Whether a stored time is at or before `now` (an unreadable time counts as past).
fn past(time: &str, now: chrono::DateTime<chrono::Utc>) -> bool {
    chrono::DateTime::parse_from_rfc3339(time).map_or(true, |t| t <= now)
}

/// The pass proper: one transaction from loading to the workers' pids, then the release.
fn pass(store: &mut Store, timeout: Duration) -> Result<(Vec<workers::wait::Started>, Plan)> {
    let db = store.path().to_path_buf();
    let log = workers::log_path(&db)?;
    let (spawned, kill, plan) = store.write(|tx| {
        let settings = settings::load(tx)?;
        let loaded = judged(tx, &settings)?;
        let plan = scheduler::plan(&loaded.state);
        let deadlines = Deadlines {
            revert_secs: u64::from(settings.revert_timeout),
            monitor_secs: 60,
            task_margin_secs: u64::from(settings.task_margin),
        };
        let applied = pass::apply(tx, &loaded.state.vms, &loaded.operations, &plan, &deadlines)?;
        fault("after-plan");
        let mut spawned = Vec::new();
        for (op, label) in applied.spawn {
            let (child, proc) = process::spawn_worker(&db, timeout, op, &log)?;
            crate::store::operations::set_process(tx, op, proc)?;
            spawned.push((label, child));
        }
        fault("after-spawn");
        Ok((spawned, applied.kill, plan))
    })?;
    for victim in kill {
        victim.kill_group();
    }
    let mut started = Vec::new();
    for (label, mut child) in spawned {
        if let Some(mut stdin) = child.stdin.take() {
            // A worker that died already is judged by the next pass.
            let _ = stdin.write_all(b"go\n");
        }
        started.push(workers::wait::Started { label, child });
    }
    Ok((started, plan))
}

/// Fault injection for the crash tests: `VMSCHED_FAULT=after-plan` aborts the pass once the
/// plan is written in its transaction and before any worker starts; `VMSCHED_FAULT=after-spawn`
/// once the workers are started and before the commit. Either way nothing may be left half
/// done: the transaction never commits and the workers read EOF instead of "go".
fn fault(point: &str) {
    if std::env::var_os("VMSCHED_FAULT").is_some_and(|v| v == point) {
        std::process::abort();
    }
}

/// One stderr line per VM that went offline and per task that ended in `boterror` since the
/// previous pass, so cron mails them.
fn report(store: &mut Store, out: Output) -> Result<()> {
    for line in store.write(|tx| crate::store::history::take_alerts(tx))? {
        out.warn(line);
    }
    Ok(())
}

/// Prints a plan: JSON as docs/interfaces.md shows, or one line per action.
pub fn print_plan(out_settings: Output, plan: &Plan, out: &mut dyn Write) -> Result<()> {
    if out_settings.format == Format::Json {
        return output::json(out, plan);
    }
    for action in &plan.actions {
        writeln!(out, "{}", describe(action))?;
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

/// One line for an action, e.g. `revert w10_fr (displaces w10)`.
fn describe(action: &Action) -> String {
    match action {
        Action::Mark { vm, status, reason } => format!("mark {vm} {status} ({reason})"),
        Action::Fail {
            vm,
            job,
            step,
            task,
            status,
        } => format!("fail {vm} task {job}/{step}/{task} {status}"),
        Action::Kill { vm, reason } => format!("kill {vm} worker ({reason})"),
        Action::Requeue {
            vm,
            job,
            step,
            task,
        } => format!("requeue {vm} task {job}/{step}/{task}"),
        Action::Monitor { vm } => format!("monitor {vm}"),
        Action::Start {
            vm,
            job,
            step,
            task,
        } => format!("start {vm} task {job}/{step}/{task}"),
        Action::Revert {
            vm,
            displaced: Some(owner),
        } => format!("revert {vm} (displaces {owner})"),
        Action::Revert {
            vm,
            displaced: None,
        } => format!("revert {vm}"),
        Action::Poweroff {
            vm,
            reason,
            for_vm: Some(other),
        } => format!("poweroff {vm} ({reason} for {other})"),
        Action::Poweroff {
            vm,
            reason,
            for_vm: None,
        } => format!("poweroff {vm} ({reason})"),
    }
}
