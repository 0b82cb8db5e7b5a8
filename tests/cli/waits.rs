//! CLI tests of why queued work waits: `jobs show` and `vms show` give each waiting task's
//! reason in the words of `schedule-once --dry-run`, blocked tasks included; `vms set` warns
//! when a change holds work back; `vms list --host`; the live counts of `hosts list`.

use crate::domains::{add, add_unchecked, status, DEAD_URI};
use crate::support::Lab;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// What a dry-run says: its action lines, and the reason of each waiting VM.
fn dry_run(lab: &Lab) -> (Vec<String>, BTreeMap<String, String>) {
    let run = lab.run(&["schedule-once", "--dry-run"]).ok();
    let mut actions = Vec::new();
    let mut waiting = BTreeMap::new();
    for line in run.stdout.lines() {
        if let Some(rest) = line.strip_prefix("waiting: ") {
            let (vm, reason) = rest.split_once(' ').unwrap();
            waiting.insert(vm.to_string(), reason.to_string());
        } else if !line.starts_with("counters: ") && !line.starts_with("owner: ") {
            actions.push(line.to_string());
        }
    }
    (actions, waiting)
}

/// The waiting tasks of `jobs show ID --format json`, as (step, task, vm, reason).
fn job_waits(lab: &Lab, id: &str) -> Vec<(u64, u64, String, String)> {
    let job = lab
        .run(&["jobs", "show", id, "--format", "json"])
        .ok()
        .json();
    let waiting = job["waiting"].as_array().unwrap();
    waiting
        .iter()
        .map(|w| {
            assert_eq!(w["job"].to_string(), id);
            (
                w["step"].as_u64().unwrap(),
                w["task"].as_u64().unwrap(),
                w["vm"].as_str().unwrap().to_string(),
                w["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Asserts that a reason that speaks of the VM is a dry-run's word for word: its waiting
/// reason, or one of its actions after `next pass: `.
fn assert_dry_run_words(lab: &Lab, vm: &str, reason: &str) {
    let (actions, waiting) = dry_run(lab);
    match reason.strip_prefix("next pass: ") {
        Some(action) => assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}"),
        None => assert_eq!(waiting.get(vm).map(String::as_str), Some(reason), "{vm}"),
    }
}

/// A two-step job file: `first` on `first_vm`, then `then` on `then_vm` after it.
fn two_steps(lab: &Lab, name: &str, first_vm: &str, then_vm: &str) -> String {
    lab.write(
        name,
        &format!(
            "[[step]]\nname = \"first\"\nvms = [\"{first_vm}\"]\ncommand = [\"true\"]\n\n\
             [[step]]\nname = \"then\"\nafter = \"first\"\nvms = [\"{then_vm}\"]\ncommand = [\"true\"]\n"
        ),
    )
}

#[test]
fn every_waiting_task_has_the_reason_a_dry_run_gives() {
    let lab = Lab::new();
    add(
        &lab,
        &[
            ("w10", "lab", "win10", "wtb"),
            ("w10_fr", "lab", "win10", "wtb-fr"),
            ("w7", "lab", "win7", "wtb"),
            ("b", "lab", "build", "clean"),
        ],
    );
    add_unchecked(&lab, &[("r", "lab", "debian", "wine")]);
    let limits = ["--max-active", "4", "--max-reverting", "2"];
    lab.run(&[&["hosts", "set", "localhost"], &limits[..]].concat())
        .ok();
    status(&lab, "w10_fr", "maintenance");
    // Job 1: a sibling in maintenance holds w10's domain; b and w7 are reverted.
    lab.run(&[
        "jobs", "submit", "--vm", "w10", "--vm", "w7", "--vm", "b", "--", "true",
    ])
    .ok();
    let waits = job_waits(&lab, "1");
    assert_eq!(waits.len(), 3, "{waits:?}");
    for (_, _, vm, reason) in &waits {
        assert_dry_run_words(&lab, vm, reason);
    }
    let reasons: BTreeMap<&str, &str> = waits
        .iter()
        .map(|(_, _, vm, reason)| (vm.as_str(), reason.as_str()))
        .collect();
    assert_eq!(reasons["w10"], "domain owned by w10_fr (maintenance)");
    assert_eq!(reasons["b"], "next pass: revert b");
    assert_eq!(reasons["w7"], "next pass: revert w7");

    // Job 2: a retired VM blocks its task; job 3's second step waits for its first.
    lab.run(&["jobs", "submit", "--vm", "r", "--", "true"]).ok();
    lab.run(&["vms", "set", "r", "--role", "retired"]).ok();
    let file = two_steps(&lab, "j3.toml", "w7", "b");
    lab.run(&["jobs", "submit", "--file", &file]).ok();
    assert_eq!(
        job_waits(&lab, "2"),
        [(1, 1, "r".into(), "blocked: r is retired".into())]
    );
    let third = job_waits(&lab, "3");
    assert_eq!(
        third[1],
        (2, 1, "b".into(), "waits for step 1 to complete".into())
    );
    assert_dry_run_words(&lab, "w7", &third[0].3);

    // Job 4: step 1 has a failed task while another still runs, so step 2 will be skipped.
    let file = two_steps(&lab, "j4.toml", "w7", "b");
    lab.run(&["jobs", "submit", "--file", &file]).ok();
    lab.sql(
        "INSERT INTO tasks (job, step, no, vm, status) VALUES (4, 1, 2, 'b', 'failed');
         UPDATE steps SET status = 'running' WHERE job = 4 AND no = 1;",
    );
    assert_eq!(
        job_waits(&lab, "4")[1],
        (
            2,
            1,
            "b".into(),
            "step 1 has a failed task: this step will be skipped".into()
        )
    );

    // The table says the same, and a maintenance VM's own task is blocked.
    lab.run(&["jobs", "submit", "--vm", "w10_fr", "--", "true"])
        .ok();
    let table = lab.run(&["jobs", "show", "5"]).ok().stdout;
    let line = table
        .lines()
        .skip_while(|l| *l != "Waiting:")
        .nth(3)
        .unwrap();
    assert_eq!(
        line.split_whitespace().collect::<Vec<_>>(),
        [
            "5",
            "1",
            "1",
            "w10_fr",
            "blocked:",
            "w10_fr",
            "is",
            "in",
            "maintenance"
        ]
    );
    // An ended job waits for nothing.
    lab.sql("UPDATE jobs SET status = 'canceled' WHERE id = 5");
    assert_eq!(job_waits(&lab, "5"), []);
}

#[test]
fn vms_show_gives_a_vm_in_full_with_its_waiting_tasks() {
    let lab = Lab::new();
    add(
        &lab,
        &[
            ("w10", "lab", "win10", "wtb"),
            ("w10_fr", "lab", "win10", "wtb-fr"),
        ],
    );
    add(&lab, &[("far", DEAD_URI, "far", "s")]);
    let args = [
        "vms",
        "set",
        "w10",
        "--hostname",
        "w10.lan",
        "--description",
        "Windows 10",
    ];
    lab.run(&args).ok();
    lab.run(&[
        "vms",
        "set",
        "w10",
        "--ready-cmd",
        "ping",
        "-c",
        "1",
        "w10.lan",
    ])
    .ok();
    status(&lab, "w10_fr", "maintenance");
    lab.run(&["jobs", "submit", "--vm", "w10", "--", "true"])
        .ok();
    let (_, waiting) = dry_run(&lab);
    let shown = lab
        .run(&["vms", "show", "w10", "--format", "json"])
        .ok()
        .json();
    assert_eq!(shown["plan"], json!(waiting["w10"]));
    assert_eq!(
        (
            &shown["hostname"],
            &shown["description"],
            &shown["ready_cmd"]
        ),
        (
            &json!("w10.lan"),
            &json!("Windows 10"),
            &json!(["ping", "-c", "1", "w10.lan"])
        )
    );
    assert_eq!(
        shown["waiting"],
        json!([{"job": 1, "step": 1, "task": 1, "vm": "w10",
                "reason": "domain owned by w10_fr (maintenance)"}])
    );
    assert_eq!(
        (&shown["last_error"], &shown["last_monitor"]),
        (&Value::Null, &Value::Null)
    );

    // A failed revert is its last error; a live operation shows with its deadline.
    lab.run(&["revert", "far"]).code(1);
    lab.sql(
        "UPDATE vms SET last_check = '2020-01-01T00:00:00Z' WHERE name = 'far';
         INSERT INTO operations (id, vm, kind, deadline, created, by_user)
             VALUES (77, 'far', 'monitor', '2030-01-01T00:01:00Z', '2030-01-01T00:00:00Z', 'tester');
         UPDATE vms SET operation = 77 WHERE name = 'far';",
    );
    let far = lab
        .run(&["vms", "show", "far", "--format", "json"])
        .ok()
        .json();
    let error = far["last_error"]["detail"].as_str().unwrap();
    assert!(error.starts_with("offline revert failed: "), "{error}");
    assert_eq!(far["last_monitor"], "2020-01-01T00:00:00Z");
    assert_eq!(far["child"]["deadline"], "2030-01-01T00:01:00Z");
    let table = lab.run(&["vms", "show", "far"]).ok().stdout;
    let line = |key: &str| {
        let line = table.lines().find(|l| l.starts_with(key)).unwrap();
        line[key.len()..].trim().to_string()
    };
    assert_eq!(line("URI:"), DEAD_URI);
    assert_eq!(line("Last monitor:"), "2020-01-01 00:00:00");
    assert_eq!(line("Operation:"), "monitor, deadline 2030-01-01 00:01:00");
    assert!(
        line("Last error:").contains("offline revert failed: "),
        "{table}"
    );
    // Its monitor is due (its worker never started): the next pass starts one.
    let (actions, _) = dry_run(&lab);
    assert_eq!(actions, ["monitor far"]);
    assert_eq!(line("Plan:"), "next pass: monitor far");
    let run = lab.refused(&["vms", "show", "nope"], 2);
    assert_eq!(run.one_line_error(), "error: unknown VM `nope`");
}

#[test]
fn retiring_or_maintenance_warns_of_the_work_it_holds_back() {
    let lab = Lab::new();
    add(
        &lab,
        &[
            ("w10", "lab", "win10", "wtb"),
            ("w10_fr", "lab", "win10", "wtb-fr"),
            ("w10_de", "lab", "win10", "wtb-de"),
            ("w7", "lab", "win7", "wtb"),
        ],
    );
    status(&lab, "w10", "idle");
    lab.run(&[
        "jobs", "submit", "--vm", "w10", "--vm", "w10_fr", "--", "true",
    ])
    .ok();
    lab.run(&["jobs", "submit", "--vm", "w10", "--", "true"])
        .ok();
    let run = lab
        .run(&["vms", "set", "w10", "--status", "maintenance"])
        .ok();
    assert_eq!(
        run.stderr,
        "VM `w10`: maintenance\n\
         warning: 2 queued tasks of `w10` will wait while it is in maintenance\n\
         warning: `w10` keeps domain `win10` while it is in maintenance: its siblings \
         `w10_de` (0 queued tasks), `w10_fr` (1 queued tasks) wait for it\n"
    );
    // Retired and off, a VM keeps no domain: only its own tasks wait.
    status(&lab, "w10", "off");
    let run = lab
        .run(&["vms", "set", "w10", "--role", "retired", "-q"])
        .ok();
    assert_eq!(
        run.stderr,
        "warning: 2 queued tasks of `w10` will wait while it is retired\n"
    );
    // Nothing held back, nothing said.
    let run = lab.run(&["vms", "set", "w7", "--role", "deleted"]).ok();
    assert_eq!(run.stderr, "VM `w7`: role=deleted\n");
}

#[test]
fn vms_list_filters_by_host() {
    let lab = Lab::new();
    add(&lab, &[("w7", "lab", "win7", "wtb")]);
    add(&lab, &[("far", DEAD_URI, "far", "s")]);
    let names = |host: &str| {
        lab.run(&["vms", "list", "--name", "--host", host])
            .ok()
            .stdout
    };
    assert_eq!(names("127.0.0.1:1"), "far\n");
    assert_eq!(names("LOCALHOST"), "w7\n");
    assert_eq!(names("nowhere"), "");
}

#[test]
fn hosts_list_shows_live_counts_beside_the_limits() {
    let lab = Lab::new();
    add(
        &lab,
        &[
            ("w7", "lab", "win7", "wtb"),
            ("b", "lab", "build", "clean"),
            ("w10", "lab", "win10", "wtb"),
        ],
    );
    add(&lab, &[("far", DEAD_URI, "far", "s")]);
    status(&lab, "w7", "idle");
    status(&lab, "b", "dirty");
    lab.sql("UPDATE vms SET status = 'reverting' WHERE name = 'w10'");
    lab.run(&[
        "jobs", "submit", "--vm", "w7", "--vm", "b", "--vm", "far", "--", "true",
    ])
    .ok();
    let hosts = lab.run(&["hosts", "list", "--format", "json"]).ok().json();
    let live = |host: &str| {
        let hosts = hosts.as_array().unwrap();
        hosts.iter().find(|h| h["host"] == host).unwrap()["live"].clone()
    };
    assert_eq!(
        live("localhost"),
        json!({"active": 3, "idle": 1, "sleeping": 0, "reverting": 1, "running": 0,
               "dirty": 1, "queued": 2})
    );
    assert_eq!(live("127.0.0.1:1")["queued"], 1);
    assert_eq!(
        (&live("*")["active"], &live("*")["queued"]),
        (&json!(3), &json!(3))
    );
    let table = lab.run(&["hosts", "list"]).ok().stdout;
    let row = table
        .lines()
        .find(|l| l.trim_start().starts_with("localhost"))
        .unwrap();
    // Host, VMs, Paused, Active, Running, Reverting, Queued, then the limits.
    assert_eq!(
        row.split_whitespace().take(8).collect::<Vec<_>>(),
        ["localhost", "3", "no", "3", "0", "1", "2", "2"]
    );
}
