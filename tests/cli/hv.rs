//! Real libvirt for the end-to-end, crash and soak tests: the test driver through the daemon
//! (`test+unix:///default`) or QEMU (`qemu:///system`), tiny domains with unique names that are
//! removed on drop, and `virsh`. Tests only detect a hypervisor (`scripts/test.sh` starts it);
//! when there is none they print a `SKIP` line on stderr and pass, or fail under `CI=true`.
//! Domain names carry the run's name (`VMSCHED_TEST_RUN`, set by `scripts/test.sh`), so that
//! the run removes its own leftovers and nobody else's.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;
use vmsched::hypervisor::{self, Libvirt};

/// The test driver through the daemon: state shared by every process while a connection stays
/// open.
pub const TEST_URI: &str = "test+unix:///default";
/// Real QEMU.
pub const QEMU_URI: &str = "qemu:///system";

/// Creates and removes real QEMU domains.
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/qemu-test-domain.sh");

/// An open connection to a hypervisor, held for a test's duration (the daemon's test driver
/// forgets its domains when its last connection closes).
pub struct RealLibvirt {
    pub uri: &'static str,
    _conn: Libvirt,
}

impl RealLibvirt {
    /// The test driver through the daemon, or `None` after a `SKIP` line naming `test` (a
    /// panic under `CI=true`).
    pub fn test_driver(test: &str) -> Option<RealLibvirt> {
        RealLibvirt::connect(TEST_URI, test)
    }

    /// QEMU through `qemu:///system` when it answers and its emulator exists, else `None` after
    /// a `SKIP` line naming `test` (a panic under `CI=true`).
    pub fn qemu(test: &str) -> Option<RealLibvirt> {
        const EMULATOR: &str = "/usr/bin/qemu-system-x86_64";
        if !std::path::Path::new(EMULATOR).exists() {
            return unavailable(test, &format!("no {EMULATOR}"));
        }
        RealLibvirt::connect(QEMU_URI, test)
    }

    fn connect(uri: &'static str, test: &str) -> Option<RealLibvirt> {
        let timeout = Duration::from_secs(5);
        match hypervisor::connect(uri, timeout, timeout) {
            Ok(conn) => Some(RealLibvirt { uri, _conn: conn }),
            Err(err) => unavailable(
                test,
                &format!("{uri} does not answer ({err}); run scripts/test.sh"),
            ),
        }
    }

    /// Creates a domain named `vmsched-<run>-<test>-<pid>-<what>` with these snapshots, shut
    /// off.
    pub fn domain(&self, test: &str, what: &str, snapshots: &[&str]) -> Domain {
        let domain = self.running_domain(test, what, snapshots);
        domain.virsh(&["destroy", &domain.name]);
        domain
    }

    /// The same domain left running, its last snapshot current.
    pub fn running_domain(&self, test: &str, what: &str, snapshots: &[&str]) -> Domain {
        let name = format!("vmsched-{}-{test}-{}-{what}", run(), std::process::id());
        Domain::create(self.uri, &name, snapshots)
    }
}

/// The run's name: `VMSCHED_TEST_RUN` (`run` then lower-case letters and digits, as
/// `scripts/test.sh` makes it), or `test` outside such a run (a name no run's clean-up takes).
fn run() -> String {
    std::env::var("VMSCHED_TEST_RUN")
        .ok()
        .filter(|run| {
            run.strip_prefix("run").is_some_and(|id| {
                !id.is_empty()
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
        })
        .unwrap_or_else(|| "test".to_string())
}

/// No hypervisor for `test`: under `CI=true` the test fails with `why`; elsewhere it says on
/// stderr that it is skipped and why, past libtest's capture (`eprintln!` output of a passing
/// test is never shown), and passes.
pub fn unavailable(test: &str, why: &str) -> Option<RealLibvirt> {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{test}: {why} (CI=true: a hypervisor is required)");
    }
    let _ = writeln!(std::io::stderr(), "SKIP {test}: {why}");
    None
}

/// Runs `virsh -q -c URI ARGS`; stdout on success, stderr on failure.
pub fn virsh(uri: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new("virsh")
        .args(["-q", "-c", uri])
        .args(args)
        .env("LIBVIRT_DEBUG", "4")
        .output()
        .map_err(|e| format!("cannot run virsh: {e}"))?;
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
    if out.status.success() {
        Ok(text(&out.stdout))
    } else {
        Err(text(&out.stderr))
    }
}

/// A tiny domain that exists while this value lives: defined, started and snapshotted in
/// order; destroyed and undefined (with its snapshots) on drop.
pub struct Domain {
    pub uri: String,
    pub name: String,
}

impl Domain {
    fn create(uri: &str, name: &str, snapshots: &[&str]) -> Domain {
        let domain = Domain {
            uri: uri.to_string(),
            name: name.to_string(),
        };
        if uri.starts_with("qemu") {
            let status = Command::new(SCRIPT)
                .args(["create", name])
                .args(snapshots)
                .env("VMSCHED_TEST_QEMU_URI", uri)
                .status()
                .expect("run qemu-test-domain.sh");
            assert!(status.success(), "qemu-test-domain.sh create {name} failed");
        } else {
            let xml = format!(
                "<domain type='test'><name>{name}</name><memory unit='MiB'>48</memory>\
                 <vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>"
            );
            let mut define = Command::new("virsh")
                .args(["-q", "-c", uri, "define", "/dev/stdin"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()
                .expect("run virsh define");
            define
                .stdin
                .take()
                .unwrap()
                .write_all(xml.as_bytes())
                .unwrap();
            assert!(define.wait().unwrap().success(), "virsh define {name}");
            domain.virsh(&["start", name]);
            for snapshot in snapshots {
                domain.virsh(&["snapshot-create-as", name, snapshot]);
            }
        }
        domain
    }

    /// `virsh ARGS` on this domain's URI; panics with virsh's message on failure.
    pub fn virsh(&self, args: &[&str]) -> String {
        virsh(&self.uri, args).unwrap_or_else(|e| panic!("virsh {}: {e}", args.join(" ")))
    }

    /// What `virsh domstate` says, e.g. `shut off`.
    pub fn state(&self) -> String {
        self.virsh(&["domstate", &self.name])
    }

    /// The current snapshot's name.
    pub fn current_snapshot(&self) -> String {
        self.virsh(&["snapshot-current", "--name", &self.name])
    }
}

impl Drop for Domain {
    fn drop(&mut self) {
        if self.uri.starts_with("qemu") {
            let _ = Command::new(SCRIPT)
                .args(["remove", &self.name])
                .env("VMSCHED_TEST_QEMU_URI", &self.uri)
                .status();
        } else {
            let _ = virsh(&self.uri, &["destroy", &self.name]);
            let _ = virsh(&self.uri, &["undefine", &self.name, "--snapshots-metadata"]);
        }
    }
}
