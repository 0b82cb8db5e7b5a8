//! CLI tests of `revert` and `poweroff` against libvirt's test-driver lab: the ownership rules
//! and their overrides, exit codes, history rows, final statuses, Ctrl-C, and what a
//! concurrent pass sees.

mod failures;
mod poweroff;
mod revert;

use crate::domains::{add, DEAD_URI, WINDOWS};
use crate::support::Lab;
use nix::sys::signal::Signal;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command};
use std::time::{Duration, Instant};
use vmsched::process::Proc;

/// A stand-in worker: a `sleep` leading its own process group, recorded as the VM's live
/// operation with its real start time, as a pass records one.
pub struct Worker {
    child: Child,
    pub pid: i64,
}

impl Worker {
    pub fn start(lab: &Lab, vm: &str, kind: &str, task: Option<(i64, u32, u32)>) -> Worker {
        let child = Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        let pid = i64::from(child.id());
        let proc = Proc::of(pid).unwrap();
        let (job, step, no) = match task {
            Some((j, s, t)) => (j.to_string(), s.to_string(), t.to_string()),
            None => ("NULL".into(), "NULL".into(), "NULL".into()),
        };
        lab.sql(&format!(
            "INSERT INTO operations (vm, kind, pid, start_time, deadline, created, by_user, job, step, task)
             VALUES ('{vm}', '{kind}', {pid}, {}, '2099-01-01T00:00:00Z', '2030-01-01T00:00:00Z',
                     'scheduler', {job}, {step}, {no});
             UPDATE vms SET operation = last_insert_rowid() WHERE name = '{vm}';",
            proc.start_time
        ));
        Worker { child, pid }
    }

    /// Whether it was killed (waits a little for the signal to land).
    pub fn killed(&mut self) -> bool {
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.signal() == Some(Signal::SIGKILL as i32);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A lab with win10 shared by w10 (wtb) and w10_fr (wtb-fr), win7 (w7) and a VM on a host
/// that refuses connections (far).
pub fn lab() -> Lab {
    let lab = Lab::new();
    add(&lab, WINDOWS);
    add(&lab, &[("far", DEAD_URI, "far", "s")]);
    lab
}

/// A VM's (status, errors, operation).
pub fn vm(lab: &Lab, name: &str) -> String {
    let rows = lab.rows(&format!(
        "SELECT status, errors, coalesce(operation, '-') FROM vms WHERE name = '{name}'"
    ));
    rows[0].clone()
}

/// A VM's history after `added`, as `old|new|detail|user|reason`.
pub fn history(lab: &Lab, name: &str) -> Vec<String> {
    lab.rows(&format!(
        "SELECT old_status, new_status, detail, user, reason FROM history
         WHERE vm = '{name}' AND detail != 'added' ORDER BY id"
    ))
}

/// The operations rows as `vm|kind|by_user|result` (`ended` must be set for a result).
pub fn operations(lab: &Lab) -> Vec<String> {
    lab.rows(
        "SELECT vm, kind, by_user, CASE WHEN ended IS NULL THEN 'live' ELSE result END
         FROM operations ORDER BY id",
    )
}

/// Runs a refused command: exit 3, one error line naming what is in the way, nothing changed.
pub fn refused(lab: &Lab, args: &[&str], error: &str, hint: &str) {
    let run = lab.refused(args, 3);
    assert_eq!(run.one_line_error(), format!("error: {error}"));
    assert!(run.stderr.contains(hint), "{}", run.stderr);
}
