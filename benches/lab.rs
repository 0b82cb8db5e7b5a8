//! The benchmark lab: a deterministic (seeded) scheduling state of a given size, written both
//! as a state file and as a database through the real schema, so the pass can be measured on
//! the core alone, on `--state FILE` and on `--db FILE` with the same input.
//!
//! Shape: hosts `hN.lab`; domains spread over them, 60 % with one instance, 25 % with two and
//! 15 % with three sibling snapshots; at most one instance of a domain is not off. Most VMs are
//! off or idle, a few dirty, offline, in maintenance or running. A running VM's worker is
//! recorded as dead (an operation row whose pid does not exist), so the pass finds a dead
//! worker there, as after a crash; no live worker is needed to plan. Jobs have 1–3 steps of
//! 1–8 tasks; most are queued, a few run (their first step completed or a task running on a
//! running VM), and one job in ten is finished (in the database only: a pass never loads it).

use anyhow::Result;
use std::path::Path;
use vmsched::model::{
    Child, HostSpec, JobState, LimitSpec, Role, State, StepState, TaskState, TaskStatus, VmState,
    VmStatus,
};
use vmsched::store::vms::{self, VmRow};
use vmsched::store::{hosts, params, Mode, Store};

/// One benchmark size.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub name: &'static str,
    /// Queued tasks (at least; a few more where a job's last step overshoots).
    pub tasks: usize,
    pub vms: usize,
    pub hosts: usize,
}

/// The measured sizes: 1k, 10k and 100k queued tasks on 100, 500 and 2,000 VMs.
pub const SIZES: [Size; 3] = [
    Size {
        name: "1k",
        tasks: 1_000,
        vms: 100,
        hosts: 10,
    },
    Size {
        name: "10k",
        tasks: 10_000,
        vms: 500,
        hosts: 25,
    },
    Size {
        name: "100k",
        tasks: 100_000,
        vms: 2_000,
        hosts: 50,
    },
];

/// A generated lab: the state a pass plans from, plus what only the database holds.
pub struct GeneratedLab {
    pub state: State,
    /// Finished jobs (completed, failed, canceled), stored but never loaded by a pass.
    pub finished: Vec<JobState>,
}

impl GeneratedLab {
    /// Rows the pass reads: VMs, jobs, steps and tasks of the state.
    pub fn rows(&self) -> usize {
        let (mut steps, mut tasks) = (0, 0);
        for job in &self.state.jobs {
            steps += job.steps.len();
            tasks += job.steps.iter().map(|s| s.tasks.len()).sum::<usize>();
        }
        self.state.vms.len() + self.state.jobs.len() + steps + tasks
    }

    /// Queued tasks in the state.
    pub fn queued(&self) -> usize {
        self.state
            .jobs
            .iter()
            .flat_map(|j| &j.steps)
            .flat_map(|s| &s.tasks)
            .filter(|t| t.status == TaskStatus::Queued)
            .count()
    }
}

/// splitmix64: small, fast and the same everywhere, so a lab is the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Picks by weight: `weights[i]` is the share of choice `i`.
    fn weighted(&mut self, weights: &[usize]) -> usize {
        let mut x = self.below(weights.iter().sum());
        for (i, &w) in weights.iter().enumerate() {
            if x < w {
                return i;
            }
            x -= w;
        }
        unreachable!("x is below the sum of the weights")
    }
}

const KINDS: [&str; 4] = ["build", "win32", "win64", "wine"];
const SNAPSHOTS: [&str; 3] = ["base", "fr", "ja"];

/// Generates the lab of `size` from `seed`.
pub fn generate(size: Size, seed: u64) -> GeneratedLab {
    let mut rng = Rng(seed);
    let vms = vms(size, &mut rng);
    let mut hosts = std::collections::BTreeMap::new();
    for h in (0..size.hosts).step_by(5) {
        hosts.insert(
            format!("h{h}.lab"),
            HostSpec {
                max_active: Some(6),
                max_running: Some(3),
                max_reverting: Some(2),
                paused: h == 5,
                ..HostSpec::default()
            },
        );
    }
    let (jobs, finished) = jobs(size, &vms, &mut rng);
    GeneratedLab {
        state: State {
            limits: LimitSpec {
                max_active: Some(3),
                max_running: Some(2),
                max_reverting: Some(1),
                ..LimitSpec::default()
            },
            hosts,
            max_errors: 3,
            max_task_tries: 3,
            revert_timeout: 360,
            vms,
            jobs,
        },
        finished,
    }
}

