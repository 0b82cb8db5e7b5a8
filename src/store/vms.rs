//! The `vms` table: VM instances, each read with its live operation, and their status changes
//! with the history entries that record them.

use super::deadline::Deadline;
use super::history::{self, Entry, Event};
use crate::exit;
use crate::model::{host_key, Child, OpKind, Role, VmState, VmStatus};
use anyhow::Result;
use rusqlite::types::Type;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::HashSet;
use std::str::FromStr;

/// A row of `vms`, plus the operation it names while that operation has not ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmRow {
    pub name: String,
    pub kind: String,
    pub role: Role,
    pub status: VmStatus,
    pub uri: String,
    pub domain: String,
    pub snapshot: String,
    /// Guest address handed to tasks.
    pub hostname: Option<String>,
    pub description: Option<String>,
    /// Consecutive operation failures.
    pub errors: u32,
    /// Readiness command (an argument vector) run after a revert.
    pub ready_cmd: Option<Vec<String>>,
    /// Last monitor check of an offline VM.
    pub last_check: Option<chrono::DateTime<chrono::Utc>>,
    /// The UUID libvirt gave for its domain when a registration checked it (`None`: not
    /// checked), to refuse a second spelling of the domain's URI.
    pub domain_uuid: Option<String>,
    /// The `operations` row of its child as recorded; it may have ended.
    pub operation: Option<i64>,
    /// That operation while its `ended` is NULL.
    pub live: Option<LiveOp>,
}

/// The worker currently recorded for a VM.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveOp {
    pub(crate) id: i64,
    pub(crate) kind: OpKind,
    /// NULL until the pass that started the worker fills it in.
    pub(crate) pid: Option<i64>,
    /// The process's start time (clock ticks since boot), to detect pid reuse.
    pub(crate) start_time: Option<i64>,
    pub(crate) deadline: Deadline,
}

impl LiveOp {
    /// Its worker as every reader but the pass judges it: alive while the recorded process
    /// runs (its pid exists and started when recorded) or is being started by a pass
    /// (`process::recorded_alive`), stuck past its deadline; a dead one is what the next pass
    /// clears.
    pub(crate) fn child(&self) -> Child {
        let process = match (self.pid, self.start_time) {
            (Some(pid), Some(start_time)) => Some(crate::process::Proc { pid, start_time }),
            _ => None,
        };
        self.deadline
            .verdict(crate::process::recorded_alive(process))
    }
}

impl VmRow {
    /// A new instance: `off`, kind `win64`, role `base`, no errors, nothing optional.
    pub fn new(name: &str, uri: &str, domain: &str, snapshot: &str) -> VmRow {
        VmRow {
            name: name.to_string(),
            kind: "win64".to_string(),
            role: Role::Base,
            status: VmStatus::Off,
            uri: uri.to_string(),
            domain: domain.to_string(),
            snapshot: snapshot.to_string(),
            hostname: None,
            description: None,
            errors: 0,
            ready_cmd: None,
            last_check: None,
            domain_uuid: None,
            operation: None,
            live: None,
        }
    }

    /// The host key of its URI (`?` for a URI that no longer parses, which add and import
    /// refuse, so only a hand-edited database has one).
    pub(crate) fn host(&self) -> String {
        host_key(&self.uri).unwrap_or_else(|_| "?".to_string())
    }

    /// Its worker's verdict as a reader judges it (`LiveOp::child`); `none` without one.
    pub(crate) fn child(&self) -> Child {
        self.live.as_ref().map_or(Child::None, LiveOp::child)
    }

    /// The row as the scheduling core sees it, with its worker judged as a reader judges it,
    /// so that a command asks the core what the next pass will make of it.
    pub(crate) fn to_vm_state(&self) -> VmState {
        VmState {
            name: self.name.clone(),
            kind: self.kind.clone(),
            role: self.role,
            status: self.status,
            uri: self.uri.clone(),
            domain: self.domain.clone(),
            snapshot: self.snapshot.clone(),
            child: self.child(),
            errors: self.errors,
            monitor_due: true,
        }
    }

    /// Whether `other` is another instance of the same domain key (uri, domain).
    pub(crate) fn is_sibling(&self, other: &VmRow) -> bool {
        self.name != other.name && self.uri == other.uri && self.domain == other.domain
    }
}

