//! The history table: who changed what, when and why.

use super::now;
use crate::model::TaskKey;
use anyhow::Result;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use std::time::Duration;

/// What a history row records. Each kind has its own fields (`Event`); `detail` is the
/// sentence people read and nothing parses it. Stored as `as_str` (docs/interfaces.md,
/// "History").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A VM's status changed, nothing more to say.
    Status,
    /// A task started on the VM.
    Start,
    /// A task's attempt ended, or a queued task was canceled: `result` is the task's status
    /// after it (`queued` when it went back to the queue).
    Task,
    /// A revert ended: `result` `ok`, `failed` or `interrupted`, with its duration.
    Revert,
    /// The check of an offline VM ended.
    Monitor,
    /// The VM gave its domain up to `for_vm`.
    Steal,
    /// The VM was powered off so that `for_vm` could use its host.
    Sacrifice,
    /// A pass stopped the VM's stuck or leftover worker.
    Stop,
    /// An admin's change: VMs, host limits, settings, jobs canceled by hand, the VM an admin's
    /// revert or power-off holds.
    Admin,
    /// A pass's task counters, when they changed.
    Counters,
    /// A job was submitted (`job`; the real user and whom it was submitted for).
    Submit,
    /// The VM had work and completed no task for the `silence_alert` setting's time (a line
    /// for cron's mail, once until it completes one).
    Silence,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::Status => "status",
            Kind::Start => "start",
            Kind::Task => "task",
            Kind::Revert => "revert",
            Kind::Monitor => "monitor",
            Kind::Steal => "steal",
            Kind::Sacrifice => "sacrifice",
            Kind::Stop => "stop",
            Kind::Admin => "admin",
            Kind::Counters => "counters",
            Kind::Submit => "submit",
            Kind::Silence => "silence",
        }
    }
}

/// What happened, as a row stores it: the kind, the sentence, and the structured fields of
/// the kind (built with the methods below; the others stay empty).
#[derive(Clone, Debug)]
pub(crate) struct Event<'a> {
    pub(crate) kind: Kind,
    /// What happened in words, e.g. `dirty sacrifice for w10` or `off stolen by w10_fr`.
    pub(crate) detail: &'a str,
    pub(crate) task: Option<TaskKey>,
    /// The job of a row about a whole job (a submission); a task's row has it in `task`.
    pub(crate) job: Option<i64>,
    pub(crate) result: Option<&'a str>,
    pub(crate) for_vm: Option<&'a str>,
    pub(crate) duration_ms: Option<i64>,
    /// (runnable, queued, blocked).
    pub(crate) counters: Option<(u32, u32, u32)>,
    /// A line for cron's mail (docs/interfaces.md, "Cron").
    pub(crate) alert: bool,
}

impl<'a> Event<'a> {
    pub(crate) fn new(kind: Kind, detail: &'a str) -> Event<'a> {
        Event {
            kind,
            detail,
            task: None,
            job: None,
            result: None,
            for_vm: None,
            duration_ms: None,
            counters: None,
            alert: false,
        }
    }

    pub(crate) fn task(self, key: TaskKey) -> Self {
        Event {
            task: Some(key),
            ..self
        }
    }

    pub(crate) fn job(self, job: i64) -> Self {
        Event {
            job: Some(job),
            ..self
        }
    }

    pub(crate) fn result(self, result: &'a str) -> Self {
        Event {
            result: Some(result),
            ..self
        }
    }

    pub(crate) fn for_vm(self, vm: &'a str) -> Self {
        Event {
            for_vm: Some(vm),
            ..self
        }
    }

    pub(crate) fn duration(self, took: Duration) -> Self {
        Event {
            duration_ms: Some(i64::try_from(took.as_millis()).unwrap_or(i64::MAX)),
            ..self
        }
    }

    pub(crate) fn alert(self, alert: bool) -> Self {
        Event { alert, ..self }
    }
}

/// One history entry about to be written: who did it, to which VM or host, the VM's status
/// before and after, and the event.
#[derive(Clone, Debug)]
pub(crate) struct Entry<'a> {
    pub(crate) vm: Option<&'a str>,
    pub(crate) host: Option<&'a str>,
    pub(crate) old_status: Option<&'a str>,
    pub(crate) new_status: Option<&'a str>,
    /// The real user (`identity::real_user`, or the scheduler's name).
    pub(crate) user: &'a str,
    /// The user the action was declared for (`jobs submit --user`), when someone else.
    pub(crate) on_behalf_of: Option<&'a str>,
    pub(crate) reason: Option<&'a str>,
    pub(crate) event: Event<'a>,
}

