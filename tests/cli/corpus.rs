//! The bad-input corpus (`tests/bad_input/`): every malformed state file, inventory and job
//! file goes through its command and must end with exit 2, one `error:` line (plus at most a
//! `hint:`) naming the file and holding the texts `expected.tsv` lists for it, no panic, and
//! the lab's database as it was. A few inputs are made here: 20 MB lines and paths that cannot
//! be read as a file.

use crate::support::Lab;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The longest error line accepted (`MAX_LINE` of `model::one_line` plus the `error: ` prefix
/// and escapes).
const LONGEST_LINE: usize = 1100;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input")
}

/// `expected.tsv`: each file of a folder with the texts its error must contain.
fn expectations(folder: &str) -> BTreeMap<String, Vec<String>> {
    let manifest = std::fs::read_to_string(corpus().join("expected.tsv")).unwrap();
    let mut files = BTreeMap::new();
    for line in manifest
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let mut fields = line.split('\t').map(str::to_string);
        let file = fields.next().unwrap();
        if file.starts_with(&format!("{folder}/")) {
            let texts: Vec<String> = fields.collect();
            assert!(!texts.is_empty(), "no expected text for {file}");
            assert!(files.insert(file.clone(), texts).is_none(), "{file} twice");
        }
    }
    let on_disk: Vec<String> = std::fs::read_dir(corpus().join(folder))
        .unwrap()
        .map(|e| format!("{folder}/{}", e.unwrap().file_name().to_string_lossy()))
        .collect();
    for file in &on_disk {
        assert!(files.contains_key(file), "{file} is not in expected.tsv");
    }
    assert_eq!(
        files.len(),
        on_disk.len(),
        "expected.tsv lists missing files"
    );
    files
}

/// A lab holding the example inventory and a job, so that every table has rows to keep.
fn lab_with_work() -> Lab {
    let lab = Lab::example();
    lab.run(&["jobs", "submit", "--vm", "build", "--", "true"])
        .ok();
    lab
}

/// Runs one command on a bad input; returns what is wrong with the outcome, if anything.
/// `file` is the name the error must show, `texts` what else it must contain, `before` the
/// database's rows.
fn refused(lab: &Lab, args: &[&str], file: &str, texts: &[String], before: &str) -> Option<String> {
    let mut cmd = lab.cmd(args);
    let output = cmd.env("RUST_BACKTRACE", "1").output().unwrap();
    let code = output.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let one_line = matches!(lines.as_slice(), [e] if e.starts_with("error: "))
        || matches!(lines.as_slice(), [e, h] if e.starts_with("error: ") && h.starts_with("hint: "));
    let error = lines.first().copied().unwrap_or("");
    let problem = if code != 2 {
        format!("exit {code}")
    } else if !one_line {
        "not one error line".to_string()
    } else if stderr.contains("panicked") || stderr.contains("backtrace") {
        "a panic".to_string()
    } else if error.chars().count() > LONGEST_LINE {
        format!("an error line of {} characters", error.chars().count())
    } else if !error.contains(file) {
        format!("no `{file}` in the error")
    } else if let Some(text) = texts.iter().find(|t| !error.contains(t.as_str())) {
        format!("no `{text}` in the error")
    } else if !stdout.is_empty() {
        "output on stdout".to_string()
    } else if lab.dump() != before {
        "a changed database".to_string()
    } else {
        return None;
    };
    Some(format!(
        "{args:?}: {problem}\n  stderr: {}",
        stderr.trim_end()
    ))
}

