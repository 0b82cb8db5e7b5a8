//! A scheduling pass (docs/architecture.md, "A pass"): under the pass lock, one short
//! transaction judges the workers, plans and writes the decisions with their operation rows;
//! after its commit the pass kills what the plan stopped and starts the workers, a second
//! short transaction records their identities, and only then are the workers released. A
//! pass runs again before it lets go of the lock while requests arrived meanwhile
//! (`request`), so no change is left unplanned.

mod apply;
pub(crate) mod owner;
pub(crate) mod request;
mod retention;

use crate::lock::{self, PassLock};
use crate::model::Child;
use crate::process::{self, Proc};
use crate::scheduler::{self, Plan};
use crate::store::settings::{self, Settings};
use crate::store::state::{self, Loaded};
use crate::store::{last_pass, operations, requests, Conn, Store};
use crate::workers::launch::{self, Launched};
use crate::workers::{self, wait::Started};
use anyhow::Result;
pub(crate) use apply::SCHEDULER;
use apply::{Applied, Deadlines, ToSpawn};
use std::path::Path;

use std::time::Duration;

/// What a run of passes did: the plan of each pass, and the workers they started.
#[derive(Default)]
pub(crate) struct Passes {
    pub(crate) plans: Vec<Plan>,
    pub(crate) started: Vec<Started>,
}

/// Runs passes while it holds `lock`: one, then another while requests arrived that no pass
/// has served. Between two passes the lock is let go for a moment, so a pass started by cron
/// or by hand that waits for it gets its turn (it then serves the requests). Returns when no
/// request is pending once the lock is released, or when another pass holds it.
///
/// Then, after every commit of its own and without the lock, it purges a little of what
/// ended past the retention and bounds the worker log (`retention`).
pub(crate) fn run(store: &mut Store, timeout: Duration, lock: PassLock) -> Result<Passes> {
    let passes = passes(store, timeout, lock)?;
    retention::tidy(store)?;
    Ok(passes)
}

/// The passes of `run`.
fn passes(store: &mut Store, timeout: Duration, lock: PassLock) -> Result<Passes> {
    let mut passes = Passes::default();
    let mut lock = Some(lock);
    loop {
        let (plan, started) = once(store, timeout)?;
        passes.plans.push(plan);
        passes.started.extend(started);
        let more = requests::pending(store.conn())?;
        drop(lock.take());
        // A request committed before this check finds the lock taken or sees this check pass:
        // either way a pass serves it (docs/architecture.md, "Passes on events").
        if !more && !requests::pending(store.conn())? {
            return Ok(passes);
        }
        std::thread::sleep(lock::POLL * 3);
        match lock::try_acquire(store.path())? {
            Some(again) => lock = Some(again),
            None => return Ok(passes),
        }
    }
}

/// One pass: decide and write in one transaction, then kill, spawn, record and release.
fn once(store: &mut Store, timeout: Duration) -> Result<(Plan, Vec<Started>)> {
    let db = store.path().to_path_buf();
    let begun = std::time::Instant::now();
    let started = chrono::Utc::now();
    let (applied, plan) = store.write(|tx| {
        let settings = settings::load(tx)?;
        requests::serve(tx)?;
        let loaded = judge(tx, &settings)?;
        let plan = scheduler::plan(&loaded.state);
        let deadlines = Deadlines {
            revert_secs: u64::from(settings.revert_timeout),
            monitor_secs: 60,
            task_margin_secs: u64::from(settings.task_margin),
        };
        let applied = apply::apply(tx, &loaded.state, &loaded.operations, &plan, &deadlines)?;
        fault("before-commit");
        Ok((applied, plan))
    })?;
    fault("after-commit");
    pause();
    let Applied {
        spawn,
        mut kill,
        survivors,
    } = applied;
    kill.extend(survivors.into_iter().filter(Proc::is_alive));
    process::kill_all(&kill);
    let (launched, spawned) = start_workers(&db, timeout, spawn)?;
    fault("after-spawn");
    store.write(|tx| {
        for (op, proc) in &spawned {
            operations::set_process(tx, op.operation, *proc)?;
        }
        last_pass::record(tx, started, begun.elapsed())
    })?;
    fault("after-record");
    if let Some(launched) = launched {
        launched.release();
    }
    let started = spawned
        .into_iter()
        .map(|(op, proc)| Started {
            label: op.label,
            proc,
        })
        .collect();
    Ok((plan, started))
}

/// The new operations with the worker forked for each.
type Spawned = Vec<(ToSpawn, Proc)>;

