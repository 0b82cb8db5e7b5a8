//! What the long tests check on a database after the fact: the history replayed per domain
//! (never two non-off siblings), task starts against the attempts the tasks account for (no
//! double start), and the task logs (no wrong snapshot).

use rusqlite::Connection;
use std::collections::BTreeMap;
use std::path::Path;

/// The tasks of a database as (job, step, task).
pub type TaskKey = (i64, u32, u32);

fn open(db: &Path) -> Connection {
    Connection::open(db).expect("open database")
}

/// Replays every history row that names a VM and a new status, in id order, and returns
/// (rows replayed, each row after which two siblings of one domain were non-off together).
/// VMs start as the history's `added` rows leave them (`off`).
pub fn sibling_overlaps(db: &Path) -> (usize, Vec<String>) {
    let conn = open(db);
    let domain_of: BTreeMap<String, String> = conn
        .prepare("SELECT name, uri || ' ' || domain FROM vms")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut stmt = conn
        .prepare(
            "SELECT id, vm, new_status, detail FROM history
             WHERE vm IS NOT NULL AND new_status IS NOT NULL ORDER BY id",
        )
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap);
    let mut status: BTreeMap<String, String> = BTreeMap::new();
    let mut replayed = 0;
    let mut bad = Vec::new();
    for (id, vm, new, detail) in rows {
        replayed += 1;
        status.insert(vm.clone(), new);
        let Some(key) = domain_of.get(&vm) else {
            continue;
        };
        let in_use: Vec<String> = status
            .iter()
            .filter(|(v, s)| domain_of.get(*v) == Some(key) && s.as_str() != "off")
            .map(|(v, s)| format!("{v} {s}"))
            .collect();
        if in_use.len() > 1 {
            bad.push(format!(
                "history {id} ({vm}: {detail}): {} non-off together",
                in_use.join(", ")
            ));
        }
    }
    (replayed, bad)
}

/// Compares, per task, the `start` history rows (one per start) with the attempts the task row
/// accounts for: its tries (attempts ended without a result) plus the attempt that runs or
/// gave the task its result. Returns (starts, each task where they differ).
pub fn double_starts(db: &Path) -> (usize, Vec<String>) {
    let conn = open(db);
    let mut starts: BTreeMap<TaskKey, usize> = BTreeMap::new();
    let mut stmt = conn
        .prepare(
            "SELECT job, step, task FROM history WHERE kind = 'start' AND new_status = 'running'",
        )
        .unwrap();
    for key in stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
    {
        *starts.entry(key).or_default() += 1;
    }
    let mut stmt = conn
        .prepare("SELECT job, step, no, status, tries, started IS NOT NULL FROM tasks")
        .unwrap();
    let tasks = stmt
        .query_map([], |r| {
            Ok((
                (r.get(0)?, r.get(1)?, r.get(2)?),
                r.get::<_, String>(3)?,
                r.get::<_, usize>(4)?,
                r.get::<_, bool>(5)?,
            ))
        })
        .unwrap()
        .map(Result::unwrap);
    let mut bad = Vec::new();
    let total = starts.values().sum();
    for (key, status, tries, started) in tasks {
        let current = match status.as_str() {
            "running" | "completed" | "failed" | "timeout" => 1,
            "canceled" => usize::from(started),
            _ => 0,
        };
        let seen = starts.remove(&key).unwrap_or(0);
        if seen != tries + current {
            bad.push(format!(
                "task {key:?} ({status}, tries {tries}): started {seen} times, accounts for {}",
                tries + current
            ));
        }
    }
    bad.extend(
        starts
            .into_iter()
            .map(|(key, n)| format!("task {key:?}: started {n} times but has no row")),
    );
    (total, bad)
}

/// What the task logs under `logs/` say: (snapshot checks that passed, lines that report a
/// wrong snapshot).
pub fn snapshot_checks(data: &Path) -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut wrong = Vec::new();
    let mut dirs = vec![data.join("logs")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.map(Result::unwrap) {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "log")
                && path.file_name().is_some_and(|n| n != "workers.log")
            {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for line in text.lines() {
                    if line.contains("WRONG SNAPSHOT") {
                        wrong.push(format!("{}: {line}", path.display()));
                    } else if line.starts_with("start: ") || line.starts_with("end: ") {
                        passed += 1;
                    }
                }
            }
        }
    }
    (passed, wrong)
}

/// A live process's start time (field 22 of /proc/PID/stat), `None` when it is gone or a
/// zombie.
pub fn start_time(pid: i64) -> Option<i64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if matches!(fields.first(), Some(&"Z") | Some(&"X")) {
        return None;
    }
    fields.get(19)?.parse().ok()
}

/// A small seeded random generator (splitmix64), so a failing run can be replayed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// The seed of a test's random choices: `VMSCHED_SEED` when set, else `default`.
pub fn seed(default: u64) -> u64 {
    std::env::var("VMSCHED_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// Whether the serial step of scripts/test.sh runs us; says SKIP otherwise.
pub fn serial_step(test: &str) -> bool {
    let on = std::env::var_os("VMSCHED_SERIAL").is_some();
    if !on {
        eprintln!("SKIP {test}: VMSCHED_SERIAL is not set (scripts/test.sh runs it)");
    }
    on
}
