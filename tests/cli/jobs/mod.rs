//! CLI tests of `vmsched jobs ...`. VMs are inserted straight into the lab's database until
//! `vmsched vms add` exists on this branch; switch `lab_with_vms` to it then.

mod follow;
mod show;
mod submit;

use crate::support::Lab;
use serde_json::Value;
use vmsched::model::TaskStatus;
use vmsched::store::{jobs, Mode, Store};

/// A lab whose database holds these VMs (all `off`, on host `h1`).
fn lab_with_vms(names: &[&str]) -> Lab {
    let lab = Lab::new();
    let store = Store::open(&lab.db, Mode::Create).expect("create the lab database");
    for name in names {
        store
            .conn()
            .execute(
                "INSERT INTO vms (name, uri, domain, snapshot) VALUES (?1, 'qemu+ssh://h1/system', ?1, 'snap')",
                [name],
            )
            .expect("insert a VM");
    }
    lab
}

/// Sets task fields as a task worker would (`column = value` assignments), then rolls the job
/// up through the library, as the worker will.
fn set_task(lab: &Lab, job: i64, step: u32, task: u32, status: TaskStatus, assignments: &str) {
    let mut store = Store::open(&lab.db, Mode::Existing).expect("open the lab database");
    store
        .write(|tx| {
            let extra = if assignments.is_empty() {
                String::new()
            } else {
                format!(", {assignments}")
            };
            tx.execute(
                &format!(
                    "UPDATE tasks SET status = ?4{extra} WHERE job = ?1 AND step = ?2 AND no = ?3"
                ),
                vmsched::store::params![job, step, task, status.as_str()],
            )?;
            jobs::roll_up(tx, job)
        })
        .expect("update a task");
}

/// Submits `vmsched jobs submit ARGS` and returns the new job's id.
fn submit(lab: &Lab, args: &[&str]) -> i64 {
    let mut all = vec!["--format", "json", "jobs", "submit"];
    all.extend_from_slice(args);
    lab.run(&all).ok().json()["id"].as_i64().expect("a job id")
}

/// Writes an executable shell script in the lab folder; returns its path.
fn script(lab: &Lab, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = lab.write(name, &format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// `jobs show ID` in JSON.
fn show(lab: &Lab, id: i64) -> Value {
    let id = id.to_string();
    lab.run(&["--format", "json", "jobs", "show", &id])
        .ok()
        .json()
}
