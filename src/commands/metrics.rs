//! `vmsched metrics`: the lab's gauges and the reverts' durations in Prometheus's text
//! exposition format (version 0.0.4), read in one read transaction, printed or written
//! atomically for node_exporter's textfile collector (docs/interfaces.md, "Metrics").

use crate::cli::MetricsArgs;
use crate::exit::bad_input;
use crate::model::VmStatus;
use crate::stats::Histogram;
use crate::store::stats as reads;
use crate::store::{history, last_pass, vms, Conn, Mode};
use crate::Ctx;
use anyhow::{Context, Result};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;

/// Upper bounds of the revert duration histogram, in seconds: a revert takes from seconds
/// (the test driver, a small guest) to minutes (`revert_timeout` is 360 s by default, at
/// most a day).
const REVERT_BUCKETS: [f64; 11] = [
    1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 86400.0,
];

/// Prints the metrics, or writes them to `--textfile`.
pub(crate) fn metrics(ctx: &Ctx, args: &MetricsArgs, out: &mut dyn Write) -> Result<()> {
    let store = ctx.open(Mode::Read)?;
    let text = store.read(exposition)?;
    match &args.textfile {
        Some(path) => write_atomically(path, &text),
        None => Ok(out.write_all(text.as_bytes())?),
    }
}

/// Exposition text being written: metric families, each with its HELP and TYPE lines.
#[derive(Default)]
struct Text(String);

impl Text {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', r"\\").replace('\n', r"\n");
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        let _ = write!(self.0, "{name}");
        for (i, (label, v)) in labels.iter().enumerate() {
            let open = if i == 0 { "{" } else { "," };
            let _ = write!(self.0, "{open}{label}=\"{}\"", escape_label(v));
        }
        let close = if labels.is_empty() { "" } else { "}" };
        let _ = writeln!(self.0, "{close} {value}");
    }
}

/// A label value as the format quotes it: backslash, double quote and line feed escaped.
fn escape_label(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

/// A time in seconds since the epoch, with its fraction.
fn seconds(time: chrono::DateTime<chrono::Utc>) -> f64 {
    time.timestamp_millis() as f64 / 1000.0
}

/// The exposition text of every metric.
fn exposition(conn: &Conn) -> Result<String> {
    let mut text = Text::default();
    let vms = vms::list(conn)?;
    // Every status of every host, 0 included, so a status that empties reads 0.
    let mut by_host: BTreeMap<(String, VmStatus), u32> = BTreeMap::new();
    for vm in &vms {
        for status in VmStatus::ALL {
            by_host.entry((vm.host(), *status)).or_default();
        }
        *by_host.entry((vm.host(), vm.status)).or_default() += 1;
    }
    text.family(
        "vmsched_vms",
        "gauge",
        "VM instances by host key and status.",
    );
    for ((host, status), n) in by_host {
        let labels = [("host", host.as_str()), ("status", status.as_str())];
        text.sample("vmsched_vms", &labels, n);
    }

    let (runnable, queued, blocked) = history::last_counters(conn)?.unwrap_or_default();
    text.family(
        "vmsched_tasks",
        "gauge",
        "Tasks: runnable, queued and blocked as the last pass counted them, running now.",
    );
    let running = reads::running_tasks(conn)?;
    for (status, n) in [
        ("runnable", runnable),
        ("queued", queued),
        ("blocked", blocked),
        ("running", running),
    ] {
        text.sample("vmsched_tasks", &[("status", status)], n);
    }

    let pass = last_pass::get(conn)?;
    text.family(
        "vmsched_last_pass_timestamp_seconds",
        "gauge",
        "When the last scheduling pass started, in seconds since the epoch.",
    );
    if let Some(pass) = &pass {
        text.sample(
            "vmsched_last_pass_timestamp_seconds",
            &[],
            seconds(pass.started),
        );
    }
    text.family(
        "vmsched_pass_duration_seconds",
        "gauge",
        "How long the last scheduling pass took, from its start to the record of its workers.",
    );
    if let Some(pass) = &pass {
        let took = pass.duration_ms as f64 / 1000.0;
        text.sample("vmsched_pass_duration_seconds", &[], took);
    }

    let mut reverts = Histogram::new(&REVERT_BUCKETS);
    reads::revert_durations(conn, |ms| reverts.observe(ms as f64 / 1000.0))?;
    let name = "vmsched_revert_duration_seconds";
    text.family(
        name,
        "histogram",
        "Durations of the reverts the history records, ended well or not.",
    );
    let bucket = format!("{name}_bucket");
    for (le, n) in reverts.bounds.iter().zip(&reverts.cumulative) {
        text.sample(&bucket, &[("le", &le.to_string())], n);
    }
    text.sample(&bucket, &[("le", "+Inf")], reverts.count);
    text.sample(&format!("{name}_sum"), &[], reverts.sum);
    text.sample(&format!("{name}_count"), &[], reverts.count);

    let name = "vmsched_vm_last_success_timestamp_seconds";
    text.family(
        name,
        "gauge",
        "When the VM last completed a task, in seconds since the epoch (none: never).",
    );
    for vm in &vms {
        if let Some(done) = reads::last_completed(conn, &vm.name)? {
            text.sample(name, &[("vm", &vm.name)], seconds(done.time));
        }
    }
    Ok(text.0)
}

/// Writes `text` to `path` so that a reader sees the old file or the new one, never a part:
/// a temporary file `.NAME.tmp` beside it, then a rename. The temporary file is created
/// anew (never opened through a symbolic link, nor one left there, which is removed first),
/// with mode 0644 so node_exporter can read it; writers of one folder take turns on a lock
/// of the folder, so none removes another's temporary file.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    use nix::fcntl::{Flock, FlockArg};
    use std::os::unix::fs::OpenOptionsExt;
    let shown = path.display();
    let name = path
        .file_name()
        .ok_or_else(|| bad_input(format!("invalid --textfile `{shown}`: no file name")))?;
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = std::fs::File::open(folder).map_err(|e| {
        bad_input(format!(
            "cannot write `{shown}`: folder `{}`: {e}",
            folder.display()
        ))
    })?;
    let _turn = Flock::lock(dir, FlockArg::LockExclusive)
        .map_err(|(_, e)| anyhow::anyhow!("cannot lock folder `{}`: {e}", folder.display()))?;
    let temp = folder.join(format!(".{}.tmp", name.to_string_lossy()));
    let write = || -> std::io::Result<()> {
        match std::fs::remove_file(&temp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(&temp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    };
    write().with_context(|| format!("cannot write metrics to `{shown}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("w10"), "w10");
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let mut text = Text::default();
        text.sample("m", &[("a", "x\"y"), ("b", "z")], 1);
        text.sample("m", &[], 2.5);
        assert_eq!(text.0, "m{a=\"x\\\"y\",b=\"z\"} 1\nm 2.5\n");
    }
}
