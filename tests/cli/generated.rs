//! The committed completions and man page are what the binary generates from the current
//! command line; a stale one fails with the command that rewrites it.

use crate::support::Lab;
use std::path::Path;

#[test]
fn completions_and_man_page_are_current() {
    let lab = Lab::new();
    let generated = [
        ("completions bash", "completions/vmsched.bash"),
        ("completions zsh", "completions/_vmsched"),
        ("completions fish", "completions/vmsched.fish"),
        ("man", "docs/vmsched.1"),
    ];
    let mut stale = Vec::new();
    for (args, file) in generated {
        let args: Vec<&str> = args.split(' ').collect();
        let fresh = lab.run(&args).ok().stdout;
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        if std::fs::read_to_string(path).ok().as_deref() != Some(fresh.as_str()) {
            stale.push(format!("cargo run -q -- {} > {file}", args.join(" ")));
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale; regenerate them with:\n{}",
        stale.join("\n")
    );
}

/// Every argument of every subcommand, positional ones included, says what it is for in
/// `--help`, the man page and the completions' descriptions.
#[test]
fn every_argument_has_a_description() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let builtin = ["help", "version"].contains(&arg.get_id().as_str());
            if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} {}", arg.get_id()));
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    let mut cmd = <vmsched::cli::Cli as clap::CommandFactory>::command();
    cmd.build();
    walk(&cmd, "vmsched", &mut missing);
    assert!(
        missing.is_empty(),
        "arguments without help:\n{}",
        missing.join("\n")
    );
}

/// The global options are listed under their own heading, apart from a command's own.
#[test]
fn global_options_are_listed_apart() {
    let lab = Lab::new();
    let help = lab.run(&["revert", "--help"]).ok().stdout;
    let (own, global) = help
        .split_once("Global options:")
        .expect("a Global options heading");
    assert!(own.contains("--steal") && !own.contains("--db"), "{help}");
    assert!(
        global.contains("--db") && !global.contains("--steal"),
        "{help}"
    );
}

/// The man page has the sections beyond the options, made from the code: every exit code,
/// every environment variable of the options and of a task, the files and the cron lines.
#[test]
fn the_man_page_documents_exit_status_environment_files_cron_and_examples() {
    let page = Lab::new().run(&["man"]).ok().stdout;
    for title in [
        "GLOBAL OPTIONS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "CRON",
        "EXAMPLES",
    ] {
        assert!(
            page.contains(&format!(".SH \"{title}\"\n")),
            "no {title} section"
        );
    }
    let section = |title: &str| {
        let start = page.find(&format!(".SH \"{title}\"\n")).unwrap();
        let rest = &page[start + 1..];
        rest[..rest.find("\n.SH ").unwrap_or(rest.len())].to_string()
    };
    let exit = section("EXIT STATUS");
    for (code, _) in vmsched::exit::CODES {
        assert!(
            exit.contains(&format!(".TP\n\\fB{code}\\fR\n")),
            "exit {code}:\n{exit}"
        );
    }
    let environment = section("ENVIRONMENT");
    let variables = vmsched::workers::TASK_VARIABLES
        .iter()
        .map(|(name, _)| *name);
    let globals = [
        "VMSCHED_DB",
        "VMSCHED_FORMAT",
        "VMSCHED_BUSY_TIMEOUT_MS",
        "VMSCHED_EVENT_PASSES",
    ];
    for name in variables.chain(globals) {
        assert!(
            environment.contains(&format!("\\fB{}\\fR", name.replace('-', "\\-"))),
            "{name}"
        );
    }
    let files = section("FILES");
    for file in [
        "vmsched.db.lock",
        "logs/workers.log",
        "/var/lib/vmsched/vmsched.db",
    ] {
        assert!(files.contains(file), "{file}:\n{files}");
    }
    let cron = section("CRON");
    assert!(
        cron.contains("* * * * *  vmsched  /usr/local/bin/vmsched"),
        "{cron}"
    );
}

/// docs/interfaces.md's exit code table lists the codes the manual lists (src/exit.rs).
#[test]
fn the_documented_exit_codes_are_the_codes() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/interfaces.md");
    let text = std::fs::read_to_string(path).unwrap();
    let table = &text[text.find("## Exit codes").unwrap()..];
    let documented: Vec<u8> = table
        .lines()
        .skip_while(|l| !l.starts_with("| code"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split('|').nth(1).unwrap().trim().parse().unwrap())
        .collect();
    let codes: Vec<u8> = vmsched::exit::CODES.iter().map(|(code, _)| *code).collect();
    assert_eq!(documented, codes);
}
