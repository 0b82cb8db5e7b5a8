//! Command-line types only (clap derive): their doc comments feed `--help`, the man page and
//! the shell completions. No logic lives here.

use crate::complete;
use crate::model::{Role, TaskStatus, VmStatus};
use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::ArgValueCandidates as Candidates;
use std::path::PathBuf;

/// Schedules test tasks onto libvirt virtual machines. Several VM instances may share one
/// hypervisor domain and differ only in the snapshot they revert to; at most one of them owns
/// the domain at a time.
#[derive(Debug, Parser)]
#[command(
    name = "vmsched",
    version,
    propagate_version = true,
    max_term_width = 100,
    after_long_help = "Exit status, environment, files, cron set-up and examples: \
        `vmsched man | man -l -`."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes, listed apart from a command's own.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The database [default: /var/lib/vmsched/vmsched.db for root and group vmsched, else $XDG_STATE_HOME/vmsched/vmsched.db]
    #[arg(
        long,
        global = true,
        env = "VMSCHED_DB",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub db: Option<PathBuf>,
    /// Output format of data on stdout
    #[arg(long, global = true, env = "VMSCHED_FORMAT", hide_env_values = true, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Seconds allowed to connect to libvirt and for read-only calls
    #[arg(long, global = true, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub timeout: u64,
    /// Say more: `schedule-once` prints its actions on stderr
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    pub verbose: u8,
    /// Say only errors
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Never show progress bars or spinners
    #[arg(long, global = true)]
    pub no_progress: bool,
}

/// How data is printed on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people
    Table,
    /// JSON for scripts
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage VM instances
    #[command(subcommand)]
    Vms(VmsCommand),
    /// Show and set per-host limits
    #[command(subcommand)]
    Hosts(HostsCommand),
    /// Show and change settings
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Submit, list and follow jobs
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Show shared domains, their owner and what libvirt says
    #[command(subcommand)]
    Domains(DomainsCommand),
    /// Revert a VM to its snapshot now, in the foreground (Ctrl-C leaves it offline)
    Revert(RevertArgs),
    /// Power a VM's domain off now, in the foreground (Ctrl-C leaves it offline)
    Poweroff(PoweroffArgs),
    /// Run one scheduling pass (what cron runs every minute)
    ScheduleOnce(ScheduleArgs),
    /// Export the live scheduling state
    #[command(subcommand)]
    State(StateCommand),
    /// Show the history of status changes and decisions
    History(HistoryArgs),
    /// Per VM and per host over a period: reverts, time in each status, tasks, errors
    Stats(StatsArgs),
    /// Print metrics in Prometheus's text format, or write them for node_exporter
    Metrics(MetricsArgs),
    /// Migrate the database to this version's schema
    Migrate(MigrateArgs),
    /// Remove ended jobs, their logs and the history older than a duration
    Purge(PurgeArgs),
    /// Run the demo: a small lab on a local hypervisor, jobs, passes until done
    Demo(DemoArgs),
    /// Print shell completions
    Completions(CompletionsArgs),
    /// Print the man page (roff)
    Man,
    /// Carry out a released revert, power-off or monitor (started by vmsched-worker)
    #[command(hide = true)]
    Worker(WorkerArgs),
}

#[derive(Debug, Subcommand)]
pub enum VmsCommand {
    /// Register a VM instance (it starts `off`)
    Add(VmAddArgs),
    /// Change a VM instance
    Set(VmSetArgs),
    /// Remove a VM instance
    Remove(VmRemoveArgs),
    /// List VM instances
    List(VmListArgs),
    /// Show one VM instance in full, with why its queued tasks wait
    Show(VmShowArgs),
    /// Create and update VMs and host limits from a TOML inventory
    Import(VmImportArgs),
}

