//! `jobs submit`: one command on some VMs (a one-step job), or the steps of a job file.

use super::jobfile::{self, JobFile, NamedVms, DEFAULT_PRIORITY, DEFAULT_TIMEOUT};
use super::program;
use crate::cli::{Format, JobSubmitArgs};
use crate::commands::read_text;
use crate::exit;
use crate::identity::Actor;
use crate::output;
use crate::store::jobs::{self, NewJob, NewStep};
use crate::store::{vms, Mode};
use crate::workers::TASK_PATH;
use crate::Ctx;
use anyhow::Result;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Parses, checks and orders the job against the VMs as they are, then stores it in one short
/// transaction that only checks the VMs again and writes, so a refused job leaves nothing
/// behind; prints the new job's id.
pub(crate) fn submit(ctx: &Ctx, args: JobSubmitArgs, out: &mut dyn Write) -> Result<()> {
    let source = match &args.file {
        Some(path) => Some((
            path.display().to_string(),
            read_text(path, &format!("job file `{}`", path.display()))?,
        )),
        None => None,
    };
    let extra = args
        .env
        .iter()
        .map(|arg| env_arg(arg))
        .collect::<Result<Vec<_>>>()?;
    let actor = Actor::on_behalf_of(&ctx.db, args.user.as_deref())?;
    let mut store = ctx.open(Mode::Existing)?;
    let names = vms::names(store.conn())?;
    let known = |vm: &str| Ok(names.contains(vm));
    let mut file = match &source {
        Some((name, text)) => jobfile::parse(name, text, &known)?,
        None => one_step(&args, &known)?,
    };
    let mut env = std::mem::take(&mut file.env);
    env.extend(extra);
    let search = env.get("PATH").map_or(TASK_PATH, String::as_str);
    resolve_programs(&mut file, args.file.as_deref(), search)?;
    let job = NewJob {
        priority: args.priority.unwrap_or(file.priority),
        user: actor.user,
        on_behalf_of: actor.on_behalf_of,
        env,
        remarks: args.remarks.clone().or(file.remarks),
        steps: file.steps,
    };
    let id = store.write(|tx| {
        let names = vms::names(tx)?;
        file.vms.check(&|vm| Ok(names.contains(vm)))?;
        jobs::insert(tx, &job)
    })?;
    match ctx.out.format {
        Format::Table => writeln!(out, "job {id} submitted")?,
        Format::Json => output::json(out, &serde_json::json!({ "id": id }))?,
    }
    Ok(())
}

/// Resolves each step's program (`program::resolve`): against the job file's folder for a job
/// file, else the current directory. A refusal names the file and step. Each distinct program
/// is looked up once: a job file may have tens of thousands of steps running the same one.
/// A bare name is looked up on `search`, the task's `PATH`.
fn resolve_programs(file: &mut JobFile, job_file: Option<&Path>, search: &str) -> Result<()> {
    let base = match job_file.and_then(Path::parent) {
        Some(folder) => folder.to_path_buf(),
        None => PathBuf::new(),
    };
    let mut resolved = HashMap::new();
    for step in &mut file.steps {
        let program = &mut step.command[0];
        if let Some(known) = resolved.get(program) {
            *program = String::clone(known);
            continue;
        }
        let given = program.clone();
        *program = program::resolve(program, &base, search).map_err(|mut e| {
            if let (Some(path), Some(name)) = (job_file, &step.name) {
                e.message = format!(
                    "job file `{}`, step `{name}`: {}",
                    path.display(),
                    e.message
                );
            }
            e
        })?;
        resolved.insert(given, program.clone());
    }
    Ok(())
}

/// A `--env NAME=VALUE` argument, checked as a job file's `[env]` entries are.
fn env_arg(arg: &str) -> Result<(String, String)> {
    let (name, value) = arg.split_once('=').ok_or_else(|| {
        exit::bad_input(format!(
            "invalid --env `{}` (expected NAME=VALUE)",
            crate::model::escape_controls(arg)
        ))
    })?;
    jobfile::check_env(name, value).map_err(exit::bad_input)?;
    Ok((name.to_string(), value.to_string()))
}

/// The job of `--vm V... -- CMD...`: one step, one task per VM.
fn one_step(args: &JobSubmitArgs, known: &dyn Fn(&str) -> Result<bool>) -> Result<JobFile> {
    for (i, vm) in args.vms.iter().enumerate() {
        if args.vms[..i].contains(vm) {
            return Err(exit::bad_input(format!("VM `{vm}` is given twice")).into());
        }
        if !known(vm)? {
            return Err(jobfile::unknown_vm(None, None, vm));
        }
    }
    if args.command.first().is_none_or(String::is_empty) {
        return Err(exit::bad_input("no command to run (give it after `--`)").into());
    }
    Ok(JobFile {
        priority: DEFAULT_PRIORITY,
        remarks: None,
        env: Default::default(),
        steps: vec![NewStep {
            name: None,
            previous: None,
            timeout: args.task_timeout.unwrap_or(DEFAULT_TIMEOUT),
            command: args.command.clone(),
            vms: args.vms.clone(),
        }],
        vms: NamedVms {
            file: None,
            named: args.vms.iter().map(|vm| (vm.clone(), None)).collect(),
        },
    })
}
