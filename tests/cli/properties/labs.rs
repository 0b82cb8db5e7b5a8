//! The random labs of the planner's property tests: proptest strategies for VMs, limits, hosts
//! and jobs, the state they build, and that state with every list reversed.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use vmsched::model::{
    Child, HostSpec, JobState, LimitSpec, Role, State, StepState, TaskState, TaskStatus, VmState,
    VmStatus,
};

/// A VM's random fields (status, role, kind, worker, errors, monitor due, and whether it is
/// off when it is not its domain's first instance); its name, host and domain come from its
/// place in the lab.
#[derive(Clone, Debug)]
struct VmGen(VmStatus, Role, &'static str, Child, u32, bool, bool);

/// Mostly healthy VMs (a worker exactly where the status needs one) so that tasks start and
/// VMs are reverted and sacrificed often; the rest have any worker verdict.
fn vm_gen() -> impl Strategy<Value = VmGen> {
    use Role::*;
    use VmStatus::*;
    let statuses = vec![
        Off,
        Off,
        Off,
        Idle,
        Idle,
        Idle,
        Dirty,
        Dirty,
        Running,
        Reverting,
        Sleeping,
        Offline,
        Maintenance,
    ];
    (
        select(statuses),
        select(vec![
            Base, Base, Base, Base, Winetest, Extra, Retired, Deleted,
        ]),
        select(vec!["build", "win32", "win64", "wine", "mac"]),
        proptest::bool::weighted(0.75),
        select(Child::ALL.to_vec()),
        0u32..4,
        any::<bool>(),
        proptest::bool::weighted(0.6),
    )
        .prop_map(
            |(status, role, kind, healthy, child, errors, due, sibling_off)| {
                let child = match (healthy, status) {
                    (false, _) => child,
                    (true, Running | Reverting | Sleeping) => Child::Alive,
                    (true, Dirty | Offline) if child == Child::Alive => Child::Alive,
                    (true, _) => Child::None,
                };
                VmGen(status, role, kind, child, errors, due, sibling_off)
            },
        )
}

fn limit() -> impl Strategy<Value = Option<u32>> {
    proptest::option::of(0u32..4)
}

fn limit_spec() -> impl Strategy<Value = LimitSpec> {
    (limit(), limit(), limit(), limit(), limit()).prop_map(|(a, r, rv, rvr, i)| LimitSpec {
        max_active: a,
        max_running: r,
        max_reverting: rv,
        max_reverts_while_running: rvr,
        max_vms_when_idle: i,
    })
}

fn host_spec() -> impl Strategy<Value = HostSpec> {
    (limit_spec(), proptest::bool::weighted(0.15)).prop_map(|(l, paused)| HostSpec {
        max_active: l.max_active,
        max_running: l.max_running,
        max_reverting: l.max_reverting,
        max_reverts_while_running: l.max_reverts_while_running,
        max_vms_when_idle: l.max_vms_when_idle,
        paused,
    })
}

fn status(weights: &[(TaskStatus, usize)]) -> impl Strategy<Value = TaskStatus> {
    let all: Vec<TaskStatus> = weights
        .iter()
        .flat_map(|&(s, n)| std::iter::repeat_n(s, n))
        .collect();
    select(all)
}

fn task_status() -> impl Strategy<Value = TaskStatus> {
    use TaskStatus::*;
    status(&[
        (Queued, 6),
        (Running, 3),
        (Completed, 1),
        (Failed, 1),
        (Timeout, 1),
        (Boterror, 1),
        (Canceled, 1),
        (Skipped, 1),
    ])
}

/// (VM pick, status, timeout, tries); the pick is reduced modulo the number of VMs.
type TaskGen = (usize, TaskStatus, u64, u32);
/// (previous pick, status, tasks).
type StepGen = (Option<u32>, TaskStatus, Vec<TaskGen>);
/// (priority, status, steps).
type JobGen = (i64, TaskStatus, Vec<StepGen>);

fn job_gen() -> impl Strategy<Value = JobGen> {
    use TaskStatus::*;
    let task = (
        0usize..1000,
        task_status(),
        select(vec![100u64, 300, 600]),
        0u32..3,
    );
    let step = (
        proptest::option::of(0u32..3),
        task_status(),
        vec(task, 1..=3),
    );
    (
        0i64..3,
        status(&[(Queued, 2), (Running, 2), (Completed, 1)]),
        vec(step, 1..=3),
    )
}

/// Random labs: 1–3 hosts of 1–3 domains of 1–3 sibling instances, random limits (0s
/// included), paused hosts, and 0–4 jobs of 1–3 steps.
pub fn lab() -> impl Strategy<Value = State> {
    (
        vec(vec(vec(vm_gen(), 1..=3), 1..=3), 1..=3),
        limit_spec(),
        vec(proptest::option::of(host_spec()), 3),
        0u32..5,
        0u32..4,
        select(vec![200u64, 360]),
        vec(job_gen(), 0..=5),
    )
        .prop_map(
            |(hosts, limits, specs, max_errors, max_task_tries, revert_timeout, jobs)| {
                build(
                    hosts,
                    limits,
                    specs,
                    (max_errors, max_task_tries, revert_timeout),
                    jobs,
                )
            },
        )
}

fn build(
    hosts: Vec<Vec<Vec<VmGen>>>,
    limits: LimitSpec,
    specs: Vec<Option<HostSpec>>,
    (max_errors, max_task_tries, revert_timeout): (u32, u32, u64),
    jobs: Vec<JobGen>,
) -> State {
    let mut vms = Vec::new();
    for (h, domains) in hosts.iter().enumerate() {
        for (d, siblings) in domains.iter().enumerate() {
            for (s, gen) in siblings.iter().enumerate() {
                let VmGen(mut status, role, kind, mut child, errors, due, sibling_off) = *gen;
                if s > 0 && sibling_off {
                    (status, child) = (VmStatus::Off, Child::None);
                }
                vms.push(VmState {
                    name: format!("h{h}d{d}s{s}"),
                    kind: kind.to_string(),
                    role,
                    status,
                    uri: format!("qemu+ssh://h{h}/system"),
                    domain: format!("d{d}"),
                    snapshot: format!("snap{s}"),
                    child,
                    errors,
                    monitor_due: due,
                });
            }
        }
    }
    let hosts = specs
        .into_iter()
        .enumerate()
        .filter_map(|(h, spec)| spec.map(|spec| (format!("h{h}"), spec)))
        .collect();
    let jobs = jobs
        .into_iter()
        .zip(1..)
        .map(|((priority, status, steps), id)| JobState {
            id,
            priority,
            status,
            steps: steps
                .into_iter()
                .zip(1u32..)
                .map(|((previous, status, tasks), no)| StepState {
                    no,
                    previous: previous.filter(|_| no > 1).map(|p| p % (no - 1) + 1),
                    status,
                    tasks: tasks
                        .into_iter()
                        .zip(1u32..)
                        .map(|((pick, status, timeout, tries), no)| TaskState {
                            no,
                            vm: vms[pick % vms.len()].name.clone(),
                            status,
                            timeout,
                            tries,
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    let state = State {
        limits,
        hosts,
        max_errors,
        max_task_tries,
        revert_timeout,
        vms,
        jobs,
    };
    state.validate().expect("generated labs are valid");
    state
}

/// Reverses every list of the state file: VMs, jobs, steps and tasks.
pub fn reversed(state: &State) -> State {
    let mut s = state.clone();
    s.vms.reverse();
    s.jobs.reverse();
    for job in &mut s.jobs {
        job.steps.reverse();
        for step in &mut job.steps {
            step.tasks.reverse();
        }
    }
    s
}
