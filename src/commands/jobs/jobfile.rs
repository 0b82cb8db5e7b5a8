//! The job file of `jobs submit --file` (docs/interfaces.md, "Job file"): parsing, checking and
//! numbering its steps in dependency order. Every error names the file, the line where known
//! and the field.

use crate::commands::toml_place;
use crate::exit;
use crate::model::from_maps_only;
use crate::store::jobs::NewStep;
use anyhow::Result;
use serde::Deserialize;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::ops::Range;
use toml::Spanned;

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, remote = "Self")]
struct FileSpec {
    #[serde(default = "default_priority")]
    priority: i64,
    remarks: Option<String>,
    env: Option<Spanned<BTreeMap<String, String>>>,
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
pub(crate) const DEFAULT_PRIORITY: i64 = 5;
/// The task timeout (seconds) of a step that names none.
pub(crate) const DEFAULT_TIMEOUT: u64 = 300;
/// The longest task timeout (seconds), as long as the longest setting: deadlines computed
/// from it cannot overflow.
pub(crate) const MAX_TIMEOUT: u64 = u32::MAX as u64;

fn default_priority() -> i64 {
    DEFAULT_PRIORITY
}

/// Checks a variable a job sets for its tasks: a shell-like name (letters, digits, `_`, not
/// starting with a digit) outside the `VMSCHED_` names vmsched sets itself, and a value
/// without NUL (which no environment can hold).
pub(crate) fn check_env(name: &str, value: &str) -> Result<(), String> {
    let shell_like = name
        .chars()
        .enumerate()
        .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
    if name.is_empty() || !shell_like {
        return Err(format!(
            "invalid variable name `{}` (letters, digits and `_`, not starting with a digit)",
            crate::model::escape_controls(name)
        ));
    }
    if name.starts_with("VMSCHED_") {
        return Err(format!(
            "variable `{name}` is vmsched's own and cannot be set"
        ));
    }
    if value.contains('\0') {
        return Err(format!("the value of variable `{name}` contains NUL"));
    }
    Ok(())
}

/// A checked job file: steps numbered so that each one's `previous` is below its `no`.
#[derive(Debug)]
pub struct JobFile {
    pub(crate) priority: i64,
    pub(crate) remarks: Option<String>,
    /// The variables of the file's `[env]` table.
    pub(crate) env: BTreeMap<String, String>,
    pub steps: Vec<NewStep>,
    /// Every VM the job names, to check again inside the write transaction.
    pub(crate) vms: NamedVms,
}

/// Every VM a job names, in the order written, with its line in the job file; `file` is
/// `None` for a job given by `--vm` arguments.
#[derive(Debug)]
pub(crate) struct NamedVms {
    pub(crate) file: Option<String>,
    pub(crate) named: Vec<(String, Option<usize>)>,
}

impl NamedVms {
    /// Fails on the first VM, in the order written, that `known` does not know, with the error
    /// `parse` gives for it.
    pub(crate) fn check(&self, known: &dyn Fn(&str) -> Result<bool>) -> Result<()> {
        for (vm, line) in &self.named {
            if !known(vm)? {
                return Err(unknown_vm(self.file.as_deref(), *line, vm));
            }
        }
        Ok(())
    }
}

/// An unknown VM: in a job file, at its line; given by `--vm`, with a hint.
pub(crate) fn unknown_vm(file: Option<&str>, line: Option<usize>, vm: &str) -> anyhow::Error {
    let message = format!("unknown VM `{vm}`");
    match file {
        Some(file) => file_error(file, line, "vms", &message),
        None => exit::bad_input(message)
            .hint("`vmsched vms list` shows the registered VMs")
            .into(),
    }
}

/// Bad input naming the file, the line when known, and the field.
fn file_error(file: &str, line: Option<usize>, field: &str, message: &str) -> anyhow::Error {
    let line = line.map_or(String::new(), |n| format!(" line {n}"));
    let field = if field.is_empty() {
        String::new()
    } else {
        format!(", field `{field}`")
    };
    exit::bad_input(format!("job file `{file}`{line}{field}: {message}")).into()
}

/// Where errors point: the file's name as given and where its lines end (to turn offsets into
/// lines).
struct Source<'a> {
    name: &'a str,
    newlines: Vec<usize>,
}

