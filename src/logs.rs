//! The logs folder beside the database: `logs/workers.log` and the task logs under it. They
//! are the service user's and the database's group's, never other users' (a task's output may
//! hold what its job passed it): folders are made mode 2750 and given the database's group
//! (when the owner may; the setgid bit passes the group on to what is made inside), files
//! 0640, whatever the umask; an existing logs folder loses any access it gives others. Every name is opened relative to its folder without
//! following a symlink (`openat` with `O_NOFOLLOW`), and a folder under the database's folder
//! that is not owned by the database's owner is refused: whoever can plant a link or a folder
//! there must not make the service user write where it points.

use crate::exit;
use anyhow::{Context, Result};
use nix::fcntl::{openat, OFlag};
use nix::sys::stat::{fchmod, fstat, mkdirat, Mode};
use nix::unistd::{fchown, Gid};
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path};

/// The mode of folders under `logs/` (and of `logs/` itself) as made.
pub(crate) const DIR_MODE: u32 = 0o2750;
/// The mode of log files as made.
pub(crate) const FILE_MODE: u32 = 0o640;

/// Opens the log `relative` to the database's folder (`logs/...`), making the folders and the
/// file it needs; `append` keeps what the file holds, else it is emptied.
pub(crate) fn open(db: &Path, relative: &Path, append: bool) -> Result<File> {
    let data = crate::workers::data_dir(db);
    let meta = std::fs::metadata(db)
        .with_context(|| format!("cannot read the owner of `{}`", db.display()))?;
    let owner = (meta.uid(), meta.gid());
    let names: Vec<&std::ffi::OsStr> = relative
        .components()
        .map(|c| match c {
            Component::Normal(name) => Ok(name),
            _ => Err(anyhow::anyhow!("invalid log path `{}`", relative.display())),
        })
        .collect::<Result<_>>()?;
    let Some((file, folders)) = names.split_last() else {
        anyhow::bail!("empty log path");
    };
    let flags = OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
    let mut dir = nix::fcntl::open(&data, flags, Mode::empty())
        .with_context(|| format!("cannot open folder `{}`", data.display()))?;
    let mut path = data.clone();
    for name in folders {
        path.push(name);
        dir = folder(&dir, name, &path, owner)?;
    }
    path.push(file);
    let mut flags = OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    flags |= if append {
        OFlag::O_APPEND
    } else {
        OFlag::O_TRUNC
    };
    let fd = openat(
        dir.as_fd(),
        *file,
        flags,
        Mode::from_bits_truncate(FILE_MODE),
    )
    .map_err(|errno| refuse_link(errno, &path))?;
    let file = File::from(fd);
    let meta = fstat(file.as_fd())?;
    if meta.st_mode & 0o7777 != FILE_MODE && meta.st_uid == nix::unistd::geteuid().as_raw() {
        fchmod(file.as_fd(), Mode::from_bits_truncate(FILE_MODE))?;
    }
    Ok(file)
}

/// Opens (making it, mode `DIR_MODE`, in the database's group) the folder `name` under
/// `parent`, refusing a symlink and a folder the database's owner does not own; takes others'
/// access away from one that gives it. `(owner, group)` are the database file's.
fn folder(
    parent: &OwnedFd,
    name: &std::ffi::OsStr,
    path: &Path,
    (owner, group): (u32, u32),
) -> Result<OwnedFd> {
    let made = match mkdirat(parent.as_fd(), name, Mode::from_bits_truncate(DIR_MODE)) {
        Ok(()) => true,
        Err(nix::errno::Errno::EEXIST) => false,
        Err(errno) => {
            return Err(errno).with_context(|| format!("cannot create `{}`", path.display()))
        }
    };
    let flags = OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let dir = openat(parent.as_fd(), name, flags, Mode::empty())
        .map_err(|errno| refuse_link(errno, path))?;
    let meta = fstat(dir.as_fd())?;
    if meta.st_uid != owner {
        return Err(exit::refused(format!(
            "log folder `{}` is owned by {}, not by the database's owner {}",
            path.display(),
            crate::identity::account_name(meta.st_uid),
            crate::identity::account_name(owner)
        ))
        .hint("remove it; vmsched makes it again, as the database's owner")
        .into());
    }
    if made && meta.st_gid != group {
        // Not the owner's to give when it is not in that group: the folder keeps the group it
        // got (the parent's, or the owner's primary one).
        let _ = fchown(dir.as_fd(), None, Some(Gid::from_raw(group)));
    }
    let mode = meta.st_mode & 0o7777;
    let wanted = if made { DIR_MODE } else { mode & !0o007 };
    // A folder just made is set in any case: its group may have changed since it was read.
    if made || mode != wanted {
        fchmod(dir.as_fd(), Mode::from_bits_truncate(wanted))
            .with_context(|| format!("cannot set the mode of `{}`", path.display()))?;
    }
    Ok(dir)
}

/// The error of an `openat` with `O_NOFOLLOW`: a symlink (`ELOOP`, or `ENOTDIR` for a folder)
/// is refused (exit 3), anything else fails.
fn refuse_link(errno: nix::errno::Errno, path: &Path) -> anyhow::Error {
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        return exit::refused(format!(
            "log path `{}` is a symbolic link: vmsched does not follow links beside the database",
            path.display()
        ))
        .hint("remove the link; vmsched makes the real file or folder")
        .into();
    }
    anyhow::Error::from(errno).context(format!("cannot open `{}`", path.display()))
}