/// The VM instances, by name (as the database loads them).
fn vms(size: Size, rng: &mut Rng) -> Vec<VmState> {
    use VmStatus::*;
    let mut vms = Vec::with_capacity(size.vms);
    let mut domain = 0;
    while vms.len() < size.vms {
        let siblings = [1, 1, 1, 2, 2, 3, 1, 1, 2, 3, 1, 1, 3, 1, 2, 1, 1, 2, 1, 3][domain % 20]
            .min(size.vms - vms.len());
        let host = rng.below(size.hosts);
        let kind = KINDS[rng.weighted(&[1, 3, 4, 2])];
        // The status of the domain's one instance that may be non-off.
        let status =
            [Off, Idle, Dirty, Running, Offline, Maintenance][rng.weighted(&[60, 22, 5, 6, 4, 3])];
        let holder = rng.below(siblings);
        for (s, snapshot) in SNAPSHOTS.iter().enumerate().take(siblings) {
            let role = [Role::Base, Role::Winetest, Role::Extra, Role::Retired]
                [rng.weighted(&[80, 10, 8, 2])];
            let status = if s != holder || (role == Role::Retired && status != Maintenance) {
                Off
            } else {
                status
            };
            let name = match s {
                0 => format!("{kind}-{domain:04}"),
                _ => format!("{kind}-{domain:04}_{snapshot}"),
            };
            vms.push(VmState {
                name,
                kind: kind.to_string(),
                role,
                status,
                uri: format!("qemu+ssh://root@h{host}.lab/system"),
                domain: format!("{kind}-{domain:04}"),
                snapshot: snapshot.to_string(),
                child: if status == Running {
                    Child::Dead
                } else {
                    Child::None
                },
                errors: if status == Offline { 3 } else { 0 },
                monitor_due: true,
            });
        }
        domain += 1;
    }
    vms.sort_by(|a, b| a.name.cmp(&b.name));
    vms
}

/// Queued and running jobs in job order (priority, id), and finished ones.
fn jobs(size: Size, vms: &[VmState], rng: &mut Rng) -> (Vec<JobState>, Vec<JobState>) {
    use TaskStatus::*;
    let enabled: Vec<&VmState> = vms.iter().filter(|vm| vm.role.is_enabled()).collect();
    let mut running_vms: Vec<&str> = vms
        .iter()
        .filter(|vm| vm.status == VmStatus::Running)
        .map(|vm| vm.name.as_str())
        .collect();
    let (mut live, mut finished) = (Vec::new(), Vec::new());
    let mut queued = 0;
    let mut id = 0;
    while queued < size.tasks || !running_vms.is_empty() {
        id += 1;
        // One in ten finished; then a running job for each running VM; the rest queued.
        let status = if id % 10 == 0 {
            [Completed, Failed, Canceled][rng.weighted(&[7, 2, 1])]
        } else if !running_vms.is_empty() || rng.below(30) == 0 {
            Running
        } else {
            Queued
        };
        let running_on = if status == Running {
            running_vms.pop()
        } else {
            None
        };
        let mut steps = rng.weighted(&[4, 4, 2]) + 1;
        if status == Running && running_on.is_none() {
            // Its first step completed, so it needs a second one still to run.
            steps = steps.max(2);
        }
        let mut job = JobState {
            id,
            priority: [3, 5, 5, 5, 5, 5, 7, 9][rng.below(8)],
            status,
            steps: Vec::with_capacity(steps),
        };
        for no in 1..=steps as u32 {
            // Step 1 of a running job without a running VM completed; a running VM runs a
            // task of the job's last step, whose previous steps completed.
            let done = match status {
                Queued => false,
                Running => match running_on {
                    Some(_) => no < steps as u32,
                    None => no == 1,
                },
                _ => true,
            };
            let step_status = match status {
                Queued => Queued,
                Running if done => Completed,
                Running if running_on.is_some() => Running,
                Running => Queued,
                finished => finished,
            };
            let count = rng.weighted(&[3, 3, 2, 2, 1, 1, 1, 1]) + 1;
            let mut step = StepState {
                no,
                previous: (no > 1 && rng.below(4) != 0).then(|| no - 1),
                status: step_status,
                tasks: Vec::with_capacity(count),
            };
            // Distinct VMs in one step; a few popular VMs get many tasks.
            let mut used = Vec::with_capacity(count);
            for t in 1..=count as u32 {
                let vm = loop {
                    let pick = if rng.below(5) == 0 {
                        rng.below(enabled.len().min(20))
                    } else {
                        rng.below(enabled.len())
                    };
                    let name = enabled[pick].name.as_str();
                    if !used.contains(&name) {
                        break name;
                    }
                };
                used.push(vm);
                let mut task = TaskState {
                    no: t,
                    vm: vm.to_string(),
                    status: if done { Completed } else { Queued },
                    timeout: [300, 300, 300, 600, 1800][rng.below(5)],
                    tries: 0,
                };
                if !done && status == Running && t == 1 {
                    if let Some(vm) = running_on {
                        task.vm = vm.to_string();
                        task.status = Running;
                        task.tries = rng.below(3) as u32;
                    }
                }
                if job.status.is_done() {
                    task.status = match (job.status, no) {
                        (Failed, 1) if t == 1 => Failed,
                        (Failed, n) if n > 1 => Skipped,
                        (Canceled, _) => Canceled,
                        _ => Completed,
                    };
                }
                queued += usize::from(!job.status.is_done() && task.status == Queued);
                step.tasks.push(task);
            }
            // A finished step's status is the roll-up of its tasks (§1.2).
            if job.status.is_done() {
                step.status = [Boterror, Failed, Timeout, Canceled, Skipped]
                    .into_iter()
                    .find(|s| step.tasks.iter().any(|t| t.status == *s))
                    .unwrap_or(Completed);
            }
            job.steps.push(step);
        }
        if job.status.is_done() {
            finished.push(job);
        } else {
            live.push(job);
        }
    }
    live.sort_by_key(|job| (job.priority, job.id));
    (live, finished)
}

