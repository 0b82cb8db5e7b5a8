//! The task worker: runs the task's argument vector (never a shell string) in its log folder,
//! stdin from /dev/null, output to the attempt's log, in its own process group inside the
//! worker's session (a pass that finds the worker dead kills that session, command included).
//! It waits for the command without polling (a timer thread kills the group at the timeout),
//! as a fresh image that holds no database connection meanwhile.
//! It is the child subreaper of everything the command starts, so when the command ends,
//! normally or not, whatever it left behind is killed, even a process that started a session
//! of its own: nothing of a finished task keeps acting on a domain that a sibling may get
//! next. The exit decides the task's status; the VM becomes dirty, errors reset. A command
//! that cannot start is an infrastructure failure: requeued while tries remain, else
//! boterror, and its attempt's log says why. It runs in `vmsched-worker`, a program without
//! libvirt.
//!
//! Right before the command starts, a short-lived `vmsched worker --check` asks libvirt
//! whether the domain runs this VM's snapshot (docs/rules.md §7). If not, the command does not
//! start: the VM becomes dirty, the task is requeued without using a try, and cron hears of it
//! once. A check that cannot reach libvirt counts as a try, like a command that cannot start.

use crate::model::{keeps_state, TaskKey, TaskStatus, VmStatus};
use crate::process;
use crate::store::deadline::boot_ms;
use crate::store::history::{Event, Kind};
use crate::store::jobs::{self, attempts, attempts::NoResult};
use crate::store::operations::{self, transition, Operation};
use crate::store::vms::{self, Errors};
use crate::store::{settings, Mode, Store};
use crate::workers::{data_dir, slot::Slot};
use anyhow::{Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{Pid, Uid, User};
use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// The variables a task's command gets after its allow-listed environment, with what each
/// holds: the manual lists them from here, and `environment` gives their values in this order.
pub const VARIABLES: [(&str, &str); 8] = [
    ("VMSCHED_VM", "the VM instance's name"),
    ("VMSCHED_URI", "its libvirt connection URI"),
    ("VMSCHED_DOMAIN", "its libvirt domain"),
    ("VMSCHED_SNAPSHOT", "the snapshot it reverted to"),
    ("VMSCHED_HOSTNAME", "its guest address (empty when not set)"),
    ("VMSCHED_JOB", "the job id"),
    ("VMSCHED_STEP", "the step number"),
    ("VMSCHED_TASK", "the task number within the step"),
];

/// The values of `VARIABLES` for one task.
fn environment(vm: &vms::VmRow, key: TaskKey) -> Vec<(&str, String)> {
    let values = [
        vm.name.clone(),
        vm.uri.clone(),
        vm.domain.clone(),
        vm.snapshot.clone(),
        vm.hostname.clone().unwrap_or_default(),
        key.job.to_string(),
        key.step.to_string(),
        key.task.to_string(),
    ];
    VARIABLES
        .iter()
        .map(|(name, _)| *name)
        .zip(values)
        .collect()
}

/// Starts the task's command, records its group, then becomes the waiter
/// (`vmsched-worker --wait`, through `exec`: the same pid, start time and children, and a fresh
/// image that holds nothing but the wait, so hundreds of waiting workers cost little memory).
/// Returns only when the command did not start (the store, for asking a pass) or the `exec`
/// failed (then it waits here). The start `slot` is let go before anything that waits.
pub(crate) fn start(
    mut store: Store,
    op: &Operation,
    timeout: Duration,
    mut slot: Option<Slot>,
) -> Result<Store> {
    let key = op.task.context("task operation without a task")?;
    let task = attempts::attempt(store.conn(), key)?;
    let vm = vms::get(store.conn(), &op.vm)?.context("the VM was removed")?;
    let relative = Path::new(&task.log);
    let log = data_dir(store.path()).join(relative);
    let folder = log.parent().context("log path")?.to_path_buf();
    if keeps_state(&vm.uri) {
        drop(slot.take()); // the check waits for a host: others may start meanwhile
        match check(store.path(), timeout, op.id) {
            Ok(None) => {}
            Ok(Some(shows)) => {
                return wrong_snapshot(&mut store, op, relative, &shows).map(|()| store)
            }
            Err(err) => {
                let why = format!("cannot check the snapshot: {err:#}");
                return not_started(&mut store, op, relative, &why).map(|()| store);
            }
        }
    }
    // Orphans of the command come to this process, not to init, so they can be found.
    nix::sys::prctl::set_child_subreaper(true).context("cannot become a subreaper")?;
    let started = crate::logs::open(store.path(), Path::new(&task.log), false).and_then(|file| {
        let (program, args) = task.command.split_first().context("empty command")?;
        Command::new(program)
            .args(args)
            .current_dir(&folder)
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file)
            .env_clear()
            .envs(base_env(store.path(), &task.env))
            .envs(environment(&vm, key))
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot start `{program}`"))
    });
    drop(slot); // started or not, the next worker's turn: what follows may wait for the database
    let child = match started {
        Ok(child) => child,
        Err(err) => {
            return not_started(&mut store, op, relative, &format!("{err:#}")).map(|()| store)
        }
    };
    // Test hook for the crash tests: a worker that dies right after starting its command.
    if std::env::var_os("VMSCHED_FAULT").is_some_and(|v| v == "task-started") {
        std::process::abort();
    }
    let db = store.path().to_path_buf();
    let deadline = boot_ms().saturating_add((task.timeout.min(u64::MAX / 2000) * 1000) as i64);
    drop(store);
    let pid = child.id().to_string();
    let err = Command::new(super::exe("vmsched-worker")?)
        .args(["--wait", "--db"])
        .arg(&db)
        .args([op.id.to_string(), pid, deadline.to_string()])
        .exec();
    eprintln!(
        "{} worker {}: cannot become the waiter ({err}); waiting here",
        crate::store::now(),
        op.id
    );
    wait_and_finish(&db, op.id, child.id() as i32, deadline)?;
    Store::open(&db, Mode::Existing)
}

