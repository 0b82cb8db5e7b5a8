//! `vmsched domains show`: one entry per domain key of the inventory with its instances, its
//! owner (SCHEDULER.md §5.1), what libvirt says of it, and a verdict (DESIGN.md, "domains show
//! --format json"). Hosts are asked in parallel, each within `--timeout`.

use crate::cli::{DomainsCommand, DomainsShowArgs, Format};
use crate::exit;
use crate::hypervisor::{self, DomainState, HvError, HvErrorKind, Hypervisor};
use crate::model::VmStatus;
use crate::output;
use crate::ownership::{Instance, View};
use crate::store::vms::{self, VmRow};
use crate::store::Mode;
use crate::Ctx;
use anyhow::Result;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

/// A domain key: (uri, domain), compared as exact strings.
type Key = (String, String);

/// Runs a `domains` subcommand; returns the exit code of a success.
pub fn run(ctx: &Ctx, command: DomainsCommand, out: &mut dyn Write) -> Result<u8> {
    match command {
        DomainsCommand::Show(args) => show(ctx, &args, out),
    }
}

/// The verdict of a domain, in precedence order (the first that applies wins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// libvirt could not be asked (host unreachable, no answer in time, another error).
    Unreachable,
    /// The domain, or an instance's snapshot, does not exist.
    Missing,
    /// Two or more registered instances are not off.
    Conflict,
    /// The domain's current snapshot is not the owner's while the owner is idle, sleeping or
    /// running.
    Drift,
    /// The domain runs while every instance is off.
    Orphan,
    /// Owned and consistent.
    Ok,
    /// Every instance off, and the domain not running.
    Free,
}

impl Verdict {
    /// `ok` and `free` are fine; anything else makes `--check` exit 1.
    pub fn is_fine(self) -> bool {
        matches!(self, Verdict::Ok | Verdict::Free)
    }

    fn as_str(self) -> &'static str {
        match self {
            Verdict::Unreachable => "unreachable",
            Verdict::Missing => "missing",
            Verdict::Conflict => "conflict",
            Verdict::Drift => "drift",
            Verdict::Orphan => "orphan",
            Verdict::Ok => "ok",
            Verdict::Free => "free",
        }
    }
}

/// What libvirt says of one domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Live {
    pub state: DomainState,
    pub current: Option<String>,
    pub snapshots: Vec<String>,
}

