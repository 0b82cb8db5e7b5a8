//! `revert` and `poweroff` that fail: an unreachable host, an unknown VM, Ctrl-C.

use super::{history, lab, operations, vm};
use crate::domains::{add, silent_uri};
use crate::support::{me_in, Lab, Run};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::time::{Duration, Instant};

#[test]
fn an_unreachable_host_puts_the_vm_offline() {
    let lab = lab();
    for (args, what) in [
        (["revert", "far"], "revert"),
        (["poweroff", "far"], "power-off"),
    ] {
        let run = lab.run(&args).code(1);
        let error = run.one_line_error();
        assert!(
            error.starts_with(&format!("error: {what} of VM `far` failed (offline): "))
                && error.contains("Connection refused"),
            "{error}"
        );
    }
    assert_eq!(vm(&lab, "far"), "offline|2|-");
    let rows = history(&lab, "far");
    assert!(rows[0].starts_with(&me_in("off|reverting|reverting by {me}|")));
    assert!(rows[1].starts_with("reverting|offline|offline revert failed: unable to connect"));
    assert!(rows[2].starts_with(&me_in("offline|dirty|dirty poweroff by {me}|")));
    assert!(rows[3].starts_with("dirty|offline|offline power-off failed: "));
    let ops = operations(&lab);
    assert!(
        ops.iter().all(|o| o.contains("Connection refused")),
        "{ops:?}"
    );
}

#[test]
fn unknown_vm_is_bad_input() {
    let lab = lab();
    for command in ["revert", "poweroff"] {
        let run = lab.run(&[command, "nope"]).code(2);
        assert_eq!(run.one_line_error(), "error: unknown VM `nope`");
    }
}

#[test]
fn ctrl_c_puts_the_vm_offline_and_a_pass_meanwhile_sees_it_busy() {
    let lab = Lab::new();
    let silent = silent_uri(&lab, "silent.sock");
    add(
        &lab,
        &[("s", &silent, "dom", "a"), ("s2", &silent, "dom", "b")],
    );
    lab.task(1, "s2", "queued");
    let child = lab
        .std_cmd(&["--timeout", "30", "revert", "s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let until = Instant::now() + Duration::from_secs(10);
    while vm(&lab, "s") != "reverting|0|1" {
        assert!(Instant::now() < until, "never reverting: {}", vm(&lab, "s"));
        std::thread::sleep(Duration::from_millis(20));
    }

    // A pass now sees `s` busy (its operation names a live process): it neither marks it nor
    // lets `s2` take the domain for its queued task.
    let plan = lab
        .run(&["schedule-once", "--dry-run", "--format", "json"])
        .ok()
        .json();
    assert_eq!(plan["actions"], serde_json::json!([]), "{plan}");
    assert_eq!(plan["owners"][0]["owner"], "s");
    assert_eq!(plan["waiting"][0]["vm"], "s2");

    let start = Instant::now();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let run = Run::from(output).code(130);
    assert_eq!(
        run.one_line_error(),
        "error: interrupted: VM `s` is offline"
    );
    assert_eq!(vm(&lab, "s"), "offline|0|-");
    assert_eq!(
        history(&lab, "s").last().unwrap(),
        &me_in("reverting|offline|offline interrupted|{me}|NULL")
    );
    assert_eq!(operations(&lab), [me_in("s|revert|{me}|interrupted")]);
}