/// The search path of a task that sets none.
pub(crate) const TASK_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A task's environment before its `VMSCHED_*` variables: built from an allow-list, never
/// the pass's environment (which may hold cron's or an admin's secrets, and which a task's log
/// would show to whoever reads it): `PATH`, `HOME` (the service user's: the database owner's),
/// `LANG` when the pass has one, then the job's own variables over them.
fn base_env(db: &Path, job: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let home = std::fs::metadata(db)
        .ok()
        .and_then(|m| User::from_uid(Uid::from_raw(m.uid())).ok().flatten())
        .map_or_else(|| "/".to_string(), |u| u.dir.to_string_lossy().into_owned());
    let mut env = BTreeMap::from([
        ("PATH".to_string(), TASK_PATH.to_string()),
        ("HOME".to_string(), home),
    ]);
    env.extend(
        std::env::var("LANG")
            .ok()
            .map(|lang| ("LANG".to_string(), lang)),
    );
    env.extend(job.clone());
    env
}

/// `vmsched-worker --wait`: waits for the task's command `pid` until the boot-clock
/// `deadline` (ms), kills what it left behind, and records its result.
pub(crate) fn wait_and_finish(db: &Path, id: i64, pid: i32, deadline: i64) -> Result<()> {
    // Kept across `exec`, set again in case the kernel did not.
    nix::sys::prctl::set_child_subreaper(true).context("cannot become a subreaper")?;
    // The waiter starts right after the command (a spawn and an exec later).
    let began = Instant::now();
    let (status, code) = wait(Pid::from_raw(pid), deadline);
    let ran = began.elapsed();
    let mut store = Store::open(db, Mode::Existing)?;
    let op = operations::get(store.conn(), id)?.context("the operation was removed")?;
    let key = op.task.context("task operation without a task")?;
    let detail = format!("dirty task {key} {status}");
    let event = Event::new(Kind::Task, &detail)
        .task(key)
        .result(status.as_str())
        .duration(ran);
    super::write(&mut store, &op, |tx| {
        attempts::finish(tx, key, status, code)?;
        transition(
            tx,
            &op,
            (VmStatus::Running, VmStatus::Dirty),
            Errors::Reset,
            event.clone(),
            Some(status.as_str()),
        )
    })?;
    Ok(())
}

/// Waits for the command `pid` (blocked in `waitpid`, no polling); a timer thread kills its
/// group at the `deadline` (boot clock, ms). Then kills everything the command left behind.
/// Returns the task's status and exit code.
fn wait(pid: Pid, deadline: i64) -> (TaskStatus, Option<i32>) {
    let timed_out = Arc::new(AtomicBool::new(false));
    let (done, finished) = mpsc::channel::<()>();
    let timer = {
        let timed_out = timed_out.clone();
        let left = Duration::from_millis(u64::try_from(deadline - boot_ms()).unwrap_or(0));
        std::thread::spawn(move || {
            if finished.recv_timeout(left) == Err(mpsc::RecvTimeoutError::Timeout) {
                timed_out.store(true, Ordering::SeqCst);
                let _ = kill(Pid::from_raw(-pid.as_raw()), Signal::SIGKILL);
            }
        })
    };
    let exit = loop {
        match waitpid(pid, None) {
            Err(nix::errno::Errno::EINTR) => continue,
            other => break other,
        }
    };
    let _ = done.send(());
    let _ = timer.join();
    kill_leftovers(pid);
    match exit {
        _ if timed_out.load(Ordering::SeqCst) => (TaskStatus::Timeout, None),
        Ok(WaitStatus::Exited(_, 0)) => (TaskStatus::Completed, Some(0)),
        Ok(WaitStatus::Exited(_, code)) => (TaskStatus::Failed, Some(code)),
        Ok(WaitStatus::Signaled(_, signal, _)) => (TaskStatus::Failed, Some(-(signal as i32))),
        _ => (TaskStatus::Failed, None),
    }
}

