//! The SQLite store: opening (WAL, busy timeout, foreign keys), schema versions and
//! transactions. rusqlite is named only below this module.

pub(crate) mod deadline;
pub(crate) mod history;

pub mod hosts;
pub mod jobs;
pub(crate) mod last_pass;
pub(crate) mod operations;
pub(crate) mod purge;
pub(crate) mod requests;
pub mod settings;
pub(crate) mod state;
pub(crate) mod stats;
#[cfg(test)]
mod tests;
pub mod vms;

use crate::exit;
use anyhow::{Context, Result};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub use rusqlite::{params, Connection as Conn, OptionalExtension, Transaction};

/// Each entry migrates a database from version `index` to `index + 1`; the last one brings it
/// to `SCHEMA_VERSION`. A new database runs them all.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001-schema.sql"),
    include_str!("migrations/0002-pass-requests.sql"),
    include_str!("migrations/0003-history-alerts.sql"),
    include_str!("migrations/0004-boot-deadlines-and-id.sql"),
    include_str!("migrations/0005-domain-uuid.sql"),
    include_str!("migrations/0006-drop-unused-operation-columns.sql"),
    include_str!("migrations/0007-identities-and-task-environment.sql"),
    include_str!("migrations/0008-typed-history.sql"),
    include_str!("migrations/0009-task-attempts.sql"),
    include_str!("migrations/0010-stats.sql"),
    include_str!("migrations/0011-retention-indexes.sql"),
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The variable that sets the busy timeout in milliseconds.
pub(crate) const BUSY_TIMEOUT_VAR: &str = "VMSCHED_BUSY_TIMEOUT_MS";

/// How long a writer waits for another one before failing with "database is busy": 10 s, or
/// `VMSCHED_BUSY_TIMEOUT_MS` milliseconds (tests set it so a locked database fails fast).
fn busy_timeout() -> Duration {
    std::env::var(BUSY_TIMEOUT_VAR)
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(10), Duration::from_millis)
}

/// SQLite's busy handler of vmsched's connections: tries again every 2 ms until the busy
/// timeout. SQLite's own handler sleeps longer and longer (25 ms, then 100 ms at a time), so a
/// command that waited behind a pass holding the lock for a quarter of a second got in up to a
/// tenth of a second after the lock was free.
fn wait_for_writer(calls: i32) -> bool {
    static TIMEOUT: OnceLock<Duration> = OnceLock::new();
    thread_local! {
        /// When this thread's current wait began: a handler is called on the waiting thread.
        static SINCE: Cell<Option<Instant>> = const { Cell::new(None) };
    }
    let now = Instant::now();
    let since = SINCE.with(|since| {
        if calls == 0 {
            since.set(Some(now));
        }
        since.get().unwrap_or(now)
    });
    if now.duration_since(since) >= *TIMEOUT.get_or_init(busy_timeout) {
        return false;
    }
    std::thread::sleep(Duration::from_millis(2));
    true
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
    /// Only read it (lists, shows, history): it works on a database this user cannot write
    /// (a backup, a read-only mount), read-only (see `open_read_only`).
    Read,
}

