//! The pass lock: an exclusive `flock` on `<db>.lock`, released by the kernel when its holder
//! dies, so a crashed pass never blocks the next one. The file names the holder for the
//! message of a pass that gives up waiting.

use crate::exit;
use anyhow::{Context, Result};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A held pass lock; dropping it releases the lock.
pub struct PassLock {
    _file: File,
}

/// The lock file of a database.
pub fn path_for(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the lock, waiting up to `timeout`; exit 4 naming the holder when it stays taken.
pub fn acquire(db: &Path, timeout: Duration) -> Result<PassLock> {
    let path = path_for(db);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .with_context(|| format!("cannot open lock file `{}`", path.display()))?;
    let start = Instant::now();
    loop {
        // SAFETY: flock on a file descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            break;
        }
        if start.elapsed() >= timeout {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim().replace('\n', ", ");
            return Err(exit::locked(format!(
                "another pass holds the lock `{}` ({holder}) after {}s",
                path.display(),
                timeout.as_secs()
            ))
            .into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    file.set_len(0)?;
    file.rewind()?;
    let me = crate::workers::process::Proc::current()?;
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
