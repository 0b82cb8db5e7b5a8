//! Plain domain types shared by the scheduling core and the shell: statuses, roles, limits,
//! names, URIs, and the state a scheduling pass plans from (the `--state` file format).

use crate::exit::escape_controls;
use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Deserializer, Serialize};
use serde_path_to_error::Segment;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

/// Implements `Deserialize` for structs that derive it with `#[serde(remote = "Self")]`, so
/// that they take a map (a JSON object, a TOML table) and nothing else: serde's derive alone
/// also takes an array of the fields in order, which let `[]` pass as a state file and
/// `limits = [1, 2]` as limits. `Serialize` is kept as derived.
macro_rules! from_maps_only {
    ($($ty:ident: $what:literal),+ $(,)?) => {$(
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Map;
                impl<'de> serde::de::Visitor<'de> for Map {
                    type Value = $ty;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str($what)
                    }
                    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<$ty, A::Error> {
                        $ty::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    }
                }
                deserializer.deserialize_map(Map)
            }
        }
    )+};
    (serialize $($ty:ident),+ $(,)?) => {$(
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $ty::serialize(self, serializer)
            }
        }
    )+};
}
pub(crate) use from_maps_only;

/// Declares a lower-case word enum with `as_str`, `Display`, `FromStr` and serde support, so
/// every status word is spelt in one place.
macro_rules! words {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $word:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $($variant),+ }
        impl $name {
            /// Every word, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// Every word as text, in declaration order.
            pub const WORDS: &'static [&'static str] = &[$($word),+];
            /// The word used in the database, JSON and tables.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
        /// From a word only (serde's derive says just "expected value" for a number).
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Word;
                impl serde::de::Visitor<'_> for Word {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "one of `{}`", $name::WORDS.join("`, `"))
                    }
                    fn visit_str<E: serde::de::Error>(self, word: &str) -> Result<$name, E> {
                        word.parse().map_err(|_| E::unknown_variant(word, $name::WORDS))
                    }
                }
                deserializer.deserialize_str(Word)
            }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $(if s == $word { return Ok($name::$variant); })+
                let all: Vec<&str> = $name::ALL.iter().map(|w| w.as_str()).collect();
                Err(format!("unknown {} `{s}` (expected one of: {})", stringify!($name).to_lowercase(), all.join(", ")))
            }
        }
    };
}

words!(
    /// The status of a VM instance (SCHEDULER.md §2).
    VmStatus {
        Off = "off", Reverting = "reverting", Sleeping = "sleeping", Idle = "idle",
        Running = "running", Dirty = "dirty", Offline = "offline", Maintenance = "maintenance",
    }
);

words!(
    /// What work a VM instance is used for; `retired` and `deleted` are disabled.
    Role { Base = "base", Winetest = "winetest", Extra = "extra", Retired = "retired", Deleted = "deleted" }
);

words!(
    /// The liveness verdict of a VM's recorded worker, decided by the shell (SCHEDULER.md §3).
    Child { None = "none", Alive = "alive", Dead = "dead", Stuck = "stuck" }
);

words!(
    /// Status of a task, and by roll-up of a step or job (SCHEDULER.md §1.2).
    TaskStatus {
        Queued = "queued", Running = "running", Completed = "completed", Failed = "failed",
        Timeout = "timeout", Boterror = "boterror", Canceled = "canceled", Skipped = "skipped",
    }
);

impl Role {
    /// Retired and deleted VMs are never scheduled.
    pub fn is_enabled(self) -> bool {
        !matches!(self, Role::Retired | Role::Deleted)
    }
}

impl VmStatus {
    /// Statuses an admin may set with `vms set --status` (never one that needs a worker).
    pub fn admin_settable(self) -> bool {
        matches!(
            self,
            VmStatus::Off
                | VmStatus::Dirty
                | VmStatus::Idle
                | VmStatus::Offline
                | VmStatus::Maintenance
        )
    }
}