/// Has one launcher fork the workers of the new operations. An operation whose worker could
/// not be started is left without a process: the next pass finds it dead, like any worker
/// that died.
fn start_workers(
    db: &Path,
    timeout: Duration,
    spawn: Vec<ToSpawn>,
) -> Result<(Option<Launched>, Spawned)> {
    if spawn.is_empty() {
        return Ok((None, Vec::new()));
    }
    let log = workers::open_log(db)?;
    let ids: Vec<i64> = spawn.iter().map(|op| op.operation).collect();
    let launched = match launch::start(db, timeout, &ids, &log) {
        Ok(launched) => launched,
        Err(err) => {
            eprintln!("{} pass: {err:#}", crate::store::now());
            return Ok((None, Vec::new()));
        }
    };
    let spawned = spawn
        .into_iter()
        .zip(&launched.workers)
        .filter_map(|(op, proc)| proc.map(|p| (op, p)))
        .collect();
    Ok((Some(launched), spawned))
}

/// Loads the state and judges every recorded worker, once per pass: alive when its pid exists
/// and started when recorded, stuck when alive past its deadline (on the boot clock, which
/// a step of the wall clock does not move), dead otherwise (an
/// operation with no process is one a killed pass never started: dead too, since passes run
/// one at a time and each records its workers before it lets go of the lock).
pub fn judge(conn: &Conn, settings: &Settings) -> Result<Loaded> {
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
            Some(op) => {
                let alive = op.process.is_some_and(|p| p.is_alive());
                op.deadline.verdict(alive)
            }
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
            .is_none_or(|check| *check <= due_before);
    }
    Ok(loaded)
}

/// Fault injection for the crash tests: `VMSCHED_FAULT=POINT` aborts the pass at that point,
/// where a crash must leave nothing half done. `before-commit`: the decisions are written in
/// the open transaction (rolled back). `after-commit`: the decisions are committed, no worker
/// started (the next pass finds operations without a process: dead). `after-spawn`: workers
/// started, their identities not recorded (they read end-of-file and exit without acting).
/// `after-record`: identities recorded, workers not released (likewise; the next pass finds
/// them gone).
fn fault(point: &str) {
    if std::env::var_os("VMSCHED_FAULT").is_some_and(|v| v == point) {
        std::process::abort();
    }
}

/// For the tests of requests made while a pass holds the lock: `VMSCHED_PASS_PAUSE_MS=N`
/// makes each pass wait N ms after its commit, lock held.
fn pause() {
    let ms = std::env::var("VMSCHED_PASS_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse().ok());
    if let Some(ms) = ms {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OpKind;
    use crate::store::deadline::{boot_ms, Deadline};
    use crate::store::operations::NewOperation;
    use crate::store::vms::{self, VmRow};

    /// The child verdict of a VM whose live worker (this very process) has `deadline`.
    fn verdict(deadline: Deadline) -> Child {
        let mut store = Store::scratch().unwrap();
        store
            .write(|tx| {
                vms::insert(tx, &VmRow::new("w7", "qemu:///system", "win7", "wtb"))?;
                let op = NewOperation {
                    vm: "w7",
                    kind: OpKind::Revert,
                    deadline,
                    task: None,
                    by_user: "tester",
                    process: Some(Proc::current()?),
                };
                operations::start(tx, &op)
            })
            .unwrap();
        let loaded = judge(store.conn(), &Settings::default()).unwrap();
        loaded.state.vms[0].child
    }

    #[test]
    fn stuck_is_judged_on_the_boot_clock() {
        // The wall clock was stepped forward: its deadline is long past, the boot clock's is
        // a minute ahead.
        let stepped = Deadline {
            wall: "2000-01-01T00:00:00Z".parse().unwrap(),
            boot_ms: Some(boot_ms() + 60_000),
        };
        assert_eq!(verdict(stepped), Child::Alive);
        let passed = Deadline {
            wall: "2999-01-01T00:00:00Z".parse().unwrap(),
            boot_ms: Some(boot_ms() - 1),
        };
        assert_eq!(verdict(passed), Child::Stuck);
        // A row written before boot deadlines existed: the wall clock judges it.
        let old = |wall: &str| Deadline {
            wall: wall.parse().unwrap(),
            boot_ms: None,
        };
        assert_eq!(verdict(old("2000-01-01T00:00:00Z")), Child::Stuck);
        assert_eq!(verdict(old("2999-01-01T00:00:00Z")), Child::Alive);
    }
}
