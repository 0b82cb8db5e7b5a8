//! The libvirt implementation of [`Hypervisor`]: the only module that names the `virt` crate.
//!
//! libvirt calls can block forever (a hung daemon or host never answers), so each one runs in
//! its own thread and the caller stops waiting at a deadline. A thread that never comes back
//! keeps its reference to the connection: the connection is leaked, never closed under it.
//! A connection attempt that times out kills the `ssh` it started (`transport`), so nothing
//! of it outlives the attempt.

use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Once};
use std::thread;
use std::time::Duration;

use virt::connect::Connect;
use virt::domain::{Domain, DomainState as VirtState};
use virt::domain_snapshot::DomainSnapshot;
use virt::enumutil::Enum;
use virt::error::{Error, ErrorNumber};
use virt::sys;

use super::transport::{self, Transport};
use super::{DomainInfo, DomainState, HvError, HvErrorKind, Hypervisor};

/// The deadline of reverts and power-offs unless [`Libvirt::with_op_timeout`] says otherwise
/// (the default `revert_timeout` setting).
pub(crate) const DEFAULT_OP_TIMEOUT: Duration = Duration::from_secs(360);

static INIT: Once = Once::new();

/// One open connection to one libvirt URI.
pub struct Libvirt {
    conn: Arc<Conn>,
    timeout: Duration,
    op_timeout: Duration,
}

/// Owns a `Connect`: virt's own `Drop` panics when virConnectClose fails and may block on a
/// hung daemon, so this one closes under the deadline and ignores the result.
struct Conn {
    connect: ManuallyDrop<Connect>,
    uri: String,
    timeout: Duration,
}

impl Drop for Conn {
    fn drop(&mut self) {
        // SAFETY: `connect` is taken once, here, and never used again.
        let connect = unsafe { ManuallyDrop::take(&mut self.connect) };
        let _ = with_deadline(&self.uri, self.timeout, "close", move || {
            let connect = ManuallyDrop::new(connect);
            // SAFETY: releases the one reference `connect` owns; its `Drop` never runs.
            unsafe { sys::virConnectClose(connect.as_ptr()) };
            Ok(())
        });
    }
}

impl fmt::Debug for Libvirt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Libvirt")
            .field("uri", &self.conn.uri)
            .field("timeout", &self.timeout)
            .field("op_timeout", &self.op_timeout)
            .finish()
    }
}

impl Libvirt {
    /// Opens `uri` (virConnectOpen), waiting at most `timeout`; later read-only calls get the
    /// same deadline, reverts and power-offs get [`DEFAULT_OP_TIMEOUT`].
    pub(crate) fn connect(uri: &str, timeout: Duration) -> Result<Libvirt, HvError> {
        INIT.call_once(|| {
            if std::env::var_os("LIBVIRT_DEBUG").is_none() {
                std::env::set_var("LIBVIRT_DEBUG", "4");
            }
            virt::error::clear_error_callback();
        });
        // The children of this process before the attempt: those it starts are the others.
        let transport = Transport::of(uri).map(|t| (t, transport::children()));
        let owned = uri.to_string();
        let conn = with_deadline(uri, timeout, "connect", move || {
            match Connect::open(Some(&owned)) {
                Ok(connect) => Ok(Conn {
                    connect: ManuallyDrop::new(connect),
                    uri: owned,
                    timeout,
                }),
                // Whatever the reason, the caller cannot talk to this host.
                Err(err) => Err(HvError::new(HvErrorKind::Unreachable, err.message())),
            }
        })
        .inspect_err(|err| {
            if let (HvErrorKind::Timeout, Some((transport, before))) = (err.kind, &transport) {
                transport.kill_new(before);
            }
        })?;
        Ok(Libvirt {
            conn: Arc::new(conn),
            timeout,
            op_timeout: DEFAULT_OP_TIMEOUT,
        })
    }

    /// Sets the deadline of reverts and power-offs.
    pub(crate) fn with_op_timeout(mut self, op_timeout: Duration) -> Libvirt {
        self.op_timeout = op_timeout;
        self
    }

    /// Runs `work` on the connection in a thread, giving up after `limit`.
    fn call<T, F>(&self, limit: Duration, what: &str, work: F) -> Result<T, HvError>
    where
        T: Send + 'static,
        F: FnOnce(&Connect) -> Result<T, Error> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        with_deadline(&self.conn.uri, limit, what, move || {
            let connect: &Connect = &conn.connect;
            work(connect).map_err(|err| {
                let mut kind = kind_of(&err);
                // A broken remote connection reports "internal error: client socket is closed".
                if kind == HvErrorKind::Other && connect.is_alive() == Ok(false) {
                    kind = HvErrorKind::Unreachable;
                }
                HvError::new(kind, err.message())
            })
        })
    }

    /// Runs `work` on the named domain with the read-only deadline.
    fn read<T, F>(&self, domain: &str, what: &str, work: F) -> Result<T, HvError>
    where
        T: Send + 'static,
        F: FnOnce(&Domain) -> Result<T, Error> + Send + 'static,
    {
        let name = domain.to_string();
        self.call(self.timeout, what, move |conn| {
            work(&conn.lookup_domain_by_name(&name)?)
        })
    }
}

