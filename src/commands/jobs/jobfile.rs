//! The job file of `jobs submit --file` (docs/interfaces.md, "Job file"): parsing, checking and
//! numbering its steps in dependency order. Every error names the file, the line where known
//! and the field.

use crate::commands::toml_place;
use crate::exit;
use crate::model::from_maps_only;
use crate::store::jobs::NewStep;
use anyhow::Result;
use serde::Deserialize;
use std::ops::Range;
use toml::Spanned;

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, remote = "Self")]
struct FileSpec {
    #[serde(default = "default_priority")]
    priority: i64,
    remarks: Option<String>,
    #[serde(default)]
    step: Vec<StepSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, remote = "Self")]
struct StepSpec {
    name: Spanned<String>,
    after: Option<Spanned<String>>,
    vms: Spanned<Vec<Spanned<String>>>,
    command: Spanned<Vec<String>>,
    timeout: Option<Spanned<u64>>,
}

from_maps_only!(FileSpec: "a table", StepSpec: "a `[[step]]` table");

/// The priority of a job that names none.
pub const DEFAULT_PRIORITY: i64 = 5;
/// The task timeout (seconds) of a step that names none.
pub const DEFAULT_TIMEOUT: u64 = 300;
/// The longest task timeout (seconds), as long as the longest setting: deadlines computed
/// from it cannot overflow.
pub const MAX_TIMEOUT: u64 = u32::MAX as u64;

fn default_priority() -> i64 {
    DEFAULT_PRIORITY
}

/// A checked job file: steps numbered so that each one's `previous` is below its `no`.
#[derive(Debug)]
pub struct JobFile {
    pub priority: i64,
    pub remarks: Option<String>,
    pub steps: Vec<NewStep>,
}

/// Where errors point: the file's name as given and its text (to turn offsets into lines).
struct Source<'a> {
    name: &'a str,
    text: &'a str,
}

impl Source<'_> {
    /// Bad input naming the file, the line of `span` when known, and the field.
    fn error(&self, span: Option<Range<usize>>, field: &str, message: &str) -> anyhow::Error {
        let line = span.map_or(String::new(), |s| {
            let before = &self.text.as_bytes()[..s.start.min(self.text.len())];
            format!(
                " line {}",
                before.iter().filter(|&&b| b == b'\n').count() + 1
            )
        });
        let field = if field.is_empty() {
            String::new()
        } else {
            format!(", field `{field}`")
        };
        exit::bad_input(format!("job file `{}`{line}{field}: {message}", self.name)).into()
    }
}

/// Parses and checks a job file; `known` says whether a VM exists.
pub fn parse(name: &str, text: &str, known: &dyn Fn(&str) -> Result<bool>) -> Result<JobFile> {
    let src = Source { name, text };
    let spec: FileSpec = toml::from_str(text).map_err(|e| {
        let place = e
            .span()
            .map_or(String::new(), |s| toml_place(text, s.start));
        let message: Vec<&str> = e.message().lines().map(str::trim).collect();
        let message = format!("job file `{name}`{place}: {}", message.join("; "));
        anyhow::Error::from(exit::bad_input(message))
    })?;
    if spec.step.is_empty() {
        return Err(src.error(None, "step", "a job needs at least one `[[step]]`"));
    }
    for (i, step) in spec.step.iter().enumerate() {
        check_step(&src, step, &spec.step[..i], known)?;
    }
    let order = dependency_order(&src, &spec.step)?;
    let no_of = |i: usize| order.iter().position(|&j| j == i).map(|p| p as u32 + 1);
    let steps = order
        .iter()
        .map(|&i| {
            let step = &spec.step[i];
            NewStep {
                name: Some(step.name.get_ref().clone()),
                previous: parent(&spec.step, step).and_then(no_of),
                timeout: step
                    .timeout
                    .as_ref()
                    .map_or(DEFAULT_TIMEOUT, |t| *t.get_ref()),
                command: step.command.get_ref().clone(),
                vms: step
                    .vms
                    .get_ref()
                    .iter()
                    .map(|v| v.get_ref().clone())
                    .collect(),
            }
        })
        .collect();
    Ok(JobFile {
        priority: spec.priority,
        remarks: spec.remarks,
        steps,
    })
}

/// Checks one step against itself, the steps before it (names are unique) and the VMs.
fn check_step(
    src: &Source,
    step: &StepSpec,
    before: &[StepSpec],
    known: &dyn Fn(&str) -> Result<bool>,
) -> Result<()> {
    let name = step.name.get_ref();
    if name.is_empty() {
        return Err(src.error(Some(step.name.span()), "name", "a step needs a name"));
    }
    if before.iter().any(|s| s.name.get_ref() == name) {
        let message = format!("duplicate step name `{name}`");
        return Err(src.error(Some(step.name.span()), "name", &message));
    }
    if step.vms.get_ref().is_empty() {
        let message = format!("step `{name}` names no VM");
        return Err(src.error(Some(step.vms.span()), "vms", &message));
    }
    for (i, vm) in step.vms.get_ref().iter().enumerate() {
        let vm_name = vm.get_ref();
        let message = if step.vms.get_ref()[..i]
            .iter()
            .any(|v| v.get_ref() == vm_name)
        {
            format!("VM `{vm_name}` is listed twice in step `{name}`")
        } else if !known(vm_name)? {
            format!("unknown VM `{vm_name}`")
        } else {
            continue;
        };
        return Err(src.error(Some(vm.span()), "vms", &message));
    }
    if step.command.get_ref().first().is_none_or(String::is_empty) {
        let message = format!("step `{name}` needs a command (an argument vector)");
        return Err(src.error(Some(step.command.span()), "command", &message));
    }
    if let Some(arg) = step.command.get_ref().iter().find(|a| a.contains('\0')) {
        let message = format!("command argument `{arg}` contains a NUL byte");
        return Err(src.error(Some(step.command.span()), "command", &message));
    }
    if let Some(timeout) = step.timeout.as_ref() {
        if !(1..=MAX_TIMEOUT).contains(timeout.get_ref()) {
            let message = format!("a timeout must be 1 to {MAX_TIMEOUT} seconds");
            return Err(src.error(Some(timeout.span()), "timeout", &message));
        }
    }
    Ok(())
}

