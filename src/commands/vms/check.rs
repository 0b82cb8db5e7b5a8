//! The libvirt check of `vms add|set|import`: the domain and the snapshot a VM names must
//! exist where its URI says, and the domain's UUID is learned, to refuse a second spelling of
//! its URI (`rules::check_uuid`). It runs before the transaction, so no libvirt call runs while
//! the database is held. A host that does not answer earns only a warning: a lab may well be
//! registered before its hosts are up.

use crate::exit::{bad_input, Exit};
use crate::hypervisor::{self, HvError, HvErrorKind, Hypervisor};
use crate::output::Output;
use crate::store::vms::VmRow;
use crate::Ctx;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// A domain key: (uri, domain).
type Key = (String, String);

/// What libvirt said of one domain.
enum Answer {
    /// It exists, with this UUID and these snapshots.
    Found {
        uuid: String,
        snapshots: Vec<String>,
    },
    /// It does not exist.
    Missing,
    /// It could not be asked, and why.
    Unchecked(String),
}

/// What a check learned: the UUID of each domain libvirt answered for, and a warning for each
/// host that left VMs unchecked.
#[derive(Default)]
pub(super) struct Checked {
    uuids: HashMap<Key, String>,
    warnings: Vec<String>,
}

impl Checked {
    /// `vm` with the UUID to store for its domain: the one the check learned, else the one
    /// `old` (the registered row) has while the domain key stays, else none.
    pub(super) fn stamp(&self, old: Option<&VmRow>, mut vm: VmRow) -> VmRow {
        let kept = old
            .filter(|old| (&old.uri, &old.domain) == (&vm.uri, &vm.domain))
            .and_then(|old| old.domain_uuid.clone());
        vm.domain_uuid = self
            .uuids
            .get(&(vm.uri.clone(), vm.domain.clone()))
            .cloned()
            .or(kept);
        vm
    }

    /// Prints the warnings, once the change they allowed is made: a refused command prints
    /// only its error.
    pub(super) fn warn(&self, out: &Output) {
        for warning in &self.warnings {
            out.warn(warning);
        }
    }
}

/// A VM the check refuses: its index among the checked VMs, the field at fault (`domain` or
/// `snapshot`) and the error (exit 2).
pub(super) struct Refusal {
    pub(crate) index: usize,
    pub(crate) field: &'static str,
    pub(crate) error: Exit,
}

/// Asks libvirt about the domain and snapshot of every VM: each (uri, domain) once, the hosts
/// in parallel, every call within the global `--timeout`. Refuses the first VM, in order, whose
/// domain or snapshot does not exist; the VMs that could not be checked are left to warnings.
pub(super) fn check(ctx: &Ctx, vms: &[VmRow]) -> Result<Checked, Refusal> {
    let mut wanted: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for vm in vms {
        let domains = wanted.entry(&vm.uri).or_default();
        if !domains.contains(&vm.domain.as_str()) {
            domains.push(&vm.domain);
        }
    }
    let answers: HashMap<Key, Answer> = std::thread::scope(|scope| {
        let hosts: Vec<_> = wanted
            .iter()
            .map(|(uri, domains)| scope.spawn(|| ask_host(uri, domains, ctx.timeout)))
            .collect();
        hosts
            .into_iter()
            .flat_map(|host| host.join().unwrap_or_default())
            .collect()
    });
    let mut checked = Checked::default();
    let mut unchecked: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for (index, vm) in vms.iter().enumerate() {
        let key = (vm.uri.clone(), vm.domain.clone());
        let refuse = |field, error| {
            Err(Refusal {
                index,
                field,
                error,
            })
        };
        let why = match answers.get(&key) {
            Some(Answer::Found { uuid, snapshots }) => {
                if !snapshots.contains(&vm.snapshot) {
                    let message = format!(
                        "VM `{}`: domain `{}` has no snapshot `{}` on `{}`",
                        vm.name, vm.domain, vm.snapshot, vm.uri
                    );
                    let hint = match snapshots.len() {
                        0 => "it has no snapshot; `--no-check` skips this check".to_string(),
                        _ => format!(
                            "its snapshots: {}; `--no-check` skips this check",
                            quoted(snapshots)
                        ),
                    };
                    return refuse("snapshot", bad_input(message).hint(hint));
                }
                checked.uuids.insert(key, uuid.clone());
                continue;
            }
            Some(Answer::Missing) => {
                let message = format!(
                    "VM `{}`: domain `{}` does not exist on `{}`",
                    vm.name, vm.domain, vm.uri
                );
                let hint = format!(
                    "`virsh -c {} list --all` lists its domains; `--no-check` skips this check",
                    vm.uri
                );
                return refuse("domain", bad_input(message).hint(hint));
            }
            Some(Answer::Unchecked(why)) => why.as_str(),
            None => "the check failed",
        };
        unchecked.entry((&vm.uri, why)).or_default().push(&vm.name);
    }
    for ((uri, why), names) in unchecked {
        let vms = if names.len() == 1 { "VM" } else { "VMs" };
        let names = quoted(&names);
        let warning = format!("{vms} {names} not checked with libvirt on `{uri}`: {why}");
        checked.warnings.push(warning);
    }
    Ok(checked)
}

/// What one host says of each of `domains`. A host that stops answering leaves the rest
/// unchecked rather than making each of them wait for the deadline again.
fn ask_host(uri: &str, domains: &[&str], timeout: Duration) -> Vec<(Key, Answer)> {
    let hv = if hypervisor::runs_named_program(uri) {
        Err("its transport runs a program the URI names".to_string())
    } else {
        hypervisor::connect(uri, timeout, timeout).map_err(|err| err.to_string())
    };
    let mut broken: Option<String> = None;
    domains
        .iter()
        .map(|domain| {
            let answer = match (&hv, &broken) {
                (Err(why), _) | (Ok(_), Some(why)) => Answer::Unchecked(why.clone()),
                (Ok(hv), None) => ask(hv, domain).unwrap_or_else(|err| {
                    if matches!(err.kind, HvErrorKind::Unreachable | HvErrorKind::Timeout) {
                        broken = Some(err.to_string());
                    }
                    Answer::Unchecked(err.to_string())
                }),
            };
            ((uri.to_string(), domain.to_string()), answer)
        })
        .collect()
}

/// What libvirt says of one domain.
fn ask(hv: &impl Hypervisor, domain: &str) -> Result<Answer, HvError> {
    match hv.uuid(domain) {
        Err(err) if err.kind == HvErrorKind::NoDomain => Ok(Answer::Missing),
        uuid => Ok(Answer::Found {
            uuid: uuid?,
            snapshots: hv.snapshots(domain)?,
        }),
    }
}

/// Names in backticks, the first five of them and how many more.
fn quoted(names: &[impl AsRef<str>]) -> String {
    let mut words: Vec<String> = names
        .iter()
        .take(5)
        .map(|n| format!("`{}`", n.as_ref()))
        .collect();
    if names.len() > 5 {
        words.push(format!("and {} more", names.len() - 5));
    }
    words.join(", ")
}
