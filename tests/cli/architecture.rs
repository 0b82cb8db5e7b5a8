//! Which module may import which (docs/architecture.md, "Which module may import which"),
//! checked on the `crate::` and `super::` paths of every file under src/: the core stays pure,
//! the store stays a leaf, and no command reaches into another.

use std::path::{Path, PathBuf};

/// The modules with a rule, and every other module of the crate each of them may name. A
/// module may always name itself; `std` and other crates are not checked.
const RULES: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("process", &[]),
    ("exit", &["model"]),
    ("scheduler", &["model"]),
    ("ownership", &["model", "scheduler"]),
    ("store", &["model", "exit", "process"]),
    ("stats", &["model", "store"]),
];

/// The modules under src/commands/ that are shared by commands rather than commands of their
/// own: the foreground protocol of `revert`, `poweroff` and `vms set`, and the explanation of
/// waiting work that `jobs show`, `vms show` and `vms set` print.
const SHARED_BY_COMMANDS: &[&str] = &["admin_op", "waits"];

/// One file of the crate: its module path (`["commands", "vms", "import"]`) and its text.
struct Source {
    path: PathBuf,
    module: Vec<String>,
    text: String,
}

fn sources(dir: &Path, module: &[String], found: &mut Vec<Source>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_str().unwrap().to_string();
        if path.is_dir() {
            if module.is_empty() && name == "bin" {
                continue; // the binaries use the library by name, as any user does
            }
            let mut inner = module.to_vec();
            inner.push(name);
            sources(&path, &inner, found);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            let mut file_module = module.to_vec();
            if module.is_empty() && stem == "main" {
                continue;
            }
            if !matches!(stem, "mod" | "lib") {
                file_module.push(stem.to_string());
            }
            let text = std::fs::read_to_string(&path).unwrap();
            found.push(Source {
                path,
                module: file_module,
                text,
            });
        }
    }
}

/// The text without its `//` comments (doc comments name modules freely).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first identifier of `text` and the rest.
fn ident(text: &str) -> Option<(&str, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    (end > 0).then(|| (&text[..end], &text[end..]))
}

/// The paths a path's tail names, each as far as it goes: `model::State` gives
/// `model::State`, `{exit, store::{vms, Conn}}` gives `exit`, `store::vms` and `store::Conn`.
fn paths(tail: &str) -> Vec<Vec<String>> {
    let Some(group) = tail.strip_prefix('{') else {
        let Some((name, rest)) = ident(tail) else {
            return Vec::new();
        };
        let mut found = match rest.strip_prefix("::") {
            Some(rest) => paths(rest),
            None => Vec::new(),
        };
        if found.is_empty() {
            found.push(Vec::new());
        }
        for path in &mut found {
            path.insert(0, name.to_string());
        }
        return found;
    };
    let (mut depth, mut items, mut item) = (0, Vec::new(), String::new());
    for c in group.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(std::mem::take(&mut item));
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    items.push(item);
    items
        .iter()
        .flat_map(|item| paths(item.trim_start()))
        .filter(|path| {
            path.first()
                .is_some_and(|name| name != "self" && name != "*")
        })
        .collect()
}

/// Every module path of the crate that `source` names, from the crate root: `crate::X` as it
/// is, `super::X` from the file's parent module (a `super::` inside a test module of the file
/// is read the same way, which can only name more than it does).
fn references(source: &Source) -> Vec<Vec<String>> {
    let code = code(&source.text);
    let mut found = Vec::new();
    let starts = |word: &'static str| {
        code.match_indices(word)
            .filter(|(at, _)| {
                let before = code[..*at].chars().next_back();
                !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
                    && !code[..*at].ends_with("super::")
            })
            .map(|(at, _)| at)
            .collect::<Vec<_>>()
    };
    for at in starts("crate::") {
        found.extend(paths(&code[at + "crate::".len()..]));
    }
    for at in starts("super::") {
        let mut tail = &code[at..];
        let mut base = source.module.clone();
        while let Some(rest) = tail.strip_prefix("super::") {
            base.pop();
            tail = rest;
        }
        for path in paths(tail) {
            found.push(base.iter().cloned().chain(path).collect());
        }
    }
    found
}