impl TaskStatus {
    /// Queued and running tasks are not finished yet.
    pub fn is_done(self) -> bool {
        !matches!(self, TaskStatus::Queued | TaskStatus::Running)
    }
}

/// Checks a VM name: `[A-Za-z0-9_.-]{1,64}`.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid VM name `{}` (1 to 64 of A-Z a-z 0-9 _ . -)",
            escape_controls(name)
        ))
    }
}

/// Checks a text field of a VM (`domain`, `snapshot`, `kind`, `hostname`): not blank, no
/// control character.
pub fn check_text(field: &str, value: &str, vm: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("empty {field} for VM `{vm}`"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!(
            "{field} `{}` of VM `{vm}` contains a control character",
            escape_controls(value)
        ));
    }
    Ok(())
}

/// Checks a host key as `hosts` and the state file hold it: a lower-case host[:port], as
/// `host_key` makes it from a URI.
pub fn check_host_key(key: &str) -> Result<(), String> {
    let valid = !key.contains(['/', '@', '?', '#'])
        && host_key(&format!("qemu+ssh://{key}/system")).is_ok_and(|k| k == key);
    if valid {
        Ok(())
    } else {
        Err(format!(
            "invalid host key `{key}` (expected a lower-case host[:port], as in the VMs' URIs)"
        ))
    }
}

/// The host key of a libvirt URI: lower-cased host[:port], `localhost` when empty
/// (SCHEDULER.md §1.1). Fails on a URI without a scheme or a path.
pub fn host_key(uri: &str) -> Result<String, String> {
    // The URL parser drops spaces at the ends and tabs and line breaks anywhere; libvirt would
    // not.
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "malformed URI `{}`: contains a space or a control character",
            escape_controls(uri)
        ));
    }
    let parsed = url::Url::parse(uri).map_err(|e| format!("malformed URI `{uri}`: {e}"))?;
    if parsed.path().len() < 2 {
        return Err(format!(
            "malformed URI `{uri}`: no path (e.g. `qemu:///system`)"
        ));
    }
    let host = parsed.host_str().unwrap_or("").to_ascii_lowercase();
    let host = if host.is_empty() {
        "localhost".to_string()
    } else {
        host
    };
    Ok(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    })
}

/// The identity of a domain across spellings of its URI: host key, URI path and domain name.
/// Two registered URIs with the same identity but different text would defeat ownership.
pub fn domain_identity(uri: &str, domain: &str) -> Result<(String, String, String), String> {
    let parsed = url::Url::parse(uri).map_err(|e| format!("malformed URI `{uri}`: {e}"))?;
    Ok((
        host_key(uri)?,
        parsed.path().to_string(),
        domain.to_string(),
    ))
}

/// Limit overrides as stored (global row `*` or one host); `None` means not named.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct LimitSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_active: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_running: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_reverting: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_reverts_while_running: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_vms_when_idle: Option<u32>,
}

/// A host's limit overrides plus its paused flag, as in the state file and inventory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct HostSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_active: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_running: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_reverting: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_reverts_while_running: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_vms_when_idle: Option<u32>,
    #[serde(default)]
    pub paused: bool,
}

impl HostSpec {
    /// The limit overrides this host names.
    pub fn limits(&self) -> LimitSpec {
        LimitSpec {
            max_active: self.max_active,
            max_running: self.max_running,
            max_reverting: self.max_reverting,
            max_reverts_while_running: self.max_reverts_while_running,
            max_vms_when_idle: self.max_vms_when_idle,
        }
    }
}

from_maps_only!(
    LimitSpec: "a map of limits",
    HostSpec: "a map of a host's limits and `paused`",
    State: "a state object",
    VmState: "a VM object",
    JobState: "a job object",
    StepState: "a step object",
    TaskState: "a task object",
);
from_maps_only!(serialize LimitSpec, HostSpec, State, VmState, JobState, StepState, TaskState);

