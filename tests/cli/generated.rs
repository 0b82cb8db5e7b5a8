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
