//! Property tests of the three file parsers, called in-process: the state file
//! (`schedule-once --state`), the inventory (`vms import`) and the job file (`jobs submit
//! --file`). Fed arbitrary bytes, arbitrary JSON or TOML values, and valid files with random
//! edits, they never panic, and every error is one line that names the file and means exit 2.
//! Accepted state files are also planned, which must not panic either.

mod checks;
mod samples;
mod strategies;

use checks::{check_inventory, check_job, check_state_file, check_state_text};
use proptest::collection::vec;
use proptest::prelude::*;
use samples::{INVENTORY, JOB, STATE};
use serde_json::Value as Json;
use strategies::{apply, byte_edits, edit, edited, json, toml_document};
use vmsched::commands::jobs::jobfile;
use vmsched::commands::vms::import;
use vmsched::model::State;

#[test]
fn the_samples_are_valid() {
    State::from_json(STATE).unwrap();
    import::parse("lab.toml", INVENTORY).unwrap();
    let known = |vm: &str| Ok(["build", "w10", "w10_fr"].contains(&vm));
    assert_eq!(
        jobfile::parse("job.toml", JOB, &known).unwrap().steps.len(),
        2
    );
}

// 256 cases each, or `PROPTEST_CASES=N`.
proptest! {
    #[test]
    fn state_from_any_json(value in json()) {
        check_state_text(&value.to_string())?;
    }

    #[test]
    fn state_with_one_field_changed(edits in vec(edit(), 1..4)) {
        let mut value: Json = serde_json::from_str(STATE).unwrap();
        for (path, edit) in edits {
            apply(&mut value, &path, edit);
        }
        check_state_text(&value.to_string())?;
    }

    #[test]
    fn state_file_from_any_bytes(bytes in vec(any::<u8>(), 0..200)) {
        let dir = tempfile::tempdir().unwrap();
        check_state_file(dir.path(), &bytes)?;
    }

    #[test]
    fn state_file_with_bytes_edited(edits in byte_edits()) {
        let dir = tempfile::tempdir().unwrap();
        check_state_file(dir.path(), &edited(STATE, &edits))?;
    }

    #[test]
    fn inventory_from_any_toml(text in toml_document()) {
        let dir = tempfile::tempdir().unwrap();
        check_inventory(dir.path(), text.as_bytes())?;
    }

    #[test]
    fn inventory_from_any_bytes(bytes in vec(any::<u8>(), 0..200)) {
        let dir = tempfile::tempdir().unwrap();
        check_inventory(dir.path(), &bytes)?;
    }

    #[test]
    fn inventory_with_bytes_edited(edits in byte_edits()) {
        let dir = tempfile::tempdir().unwrap();
        check_inventory(dir.path(), &edited(INVENTORY, &edits))?;
    }

    #[test]
    fn job_from_any_toml(text in toml_document()) {
        check_job(&text)?;
    }

    #[test]
    fn job_from_any_text(text in "\\PC{0,200}") {
        check_job(&text)?;
    }

    #[test]
    fn job_with_bytes_edited(edits in byte_edits()) {
        if let Ok(text) = String::from_utf8(edited(JOB, &edits)) {
            check_job(&text)?;
        }
    }
}