impl<'a> Entry<'a> {
    /// An entry about no VM or host in particular; set the fields that apply.
    pub(crate) fn new(user: &'a str, event: Event<'a>) -> Entry<'a> {
        Entry {
            vm: None,
            host: None,
            old_status: None,
            new_status: None,
            user,
            on_behalf_of: None,
            reason: None,
            event,
        }
    }
}

/// Appends an entry, unless it repeats the VM's last one (same new status and detail).
pub(crate) fn record(conn: &Connection, entry: &Entry) -> Result<()> {
    let event = &entry.event;
    if let Some(vm) = entry.vm {
        let last: Option<(Option<String>, String)> = conn
            .prepare_cached(
                "SELECT new_status, detail FROM history WHERE vm = ?1 ORDER BY id DESC LIMIT 1",
            )?
            .query_row([vm], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if entry.old_status == entry.new_status
            && last
                .as_ref()
                .is_some_and(|(s, d)| s.as_deref() == entry.new_status && d == event.detail)
        {
            return Ok(());
        }
    }
    let task = event.task;
    let counters = event.counters;
    conn.prepare_cached(
        "INSERT INTO history (time, vm, host, old_status, new_status, detail, user, reason, alert,
                              kind, job, step, task, result, for_vm, duration_ms,
                              runnable, queued, blocked, on_behalf_of)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                 ?20)",
    )?
    .execute(params![
        now(),
        entry.vm,
        entry.host,
        entry.old_status,
        entry.new_status,
        event.detail,
        entry.user,
        entry.reason,
        event.alert,
        event.kind.as_str(),
        task.map(|t| t.job).or(event.job),
        task.map(|t| t.step),
        task.map(|t| t.task),
        event.result,
        event.for_vm,
        event.duration_ms,
        counters.map(|c| c.0),
        counters.map(|c| c.1),
        counters.map(|c| c.2),
        entry.on_behalf_of,
    ])?;
    Ok(())
}

/// Records a pass's task counters (`counters runnable R queued Q blocked B`) when they differ
/// from the last recorded ones.
pub(crate) fn record_counters(
    conn: &Connection,
    user: &str,
    counters: (u32, u32, u32),
) -> Result<()> {
    if last_counters(conn)? == Some(counters) {
        return Ok(());
    }
    let (runnable, queued, blocked) = counters;
    let detail = format!("counters runnable {runnable} queued {queued} blocked {blocked}");
    let event = Event {
        counters: Some(counters),
        ..Event::new(Kind::Counters, &detail)
    };
    record(conn, &Entry::new(user, event))
}

/// The last task counters a pass recorded: (runnable, queued, blocked).
pub(crate) fn last_counters(conn: &Connection) -> Result<Option<(u32, u32, u32)>> {
    Ok(conn
        .prepare_cached(
            "SELECT runnable, queued, blocked FROM history WHERE kind = 'counters'
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

/// A history detail naming who acted and why: `maintenance by alice: disk full`.
pub(crate) fn detail(what: &str, user: &str, reason: Option<&str>) -> String {
    match reason {
        Some(reason) => format!("{what} by {user}: {reason}"),
        None => format!("{what} by {user}"),
    }
}

/// The lines for cron's mail recorded since the last call (rows marked `alert`: tasks that
/// ended in `boterror` or did not start on a domain showing another snapshot, VMs that went
/// offline first in a streak of failures or reached max_errors, VMs silent for
/// `silence_alert`); remembers where it stopped (`alerts_reported`).
pub(crate) fn take_alerts(conn: &Connection) -> Result<Vec<String>> {
    let since: i64 = conn.query_row("SELECT history FROM alerts_reported", [], |r| r.get(0))?;
    let mut stmt =
        conn.prepare("SELECT vm, detail FROM history WHERE id > ?1 AND alert = 1 ORDER BY id")?;
    let lines = stmt
        .query_map([since], |r| {
            Ok(format!(
                "{}: {}",
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    conn.prepare_cached(
        "UPDATE alerts_reported SET history = max(history, (SELECT coalesce(max(id), 0) FROM history))",
    )?
    .execute([])?;
    Ok(lines)
}

/// One stored history entry, as `history --format json` prints it: the fields of every row,
/// then those of its kind (left out when empty).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Row {
    #[serde(serialize_with = "super::serialize_time")]
    pub(crate) time: chrono::DateTime<chrono::Utc>,
    pub(crate) kind: String,
    pub(crate) vm: Option<String>,
    pub(crate) host: Option<String>,
    #[serde(rename = "old")]
    pub(crate) old_status: Option<String>,
    #[serde(rename = "new")]
    pub(crate) new_status: Option<String>,
    pub(crate) detail: String,
    /// The real user who acted.
    pub(crate) user: String,
    /// The user the action was declared for, when someone else.
    pub(crate) on_behalf_of: Option<String>,
    pub(crate) reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) job: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) step: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) task: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) result: Option<String>,
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub(crate) for_vm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) duration_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) runnable: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) queued: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) blocked: Option<u32>,
}

