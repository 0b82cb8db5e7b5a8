//! Who is acting. The acting user is the account of the process's real uid, never a variable
//! of the environment (`SUDO_USER`, `USER` and `LOGNAME` are the caller's to set). A command
//! may declare someone it acts on behalf of (`jobs submit --user`); only root and the service
//! user (the database file's owner, as whom passes and workers run) may, as only they may set
//! what runs as the service user for everyone (ready commands, program-running URIs).

use crate::exit;
use anyhow::Result;
use nix::unistd::{getuid, Uid, User};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The real user's account name, or `uid N` for a uid without an account.
pub fn real_user() -> String {
    account_name(getuid().as_raw())
}

/// The account name of `uid`, or `uid N` when it has none (messages, history).
pub(crate) fn account_name(uid: u32) -> String {
    User::from_uid(Uid::from_raw(uid))
        .ok()
        .flatten()
        .map_or_else(|| format!("uid {uid}"), |u| u.name)
}

/// Who records an action: the real user and, when declared and someone else, the user acted
/// for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Actor {
    pub(crate) user: String,
    pub(crate) on_behalf_of: Option<String>,
}

impl Actor {
    /// The real user, acting for nobody else.
    pub(crate) fn me() -> Actor {
        Actor {
            user: real_user(),
            on_behalf_of: None,
        }
    }

    /// The real user acting on behalf of `other` (declaring oneself is acting for nobody
    /// else). Refused (exit 3) unless this process may act for the database's users.
    pub(crate) fn on_behalf_of(db: &Path, other: Option<&str>) -> Result<Actor> {
        let mut actor = Actor::me();
        if other.is_some_and(|o| o.trim().is_empty()) {
            return Err(exit::bad_input("empty --user").into());
        }
        let Some(other) = other.filter(|o| *o != actor.user) else {
            return Ok(actor);
        };
        privileged(
            db,
            &format!(
                "act on behalf of `{}`",
                crate::model::escape_controls(other)
            ),
        )?;
        actor.on_behalf_of = Some(other.to_string());
        Ok(actor)
    }
}

/// A user as tables show it: `root`, or `root for alice` when acting on behalf of alice.
pub(crate) fn shown(user: &str, on_behalf_of: Option<&str>) -> String {
    match on_behalf_of {
        Some(other) => format!("{user} for {other}"),
        None => user.to_string(),
    }
}

/// Whether the real user is root or the service user: the owner of the database at `db`
/// (a database still to be created will be the caller's own).
fn is_privileged(db: &Path) -> bool {
    let me = getuid();
    me.is_root()
        || match std::fs::metadata(db) {
            Ok(meta) => Uid::from_raw(meta.uid()) == me,
            Err(err) => err.kind() == std::io::ErrorKind::NotFound,
        }
}

/// Refuses (exit 3) `what` unless the real user is root or the service user.
pub(crate) fn privileged(db: &Path, what: &str) -> Result<()> {
    if is_privileged(db) {
        return Ok(());
    }
    let owner = std::fs::metadata(db).map_or_else(
        |_| "the database's owner".to_string(),
        |m| account_name(m.uid()),
    );
    Err(exit::refused(format!(
        "`{}` may not {what}: only root and the service user (`{owner}`) may",
        real_user()
    ))
    .into())
}