impl Store {
    /// Opens the database at `path`; see `Mode`. Only a file that is recognisably vmsched's is
    /// opened: anything else at the path (an empty file, another program's, not SQLite at all)
    /// is refused untouched, never initialised, as is a database newer than this binary. A
    /// missing database is made by `create`, complete, before it appears at `path`.
    pub fn open(path: &Path, mode: Mode) -> Result<Store> {
        if !path.exists() {
            if mode != Mode::Create {
                return Err(exit::bad_input(format!("no database at `{}`", path.display()))
                    .hint("create one with `vmsched vms add` or `vmsched vms import`, or pass `--db PATH`")
                    .into());
            }
            create(path)?;
        }
        let read_only = mode == Mode::Read && !writable(path);
        let conn = if read_only {
            open_read_only(path)
        } else {
            Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
        }
        .with_context(|| format!("cannot open database `{}`", path.display()))?;
        let busy_timeout = busy_timeout();
        conn.busy_handler(Some(wait_for_writer))?;
        let version = identify(&conn, path)?;
        if version > SCHEMA_VERSION {
            return Err(exit::bad_input(format!(
                "database `{}` has schema version {version}, newer than this vmsched knows ({SCHEMA_VERSION})",
                path.display()
            ))
            .hint("use a newer vmsched with this database")
            .into());
        }
        if version < SCHEMA_VERSION && mode != Mode::Migrate {
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
        if !read_only {
            store.setup()?;
        }
        Ok(store)
    }

    /// Opens an existing database of this binary's schema version read-only, waiting at most
    /// `busy_timeout` for a writer: what shell completion reads, which must never create,
    /// migrate or change anything, nor keep a person waiting at the prompt. A read-only
    /// connection would still leave the WAL's `-wal` and `-shm` files behind when no other
    /// connection has them open, so a database without a `-wal` file (checkpointed, no
    /// connection open) is read as immutable: no lock, no side file. A writer that starts
    /// meanwhile writes to its `-wal`; only its checkpoint on closing changes the main file, and
    /// a read torn by that fails or misses a name, which completion can afford (never a
    /// command: they all open with `open`).
    pub(crate) fn open_read_only(path: &Path, busy_timeout: Duration) -> Result<Store> {
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        let uri = path.to_str().context("database path is not UTF-8")?;
        let uri = uri
            .replace('%', "%25")
            .replace('?', "%3f")
            .replace('#', "%23");
        let immutable = if Path::new(&wal).exists() {
            ""
        } else {
            "?immutable=1"
        };
        let conn = Connection::open_with_flags(
            format!("file:{uri}{immutable}"),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(busy_timeout)?;
        let version = identify(&conn, path)?;
        if version != SCHEMA_VERSION {
            anyhow::bail!("database `{}` has schema version {version}", path.display());
        }
        Ok(Store {
            conn,
            path: path.to_path_buf(),
            busy_timeout,
        })
    }

    /// WAL, checked to be on (it is a property of the file, set outside any migration), and
    /// foreign keys (a property of the connection).
    fn setup(&mut self) -> Result<()> {
        let timeout = self.busy_timeout;
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(|e| plain(e, &self.path, timeout))?;
        if !mode.eq_ignore_ascii_case("wal") {
            anyhow::bail!(
                "database `{}` refuses WAL mode (journal mode is {mode})",
                self.path.display()
            );
        }
        self.conn
            .execute_batch("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;")
            .map_err(|e| plain(e, &self.path, timeout))?;
        // A pass runs a few dozen statements once per decision: parsed once each, a pass
        // that starts a thousand tasks holds the write lock for far less.
        self.conn.set_prepared_statement_cache_capacity(64);
        Ok(())
    }

    /// The schema version of the open database.
    pub(crate) fn version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Brings the schema to `SCHEMA_VERSION` in one transaction; returns the old version.
    pub(crate) fn migrate(&mut self) -> Result<i64> {
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

    /// Whether the file gives free pages back on request (`PRAGMA auto_vacuum` INCREMENTAL, as
    /// every database is created now).
    pub(crate) fn incremental(&self) -> Result<bool> {
        let mode: i64 = self
            .conn
            .query_row("PRAGMA auto_vacuum", [], |r| r.get(0))?;
        Ok(mode == 2)
    }

    /// Makes the file give free pages back on request: a database made before must be
    /// rewritten once (a full VACUUM, which holds the database for its whole duration and needs
    /// free disk space of its size), so `vmsched migrate` and `purge --vacuum` do it with
    /// everything else paused.
    pub(crate) fn make_incremental(&self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA auto_vacuum = INCREMENTAL; VACUUM;")?;
        Ok(())
    }

    /// Gives up to `pages` free pages back to the file system in one short write (SQLite's
    /// incremental vacuum); returns how many are left free.
    pub(crate) fn vacuum_step(&self, pages: u32) -> Result<u64> {
        let timeout = self.busy_timeout;
        self.conn
            .execute_batch(&format!("PRAGMA incremental_vacuum({pages})"))
            .map_err(|e| plain(e, &self.path, timeout))?;
        self.free_pages()
    }

    /// Free pages in the file.
    pub(crate) fn free_pages(&self) -> Result<u64> {
        Ok(self
            .conn
            .query_row("PRAGMA freelist_count", [], |r| r.get(0))?)
    }

    /// Copies the write-ahead log into the file and empties it, where no reader needs it (the
    /// file shrinks only then); never waits.
    pub(crate) fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// The database file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// An empty in-memory database with the latest schema, for a dry run when there is no
    /// database yet (it checks exactly what a real run would) and for unit tests.
    pub(crate) fn scratch() -> Result<Store> {
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

    /// A private in-memory copy of this database, read in one read transaction (SQLite's
    /// online backup), so it does not wait for writers. A dry run applies its changes to the
    /// copy: it checks exactly what a real run would, without taking the write lock.
    pub(crate) fn in_memory_copy(&self) -> Result<Store> {
        let mut conn = Connection::open_in_memory()?;
        let done = Backup::new(&self.conn, &mut conn)?.step(-1)?;
        if done != StepResult::Done {
            anyhow::bail!(
                "database is busy: cannot copy `{}` for a dry run",
                self.path.display()
            );
        }
        conn.execute_batch("PRAGMA foreign_keys=ON")?;
        Ok(Store {
            conn,
            path: PathBuf::from(":memory:"),
            busy_timeout: self.busy_timeout,
        })
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction, committed when `f` succeeds. Every
    /// read-then-write goes through here, so SQLite serialises it against other writers.
    pub fn write<T>(&mut self, f: impl FnOnce(&Transaction) -> Result<T>) -> Result<T> {
        self.write_if(true, f)
    }

    /// Like `write`, but a busy database is tried again until `deadline`: a worker's result
    /// must not be lost because another writer held the database for a while (a task that
    /// completed would otherwise be judged dead and run again).
    pub(crate) fn write_until<T>(
        &mut self,
        deadline: Instant,
        mut f: impl FnMut(&Transaction) -> Result<T>,
    ) -> Result<T> {
        loop {
            match self.write_if(true, &mut f) {
                Err(err) if err.is::<Busy>() && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                done => return done,
            }
        }
    }

    /// Like `write`, but rolled back when `commit` is false (a dry run on an in-memory copy or
    /// scratch database).
    pub(crate) fn write_if<T>(
        &mut self,
        commit: bool,
        f: impl FnOnce(&Transaction) -> Result<T>,
    ) -> Result<T> {
        let timeout = self.busy_timeout;
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| plain(e, &self.path, timeout))?;
        let value = f(&tx)?;
        if commit {
            tx.commit().map_err(|e| plain(e, &self.path, timeout))?;
        }
        Ok(value)
    }

    /// Runs `f` in one read transaction: it sees one consistent state and takes no write lock
    /// (WAL lets it run beside a writer).
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
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

/// Where a listing of the newest `limit` rows of `table` that match `filter` (SQL over `values`)
/// starts, so that it can read them oldest first as a stream: the lowest of their ids, 0 for
/// every row (`limit` `None`), `None` for none at all. Served by the rowid, or by an index that
/// ends in the id.
pub(crate) fn newest_from(
    conn: &Connection,
    table: &str,
    filter: &str,
    values: &[&str],
    limit: Option<u32>,
) -> Result<Option<i64>> {
    let Some(limit) = limit else {
        return Ok(Some(0));
    };
    if limit == 0 {
        return Ok(None);
    }
    let sql = format!(
        "SELECT id FROM {table} WHERE {filter} ORDER BY id DESC LIMIT 1 OFFSET {}",
        limit - 1
    );
    let first = conn
        .prepare(&sql)?
        .query_row(rusqlite::params_from_iter(values), |r| r.get(0))
        .optional()?;
    Ok(Some(first.unwrap_or(0)))
}

/// The number of operations that have not ended (workers possibly still running).
pub(crate) fn live_operations(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM operations WHERE ended IS NULL",
        [],
        |r| r.get(0),
    )?)
}

/// Another writer held the database longer than the busy timeout.
#[derive(Debug)]
pub(crate) struct Busy(Duration);

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

/// Says plainly that another writer held the database too long, or that SQLite could not
/// write it: `crate::access` checked the file and its folder before, so what is left are the
/// files SQLite keeps beside it (a `-wal` or `-shm` of another owner or mode).
fn plain(err: rusqlite::Error, path: &Path, timeout: Duration) -> anyhow::Error {
    match err.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            Busy(timeout).into()
        }
        Some(rusqlite::ErrorCode::ReadOnly) => beside(path),
        _ => err.into(),
    }
}

/// SQLite could not open or write the write-ahead log or its index beside the database.
fn beside(path: &Path) -> anyhow::Error {
    let path = path.display();
    exit::failed(format!(
        "cannot use database `{path}`: permission denied on the files SQLite keeps beside it"
    ))
    .hint(format!(
        "`{path}-wal` and `{path}-shm` need the database's group and mode (`ls -l {path}*`)"
    ))
    .into()
}

/// The folder a database lives in (`.` for a bare file name).
pub(crate) fn folder(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Whether this user may write the database and its folder (SQLite creates its write-ahead
/// log and index beside the file).
fn writable(path: &Path) -> bool {
    use nix::unistd::{access, AccessFlags};
    access(path, AccessFlags::W_OK).is_ok() && access(folder(path), AccessFlags::W_OK).is_ok()
}

/// Opens a database this user may only read. SQLite's read-only mode reads the write-ahead log
/// through the index (`-shm`) a writer keeps beside the file, so it sees the latest commits;
/// with no index there (no writer has the database open: a backup, a read-only mount, a lab
/// between passes) or none this user can read, the file is opened `immutable`, as it is on
/// disk: a read-only connection would otherwise create an index owned by this user, which
/// the owner's next write could not use (or fail where the folder is read-only).
fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let escaped = path
        .to_string_lossy()
        .replace('%', "%25")
        .replace('?', "%3f")
        .replace('#', "%23");
    let mut shm = path.as_os_str().to_owned();
    shm.push("-shm");
    if Path::new(&shm).exists() {
        let conn = Connection::open_with_flags(format!("file:{escaped}?mode=ro"), flags)?;
        if conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .is_ok()
        {
            return Ok(conn);
        }
    }
    Connection::open_with_flags(format!("file:{escaped}?immutable=1"), flags)
}

/// Creates a database at `path` (and its folder): made complete under a temporary name
/// beside it (WAL, the latest schema) and only then linked to `path`, so `path` never holds a
/// half-made database, even after a crash; a database another command created there meanwhile
/// is kept. It is private (0600), unless its folder is shared (see `shared_with`).
fn create(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create folder `{}`", parent.display()))?;
    }
    let cannot = || format!("cannot create database `{}`", path.display());
    let name = path.file_name().with_context(cannot)?.to_string_lossy();
    let new = path.with_file_name(format!(".{name}.new-{}", std::process::id()));
    let shared = std::fs::metadata(folder(path))
        .ok()
        .and_then(|m| shared_with(&m));
    let made = (|| -> Result<()> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&new)?;
        if let Some((uid, gid)) = shared {
            share(&file, uid, gid)?;
        }
        let mut store = Store {
            conn: Connection::open(&new)?,
            path: new.clone(),
            busy_timeout: busy_timeout(),
        };
        // Before the first table, or it takes a full VACUUM (`make_incremental`).
        store
            .conn
            .execute_batch("PRAGMA auto_vacuum = INCREMENTAL")?;
        store.setup()?;
        store.migrate()?;
        drop(store); // closing checkpoints and removes the write-ahead log
        match std::fs::hard_link(&new, path) {
            Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => Err(err.into()),
            _ => Ok(()),
        }
    })();
    let _ = std::fs::remove_file(&new);
    made.with_context(cannot)
}