/// The columns `Row` reads, in its order.
const ROW_COLUMNS: &str = "time, kind, vm, host, old_status, new_status, detail, user, reason, \
    job, step, task, result, for_vm, duration_ms, runnable, queued, blocked, on_behalf_of";

fn row(r: &rusqlite::Row) -> rusqlite::Result<Row> {
    Ok(Row {
        time: super::time_at(r, 0)?,
        kind: r.get(1)?,
        vm: r.get(2)?,
        host: r.get(3)?,
        old_status: r.get(4)?,
        new_status: r.get(5)?,
        detail: r.get(6)?,
        user: r.get(7)?,
        reason: r.get(8)?,
        job: r.get(9)?,
        step: r.get(10)?,
        task: r.get(11)?,
        result: r.get(12)?,
        for_vm: r.get(13)?,
        duration_ms: r.get(14)?,
        runnable: r.get(15)?,
        queued: r.get(16)?,
        blocked: r.get(17)?,
        on_behalf_of: r.get(18)?,
    })
}

/// Which entries `each` reads.
#[derive(Clone, Debug, Default)]
pub(crate) struct Query<'a> {
    pub(crate) vm: Option<&'a str>,
    /// Only entries at or after this time.
    pub(crate) since: Option<chrono::DateTime<chrono::Utc>>,
    /// Only the newest this many; `None` for all.
    pub(crate) limit: Option<u32>,
}

/// Calls `each` with the entries matching `query`, oldest first, as they are read (memory
/// does not grow with their number). Served by indexes: the newest `limit` are found by
/// walking back from the newest id (by VM, `history_vm`), the first row of `since` by
/// `history_time`.
pub(crate) fn each(
    conn: &Connection,
    query: &Query,
    mut each: impl FnMut(Row) -> Result<()>,
) -> Result<()> {
    let mut filter = String::from("1");
    let mut values: Vec<&str> = Vec::new();
    if let Some(vm) = query.vm {
        filter.push_str(" AND vm = ?");
        values.push(vm);
    }
    let since = query.since.map(super::stored);
    if let Some(since) = since.as_deref() {
        // The scan starts at the earliest row at or after the time (`history_time`): ids follow
        // time, so the rows after it are the ones to read (a clock stepped back may leave out
        // a row written just before the step).
        filter.push_str(
            " AND id >= (SELECT id FROM history WHERE time >= ? ORDER BY time, id LIMIT 1) \
             AND time >= ?",
        );
        values.extend([since, since]);
    }
    let Some(first) = super::newest_from(conn, "history", &filter, &values, query.limit)? else {
        return Ok(());
    };
    let mut stmt = conn.prepare(&format!(
        "SELECT {ROW_COLUMNS} FROM history WHERE {filter} AND id >= {first} ORDER BY id"
    ))?;
    let mut rows = stmt.query(rusqlite::params_from_iter(&values))?;
    while let Some(r) = rows.next()? {
        each(row(r)?)?;
    }
    Ok(())
}
