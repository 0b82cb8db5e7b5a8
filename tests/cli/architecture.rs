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

/// The store's modules in layers, bottom first (docs/architecture.md, "The store's layers"). A
/// module of the store may name the store's root (`store/mod.rs`: the connection, transactions,
/// how times are read and spelled) and the modules of lower layers, never one of its own layer
/// or above, so the store's modules call each other without a cycle. Unit tests sit above
/// everything they test and are not checked.
const STORE_LAYERS: &[&[&str]] = &[
    &[
        "deadline",
        "history",
        "last_pass",
        "purge",
        "requests",
        "settings",
    ],
    &["hosts", "vms"],
    &["operations"],
    &["jobs"],
    &["state", "stats"],
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

/// The layer of the store's module `name` (`None`: not a module of the store's layers).
fn store_layer(name: &str) -> Option<usize> {
    STORE_LAYERS.iter().position(|layer| layer.contains(&name))
}

/// The arrows between the store's modules that run against `STORE_LAYERS`, one line each.
fn store_arrows(sources: &[Source]) -> Vec<String> {
    let mut broken = Vec::new();
    for source in sources {
        let [top, own, ..] = source.module.as_slice() else {
            continue;
        };
        if top != "store" || source.module.iter().any(|m| m == "tests") {
            continue;
        }
        let file = source.path.display();
        let Some(own_layer) = store_layer(own) else {
            broken.push(format!(
                "{file}: `store::{own}` is in no layer of the store"
            ));
            continue;
        };
        // The code before the file's unit tests.
        let code = Source {
            path: source.path.clone(),
            module: source.module.clone(),
            text: source
                .text
                .split("#[cfg(test)]")
                .next()
                .unwrap()
                .to_string(),
        };
        for path in references(&code) {
            let [top, named, ..] = path.as_slice() else {
                continue;
            };
            if top != "store" || named == own {
                continue;
            }
            if store_layer(named).is_some_and(|layer| layer >= own_layer) {
                broken.push(format!(
                    "{file}: `store::{own}` may not name `store::{named}` (same layer or above)"
                ));
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

#[test]
fn the_store_modules_call_each_other_in_layers() {
    let (sources, _) = crate_sources();
    let store: Vec<&str> = sources
        .iter()
        .filter(|s| s.module.len() >= 2 && s.module[0] == "store" && s.module[1] != "tests")
        .map(|s| s.module[1].as_str())
        .collect();
    for layer in STORE_LAYERS {
        for module in *layer {
            assert!(
                store.contains(module),
                "no module `store::{module}` in src/"
            );
        }
    }
    assert!(
        sources
            .iter()
            .filter(|s| s.module.get(1).is_some_and(|m| m == "operations"))
            .any(|s| references(s)
                .iter()
                .any(|p| p.starts_with(&["store".into(), "vms".into()]))),
        "the store's arrows are not seen"
    );
    let broken = store_arrows(&sources);
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn a_store_arrow_against_the_layers_is_seen() {
    let file = |module: &[&str], text: &str| Source {
        path: PathBuf::from(module.join("/")),
        module: module.iter().map(|m| m.to_string()).collect(),
        text: text.to_string(),
    };
    let sources = [
        file(
            &["store", "vms"],
            "let x = super::jobs::roll_up(conn, job);",
        ),
        file(&["store", "hosts"], "use super::{history::Entry, vms};"),
        file(
            &["store", "operations"],
            "use super::{now, vms::StatusChange};\n#[cfg(test)]\nuse crate::store::jobs;",
        ),
        file(
            &["store", "jobs", "attempts"],
            "use crate::store::jobs::roll_up;",
        ),
        file(&["store", "jobs", "tests"], "use crate::store::stats;"),
        file(&["store", "cache"], "use super::now;"),
    ];
    assert_eq!(
        store_arrows(&sources),
        [
            "store/cache: `store::cache` is in no layer of the store",
            "store/hosts: `store::hosts` may not name `store::vms` (same layer or above)",
            "store/vms: `store::vms` may not name `store::jobs` (same layer or above)",
        ]
    );
}