const SELECT: &str = "SELECT v.name, v.kind, v.role, v.status, v.uri, v.domain, v.snapshot,
        v.hostname, v.description, v.errors, v.ready_cmd, v.last_check, v.operation,
        v.domain_uuid, o.id, o.kind, o.pid, o.start_time, o.deadline, o.boot_deadline_ms
    FROM vms v LEFT JOIN operations o ON o.id = v.operation AND o.ended IS NULL";

/// Parses a stored status or role word; a bad one is a conversion error naming the column.
pub(super) fn word<T: FromStr<Err = String>>(r: &Row, i: usize) -> rusqlite::Result<T> {
    let text: String = r.get(i)?;
    text.parse()
        .map_err(|e: String| rusqlite::Error::FromSqlConversionFailure(i, Type::Text, e.into()))
}

fn from_row(r: &Row) -> rusqlite::Result<VmRow> {
    let ready_cmd: Option<String> = r.get(10)?;
    let ready_cmd = ready_cmd
        .map(|json| serde_json::from_str(&json))
        .transpose()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(10, Type::Text, e.into()))?;
    let live = match r.get::<_, Option<i64>>(14)? {
        Some(id) => Some(LiveOp {
            id,
            kind: word(r, 15)?,
            pid: r.get(16)?,
            start_time: r.get(17)?,
            deadline: Deadline {
                wall: super::time_at(r, 18)?,
                boot_ms: r.get(19)?,
            },
        }),
        None => None,
    };
    Ok(VmRow {
        name: r.get(0)?,
        kind: r.get(1)?,
        role: word(r, 2)?,
        status: word(r, 3)?,
        uri: r.get(4)?,
        domain: r.get(5)?,
        snapshot: r.get(6)?,
        hostname: r.get(7)?,
        description: r.get(8)?,
        errors: r.get(9)?,
        ready_cmd,
        last_check: super::opt_time_at(r, 11)?,
        domain_uuid: r.get(13)?,
        operation: r.get(12)?,
        live,
    })
}

/// The VM called `name`, if registered.
pub(crate) fn get(conn: &Connection, name: &str) -> Result<Option<VmRow>> {
    let sql = format!("{SELECT} WHERE v.name = ?1");
    Ok(conn.query_row(&sql, [name], from_row).optional()?)
}

/// The names of every VM, in one query: what a job is checked against.
pub(crate) fn names(conn: &Connection) -> Result<HashSet<String>> {
    let mut stmt = conn.prepare_cached("SELECT name FROM vms")?;
    let names = stmt.query_map([], |r| r.get(0))?;
    Ok(names.collect::<rusqlite::Result<_>>()?)
}

/// The VM called `name`; an unknown one is bad input (exit 2).
pub(crate) fn require(conn: &Connection, name: &str) -> Result<VmRow> {
    get(conn, name)?.ok_or_else(|| exit::bad_input(format!("unknown VM `{name}`")).into())
}

