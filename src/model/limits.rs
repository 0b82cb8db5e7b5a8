//! Limits: the overrides stored globally and per host (with a host's paused flag), and the
//! resolved, normalised limits of one host (docs/rules.md §1.3).

use super::from_maps_only;
use serde::{Deserialize, Serialize};

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
);
from_maps_only!(serialize LimitSpec, HostSpec);

/// Resolved, normalised limits of one host (docs/rules.md §1.3).
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
}