/// Resolved, normalised limits of one host (SCHEDULER.md §1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Limits {
    pub max_active: u32,
    pub max_running: u32,
    pub max_reverting: u32,
    pub max_reverts_while_running: u32,
    pub max_vms_when_idle: u32,
}

impl Limits {
    /// Resolves a host's limits: the host's overrides, else the global ones, else the
    /// defaults (A2 R1 Rv1 RvR0, I = max_active), then normalises them.
    pub fn resolve(global: &LimitSpec, host: &LimitSpec) -> Limits {
        let pick = |h: Option<u32>, g: Option<u32>| h.or(g);
        let max_active = pick(host.max_active, global.max_active).unwrap_or(2).max(1);
        let cap0 = |v: u32| {
            if v == 0 {
                max_active
            } else {
                v.min(max_active)
            }
        };
        let max_running = cap0(pick(host.max_running, global.max_running).unwrap_or(1));
        let max_reverting = cap0(pick(host.max_reverting, global.max_reverting).unwrap_or(1));
        let rvr = pick(
            host.max_reverts_while_running,
            global.max_reverts_while_running,
        );
        let idle = pick(host.max_vms_when_idle, global.max_vms_when_idle);
        Limits {
            max_active,
            max_running,
            max_reverting,
            max_reverts_while_running: rvr.unwrap_or(0).min(max_reverting),
            max_vms_when_idle: idle.unwrap_or(max_active).min(max_active),
        }
    }
}

fn default_max_errors() -> u32 {
    3
}
fn default_revert_timeout() -> u64 {
    360
}
fn default_timeout() -> u64 {
    300
}
fn default_priority() -> i64 {
    5
}
fn default_true() -> bool {
    true
}
fn default_kind() -> String {
    "win64".to_string()
}
fn default_role() -> Role {
    Role::Base
}
fn default_queued() -> TaskStatus {
    TaskStatus::Queued
}
fn default_child() -> Child {
    Child::None
}

/// The whole input of a scheduling pass (DESIGN.md, "State file").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct State {
    #[serde(default)]
    pub limits: LimitSpec,
    #[serde(default, deserialize_with = "unique_keys")]
    pub hosts: BTreeMap<String, HostSpec>,
    #[serde(default = "default_max_errors")]
    pub max_errors: u32,
    #[serde(default = "default_max_errors")]
    pub max_task_tries: u32,
    #[serde(default = "default_revert_timeout")]
    pub revert_timeout: u64,
    #[serde(default)]
    pub vms: Vec<VmState>,
    #[serde(default)]
    pub jobs: Vec<JobState>,
}

/// One VM instance as the core sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct VmState {
    pub name: String,
    #[serde(default = "default_kind")]
    pub kind: String,
    #[serde(default = "default_role")]
    pub role: Role,
    pub status: VmStatus,
    pub uri: String,
    pub domain: String,
    pub snapshot: String,
    #[serde(default = "default_child")]
    pub child: Child,
    #[serde(default)]
    pub errors: u32,
    /// Whether an offline VM's last check is older than its monitor interval.
    #[serde(default = "default_true")]
    pub monitor_due: bool,
}

/// A queued or running job with its steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct JobState {
    pub id: i64,
    #[serde(default = "default_priority")]
    pub priority: i64,
    #[serde(default = "default_queued")]
    pub status: TaskStatus,
    pub steps: Vec<StepState>,
}

/// A step of a job; `previous` is the step it depends on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct StepState {
    pub no: u32,
    #[serde(default)]
    pub previous: Option<u32>,
    #[serde(default = "default_queued")]
    pub status: TaskStatus,
    pub tasks: Vec<TaskState>,
}

/// A task of a step, bound to one VM instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, remote = "Self")]
pub struct TaskState {
    pub no: u32,
    pub vm: String,
    #[serde(default = "default_queued")]
    pub status: TaskStatus,
    #[serde(default = "default_timeout")]
    pub timeout: u64,
    #[serde(default)]
    pub tries: u32,
}