/// Every VM, by name.
pub(crate) fn list(conn: &Connection) -> Result<Vec<VmRow>> {
    let sql = format!("{SELECT} ORDER BY v.name");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every VM of a domain name, under any URI, by name (siblings and other spellings).
pub(crate) fn of_domain(conn: &Connection, domain: &str) -> Result<Vec<VmRow>> {
    let sql = format!("{SELECT} WHERE v.domain = ?1 ORDER BY v.name");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([domain], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every VM whose domain libvirt gave this UUID, by name.
pub(crate) fn of_uuid(conn: &Connection, uuid: &str) -> Result<Vec<VmRow>> {
    let sql = format!("{SELECT} WHERE v.domain_uuid = ?1 ORDER BY v.name");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map([uuid], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Writes every column of `vm` under its name: `insert` adds the row, `update` replaces it.
fn save(conn: &Connection, vm: &VmRow, sql: &str) -> Result<()> {
    let ready_cmd = vm
        .ready_cmd
        .as_ref()
        .map(serde_json::to_string)
        .transpose()?;
    conn.execute(
        sql,
        params![
            vm.name,
            vm.kind,
            vm.role.as_str(),
            vm.status.as_str(),
            vm.uri,
            vm.domain,
            vm.snapshot,
            vm.hostname,
            vm.description,
            vm.errors,
            ready_cmd,
            vm.last_check.map(super::stored),
            vm.operation,
            vm.domain_uuid
        ],
    )?;
    Ok(())
}

/// Adds a VM row (`live` is ignored: operations have their own table).
pub fn insert(conn: &Connection, vm: &VmRow) -> Result<()> {
    save(
        conn,
        vm,
        "INSERT INTO vms (name, kind, role, status, uri, domain, snapshot, hostname,
            description, errors, ready_cmd, last_check, operation, domain_uuid)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )
}

/// Replaces every column of the VM row called `vm.name` but its status and error count,
/// which change with `set_status` only.
pub(crate) fn update(conn: &Connection, vm: &VmRow) -> Result<()> {
    save(
        conn,
        vm,
        "UPDATE vms SET kind = ?2, role = ?3, uri = ?5, domain = ?6, snapshot = ?7,
            hostname = ?8, description = ?9, ready_cmd = ?11, last_check = ?12,
            operation = ?13, domain_uuid = ?14
         WHERE name = ?1",
    )
}

/// Deletes a VM row; its tasks and history keep its name.
pub(crate) fn delete(conn: &Connection, name: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM vms WHERE name = ?1")?
        .execute([name])?;
    Ok(())
}

/// Records that a monitor checked an offline VM now, so the next waits its interval.
pub(crate) fn set_last_check(conn: &Connection, name: &str) -> Result<()> {
    conn.prepare_cached("UPDATE vms SET last_check = ?1 WHERE name = ?2")?
        .execute(params![super::now(), name])?;
    Ok(())
}

/// How a status change changes the VM's error count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Errors {
    Keep,
    Reset,
    Add,
}

/// A VM's status change and the history entry that records it.
pub(crate) struct StatusChange<'a> {
    pub(crate) vm: &'a str,
    /// The VM's host key (`None` for a URI that no longer parses).
    pub(crate) host: Option<&'a str>,
    pub(crate) from: VmStatus,
    pub(crate) to: VmStatus,
    pub(crate) errors: Errors,
    /// What happened. It is a line for cron when it says so, and anyway when a failure puts
    /// the VM offline first in a streak or at max_errors (docs/rules.md §7).
    pub(crate) event: Event<'a>,
    pub(crate) user: &'a str,
    pub(crate) reason: Option<&'a str>,
}

/// Changes a VM's status and error count and records it in the history: the one way a
/// registered VM's status changes, so every writer words and counts alike.
pub(crate) fn set_status(conn: &Connection, change: &StatusChange) -> Result<()> {
    let sql = match change.errors {
        Errors::Keep => "UPDATE vms SET status = ?1 WHERE name = ?2 RETURNING errors",
        Errors::Reset => "UPDATE vms SET status = ?1, errors = 0 WHERE name = ?2 RETURNING errors",
        Errors::Add => {
            "UPDATE vms SET status = ?1, errors = MIN(errors + 1, 4294967295) WHERE name = ?2
             RETURNING errors"
        }
    };
    let errors: Option<u32> = conn
        .prepare_cached(sql)?
        .query_row(params![change.to.as_str(), change.vm], |r| r.get(0))
        .optional()?;
    let streak = match (errors, change.errors, change.to) {
        (Some(now), Errors::Add, VmStatus::Offline) => {
            now == 1 || now == super::settings::load(conn)?.max_errors
        }
        _ => false,
    };
    history::record(
        conn,
        &Entry {
            vm: Some(change.vm),
            host: change.host,
            old_status: Some(change.from.as_str()),
            new_status: Some(change.to.as_str()),
            reason: change.reason,
            ..Entry::new(
                change.user,
                change.event.clone().alert(change.event.alert || streak),
            )
        },
    )
}

/// Sets a VM's error count (a pass's classification decides it).
pub(crate) fn set_errors(conn: &Connection, name: &str, errors: u32) -> Result<()> {
    conn.prepare_cached("UPDATE vms SET errors = ?1 WHERE name = ?2")?
        .execute(params![errors, name])?;
    Ok(())
}

/// The latest history entry that took the VM offline (a revert, power-off, monitor or
/// readiness check that failed), as (time, detail): its last error.
pub(crate) fn last_failure(
    conn: &Connection,
    name: &str,
) -> Result<Option<(chrono::DateTime<chrono::Utc>, String)>> {
    Ok(conn
        .prepare_cached(
            "SELECT time, detail FROM history WHERE vm = ?1 AND new_status = 'offline'
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([name], |r| Ok((super::time_at(r, 0)?, r.get(1)?)))
        .optional()?)
}