/// The owner and group of a group-shared folder: one with the set-group-id bit and full group
/// access (2770, as `/var/lib/vmsched`), whose files belong to its group. A database made there
/// is the lab of that group: mode 0660, the folder's group, and the folder owner's (passes run
/// as the database's owner: the service user). `None` for any other folder.
pub(crate) fn shared_with(folder: &std::fs::Metadata) -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    (folder.mode() & 0o2070 == 0o2070).then(|| (folder.uid(), folder.gid()))
}

/// Makes a new database file the shared folder's: mode 0660 whatever the umask, and, when
/// root makes it, owned by the folder's owner and group (anyone else may make it only as the
/// folder's owner: `crate::access`). SQLite gives the write-ahead log and its index the
/// database's mode and, under root, its owner.
fn share(file: &std::fs::File, uid: u32, gid: u32) -> Result<()> {
    use nix::unistd::{fchown, Gid, Uid};
    use std::os::unix::fs::PermissionsExt;
    if Uid::effective().is_root() {
        fchown(file, Some(Uid::from_raw(uid)), Some(Gid::from_raw(gid)))?;
    }
    file.set_permissions(std::fs::Permissions::from_mode(0o660))?;
    Ok(())
}

/// vmsched's `PRAGMA application_id` ("vmsd"), set by migration 4.
const APPLICATION_ID: i64 = 0x766d_7364;

