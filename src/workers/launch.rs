//! The launcher: one `vmsched-worker --launch` per pass forks the pass's workers, so a pass
//! that starts two hundred workers creates one process by `exec` instead of two hundred (an
//! `exec` costs about a millisecond of the pass's time on a small machine, a fork of the small
//! launcher a tenth of that; docs/performance.md, section 8).
//!
//! The handshake keeps the protocol of docs/architecture.md ("A pass"): the pass writes the
//! operation ids on one line; the launcher forks one worker per id, each in a session of its
//! own and blocked on a pipe of its own, and answers one line per id (`ID PID START` or
//! `ID -`); the pass records those identities, then writes `go`, which the launcher passes
//! to every worker before it exits. A pass that dies first leaves the launcher reading
//! end-of-file: it exits, its workers read end-of-file on their pipes and exit without acting.

use crate::process::Proc;
use anyhow::{Context, Result};
use nix::fcntl::OFlag;
use nix::unistd::{fork, pipe2, ForkResult};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::OwnedFd;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Workers forked by a launcher, waiting for their release.
pub(crate) struct Launched {
    launcher: Child,
    /// The worker of each operation, in the order asked; `None` where the fork failed (the
    /// next pass finds the operation without a process: dead).
    pub(crate) workers: Vec<Option<Proc>>,
}

impl Launched {
    /// Lets every worker act (the pass has recorded them). A launcher that died already
    /// leaves its workers to read end-of-file: the next pass finds them gone.
    pub(crate) fn release(mut self) {
        if let Some(mut stdin) = self.launcher.stdin.take() {
            let _ = stdin.write_all(b"go\n");
        }
    }
}

/// Starts the launcher and has it fork a worker for each operation of `ops`.
pub(crate) fn start(db: &Path, timeout: Duration, ops: &[i64], log: &File) -> Result<Launched> {
    let mut launcher = Command::new(super::exe("vmsched-worker")?)
        .arg("--launch")
        .arg("--db")
        .arg(db)
        .args(["--timeout", &timeout.as_secs().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log.try_clone()?)
        .spawn()
        .context("cannot start `vmsched-worker` (it must be installed beside `vmsched`)")?;
    let ids: Vec<String> = ops.iter().map(i64::to_string).collect();
    let stdin = launcher.stdin.as_mut().context("the launcher's stdin")?;
    writeln!(stdin, "{}", ids.join(" ")).context("the launcher exited at once")?;
    let stdout = launcher.stdout.take().context("the launcher's stdout")?;
    let mut answers = BufReader::new(stdout).lines();
    let mut workers = Vec::with_capacity(ops.len());
    for &id in ops {
        let line = answers
            .next()
            .context("the launcher ended early")?
            .context("cannot read the launcher's answer")?;
        workers.push(parse(id, &line)?);
    }
    Ok(Launched { launcher, workers })
}

/// One answer of the launcher: the worker of operation `id`, or `None` (`ID -`).
fn parse(id: i64, line: &str) -> Result<Option<Proc>> {
    let bad = || format!("the launcher answered `{line}` for operation {id}");
    let fields: Vec<&str> = line.split(' ').collect();
    match fields[..] {
        [op, "-"] if op == id.to_string() => Ok(None),
        [op, pid, start] if op == id.to_string() => Ok(Some(Proc {
            pid: pid.parse().with_context(bad)?,
            start_time: start.parse().with_context(bad)?,
        })),
        _ => anyhow::bail!(bad()),
    }
}

/// `vmsched-worker --launch --db DB --timeout SECS`: the launcher's side (see the module).
pub fn run(db: &Path, timeout: Duration) -> Result<()> {
    let _ = nix::unistd::setsid(); // cron's exit must not reach the workers
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let ids: Vec<i64> = line
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .context("the pass sent no operation ids")?;
    let mut gates: Vec<OwnedFd> = Vec::with_capacity(ids.len());
    let mut answers = String::new();
    for id in ids {
        let proc = match pipe2(OFlag::O_CLOEXEC) {
            Ok((gate, opener)) => fork_worker(db, timeout, id, gate, opener, &mut gates),
            Err(err) => {
                eprintln!(
                    "{} launcher: no pipe for operation {id}: {err}",
                    crate::store::now()
                );
                None
            }
        };
        match proc {
            Some(p) => answers.push_str(&format!("{id} {} {}\n", p.pid, p.start_time)),
            None => answers.push_str(&format!("{id} -\n")),
        }
    }
    std::io::stdout().write_all(answers.as_bytes())?;
    std::io::stdout().flush()?;
    line.clear();
    std::io::stdin().lock().read_line(&mut line)?;
    if line.trim() == "go" {
        for gate in &gates {
            let _ = nix::unistd::write(gate, b"go\n");
        }
    }
    Ok(()) // exiting closes the gates: workers not released read end-of-file
}

/// Forks the worker of operation `id`, blocked on `gate` (whose other end, `opener`, the
/// launcher keeps among `gates`); its identity, or `None` when the fork failed.
fn fork_worker(
    db: &Path,
    timeout: Duration,
    id: i64,
    gate: OwnedFd,
    opener: OwnedFd,
    gates: &mut Vec<OwnedFd>,
) -> Option<Proc> {
    // SAFETY: the launcher has one thread, so the child inherits no lock another thread held;
    // it closes what it must not keep and runs the worker, which never returns here.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            gates.clear(); // other workers' pipes: they must see end-of-file when the launcher exits
            drop(opener);
            let code = match worker(db, timeout, id, gate) {
                Ok(()) => 0,
                Err(_) => crate::exit::FAILED,
            };
            std::process::exit(i32::from(code));
        }
        Ok(ForkResult::Parent { child }) => {
            drop(gate);
            gates.push(opener);
            Proc::of(i64::from(child.as_raw()))
        }
        Err(err) => {
            eprintln!(
                "{} launcher: cannot fork the worker of operation {id}: {err}",
                crate::store::now()
            );
            None
        }
    }
}

/// A forked worker: lets go of the launcher's pipes to the pass (which must see the
/// launcher's own end), leaves its session, and runs the operation once released.
fn worker(db: &Path, timeout: Duration, id: i64, gate: OwnedFd) -> Result<()> {
    let null = File::options().read(true).write(true).open("/dev/null")?;
    nix::unistd::dup2_stdin(&null)?;
    nix::unistd::dup2_stdout(&null)?;
    let _ = nix::unistd::setsid();
    super::run(db, timeout, id, File::from(gate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_names_its_operation_and_a_worker_or_none() {
        let proc = parse(7, "7 4242 998877").unwrap().unwrap();
        assert_eq!((proc.pid, proc.start_time), (4242, 998877));
        assert!(parse(7, "7 -").unwrap().is_none());
        for bad in ["8 4242 998877", "7 4242", "7 x 1", "", "7 1 2 3"] {
            let err = parse(7, bad).unwrap_err().to_string();
            assert!(err.contains("for operation 7"), "{bad}: {err}");
        }
    }
}
