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

/// Reads `(state, start time)` of a pid from `/proc/PID/stat`, or `None` when it is gone.
fn stat(pid: i64) -> Option<(char, i64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    Some((state, fields.get(19)?.parse().ok()?))
}

impl Proc {
    /// This process.
    pub fn current() -> Result<Proc> {
        Proc::of(i64::from(std::process::id())).context("cannot read this process's start time")
    }

    /// The identity of a running pid, if it exists.
    pub fn of(pid: i64) -> Option<Proc> {
        stat(pid).map(|(_, start_time)| Proc { pid, start_time })
    }

    /// Alive: the pid exists, is not a zombie, and started when recorded.
    pub fn is_alive(&self) -> bool {
        matches!(stat(self.pid), Some((state, start)) if state != 'Z' && state != 'X' && start == self.start_time)
    }

    /// Kills the process group this process leads (workers and task commands lead their
    /// own). When the leader is alive it must be the recorded one; when it is gone, what is
    /// left of its group is killed (a pid that no longer exists leads nobody else's group).
    pub fn kill_group(&self) {
        if self.pid <= 1 {
            return;
        }
        match stat(self.pid) {
            Some((_, start)) if start != self.start_time => {}
            // SAFETY: as above.
            _ => unsafe {
                libc::kill(-(self.pid as libc::pid_t), libc::SIGKILL);
            },
        }
    }
}

/// Starts `vmsched worker OP` in its own session (so cron's exit does not kill it), blocked
/// reading its stdin until the pass has committed and releases it.
pub fn spawn_worker(db: &Path, operation: i64, log: &Path) -> Result<(Child, Proc)> {
    let exe = std::env::current_exe().context("cannot find the vmsched executable")?;
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("cannot open worker log `{}`", log.display()))?;
    let mut cmd = Command::new(exe);
    cmd.arg("--db")
        .arg(db)
        .args(["--no-progress", "worker", &operation.to_string()])
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
                Some(('Z', start)) => {
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
}