#[derive(Debug, Args)]
pub struct VmAddArgs {
    /// Instance name ([A-Za-z0-9_.-], at most 64)
    pub name: String,
    /// libvirt connection URI, e.g. qemu+ssh://root@host1/system
    #[arg(short = 'c', long)]
    pub uri: String,
    /// libvirt domain name
    #[arg(long)]
    pub domain: String,
    /// The snapshot this instance reverts to
    #[arg(long)]
    pub snapshot: String,
    /// build, win32, win64, wine or any label
    #[arg(long, default_value = "win64")]
    pub kind: String,
    /// What work the instance is used for
    #[arg(long, default_value = "base", add = Candidates::new(complete::roles))]
    pub role: Role,
    /// Guest address handed to tasks
    #[arg(long)]
    pub hostname: Option<String>,
    /// Free text
    #[arg(long)]
    pub description: Option<String>,
    /// Why (recorded in the history)
    #[arg(long)]
    pub reason: Option<String>,
    /// Do not ask libvirt whether the domain and snapshot exist, nor learn the domain's UUID
    /// (which refuses a second spelling of its URI)
    #[arg(long)]
    pub no_check: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true).args([
    "status", "role", "kind", "snapshot", "uri", "domain", "hostname", "description", "ready_cmd",
    "no_ready_cmd",
])))]
pub struct VmSetArgs {
    /// Instance name
    #[arg(add = Candidates::new(complete::vms))]
    pub name: String,
    /// New status (off, dirty, idle, offline, maintenance)
    #[arg(long, add = Candidates::new(complete::settable_statuses))]
    pub status: Option<VmStatus>,
    /// New role (retired and deleted VMs are never scheduled)
    #[arg(long, add = Candidates::new(complete::roles))]
    pub role: Option<Role>,
    /// New kind: build, win32, win64, wine or any label
    #[arg(long)]
    pub kind: Option<String>,
    /// New snapshot to revert to
    #[arg(long)]
    pub snapshot: Option<String>,
    /// New libvirt connection URI
    #[arg(short = 'c', long)]
    pub uri: Option<String>,
    /// New libvirt domain name
    #[arg(long)]
    pub domain: Option<String>,
    /// Guest address handed to tasks ('' clears it)
    #[arg(long)]
    pub hostname: Option<String>,
    /// Free text ('' clears it)
    #[arg(long)]
    pub description: Option<String>,
    /// Readiness command run after a revert, as an argument vector (ends the options)
    #[arg(long, num_args = 1.., allow_hyphen_values = true, value_name = "ARGV", conflicts_with = "no_ready_cmd")]
    pub ready_cmd: Option<Vec<String>>,
    /// Remove the readiness command
    #[arg(long)]
    pub no_ready_cmd: bool,
    /// Why (recorded in the history)
    #[arg(long)]
    pub reason: Option<String>,
    /// Override the sibling and busy checks, and claim `idle` without libvirt's confirmation (recorded)
    #[arg(long)]
    pub force: bool,
    /// With --uri, --domain or --snapshot: do not ask libvirt whether the new domain and snapshot
    /// exist, nor learn the domain's UUID (which refuses a second spelling of its URI)
    #[arg(long)]
    pub no_check: bool,
}