/// Writes the state file as `vmsched state export` does (pretty JSON).
pub fn write_state(lab: &GeneratedLab, path: &Path) -> Result<()> {
    let text = serde_json::to_string_pretty(&lab.state)?;
    std::fs::write(path, text + "\n")?;
    Ok(())
}

/// Writes the lab as a new database through the real schema, in one transaction. A running
/// VM's operation names a pid that does not exist, so the pass judges its worker dead.
pub fn write_db(lab: &GeneratedLab, path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    let mut store = Store::open(path, Mode::Create)?;
    let state = &lab.state;
    store.write(|tx| {
        let l = &state.limits;
        let global = HostSpec {
            max_active: l.max_active,
            max_running: l.max_running,
            max_reverting: l.max_reverting,
            max_reverts_while_running: l.max_reverts_while_running,
            max_vms_when_idle: l.max_vms_when_idle,
            paused: false,
        };
        hosts::put(tx, hosts::GLOBAL, &global)?;
        for (name, h) in &state.hosts {
            hosts::put(tx, name, h)?;
        }
        let mut op = tx.prepare(
            "INSERT INTO operations (vm, kind, pid, start_time, deadline, created, by_user)
             VALUES (?1, 'task', 2147483000, 1, '2030-01-01T00:00:00Z',
                     '2025-01-01T00:00:00Z', 'scheduler')",
        )?;
        let mut link = tx.prepare("UPDATE vms SET operation = ?1 WHERE name = ?2")?;
        for v in &state.vms {
            let row = VmRow {
                kind: v.kind.clone(),
                role: v.role,
                status: v.status,
                hostname: Some(format!("{}.guests.lab", v.name)),
                description: Some(format!("{} instance of {}", v.snapshot, v.domain)),
                errors: v.errors,
                ..VmRow::new(&v.name, &v.uri, &v.domain, &v.snapshot)
            };
            vms::insert(tx, &row)?;
            if v.child == Child::Dead {
                op.execute([&v.name])?;
                link.execute(params![tx.last_insert_rowid(), v.name])?;
            }
        }
        let mut job_stmt = tx.prepare(
            "INSERT INTO jobs (id, priority, status, user, remarks, submitted, ended)
             VALUES (?1, ?2, ?3, 'tester', ?4, ?5, ?6)",
        )?;
        let mut step_stmt = tx.prepare(
            "INSERT INTO steps (job, no, name, previous, status, timeout, command)
             VALUES (?1, ?2, ?3, ?4, ?5, 300, ?6)",
        )?;
        let mut task_stmt = tx.prepare(
            "INSERT INTO tasks (job, step, no, vm, status, timeout, tries, started, ended,
                 exit_code, log)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?;
        let mut all: Vec<&JobState> = state.jobs.iter().chain(&lab.finished).collect();
        all.sort_by_key(|job| job.id);
        for job in all {
            let submitted = time(job.id);
            let ended = job.status.is_done().then(|| time(job.id + 600));
            job_stmt.execute(params![
                job.id,
                job.priority,
                job.status.as_str(),
                format!("nightly run {}", job.id),
                submitted,
                ended
            ])?;
            for step in &job.steps {
                let command = format!(r#"["./run-tests.sh","--job","{}"]"#, job.id);
                step_stmt.execute(params![
                    job.id,
                    step.no,
                    format!("step{}", step.no),
                    step.previous,
                    step.status.as_str(),
                    command
                ])?;
                for task in &step.tasks {
                    let started = (task.status != TaskStatus::Queued
                        && task.status != TaskStatus::Skipped)
                        .then(|| time(job.id + 60));
                    let ended = task.status.is_done().then(|| time(job.id + 300));
                    let exit_code = match task.status {
                        TaskStatus::Completed => Some(0),
                        TaskStatus::Failed => Some(1),
                        _ => None,
                    };
                    let log = started.as_ref().map(|_| {
                        format!("logs/{}/{}/{}.{}.log", job.id, step.no, task.no, task.tries)
                    });
                    task_stmt.execute(params![
                        job.id,
                        step.no,
                        task.no,
                        task.vm,
                        task.status.as_str(),
                        task.timeout,
                        task.tries,
                        started,
                        ended,
                        exit_code,
                        log
                    ])?;
                }
            }
        }
        Ok(())
    })?;
    Ok(())
}

/// A stored time `offset` seconds after a fixed start, so the database is the same each run.
fn time(offset: i64) -> String {
    let start = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z").expect("valid");
    (start + chrono::Duration::seconds(offset))
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
