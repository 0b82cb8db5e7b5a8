//! Plain domain types shared by the scheduling core and the shell: statuses, roles, limits,
//! names, URIs, and the state a scheduling pass plans from (the `--state` file format). One
//! module a concept; every type is re-exported here, as `crate::model::X`.

pub mod duration;
mod limits;
mod names;
mod state;
mod task_key;
mod text;
mod validate;
mod vocabulary;

pub use duration::show_duration;
pub use limits::{HostSpec, LimitSpec, Limits};
pub use names::{check_host_key, check_name, check_text, domain_identity, host_key, keeps_state};
pub use state::{JobState, State, StepState, TaskState, VmState};
pub use task_key::TaskKey;
pub use text::{escape_controls, one_line};
pub use vocabulary::{
    Child, KillReason, MarkReason, OpKind, PoweroffReason, Role, TaskStatus, VmStatus,
};

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