#[derive(Debug, Args)]
pub struct VmRemoveArgs {
    /// Instance name
    #[arg(add = Candidates::new(complete::vms))]
    pub name: String,
    /// Remove it even with work: stop its worker (a running task is requeued), cancel its queued tasks
    #[arg(long)]
    pub force: bool,
    /// Why (recorded in the history)
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct VmListArgs {
    /// Only instances of this role
    #[arg(long, add = Candidates::new(complete::roles))]
    pub role: Option<Role>,
    /// Only instances of this status
    #[arg(long, add = Candidates::new(complete::vm_statuses))]
    pub status: Option<VmStatus>,
    /// Only instances of this domain
    #[arg(long, add = Candidates::new(complete::domains))]
    pub domain: Option<String>,
    /// Only instances on this host key
    #[arg(long)]
    pub host: Option<String>,
    /// Print names only, one per line
    #[arg(long)]
    pub name: bool,
}

#[derive(Debug, Args)]
pub struct VmShowArgs {
    /// Instance name
    pub name: String,
}

#[derive(Debug, Args)]
pub struct VmImportArgs {
    /// The inventory (TOML)
    pub file: PathBuf,
    /// Remove VMs the file does not list
    #[arg(long)]
    pub prune: bool,
    /// Show what would change, change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Change the uri, domain or snapshot of VMs in use, and with --prune remove VMs even with
    /// work (cancels their queued tasks)
    #[arg(long)]
    pub force: bool,
    /// Do not ask libvirt whether the listed domains and snapshots exist, nor learn the
    /// domains' UUIDs (which refuse a second spelling of a URI)
    #[arg(long)]
    pub no_check: bool,
}

#[derive(Debug, Subcommand)]
pub enum HostsCommand {
    /// Every host key of the inventory with its effective limits
    List,
    /// Set limits of a host, or the global ones with '*'
    Set(HostSetArgs),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("change").required(true).multiple(true).args([
    "max_active", "max_running", "max_reverting", "max_reverts_while_running",
    "max_vms_when_idle", "paused", "resume", "reset",
])))]
pub struct HostSetArgs {
    /// Host key (lower-cased host[:port]) or '*' for the global limits
    #[arg(add = Candidates::new(complete::hosts))]
    pub host: String,
    /// VMs powered on at once
    #[arg(long, allow_negative_numbers = true)]
    pub max_active: Option<i64>,
    /// Tasks at once (0 = max_active)
    #[arg(long, allow_negative_numbers = true)]
    pub max_running: Option<i64>,
    /// Reverts at once while no task runs (0 = max_active)
    #[arg(long, allow_negative_numbers = true)]
    pub max_reverting: Option<i64>,
    /// Reverts at once while a task runs
    #[arg(long, allow_negative_numbers = true)]
    pub max_reverts_while_running: Option<i64>,
    /// VMs prepared in advance when the host has no queued task
    #[arg(long, allow_negative_numbers = true)]
    pub max_vms_when_idle: Option<i64>,
    /// Drain the host: no starts or reverts
    #[arg(long, conflicts_with = "resume")]
    pub paused: bool,
    /// Undo --paused
    #[arg(long)]
    pub resume: bool,
    /// Forget the host's overrides and paused flag first (then set the ones given)
    #[arg(long)]
    pub reset: bool,
    /// Why (recorded in the history)
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Every setting with its value and default
    List,
    /// Change a setting
    Set(SettingSetArgs),
}

#[derive(Debug, Args)]
pub struct SettingSetArgs {
    /// A key of `vmsched settings list`
    #[arg(add = Candidates::new(complete::settings))]
    pub key: String,
    /// A non-negative integer; `true` or `false` for a flag; seconds or <n>[smhd] for a time
    pub value: String,
    /// Why (recorded in the history)
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Submit a job: one command on some VMs, or several steps from a file
    ///
    /// A task runs as the service user (the database's owner) with an environment built from
    /// an allow-list, never the scheduler's: PATH
    /// (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin unless the job sets it),
    /// HOME (the service user's), LANG (the scheduler's, if set), the job's variables (`--env`,
    /// the file's `[env]`), then VMSCHED_VM, VMSCHED_URI, VMSCHED_DOMAIN, VMSCHED_SNAPSHOT,
    /// VMSCHED_HOSTNAME, VMSCHED_JOB, VMSCHED_STEP and VMSCHED_TASK.
    Submit(JobSubmitArgs),
    /// List jobs
    List(JobListArgs),
    /// Show a job's steps and tasks
    Show(JobIdArgs),
    /// Cancel a job's queued tasks and stop its running ones
    Cancel(JobCancelArgs),
    /// Wait for a job to end (exit 0 when it completed)
    Wait(JobWaitArgs),
    /// Print a job's task logs
    Log(JobLogArgs),
}

