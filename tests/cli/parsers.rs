//! Property tests of the three file parsers, called in-process: the state file
//! (`schedule-once --state`), the inventory (`vms import`) and the job file (`jobs submit
//! --file`). Fed arbitrary bytes, arbitrary JSON or TOML values, and valid files with random
//! edits, they never panic, and every error is one line that names the file and means exit 2.
//! Accepted state files are also planned, which must not panic either.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value as Json;
use std::path::Path;
use std::time::Duration;
use vmsched::cli::{Format, VmImportArgs};
use vmsched::commands::jobs::jobfile;
use vmsched::commands::schedule::read_state_file;
use vmsched::commands::vms::import;
use vmsched::model::State;
use vmsched::output::Output;
use vmsched::{exit, scheduler, Ctx};

/// The state file of docs/interfaces.md, with a second VM and job.
const STATE: &str = r#"{
  "limits": {"max_active": 2, "max_running": 1, "max_reverting": 1,
             "max_reverts_while_running": 0, "max_vms_when_idle": 2},
  "hosts": {"h1": {"max_active": 4, "paused": false}},
  "max_errors": 3, "max_task_tries": 3, "revert_timeout": 360,
  "vms": [
    {"name": "w10", "kind": "win64", "role": "base", "status": "idle",
     "uri": "qemu+ssh://h1/system", "domain": "w10", "snapshot": "wtb",
     "child": "none", "errors": 0, "monitor_due": true},
    {"name": "w10_fr", "status": "off", "uri": "qemu+ssh://h1/system", "domain": "w10",
     "snapshot": "wtb-fr"}
  ],
  "jobs": [
    {"id": 1, "priority": 5, "status": "queued",
     "steps": [{"no": 1, "previous": null, "status": "queued",
                "tasks": [{"no": 1, "vm": "w10", "status": "queued", "timeout": 300,
                           "tries": 0}]},
               {"no": 2, "previous": 1,
                "tasks": [{"no": 1, "vm": "w10_fr"}, {"no": 2, "vm": "w10"}]}]},
    {"id": 2, "steps": [{"no": 1, "tasks": [{"no": 1, "vm": "w10_fr", "status": "running"}]}]}
  ]
}"#;

/// The example inventory.
const INVENTORY: &str = include_str!("../../examples/lab.toml");

/// The job file of docs/interfaces.md.
const JOB: &str = r#"priority = 5
remarks = "nightly"
[[step]]
name = "build"
vms = ["build"]
command = ["./build.sh", "--all"]
timeout = 1800
[[step]]
name = "test"
after = "build"
vms = ["w10", "w10_fr"]
command = ["./run-tests.sh"]
"#;

/// Every key the three formats know, so that random documents often hit a real field.
const KEYS: &[&str] = &[
    "limits",
    "hosts",
    "max_active",
    "max_running",
    "max_reverting",
    "max_reverts_while_running",
    "max_vms_when_idle",
    "paused",
    "max_errors",
    "max_task_tries",
    "revert_timeout",
    "vms",
    "jobs",
    "name",
    "kind",
    "role",
    "status",
    "uri",
    "domain",
    "snapshot",
    "child",
    "errors",
    "monitor_due",
    "id",
    "priority",
    "steps",
    "no",
    "previous",
    "tasks",
    "vm",
    "timeout",
    "tries",
    "hostname",
    "description",
    "remarks",
    "step",
    "after",
    "command",
    "h1",
    "localhost",
    "*",
    "bogus",
];

/// Strings that mean something somewhere: VM names, status and role words, URIs, and some
/// that are bad in one way or another.
const WORDS: &[&str] = &[
    "w10",
    "w10_fr",
    "build",
    "off",
    "idle",
    "running",
    "queued",
    "base",
    "retired",
    "alive",
    "qemu:///system",
    "qemu://localhost/system",
    "qemu+ssh://h1/system",
    "qemu+ssh://h1",
    "nonsense",
    "",
    " ",
    "a b",
    "a/b",
    "line\nbreak",
    "nul\0byte",
    "esc\u{1b}[31m",
    "\u{feff}",
    "ünïcödé",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(KEYS).prop_map(str::to_string),
        1 => "\\PC{0,6}",
    ]
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => select(WORDS).prop_map(str::to_string),
        1 => "\\PC{0,8}",
        1 => ".{0,4}",
    ]
}

fn number() -> impl Strategy<Value = i64> {
    prop_oneof![
        select(vec![
            0i64,
            1,
            2,
            3,
            5,
            300,
            -1,
            i64::MAX,
            i64::MIN,
            u32::MAX as i64 + 1
        ]),
        any::<i64>(),
    ]
}

/// Any JSON value, keys mostly known ones.
fn json() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        number().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        word().prop_map(Json::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Json::Array),
            vec((key(), inner), 0..6).prop_map(|kv| Json::Object(kv.into_iter().collect())),
        ]
    })
}

