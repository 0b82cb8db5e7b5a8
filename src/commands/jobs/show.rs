//! `jobs list` and `jobs show`: jobs as virsh-like tables or as the JSON of docs/interfaces.md.

use super::found;
use crate::cli::{Format, JobListArgs};
use crate::commands::waits;
use crate::identity::shown;
use crate::model::{duration, escape_controls, TaskStatus};
use crate::output::{self, local, shell_line, Rows};
use crate::scheduler::TaskWait;
use crate::store::jobs::attempts::{self, AttemptRow};
use crate::store::jobs::{self, JobRow, StepDetail, TaskRow};
use crate::store::{stored, Conn, Mode};
use crate::Ctx;
use anyhow::Result;
use chrono::Utc;
use serde::Serialize;
use std::collections::BTreeMap;
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
    on_behalf_of: Option<&'a str>,
    env: &'a BTreeMap<String, String>,
    remarks: Option<&'a str>,
    submitted: String,
    ended: Option<String>,
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
    started: Option<String>,
    ended: Option<String>,
    /// Every attempt, first to latest: its length is the task's attempt count.
    attempts: Vec<AttemptJson<'a>>,
}

#[derive(Serialize)]
struct AttemptJson<'a> {
    no: u32,
    started: Option<String>,
    ended: Option<String>,
    result: Option<&'a str>,
    exit_code: Option<i64>,
    log: &'a str,
}

impl<'a, S> JobJson<'a, S> {
    fn new(job: &'a JobRow, steps: S, tasks: u32) -> Self {
        JobJson {
            id: job.id,
            priority: job.priority,
            status: job.status,
            user: &job.user,
            on_behalf_of: job.on_behalf_of.as_deref(),
            env: &job.env,
            remarks: job.remarks.as_deref(),
            submitted: stored(job.submitted),
            ended: job.ended.map(stored),
            steps,
            tasks,
        }
    }
}

/// `jobs list`: by id, the jobs still open and those ended in the last day (`--since`,
/// `--all`), written as they are read.
pub(crate) fn list(ctx: &Ctx, args: &JobListArgs, out: &mut dyn Write) -> Result<()> {
    let since = match (&args.since, args.all) {
        (_, true) => None,
        (Some(text), false) => Some(crate::commands::since(text)?),
        (None, false) => duration::before(Utc::now(), DEFAULT_WINDOW),
    };
    let store = ctx.open(Mode::Read)?;
    let query = jobs::Query {
        status: args.status,
        user: args.user.as_deref(),
        ended_since: since,
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
                    shown(&j.job.user, j.job.on_behalf_of.as_deref()),
                    local(Some(j.job.submitted)),
                    local(j.job.ended),
                    j.steps.to_string(),
                    j.tasks.to_string(),
                    j.job.remarks.clone().unwrap_or_default(),
                ]
            })
        })
    })?;
    rows.finish()
}