/// A map that names no key twice (serde_json would keep the last value).
fn unique_keys<'de, D, V>(deserializer: D) -> Result<BTreeMap<String, V>, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
{
    struct Keys<V>(std::marker::PhantomData<V>);
    impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Keys<V> {
        type Value = BTreeMap<String, V>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of host keys")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut keys = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                if keys.contains_key(&key) {
                    return Err(serde::de::Error::custom(format!("duplicate key `{key}`")));
                }
                let value = map.next_value()?;
                keys.insert(key, value);
            }
            Ok(keys)
        }
    }
    deserializer.deserialize_map(Keys(std::marker::PhantomData))
}

impl VmState {
    /// The VM's host key; the state was validated, so the URI parses.
    pub fn host(&self) -> String {
        host_key(&self.uri).unwrap_or_else(|_| "localhost".to_string())
    }
}

impl State {
    /// Parses and validates a state file's text; errors name the line and field where known.
    /// Errors are one line (`exit::one_line`).
    pub fn from_json(text: &str) -> Result<State, String> {
        if text.starts_with('\u{feff}') {
            let bom = "starts with a byte-order mark (U+FEFF): save it as UTF-8 without one";
            return Err(bom.to_string());
        }
        let state: State = serde_json::from_str(text).map_err(|e| json_error(text, &e))?;
        state.validate().map_err(|e| crate::exit::one_line(&e))?;
        Ok(state)
    }

