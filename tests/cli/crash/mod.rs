//! Crash tests (docs/rules.md §3, docs/architecture.md, "A pass"): workers killed in the
//! middle of their work, passes killed between planning and commit, passes started together, a
//! recorded pid reused by another process, stuck workers. The VMs of a `CrashLab` live behind a
//! unix socket that accepts connections and never answers, so a revert or power-off worker
//! hangs connecting (for the default 10 s `--timeout`) while the test looks at it. Dropping
//! the lab kills every process started for it (`Lab`'s drop).

mod passes;
mod workers;

use crate::support::{gone, wait_for, Lab};
use nix::fcntl::{Flock, FlockArg};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A lab whose VMs (each on its own domain) are on a silent libvirt socket. Dropping it kills
/// every process started for it: passes, workers and task commands.
pub struct CrashLab {
    pub lab: Lab,
    accepted: Arc<AtomicUsize>,
}

/// A VM's live operation, as the operations table records it.
#[derive(Debug)]
pub struct Op {
    pub id: String,
    pub kind: String,
    pub pid: i64,
    /// A task's command, which leads its process group (0 for other operations).
    pub pgid: i64,
}

impl CrashLab {
    pub fn new(vms: &[&str]) -> CrashLab {
        let lab = Lab::new();
        let socket = lab.path().join("silent.sock");
        let listener = UnixListener::bind(&socket).expect("bind the silent socket");
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        std::thread::spawn(move || {
            let mut kept_open = Vec::new();
            for stream in listener.incoming().flatten() {
                kept_open.push(stream);
                count.fetch_add(1, Ordering::SeqCst);
            }
        });
        let uri = format!("qemu+unix:///system?socket={}", socket.display());
        for vm in vms {
            let args = [
                "vms",
                "add",
                vm,
                "-c",
                &uri,
                "--domain",
                vm,
                "--snapshot",
                "s",
                "--no-check",
            ];
            lab.run(&args).ok();
        }
        CrashLab { lab, accepted }
    }

    /// How many connections workers made to the silent socket.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    /// The live operation of `vm`.
    pub fn op(&self, vm: &str) -> Op {
        let rows = self.lab.rows(&format!(
            "SELECT o.id, o.kind, o.pid FROM operations o
             JOIN vms v ON v.operation = o.id WHERE v.name = '{vm}' AND o.ended IS NULL"
        ));
        let row = rows
            .first()
            .unwrap_or_else(|| panic!("{vm} has no live operation"));
        let f: Vec<&str> = row.split('|').collect();
        Op {
            id: f[0].into(),
            kind: f[1].into(),
            pid: f[2].parse().unwrap(),
            pgid: std::fs::read_to_string(self.lab.path().join("command.pid"))
                .ok()
                .and_then(|pid| pid.trim().parse().ok())
                .unwrap_or(0),
        }
    }

    /// Makes `vm` idle, submits a task on it that sleeps, and runs a pass that starts it;
    /// returns the task's operation once its command runs (it writes its pid, which is its
    /// process group, to `command.pid` in the lab folder). While the
    /// task starts, the VM's URI is libvirt's in-process test driver, on which the snapshot
    /// check before a task proves nothing and is skipped (the silent socket would hold it up
    /// for the whole `--timeout`); then it is the silent socket again, for the reverts that
    /// follow.
    pub fn sleeping_task(&self, vm: &str) -> Op {
        self.lab
            .run(&["vms", "set", vm, "--status", "idle", "--force"])
            .ok();
        let pid_file = self.lab.path().join("command.pid");
        let script = format!(
            "echo $$ > '{}'; echo started; sleep 60; echo not killed",
            pid_file.display()
        );
        let command = ["sh", "-c", &script];
        self.lab
            .run(&[&["jobs", "submit", "--vm", vm, "--"], &command[..]].concat())
            .ok();
        let uri = &self
            .lab
            .rows(&format!("SELECT uri FROM vms WHERE name = '{vm}'"))[0];
        let set_uri = |uri: &str| {
            self.lab
                .sql(&format!("UPDATE vms SET uri = '{uri}' WHERE name = '{vm}'"));
        };
        set_uri("test:///default");
        self.lab.pass(&[]);
        wait_for("the task's command", || self.op(vm).pgid != 0);
        set_uri(uri);
        let op = self.op(vm);
        assert_eq!(op.kind, "task");
        assert!(!group(op.pgid).is_empty(), "the task command runs");
        op
    }

    /// Changes the row of operation `op` (`column = value` assignments).
    pub fn set_op(&self, op: &Op, assignments: &str) {
        self.lab.sql(&format!(
            "UPDATE operations SET {assignments} WHERE id = {}",
            op.id
        ));
    }

    /// `vm`'s history, oldest first, as `OLD NEW DETAIL` lines.
    pub fn history(&self, vm: &str) -> Vec<String> {
        self.lab.rows(&format!(
            "SELECT coalesce(old_status, '-') || ' ' || new_status || ' ' || detail
             FROM history WHERE vm = '{vm}' ORDER BY id"
        ))
    }
}

/// The live processes of a process group.
pub fn group(pgid: i64) -> Vec<i64> {
    let entries = std::fs::read_dir("/proc").expect("read /proc");
    let pids = entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i64>().ok());
    pids.filter(|&pid| !gone(pid))
        .filter(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let fields = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            fields.split_whitespace().nth(2) == Some(&pgid.to_string())
        })
        .collect()
}

/// Whether nobody holds the lab's pass lock (tried without waiting, released at once).
pub fn lock_free(lab: &Lab) -> bool {
    let file = std::fs::File::open(vmsched::lock::path_for(&lab.db)).expect("lock file");
    Flock::lock(file, FlockArg::LockExclusiveNonblock).is_ok()
}

/// The pass lock file of a lab.
pub fn lock_file(lab: &Lab) -> String {
    std::fs::read_to_string(vmsched::lock::path_for(&lab.db)).unwrap_or_default()
}

/// The lab's worker log, if a worker was ever started (workers log only their errors).
pub fn workers_log(lab: &Lab) -> Option<String> {
    std::fs::read_to_string(Path::new(lab.path()).join("logs/workers.log")).ok()
}
