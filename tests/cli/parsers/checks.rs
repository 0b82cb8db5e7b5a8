//! What each parser must do with an input: accept it (and plan accepted states) or fail with
//! one clear line that names the file and means exit 2.

use proptest::prelude::*;
use std::path::Path;
use std::time::Duration;
use vmsched::cli::{Format, VmImportArgs};
use vmsched::commands::jobs::jobfile;
use vmsched::commands::schedule::read_state_file;
use vmsched::commands::vms::import;
use vmsched::model::State;
use vmsched::output::Output;
use vmsched::{exit, scheduler, Ctx};

/// Asserts that an error is what the CLI prints as one clear line: exit 2, no line break, the
/// file named.
fn assert_clear(err: &anyhow::Error, file: &str) -> Result<(), TestCaseError> {
    let text = format!("{err:#}");
    prop_assert_eq!(exit::classify(err).0, exit::USAGE, "{}", text);
    prop_assert!(!text.contains('\n') && !text.contains('\r'), "{:?}", text);
    prop_assert!(text.contains(file), "no file name: {}", text);
    Ok(())
}

/// A state file's text: accepted states are planned; errors are one line.
pub fn check_state_text(text: &str) -> Result<(), TestCaseError> {
    match State::from_json(text) {
        Ok(state) => {
            scheduler::plan(&state);
        }
        Err(e) => prop_assert!(!e.contains('\n') && !e.contains('\r'), "{:?}", e),
    }
    Ok(())
}

/// A state file's bytes, read by `schedule-once --state`.
pub fn check_state_file(dir: &Path, bytes: &[u8]) -> Result<(), TestCaseError> {
    let path = dir.join("state.json");
    std::fs::write(&path, bytes).unwrap();
    match read_state_file(&path) {
        Ok(state) => {
            scheduler::plan(&state);
        }
        Err(e) => assert_clear(&e, "state.json")?,
    }
    Ok(())
}

/// An inventory's bytes, imported with `--dry-run --no-check` into an empty in-memory database
/// (the whole command but libvirt, in-process: read, parse, check, apply, roll back).
pub fn check_inventory(dir: &Path, bytes: &[u8]) -> Result<(), TestCaseError> {
    let file = dir.join("inventory.toml");
    std::fs::write(&file, bytes).unwrap();
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Err(e) = import::parse("inventory.toml", text) {
            assert_clear(&e, "inventory.toml")?;
        }
    }
    let ctx = Ctx {
        db: dir.join("none.db"),
        out: Output {
            format: Format::Table,
            quiet: true,
            verbose: 0,
            progress: false,
        },
        timeout: Duration::from_secs(1),
    };
    let args = VmImportArgs {
        file,
        prune: false,
        dry_run: true,
        force: false,
        no_check: true,
    };
    if let Err(e) = import::import(&ctx, &args, &mut std::io::sink()) {
        assert_clear(&e, "inventory.toml")?;
    }
    prop_assert!(!ctx.db.exists(), "a dry run created the database");
    Ok(())
}

/// A job file's text, with the VMs `build`, `w10` and `w10_fr`.
pub fn check_job(text: &str) -> Result<(), TestCaseError> {
    let known = |vm: &str| Ok(["build", "w10", "w10_fr"].contains(&vm));
    match jobfile::parse("job.toml", text, &known) {
        Ok(job) => {
            for (i, step) in job.steps.iter().enumerate() {
                prop_assert!(step.previous.is_none_or(|p| (p as usize) <= i));
                prop_assert!(step.timeout >= 1 && !step.vms.is_empty());
            }
        }
        Err(e) => assert_clear(&e, "job.toml")?,
    }
    Ok(())
}
