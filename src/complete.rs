//! Shell completion at the prompt. The scripts in `completions/` only register a call: on
//! <TAB> the shell runs `COMPLETE=<shell> vmsched -- WORDS...`, and clap_complete's
//! `CompleteEnv` prints the candidates from the command line's definition, where arguments
//! that name something in the database point at the functions below. They read the database
//! the words name (`--db`, else `VMSCHED_DB`, else the default) read-only with a short busy
//! timeout: completion creates, migrates and changes nothing, never makes the prompt wait on a
//! busy writer, and offers nothing from a database it cannot read (missing, locked, another
//! schema version).

use crate::cli::Cli;
use crate::model::{host_key, Role, TaskStatus, VmStatus};
use crate::store::{self, Conn, Store};
use clap::CommandFactory;
use clap_complete::engine::CompletionCandidate;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// The environment variable that turns a run into a completion request.
pub(crate) const VAR: &str = "COMPLETE";

/// How long completion waits for a writer before it offers nothing.
const BUSY_TIMEOUT: Duration = Duration::from_millis(100);

/// The most job ids offered, the newest first.
const JOBS: u32 = 200;

/// The database of the command line being completed, set once per completion request.
static DB: OnceLock<PathBuf> = OnceLock::new();

/// Answers a completion request: `COMPLETE` set and the words after `--`, as the registration
/// scripts call it. Returns the exit code, or `None` for an ordinary run: a `COMPLETE` that
/// cron or a task's environment happens to hold does not turn `vmsched schedule-once` into one.
pub fn from_env(args: Vec<OsString>) -> Option<u8> {
    if std::env::var_os(VAR).is_none_or(|v| v.is_empty() || v == "0") || args.get(1)? != "--" {
        return None;
    }
    let _ = DB.set(database(&args));
    let cwd = std::env::current_dir().ok();
    let complete = clap_complete::CompleteEnv::with_factory(Cli::command).var(VAR);
    match complete.try_complete(args, cwd.as_deref()) {
        Ok(true) => Some(crate::exit::OK),
        Ok(false) => None,
        Err(err) => {
            let _ = err.print();
            Some(crate::exit::USAGE)
        }
    }
}

/// The database the words being completed (after `--`) would use. The words are as typed,
/// so a leading `~/` is expanded here as the shell would.
fn database(args: &[OsString]) -> PathBuf {
    let words = args.iter().skip_while(|a| *a != "--").skip(1);
    let typed = |path: &str| match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    };
    let mut db = None;
    let mut after_flag = false;
    for word in words.filter_map(|w| w.to_str()) {
        if after_flag {
            db = Some(typed(word));
        } else if let Some(path) = word.strip_prefix("--db=") {
            db = Some(typed(path));
        }
        after_flag = word == "--db";
    }
    db.or_else(|| {
        std::env::var_os("VMSCHED_DB")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
    .unwrap_or_else(crate::access::default_db)
}

/// What `read` finds in the database, or nothing when it cannot be read as it is.
fn read<T>(f: impl FnOnce(&Conn) -> anyhow::Result<Vec<T>>) -> Vec<T> {
    let Some(db) = DB.get().filter(|db| db.is_file()) else {
        return Vec::new();
    };
    Store::open_read_only(db, BUSY_TIMEOUT)
        .and_then(|store| store.read(f))
        .unwrap_or_default()
}

fn candidate(value: impl Into<OsString>, help: String) -> CompletionCandidate {
    CompletionCandidate::new(value).help(Some(help.into()))
}

/// VM names, each with its status and domain.
pub(crate) fn vms() -> Vec<CompletionCandidate> {
    read(|conn| {
        let vms = store::vms::list(conn)?;
        Ok(vms
            .into_iter()
            .map(|vm| candidate(&vm.name, format!("{} on {}", vm.status, vm.domain)))
            .collect())
    })
}

/// Domain names, each with its instances.
pub(crate) fn domains() -> Vec<CompletionCandidate> {
    read(|conn| {
        let mut domains: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for vm in store::vms::list(conn)? {
            domains.entry(vm.domain).or_default().push(vm.name);
        }
        Ok(domains
            .into_iter()
            .map(|(domain, names)| candidate(domain, names.join(", ")))
            .collect())
    })
}

/// Host keys: `*` (the global limits), those with limits and those of VMs' URIs.
pub(crate) fn hosts() -> Vec<CompletionCandidate> {
    read(|conn| {
        let mut hosts: BTreeMap<String, String> = store::hosts::load(conn)?
            .into_keys()
            .map(|host| (host, "limits set".to_string()))
            .collect();
        hosts.insert(
            store::hosts::GLOBAL.to_string(),
            "the global limits".to_string(),
        );
        for vm in store::vms::list(conn)? {
            if let Ok(host) = host_key(&vm.uri) {
                hosts.entry(host).or_insert_with(|| "VMs' host".to_string());
            }
        }
        Ok(hosts
            .into_iter()
            .map(|(h, help)| candidate(h, help))
            .collect())
    })
}

/// Job ids, the newest first, each with its status, user and remarks.
pub(crate) fn jobs() -> Vec<CompletionCandidate> {
    read(|conn| {
        let jobs = store::jobs::newest(conn, JOBS)?;
        Ok(jobs
            .into_iter()
            .map(|job| {
                let remarks = job.remarks.as_deref().unwrap_or("");
                let help = format!("{} {} {remarks}", job.status, job.user);
                candidate(job.id.to_string(), help.trim_end().to_string())
            })
            .collect())
    })
}

/// Setting keys, each with its meaning.
pub(crate) fn settings() -> Vec<CompletionCandidate> {
    let keys = store::settings::KEYS.iter();
    keys.map(|key| candidate(key.name, key.meaning.to_string()))
        .collect()
}

/// Each of a word enum's words, as a candidate.
fn word_candidates(words: &[&'static str]) -> Vec<CompletionCandidate> {
    words.iter().map(CompletionCandidate::new).collect()
}

/// VM statuses.
pub(crate) fn vm_statuses() -> Vec<CompletionCandidate> {
    word_candidates(VmStatus::WORDS)
}

/// The VM statuses `vms set --status` accepts.
pub(crate) fn settable_statuses() -> Vec<CompletionCandidate> {
    let settable = VmStatus::ALL.iter().filter(|s| s.admin_settable());
    settable
        .map(|s| CompletionCandidate::new(s.as_str()))
        .collect()
}

/// Task and job statuses.
pub(crate) fn task_statuses() -> Vec<CompletionCandidate> {
    word_candidates(TaskStatus::WORDS)
}

/// Roles.
pub(crate) fn roles() -> Vec<CompletionCandidate> {
    word_candidates(Role::WORDS)
}
