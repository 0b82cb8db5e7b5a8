//! The valid files the parser tests start from: a state file, the example inventory and a job
//! file.

/// The state file of docs/interfaces.md, with a second VM and job.
pub const STATE: &str = r#"{
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
pub const INVENTORY: &str = include_str!("../../../examples/lab.toml");

/// The job file of docs/interfaces.md.
pub const JOB: &str = r#"priority = 5
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
