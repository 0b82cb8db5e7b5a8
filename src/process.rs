//! Processes as the database records them: a pid plus its start time, so a reused pid is never
//! mistaken for our worker; and killing what is left of stopped workers with one scan of
//! `/proc` however many there are. The bottom of the house: it knows only the kernel.

use anyhow::{Context, Result};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::collections::HashSet;

/// A process identity that survives pid reuse: the pid and its start time in clock ticks
/// since boot (field 22 of `/proc/PID/stat`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Proc {
    pub(crate) pid: i64,
    pub start_time: i64,
}

/// What `/proc/PID/stat` says of a process.
#[derive(Clone, Copy, Debug)]
struct Stat {
    pid: i64,
    state: char,
    ppid: i64,
    session: i64,
    start_time: i64,
}

impl Stat {
    fn is_running(&self) -> bool {
        self.state != 'Z' && self.state != 'X'
    }
}

/// Reads `/proc/PID/stat`; `None` when the pid is gone.
fn stat(pid: i64) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(Stat {
        pid,
        state: fields.first()?.chars().next()?,
        ppid: fields.get(1)?.parse().ok()?,
        session: fields.get(3)?.parse().ok()?,
        start_time: fields.get(19)?.parse().ok()?,
    })
}

/// Every process of the machine, read once.
fn scan() -> Vec<Stat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i64>().ok())
        .filter_map(stat)
        .collect()
}

/// Sends SIGKILL; a process that is already gone is no error.
fn sigkill(pid: i64) {
    if let Ok(pid) = i32::try_from(pid) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
    }
}

impl Proc {
    /// This process.
    pub(crate) fn current() -> Result<Proc> {
        Proc::of(i64::from(std::process::id())).context("cannot read this process's start time")
    }

    /// The identity of a running pid, if it exists.
    pub fn of(pid: i64) -> Option<Proc> {
        stat(pid).map(|s| Proc {
            pid,
            start_time: s.start_time,
        })
    }

    /// Alive: the pid exists, is not a zombie, and started when recorded.
    pub fn is_alive(&self) -> bool {
        stat(self.pid).is_some_and(|s| s.is_running() && s.start_time == self.start_time)
    }

    /// Its argument vector (empty when it is gone or a zombie).
    pub(crate) fn args(&self) -> Vec<String> {
        let Ok(bytes) = std::fs::read(format!("/proc/{}/cmdline", self.pid)) else {
            return Vec::new();
        };
        bytes
            .split(|&b| b == 0)
            .filter(|arg| !arg.is_empty())
            .map(|arg| String::from_utf8_lossy(arg).into_owned())
            .collect()
    }

    /// Sends SIGKILL to this process alone, unless its pid now names another process.
    pub(crate) fn kill(&self) {
        if self.is_alive() {
            sigkill(self.pid);
        }
    }
}

/// Whether the worker an operation records is alive, as every reader but the pass judges it:
/// an operation with no process yet is being started by the pass that holds the pass lock
/// (docs/architecture.md, "A pass"), so it counts as alive until the next pass, the only one
/// that may declare it dead.
pub(crate) fn recorded_alive(process: Option<Proc>) -> bool {
    process.is_none_or(|p| p.is_alive())
}

/// Kills each victim with the process group and the session it leads: a worker leads its
/// session, and the task command it started leads a group inside it, so nothing of a stopped
/// or dead attempt survives: a task's command runs in a group inside its worker's session. A
/// victim alive
/// under another start time is a reused pid and is left alone; when the leader is gone, what
/// is left of its group and session is killed (Linux never reuses a pid that still names a
/// group or session with live members, so those members are ours). `/proc` is read once,
/// however many victims there are.
pub(crate) fn kill_all(victims: &[Proc]) {
    let victims: Vec<Proc> = victims
        .iter()
        .copied()
        .filter(|v| v.pid > 1 && stat(v.pid).is_none_or(|s| s.start_time == v.start_time))
        .collect();
    if victims.is_empty() {
        return;
    }
    let sessions: HashSet<i64> = victims.iter().map(|v| v.pid).collect();
    for victim in &victims {
        sigkill(-victim.pid);
        sigkill(victim.pid);
    }
    for member in scan().iter().filter(|s| sessions.contains(&s.session)) {
        sigkill(member.pid);
    }
}

/// The children of this process that are still running (with a subreaper, every orphaned
/// descendant ends up here).
pub(crate) fn children() -> Vec<Proc> {
    let me = i64::from(std::process::id());
    scan()
        .into_iter()
        .filter(|s| s.ppid == me && s.is_running())
        .map(|s| Proc {
            pid: s.pid,
            start_time: s.start_time,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};

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
        assert!(
            recorded_alive(None),
            "a worker being started counts as alive"
        );
        assert!(recorded_alive(Some(me)));
    }

    #[test]
    fn zombies_are_dead() {
        let mut child = Command::new("true").spawn().unwrap();
        let pid = i64::from(child.id());
        let proc = loop {
            match stat(pid) {
                Some(s) if s.state == 'Z' => {
                    break Proc {
                        pid,
                        start_time: s.start_time,
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
        // SAFETY: the closure runs between fork and exec, where only async-signal-safe calls
        // are sound; setsid is one and allocates nothing.
        unsafe {
            leader.pre_exec(|| {
                nix::unistd::setsid()?;
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
        kill_all(&[proc]);
        let gone = (0..100).any(|_| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            !Proc::of(orphan).is_some_and(|p| p.is_alive())
        });
        assert!(gone, "the command outlived its session's kill");
    }
}