#[derive(Debug, Args)]
pub struct JobSubmitArgs {
    /// A VM to run the command on (repeatable)
    #[arg(long = "vm", value_name = "VM", required_unless_present = "file",
          add = Candidates::new(complete::vms))]
    pub vms: Vec<String>,
    /// The job file (TOML) with steps
    #[arg(long, conflicts_with_all = ["vms", "command", "task_timeout"])]
    pub file: Option<PathBuf>,
    /// Niceness: lower runs first [default: 5, or the file's]
    #[arg(long, allow_negative_numbers = true)]
    pub priority: Option<i64>,
    /// Task timeout in seconds [default: 300] (`--timeout` is libvirt's)
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=u32::MAX as u64))]
    pub task_timeout: Option<u64>,
    /// Submit on behalf of this user (root and the service user only; the submitter is
    /// always the real user)
    #[arg(long)]
    pub user: Option<String>,
    /// A variable for the job's tasks, NAME=VALUE (repeatable; over the file's `[env]`). Tasks
    /// get only PATH, HOME, LANG, the VMSCHED_* variables and these
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// Free text shown in listings [default: the file's]
    #[arg(long)]
    pub remarks: Option<String>,
    /// The command and its arguments, after `--`
    #[arg(last = true, value_name = "CMD", required_unless_present = "file",
          value_hint = clap::ValueHint::AnyPath)]
    pub command: Vec<String>,
}

