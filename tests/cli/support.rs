//! A hermetic lab for CLI tests: a temporary folder with its own database, HOME and XDG
//! folders, a fixed terminal width and no `VMSCHED_*` variable from the caller's environment.

use assert_cmd::Command;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use rusqlite::types::ValueRef;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// What a finished command printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Parses stdout as JSON (panics with stderr on failure).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}\nstderr: {}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts the exit code, showing the output when it differs.
    pub fn code(self, expected: i32) -> Run {
        assert_eq!(
            self.code, expected,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Asserts success.
    pub fn ok(self) -> Run {
        self.code(0)
    }

    /// Asserts that stderr is one `error:` line (plus an optional `hint:` line) and returns it.
    pub fn one_line_error(&self) -> String {
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert!(
            !lines.is_empty() && lines[0].starts_with("error: ") && lines.len() <= 2,
            "not a one-line error: {:?}",
            self.stderr
        );
        if lines.len() == 2 {
            assert!(
                lines[1].starts_with("hint: "),
                "second line is not a hint: {:?}",
                self.stderr
            );
        }
        lines[0].to_string()
    }
}

impl From<std::process::Output> for Run {
    fn from(output: std::process::Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// A temporary folder with a database path in it. Dropping it kills whatever was started for
/// it and still runs (passes started by events, workers, task commands), before the domains a
/// test made are removed, so nothing acts on a domain while it goes away.
pub struct Lab {
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    /// Whether changes start passes themselves; off unless a test asks, so tests that drive
    /// passes see only their own.
    events: bool,
}

impl Lab {
    pub fn new() -> Lab {
        let dir = tempfile::tempdir().expect("temporary folder");
        let db = dir.path().join("vmsched.db");
        Lab {
            dir,
            db,
            events: false,
        }
    }

    /// A lab whose changes start passes themselves, as in production.
    pub fn with_event_passes() -> Lab {
        let mut lab = Lab::new();
        lab.events = true;
        lab
    }

    /// The lab folder.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A `vmsched` command with a hermetic environment and `--db` set to the lab's database.
    pub fn cmd(&self, args: &[&str]) -> Command {
        Command::from_std(self.std_cmd(args))
    }

    /// The same command as a `std::process::Command`, for tests that spawn it and signal it.
    pub fn std_cmd(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("vmsched"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("VMSCHED_") || key == "SUDO_USER" {
                cmd.env_remove(key);
            }
        }
        cmd.env("HOME", self.path())
            .env("XDG_STATE_HOME", self.path().join("state"))
            .env("USER", "tester")
            .env("COLUMNS", "200")
            .env("TZ", "UTC")
            .env("LIBVIRT_DEBUG", "4")
            .env("VMSCHED_DB", &self.db)
            .env("VMSCHED_EVENT_PASSES", if self.events { "1" } else { "0" })
            .current_dir(self.path())
            .args(args);
        cmd
    }

    /// Processes started for the lab and still running: vmsched commands, passes and workers
    /// (their command line names its database) and task commands (they run in its folder).
    pub fn processes(&self) -> Vec<i64> {
        let db = self.db.to_string_lossy().into_owned();
        let me = i64::from(std::process::id());
        let entries = std::fs::read_dir("/proc").expect("read /proc");
        let pids = entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i64>().ok());
        pids.filter(|&pid| pid != me && !gone(pid))
            .filter(|pid| {
                let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
                let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).unwrap_or_default();
                String::from_utf8_lossy(&cmdline).contains(&db) || cwd.starts_with(self.path())
            })
            .collect()
    }

    /// Runs `vmsched ARGS` to the end.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().expect("run vmsched"))
    }

    /// Runs `vmsched ARGS`, which must be refused with exit `code` and leave every row of the
    /// database as it was.
    pub fn refused(&self, args: &[&str], code: i32) -> Run {
        let before = self.dump();
        let run = self.run(args).code(code);
        assert_eq!(self.dump(), before, "{args:?} changed the database");
        run
    }

    /// Runs one pass, `schedule-once ARGS`, and asserts that it succeeded and printed nothing,
    /// as cron wants it.
    pub fn pass(&self, args: &[&str]) -> Run {
        let run = self.run(&[&["schedule-once"], args].concat()).ok();
        assert!(
            run.stdout.is_empty() && run.stderr.is_empty(),
            "a pass printed:\n{}{}",
            run.stdout,
            run.stderr
        );
        run
    }

    /// Runs silent passes, `schedule-once ARGS`, until every job has ended and returns how
    /// many it took; panics with the history when that takes longer than `limit`. Without
    /// `--wait` passes come every 100 ms, like a fast cron, while the workers run.
    pub fn drive(&self, args: &[&str], limit: Duration) -> usize {
        let start = Instant::now();
        let mut passes = 0;
        while self.rows("SELECT count(*) FROM jobs WHERE ended IS NULL") != ["0"] {
            assert!(
                start.elapsed() < limit,
                "jobs still open after {passes} passes in {limit:?}:\n{}",
                self.run(&["history"]).stdout
            );
            self.pass(args);
            passes += 1;
            if !args.contains(&"--wait") {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        passes
    }

    /// Writes a file in the lab folder and returns its path as text.
    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.path().join(name);
        std::fs::write(&path, text).expect("write lab file");
        path.to_string_lossy().into_owned()
    }

    /// Runs SQL on the lab's database, to set up rows no command creates directly.
    pub fn sql(&self, sql: &str) {
        let conn = rusqlite::Connection::open(&self.db).expect("open database");
        conn.execute_batch(sql).expect("run SQL");
    }

    /// Records task `no` of job 1, step 1 (both made on first use) on `vm` with `status`, as
    /// `jobs submit` and a pass would.
    pub fn task(&self, no: u32, vm: &str, status: &str) {
        self.sql(&format!(
            "INSERT OR IGNORE INTO jobs (id, user, submitted)
                 VALUES (1, 'tester', '2030-01-01T00:00:00Z');
             INSERT OR IGNORE INTO steps (job, no, command) VALUES (1, 1, '[\"true\"]');
             INSERT INTO tasks (job, step, no, vm, status) VALUES (1, 1, {no}, '{vm}', '{status}');"
        ));
    }

    /// A lab whose database holds the example inventory (`examples/lab.toml`), whose domains
    /// exist nowhere.
    pub fn example() -> Lab {
        let lab = Lab::new();
        lab.run(&["vms", "import", "--no-check", &example_inventory()])
            .ok();
        lab
    }

    /// Every row of every table, as text, to check that a refused command changed nothing.
    pub fn dump(&self) -> String {
        if !self.db.exists() {
            return String::from("<no database>");
        }
        let tables = self.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
        let mut text = String::new();
        for table in tables {
            for row in self.rows(&format!("SELECT * FROM \"{table}\" ORDER BY 1")) {
                text.push_str(&format!("{table}: {row}\n"));
            }
        }
        text
    }

    /// The rows of a query on the lab's database, columns joined by `|` (text and integers
    /// as is, `NULL`, other values in their debug form).
    pub fn rows(&self, sql: &str) -> Vec<String> {
        let conn = rusqlite::Connection::open(&self.db).expect("open database");
        let mut stmt = conn.prepare(sql).expect("prepare query");
        let columns = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                Ok((0..columns)
                    .map(|i| match r.get_ref(i).unwrap() {
                        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
                        ValueRef::Integer(n) => n.to_string(),
                        ValueRef::Null => "NULL".to_string(),
                        other => format!("{other:?}"),
                    })
                    .collect::<Vec<_>>()
                    .join("|"))
            })
            .expect("run query");
        rows.map(Result::unwrap).collect()
    }
}

