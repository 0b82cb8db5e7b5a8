//! CLI tests of the VM inventory: `vms add|remove|list`, in table and JSON form, and helpers
//! the other inventory tests share.

use crate::support::{lab_uri, me, texts, Lab};
use serde_json::{json, Value};

/// The whitespace-separated cells of a table line.
pub fn cells(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// The lines of the table `vmsched ARGS` prints, after checking that its first line's cells are
/// the words of `header`.
pub fn table(lab: &Lab, args: &[&str], header: &str) -> Vec<String> {
    let stdout = lab.run(args).ok().stdout;
    let lines: Vec<String> = stdout.lines().map(str::to_string).collect();
    assert_eq!(cells(&lines[0]), cells(header));
    lines
}

/// The VM called `name` in `vms list --format json`.
pub fn vm(lab: &Lab, name: &str) -> Value {
    let list = lab.run(&["vms", "list", "--format", "json"]).ok().json();
    let found = list.as_array().unwrap().iter().find(|v| v["name"] == name);
    found.cloned().unwrap_or(Value::Null)
}

/// The newest history entry of a VM (JSON).
pub fn last_history(lab: &Lab, name: &str) -> Value {
    let history = lab
        .run(&["history", "--vm", name, "--format", "json"])
        .ok()
        .json();
    history.as_array().unwrap().last().cloned().unwrap()
}

/// Records a live revert worker (pid 4242) for `vm`, as a pass would.
pub fn live_revert(lab: &Lab, vm: &str) {
    lab.sql(&format!(
        "INSERT INTO operations (id, vm, kind, pid, deadline, created, by_user)
         VALUES (5, '{vm}', 'revert', 4242, '2030-01-01T00:06:00Z', '2030-01-01T00:00:00Z', 'tester');
         UPDATE vms SET status = 'reverting', operation = 5 WHERE name = '{vm}';"
    ));
}

#[test]
fn add_and_list_in_table_and_json() {
    let lab = Lab::new();
    let uri = lab_uri();
    let add = [
        "vms",
        "add",
        "t1",
        "-c",
        &uri,
        "--domain",
        "fv0",
        "--snapshot",
        "clean",
        "--kind",
        "wine",
        "--role",
        "extra",
        "--hostname",
        "t1.lab",
        "--description",
        "test VM",
        "--reason",
        "first",
        "--no-check",
    ];
    let run = lab.run(&add).ok();
    assert_eq!(run.stderr, "added VM `t1` on `localhost` (off)\n");
    assert_eq!(run.stdout, "");
    let ssh = "qemu+ssh://root@H1:2222/system";
    lab.run(&[
        "vms",
        "add",
        "a2",
        "-c",
        ssh,
        "--domain",
        "d",
        "--snapshot",
        "s",
        "--no-check",
    ])
    .ok();
    let header = "Name Kind Role Status Host Domain Snapshot Errors Operation";
    let lines = table(&lab, &["vms", "list"], header);
    assert!(lines[1].starts_with("-----"));
    assert_eq!(
        cells(&lines[2]),
        ["a2", "win64", "base", "off", "h1:2222", "d", "s", "0", "-"]
    );
    assert_eq!(
        cells(&lines[3]),
        [
            "t1",
            "wine",
            "extra",
            "off",
            "localhost",
            "fv0",
            "clean",
            "0",
            "-"
        ]
    );
    assert_eq!(lines.len(), 4);
    let expected = json!({
        "name": "t1", "kind": "wine", "role": "extra", "status": "off", "uri": uri,
        "domain": "fv0", "snapshot": "clean", "host": "localhost", "hostname": "t1.lab",
        "errors": 0, "child": null, "description": "test VM", "ready_cmd": null
    });
    assert_eq!(vm(&lab, "t1"), expected);
    let added = last_history(&lab, "t1");
    assert_eq!(
        (
            &added["new"],
            &added["detail"],
            &added["user"],
            &added["reason"]
        ),
        (
            &json!("off"),
            &json!("added"),
            &json!(me()),
            &json!("first")
        )
    );
}

#[test]
fn list_filters_and_prints_names() {
    let lab = Lab::example();
    lab.run(&["vms", "set", "win7", "--status", "idle", "--force"])
        .ok();
    let names = |filter: &[&str]| {
        let args = [&["vms", "list", "--name"], filter].concat();
        lab.run(&args).ok().stdout
    };
    assert_eq!(names(&[]), "build\ndebian\nw10\nw10_de\nw10_fr\nwin7\n");
    assert_eq!(names(&["--domain", "win10"]), "w10\nw10_de\nw10_fr\n");
    assert_eq!(names(&["--role", "extra"]), "w10_de\n");
    assert_eq!(names(&["--status", "idle"]), "win7\n");
    let json = lab
        .run(&["vms", "list", "--role", "winetest", "--format", "json"])
        .ok()
        .json();
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(
        (&json[0]["name"], &json[0]["kind"]),
        (&json!("win7"), &json!("win32"))
    );
}

#[test]
fn list_shows_a_live_operation() {
    let lab = Lab::example();
    live_revert(&lab, "w10");
    let child = json!({"pid": 4242, "operation": "revert", "deadline": "2030-01-01T00:06:00Z"});
    assert_eq!(vm(&lab, "w10")["child"], child);
    let table = lab.run(&["vms", "list", "--domain", "win10"]).ok().stdout;
    let row = table
        .lines()
        .find(|l| l.trim_start().starts_with("w10 "))
        .unwrap();
    assert_eq!(cells(row)[3], "reverting");
    assert!(row.ends_with("revert (pid 4242)"), "{row}");
    lab.sql("UPDATE operations SET ended = '2030-01-01T00:01:00Z'");
    assert_eq!(vm(&lab, "w10")["child"], Value::Null);
}

#[test]
fn remove_is_refused_with_work_unless_forced() {
    let lab = Lab::example();
    lab.task(1, "w10", "queued");
    lab.task(2, "w10", "running");
    lab.task(3, "win7", "queued");
    let before = lab.dump();
    let run = lab.run(&["vms", "remove", "w10"]).code(3);
    assert!(run
        .one_line_error()
        .contains("VM `w10` has work: 1 queued and 1 running tasks"));
    assert_eq!(lab.dump(), before);
    let run = lab
        .run(&["vms", "remove", "w10", "--force", "--reason", "gone"])
        .ok();
    assert_eq!(
        run.stderr,
        "removed VM `w10` (1 queued tasks canceled, 1 running tasks stopped and canceled)\n"
    );
    let tasks = lab.rows("SELECT no, vm, status FROM tasks ORDER BY no");
    assert_eq!(tasks, ["1|w10|canceled", "2|w10|canceled", "3|win7|queued"]);
    assert_eq!(vm(&lab, "w10"), Value::Null);
    let history = lab
        .run(&["history", "--vm", "w10", "--format", "json"])
        .ok()
        .json();
    assert_eq!(
        texts(&history, "detail"),
        [
            "added",
            "task 1/1/2 stopped: VM removed",
            "task 1/1/1 canceled: VM removed",
            "task 1/1/2 canceled: VM removed",
            "removed"
        ]
    );
    let removed = last_history(&lab, "w10");
    assert_eq!(
        (&removed["old"], &removed["new"], &removed["reason"]),
        (&json!("off"), &Value::Null, &json!("gone"))
    );
    lab.run(&["vms", "remove", "debian"]).ok();
    assert_eq!(
        lab.run(&["vms", "list", "--name"]).ok().stdout,
        "build\nw10_de\nw10_fr\nwin7\n"
    );
}
