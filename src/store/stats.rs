//! Reads for `vmsched stats`, `vmsched metrics` and the silence alert, all by the history's
//! typed fields (never its `detail`), each served by an index: the rows of a period
//! (`history_time`), a VM's latest row of a kind (`history_vm`, read backwards), a kind's
//! rows (`history_kind`).

use super::history::{self, Entry, Event as HistoryEvent, Kind};
use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

/// A history row about a VM, with the fields stats read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    /// Seconds since the epoch.
    pub(crate) time: i64,
    pub(crate) vm: String,
    pub(crate) kind: String,
    pub(crate) old_status: Option<String>,
    pub(crate) new_status: Option<String>,
    pub(crate) result: Option<String>,
    pub(crate) duration_ms: Option<i64>,
    pub(crate) for_vm: Option<String>,
}

/// Calls `each` with every row about a VM at or after `since`, oldest first
/// (by time, as the time index gives them, then as written), without holding them all; with
/// `vm`, only those about it or naming it as the VM a steal or sacrifice was for.
pub(crate) fn events(
    conn: &Connection,
    since: DateTime<Utc>,
    vm: Option<&str>,
    mut each: impl FnMut(Event) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT unixepoch(time), vm, kind, old_status, new_status, result, duration_ms, for_vm
         FROM history
         WHERE time >= ?1 AND vm IS NOT NULL AND (?2 IS NULL OR vm = ?2 OR for_vm = ?2)
         ORDER BY time, id",
    )?;
    let mut rows = stmt.query(params![super::stored(since), vm])?;
    while let Some(r) = rows.next()? {
        each(Event {
            time: r.get(0)?,
            vm: r.get(1)?,
            kind: r.get(2)?,
            old_status: r.get(3)?,
            new_status: r.get(4)?,
            result: r.get(5)?,
            duration_ms: r.get(6)?,
            for_vm: r.get(7)?,
        })?;
    }
    Ok(())
}

/// The VM's status just before `since`: the new status of its last row before then.
pub(crate) fn status_before(
    conn: &Connection,
    vm: &str,
    since: DateTime<Utc>,
) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT new_status FROM history
             WHERE vm = ?1 AND time < ?2 AND new_status IS NOT NULL ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![vm, super::stored(since)], |r| r.get(0))
        .optional()?)
}

/// A task that completed on a VM.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Completed {
    #[serde(serialize_with = "super::serialize_time")]
    pub(crate) time: chrono::DateTime<chrono::Utc>,
    pub(crate) job: Option<i64>,
    pub(crate) step: Option<u32>,
    pub(crate) task: Option<u32>,
    /// Its history row, to tell what came after it.
    #[serde(skip)]
    pub(crate) id: i64,
}

/// The last task that completed on the VM, whenever it was.
pub(crate) fn last_completed(conn: &Connection, vm: &str) -> Result<Option<Completed>> {
    Ok(conn
        .prepare_cached(
            "SELECT time, job, step, task, id FROM history
             WHERE vm = ?1 AND kind = 'task' AND result = 'completed' ORDER BY id DESC LIMIT 1",
        )?
        .query_row([vm], |r| {
            Ok(Completed {
                time: super::time_at(r, 0)?,
                job: r.get(1)?,
                step: r.get(2)?,
                task: r.get(3)?,
                id: r.get(4)?,
            })
        })
        .optional()?)
}

/// The number of tasks running now.
pub(crate) fn running_tasks(conn: &Connection) -> Result<u32> {
    Ok(conn.query_row(
        "SELECT count(*) FROM tasks WHERE status = 'running'",
        [],
        |r| r.get(0),
    )?)
}

/// Calls `each` with the duration (ms) of every revert recorded with one, without holding
/// them all.
pub(crate) fn revert_durations(conn: &Connection, mut each: impl FnMut(i64)) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT duration_ms FROM history WHERE kind = 'revert' AND duration_ms IS NOT NULL",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        each(row.get(0)?);
    }
    Ok(())
}

