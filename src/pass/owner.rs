//! Passes and workers run as the database file's owner: root acts with the owner's identity,
//! and any other user leaves passes to the owner (their changes only record a request).

use anyhow::{Context, Result};
use nix::unistd::{getgrouplist, setgid, setgroups, setuid, Gid, Uid, User};
use std::ffi::CString;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// How this process stands to the database's owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Standing {
    /// This process runs as the owner.
    Owner,
    /// Root, with a database owned by another user: passes run as that user.
    Root { uid: u32, gid: u32 },
    /// Someone else: passes are the owner's.
    Other { uid: u32 },
}

/// This process's standing to the database at `db`.
pub(crate) fn standing(db: &Path) -> Result<Standing> {
    let meta = std::fs::metadata(db)
        .with_context(|| format!("cannot read the owner of `{}`", db.display()))?;
    let me = Uid::effective();
    Ok(if me.as_raw() == meta.uid() {
        Standing::Owner
    } else if me.is_root() {
        Standing::Root {
            uid: meta.uid(),
            gid: meta.gid(),
        }
    } else {
        Standing::Other { uid: meta.uid() }
    })
}

/// Root takes the owner's identity for good (user, primary group and supplementary groups,
/// so group access such as libvirt's socket works as it does for that user); the owner stays
/// as it is. Returns false for anyone else, who may not run passes for the owner.
pub(crate) fn become_owner(db: &Path) -> Result<bool> {
    let (uid, gid) = match standing(db)? {
        Standing::Owner => return Ok(true),
        Standing::Other { .. } => return Ok(false),
        Standing::Root { uid, gid } => (Uid::from_raw(uid), Gid::from_raw(gid)),
    };
    let user = User::from_uid(uid).ok().flatten();
    let (gid, groups) = match &user {
        Some(user) => {
            let name = CString::new(user.name.as_str())?;
            (user.gid, getgrouplist(&name, user.gid)?)
        }
        None => (gid, vec![gid]),
    };
    setgroups(&groups).context("cannot set the database owner's groups")?;
    setgid(gid).context("cannot take the database owner's group")?;
    setuid(uid).context("cannot take the database owner's identity")?;
    Ok(true)
}
