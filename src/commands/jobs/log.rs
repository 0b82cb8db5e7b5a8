//! `jobs log ID [STEP TASK] [--attempt N]`: print the log of one attempt of a job's tasks.

use super::found;
use crate::cli::JobLogArgs;
use crate::exit;
use crate::store::jobs::attempts::{self, AttemptRow};
use crate::store::jobs::{self, TaskRow};
use crate::store::Mode;
use crate::Ctx;
use anyhow::Result;
use std::io::Write;
use std::path::Path;

/// Prints each selected task's log of its latest attempt (or of attempt `--attempt N`), under
/// a `== job 1 step 1 task 2 (w7), attempt 1 ==` line. Tasks without that attempt are reported
/// on stderr (bad input when no selected task has it); a missing file makes the exit code 1
/// once everything else is printed.
pub(crate) fn log(ctx: &Ctx, args: &JobLogArgs, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.open(Mode::Read)?;
    let detail = found(jobs::load(store.conn(), args.id)?, args.id)?;
    let tasks: Vec<&TaskRow> = detail
        .steps
        .iter()
        .flat_map(|s| &s.tasks)
        .filter(|t| args.step.is_none_or(|s| t.step == s))
        .filter(|t| args.task.is_none_or(|n| t.no == n))
        .collect();
    if tasks.is_empty() {
        let what = match (args.step, args.task) {
            (Some(step), Some(task)) => format!("job {} has no step {step} task {task}", args.id),
            (Some(step), None) => format!("job {} has no step {step}", args.id),
            _ => format!("job {} has no task", args.id),
        };
        return Err(exit::bad_input(what).into());
    }
    // In (step, task, attempt) order, as the binary search below needs.
    let history = attempts::of_job(store.conn(), args.id)?;
    let chosen: Vec<(&TaskRow, Option<&AttemptRow>)> = tasks
        .into_iter()
        .map(|task| {
            let number = args.attempt.unwrap_or(task.attempts);
            let key = (task.step, task.no, number);
            let found = history.binary_search_by_key(&key, |a| (a.step, a.task, a.no));
            (task, found.ok().map(|i| &history[i]))
        })
        .collect();
    if let Some(n) = args.attempt {
        if chosen.iter().all(|(_, attempt)| attempt.is_none()) {
            let id = args.id;
            let what = match (args.step, args.task) {
                (Some(step), Some(task)) => {
                    format!("job {id} step {step} task {task} has no attempt {n}")
                }
                (Some(step), None) => format!("no task of job {id} step {step} has attempt {n}"),
                _ => format!("no task of job {id} has attempt {n}"),
            };
            return Err(exit::bad_input(what)
                .hint(format!(
                    "`vmsched jobs show {id}` lists each task's attempts"
                ))
                .into());
        }
    }
    let base = store.path().parent().unwrap_or(Path::new("."));
    let mut missing = false;
    for (task, attempt) in chosen {
        let name = format!(
            "job {} step {} task {} ({})",
            task.job, task.step, task.no, task.vm
        );
        let Some(attempt) = attempt else {
            match args.attempt {
                Some(n) => ctx.out.say(format_args!("{name} has no attempt {n}")),
                None => ctx.out.say(format_args!("{name} has no log yet")),
            }
            continue;
        };
        let path = base.join(&attempt.log);
        match std::fs::read(&path) {
            Ok(text) => {
                writeln!(out, "== {name}, attempt {} ==", attempt.no)?;
                out.write_all(&text)?;
                if !text.is_empty() && !text.ends_with(b"\n") {
                    writeln!(out)?;
                }
            }
            Err(e) => {
                ctx.out.warn(format_args!(
                    "{name}, attempt {}: cannot read `{}`: {e}",
                    attempt.no,
                    path.display()
                ));
                missing = true;
            }
        }
    }
    Ok(if missing { exit::FAILED } else { exit::OK })
}
