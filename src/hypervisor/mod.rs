//! The hypervisor adapter: what vmsched asks of a libvirt host, as a trait over plain types.

use std::fmt;

mod libvirt;
#[cfg(test)]
mod tests;
mod transport;

pub use libvirt::Libvirt;
pub(crate) use transport::{allowed, runs_named_program};

/// A domain and its state, as `virsh list --all` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DomainInfo {
    pub(crate) name: String,
    pub(crate) state: DomainState,
}

/// The state of a domain (libvirt's `virDomainState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum DomainState {
    NoState,
    Running,
    Blocked,
    Paused,
    ShuttingDown,
    ShutOff,
    Crashed,
    PmSuspended,
}

impl DomainState {
    /// The word `virsh domstate` prints for this state.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DomainState::NoState => "no state",
            DomainState::Running => "running",
            DomainState::Blocked => "idle",
            DomainState::Paused => "paused",
            DomainState::ShuttingDown => "in shutdown",
            DomainState::ShutOff => "shut off",
            DomainState::Crashed => "crashed",
            DomainState::PmSuspended => "pmsuspended",
        }
    }

    /// Whether the domain has a live hypervisor process (libvirt keeps a crashed domain
    /// active only when it is told to preserve it, and then it needs a power-off too).
    pub(crate) fn is_active(self) -> bool {
        !matches!(self, DomainState::NoState | DomainState::ShutOff)
    }
}

impl fmt::Display for DomainState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong, as far as a caller decides anything from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HvErrorKind {
    /// The host or its libvirt daemon cannot be reached (or the connection broke).
    Unreachable,
    /// No answer within the deadline, or libvirt gave up waiting for another job.
    Timeout,
    /// The domain does not exist.
    NoDomain,
    /// The snapshot does not exist (or the domain has no current snapshot).
    NoSnapshot,
    /// Any other libvirt error.
    Other,
}

/// A hypervisor error: its kind and one line of text (libvirt's own message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HvError {
    pub(crate) kind: HvErrorKind,
    pub(crate) message: String,
}

impl HvError {
    pub(crate) fn new(kind: HvErrorKind, message: impl Into<String>) -> HvError {
        let message = message.into();
        let message = message.trim().trim_end_matches('.').replace('\n', " ");
        HvError { kind, message }
    }
}

impl fmt::Display for HvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HvError {}

/// One hypervisor connection (one URI). Domains are named as libvirt names them.
pub(crate) trait Hypervisor {
    /// Every domain, active and inactive, with its state, sorted by name
    /// (virConnectListAllDomains, then virDomainGetState for each).
    fn domains(&self) -> Result<Vec<DomainInfo>, HvError>;

    /// The state of one domain (virDomainLookupByName, virDomainGetState).
    fn domain_state(&self, domain: &str) -> Result<DomainState, HvError>;

    /// The domain's current snapshot, `None` when it has none (virDomainSnapshotCurrent).
    fn current_snapshot(&self, domain: &str) -> Result<Option<String>, HvError>;

    /// The domain's UUID, as libvirt prints it (virDomainGetUUIDString): the same domain
    /// under any spelling of its host's URI.
    fn uuid(&self, domain: &str) -> Result<String, HvError>;

    /// The names of the domain's snapshots, sorted (virDomainListAllSnapshots).
    fn snapshots(&self, domain: &str) -> Result<Vec<String>, HvError>;

    /// Revert to the snapshot and leave the domain running (virDomainRevertToSnapshot with
    /// the RUNNING flag); when libvirt refuses, destroy the domain and retry once with FORCE.
    fn revert(&self, domain: &str, snapshot: &str) -> Result<(), HvError>;

    /// Power the domain off at once (virDomainDestroy); a domain already off is Ok.
    fn power_off(&self, domain: &str) -> Result<(), HvError>;
}

/// What libvirt shows of a domain whose current snapshot is not `snapshot` (its state and
/// current snapshot, in words); `None` when it is: the only case in which a VM instance may be
/// idle or run a task. The state alone does not decide: a snapshot taken of a domain that was
/// off leaves it off after a revert, and it is still that instance's state.
pub(crate) fn mismatch(
    hv: &impl Hypervisor,
    domain: &str,
    snapshot: &str,
) -> Result<Option<String>, HvError> {
    let current = hv.current_snapshot(domain)?;
    if current.as_deref() == Some(snapshot) {
        return Ok(None);
    }
    let state = hv.domain_state(domain)?;
    Ok(Some(format!(
        "domain `{domain}` is {state} with current snapshot {}",
        current.map_or("(none)".to_string(), |c| format!("`{c}`"))
    )))
}

/// Connects to a libvirt URI: `timeout` bounds connecting and read-only calls, `op_timeout`
/// reverts and power-offs.
pub fn connect(
    uri: &str,
    timeout: std::time::Duration,
    op_timeout: std::time::Duration,
) -> Result<Libvirt, HvError> {
    Ok(Libvirt::connect(uri, timeout)?.with_op_timeout(op_timeout))
}
