//! Who may use a database, and plain words when the file system says no.
//!
//! A lab is shared through its folder (docs/interfaces.md, "Access"): the service user
//! `vmsched` owns the database and runs every pass; members of group `vmsched` read and write
//! it (0660 in a 2770 folder); nobody else has access. Permissions are checked before SQLite
//! opens the file, so a user who may not read or write it gets one `error:` line naming the
//! path and a `hint:` naming the group or the mode (exit 1), never SQLite's "unable to open".

use crate::exit;
use crate::store::{self, Mode};
use anyhow::Result;
use nix::errno::Errno;
use nix::unistd::{access, getegid, getgroups, AccessFlags, Gid, Group, Uid, User};
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The group of the service user and of the admins who share its lab.
pub(crate) const GROUP: &str = "vmsched";

/// The shared lab's database: the default of root, the service user and the group's members.
pub(crate) const SHARED_DB: &str = "/var/lib/vmsched/vmsched.db";

/// The default `--db`: the shared lab for root and members of group `vmsched` (the service
/// user is one: it is its primary group), so that a member never gets a private lab by
/// accident; anyone else's own, under `$XDG_STATE_HOME` (or `~/.local/state`).
pub(crate) fn default_db() -> PathBuf {
    let shared = Uid::effective().is_root()
        || Group::from_name(GROUP)
            .ok()
            .flatten()
            .is_some_and(|group| member(&group) != Membership::None);
    if shared {
        return PathBuf::from(SHARED_DB);
    }
    own_db()
}

/// The caller's own database, under `$XDG_STATE_HOME` (or `~/.local/state`): the default of
/// anyone outside the shared lab, and where root's demo keeps its lab, never in the service's
/// folder.
pub(crate) fn own_db() -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".local/state")
        });
    state.join("vmsched/vmsched.db")
}

/// How this process belongs to a group.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Membership {
    /// The group is among this process's groups.
    Active,
    /// The group lists this user, but this login session predates it.
    Listed,
    None,
}

fn member(group: &Group) -> Membership {
    if getegid() == group.gid || getgroups().is_ok_and(|groups| groups.contains(&group.gid)) {
        return Membership::Active;
    }
    let name = User::from_uid(Uid::effective())
        .ok()
        .flatten()
        .map(|u| u.name);
    match name {
        Some(name) if group.mem.contains(&name) => Membership::Listed,
        _ => Membership::None,
    }
}

/// What a command needs of the database's file and folder.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Need {
    Read,
    Write,
}

/// Checks that this user may use the database at `db` as `mode` needs: read it (`Mode::Read`),
/// or read and write it and its folder (every other mode), or create it in its folder when it
/// is missing (`Mode::Create`). A missing database is left to the store to report. In a shared
/// folder (`store::shared_with`) only root and the folder's owner create a database: a member's
/// would be theirs, and its passes would not be the service user's (exit 3).
pub(crate) fn check(db: &Path, mode: Mode) -> Result<()> {
    let meta = match std::fs::metadata(db) {
        Ok(meta) => meta,
        Err(err) if err.kind() == std::io::ErrorKind::PermissionDenied => {
            let (folder, meta) = closed_folder(db);
            return Err(denied(
                format!(
                    "cannot reach database `{}`: permission denied on folder `{}`",
                    db.display(),
                    folder.display()
                ),
                &folder,
                meta,
                Need::Read,
            ));
        }
        Err(_) if mode == Mode::Create => return check_create(db),
        Err(_) => return Ok(()),
    };
    if access(db, AccessFlags::R_OK).is_err() {
        let message = format!("cannot read database `{}`: permission denied", db.display());
        return Err(denied(message, db, Some(meta), Need::Read));
    }
    if mode == Mode::Read {
        return Ok(());
    }
    match access(db, AccessFlags::W_OK) {
        Err(Errno::EROFS) => return Err(read_only_fs(db)),
        Err(_) => {
            let message = format!(
                "database `{}` is read-only for you (permission denied): this command changes it",
                db.display()
            );
            return Err(denied(message, db, Some(meta), Need::Write));
        }
        Ok(()) => {}
    }
    let folder = store::folder(db);
    match access(folder, AccessFlags::W_OK) {
        Err(Errno::EROFS) => Err(read_only_fs(db)),
        Err(_) => {
            let message = format!(
                "cannot write in `{}`, the folder of database `{}` (permission denied): this command changes it",
                folder.display(),
                db.display()
            );
            let meta = std::fs::metadata(folder).ok();
            Err(denied(message, folder, meta, Need::Write))
        }
        Ok(()) => Ok(()),
    }
}