/// The schema version of a file that is recognisably a vmsched database: its application id
/// is vmsched's, or it is a vmsched database from before the id (schema version 1 to 3, with
/// vmsched's tables). Anything else is refused (exit 2) before anything is written to it.
fn identify(conn: &Connection, path: &Path) -> Result<i64> {
    let not_ours = |what: &str| -> anyhow::Error {
        exit::bad_input(format!(
            "`{}` is not a vmsched database ({what})",
            path.display()
        ))
        .hint("it is left as it is: pass `--db` with vmsched's database, or move the file away")
        .into()
    };
    let read = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0));
    let (id, version) = match (read("PRAGMA application_id"), read("PRAGMA user_version")) {
        (Ok(id), Ok(version)) => (id, version),
        (Err(err), _) | (_, Err(err)) => {
            return match err.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase) => Err(not_ours("not an SQLite file")),
                // `crate::access` checked the file itself: what is left is beside it.
                Some(rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen) => {
                    Err(beside(path))
                }
                _ => Err(err).with_context(|| format!("cannot read database `{}`", path.display())),
            };
        }
    };
    if id == APPLICATION_ID {
        return Ok(version);
    }
    let tables = read(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('vms', 'operations')",
    )?;
    match (id, version, tables) {
        (0, 1..=3, 2) => Ok(version),
        _ if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) => Err(not_ours("an empty file")),
        _ => Err(not_ours("another program's SQLite database")),
    }
}

