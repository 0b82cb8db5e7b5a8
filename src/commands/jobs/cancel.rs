//! `jobs cancel ID`: cancel the queued tasks of a job (recorded in the history) and roll it up.

use super::found;
use crate::cli::{Format, JobCancelArgs};
use crate::identity::real_user;
use crate::model::TaskStatus;
use crate::output;
use crate::store::jobs::{self, attempts};
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
    /// Queued and running tasks now canceled.
    canceled: usize,
}

/// Cancels the queued tasks and stops the running ones in one transaction; the running
/// tasks' workers and commands are killed once it has committed, and their VMs are dirty.
pub(crate) fn cancel(ctx: &Ctx, args: &JobCancelArgs, out: &mut dyn Write) -> Result<()> {
    let mut store = ctx.open(Mode::Existing)?;
    let user = real_user();
    let (job, outcome) = store.write(|tx| {
        let job = found(jobs::job(tx, args.id)?, args.id)?;
        if job.status.is_done() {
            return Ok((job, None));
        }
        let canceled = jobs::cancel_queued(tx, args.id, &user, args.reason.as_deref())?;
        let mut kill = Vec::new();
        let running = jobs::running_tasks(tx, args.id)?;
        for task in &running {
            kill.extend(attempts::cancel_running(tx, task, &user)?);
        }
        jobs::roll_up(tx, args.id)?;
        let job = found(jobs::job(tx, args.id)?, args.id)?;
        Ok((job, Some((canceled.len() + running.len(), kill))))
    })?;
    let ended_before = outcome.is_none();
    let (canceled, kill) = outcome.unwrap_or_default();
    crate::process::kill_all(&kill);
    match (ctx.out.format, ended_before) {
        (Format::Json, _) => output::json(
            out,
            &Canceled {
                id: job.id,
                status: job.status,
                canceled,
            },
        )?,
        (Format::Table, true) => {
            writeln!(out, "job {} has already ended ({})", job.id, job.status)?
        }
        (Format::Table, false) => writeln!(
            out,
            "job {}: {canceled} task(s) canceled, now {}",
            job.id, job.status
        )?,
    }
    Ok(())
}