/// The broken rules of `sources`, one line each.
fn broken(sources: &[Source], commands: &[String]) -> Vec<String> {
    let mut broken = Vec::new();
    for source in sources {
        let Some(top) = source.module.first() else {
            continue; // the crate root wires everything
        };
        let file = source.path.display();
        for path in references(source) {
            let named = &path[0];
            if named == top {
                if let (Some(own), Some(other)) = (source.module.get(1), path.get(1)) {
                    let is_command = commands.contains(other);
                    let shared = SHARED_BY_COMMANDS.contains(&other.as_str());
                    if top == "commands" && own != other && is_command && !shared {
                        broken.push(format!("{file}: command `{own}` names command `{other}`"));
                    }
                }
                continue;
            }
            if named == "commands" {
                broken.push(format!("{file}: only the crate root names `commands`"));
            }
            if let Some((_, allowed)) = RULES.iter().find(|(module, _)| module == top) {
                if !allowed.contains(&named.as_str()) {
                    broken.push(format!("{file}: `{top}` may not name `{named}`"));
                }
            }
        }
    }
    broken.sort();
    broken.dedup();
    broken
}

fn crate_sources() -> (Vec<Source>, Vec<String>) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    sources(&src, &[], &mut found);
    let commands = found
        .iter()
        .filter(|s| s.module.len() == 2 && s.module[0] == "commands")
        .map(|s| s.module[1].clone())
        .collect();
    (found, commands)
}

#[test]
fn every_module_imports_only_what_its_rule_allows() {
    let (sources, commands) = crate_sources();
    let scheduler: Vec<_> = sources
        .iter()
        .filter(|s| s.module.first().is_some_and(|m| m == "scheduler"))
        .collect();
    assert!(scheduler.len() > 5 && commands.len() > 10, "src/ not found");
    assert!(
        scheduler
            .iter()
            .any(|s| references(s).iter().any(|p| p[0] == "model")),
        "the scheduler's imports of the model are not seen"
    );
    for (module, _) in RULES {
        assert!(
            sources
                .iter()
                .any(|s| s.module.first() == Some(&module.to_string())),
            "no module `{module}` in src/"
        );
    }
    let broken = broken(&sources, &commands);
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn a_wrong_arrow_is_seen() {
    let file = |module: &[&str], text: &str| Source {
        path: PathBuf::from(module.join("/")),
        module: module.iter().map(|m| m.to_string()).collect(),
        text: text.to_string(),
    };
    let commands = ["jobs", "vms", "hosts", "waits"].map(String::from).to_vec();
    let sources = [
        file(
            &["store", "vms"],
            "use crate::{model::VmStatus, process::Proc};",
        ),
        file(
            &["store", "jobs"],
            "use crate::scheduler::Plan; // crate::workers",
        ),
        file(&["model", "names"], "let x = crate::exit::one_line(y);"),
        file(&["scheduler", "tasks"], "use super::super::store;"),
        file(&["pass"], "use crate::commands::vms;"),
        file(
            &["commands", "vms", "show"],
            "use crate::commands::{jobs::x, waits};",
        ),
        file(
            &["commands", "vms", "import"],
            "use super::super::hosts; use super::rules;",
        ),
    ];
    assert_eq!(
        broken(&sources, &commands),
        [
            "commands/vms/import: command `vms` names command `hosts`",
            "commands/vms/show: command `vms` names command `jobs`",
            "model/names: `model` may not name `exit`",
            "pass: only the crate root names `commands`",
            "scheduler/tasks: `scheduler` may not name `store`",
            "store/jobs: `store` may not name `scheduler`",
        ]
    );
}