/// The account name of the real user running the tests: vmsched records it as the user of
/// every action, whatever `USER` (the lab's `tester`) or `SUDO_USER` say.
pub fn me() -> String {
    vmsched::identity::real_user()
}

/// Expected text written with `{me}` for the real user's name.
pub fn me_in(text: &str) -> String {
    text.replace("{me}", &me())
}

/// The libvirt test-driver lab shipped with the tests, as a `test:///` URI.
#[allow(dead_code)] // for the libvirt tests; drop once they are merged
pub fn lab_uri() -> String {
    format!(
        "test://{}/tests/fixtures/lab.xml",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// `vms add x` on `qemu:///system`, unchecked: a command that creates the database.
pub const ADD_X: &[&str] = &[
    "vms",
    "add",
    "x",
    "-c",
    "qemu:///system",
    "--domain",
    "x",
    "--snapshot",
    "s",
    "--no-check",
];

/// The example inventory shipped in `examples/`.
pub fn example_inventory() -> String {
    format!("{}/examples/lab.toml", env!("CARGO_MANIFEST_DIR"))
}

/// A text field of each element of a JSON array.
pub fn texts(list: &serde_json::Value, field: &str) -> Vec<String> {
    let list = list.as_array().expect("a JSON array");
    list.iter()
        .map(|e| e[field].as_str().unwrap().to_string())
        .collect()
}

impl Drop for Lab {
    fn drop(&mut self) {
        for _ in 0..100 {
            let pids = self.processes();
            if pids.is_empty() {
                return;
            }
            pids.into_iter().for_each(sigkill);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Sends SIGKILL to a process of a lab.
pub fn sigkill(pid: i64) {
    assert!(pid > 1);
    let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
}

/// Whether a pid is gone (a zombie counts as gone).
pub fn gone(pid: i64) -> bool {
    !vmsched::process::Proc::of(pid).is_some_and(|p| p.is_alive())
}

/// Waits up to 10 s for `done`, panicking with `what` after that.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