/// The index of the step that `step` comes after.
fn parent(steps: &[StepSpec], step: &StepSpec) -> Option<usize> {
    let after = step.after.as_ref()?;
    steps
        .iter()
        .position(|s| s.name.get_ref() == after.get_ref())
}

/// Step indices in dependency order, ties in file order; errors on an unknown `after` and on
/// cycles.
fn dependency_order(src: &Source, steps: &[StepSpec]) -> Result<Vec<usize>> {
    let mut parents = Vec::with_capacity(steps.len());
    for step in steps {
        let parent = parent(steps, step);
        if let (Some(after), None) = (&step.after, parent) {
            let message = format!("no step named `{}`", after.get_ref());
            return Err(src.error(Some(after.span()), "after", &message));
        }
        parents.push(parent);
    }
    let mut order: Vec<usize> = Vec::with_capacity(steps.len());
    while order.len() < steps.len() {
        let placed = |i: usize| order.contains(&i);
        let next = (0..steps.len())
            .find(|&i| !placed(i) && parents[i].is_none_or(placed))
            .ok_or_else(|| cycle_error(src, steps, &parents, &order))?;
        order.push(next);
    }
    Ok(order)
}

/// Names the cycle that keeps the remaining steps from being placed, at the first of its
/// steps in file order.
fn cycle_error(
    src: &Source,
    steps: &[StepSpec],
    parents: &[Option<usize>],
    placed: &[usize],
) -> anyhow::Error {
    // Every unplaced step waits for another unplaced one, so following `after` from any of
    // them must come back to a step already seen.
    let mut current = (0..steps.len()).find(|i| !placed.contains(i)).unwrap_or(0);
    let mut path = vec![current];
    while let Some(next) = parents[current] {
        if let Some(start) = path.iter().position(|&i| i == next) {
            path.drain(..start);
            break;
        }
        path.push(next);
        current = next;
    }
    let first = path.iter().copied().min().unwrap_or(current);
    let names: Vec<String> = path
        .iter()
        .map(|&i| format!("`{}`", steps[i].name.get_ref()))
        .collect();
    let message = match names.as_slice() {
        [one] => format!("step {one} comes after itself"),
        _ => format!("steps {} wait for each other (a cycle)", names.join(", ")),
    };
    let span = steps[first].after.as_ref().map(Spanned::span);
    src.error(span, "after", &message)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> JobFile {
        parse("j.toml", text, &|vm| Ok(vm != "nope")).unwrap()
    }

    fn parse_err(text: &str) -> String {
        let err = parse("j.toml", text, &|vm| Ok(vm != "nope")).unwrap_err();
        assert_eq!(exit::classify(&err).0, exit::USAGE);
        format!("{err:#}")
    }

    fn step(name: &str, after: Option<&str>) -> String {
        let after = after.map_or(String::new(), |a| format!("after = \"{a}\"\n"));
        format!("[[step]]\nname = \"{name}\"\n{after}vms = [\"w\"]\ncommand = [\"x\"]\n")
    }

    #[test]
    fn steps_are_numbered_in_dependency_order_then_file_order() {
        let text = [
            step("test", Some("build")),
            step("build", None),
            step("lint", None),
            step("report", Some("test")),
        ]
        .concat();
        let job = parse_ok(&text);
        let got: Vec<(String, Option<u32>)> = job
            .steps
            .iter()
            .map(|s| (s.name.clone().unwrap(), s.previous))
            .collect();
        let want = [
            ("build", None),
            ("test", Some(1)),
            ("lint", None),
            ("report", Some(2)),
        ]
        .map(|(n, p)| (n.to_string(), p));
        assert_eq!(got, want);
        assert_eq!((job.priority, job.steps[0].timeout), (5, 300));
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let text = [
            step("a", Some("c")),
            step("b", Some("a")),
            step("c", Some("b")),
        ]
        .concat();
        assert_eq!(
            parse_err(&text),
            "job file `j.toml` line 3, field `after`: steps `a`, `c`, `b` wait for each other (a cycle)"
        );
        let text = [step("a", None), step("b", Some("b"))].concat();
        assert!(parse_err(&text).ends_with("line 7, field `after`: step `b` comes after itself"));
        let text = [step("a", None), step("a", None)].concat();
        assert!(parse_err(&text).contains("line 6, field `name`: duplicate step name `a`"));
        let text = step("a", None).replace("[\"w\"]", "[\"w\", \"nope\"]");
        assert!(parse_err(&text).contains("line 3, field `vms`: unknown VM `nope`"));
        assert!(
            parse_err(&step("a", Some("z"))).contains("line 3, field `after`: no step named `z`")
        );
        assert!(parse_err("priority = 1\n").contains("field `step`: a job needs at least one"));
        assert!(parse_err(&format!("{}timeout = 0\n", step("a", None)))
            .contains("line 5, field `timeout`"));
        assert!(
            parse_err(&format!("{}bogus = 1\n", step("a", None))).contains("unknown field `bogus`")
        );
    }
}
