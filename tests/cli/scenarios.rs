//! Runs every scenario file of `tests/scenarios`: a state file, the plan actions it must give
//! (compared exactly, order included) and, optionally, the counters, owners, waiting VMs and
//! new error counts.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use vmsched::model::State;
use vmsched::scheduler::plan;

/// The keys a scenario file may have; any other is a typo that would silently check nothing.
const KEYS: &[&str] = &[
    "description",
    "state",
    "expect",
    "counters",
    "owners",
    "waiting",
    "errors",
];

#[test]
fn scenarios() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "too few scenarios in {}", dir.display());
    let failures: Vec<String> = files.iter().filter_map(|f| check(f).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenarios failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

/// Checks one scenario; the error names the file and shows expected and actual JSON.
fn check(file: &Path) -> Result<(), String> {
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let text = std::fs::read_to_string(file).map_err(|e| format!("{name}: {e}"))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{name}: {e}"))?;
    let fields = doc.as_object().ok_or(format!("{name}: not an object"))?;
    if let Some(key) = fields.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(format!("{name}: unknown key `{key}`"));
    }
    let state = State::from_json(&doc["state"].to_string())
        .map_err(|e| format!("{name}: invalid state: {e}"))?;
    let plan = plan(&state);
    let actual = serde_json::to_value(&plan).expect("a plan serialises");
    let waiting: Vec<&Value> = actual["waiting"]
        .as_array()
        .expect("waiting is a list")
        .iter()
        .map(|w| &w["vm"])
        .collect();
    let errors: serde_json::Map<String, Value> = plan
        .errors
        .iter()
        .map(|(vm, n)| (vm.clone(), json!(n)))
        .collect();
    let checks = [
        ("expect", actual["actions"].clone()),
        ("counters", actual["counters"].clone()),
        ("owners", actual["owners"].clone()),
        ("waiting", json!(waiting)),
        ("errors", Value::Object(errors)),
    ];
    for (key, got) in checks {
        let Some(want) = fields.get(key) else {
            continue;
        };
        if *want != got {
            let what = if key == "expect" { "actions" } else { key };
            return Err(format!(
                "{name}: {what} differ\nexpected {what}: {}\nactual {what}: {}\nall actual actions: {}\nactual waiting: {}",
                pretty(want),
                pretty(&got),
                pretty(&actual["actions"]),
                pretty(&actual["waiting"]),
            ));
        }
    }
    Ok(())
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON prints")
}
