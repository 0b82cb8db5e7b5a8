//! `jobs wait ID`: poll the database until a job has ended.

use super::found;
use crate::cli::{Format, JobWaitArgs};
use crate::exit;
use crate::model::TaskStatus;
use crate::output;
use crate::store::jobs;
use crate::store::Mode;
use crate::Ctx;
use anyhow::Result;
use std::io::Write;
use std::time::{Duration, Instant};

/// How often the job's status is read again.
const POLL: Duration = Duration::from_millis(500);

/// Waits for the job to end and prints its status; exit 0 when it completed, 1 when it ended
/// otherwise or `--max-wait` passed first.
pub(crate) fn wait(ctx: &Ctx, args: &JobWaitArgs, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.open(Mode::Existing)?;
    let deadline = args
        .max_wait
        .map(|secs| Instant::now() + Duration::from_secs(secs));
    loop {
        let job = found(jobs::job(store.conn(), args.id)?, args.id)?;
        if job.status.is_done() {
            match ctx.out.format {
                Format::Table => writeln!(out, "job {} {}", job.id, job.status)?,
                Format::Json => output::json(
                    out,
                    &serde_json::json!({ "id": job.id, "status": job.status }),
                )?,
            }
            return Ok(if job.status == TaskStatus::Completed {
                exit::OK
            } else {
                exit::FAILED
            });
        }
        let pause = match deadline {
            Some(deadline) => deadline.saturating_duration_since(Instant::now()).min(POLL),
            None => POLL,
        };
        if pause.is_zero() {
            let secs = args.max_wait.unwrap_or_default();
            let message = format!(
                "job {} has not ended after {secs}s (it is {})",
                job.id, job.status
            );
            return Err(exit::failed(message).into());
        }
        std::thread::sleep(pause);
    }
}