impl<'a> Source<'a> {
    fn new(name: &'a str, text: &str) -> Source<'a> {
        let newlines = text
            .bytes()
            .enumerate()
            .filter(|&(_, b)| b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Source { name, newlines }
    }

    /// The line (from 1) of a byte offset.
    fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }

    /// Bad input naming the file, the line of `span` when known, and the field.
    fn error(&self, span: Option<Range<usize>>, field: &str, message: &str) -> anyhow::Error {
        file_error(self.name, span.map(|s| self.line(s.start)), field, message)
    }
}

/// Parses and checks a job file; `known` says whether a VM exists. Linear in the number of
/// steps but for the ordering (n log n): a 16,000-step file once took minutes here, inside the
/// write transaction (docs/performance.md, "Job files").
pub fn parse(name: &str, text: &str, known: &dyn Fn(&str) -> Result<bool>) -> Result<JobFile> {
    let spec: FileSpec = toml::from_str(text).map_err(|e| {
        let place = e
            .span()
            .map_or(String::new(), |s| toml_place(text, s.start));
        let message: Vec<&str> = e.message().lines().map(str::trim).collect();
        let message = format!("job file `{name}`{place}: {}", message.join("; "));
        anyhow::Error::from(exit::bad_input(message))
    })?;
    let src = Source::new(name, text);
    if let Some(env) = &spec.env {
        for (var, value) in env.get_ref() {
            check_env(var, value).map_err(|e| src.error(Some(env.span()), "env", &e))?;
        }
    }
    if spec.step.is_empty() {
        return Err(src.error(None, "step", "a job needs at least one `[[step]]`"));
    }
    let mut index = HashMap::with_capacity(spec.step.len());
    let mut named = Vec::new();
    for (i, step) in spec.step.iter().enumerate() {
        check_step(&src, step, &index, known)?;
        index.insert(step.name.get_ref().as_str(), i);
        let vms = step.vms.get_ref().iter();
        named.extend(vms.map(|vm| (vm.get_ref().clone(), Some(src.line(vm.span().start)))));
    }
    let parents = parents(&src, &spec.step, &index)?;
    let order = dependency_order(&parents);
    if order.len() < spec.step.len() {
        return Err(cycle_error(&src, &spec.step, &parents, &order));
    }
    let mut no = vec![0; order.len()];
    for (&i, n) in order.iter().zip(1u32..) {
        no[i] = n;
    }
    let steps = order
        .iter()
        .map(|&i| {
            let step = &spec.step[i];
            NewStep {
                name: Some(step.name.get_ref().clone()),
                previous: parents[i].map(|p| no[p]),
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
        env: spec.env.map(Spanned::into_inner).unwrap_or_default(),
        steps,
        vms: NamedVms {
            file: Some(name.to_string()),
            named,
        },
    })
}

/// Checks one step against itself, the steps before it (`earlier`: their names, which are
/// unique) and the VMs.
fn check_step(
    src: &Source,
    step: &StepSpec,
    earlier: &HashMap<&str, usize>,
    known: &dyn Fn(&str) -> Result<bool>,
) -> Result<()> {
    let name = step.name.get_ref();
    if name.is_empty() {
        return Err(src.error(Some(step.name.span()), "name", "a step needs a name"));
    }
    if earlier.contains_key(name.as_str()) {
        let message = format!("duplicate step name `{name}`");
        return Err(src.error(Some(step.name.span()), "name", &message));
    }
    if step.vms.get_ref().is_empty() {
        let message = format!("step `{name}` names no VM");
        return Err(src.error(Some(step.vms.span()), "vms", &message));
    }
    let mut seen = HashSet::with_capacity(step.vms.get_ref().len());
    for vm in step.vms.get_ref() {
        let vm_name = vm.get_ref();
        let span = Some(vm.span());
        if !seen.insert(vm_name.as_str()) {
            let message = format!("VM `{vm_name}` is listed twice in step `{name}`");
            return Err(src.error(span, "vms", &message));
        }
        if !known(vm_name)? {
            return Err(unknown_vm(
                Some(src.name),
                span.map(|s| src.line(s.start)),
                vm_name,
            ));
        }
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

/// The index of the step each step comes after; errors on an unknown `after`, the first in
/// file order.
fn parents(
    src: &Source,
    steps: &[StepSpec],
    index: &HashMap<&str, usize>,
) -> Result<Vec<Option<usize>>> {
    steps
        .iter()
        .map(|step| {
            let Some(after) = &step.after else {
                return Ok(None);
            };
            match index.get(after.get_ref().as_str()) {
                Some(&parent) => Ok(Some(parent)),
                None => {
                    let message = format!("no step named `{}`", after.get_ref());
                    Err(src.error(Some(after.span()), "after", &message))
                }
            }
        })
        .collect()
}

/// Step indices in dependency order, ties in file order: each time the lowest-index step not
/// yet placed whose parent is (Kahn's algorithm with a min-heap; each step waits for one
/// parent at most). Steps in or below a cycle are left out.
fn dependency_order(parents: &[Option<usize>]) -> Vec<usize> {
    let mut children = vec![Vec::new(); parents.len()];
    let mut ready = BinaryHeap::new();
    for (i, parent) in parents.iter().enumerate() {
        match parent {
            Some(p) => children[*p].push(i),
            None => ready.push(Reverse(i)),
        }
    }
    let mut order = Vec::with_capacity(parents.len());
    while let Some(Reverse(i)) = ready.pop() {
        order.push(i);
        ready.extend(children[i].iter().map(|&c| Reverse(c)));
    }
    order
}

/// Names the cycle that keeps the remaining steps from being placed, at the first of its
/// steps in file order.
fn cycle_error(
    src: &Source,
    steps: &[StepSpec],
    parents: &[Option<usize>],
    placed: &[usize],
) -> anyhow::Error {
    let mut is_placed = vec![false; steps.len()];
    for &i in placed {
        is_placed[i] = true;
    }
    // Every unplaced step waits for another unplaced one, so following `after` from any of
    // them must come back to a step already seen.
    let mut current = (0..steps.len()).find(|&i| !is_placed[i]).unwrap_or(0);
    let mut path = vec![current];
    let mut on_path = vec![None; steps.len()];
    on_path[current] = Some(0);
    while let Some(next) = parents[current] {
        if let Some(start) = on_path[next] {
            path.drain(..start);
            break;
        }
        on_path[next] = Some(path.len());
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

    /// The order of the first version: each time the lowest-index unplaced step whose parent
    /// is placed, found by scanning; stops at a cycle.
    fn scanned_order(parents: &[Option<usize>]) -> Vec<usize> {
        let mut order: Vec<usize> = Vec::new();
        loop {
            let placed = |i: usize| order.contains(&i);
            let Some(next) =
                (0..parents.len()).find(|&i| !placed(i) && parents[i].is_none_or(placed))
            else {
                return order;
            };
            order.push(next);
        }
    }

    #[test]
    fn the_heap_order_is_the_scanned_order() {
        let mut seed = 5u64;
        let mut random = |below: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % below
        };
        for _ in 0..2000 {
            let n = 1 + random(12);
            let parents: Vec<Option<usize>> =
                (0..n).map(|_| (random(3) > 0).then(|| random(n))).collect();
            assert_eq!(
                dependency_order(&parents),
                scanned_order(&parents),
                "{parents:?}"
            );
        }
    }

    #[test]
    fn a_long_chain_written_backwards_is_numbered_in_order() {
        // Chain step `c{k}` comes after `c{k-1}`; the file lists c9999 first, down to c0, each
        // followed by an independent step `i{j}`.
        let n: u32 = 10_000;
        let text: String = (0..n)
            .flat_map(|j| {
                let k = n - 1 - j;
                let after = (k > 0).then(|| format!("c{}", k - 1));
                [
                    step(&format!("c{k}"), after.as_deref()),
                    step(&format!("i{j}"), None),
                ]
            })
            .collect();
        let job = parse_ok(&text);
        let got: Vec<(String, Option<u32>)> = job
            .steps
            .iter()
            .map(|s| (s.name.clone().unwrap(), s.previous))
            .collect();
        // Independent steps written before c0 come first, then the chain, then the last one.
        let mut want: Vec<(String, Option<u32>)> =
            (0..n - 1).map(|j| (format!("i{j}"), None)).collect();
        for k in 0..n {
            let previous = (k > 0).then(|| n + k - 1);
            want.push((format!("c{k}"), previous));
        }
        want.push((format!("i{}", n - 1), None));
        assert_eq!(got.len(), 2 * n as usize);
        assert_eq!(got, want);
    }

    #[test]
    fn named_vms_are_checked_again_with_the_same_error() {
        let text = [
            step("a", None),
            step("b", None).replace("[\"w\"]", "[\"w\", \"gone\"]"),
        ]
        .concat();
        let job = parse_ok(&text);
        let err = job.vms.check(&|vm| Ok(vm != "gone")).unwrap_err();
        assert_eq!(exit::classify(&err).0, exit::USAGE);
        assert_eq!(
            format!("{err:#}"),
            "job file `j.toml` line 7, field `vms`: unknown VM `gone`"
        );
        let err = parse("j.toml", &text, &|vm| Ok(vm != "gone")).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "job file `j.toml` line 7, field `vms`: unknown VM `gone`"
        );
        job.vms.check(&|_| Ok(true)).unwrap();
    }
}