/// `jobs show ID`: the job, then its steps and their tasks, then why its queued tasks wait.
/// The job and the state the reasons come from are read in one transaction.
pub(crate) fn show(ctx: &Ctx, id: i64, out: &mut dyn Write) -> Result<()> {
    let store = ctx.open(Mode::Read)?;
    let (detail, waiting, history) = store.read(|tx| {
        Ok((
            jobs::load(tx, id)?,
            job_waits(tx, id)?,
            attempts::of_job(tx, id)?,
        ))
    })?;
    let detail = found(detail, id)?;
    let task_count = detail.steps.iter().map(|s| s.tasks.len() as u32).sum();
    if ctx.out.format == Format::Json {
        let steps: Vec<_> = detail
            .steps
            .iter()
            .map(|s| step_json(s, &history))
            .collect();
        let job = JobJson::new(&detail.job, steps, task_count);
        return output::json(out, &ShownJson { job, waiting });
    }
    let job = &detail.job;
    let mut lines = vec![
        ("Id".to_string(), job.id.to_string()),
        ("Status".into(), job.status.to_string()),
        ("Priority".into(), job.priority.to_string()),
        ("User".into(), shown(&job.user, job.on_behalf_of.as_deref())),
        ("Remarks".into(), job.remarks.clone().unwrap_or_default()),
        ("Submitted".into(), local(Some(job.submitted))),
        ("Ended".into(), local(job.ended)),
    ];
    if !job.env.is_empty() {
        let env: Vec<String> = job.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        lines.push(("Env".into(), shell_line(&env)));
    }
    lines.extend(detail.steps.iter().map(step_line));
    for (key, value) in lines {
        let line = format!("{:<12}{value}", format!("{key}:"));
        writeln!(out, "{}", escape_controls(line.trim_end()))?;
    }
    writeln!(out)?;
    let mut table = output::table([
        "Step", "Task", "VM", "Status", "Tries", "Attempts", "Exit", "Log", "Started", "Ended",
    ]);
    for task in detail.steps.iter().flat_map(|s| &s.tasks) {
        output::add_row(
            &mut table,
            [
                task.step.to_string(),
                task.no.to_string(),
                task.vm.clone(),
                task.status.to_string(),
                task.tries.to_string(),
                task.attempts.to_string(),
                exit_code(task.exit_code),
                task.log.clone().unwrap_or_else(|| "-".into()),
                local(task.started),
                local(task.ended),
            ],
        );
    }
    output::print_table(out, &table)?;
    print_attempts(out, &history)?;
    waits::print(out, &waiting.iter().collect::<Vec<_>>())
}

/// `jobs show --format json`: the job and its waiting tasks.
#[derive(Serialize)]
struct ShownJson<'a, S> {
    #[serde(flatten)]
    job: JobJson<'a, S>,
    waiting: Vec<TaskWait>,
}

/// Why each queued task of job `id` waits, as the next pass would say; none once it ended.
fn job_waits(conn: &Conn, id: i64) -> Result<Vec<TaskWait>> {
    if jobs::job(conn, id)?.is_none_or(|job| job.status.is_done()) {
        return Ok(Vec::new());
    }
    let mut tasks = waits::read(conn)?.tasks;
    tasks.retain(|wait| wait.job == id);
    Ok(tasks)
}

/// The attempts of the job's tasks, first to latest, with how each ended.
fn print_attempts(out: &mut dyn Write, history: &[AttemptRow]) -> Result<()> {
    if history.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let mut table = output::table([
        "Step", "Task", "Attempt", "Result", "Exit", "Log", "Started", "Ended",
    ]);
    for attempt in history {
        table.add_row([
            attempt.step.to_string(),
            attempt.task.to_string(),
            attempt.no.to_string(),
            attempt.result.clone().unwrap_or_else(|| "running".into()),
            exit_code(attempt.exit_code),
            attempt.log.clone(),
            local(attempt.started),
            local(attempt.ended),
        ]);
    }
    output::print_table(out, &table)
}

fn exit_code(code: Option<i64>) -> String {
    code.map_or("-".into(), |c| c.to_string())
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

fn step_json<'a>(detail: &'a StepDetail, history: &'a [AttemptRow]) -> StepJson<'a> {
    let step = &detail.step;
    StepJson {
        no: step.no,
        name: step.name.as_deref(),
        previous: step.previous,
        status: step.status,
        command: &step.command,
        timeout: step.timeout,
        tasks: detail.tasks.iter().map(|t| task_json(t, history)).collect(),
    }
}

fn task_json<'a>(task: &'a TaskRow, history: &'a [AttemptRow]) -> TaskJson<'a> {
    // `history` is in (step, task, attempt) order: the task's attempts are one slice of it.
    let key = (task.step, task.no);
    let first = history.partition_point(|a| (a.step, a.task) < key);
    let end = history.partition_point(|a| (a.step, a.task) <= key);
    let attempts = history[first..end]
        .iter()
        .map(|a| AttemptJson {
            no: a.no,
            started: a.started.map(stored),
            ended: a.ended.map(stored),
            result: a.result.as_deref(),
            exit_code: a.exit_code,
            log: &a.log,
        })
        .collect();
    TaskJson {
        no: task.no,
        vm: &task.vm,
        status: task.status,
        tries: task.tries,
        exit_code: task.exit_code,
        log: task.log.as_deref(),
        started: task.started.map(stored),
        ended: task.ended.map(stored),
        attempts,
    }
}
