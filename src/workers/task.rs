//! The task worker: runs the task's argument vector (never a shell string) in its log folder,
//! stdin from /dev/null, output to the attempt's log, in its own process group (recorded, so a
//! pass can kill what is left of a dead attempt); kills the group at the timeout. The exit
//! decides the task's status; the VM becomes dirty, errors reset. A command that cannot start
//! is an infrastructure failure: requeued while tries remain, else boterror.

use crate::model::{TaskStatus, VmStatus};
use crate::process::Proc;
use crate::store::jobs::attempts;
use crate::store::operations::{set_group, transition, Errors, Operation};
use crate::store::{settings, vms, Store};
use crate::workers::data_dir;
use anyhow::{Context, Result};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn run(store: &mut Store, op: &Operation) -> Result<()> {
    let (job, step, no) = op.task.context("task operation without a task")?;
    let task = attempts::attempt(store.conn(), (job, step, no))?;
    let vm = vms::get(store.conn(), &op.vm)?.context("the VM was removed")?;
    let log = data_dir(store.path()).join(&task.log);
    let folder = log.parent().context("log path")?.to_path_buf();
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create `{}`", folder.display()))?;
    let started = std::fs::File::create(&log)
        .with_context(|| format!("cannot create `{}`", log.display()))
        .and_then(|file| {
            let (program, args) = task.command.split_first().context("empty command")?;
            Command::new(program)
                .args(args)
                .current_dir(&folder)
                .stdin(Stdio::null())
                .stdout(file.try_clone()?)
                .stderr(file)
                .env("VMSCHED_VM", &vm.name)
                .env("VMSCHED_URI", &vm.uri)
                .env("VMSCHED_DOMAIN", &vm.domain)
                .env("VMSCHED_SNAPSHOT", &vm.snapshot)
                .env("VMSCHED_HOSTNAME", vm.hostname.as_deref().unwrap_or(""))
                .env("VMSCHED_JOB", job.to_string())
                .env("VMSCHED_STEP", step.to_string())
                .env("VMSCHED_TASK", no.to_string())
                .process_group(0)
                .spawn()
                .with_context(|| format!("cannot start `{program}`"))
        });
    let mut child = match started {
        Ok(child) => child,
        Err(err) => return not_started(store, op, &format!("{err:#}")),
    };
    if let Some(group) = Proc::of(i64::from(child.id())) {
        super::write(store, op, |tx| set_group(tx, op.id, group))?;
    }
    let deadline = Instant::now() + Duration::from_secs(task.timeout);
    let (status, code) = loop {
        if let Some(exit) = child.try_wait()? {
            let code = exit.code().unwrap_or_else(|| -exit.signal().unwrap_or(0));
            break (
                if exit.success() {
                    TaskStatus::Completed
                } else {
                    TaskStatus::Failed
                },
                Some(code),
            );
        }
        if Instant::now() >= deadline {
            // SAFETY: kill has no memory-safety preconditions; the group is the command's own.
            unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
            let _ = child.wait();
            break (TaskStatus::Timeout, None);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let detail = format!("dirty task {job}/{step}/{no} {status}");
    super::write(store, op, |tx| {
        attempts::finish(tx, (job, step, no), status, code)?;
        transition(
            tx,
            op,
            (VmStatus::Running, VmStatus::Dirty),
            Errors::Reset,
            &detail,
            Some(status.as_str()),
        )
    })?;
    Ok(())
}

/// The command could not be started: the attempt does not count as the command's result.
fn not_started(store: &mut Store, op: &Operation, why: &str) -> Result<()> {
    let (job, step, no) = op.task.context("task operation without a task")?;
    let max_tries = settings::load(store.conn())?.max_task_tries;
    super::write(store, op, |tx| {
        let status = attempts::retry_status(tx, (job, step, no), max_tries)?;
        attempts::end_without_result(tx, (job, step, no), status)?;
        crate::store::jobs::roll_up(tx, job)?;
        let detail = format!("dirty task {job}/{step}/{no} {status}: {why}");
        transition(
            tx,
            op,
            (VmStatus::Running, VmStatus::Dirty),
            Errors::Keep,
            &detail,
            Some(why),
        )
    })?;
    Ok(())
}
