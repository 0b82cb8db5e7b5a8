//! The state file's types (docs/interfaces.md, "State file"): the whole input of a scheduling pass,
//! with its VMs, jobs, steps and tasks, their defaults, and what they say of hosts.

use super::{
    from_maps_only, host_key, Child, HostSpec, LimitSpec, Limits, Role, TaskStatus, VmStatus,
};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::fmt;

from_maps_only!(
    State: "a state object",
    VmState: "a VM object",
    JobState: "a job object",
    StepState: "a step object",
    TaskState: "a task object",
);
from_maps_only!(serialize State, VmState, JobState, StepState, TaskState);

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

/// The whole input of a scheduling pass (docs/interfaces.md, "State file").
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
    /// Resolved limits and paused flag of a host key.
    pub fn host_limits(&self, host: &str) -> (Limits, bool) {
        let spec = self.hosts.get(host).cloned().unwrap_or_default();
        (Limits::resolve(&self.limits, &spec.limits()), spec.paused)
    }
}