impl Hypervisor for Libvirt {
    fn domains(&self) -> Result<Vec<DomainInfo>, HvError> {
        let mut domains = self.call(self.timeout, "list domains", |conn| {
            conn.list_all_domains(0)?
                .iter()
                .map(|dom| {
                    Ok(DomainInfo {
                        name: dom.name()?,
                        state: state_of(dom)?,
                    })
                })
                .collect::<Result<Vec<_>, Error>>()
        })?;
        domains.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(domains)
    }

    fn domain_state(&self, domain: &str) -> Result<DomainState, HvError> {
        self.read(domain, &format!("state of `{domain}`"), state_of)
    }

    fn current_snapshot(&self, domain: &str) -> Result<Option<String>, HvError> {
        let what = format!("current snapshot of `{domain}`");
        self.read(domain, &what, |dom| match dom.current_snapshot(0) {
            Ok(snap) => snap.name().map(Some),
            Err(err) if err.code().is(ErrorNumber::NoDomainSnapshot) => Ok(None),
            Err(err) => Err(err),
        })
    }

    fn uuid(&self, domain: &str) -> Result<String, HvError> {
        self.read(domain, &format!("UUID of `{domain}`"), Domain::uuid_string)
    }

    fn snapshots(&self, domain: &str) -> Result<Vec<String>, HvError> {
        let what = format!("snapshots of `{domain}`");
        let mut names = self.read(domain, &what, |dom| {
            dom.list_all_snapshots(0)?
                .iter()
                .map(DomainSnapshot::name)
                .collect::<Result<Vec<_>, Error>>()
        })?;
        names.sort();
        Ok(names)
    }

    fn revert(&self, domain: &str, snapshot: &str) -> Result<(), HvError> {
        let what = format!("revert `{domain}` to `{snapshot}`");
        let (domain, snapshot) = (domain.to_string(), snapshot.to_string());
        self.call(self.op_timeout, &what, move |conn| {
            let dom = conn.lookup_domain_by_name(&domain)?;
            let snap = Domain::lookup_snapshot_by_name(&dom, &snapshot, 0)?;
            match snap.revert(sys::VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING) {
                Err(err) if kind_of(&err) == HvErrorKind::Other => {
                    destroy(&dom)?;
                    snap.revert(
                        sys::VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING
                            | sys::VIR_DOMAIN_SNAPSHOT_REVERT_FORCE,
                    )
                }
                result => result,
            }
        })
    }

    fn power_off(&self, domain: &str) -> Result<(), HvError> {
        let name = domain.to_string();
        self.call(
            self.op_timeout,
            &format!("power off `{domain}`"),
            move |conn| destroy(&conn.lookup_domain_by_name(&name)?),
        )
    }
}

/// Runs `work` in a new thread and waits for it at most `limit`; past that the thread is left
/// to finish (or hang) on its own and the caller gets a `Timeout` error naming `uri`.
pub(super) fn with_deadline<T, F>(
    uri: &str,
    limit: Duration,
    what: &str,
    work: F,
) -> Result<T, HvError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, HvError> + Send + 'static,
{
    let (tx, rx) = mpsc::sync_channel(1);
    thread::Builder::new()
        .name("libvirt".to_string())
        .spawn(move || {
            // The receiver is gone after a timeout: the result is then dropped here.
            let _ = tx.send(work());
        })
        .map_err(|err| HvError::new(HvErrorKind::Other, format!("{what}: {err}")))?;
    match rx.recv_timeout(limit) {
        Ok(result) => result,
        Err(RecvTimeoutError::Timeout) => Err(HvError::new(
            HvErrorKind::Timeout,
            format!(
                "{what}: no answer from `{uri}` within {} s",
                limit.as_secs_f64()
            ),
        )),
        Err(RecvTimeoutError::Disconnected) => Err(HvError::new(
            HvErrorKind::Other,
            format!("{what}: the libvirt call on `{uri}` panicked"),
        )),
    }
}

/// virDomainDestroy; a domain that is not running is fine.
fn destroy(dom: &Domain) -> Result<(), Error> {
    match dom.destroy() {
        Err(err) if err.code().is(ErrorNumber::OperationInvalid) && !dom.is_active()? => Ok(()),
        result => result,
    }
}

fn state_of(dom: &Domain) -> Result<DomainState, Error> {
    Ok(match dom.state()?.0 {
        Enum::Known(VirtState::Running) => DomainState::Running,
        Enum::Known(VirtState::Blocked) => DomainState::Blocked,
        Enum::Known(VirtState::Paused) => DomainState::Paused,
        Enum::Known(VirtState::Shutdown) => DomainState::ShuttingDown,
        Enum::Known(VirtState::Shutoff) => DomainState::ShutOff,
        Enum::Known(VirtState::Crashed) => DomainState::Crashed,
        Enum::Known(VirtState::PMSuspended) => DomainState::PmSuspended,
        Enum::Known(VirtState::NoState) | Enum::Unknown(_) => DomainState::NoState,
    })
}

fn kind_of(err: &Error) -> HvErrorKind {
    match err.code() {
        Enum::Known(ErrorNumber::NoDomain) => HvErrorKind::NoDomain,
        Enum::Known(ErrorNumber::NoDomainSnapshot) => HvErrorKind::NoSnapshot,
        Enum::Known(ErrorNumber::SystemError | ErrorNumber::NoConnect) => HvErrorKind::Unreachable,
        Enum::Known(ErrorNumber::OperationTimeout) => HvErrorKind::Timeout,
        _ => HvErrorKind::Other,
    }
}
