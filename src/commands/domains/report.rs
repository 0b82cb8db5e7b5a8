//! What `domains show` prints of each domain: the JSON element (a contract: docs/interfaces.md) built
//! from the stored instances and libvirt's answer, and the virsh-like table.

use super::live::Live;
use super::verdict::{verdict, Verdict};
use super::Key;
use crate::hypervisor::HvError;
use crate::model::{VmState, VmStatus};
use crate::output;
use crate::ownership::Siblings;
use crate::store::vms::VmRow;
use anyhow::Result;
use serde::Serialize;
use std::io::Write;

/// An element of `domains show --format json` (a contract: docs/interfaces.md).
#[derive(Serialize)]
pub(super) struct DomainJson {
    uri: String,
    pub(super) domain: String,
    host: String,
    owner: Option<String>,
    instances: Vec<InstanceJson>,
    live: Option<LiveJson>,
    live_error: Option<String>,
    pub(super) verdict: Verdict,
}

#[derive(Serialize)]
struct InstanceJson {
    vm: String,
    snapshot: String,
    status: VmStatus,
}

#[derive(Serialize)]
struct LiveJson {
    state: &'static str,
    current_snapshot: Option<String>,
}

/// The entry of one domain key, whose instances `vms` are judged as the next pass will judge
/// them (with the setting `max_errors`); `live` is `None` with `--no-live`.
pub(super) fn entry(
    key: Key,
    vms: Vec<VmRow>,
    max_errors: u32,
    live: Option<&Result<Live, HvError>>,
) -> DomainJson {
    let states: Vec<VmState> = vms.iter().map(|vm| vm.to_vm_state()).collect();
    let siblings = Siblings::of(&states, max_errors);
    let verdict = verdict(&vms, &siblings, live);
    let missing: Vec<String> = match live {
        Some(Ok(live)) => vms
            .iter()
            .filter(|vm| !live.snapshots.contains(&vm.snapshot))
            .map(|vm| format!("no snapshot `{}` (VM `{}`)", vm.snapshot, vm.name))
            .collect(),
        _ => Vec::new(),
    };
    let live_error = match live {
        Some(Err(err)) => Some(err.message.clone()),
        _ if !missing.is_empty() => Some(missing.join("; ")),
        _ => None,
    };
    DomainJson {
        host: vms[0].host(),
        owner: siblings.owner().map(|i| vms[i].name.clone()),
        live: match live {
            Some(Ok(live)) => Some(LiveJson {
                state: live.state.as_str(),
                current_snapshot: live.current.clone(),
            }),
            _ => None,
        },
        live_error,
        verdict,
        instances: vms
            .into_iter()
            .map(|vm| InstanceJson {
                vm: vm.name,
                snapshot: vm.snapshot,
                status: vm.status,
            })
            .collect(),
        uri: key.0,
        domain: key.1,
    }
}

/// The virsh-like table, then one line per live error.
pub(super) fn print_table(out: &mut dyn Write, entries: &[DomainJson]) -> Result<()> {
    let mut table = output::table([
        "Domain",
        "Host",
        "Owner",
        "Instances",
        "State",
        "Current",
        "Verdict",
    ]);
    for e in entries {
        let instances: Vec<String> = e
            .instances
            .iter()
            .map(|i| format!("{}:{} {}", i.vm, i.snapshot, i.status))
            .collect();
        let (state, current) = match &e.live {
            Some(live) => (live.state, live.current_snapshot.as_deref().unwrap_or("-")),
            None => ("-", "-"),
        };
        output::add_row(
            &mut table,
            vec![
                e.domain.clone(),
                e.host.clone(),
                e.owner.clone().unwrap_or_else(|| "-".to_string()),
                instances.join(", "),
                state.to_string(),
                current.to_string(),
                e.verdict.as_str().to_string(),
            ],
        );
    }
    output::print_table(out, &table)?;
    for e in entries {
        if let Some(error) = &e.live_error {
            writeln!(out, "{} ({}): {error}", e.domain, e.uri)?;
        }
    }
    Ok(())
}