/// Kills the command's group and every descendant still running, and reaps them: as the
/// subreaper this process inherits each orphan, so killing its children until none is left
/// reaches processes in other groups and sessions too.
fn kill_leftovers(group: Pid) {
    let _ = kill(Pid::from_raw(-group.as_raw()), Signal::SIGKILL);
    for _ in 0..100 {
        reap();
        let children = process::children();
        if children.is_empty() {
            return;
        }
        for child in children {
            let _ = kill(Pid::from_raw(-(child.pid as i32)), Signal::SIGKILL);
            let _ = kill(Pid::from_raw(child.pid as i32), Signal::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Reaps every child that has exited.
fn reap() {
    while let Ok(status) = waitpid(None, Some(WaitPidFlag::WNOHANG)) {
        if status == nix::sys::wait::WaitStatus::StillAlive {
            break;
        }
    }
}

/// Asks `vmsched worker --check OP` whether the domain runs the VM's snapshot: `None` when it
/// does, else what libvirt shows.
fn check(db: &Path, timeout: Duration, id: i64) -> Result<Option<String>> {
    let out = Command::new(super::exe("vmsched")?)
        .arg("--db")
        .arg(db)
        .args(["--timeout", &timeout.as_secs().to_string()])
        .args(["worker", "--check", &id.to_string()])
        .stdin(Stdio::null())
        .output()
        .context("cannot run `vmsched worker --check`")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let said = stdout.trim();
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let error = stderr.lines().next().unwrap_or("no message");
        anyhow::bail!("{}", error.trim_start_matches("error: "));
    }
    match said.strip_prefix("mismatch ") {
        _ if said == "ok" => Ok(None),
        Some(shows) => Ok(Some(shows.to_string())),
        None => anyhow::bail!("unexpected answer `{said}`"),
    }
}

/// The domain does not run the VM's snapshot: the command must not start. The VM becomes
/// dirty (so the next pass reverts or powers it off) and the task goes back to the queue
/// without using a try: the attempt says nothing about the task.
fn wrong_snapshot(store: &mut Store, op: &Operation, log: &Path, shows: &str) -> Result<()> {
    let key = op.task.context("task operation without a task")?;
    note(store.path(), log, &format!("wrong snapshot: {shows}"));
    let detail = format!("dirty wrong snapshot, task {key} not started: {shows}");
    super::write(store, op, |tx| {
        attempts::requeue_uncounted(tx, key, NoResult::WrongSnapshot)?;
        let event = Event::new(Kind::Task, &detail)
            .task(key)
            .result(TaskStatus::Queued.as_str())
            .alert(true);
        transition(
            tx,
            op,
            (VmStatus::Running, VmStatus::Dirty),
            Errors::Keep,
            event,
            Some("wrong snapshot"),
        )
    })?;
    Ok(())
}

/// The command could not be started: the attempt does not count as the command's result, and
/// its log says why.
fn not_started(store: &mut Store, op: &Operation, log: &Path, why: &str) -> Result<()> {
    let key = op.task.context("task operation without a task")?;
    note(store.path(), log, why);
    let max_tries = settings::load(store.conn())?.max_task_tries;
    super::write(store, op, |tx| {
        let status = attempts::retry_status(tx, key, max_tries)?;
        attempts::end_without_result(tx, key, status, NoResult::NotStarted)?;
        jobs::roll_up(tx, key.job)?;
        let detail = format!("dirty task {key} {status}: {why}");
        let event = Event::new(Kind::Task, &detail)
            .task(key)
            .result(status.as_str())
            .alert(status == TaskStatus::Boterror);
        transition(
            tx,
            op,
            (VmStatus::Running, VmStatus::Dirty),
            Errors::Keep,
            event,
            Some(why),
        )
    })?;
    Ok(())
}

/// Appends why the command did not start to the attempt's log (`vmsched: not started: ...`),
/// so `jobs log` shows it where the command's output would be. `log` is relative to the
/// database's folder and opened as every log is (`logs::open`: no symbolic link followed).
/// Best effort: a log that cannot be written (its folder is the reason) leaves the history
/// line as the only record.
fn note(db: &Path, log: &Path, why: &str) {
    use std::io::Write;
    let written = crate::logs::open(db, log, true)
        .and_then(|mut file| Ok(writeln!(file, "vmsched: not started: {why}")?));
    if let Err(err) = written {
        eprintln!(
            "{} cannot write `{}`: {err:#}",
            crate::store::now(),
            log.display()
        );
    }
}
