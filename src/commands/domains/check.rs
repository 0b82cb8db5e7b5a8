//! `vmsched domains check`: the verdicts of `domains show` as a monitoring probe. It follows
//! the monitoring-plugin conventions (Nagios, Icinga, Naemon...) instead of vmsched's exit
//! codes: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, and a summary line first on stdout,
//! then the details. A domain libvirt cannot be asked about is CRITICAL (`unreachable`): the
//! probe did its job. UNKNOWN is vmsched failing itself: bad arguments (`crate::run`), a
//! missing, unreadable or locked database, any other error of its own.

use super::report::{print_table, DomainJson};
use super::{entries, Verdict};
use crate::cli::DomainsCheckArgs;
use crate::model::one_line;
use crate::Ctx;
use anyhow::Result;
use std::io::Write;

/// A probe's state, in the conventions' order and with their exit codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Probe {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

impl Probe {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Probe::Ok => "OK",
            Probe::Warning => "WARNING",
            Probe::Critical => "CRITICAL",
            Probe::Unknown => "UNKNOWN",
        }
    }

    /// What a verdict means to a monitoring system: a domain running with no owner only
    /// wastes a host's resources; every other bad verdict can break tasks or hide a fault.
    fn of(verdict: Verdict) -> Probe {
        match verdict {
            Verdict::Ok | Verdict::Free => Probe::Ok,
            Verdict::Orphan => Probe::Warning,
            Verdict::Unreachable | Verdict::Missing | Verdict::Conflict | Verdict::Drift => {
                Probe::Critical
            }
        }
    }
}

/// The line vmsched prints when it fails itself, and its exit code.
pub(crate) fn unknown(out: &mut dyn Write, error: &str) -> u8 {
    let _ = writeln!(out, "UNKNOWN: {}", one_line(error));
    Probe::Unknown as u8
}

/// Runs the probe and returns its exit code; it never fails (a failure is UNKNOWN).
pub(super) fn check(ctx: &Ctx, args: &DomainsCheckArgs, out: &mut dyn Write) -> u8 {
    probe(ctx, args, out).unwrap_or_else(|err| unknown(out, &format!("{err:#}")))
}

fn probe(ctx: &Ctx, args: &DomainsCheckArgs, out: &mut dyn Write) -> Result<u8> {
    let entries = entries(ctx, args.host.as_deref(), args.domain.as_deref(), false)?;
    let (probe, line) = summary(&entries);
    writeln!(out, "{}: {line}", probe.word())?;
    if !ctx.out.quiet {
        print_table(out, &entries)?;
    }
    Ok(probe as u8)
}

/// The probe's state and its summary: how many domains have each bad verdict, worst first,
/// with their names, e.g. `1 of 4 domains drift: win10`.
fn summary(entries: &[DomainJson]) -> (Probe, String) {
    let total = entries.len();
    let bad = [
        Verdict::Unreachable,
        Verdict::Missing,
        Verdict::Conflict,
        Verdict::Drift,
        Verdict::Orphan,
    ];
    let mut parts = Vec::new();
    let mut probe = Probe::Ok;
    for verdict in bad {
        let names: Vec<&str> = entries
            .iter()
            .filter(|e| e.verdict == verdict)
            .map(|e| e.domain.as_str())
            .collect();
        if names.is_empty() {
            continue;
        }
        probe = probe.max(Probe::of(verdict));
        let count = if parts.is_empty() {
            format!("{} of {total} domains", names.len())
        } else {
            names.len().to_string()
        };
        parts.push(format!(
            "{count} {}: {}",
            verdict.as_str(),
            names.join(", ")
        ));
    }
    if parts.is_empty() {
        let line = match total {
            0 => "no domains".to_string(),
            1 => "1 domain ok or free".to_string(),
            n => format!("{n} domains ok or free"),
        };
        return (Probe::Ok, line);
    }
    (probe, parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_verdict_decides_the_state() {
        assert_eq!(Probe::of(Verdict::Free), Probe::Ok);
        assert_eq!(Probe::of(Verdict::Orphan), Probe::Warning);
        assert_eq!(
            Probe::Warning.max(Probe::of(Verdict::Drift)),
            Probe::Critical
        );
        assert_eq!(summary(&[]), (Probe::Ok, "no domains".to_string()));
    }
}
