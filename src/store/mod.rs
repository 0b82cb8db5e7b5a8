//! The SQLite store: opening (WAL, busy timeout, foreign keys), schema versions and
//! transactions. rusqlite is named only below this module.

pub mod deadline;
pub mod history;

pub mod hosts;
pub mod jobs;
pub mod operations;
pub mod requests;
pub mod settings;
pub mod state;
#[cfg(test)]
mod tests;
pub mod vms;

use crate::exit;
use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use rusqlite::{params, Connection as Conn, OptionalExtension, Transaction};

/// Each entry migrates a database from version `index` to `index + 1`; the last one brings it
/// to `SCHEMA_VERSION`. A new database runs them all.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001-schema.sql"),
    include_str!("migrations/0002-pass-requests.sql"),
    include_str!("migrations/0003-boot-deadlines.sql"),
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// How long a writer waits for another one before failing with "database is busy": 10 s, or
/// `VMSCHED_BUSY_TIMEOUT_MS` milliseconds (tests set it so a locked database fails fast).
fn busy_timeout() -> Duration {
    std::env::var("VMSCHED_BUSY_TIMEOUT_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(10), Duration::from_millis)
}

/// An open database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    busy_timeout: Duration,
}

/// Whether opening may create a missing database or must find an up-to-date one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The database must exist (most commands).
    Existing,
    /// Create it when missing (`vms add`, `vms import`, `hosts set`, `settings set`).
    Create,
    /// Open an older database without refusing it (`migrate`).
    Migrate,
}

impl Store {
    /// Opens the database at `path`; see `Mode`. A database newer than this binary is refused
    /// before anything is written to it.
    pub fn open(path: &Path, mode: Mode) -> Result<Store> {
        let exists = path.exists();
        if !exists && mode != Mode::Create {
            return Err(exit::bad_input(format!("no database at `{}`", path.display()))
                .hint("create one with `vmsched vms add` or `vmsched vms import`, or pass `--db PATH`")
                .into());
        }
        if !exists {
            create_file(path)?;
        }
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open database `{}`", path.display()))?;
        let busy_timeout = busy_timeout();
        conn.busy_timeout(busy_timeout)?;
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .with_context(|| format!("cannot read database `{}`", path.display()))?;
        if version > SCHEMA_VERSION {
            return Err(exit::bad_input(format!(
                "database `{}` has schema version {version}, newer than this vmsched knows ({SCHEMA_VERSION})",
                path.display()
            ))
            .hint("use a newer vmsched with this database")
            .into());
        }
        if version > 0 && version < SCHEMA_VERSION && mode != Mode::Migrate {
            return Err(exit::bad_input(format!(
                "database `{}` has schema version {version}, older than this vmsched's ({SCHEMA_VERSION})",
                path.display()
            ))
            .hint("run `vmsched migrate` (with the schedulers stopped)")
            .into());
        }
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            busy_timeout,
        };
        store.setup()?;
        if version == 0 {
            store.migrate()?;
        }
        Ok(store)
    }

    /// WAL, checked to be on (it is a property of the file, set outside any migration), and
    /// foreign keys (a property of the connection).
    fn setup(&mut self) -> Result<()> {
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            anyhow::bail!(
                "database `{}` refuses WAL mode (journal mode is {mode})",
                self.path.display()
            );
        }
        self.conn
            .execute_batch("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;")?;
        Ok(())
    }

    /// The schema version of the open database.
    pub fn version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Brings the schema to `SCHEMA_VERSION` in one transaction; returns the old version.
    pub fn migrate(&mut self) -> Result<i64> {
        let from = self.version()?;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for sql in &MIGRATIONS[from as usize..] {
            tx.execute_batch(sql)?;
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
        Ok(from)
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// An empty in-memory database with the latest schema, for a dry run when there is no
    /// database yet (it checks exactly what a real run would) and for unit tests.
    pub fn scratch() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch("PRAGMA foreign_keys=ON")?;
        let mut store = Store {
            conn,
            path: PathBuf::from(":memory:"),
            busy_timeout: busy_timeout(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction, committed when `f` succeeds. Every
    /// read-then-write goes through here, so SQLite serialises it against other writers.
    pub fn write<T>(&mut self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        self.write_if(true, f)
    }

    /// Like `write`, but a busy database is tried again until `deadline`: a worker's result
    /// must not be lost because another writer held the database for a while (a task that
    /// completed would otherwise be judged dead and run again).
    pub fn write_until<T>(
        &mut self,
        deadline: std::time::Instant,
        mut f: impl FnMut(&Transaction) -> Result<T>,
    ) -> Result<T> {
        loop {
            match self.write_if(true, &mut f) {
                Err(err) if err.is::<Busy>() && std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                done => return done,
            }
        }
    }

    /// Like `write`, but rolled back when `commit` is false: a dry run takes the same locks and
    /// checks as the real run, then leaves the database as it was.
    pub fn write_if<T>(
        &mut self,
        commit: bool,
        f: impl FnOnce(&Transaction) -> Result<T>,
    ) -> Result<T> {
        let timeout = self.busy_timeout;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| busy(e, timeout))?;
        let value = f(&tx)?;
        if commit {
            tx.commit().map_err(|e| busy(e, timeout))?;
        }
        Ok(value)
    }

    /// Runs `f` in one read transaction: it sees one consistent state and takes no write lock
    /// (WAL lets it run beside a writer).
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.conn.execute_batch("BEGIN DEFERRED")?;
        let value = f(&self.conn);
        self.conn.execute_batch("ROLLBACK")?;
        value
    }

    /// The connection, for reads.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

/// The number of operations that have not ended (workers possibly still running).
pub fn live_operations(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM operations WHERE ended IS NULL",
        [],
        |r| r.get(0),
    )?)
}

/// Another writer held the database longer than the busy timeout.
#[derive(Debug)]
pub struct Busy(Duration);

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "database is busy: another vmsched held it longer than {:?}",
            self.0
        )
    }
}

impl std::error::Error for Busy {}

/// Says plainly that another writer held the database too long.
fn busy(err: rusqlite::Error, timeout: Duration) -> anyhow::Error {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            Busy(timeout).into()
        }
        _ => err.into(),
    }
}

/// Creates the parent folder and an empty database file with mode 0600.
fn create_file(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create folder `{}`", parent.display()))?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create database `{}`", path.display()))?;
    Ok(())
}

/// The current time as stored: RFC 3339 UTC, seconds precision.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