/// Records a `silence` alert (docs/interfaces.md, "Cron") for every enabled VM (role neither
/// retired nor deleted, not in maintenance) that has work (a queued or running task, or a
/// task started within `secs`), completed no task within `secs` and has been known for that
/// long, unless one was recorded since its last completed task. `secs` 0 records none.
/// Returns how many it recorded.
pub(crate) fn record_silences(conn: &Connection, user: &str, secs: u32) -> Result<usize> {
    if secs == 0 {
        return Ok(0);
    }
    let cutoff = super::stored(Utc::now() - chrono::TimeDelta::seconds(i64::from(secs)));
    let vms: Vec<String> = conn
        .prepare(
            "SELECT name FROM vms WHERE role NOT IN ('retired', 'deleted')
             AND status <> 'maintenance' ORDER BY name",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let latest = |vm: &str, kind: &str| -> Result<Option<(i64, String)>> {
        Ok(conn
            .prepare_cached(
                "SELECT id, time FROM history WHERE vm = ?1 AND kind = ?2 ORDER BY id DESC LIMIT 1",
            )?
            .query_row([vm, kind], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    };
    let mut recorded = 0;
    for vm in &vms {
        let done = last_completed(conn, vm)?;
        if done
            .as_ref()
            .is_some_and(|d| super::stored(d.time) >= cutoff)
        {
            continue;
        }
        let known_since: Option<String> = conn
            .prepare_cached("SELECT time FROM history WHERE vm = ?1 ORDER BY id LIMIT 1")?
            .query_row([vm], |r| r.get(0))
            .optional()?;
        if known_since.is_none_or(|t| t > cutoff) {
            continue;
        }
        let (waiting, running) = super::jobs::vm_work(conn, vm)?;
        let started = latest(vm, "start")?.is_some_and(|(_, time)| time >= cutoff);
        if waiting + running == 0 && !started {
            continue;
        }
        let done_id = done.as_ref().map_or(0, |d| d.id);
        if latest(vm, Kind::Silence.as_str())?.is_some_and(|(id, _)| id > done_id) {
            continue;
        }
        let last = done.map_or("never".to_string(), |d| format!("last {}", d.time));
        let detail = format!(
            "silent: no task completed for {} ({last})",
            crate::model::show_duration(u64::from(secs))
        );
        let entry = Entry {
            vm: Some(vm),
            ..Entry::new(user, HistoryEvent::new(Kind::Silence, &detail).alert(true))
        };
        history::record(conn, &entry)?;
        recorded += 1;
    }
    Ok(recorded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Role, VmStatus};
    use crate::store::vms::{self, VmRow};
    use crate::store::Store;

    /// A stored time `secs` ago.
    fn ago(secs: i64) -> String {
        (chrono::Utc::now() - chrono::TimeDelta::seconds(secs))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }

    /// The VMs that have a silence row, in order.
    fn silenced(store: &Store) -> Vec<String> {
        let mut stmt = store
            .conn()
            .prepare("SELECT vm FROM history WHERE kind = 'silence' AND alert = 1 ORDER BY id")
            .unwrap();
        let rows = stmt.query_map([], |r| r.get(0)).unwrap();
        rows.map(Result::unwrap).collect()
    }

    #[test]
    fn silent_vms_are_those_enabled_with_work_and_no_completion_for_long_enough() {
        let mut store = Store::scratch().unwrap();
        let hour = 3600;
        // (VM, role, status, added, queued task, last start, last completion), times ago.
        let lab = [
            ("w1", Role::Base, VmStatus::Off, 9 * hour, true, None, None),
            (
                "w2",
                Role::Base,
                VmStatus::Maintenance,
                9 * hour,
                true,
                None,
                None,
            ),
            (
                "w3",
                Role::Retired,
                VmStatus::Off,
                9 * hour,
                true,
                None,
                None,
            ),
            (
                "w4",
                Role::Base,
                VmStatus::Off,
                9 * hour,
                false,
                Some(2 * hour),
                None,
            ),
            ("w5", Role::Base, VmStatus::Off, 600, true, None, None),
            (
                "w6",
                Role::Base,
                VmStatus::Dirty,
                9 * hour,
                false,
                Some(600),
                Some(2 * hour),
            ),
            (
                "w7",
                Role::Winetest,
                VmStatus::Idle,
                9 * hour,
                true,
                Some(900),
                Some(600),
            ),
        ];
        store
            .write(|tx| {
                tx.execute_batch(
                    "INSERT INTO jobs (id, user, submitted) VALUES (1, 'tester', '2030-01-01T00:00:00Z');
                     INSERT INTO steps (job, no, command) VALUES (1, 1, '[\"true\"]');",
                )?;
                for (no, (vm, role, status, added, queued, start, done)) in lab.iter().enumerate() {
                    let row = VmRow {
                        role: *role,
                        status: *status,
                        ..VmRow::new(vm, "qemu:///system", vm, "s")
                    };
                    vms::insert(tx, &row)?;
                    let insert = "INSERT INTO history (time, vm, detail, user, kind, result)
                                  VALUES (?1, ?2, 'x', 'tester', ?3, ?4)";
                    tx.execute(insert, params![ago(*added), vm, "admin", None::<&str>])?;
                    if let Some(start) = start {
                        tx.execute(insert, params![ago(*start), vm, "start", None::<&str>])?;
                    }
                    if let Some(done) = done {
                        tx.execute(insert, params![ago(*done), vm, "task", "completed"])?;
                    }
                    if *queued {
                        tx.execute(
                            "INSERT INTO tasks (job, step, no, vm) VALUES (1, 1, ?1, ?2)",
                            params![no + 1, vm],
                        )?;
                    }
                }
                Ok(())
            })
            .unwrap();
        let record = |store: &mut Store, secs| {
            store
                .write(|tx| record_silences(tx, "scheduler", secs))
                .unwrap()
        };
        // Off: nothing.
        assert_eq!(record(&mut store, 0), 0);
        // w1: queued work, never completed; w6: started within the hour, completed two ago.
        // Not w2 (maintenance), w3 (retired), w4 (no work within the hour), w5 (known for
        // ten minutes), w7 (completed ten minutes ago).
        assert_eq!(record(&mut store, hour as u32), 2);
        assert_eq!(silenced(&store), ["w1", "w6"]);
        let details: Vec<String> = store
            .conn()
            .prepare("SELECT detail FROM history WHERE kind = 'silence' ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(details[0], "silent: no task completed for 1h (never)");
        assert!(details[1].starts_with("silent: no task completed for 1h (last 20"));
        // Once.
        assert_eq!(record(&mut store, hour as u32), 0);
        // w1 completes a task (recorded with an old time: still silent for the hour): it is
        // reported again.
        store
            .write(|tx| {
                tx.execute(
                    "INSERT INTO history (time, vm, detail, user, kind, result)
                     VALUES (?1, 'w1', 'x', 'tester', 'task', 'completed')",
                    [ago(2 * hour)],
                )?;
                Ok(())
            })
            .unwrap();
        assert_eq!(record(&mut store, hour as u32), 1);
        assert_eq!(silenced(&store), ["w1", "w6", "w1"]);
    }
}