/// Any TOML value (no dates), keys mostly known ones.
fn toml_value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(toml::Value::Boolean),
        number().prop_map(toml::Value::Integer),
        any::<f64>().prop_map(toml::Value::Float),
        word().prop_map(toml::Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(toml::Value::Array),
            vec((key(), inner), 0..6).prop_map(|kv| toml::Value::Table(kv.into_iter().collect())),
        ]
    })
}

/// A TOML document: a table of any values (or of tables and arrays of tables).
fn toml_document() -> impl Strategy<Value = String> {
    vec((key(), toml_value()), 0..6).prop_filter_map("not representable", |kv| {
        toml::to_string(&toml::Table::from_iter(kv)).ok()
    })
}

/// Which node of a JSON value to change, and to what.
#[derive(Clone, Debug)]
enum Edit {
    Replace(Json),
    Remove,
    Insert(String, Json),
}

fn edit() -> impl Strategy<Value = (Vec<usize>, Edit)> {
    let edit = prop_oneof![
        3 => json().prop_map(Edit::Replace),
        1 => Just(Edit::Remove),
        1 => (key(), json()).prop_map(|(k, v)| Edit::Insert(k, v)),
    ];
    (vec(any::<usize>(), 0..7), edit)
}

/// Applies an edit at the node a path leads to: each step picks a child (modulo their number)
/// and the walk stops early at a leaf.
fn apply(value: &mut Json, path: &[usize], edit: Edit) {
    let children = match value {
        Json::Array(items) => items.len(),
        Json::Object(map) => map.len(),
        _ => 0,
    };
    let Some((&first, rest)) = path.split_first().filter(|_| children > 0) else {
        match edit {
            Edit::Replace(v) => *value = v,
            Edit::Insert(k, v) => {
                if let Json::Object(map) = value {
                    map.insert(k, v);
                }
            }
            Edit::Remove => *value = Json::Null,
        }
        return;
    };
    let i = first % children;
    match (value, &edit) {
        (Json::Array(items), Edit::Remove) if rest.is_empty() => {
            items.remove(i);
        }
        (Json::Object(map), Edit::Remove) if rest.is_empty() => {
            let k = map.keys().nth(i).unwrap().clone();
            map.remove(&k);
        }
        (Json::Array(items), _) => apply(&mut items[i], rest, edit),
        (Json::Object(map), _) => apply(map.values_mut().nth(i).unwrap(), rest, edit),
        _ => unreachable!(),
    }
}

/// Random byte edits of a valid text: (where, as a fraction of its length; what).
#[derive(Clone, Debug)]
enum ByteEdit {
    Delete(usize),
    Insert(u8),
    Replace(u8),
    Truncate,
}

fn byte_edits() -> impl Strategy<Value = Vec<(f64, ByteEdit)>> {
    let interesting = select(b"\0\n\r\t\"'[]{}=,:.#\\ -0123456789eE\x7f\xff\xef\xbb\xbf".to_vec());
    let byte = prop_oneof![interesting, any::<u8>()];
    let edit = prop_oneof![
        3 => (1usize..8).prop_map(ByteEdit::Delete),
        3 => byte.clone().prop_map(ByteEdit::Insert),
        3 => byte.prop_map(ByteEdit::Replace),
        1 => Just(ByteEdit::Truncate),
    ];
    vec((0.0..1.0f64, edit), 1..5)
}

fn edited(text: &str, edits: &[(f64, ByteEdit)]) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for (at, edit) in edits {
        let i = ((bytes.len() as f64) * at) as usize;
        let i = i.min(bytes.len().saturating_sub(1));
        match *edit {
            ByteEdit::Delete(n) => {
                let end = (i + n).min(bytes.len());
                bytes.drain(i.min(end)..end);
            }
            ByteEdit::Insert(b) => bytes.insert(i, b),
            ByteEdit::Replace(b) if i < bytes.len() => bytes[i] = b,
            ByteEdit::Replace(b) => bytes.push(b),
            ByteEdit::Truncate => bytes.truncate(i),
        }
    }
    bytes
}

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
fn check_state_text(text: &str) -> Result<(), TestCaseError> {
    match State::from_json(text) {
        Ok(state) => {
            scheduler::plan(&state);
        }
        Err(e) => prop_assert!(!e.contains('\n') && !e.contains('\r'), "{:?}", e),
    }
    Ok(())
}

/// A state file's bytes, read by `schedule-once --state`.
fn check_state_file(dir: &Path, bytes: &[u8]) -> Result<(), TestCaseError> {
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

/// An inventory's bytes, imported with `--dry-run` into an empty in-memory database (the
/// whole command, in-process: read, parse, check, apply, roll back).
fn check_inventory(dir: &Path, bytes: &[u8]) -> Result<(), TestCaseError> {
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
    };
    if let Err(e) = import::import(&ctx, &args, &mut std::io::sink()) {
        assert_clear(&e, "inventory.toml")?;
    }
    prop_assert!(!ctx.db.exists(), "a dry run created the database");
    Ok(())
}

/// A job file's text, with the VMs `build`, `w10` and `w10_fr`.
fn check_job(text: &str) -> Result<(), TestCaseError> {
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
