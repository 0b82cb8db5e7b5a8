//! The pass lock: an exclusive `flock` on `<db>.lock`, released by the kernel when its holder
//! dies, so a crashed pass never blocks the next one. The file names the holder for the
//! message of a pass that gives up waiting. It sits beside the database's resolved path (links
//! and `..` followed first), so two spellings of one database share one lock, and it is opened
//! without following a link at its own name (mode 0640): a link planted there is refused
//! rather than written through.

use crate::exit;
use anyhow::Result;
use nix::fcntl::{Flock, FlockArg};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How often a waiting pass tries the lock again. A pass that runs again for new requests
/// lets go of the lock for longer than this first, so a waiting pass is never starved.
pub(crate) const POLL: Duration = Duration::from_millis(20);

/// A held pass lock; dropping it releases the lock.
pub struct PassLock {
    _file: Flock<File>,
}

/// The lock file of a database: `<db>.lock` beside its resolved path (as given when it cannot
/// be resolved, e.g. while missing).
pub fn path_for(db: &Path) -> PathBuf {
    let mut name = std::fs::canonicalize(db)
        .unwrap_or_else(|_| db.to_path_buf())
        .into_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

fn open(db: &Path) -> Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = path_for(db);
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o640)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|err| match err.raw_os_error() {
            Some(nix::libc::ELOOP) => exit::refused(format!(
                "lock file `{}` is a symbolic link: vmsched does not follow links beside the database",
                path.display()
            ))
            .hint("remove the link; vmsched makes the real file")
            .into(),
            _ => anyhow::Error::from(err)
                .context(format!("cannot open lock file `{}`", path.display())),
        })
}

/// Takes the lock if nobody holds it.
pub fn try_acquire(db: &Path) -> Result<Option<PassLock>> {
    match Flock::lock(open(db)?, FlockArg::LockExclusiveNonblock) {
        Ok(file) => Ok(Some(write_holder(file)?)),
        Err((_, nix::errno::Errno::EWOULDBLOCK)) => Ok(None),
        Err((_, errno)) => Err(anyhow::anyhow!(
            "cannot lock `{}`: {errno}",
            path_for(db).display()
        )),
    }
}

/// Takes the lock, waiting up to `timeout`; exit 4 naming the holder when it stays taken.
pub(crate) fn acquire(db: &Path, timeout: Duration) -> Result<PassLock> {
    let start = Instant::now();
    loop {
        if let Some(lock) = try_acquire(db)? {
            return Ok(lock);
        }
        if start.elapsed() >= timeout {
            let mut holder = String::new();
            let _ = open(db)?.read_to_string(&mut holder);
            let holder = holder.trim().replace('\n', ", ");
            return Err(exit::locked(format!(
                "another pass holds the lock `{}` ({holder}) after {}s",
                path_for(db).display(),
                timeout.as_secs()
            ))
            .into());
        }
        std::thread::sleep(POLL);
    }
}

/// Writes who holds the lock into the locked file.
fn write_holder(mut file: Flock<File>) -> Result<PassLock> {
    file.set_len(0)?;
    file.rewind()?;
    let me = crate::process::Proc::current()?;
    let args: Vec<String> = std::env::args().collect();
    writeln!(
        file,
        "pid {}\nstart {}\nsince {}\ncommand {}",
        me.pid,
        me.start_time,
        crate::store::now(),
        args.join(" ")
    )?;
    Ok(PassLock { _file: file })
}
