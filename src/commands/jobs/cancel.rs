//! `jobs cancel ID`: cancel the queued tasks of a job (recorded in the history) and roll it up.

use super::found;
use crate::cli::{Format, JobCancelArgs};
use crate::model::TaskStatus;
use crate::output;
use crate::store::history::current_user;
use crate::store::jobs;
use crate::store::Mode;
use crate::Ctx;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// What a cancel did, as printed with `--format json`.
#[derive(Serialize)]
struct Canceled {
    id: i64,
    /// The job's status afterwards.
    status: TaskStatus,
    /// Queued tasks now canceled.
    canceled: usize,
    /// Tasks still running.
    running: usize,
}

/// Cancels the queued tasks in one transaction. Running tasks are left running: stopping them
/// needs their task workers, which find them through `store::jobs::running_tasks`.
pub fn cancel(ctx: &Ctx, args: &JobCancelArgs, out: &mut dyn Write) -> Result<()> {
    let mut store = ctx.open(Mode::Existing)?;
    let user = current_user();
    let (job, outcome) = store.write(|tx| {
        let job = found(jobs::job(tx, args.id)?, args.id)?;
        if job.status.is_done() {
            return Ok((job, None));
        }
        let canceled = jobs::cancel_queued(tx, args.id, &user, args.reason.as_deref())?;
        let running = jobs::running_tasks(tx, args.id)?;
        let job = found(jobs::job(tx, args.id)?, args.id)?;
        Ok((job, Some((canceled.len(), running))))
    })?;
    let ended_before = outcome.is_none();
    let (canceled, running) = outcome.unwrap_or_default();
    for task in &running {
        ctx.out.warn(format_args!(
            "job {} step {} task {} on `{}` keeps running: stopping running tasks needs the task workers",
            task.job, task.step, task.no, task.vm
        ));
    }
    match (ctx.out.format, ended_before) {
        (Format::Json, _) => output::json(
            out,
            &Canceled {
                id: job.id,
                status: job.status,
                canceled,
                running: running.len(),
            },
        )?,
        (Format::Table, true) => {
            writeln!(out, "job {} has already ended ({})", job.id, job.status)?
        }
        (Format::Table, false) => writeln!(
            out,
            "job {}: {canceled} queued task(s) canceled, now {}",
            job.id, job.status
        )?,
    }
    Ok(())
}
