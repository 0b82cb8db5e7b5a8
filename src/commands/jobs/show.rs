//! `jobs list` and `jobs show`: jobs as virsh-like tables or as the JSON of docs/interfaces.md.

use super::{found, shell_line};
use crate::cli::{Format, JobListArgs};
use crate::model::{duration, TaskStatus};
use crate::output::{self, local_time, Rows};
use crate::store::jobs::{self, JobRow, StepDetail, TaskRow};
use crate::store::Mode;
use crate::Ctx;
use anyhow::Result;
use chrono::Utc;
use serde::Serialize;
use std::io::Write;

/// How long `jobs list` keeps showing an ended job: a day.
const DEFAULT_WINDOW: u64 = 86_400;

/// A job in JSON; `steps` is a count in listings and the steps themselves in `jobs show`.
#[derive(Serialize)]
struct JobJson<'a, S> {
    id: i64,
    priority: i64,
    status: TaskStatus,
    user: &'a str,
    remarks: Option<&'a str>,
    submitted: &'a str,
    ended: Option<&'a str>,
    steps: S,
    tasks: u32,
}

#[derive(Serialize)]
struct StepJson<'a> {
    no: u32,
    name: Option<&'a str>,
    previous: Option<u32>,
    status: TaskStatus,
    command: &'a [String],
    timeout: u64,
    tasks: Vec<TaskJson<'a>>,
}

#[derive(Serialize)]
struct TaskJson<'a> {
    no: u32,
    vm: &'a str,
    status: TaskStatus,
    tries: u32,
    exit_code: Option<i64>,
    log: Option<&'a str>,
    started: Option<&'a str>,
    ended: Option<&'a str>,
}

impl<'a, S> JobJson<'a, S> {
    fn new(job: &'a JobRow, steps: S, tasks: u32) -> Self {
        JobJson {
            id: job.id,
            priority: job.priority,
            status: job.status,
            user: &job.user,
            remarks: job.remarks.as_deref(),
            submitted: &job.submitted,
            ended: job.ended.as_deref(),
            steps,
            tasks,
        }
    }
}

/// `jobs list`: by id, the jobs still open and those ended in the last day (`--since`,
/// `--all`), written as they are read.
pub fn list(ctx: &Ctx, args: &JobListArgs, out: &mut dyn Write) -> Result<()> {
    let since = match (&args.since, args.all) {
        (_, true) => None,
        (Some(text), false) => Some(crate::commands::since(text)?),
        (None, false) => duration::before(Utc::now(), DEFAULT_WINDOW),
    };
    let store = ctx.open(Mode::Existing)?;
    let query = jobs::Query {
        status: args.status,
        user: args.user.as_deref(),
        ended_since: since.as_deref(),
        limit: args.limit,
    };
    let header = [
        "Id",
        "Priority",
        "Status",
        "User",
        "Submitted",
        "Ended",
        "Steps",
        "Tasks",
        "Remarks",
    ];
    let mut rows = Rows::new(out, ctx.out.format, &header);
    store.read(|conn| {
        jobs::each(conn, &query, |j| {
            let json = JobJson::new(&j.job, j.steps, j.tasks);
            rows.push(&json, || {
                vec![
                    j.job.id.to_string(),
                    j.job.priority.to_string(),
                    j.job.status.to_string(),
                    j.job.user.clone(),
                    local_time(Some(&j.job.submitted)),
                    local_time(j.job.ended.as_deref()),
                    j.steps.to_string(),
                    j.tasks.to_string(),
                    j.job.remarks.clone().unwrap_or_default(),
                ]
            })
        })
    })?;
    rows.finish()
}

/// `jobs show ID`: the job, then its steps and their tasks.
pub fn show(ctx: &Ctx, id: i64, out: &mut dyn Write) -> Result<()> {
    let store = ctx.open(Mode::Existing)?;
    let detail = found(jobs::load(store.conn(), id)?, id)?;
    let task_count = detail.steps.iter().map(|s| s.tasks.len() as u32).sum();
    if ctx.out.format == Format::Json {
        let steps: Vec<_> = detail.steps.iter().map(step_json).collect();
        return output::json(out, &JobJson::new(&detail.job, steps, task_count));
    }
    let job = &detail.job;
    let mut lines = vec![
        ("Id".to_string(), job.id.to_string()),
        ("Status".into(), job.status.to_string()),
        ("Priority".into(), job.priority.to_string()),
        ("User".into(), job.user.clone()),
        ("Remarks".into(), job.remarks.clone().unwrap_or_default()),
        ("Submitted".into(), local_time(Some(&job.submitted))),
        ("Ended".into(), local_time(job.ended.as_deref())),
    ];
    lines.extend(detail.steps.iter().map(step_line));
    for (key, value) in lines {
        let line = format!("{:<12}{value}", format!("{key}:"));
        writeln!(out, "{}", line.trim_end())?;
    }
    writeln!(out)?;
    let mut table = output::table([
        "Step", "Task", "VM", "Status", "Tries", "Exit", "Log", "Started", "Ended",
    ]);
    for task in detail.steps.iter().flat_map(|s| &s.tasks) {
        table.add_row([
            task.step.to_string(),
            task.no.to_string(),
            task.vm.clone(),
            task.status.to_string(),
            task.tries.to_string(),
            task.exit_code.map_or("-".into(), |c| c.to_string()),
            task.log.clone().unwrap_or_else(|| "-".into()),
            local_time(task.started.as_deref()),
            local_time(task.ended.as_deref()),
        ]);
    }
    output::print_table(out, &table)
}

/// A header line per step: `Step 2:` then name, dependency, status, timeout and command.
fn step_line(detail: &StepDetail) -> (String, String) {
    let step = &detail.step;
    let mut words = vec![step.name.clone().unwrap_or_else(|| "-".into())];
    words.extend(step.previous.map(|p| format!("after step {p}")));
    words.push(step.status.to_string());
    words.push(format!("timeout {}s", step.timeout));
    let value = format!("{}: {}", words.join(", "), shell_line(&step.command));
    (format!("Step {}", step.no), value)
}

fn step_json(detail: &StepDetail) -> StepJson<'_> {
    let step = &detail.step;
    StepJson {
        no: step.no,
        name: step.name.as_deref(),
        previous: step.previous,
        status: step.status,
        command: &step.command,
        timeout: step.timeout,
        tasks: detail.tasks.iter().map(task_json).collect(),
    }
}

fn task_json(task: &TaskRow) -> TaskJson<'_> {
    TaskJson {
        no: task.no,
        vm: &task.vm,
        status: task.status,
        tries: task.tries,
        exit_code: task.exit_code,
        log: task.log.as_deref(),
        started: task.started.as_deref(),
        ended: task.ended.as_deref(),
    }
}
