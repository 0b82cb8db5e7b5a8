//! `vmsched migrate`: brings an older database to this version's schema, the only command
//! that does.

use crate::cli::MigrateArgs;
use crate::exit::refused;
use crate::store::{self, Mode, SCHEMA_VERSION};
use crate::Ctx;
use anyhow::Result;

/// Migrates the database; refused (exit 3) while operations are live unless `--force`: their
/// workers would write rows of the old schema.
pub fn migrate(ctx: &Ctx, args: &MigrateArgs) -> Result<()> {
    let mut store = ctx.open(Mode::Migrate)?;
    let from = store.version()?;
    let path = store.path().display().to_string();
    if from == SCHEMA_VERSION {
        ctx.out.say(format_args!(
            "database `{path}` is at schema version {from}: nothing to migrate"
        ));
        return Ok(());
    }
    check_live(store::live_operations(store.conn())?, args.force)?;
    store.migrate()?;
    ctx.out.say(format_args!(
        "migrated database `{path}` from schema version {from} to {SCHEMA_VERSION}"
    ));
    if !store.incremental()? {
        // Everything is paused for the migration: the one moment a full rewrite harms no one.
        store.make_incremental()?;
        ctx.out.say(format_args!(
            "rewrote database `{path}` once so that `vmsched purge --vacuum` can compact it"
        ));
    }
    Ok(())
}

/// Refuses to migrate under `live` operations unless forced.
fn check_live(live: i64, force: bool) -> Result<()> {
    if live > 0 && !force {
        return Err(refused(format!("{live} operations are live"))
            .hint("wait for them to end (stop the cron pass first), or pass `--force`")
            .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_operations_block_unless_forced() {
        let err = check_live(2, false).unwrap_err();
        assert_eq!(crate::exit::classify(&err).0, crate::exit::REFUSED);
        assert!(err.to_string().contains("2 operations are live"));
        assert!(check_live(2, true).is_ok());
        assert!(check_live(0, false).is_ok());
    }
}
