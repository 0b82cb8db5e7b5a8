//! Processes as the database records them: a pid plus its start time, so a reused pid is never
//! mistaken for our worker; spawning in a new session; killing whole process groups.

use anyhow::{Context, Result};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A process identity that survives pid reuse: the pid and its start time in clock ticks
/// since boot (field 22 of `/proc/PID/stat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proc {
    pub pid: i64,
    pub start_time: i64,
}

/// What `/proc/PID/stat` says of a pid: state letter, session id and start time; `None` when
/// the pid is gone.
fn stat(pid: i64) -> Option<(char, i64, i64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    Some((
        state,
        fields.get(3)?.parse().ok()?,
        fields.get(19)?.parse().ok()?,
    ))
}

impl Proc {
    /// This process.
    pub fn current() -> Result<Proc> {
        Proc::of(i64::from(std::process::id())).context("cannot read this process's start time")
    }

    /// The identity of a running pid, if it exists.
    pub fn of(pid: i64) -> Option<Proc> {
        stat(pid).map(|(_, _, start_time)| Proc { pid, start_time })
    }

    /// Alive: the pid exists, is not a zombie, and started when recorded.
    pub fn is_alive(&self) -> bool {
        matches!(stat(self.pid), Some((state, _, start)) if state != 'Z' && state != 'X' && start == self.start_time)
    }

    /// Kills this process with the process group and the session it leads: a worker leads
    /// its session, and the task command it started leads a group inside it, so nothing of a
    /// stopped or dead attempt survives, even a command whose group was not recorded yet.
    /// When the leader is alive it must be the recorded one; when it is gone, what is left of
    /// its group and session is killed (Linux never reuses a pid that still names a group or
    /// session with live members, so those members are ours).
    pub fn kill_group(&self) {
        if self.pid <= 1 || stat(self.pid).is_some_and(|(_, _, start)| start != self.start_time) {
            return;
        }
        let members = session_members(self.pid);
        // SAFETY: kill has no memory-safety preconditions; a negative pid names a group.
        unsafe {
            libc::kill(-(self.pid as libc::pid_t), libc::SIGKILL);
            libc::kill(self.pid as libc::pid_t, libc::SIGKILL);
            for pid in members {
                libc::kill(pid as libc::pid_t, libc::SIGKILL);
            }
        }
    }
}

/// The pids of the processes whose session id is `sid`.
fn session_members(sid: i64) -> Vec<i64> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i64>().ok())
        .filter(|&pid| stat(pid).is_some_and(|(_, session, _)| session == sid))
        .collect()
}

/// Starts `vmsched worker OP` in its own session (so cron's exit does not kill it), blocked
/// reading its stdin until the pass has committed and releases it.
pub fn spawn_worker(
    db: &Path,
    timeout: std::time::Duration,
    operation: i64,
    log: &Path,
) -> Result<(Child, Proc)> {
    let exe = std::env::current_exe().context("cannot find the vmsched executable")?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open worker log `{}`", log.display()))?;
    let mut cmd = Command::new(exe);
    cmd.arg("--db")
        .arg(db)
        .args(["--no-progress", "--timeout", &timeout.as_secs().to_string()])
        .args(["worker", &operation.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(log);
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = cmd.spawn().context("cannot start a worker")?;
    let proc = Proc::of(i64::from(child.id())).context("a worker exited at once")?;
    Ok((child, proc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn liveness_needs_the_same_start_time() {
        let me = Proc::current().unwrap();
        assert!(me.is_alive());
        assert!(!Proc {
            start_time: me.start_time + 1,
            ..me
        }
        .is_alive());
        assert!(!Proc {
            pid: i64::from(i32::MAX),
            start_time: 0
        }
        .is_alive());
    }

    #[test]
    fn zombies_are_dead() {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = i64::from(child.id());
        let proc = loop {
            match stat(pid) {
                Some(('Z', _, start)) => {
                    break Proc {
                        pid,
                        start_time: start,
                    }
                }
                Some(_) => std::thread::sleep(std::time::Duration::from_millis(5)),
                None => panic!("child vanished before being reaped"),
            }
        };
        assert!(!proc.is_alive());
        child.wait().unwrap();
    }

    #[test]
    fn a_dead_leaders_session_is_killed_whole() {
        // The leader starts a command in a process group of its own, then exits, as a task
        // worker killed before recording its command's group would.
        let mut leader = Command::new("sh");
        leader
            .args([
                "-c",
                "perl -e 'setpgrp(0, 0); sleep 30' >/dev/null & echo $!",
            ])
            .stdout(Stdio::piped());
        // SAFETY: setsid is async-signal-safe.
        unsafe {
            leader.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let child = leader.spawn().unwrap();
        let proc = Proc::of(i64::from(child.id())).unwrap();
        let out = child.wait_with_output().unwrap();
        let orphan: i64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert!(
            Proc::of(orphan).is_some_and(|p| p.is_alive()),
            "the command runs on"
        );
        proc.kill_group();
        let gone = (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            !Proc::of(orphan).is_some_and(|p| p.is_alive())
        });
        assert!(gone, "the command outlived its session's kill");
    }
}