/// The current time as stored: RFC 3339 UTC, seconds precision.
pub(crate) fn now() -> String {
    stored(chrono::Utc::now())
}

/// A time as stored and shown in JSON: RFC 3339 UTC, seconds precision.
pub(crate) fn stored(time: chrono::DateTime<chrono::Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Serializes a time as `stored` spells it, for rows printed as JSON.
pub(crate) fn serialize_time<S: serde::Serializer>(
    time: &chrono::DateTime<chrono::Utc>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.serialize_str(&stored(*time))
}

/// Column `idx` of `row` read as a time: unreadable text is an error at read naming the
/// column, never a time that silently counts as past.
pub(crate) fn time_at(
    row: &rusqlite::Row,
    idx: usize,
) -> rusqlite::Result<chrono::DateTime<chrono::Utc>> {
    let text: String = row.get(idx)?;
    chrono::DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| {
            let column = row.as_ref().column_name(idx).unwrap_or("?");
            let msg = format!("unreadable time `{text}` in column `{column}`: {e}");
            rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, msg.into())
        })
}

/// Column `idx` of `row` read as a time, `None` when NULL (see `time_at`).
pub(crate) fn opt_time_at(
    row: &rusqlite::Row,
    idx: usize,
) -> rusqlite::Result<Option<chrono::DateTime<chrono::Utc>>> {
    match row.get_ref(idx)? {
        rusqlite::types::ValueRef::Null => Ok(None),
        _ => time_at(row, idx).map(Some),
    }
}