/// An element of `domains show --format json` (a contract: DESIGN.md).
#[derive(Serialize)]
struct DomainJson {
    uri: String,
    domain: String,
    host: String,
    owner: Option<String>,
    instances: Vec<InstanceJson>,
    live: Option<LiveJson>,
    live_error: Option<String>,
    verdict: Verdict,
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

fn show(ctx: &Ctx, args: &DomainsShowArgs, out: &mut dyn Write) -> Result<u8> {
    let store = ctx.open(Mode::Existing)?;
    let host = args.host.as_deref().map(str::to_ascii_lowercase);
    let mut keys: BTreeMap<Key, Vec<VmRow>> = BTreeMap::new();
    for vm in vms::list(store.conn())? {
        if host.as_ref().is_some_and(|h| vm.host() != *h)
            || args.domain.as_ref().is_some_and(|d| vm.domain != *d)
        {
            continue;
        }
        keys.entry((vm.uri.clone(), vm.domain.clone()))
            .or_default()
            .push(vm);
    }
    drop(store);
    let live = if args.no_live {
        BTreeMap::new()
    } else {
        fetch(keys.keys(), ctx.timeout)
    };
    let entries: Vec<DomainJson> = keys
        .into_iter()
        .map(|(key, vms)| {
            let live = live.get(&key);
            entry(key, vms, live)
        })
        .collect();
    if ctx.out.format == Format::Json {
        output::json(out, &entries)?;
    } else {
        print_table(out, &entries)?;
    }
    let fine = entries.iter().all(|e| e.verdict.is_fine());
    Ok(if args.check && !fine {
        exit::FAILED
    } else {
        exit::OK
    })
}

/// The entry of one domain key; `live` is `None` with `--no-live`.
fn entry(key: Key, vms: Vec<VmRow>, live: Option<&Result<Live, HvError>>) -> DomainJson {
    let instances: Vec<Instance> = vms.iter().map(instance).collect();
    let view = View::of(&instances);
    let verdict = verdict(&vms, &view, live);
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
        owner: view.owner().map(|i| vms[i].name.clone()),
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

/// The ownership view of a stored VM: a live operation counts while its process lives.
pub(crate) fn instance(vm: &VmRow) -> Instance<'_> {
    Instance {
        name: &vm.name,
        status: vm.status,
        enabled: vm.role.is_enabled(),
        live: vm.live.as_ref().is_some_and(|op| op.is_alive()),
    }
}

/// The first verdict that applies (DESIGN.md). Without `live` only `conflict`, `ok` and
/// `free` can apply.
pub fn verdict(vms: &[VmRow], view: &View, live: Option<&Result<Live, HvError>>) -> Verdict {
    let live = match live {
        Some(Err(err)) if err.kind == HvErrorKind::NoDomain => return Verdict::Missing,
        Some(Err(_)) => return Verdict::Unreachable,
        Some(Ok(live)) => Some(live),
        None => None,
    };
    if let Some(live) = live {
        if vms.iter().any(|vm| !live.snapshots.contains(&vm.snapshot)) {
            return Verdict::Missing;
        }
    }
    if view.conflict() {
        return Verdict::Conflict;
    }
    let owner = view.owner().map(|i| &vms[i]);
    if let Some(live) = live {
        let using = owner.filter(|o| {
            matches!(
                o.status,
                VmStatus::Idle | VmStatus::Sleeping | VmStatus::Running
            )
        });
        if using.is_some_and(|o| live.current.as_deref() != Some(o.snapshot.as_str())) {
            return Verdict::Drift;
        }
        if live.state.is_active() && vms.iter().all(|vm| vm.status == VmStatus::Off) {
            return Verdict::Orphan;
        }
    }
    if owner.is_some() {
        Verdict::Ok
    } else {
        Verdict::Free
    }
}

/// Asks every host about its domains, one thread per URI, each within `timeout` per call.
/// A host that fails to connect or stops answering gives its error to all its domains.
fn fetch<'a>(
    keys: impl Iterator<Item = &'a Key>,
    timeout: Duration,
) -> BTreeMap<Key, Result<Live, HvError>> {
    let mut by_uri: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (uri, domain) in keys {
        by_uri.entry(uri.clone()).or_default().push(domain.clone());
    }
    let threads: Vec<_> = by_uri
        .into_iter()
        .map(|(uri, domains)| {
            std::thread::spawn(move || {
                let answers = ask_host(&uri, &domains, timeout);
                domains
                    .into_iter()
                    .zip(answers)
                    .map(|(domain, answer)| ((uri.clone(), domain), answer))
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    threads
        .into_iter()
        .flat_map(|t| t.join().unwrap_or_default())
        .collect()
}

/// What one host says of each of `domains`, in order.
fn ask_host(uri: &str, domains: &[String], timeout: Duration) -> Vec<Result<Live, HvError>> {
    let hv = match hypervisor::connect(uri, timeout, timeout) {
        Ok(hv) => hv,
        Err(err) => return vec![Err(err); domains.len()],
    };
    let states = match hv.domains() {
        Ok(list) => list,
        Err(err) => return vec![Err(err); domains.len()],
    };
    let mut broken: Option<HvError> = None;
    domains
        .iter()
        .map(|domain| {
            if let Some(err) = &broken {
                return Err(err.clone());
            }
            let Some(info) = states.iter().find(|d| d.name == *domain) else {
                return Err(HvError::new(
                    HvErrorKind::NoDomain,
                    format!("domain `{domain}` not found on `{uri}`"),
                ));
            };
            let answer = hv.current_snapshot(domain).and_then(|current| {
                Ok(Live {
                    state: info.state,
                    current,
                    snapshots: hv.snapshots(domain)?,
                })
            });
            if let Err(err) = &answer {
                if matches!(err.kind, HvErrorKind::Unreachable | HvErrorKind::Timeout) {
                    broken = Some(err.clone());
                }
            }
            answer
        })
        .collect()
}

/// The virsh-like table, then one line per live error.
fn print_table(out: &mut dyn Write, entries: &[DomainJson]) -> Result<()> {
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
        table.add_row(vec![
            e.domain.clone(),
            e.host.clone(),
            e.owner.clone().unwrap_or_else(|| "-".to_string()),
            instances.join(", "),
            state.to_string(),
            current.to_string(),
            e.verdict.as_str().to_string(),
        ]);
    }
    output::print_table(out, &table)?;
    for e in entries {
        if let Some(error) = &e.live_error {
            writeln!(out, "{} ({}): {error}", e.domain, e.uri)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vm(name: &str, snapshot: &str, status: VmStatus) -> VmRow {
        VmRow {
            status,
            ..VmRow::new(name, "qemu:///system", "d", snapshot)
        }
    }

    fn live(state: DomainState, current: &str, snapshots: &[&str]) -> Result<Live, HvError> {
        Ok(Live {
            state,
            current: Some(current.to_string()),
            snapshots: snapshots.iter().map(|s| s.to_string()).collect(),
        })
    }

    fn judge(vms: &[VmRow], live: Option<&Result<Live, HvError>>) -> Verdict {
        let instances: Vec<Instance> = vms.iter().map(instance).collect();
        verdict(vms, &View::of(&instances), live)
    }

    #[test]
    fn verdicts_apply_in_their_order() {
        use DomainState::{Running, ShutOff};
        use VmStatus::{Dirty, Idle, Off};
        let both = [vm("a", "s1", Idle), vm("b", "s2", Dirty)];
        let down = Err(HvError::new(HvErrorKind::Timeout, "no answer"));
        let gone = Err(HvError::new(HvErrorKind::NoDomain, "no domain"));
        assert_eq!(judge(&both, Some(&down)), Verdict::Unreachable);
        assert_eq!(judge(&both, Some(&gone)), Verdict::Missing);
        // A missing snapshot comes before the conflict.
        let only_s1 = live(Running, "s1", &["s1"]);
        assert_eq!(judge(&both, Some(&only_s1)), Verdict::Missing);
        let fine = live(Running, "s2", &["s1", "s2"]);
        assert_eq!(judge(&both, Some(&fine)), Verdict::Conflict);
        assert_eq!(judge(&both, None), Verdict::Conflict);
        // Drift only while the owner claims to run its snapshot.
        let idle = [vm("a", "s1", Idle), vm("b", "s2", Off)];
        assert_eq!(judge(&idle, Some(&fine)), Verdict::Drift);
        let dirty = [vm("a", "s1", Dirty), vm("b", "s2", Off)];
        assert_eq!(judge(&dirty, Some(&fine)), Verdict::Ok);
        // Orphan: running while every instance is off; shut off, it is free.
        let off = [vm("a", "s1", Off), vm("b", "s2", Off)];
        assert_eq!(judge(&off, Some(&fine)), Verdict::Orphan);
        let stopped = live(ShutOff, "s2", &["s1", "s2"]);
        assert_eq!(judge(&off, Some(&stopped)), Verdict::Free);
        assert_eq!(judge(&off, None), Verdict::Free);
    }
}
