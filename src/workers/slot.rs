//! Start slots: a pass releases all its workers at once, and a thousand workers opening the
//! database and starting their commands together would keep every CPU busy for seconds, so
//! that an admin's command or a worker recording its result waits for a CPU, not for the
//! database (docs/performance.md, section 8). A released worker therefore does the work of
//! starting while holding one of as many slots as there are CPUs, and the others wait in the
//! kernel, using no CPU.
//!
//! A slot is an open-file-description lock on one byte of the pass lock file (`crate::lock`,
//! whose `flock` it does not touch): the kernel releases it when its holder exits or `exec`s
//! (the file is opened close-on-exec), so a worker killed while starting never keeps it. A
//! worker that cannot take a slot (no lock file, another file system) starts without one:
//! a slot only paces, it never decides.

use nix::fcntl::{fcntl, FcntlArg};
use nix::libc;
use std::fs::File;
use std::path::Path;

/// A held start slot; dropping it lets the next worker start.
pub(crate) struct Slot {
    _file: File,
}

/// Waits for a start slot of the database's lock file: a free one if any, else the one the
/// operation's id picks, so waiting workers spread over the slots.
pub(crate) fn take(db: &Path, id: i64) -> Option<Slot> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(crate::lock::path_for(db))
        .ok()?;
    let slots = count() as i64;
    let first = id.rem_euclid(slots);
    let free = (0..slots)
        .map(|i| (first + i) % slots)
        .any(|slot| fcntl(&file, FcntlArg::F_OFD_SETLK(&range(slot))).is_ok());
    if !free {
        loop {
            match fcntl(&file, FcntlArg::F_OFD_SETLKW(&range(first))) {
                Ok(_) => break,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(_) => return None,
            }
        }
    }
    Some(Slot { _file: file })
}

/// One slot fewer than CPUs (at least one): a CPU stays free for an admin's command or a
/// worker recording its result while hundreds of workers start.
fn count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1).max(1))
}

/// The byte of slot `slot`.
fn range(slot: i64) -> libc::flock {
    libc::flock {
        l_type: libc::F_WRLCK as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: slot,
        l_len: 1,
        l_pid: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn a_worker_waits_while_every_slot_is_held_and_starts_when_one_is_let_go() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("vmsched.db");
        std::fs::write(crate::lock::path_for(&db), "").unwrap();
        let slots = count();
        let held: Vec<Slot> = (0..slots)
            .map(|i| take(&db, i as i64).expect("a free slot"))
            .collect();
        let (sent, got) = mpsc::channel();
        let waiter = {
            let db = db.clone();
            std::thread::spawn(move || sent.send(take(&db, 7).is_some()).unwrap())
        };
        assert!(
            got.recv_timeout(Duration::from_millis(300)).is_err(),
            "a slot was given while all {slots} were held"
        );
        drop(held);
        assert_eq!(got.recv_timeout(Duration::from_secs(10)), Ok(true));
        waiter.join().unwrap();
    }

    #[test]
    fn without_a_lock_file_a_worker_starts_unpaced() {
        let dir = tempfile::tempdir().unwrap();
        assert!(take(&dir.path().join("vmsched.db"), 1).is_none());
    }
}
