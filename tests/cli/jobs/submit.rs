//! `jobs submit`: one-step jobs, job files, and every refused input.

use super::{lab_with_vms, script, show, submit};
use crate::support::{me, texts};
use serde_json::json;

const JOB_FILE: &str = r#"priority = 3
remarks = "nightly"

[[step]]
name = "test"
after = "build"
vms = ["w10", "w10_fr"]
command = ["./run-tests.sh", "--quick"]

[[step]]
name = "build"
vms = ["build"]
command = ["./build.sh", "--all"]
timeout = 1800
"#;

#[test]
fn one_step_job_table_and_json() {
    let lab = lab_with_vms(&["w7", "w8"]);
    let run = lab
        .run(&[
            "jobs", "submit", "--vm", "w7", "--vm", "w8", "--", "echo", "a b", "--flag",
        ])
        .ok();
    assert_eq!(run.stdout, "job 1 submitted\n");
    let id = submit(
        &lab,
        &[
            "--vm",
            "w8",
            "--priority",
            "-2",
            "--task-timeout",
            "60",
            "--user",
            "alice",
            "--remarks",
            "r",
            "--",
            "true",
        ],
    );
    assert_eq!(id, 2);
    let job = show(&lab, 1);
    assert_eq!(
        (&job["user"], &job["on_behalf_of"]),
        (&json!(me()), &json!(null))
    );
    assert_eq!(job["priority"], 5);
    assert_eq!(job["steps"][0]["command"], json!(["echo", "a b", "--flag"]));
    assert_eq!(job["steps"][0]["timeout"], 300);
    assert_eq!(texts(&job["steps"][0]["tasks"], "vm"), ["w7", "w8"]);
    let job = show(&lab, 2);
    assert_eq!(
        (
            &job["on_behalf_of"],
            &job["priority"],
            &job["remarks"],
            &job["steps"][0]["timeout"]
        ),
        (&json!("alice"), &json!(-2), &json!("r"), &json!(60))
    );
}

#[test]
fn job_file_steps_are_numbered_in_dependency_order() {
    let lab = lab_with_vms(&["build", "w10", "w10_fr"]);
    script(&lab, "run-tests.sh", "true");
    script(&lab, "build.sh", "true");
    let file = lab.write("job.toml", JOB_FILE);
    assert_eq!(submit(&lab, &["--file", &file]), 1);
    let job = show(&lab, 1);
    assert_eq!(
        (&job["priority"], &job["remarks"], &job["tasks"]),
        (&json!(3), &json!("nightly"), &json!(3))
    );
    let steps: Vec<_> = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["no"].clone(),
                s["name"].clone(),
                s["previous"].clone(),
                s["timeout"].clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (json!(1), json!("build"), json!(null), json!(1800)),
            (json!(2), json!("test"), json!(1), json!(300)),
        ]
    );
    let file_job = submit(
        &lab,
        &["--file", &file, "--priority", "9", "--remarks", "again"],
    );
    let job = show(&lab, file_job);
    assert_eq!(
        (&job["priority"], &job["remarks"]),
        (&json!(9), &json!("again"))
    );
}

/// Runs a refused submission: exit 2, one error line containing `expected`, nothing stored.
fn refused(vms: &[&str], file: Option<&str>, args: &[&str], expected: &str) {
    let lab = lab_with_vms(vms);
    let mut all = vec!["jobs", "submit"];
    let path;
    if let Some(text) = file {
        path = lab.write("job.toml", text);
        all.extend(["--file", path.as_str()]);
    }
    all.extend_from_slice(args);
    let error = lab.refused(&all, 2).one_line_error();
    assert!(error.contains(expected), "{error:?} lacks {expected:?}");
}

#[test]
fn unknown_vm_is_refused() {
    refused(
        &["w7"],
        None,
        &["--vm", "w7", "--vm", "w9", "--", "true"],
        "unknown VM `w9`",
    );
    let text = JOB_FILE.replace("\"w10_fr\"", "\"w11\"");
    refused(
        &["build", "w10"],
        Some(&text),
        &[],
        "job.toml` line 7, field `vms`: unknown VM `w11`",
    );
}