#[derive(Debug, Args)]
pub struct JobListArgs {
    /// Only jobs of this status
    #[arg(long, add = Candidates::new(complete::task_statuses))]
    pub status: Option<TaskStatus>,
    /// Only jobs this user submitted or that were submitted for them
    #[arg(long)]
    pub user: Option<String>,
    /// Jobs still open and those ended since a duration ago (seconds or <n>[smhd]) or an RFC
    /// 3339 time [default: 24h]
    #[arg(long, conflicts_with = "all")]
    pub since: Option<String>,
    /// At most this many jobs, the newest
    #[arg(long)]
    pub limit: Option<u32>,
    /// Every job, however long ago it ended
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct JobIdArgs {
    /// Job id
    #[arg(add = Candidates::new(complete::jobs))]
    pub id: i64,
}

#[derive(Debug, Args)]
pub struct JobCancelArgs {
    /// Job id
    #[arg(add = Candidates::new(complete::jobs))]
    pub id: i64,
    /// Why (recorded in the history)
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct JobWaitArgs {
    /// Job id
    #[arg(add = Candidates::new(complete::jobs))]
    pub id: i64,
    /// Give up after this many seconds (exit 1)
    #[arg(long, value_name = "SECS")]
    pub max_wait: Option<u64>,
}

#[derive(Debug, Args)]
pub struct JobLogArgs {
    /// Job id
    #[arg(add = Candidates::new(complete::jobs))]
    pub id: i64,
    /// Only this step's tasks
    pub step: Option<u32>,
    /// Only this task of the step
    #[arg(requires = "step")]
    pub task: Option<u32>,
    /// The log of this attempt (1 is the first) [default: each task's latest]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub attempt: Option<u32>,
}

#[derive(Debug, Subcommand)]
pub enum DomainsCommand {
    /// One entry per domain: instances, owner, live state and a verdict
    Show(DomainsShowArgs),
    /// A monitoring probe of the verdicts: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, a
    /// summary line first (-q: only that line)
    Check(DomainsCheckArgs),
}

#[derive(Debug, Args)]
pub struct DomainsCheckArgs {
    /// Only this host key
    #[arg(long)]
    pub host: Option<String>,
    /// Only this domain
    #[arg(long)]
    pub domain: Option<String>,
}

#[derive(Debug, Args)]
pub struct DomainsShowArgs {
    /// Do not ask libvirt
    #[arg(long)]
    pub no_live: bool,
    /// Only this host key
    #[arg(long, add = Candidates::new(complete::hosts))]
    pub host: Option<String>,
    /// Only this domain
    #[arg(long, add = Candidates::new(complete::domains))]
    pub domain: Option<String>,
    /// Exit 1 when any verdict is neither ok nor free
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct RevertArgs {
    /// The VM instance to revert to its snapshot
    #[arg(add = Candidates::new(complete::vms))]
    pub vm: String,
    /// Take the domain from an idle, dirty or sleeping sibling (it becomes off)
    #[arg(long)]
    pub steal: bool,
    /// Also take it from a busy owner, or stop the VM's own live operation (its task is
    /// requeued without using a try); implies --steal
    #[arg(long)]
    pub force: bool,
    /// Why (recorded in the history)
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct PoweroffArgs {
    /// The VM instance whose domain to power off
    #[arg(add = Candidates::new(complete::vms))]
    pub vm: String,
    /// Power off even when a sibling owns the domain (it becomes off) or an operation is live
    /// (stopped, its task requeued without using a try)
    #[arg(long)]
    pub force: bool,
    /// Why (recorded in the history)
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// Print the plan and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Plan from this state file instead of the database (implies --dry-run)
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Wait for the started workers to end
    #[arg(long)]
    pub wait: bool,
    /// Seconds to wait for another pass's lock [default: setting lock_timeout]
    #[arg(long, value_name = "SECS")]
    pub lock_timeout: Option<u64>,
    /// A pass started after a change: detached, silent, gone at once if the lock is held
    #[arg(long, hide = true, conflicts_with_all = ["dry_run", "state", "wait", "lock_timeout"])]
    pub event: bool,
}

#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Write the live state as a state file (JSON) on stdout
    Export,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this VM's rows (a removed VM's too)
    #[arg(long, add = Candidates::new(complete::vms))]
    pub vm: Option<String>,
    /// Since a duration ago (seconds or <n>[smhd]) or an RFC 3339 time
    #[arg(long)]
    pub since: Option<String>,
    /// At most this many rows, the newest [default: 50]
    #[arg(long, conflicts_with = "all")]
    pub limit: Option<u32>,
    /// Every matching row, however many
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct PurgeArgs {
    /// What ended (jobs, operations) or was written (history) longer ago than this: seconds
    /// or <n>[smhd], e.g. 90d
    #[arg(long, value_name = "DURATION")]
    pub older_than: String,
    /// Only say what would be removed
    #[arg(long)]
    pub dry_run: bool,
    /// Then give the freed space back to the file system, a little at a time
    #[arg(long)]
    pub vacuum: bool,
    /// Why (recorded in the history)
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// The period: since a duration ago (<n>[smhd]) or an RFC 3339 time
    #[arg(long, default_value = "7d")]
    pub since: String,
    /// Only this VM
    #[arg(long)]
    pub vm: Option<String>,
    /// Only the VMs of this host key
    #[arg(long)]
    pub host: Option<String>,
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Write them to this file atomically (for node_exporter's textfile collector) instead
    /// of stdout
    #[arg(long, value_name = "PATH")]
    pub textfile: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Migrate even while operations are live
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Remove what the demo created and stop
    #[arg(long)]
    pub clean: bool,
    /// libvirt URI to use instead of finding one (qemu:///system, else test+unix:///default)
    #[arg(short = 'c', long)]
    pub uri: Option<String>,
    /// Run as a demo task: check the domain's current snapshot (from VMSCHED_* variables)
    #[arg(long, hide = true)]
    pub check_task: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to register completion with
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// The operation row to carry out
    pub operation: i64,
    /// Only say whether the operation's domain runs its VM's snapshot (`ok` or `mismatch ...`)
    #[arg(long)]
    pub check: bool,
}