/// Runs every file of a corpus folder through the commands `args` makes for its path.
fn run_folder(lab: &Lab, folder: &str, commands: fn(&str) -> Vec<Vec<String>>) -> usize {
    let mut failures = Vec::new();
    let mut runs = 0;
    let before = lab.dump();
    for (file, texts) in expectations(folder) {
        let path = corpus().join(&file).to_string_lossy().into_owned();
        // The first text follows the file's name.
        let mut texts = texts;
        texts[0] = format!("{file}`{}", texts[0]);
        for args in commands(&path) {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            runs += 1;
            failures.extend(refused(lab, &args, &file, &texts, &before));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    runs
}

/// Inputs made here, run like the folder's files: `cases` (a name, its content, a text the error
/// must contain; for 20 MB lines) and paths that cannot be read as a file.
fn run_made(lab: &Lab, cases: &[(&str, String, &str)], commands: fn(&str) -> Vec<Vec<String>>) {
    let made = tempfile::tempdir().unwrap();
    let regular = made.path().join("regular");
    std::fs::write(&regular, "").unwrap();
    let mut inputs: Vec<(PathBuf, &str)> = Vec::new();
    for (name, content, text) in cases {
        std::fs::write(made.path().join(name), content).unwrap();
        inputs.push((made.path().join(name), text));
    }
    inputs.extend([
        (made.path().to_path_buf(), "Is a directory"),
        (
            made.path().join("missing.file"),
            "No such file or directory",
        ),
        (regular.join("below.file"), "Not a directory"),
        (PathBuf::from("/proc/self/mem"), "Input/output error"),
    ]);
    let mut failures = Vec::new();
    let before = lab.dump();
    for (i, (path, text)) in inputs.into_iter().enumerate() {
        let path = path.to_string_lossy().into_owned();
        // A 20 MB line takes seconds to parse in a debug build: one command is enough.
        let all = commands(&path);
        let commands = if i < cases.len() { &all[..1] } else { &all[..] };
        for args in commands {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            failures.extend(refused(lab, &args, &path, &[text.to_string()], &before));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A 20 MB line holding a VM name.
fn long_name() -> String {
    "w".repeat(20 << 20)
}

fn state_commands(path: &str) -> Vec<Vec<String>> {
    vec![vec!["schedule-once".into(), "--state".into(), path.into()]]
}

/// Both without libvirt: the entries name made-up domains, and the corpus is about the files.
fn inventory_commands(path: &str) -> Vec<Vec<String>> {
    vec![
        vec![
            "vms".into(),
            "import".into(),
            "--no-check".into(),
            path.into(),
        ],
        vec![
            "vms".into(),
            "import".into(),
            "--dry-run".into(),
            "--no-check".into(),
            path.into(),
        ],
    ]
}

fn job_commands(path: &str) -> Vec<Vec<String>> {
    vec![vec![
        "jobs".into(),
        "submit".into(),
        "--file".into(),
        path.into(),
    ]]
}

#[test]
fn malformed_state_files_are_refused_without_a_database() {
    let lab = Lab::new();
    let runs = run_folder(&lab, "state", state_commands);
    assert!(runs >= 50, "{runs}");
    let vm = format!(
        r#"{{"vms": [{{"name": "{}", "status": "off", "uri": "qemu:///system", "domain": "d", "snapshot": "s"}}]}}"#,
        long_name()
    );
    let cases = [(
        "long-line.json",
        vm,
        "long-line.json`: vms[0].name: invalid VM name `www",
    )];
    run_made(&lab, &cases, state_commands);
    assert_eq!(lab.dump(), "<no database>");
}

#[test]
fn malformed_inventories_are_refused_and_change_nothing() {
    let lab = lab_with_work();
    run_folder(&lab, "inventory", inventory_commands);
    let entry = format!(
        "[[vm]]\nname = \"{}\"\nuri = \"qemu:///system\"\ndomain = \"d\"\nsnapshot = \"s\"\n",
        long_name()
    );
    let key = format!("{} = 1\n", long_name());
    let cases = [
        (
            "long-name.toml",
            entry,
            "long-name.toml` line 2, field `name`: invalid VM name `www",
        ),
        ("long-key.toml", key, "long-key.toml` line 1, field `www"),
    ];
    run_made(&lab, &cases, inventory_commands);
}

#[test]
fn malformed_job_files_are_refused_and_change_nothing() {
    let lab = lab_with_work();
    run_folder(&lab, "jobs", job_commands);
    let step = format!(
        "[[step]]\nname = \"build\"\nvms = [\"{}\"]\ncommand = [\"true\"]\n",
        long_name()
    );
    let cases = [(
        "long-vm.toml",
        step,
        "long-vm.toml` line 3, field `vms`: unknown VM `www",
    )];
    run_made(&lab, &cases, job_commands);
}
