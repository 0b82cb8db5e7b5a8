//! The `ssh` process behind a `+ssh` URI. libvirt runs the transport's program as a child of
//! this process and talks to the remote daemon through it; when the host accepts TCP and never
//! answers, the connection attempt blocks forever and so does that child. The attempt's thread
//! is abandoned at its deadline, but the child must not outlive it: killing it also ends the
//! attempt (libvirt reads end-of-file, fails the open and reaps the child).

use super::{HvError, HvErrorKind};
use crate::process::{self, Proc};
use std::collections::HashSet;

/// The transport program a URI makes libvirt start, and the host it names.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Transport {
    program: String,
    host: String,
}

impl Transport {
    /// The program (`ssh`, or the URI's `command=`) and host of an `ssh` transport; `None`
    /// for every other transport, which starts no process of its own (a session daemon that
    /// libvirt autostarts for `qemu:///session` is not ours to kill).
    pub(super) fn of(uri: &str) -> Option<Transport> {
        let url = url::Url::parse(uri).ok()?;
        if url.scheme().rsplit_once('+')?.1 != "ssh" {
            return None;
        }
        let host = url.host_str()?.trim_matches(['[', ']']).to_string();
        let program = url
            .query_pairs()
            .find(|(key, _)| key == "command")
            .map_or_else(|| "ssh".to_string(), |(_, value)| value.into_owned());
        Some(Transport { program, host })
    }

    /// Kills the children of this process that are this transport's program run for this
    /// host and were not among `before` (this process's children when the attempt began).
    /// Another attempt to the same host at the same moment may lose its child too; it would
    /// wait on the same silent host.
    pub(super) fn kill_new(&self, before: &HashSet<Proc>) {
        for child in process::children() {
            if !before.contains(&child) && self.is_ours(&child.args()) {
                child.kill();
            }
        }
    }

    /// Whether an argument vector runs this program (by file name) for this host.
    fn is_ours(&self, args: &[String]) -> bool {
        let name = |path: &str| path.rsplit('/').next().unwrap_or_default().to_string();
        args.first()
            .is_some_and(|first| name(first) == name(&self.program))
            && args[1..].iter().any(|a| a.eq_ignore_ascii_case(&self.host))
    }
}

/// Whether connecting to `uri` makes libvirt run a local program that the URI itself names:
/// the `ext` transport's `command=` (or one given to `ssh`). Such a URI is connected to only
/// to do the work it was registered for, never merely to check it: whoever wrote it (in an
/// inventory, say) chose the program; and it is registered only when the setting
/// `allow_ext_uris` allows it. libvirt compares transports and parameter names without case
/// (the URL parser lowers the scheme).
pub(crate) fn runs_named_program(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|url| {
        url.scheme()
            .rsplit_once('+')
            .is_some_and(|(_, t)| t == "ext")
            || url
                .query_pairs()
                .any(|(key, _)| key.eq_ignore_ascii_case("command"))
    })
}

/// Refuses to connect to a URI that runs a program it names unless `allow_ext_uris` (the
/// setting, given as `allow`) is true: one registered before the setting existed, or while it
/// was true, must not run its program for whoever connects next.
pub(crate) fn allowed(uri: &str, allow: bool) -> Result<(), HvError> {
    if allow || !runs_named_program(uri) {
        return Ok(());
    }
    Err(HvError::new(
        HvErrorKind::Other,
        format!("`{uri}` makes libvirt run a program it names, and `allow_ext_uris` is false"),
    ))
}

/// This process's children now, to tell those an attempt starts from those it found.
pub(super) fn children() -> HashSet<Proc> {
    process::children().into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn only_ssh_transports_start_a_program() {
        let ssh = Transport::of("qemu+ssh://root@H1:2222/system?no_tty=1").unwrap();
        assert_eq!(
            ssh,
            Transport {
                program: "ssh".to_string(),
                host: "H1".to_string()
            }
        );
        let custom = Transport::of("qemu+ssh://h1/system?command=/opt/bin/myssh").unwrap();
        assert_eq!(custom.program, "/opt/bin/myssh");
        for uri in [
            "qemu:///system",
            "qemu:///session",
            "qemu+tcp://h1/system",
            "qemu+libssh2://h1/system",
            "test:///default",
        ] {
            assert_eq!(Transport::of(uri), None, "{uri}");
        }
    }

    #[test]
    fn ext_and_command_run_a_program_the_uri_names() {
        for uri in [
            "qemu+ext:///system?command=/opt/bin/connect",
            "test+ext:///default",
            "qemu+ssh://h1/system?command=/opt/bin/myssh",
            "QEMU+EXT:///system",
            "qemu+ssh://h1/system?Command=%2Fopt%2Fbin%2Fmyssh",
        ] {
            assert!(runs_named_program(uri), "{uri}");
        }
        for uri in [
            "qemu:///system",
            "qemu+ssh://root@h1/system?no_tty=1",
            "qemu+unix:///system?socket=/tmp/s",
            "test:///default",
            "nonsense",
        ] {
            assert!(!runs_named_program(uri), "{uri}");
        }
    }

    #[test]
    fn the_program_must_name_the_host() {
        let ssh = Transport::of("qemu+ssh://h1:2222/system").unwrap();
        assert!(ssh.is_ours(&args("ssh -p 2222 -T -- h1 sh -c nc")));
        assert!(ssh.is_ours(&args("/usr/bin/ssh -- H1 sh")));
        assert!(!ssh.is_ours(&args("ssh -- h2 sh -c nc")));
        assert!(!ssh.is_ours(&args("virtqemud --timeout=120 h1")));
        assert!(!ssh.is_ours(&[]));
    }
}