#[test]
fn an_unknown_vm_in_the_last_of_16000_steps_changes_nothing() {
    let lab = lab_with_vms(&["w1", "w2"]);
    let mut text = String::new();
    for i in 1..=16_000 {
        let after = if i > 1 && i % 4 != 0 {
            format!("after = \"s{}\"\n", i - 1)
        } else {
            String::new()
        };
        let vm = if i == 16_000 {
            "w3"
        } else {
            ["w1", "w2"][i % 2]
        };
        text.push_str(&format!(
            "[[step]]\nname = \"s{i}\"\n{after}vms = [\"{vm}\"]\ncommand = [\"true\"]\n"
        ));
    }
    let file = lab.write("big.toml", &text);
    let line = text.lines().count() - 1;
    let error = lab
        .refused(&["jobs", "submit", "--file", &file], 2)
        .one_line_error();
    let expected = format!("big.toml` line {line}, field `vms`: unknown VM `w3`");
    assert!(error.contains(&expected), "{error:?} lacks {expected:?}");
    let file = lab.write("big.toml", &text.replace("\"w3\"", "\"w1\""));
    assert_eq!(submit(&lab, &["--file", &file]), 1);
    assert_eq!(lab.rows("SELECT count(*) FROM steps"), ["16000"]);
}

#[test]
fn bad_job_files_are_refused_with_file_line_and_field() {
    let vms = &["build", "w10", "w10_fr"];
    let cycle = JOB_FILE.replace("name = \"build\"", "name = \"build\"\nafter = \"test\"");
    refused(
        vms,
        Some(&cycle),
        &[],
        "line 6, field `after`: steps `test`, `build` wait for each other",
    );
    let unknown_after = JOB_FILE.replace("after = \"build\"", "after = \"biuld\"");
    refused(
        vms,
        Some(&unknown_after),
        &[],
        "line 6, field `after`: no step named `biuld`",
    );
    let duplicate = JOB_FILE.replace("name = \"build\"", "name = \"test\"");
    refused(
        vms,
        Some(&duplicate),
        &[],
        "line 11, field `name`: duplicate step name `test`",
    );
    let unknown_field = JOB_FILE.replace("timeout = 1800", "timout = 1800");
    refused(
        vms,
        Some(&unknown_field),
        &[],
        "line 14, field `timout`: unknown field `timout`",
    );
    let top_field = format!("owner = \"me\"\n{JOB_FILE}");
    refused(
        vms,
        Some(&top_field),
        &[],
        "line 1, field `owner`: unknown field `owner`",
    );
    refused(vms, Some("[[step]\nname = 1\n"), &[], "job.toml` line 1: ");
    let no_vms = JOB_FILE.replace("vms = [\"build\"]", "vms = []");
    refused(
        vms,
        Some(&no_vms),
        &[],
        "line 12, field `vms`: step `build` names no VM",
    );
    let no_command = JOB_FILE.replace("[\"./build.sh\", \"--all\"]", "[]");
    refused(vms, Some(&no_command), &[], "line 13, field `command`");
    let zero = JOB_FILE.replace("1800", "0");
    refused(vms, Some(&zero), &[], "line 14, field `timeout`");
    refused(vms, Some("remarks = \"x\"\n"), &[], "field `step`");
}

#[test]
fn bad_arguments_are_refused() {
    refused(
        &["w7"],
        None,
        &["--vm", "w7", "--vm", "w7", "--", "true"],
        "VM `w7` is given twice",
    );
    refused(&["w7"], None, &["--vm", "w7", "--", ""], "no command");
    refused(
        &["w7"],
        None,
        &["--file", "missing.toml"],
        "cannot read job file `missing.toml`",
    );
    let lab = lab_with_vms(&["w7"]);
    let before = lab.dump();
    lab.run(&[
        "jobs",
        "submit",
        "--vm",
        "w7",
        "--task-timeout",
        "0",
        "--",
        "true",
    ])
    .code(2);
    lab.run(&["jobs", "submit", "--vm", "w7"]).code(2);
    assert_eq!(lab.dump(), before);
}