    /// Checks what serde cannot: names, host keys, URIs and one spelling of each domain's,
    /// duplicates, references and step order.
    pub fn validate(&self) -> Result<(), String> {
        for key in self.hosts.keys() {
            if key == "*" {
                return Err("hosts: the global limits go in `limits`, not `*`".to_string());
            }
            check_host_key(key).map_err(|e| format!("hosts: {e}"))?;
        }
        let mut names: HashSet<&str, FxBuildHasher> = HashSet::default();
        let mut domains = BTreeMap::new();
        // The host key and path of each distinct URI: a URI is parsed once, not for every VM.
        let mut uris: HashMap<&str, (String, String), FxBuildHasher> = HashMap::default();
        for (i, vm) in self.vms.iter().enumerate() {
            check_name(&vm.name).map_err(|e| format!("vms[{i}].name: {e}"))?;
            if !uris.contains_key(vm.uri.as_str()) {
                host_key(&vm.uri).map_err(|e| format!("vms[{i}].uri: {e}"))?;
                let (host, path, _) = domain_identity(&vm.uri, "")?;
                uris.insert(&vm.uri, (host, path));
            }
            for (field, value) in [
                ("kind", &vm.kind),
                ("domain", &vm.domain),
                ("snapshot", &vm.snapshot),
            ] {
                check_text(field, value, &vm.name).map_err(|e| format!("vms[{i}].{field}: {e}"))?;
            }
            if !names.insert(vm.name.as_str()) {
                return Err(format!("vms[{i}].name: duplicate VM `{}`", vm.name));
            }
            let (host, path) = &uris[vm.uri.as_str()];
            let identity = (host.clone(), path.clone(), vm.domain.clone());
            let (uri, other) = domains.entry(identity).or_insert((&vm.uri, &vm.name));
            if *uri != &vm.uri {
                return Err(format!(
                    "vms[{i}].uri: domain `{}` is listed as `{uri}` already (VM `{other}`): one domain, one spelling of its URI",
                    vm.domain
                ));
            }
        }
        let mut ids = BTreeSet::new();
        for job in &self.jobs {
            if !ids.insert(job.id) {
                return Err(format!("jobs: duplicate job id {}", job.id));
            }
            let mut nos = BTreeSet::new();
            for step in &job.steps {
                // Formatted only for an error: a big state has hundreds of thousands of steps.
                let at = || format!("job {} step {}", job.id, step.no);
                if !nos.insert(step.no) {
                    return Err(format!("{}: duplicate step number", at()));
                }
                if let Some(prev) = step.previous {
                    if prev >= step.no || !job.steps.iter().any(|s| s.no == prev) {
                        return Err(format!(
                            "{}: previous {prev} must be an earlier step of the job",
                            at()
                        ));
                    }
                }
                let mut task_nos = BTreeSet::new();
                for task in &step.tasks {
                    if !task_nos.insert(task.no) {
                        return Err(format!("{} task {}: duplicate task number", at(), task.no));
                    }
                    if !names.contains(task.vm.as_str()) {
                        return Err(format!(
                            "{} task {}: unknown VM `{}`",
                            at(),
                            task.no,
                            task.vm
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// Resolved limits and paused flag of a host key.
    pub fn host_limits(&self, host: &str) -> (Limits, bool) {
        let spec = self.hosts.get(host).cloned().unwrap_or_default();
        (Limits::resolve(&self.limits, &spec.limits()), spec.paused)
    }
}

/// A serde_json error with the field it is about, one line. The fast parse keeps no path, so
/// the failed text is parsed again, tracking it.
fn json_error(text: &str, error: &serde_json::Error) -> String {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut path = String::new();
    if let Err(e) = serde_path_to_error::deserialize::<_, State>(&mut deserializer) {
        // The path as far as it is known (`vms[0].name`; no `?` for the unknown rest).
        for segment in e.path() {
            match segment {
                Segment::Seq { index } => path.push_str(&format!("[{index}]")),
                Segment::Map { key } if path.is_empty() => path.push_str(key),
                Segment::Map { key } => path.push_str(&format!(".{key}")),
                _ => break,
            }
        }
    }
    let path = if path.is_empty() {
        path
    } else {
        format!("{path}: ")
    };
    crate::exit::one_line(&format!("{path}{error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_normalise() {
        let none = LimitSpec::default();
        let l = Limits::resolve(&none, &none);
        assert_eq!(
            (
                l.max_active,
                l.max_running,
                l.max_reverting,
                l.max_reverts_while_running,
                l.max_vms_when_idle
            ),
            (2, 1, 1, 0, 2)
        );
        let global = LimitSpec {
            max_active: Some(0),
            max_running: Some(0),
            max_reverts_while_running: Some(5),
            ..none.clone()
        };
        let host = LimitSpec {
            max_active: Some(4),
            max_vms_when_idle: Some(9),
            ..none
        };
        let l = Limits::resolve(&global, &host);
        assert_eq!(
            (
                l.max_active,
                l.max_running,
                l.max_reverting,
                l.max_reverts_while_running,
                l.max_vms_when_idle
            ),
            (4, 4, 1, 1, 4)
        );
    }

    #[test]
    fn host_keys() {
        assert_eq!(host_key("qemu:///system").unwrap(), "localhost");
        assert_eq!(
            host_key("qemu+ssh://root@H1:2222/system").unwrap(),
            "h1:2222"
        );
        assert_eq!(host_key("test:///tmp/lab.xml").unwrap(), "localhost");
        assert!(host_key("nonsense").is_err());
        assert!(host_key("qemu+ssh://h1").is_err());
    }

    #[test]
    fn state_defaults_and_errors() {
        let s = State::from_json(r#"{"vms":[{"name":"w","status":"off","uri":"qemu:///system","domain":"d","snapshot":"s"}]}"#).unwrap();
        assert_eq!(
            (s.max_errors, s.vms[0].role, s.vms[0].child),
            (3, Role::Base, Child::None)
        );
        assert!(State::from_json(r#"{"bogus":1}"#)
            .unwrap_err()
            .contains("bogus"));
        let bad = r#"{"vms":[],"jobs":[{"id":1,"steps":[{"no":1,"tasks":[{"no":1,"vm":"x"}]}]}]}"#;
        assert!(State::from_json(bad).unwrap_err().contains("unknown VM"));
    }
}
