//! CLI tests of `vms import`: creation, updates, limits, `--prune`, `--dry-run`.

use crate::inventory::cells;
use crate::support::{example_inventory, me, Lab, Run};
use serde_json::json;

/// The example inventory's domains exist nowhere: its imports do not ask libvirt.
const NO_CHECK: &str = "--no-check";

/// The example inventory with some text replaced, written in the lab as `name`.
fn edited_example(lab: &Lab, name: &str, edits: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(example_inventory()).unwrap();
    for (from, to) in edits {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    lab.write(name, &text)
}

#[test]
fn import_creates_updates_and_is_idempotent() {
    let lab = Lab::new();
    let args = [
        "vms",
        "import",
        &example_inventory(),
        "--format",
        "json",
        NO_CHECK,
    ];
    let changes = lab.run(&args).ok().json();
    let changes = changes.as_array().unwrap();
    assert_eq!(changes.len(), 8);
    assert_eq!(
        changes[0],
        json!({"action": "add", "target": "w10", "detail": "qemu:///system win10 wtb"})
    );
    assert_eq!(
        changes[7],
        json!({"action": "limits", "target": "localhost", "detail": "max_active: - → 3",
               "fields": [{"field": "max_active", "old": null, "new": "3"}]})
    );
    let run = lab
        .run(&["vms", "import", &example_inventory(), NO_CHECK])
        .ok();
    assert_eq!(run.stdout, "");
    assert!(run.stderr.ends_with("made 0 changes\n"), "{}", run.stderr);
    let edits = [("wtb-fr", "wtb-fr2"), ("max_active = 3", "max_active = 4")];
    let file = edited_example(&lab, "lab2.toml", &edits);
    let table = lab.run(&["vms", "import", &file, NO_CHECK]).ok().stdout;
    let rows: Vec<Vec<&str>> = table.lines().skip(2).map(cells).collect();
    assert_eq!(
        rows,
        [
            vec!["update", "w10_fr", "snapshot:", "wtb-fr", "→", "wtb-fr2"],
            vec!["limits", "localhost", "max_active:", "3", "→", "4"]
        ]
    );
    let history = lab
        .run(&["history", "--vm", "w10_fr", "--format", "json"])
        .ok()
        .json();
    assert_eq!(
        history[1]["detail"],
        format!("snapshot=wtb-fr2 by {}: imported from {file}", me())
    );
}

#[test]
fn an_import_update_follows_the_rules_of_vms_set() {
    let lab = Lab::example();
    lab.run(&["vms", "set", "w10_fr", "--status", "idle", "--force"])
        .ok();
    let file = edited_example(&lab, "lab2.toml", &[("wtb-fr", "wtb-fr2")]);
    let before = lab.dump();
    let run = lab.run(&["vms", "import", &file, NO_CHECK]).code(3);
    let error = run.one_line_error();
    assert!(
        error.contains("lab2.toml` line 22, field `name`"),
        "{error}"
    );
    assert!(error.contains("VM `w10_fr` while it is `idle`"), "{error}");
    assert_eq!(lab.dump(), before);
    lab.run(&["vms", "import", &file, "--force", NO_CHECK]).ok();
}

#[test]
fn dry_run_changes_nothing() {
    let lab = Lab::new();
    let run = lab
        .run(&["vms", "import", &example_inventory(), "--dry-run", NO_CHECK])
        .ok();
    assert_eq!(
        run.stdout.lines().filter(|l| l.contains(" add ")).count(),
        6
    );
    assert!(
        run.stderr.ends_with("would make 8 changes\n"),
        "{}",
        run.stderr
    );
    assert!(!lab.db.exists());
    let lab = Lab::example();
    let file = edited_example(&lab, "lab2.toml", &[("wtb-fr", "wtb-fr2")]);
    let before = lab.dump();
    let run = lab
        .run(&[
            "vms",
            "import",
            &file,
            "--dry-run",
            "--format",
            "json",
            NO_CHECK,
        ])
        .ok();
    assert_eq!(run.json()[0]["detail"], "snapshot: wtb-fr → wtb-fr2");
    assert_eq!(lab.dump(), before);
}

#[test]
fn dry_run_takes_no_write_lock() {
    let lab = Lab::example();
    let file = edited_example(&lab, "lab2.toml", &[("wtb-fr", "wtb-fr2")]);
    let before = lab.dump();
    let writer = rusqlite::Connection::open(&lab.db).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE").unwrap();
    let dry_run = [
        "vms",
        "import",
        &file,
        "--dry-run",
        "--format",
        "json",
        NO_CHECK,
    ];
    let run = Run::from(
        lab.cmd(&dry_run)
            .env("VMSCHED_BUSY_TIMEOUT_MS", "100")
            .output()
            .unwrap(),
    );
    let run = run.ok();
    assert_eq!(run.json()[0]["detail"], "snapshot: wtb-fr → wtb-fr2");
    let real = Run::from(
        lab.cmd(&["vms", "import", &file, NO_CHECK])
            .env("VMSCHED_BUSY_TIMEOUT_MS", "100")
            .output()
            .unwrap(),
    );
    assert!(
        real.code(1).one_line_error().contains("database is busy"),
        "the real import waits for the writer"
    );
    drop(writer);
    assert_eq!(lab.dump(), before);
}

#[test]
fn prune_removes_unlisted_vms_under_the_remove_rule() {
    let lab = Lab::example();
    let one = "[[vm]]\nname = \"w10\"\nuri = \"qemu:///system\"\ndomain = \"win10\"\nsnapshot = \"wtb\"\n";
    let file = lab.write("one.toml", one);
    lab.task(1, "win7", "queued");
    let before = lab.dump();
    let run = lab
        .run(&["vms", "import", &file, "--prune", NO_CHECK])
        .code(3);
    let error = run.one_line_error();
    assert!(
        error.contains("one.toml` --prune: VM `win7` has work"),
        "{error}"
    );
    assert_eq!(lab.dump(), before);
    let run = lab
        .run(&[
            "vms", "import", &file, "--prune", "--force", "--format", "json", NO_CHECK,
        ])
        .ok();
    let changes = run.json();
    let changes: Vec<String> = changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{} {}", c["action"], c["target"]).replace('"', ""))
        .collect();
    let removed = ["build", "debian", "w10_de", "w10_fr", "win7"].map(|vm| format!("remove {vm}"));
    assert_eq!(
        changes[0], "update w10",
        "the file leaves its description out"
    );
    assert_eq!(changes[1..], removed);
    assert_eq!(lab.run(&["vms", "list", "--name"]).ok().stdout, "w10\n");
    assert_eq!(lab.rows("SELECT status FROM tasks"), ["canceled"]);
}

/// `--dry-run` shows each changed field old → new; `ready_cmd` is an inventory field, shown in
/// `vms list --format json`; a field left out returns to its default (none).
#[test]
fn dry_run_shows_old_and_new_values_and_ready_cmd_is_imported() {
    let lab = Lab::example();
    let edits = [
        (
            "snapshot = \"wtb-fr\"",
            "snapshot = \"wtb-fr2\"\nready_cmd = [\"ping\", \"-c1\", \"fr\"]",
        ),
        ("\"Windows 10, German\"", "\"Windows 10, Deutsch\""),
    ];
    let file = edited_example(&lab, "lab2.toml", &edits);
    let args = ["vms", "import", &file, NO_CHECK, "--format", "json"];
    let dry = lab.run(&[&args[..], &["--dry-run"]].concat()).ok().json();
    assert_eq!(
        dry,
        json!([
            {"action": "update", "target": "w10_fr",
             "detail": "snapshot: wtb-fr → wtb-fr2; ready_cmd: - → ping -c1 fr",
             "fields": [{"field": "snapshot", "old": "wtb-fr", "new": "wtb-fr2"},
                        {"field": "ready_cmd", "old": null, "new": "ping -c1 fr"}]},
            {"action": "update", "target": "w10_de",
             "detail": "description: Windows 10, German → Windows 10, Deutsch",
             "fields": [{"field": "description", "old": "Windows 10, German",
                         "new": "Windows 10, Deutsch"}]}
        ])
    );
    assert_eq!(
        lab.run(&args).ok().json(),
        dry,
        "the import does what its dry run said"
    );
    let vms = lab.run(&["vms", "list", "--format", "json"]).ok().json();
    let fr = vms
        .as_array()
        .unwrap()
        .iter()
        .find(|vm| vm["name"] == "w10_fr")
        .unwrap();
    assert_eq!(fr["ready_cmd"], json!(["ping", "-c1", "fr"]));

    let file = edited_example(&lab, "lab3.toml", &[]);
    let undone = lab.run(&["vms", "import", &file, NO_CHECK]).ok().stdout;
    assert!(undone.contains("ready_cmd: ping -c1 fr → -"), "{undone}");

    let empty = edited_example(
        &lab,
        "lab4.toml",
        &[(
            "snapshot = \"wtb-fr\"",
            "snapshot = \"wtb-fr\"\nready_cmd = []",
        )],
    );
    let run = lab.refused(&["vms", "import", &empty, NO_CHECK], 2);
    let error = run.one_line_error();
    assert!(
        error.contains("field `ready_cmd`") && error.contains("names no program"),
        "{error}"
    );
}

/// A re-import keeps the limits and the paused flag `hosts set` stored that the file leaves
/// out; what the file names, it sets, shown old → new.
#[test]
fn a_re_import_keeps_host_limits_the_file_leaves_out() {
    let lab = Lab::example();
    lab.run(&[
        "hosts",
        "set",
        "localhost",
        "--paused",
        "--max-running",
        "2",
    ])
    .ok();
    lab.run(&["hosts", "set", "*", "--max-vms-when-idle", "1"])
        .ok();
    let same = lab
        .run(&["vms", "import", &example_inventory(), NO_CHECK])
        .ok();
    assert_eq!(same.stdout, "", "nothing the file names changed");
    let file = edited_example(&lab, "lab2.toml", &[("max_active = 3", "max_active = 4")]);
    let run = lab.run(&["vms", "import", &file, NO_CHECK]).ok();
    let rows: Vec<Vec<&str>> = run.stdout.lines().skip(2).map(cells).collect();
    assert_eq!(
        rows,
        [vec!["limits", "localhost", "max_active:", "3", "→", "4"]]
    );
    assert_eq!(
        lab.rows("SELECT host, max_active, max_running, max_vms_when_idle, paused FROM hosts ORDER BY host"),
        ["*|2|1|1|0", "localhost|4|2|NULL|1"]
    );
    let file = edited_example(
        &lab,
        "lab3.toml",
        &[("max_active = 3", "max_active = 3\npaused = false")],
    );
    let run = lab
        .run(&["vms", "import", &file, NO_CHECK, "--format", "json"])
        .ok()
        .json();
    assert_eq!(
        run[0]["fields"],
        json!([
            {"field": "max_active", "old": "4", "new": "3"},
            {"field": "paused", "old": "true", "new": "false"}
        ])
    );
}