#[test]
fn a_missing_database_is_refused_and_not_created() {
    let lab = crate::support::Lab::new();
    for args in [
        &["jobs", "submit", "--vm", "w7", "--", "true"][..],
        &["jobs", "list"],
        &["jobs", "show", "1"],
        &["jobs", "cancel", "1"],
        &["jobs", "wait", "1"],
        &["jobs", "log", "1"],
    ] {
        let run = lab.run(args).code(2);
        assert!(run.one_line_error().contains("no database at"), "{args:?}");
        assert_eq!(lab.dump(), "<no database>");
    }
}

/// The program stored for job `id`'s first step.
fn program(lab: &crate::support::Lab, id: i64) -> serde_json::Value {
    show(lab, id)["steps"][0]["command"][0].clone()
}

#[test]
fn a_relative_program_is_stored_absolute_and_a_bare_name_as_given() {
    let lab = lab_with_vms(&["w7"]);
    std::fs::create_dir(lab.path().join("bin")).unwrap();
    let path = script(&lab, "bin/run-tests.sh", "true");
    let id = submit(&lab, &["--vm", "w7", "--", "./bin/run-tests.sh", "--quick"]);
    assert_eq!(program(&lab, id), json!(path));
    assert_eq!(show(&lab, id)["steps"][0]["command"][1], "--quick");
    let id = submit(&lab, &["--vm", "w7", "--", "bin/../bin/run-tests.sh"]);
    assert_eq!(
        program(&lab, id),
        json!(lab.path().join("bin/../bin/run-tests.sh"))
    );
    let id = submit(&lab, &["--vm", "w7", "--", "sh", "-c", "true"]);
    assert_eq!(
        program(&lab, id),
        "sh",
        "a bare name is looked up at run time"
    );
}

#[test]
fn a_missing_or_unusable_program_is_refused_and_nothing_written() {
    let lab = lab_with_vms(&["w7"]);
    lab.write("plain.sh", "#!/bin/sh\n");
    std::fs::create_dir(lab.path().join("folder")).unwrap();
    let before = lab.dump();
    let missing = lab.path().join("run-tests.sh");
    for (program, error) in [
        ("./run-tests.sh", format!("error: program `{}` does not exist", missing.display())),
        ("./plain.sh", format!("error: program `{}` is not executable", lab.path().join("plain.sh").display())),
        ("./folder", format!("error: program `{}` is not a file", lab.path().join("folder").display())),
        ("no-such-program", "error: program `no-such-program` is not on the task's PATH (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)".to_string()),
    ] {
        let run = lab.refused(&["jobs", "submit", "--vm", "w7", "--", program], 2);
        assert_eq!(run.one_line_error(), error, "{program}");
        assert!(run.stderr.contains("\nhint: "), "{program}: {}", run.stderr);
    }
    assert_eq!(lab.dump(), before);
}

#[test]
fn a_job_files_programs_are_taken_from_its_folder() {
    let lab = lab_with_vms(&["build", "w10", "w10_fr"]);
    std::fs::create_dir(lab.path().join("nightly")).unwrap();
    let tests = script(&lab, "nightly/run-tests.sh", "true");
    let build = script(&lab, "nightly/build.sh", "true");
    let file = lab.write("nightly/job.toml", JOB_FILE);
    // The lab folder (the current directory) holds no scripts: the file's folder is used.
    let id = submit(&lab, &["--file", &file]);
    let steps = &show(&lab, id)["steps"];
    assert_eq!(steps[0]["command"], json!([build, "--all"]));
    assert_eq!(steps[1]["command"], json!([tests, "--quick"]));
    std::fs::remove_file(&build).unwrap();
    let before = lab.dump();
    let run = lab.refused(&["jobs", "submit", "--file", &file], 2);
    assert_eq!(
        run.one_line_error(),
        format!("error: job file `{file}`, step `build`: program `{build}` does not exist")
    );
    assert_eq!(lab.dump(), before);
}
