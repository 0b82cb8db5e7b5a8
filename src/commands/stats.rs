//! `vmsched stats`: what each VM and each host did over a period (docs/interfaces.md,
//! "Stats"), from the history's typed events, read in one read transaction.

use crate::cli::{Format, StatsArgs};
use crate::exit::bad_input;
use crate::model::{check_host_key, check_name, show_duration};
use crate::output;
use crate::stats::{Period, Summary, Tally, TASK_RESULTS};
use crate::store::stats::{self as reads, Completed};
use crate::store::{stored, vms, Conn, Mode};
use crate::Ctx;
use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

/// `stats --format json`.
#[derive(Serialize)]
struct Report {
    since: String,
    until: String,
    vms: Vec<VmStats>,
    hosts: Vec<HostStats>,
}

#[derive(Serialize)]
struct VmStats {
    vm: String,
    /// `None` for a VM removed since (its history stays).
    host: Option<String>,
    #[serde(flatten)]
    summary: Summary,
}

#[derive(Serialize)]
struct HostStats {
    host: String,
    vms: usize,
    #[serde(flatten)]
    summary: Summary,
}

/// Prints the stats of the VMs and hosts `args` selects over its period.
pub(crate) fn stats(ctx: &Ctx, args: &StatsArgs, out: &mut dyn Write) -> Result<()> {
    if let Some(vm) = &args.vm {
        check_name(vm).map_err(bad_input)?;
    }
    if let Some(host) = &args.host {
        check_host_key(host).map_err(bad_input)?;
    }
    let now = Utc::now();
    let since = super::since(&args.since)?;
    let store = ctx.open(Mode::Read)?;
    let report = store.read(|conn| gather(conn, args, since, now))?;
    if ctx.out.format == Format::Json {
        return output::json(out, &report);
    }
    print(out, &report)
}

/// Reads the period's events and every VM's starting status, and aggregates them.
fn gather(
    conn: &Conn,
    args: &StatsArgs,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Report> {
    let start = since.timestamp();
    let registered: BTreeMap<String, vms::VmRow> = vms::list(conn)?
        .into_iter()
        .map(|vm| (vm.name.clone(), vm))
        .collect();
    let host = |vm: &str| registered.get(vm).map(vms::VmRow::host);
    let selected = |vm: &str| {
        args.vm.as_deref().is_none_or(|v| v == vm)
            && args
                .host
                .as_ref()
                .is_none_or(|h| host(vm).as_ref() == Some(h))
    };
    // Each selected VM is tallied from its status before the period, else its first row's
    // old status; one whose history says nothing before nor during the period had its
    // current status all along.
    let mut period = Period::new(start);
    reads::events(conn, since, args.vm.as_deref(), |event| {
        for vm in [Some(&event.vm), event.for_vm.as_ref()]
            .into_iter()
            .flatten()
        {
            if selected(vm) && !period.has(vm) {
                period.begin(vm, reads::status_before(conn, vm, since)?.as_deref());
            }
        }
        period.add(&event);
        Ok(())
    })?;
    for (vm, row) in &registered {
        if selected(vm) && !period.has(vm) {
            let status = reads::status_before(conn, vm, since)?;
            period.begin(vm, Some(status.as_deref().unwrap_or(row.status.as_str())));
        }
    }
    let mut hosts: BTreeMap<String, (usize, Tally, Option<Completed>)> = BTreeMap::new();
    let mut vm_stats = Vec::new();
    for (vm, tally) in &period.close(now.timestamp()) {
        let last = reads::last_completed(conn, vm)?;
        if let Some(key) = host(vm) {
            let (count, sum, latest) = hosts.entry(key).or_default();
            *count += 1;
            sum.merge(tally);
            if latest
                .as_ref()
                .is_none_or(|l| last.as_ref().is_some_and(|c| c.time > l.time))
            {
                latest.clone_from(&last);
            }
        }
        vm_stats.push(VmStats {
            vm: vm.clone(),
            host: host(vm),
            summary: tally.summary(last),
        });
    }
    Ok(Report {
        since: stored(since),
        until: stored(now),
        vms: vm_stats,
        hosts: hosts
            .into_iter()
            .map(|(host, (vms, tally, last))| HostStats {
                host,
                vms,
                summary: tally.summary(last),
            })
            .collect(),
    })
}

/// The VMs' table, then the hosts'.
fn print(out: &mut dyn Write, report: &Report) -> Result<()> {
    let columns = [
        "Reverts",
        "Median",
        "P95",
        "Tasks",
        "Errors",
        "Last completed",
        "Steals",
        "Sacrifices",
        "Time in status",
    ];
    let mut table = output::table([&["VM", "Host"][..], &columns].concat());
    for vm in &report.vms {
        let host = vm.host.clone().unwrap_or_else(|| "-".to_string());
        table.add_row([vec![vm.vm.clone(), host], cells(&vm.summary)].concat());
    }
    output::print_table(out, &table)?;
    writeln!(out)?;
    let mut table = output::table([&["Host", "VMs"][..], &columns].concat());
    for host in &report.hosts {
        let first = vec![host.host.clone(), host.vms.to_string()];
        table.add_row([first, cells(&host.summary)].concat());
    }
    output::print_table(out, &table)
}

/// A summary's cells in the tables' order.
fn cells(s: &Summary) -> Vec<String> {
    let seconds = |ms: Option<i64>| match ms {
        None => "-".to_string(),
        Some(ms) if ms < 1000 => format!("{ms}ms"),
        Some(ms) => format!("{:.1}s", ms as f64 / 1000.0),
    };
    let reverts = match s.reverts.failed {
        0 => s.reverts.count.to_string(),
        failed => format!("{} ({failed} failed)", s.reverts.count),
    };
    let listed = |words: Vec<String>| match words.is_empty() {
        true => "-".to_string(),
        false => words.join(", "),
    };
    let tasks = TASK_RESULTS
        .iter()
        .map(|w| (w, s.tasks.get(w).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .map(|(w, n)| format!("{w} {n}"));
    let mut times: Vec<(&&str, &u64)> = s.time_in_status.iter().filter(|(_, t)| **t > 0).collect();
    times.sort_by_key(|(_, t)| std::cmp::Reverse(**t));
    let times = times
        .into_iter()
        .map(|(w, t)| format!("{w} {}", show_duration(*t)));
    vec![
        reverts,
        seconds(s.reverts.median_ms),
        seconds(s.reverts.p95_ms),
        listed(tasks.collect()),
        format!("{}/{}", s.error_streak.current, s.error_streak.longest),
        output::local(s.last_completed.as_ref().map(|c| c.time)),
        format!("{}/{}", s.steals.lost, s.steals.won),
        format!("{}/{}", s.sacrifices.lost, s.sacrifices.won),
        listed(times.collect()),
    ]
}
