//! What libvirt says of the domains: every host asked in parallel, each within `--timeout`,
//! a host that fails giving its error to all its domains.

use super::Key;
use crate::hypervisor::{self, DomainState, HvError, HvErrorKind, Hypervisor};
use std::collections::BTreeMap;
use std::time::Duration;

/// What libvirt says of one domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Live {
    pub(crate) state: DomainState,
    pub(crate) current: Option<String>,
    pub(crate) snapshots: Vec<String>,
}

/// Asks every host about its domains, one thread per URI, each within `timeout` per call.
/// A host that fails to connect or stops answering gives its error to all its domains, as
/// does a URI that runs a program it names while `allow_ext` (`allow_ext_uris`) is false.
pub(super) fn fetch<'a>(
    keys: impl Iterator<Item = &'a Key>,
    timeout: Duration,
    allow_ext: bool,
) -> BTreeMap<Key, Result<Live, HvError>> {
    let mut by_uri: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (uri, domain) in keys {
        by_uri.entry(uri.clone()).or_default().push(domain.clone());
    }
    let threads: Vec<_> = by_uri
        .into_iter()
        .map(|(uri, domains)| {
            std::thread::spawn(move || {
                let answers = ask_host(&uri, &domains, timeout, allow_ext);
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
fn ask_host(
    uri: &str,
    domains: &[String],
    timeout: Duration,
    allow_ext: bool,
) -> Vec<Result<Live, HvError>> {
    let connected = hypervisor::allowed(uri, allow_ext)
        .and_then(|()| hypervisor::connect(uri, timeout, timeout));
    let hv = match connected {
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