/// A missing database about to be made: its nearest existing folder must be writable, and a
/// shared one the creator's own (or the creator root).
fn check_create(db: &Path) -> Result<()> {
    let folder = db
        .ancestors()
        .skip(1)
        .map(|p| {
            if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                p
            }
        })
        .find(|p| p.exists())
        .unwrap_or(Path::new("/"));
    let meta = std::fs::metadata(folder).ok();
    match access(folder, AccessFlags::W_OK | AccessFlags::X_OK) {
        Err(Errno::EROFS) => return Err(read_only_fs(db)),
        Err(_) => {
            let message = format!(
                "cannot create database `{}`: permission denied on folder `{}`",
                db.display(),
                folder.display()
            );
            return Err(denied(message, folder, meta, Need::Write));
        }
        Ok(()) => {}
    }
    let me = Uid::effective();
    match meta.as_ref().and_then(store::shared_with) {
        Some((owner, _))
            if folder == store::folder(db) && !me.is_root() && me.as_raw() != owner =>
        {
            let owner = crate::identity::account_name(owner);
            Err(exit::refused(format!(
                "a database in the shared folder `{}` is made by its owner `{owner}` or root, who run its passes",
                folder.display()
            ))
            .hint(format!("create it as `{owner}` (`sudo -u {owner} vmsched ...`) or as root"))
            .into())
        }
        _ => Ok(()),
    }
}

/// The first folder on the way to `db` that this user may not search, with its metadata.
fn closed_folder(db: &Path) -> (PathBuf, Option<Metadata>) {
    let mut folders: Vec<&Path> = db.ancestors().skip(1).collect();
    folders.reverse();
    let folder = folders
        .into_iter()
        .filter(|p| !p.as_os_str().is_empty())
        .find(|p| access(*p, AccessFlags::X_OK).is_err())
        .unwrap_or(store::folder(db));
    (folder.to_path_buf(), std::fs::metadata(folder).ok())
}

/// A database on a read-only file system: reading works, changing does not.
fn read_only_fs(db: &Path) -> anyhow::Error {
    exit::failed(format!(
        "database `{}` is read-only: it is on a read-only file system",
        db.display()
    ))
    .hint("commands that only read it work (`vms list`, `jobs list`, `jobs show`, `history`, `domains show`)")
    .into()
}

/// A permission error (exit 1) with a hint: join the group when its bits would allow the
/// access (or log in again when the group already lists this user), else the mode and owner.
fn denied(message: String, path: &Path, meta: Option<Metadata>, need: Need) -> anyhow::Error {
    let Some(meta) = meta else {
        return exit::failed(message).into();
    };
    // The group's permission bits the access needs, and how `chmod` spells them.
    let (bits, letters) = match (need, meta.is_dir()) {
        (Need::Read, false) => (0o4, "r"),
        (Need::Write, false) => (0o6, "rw"),
        (Need::Read, true) => (0o5, "rx"),
        (Need::Write, true) => (0o7, "rwx"),
    };
    let group = Group::from_gid(Gid::from_raw(meta.gid())).ok().flatten();
    let group_name = group
        .as_ref()
        .map_or_else(|| format!("gid {}", meta.gid()), |g| g.name.clone());
    let membership = group.as_ref().map_or(Membership::None, member);
    let hint = match membership {
        Membership::None if (meta.mode() >> 3) & bits == bits => {
            format!("ask an admin to add you to group `{group_name}` (then log in again)")
        }
        Membership::Listed if (meta.mode() >> 3) & bits == bits => {
            format!("you were added to group `{group_name}` after this login: log in again (or run `newgrp {group_name}`)")
        }
        _ => format!(
            "`{}` is mode {:04o}, owner `{}`, group `{group_name}`: its owner or an admin can give access (e.g. `chmod g+{letters}` and group membership), or pass `--db` with a database of your own",
            path.display(),
            meta.mode() & 0o7777,
            crate::identity::account_name(meta.uid()),
        ),
    };
    exit::failed(message).hint(hint).into()
}
