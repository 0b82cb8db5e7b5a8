//! What libvirt says of the domains: every host asked in parallel, each within `--timeout`,
//! a host that fails giving its error to all its domains.

use super::Key;
use crate::hypervisor::{self, DomainState, HvError, HvErrorKind, Hypervisor};
use std::collections::BTreeMap;
use std::thread::JoinHandle;
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
            let keys: Vec<Key> = domains.iter().map(|d| (uri.clone(), d.clone())).collect();
            let thread = std::thread::spawn(move || ask_host(&uri, &domains, timeout, allow_ext));
            (keys, thread)
        })
        .collect();
    threads
        .into_iter()
        .flat_map(|(keys, thread)| joined(keys, thread))
        .collect()
}

/// Pairs each of one host's `keys` with its thread's answer. A thread that panicked gives
/// every one of them an unreachable-host error, so a check can never pass for lack of data.
fn joined(
    keys: Vec<Key>,
    thread: JoinHandle<Vec<Result<Live, HvError>>>,
) -> Vec<(Key, Result<Live, HvError>)> {
    let answers = thread.join().unwrap_or_else(|_| {
        let uri = keys.first().map_or("", |(uri, _)| uri.as_str());
        let err = HvError::new(
            HvErrorKind::Unreachable,
            format!("the check of `{uri}` failed: its thread panicked"),
        );
        vec![Err(err); keys.len()]
    });
    keys.into_iter().zip(answers).collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicked_host_thread_is_an_error_for_each_of_its_domains() {
        let keys: Vec<Key> = ["a", "b"]
            .map(|d| ("test:///x".to_string(), d.to_string()))
            .to_vec();
        let thread = std::thread::spawn(|| -> Vec<Result<Live, HvError>> { panic!("boom") });
        let answers = joined(keys.clone(), thread);
        assert_eq!(answers.len(), 2);
        for ((key, answer), want) in answers.into_iter().zip(keys) {
            assert_eq!(key, want);
            let err = answer.unwrap_err();
            assert_eq!(err.kind, HvErrorKind::Unreachable);
            assert!(
                err.message.contains("the check of `test:///x` failed"),
                "{err:?}"
            );
        }
    }

    #[test]
    fn a_finished_host_thread_gives_its_answers_in_order() {
        let keys: Vec<Key> = vec![("u".into(), "a".into()), ("u".into(), "b".into())];
        let thread = std::thread::spawn(|| {
            vec![
                Err(HvError::new(HvErrorKind::NoDomain, "no a")),
                Err(HvError::new(HvErrorKind::Timeout, "no b")),
            ]
        });
        let kinds: Vec<_> = joined(keys, thread)
            .into_iter()
            .map(|(key, answer)| (key.1, answer.unwrap_err().kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("a".to_string(), HvErrorKind::NoDomain),
                ("b".to_string(), HvErrorKind::Timeout)
            ]
        );
    }
}
