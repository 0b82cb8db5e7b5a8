//! Parsing and validating a state file: serde's checks with the path of a failing field, then
//! what serde cannot check (names, URIs, duplicates, references, step order).

use super::{check_host_key, check_name, check_text, domain_identity, host_key, State};
use rustc_hash::FxBuildHasher;
use serde_path_to_error::Segment;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

impl State {
    /// Parses and validates a state file's text; errors name the line and field where known.
    /// Errors are one line (`model::one_line`).
    pub fn from_json(text: &str) -> Result<State, String> {
        if text.starts_with('\u{feff}') {
            let bom = "starts with a byte-order mark (U+FEFF): save it as UTF-8 without one";
            return Err(bom.to_string());
        }
        let state: State = serde_json::from_str(text).map_err(|e| json_error(text, &e))?;
        state.validate().map_err(|e| super::one_line(&e))?;
        Ok(state)
    }

    /// Checks what serde cannot: names, host keys, URIs and one spelling of each domain's,
    /// duplicates, references and step order.
    pub fn validate(&self) -> Result<(), String> {
        for key in self.hosts.keys() {
            if key == "*" {
                return Err("hosts: the global limits go in `limits`, not `*`".to_string());
            }
            check_host_key(key).map_err(|e| format!("hosts: {e}"))?;
        }
        let mut names: HashSet<&str, FxBuildHasher> = HashSet::default();
        let mut domains = BTreeMap::new();
        // The host key and path of each distinct URI: a URI is parsed once, not for every VM.
        let mut uris: HashMap<&str, (String, String), FxBuildHasher> = HashMap::default();
        for (i, vm) in self.vms.iter().enumerate() {
            check_name(&vm.name).map_err(|e| format!("vms[{i}].name: {e}"))?;
            if !uris.contains_key(vm.uri.as_str()) {
                host_key(&vm.uri).map_err(|e| format!("vms[{i}].uri: {e}"))?;
                let (host, path, _) = domain_identity(&vm.uri, "")?;
                uris.insert(&vm.uri, (host, path));
            }
            for (field, value) in [
                ("kind", &vm.kind),
                ("domain", &vm.domain),
                ("snapshot", &vm.snapshot),
            ] {
                check_text(field, value, &vm.name).map_err(|e| format!("vms[{i}].{field}: {e}"))?;
            }
            if !names.insert(vm.name.as_str()) {
                return Err(format!("vms[{i}].name: duplicate VM `{}`", vm.name));
            }
            let (host, path) = &uris[vm.uri.as_str()];
            let identity = (host.clone(), path.clone(), vm.domain.clone());
            let (uri, other) = domains.entry(identity).or_insert((&vm.uri, &vm.name));
            if *uri != &vm.uri {
                return Err(format!(
                    "vms[{i}].uri: domain `{}` is listed as `{uri}` already (VM `{other}`): one domain, one spelling of its URI",
                    vm.domain
                ));
            }
        }
        let mut ids = BTreeSet::new();
        for job in &self.jobs {
            if !ids.insert(job.id) {
                return Err(format!("jobs: duplicate job id {}", job.id));
            }
            let mut nos = BTreeSet::new();
            for step in &job.steps {
                // Formatted only for an error: a big state has hundreds of thousands of steps.
                let at = || format!("job {} step {}", job.id, step.no);
                if !nos.insert(step.no) {
                    return Err(format!("{}: duplicate step number", at()));
                }
                if let Some(prev) = step.previous {
                    if prev >= step.no || !job.steps.iter().any(|s| s.no == prev) {
                        return Err(format!(
                            "{}: previous {prev} must be an earlier step of the job",
                            at()
                        ));
                    }
                }
                let mut task_nos = BTreeSet::new();
                for task in &step.tasks {
                    if !task_nos.insert(task.no) {
                        return Err(format!("{} task {}: duplicate task number", at(), task.no));
                    }
                    if !names.contains(task.vm.as_str()) {
                        return Err(format!(
                            "{} task {}: unknown VM `{}`",
                            at(),
                            task.no,
                            task.vm
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A serde_json error with the field it is about, one line. The fast parse keeps no path, so
/// the failed text is parsed again, tracking it.
fn json_error(text: &str, error: &serde_json::Error) -> String {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let mut path = String::new();
    if let Err(e) = serde_path_to_error::deserialize::<_, State>(&mut deserializer) {
        // The path as far as it is known (`vms[0].name`; no `?` for the unknown rest).
        for segment in e.path() {
            match segment {
                Segment::Seq { index } => path.push_str(&format!("[{index}]")),
                Segment::Map { key } if path.is_empty() => path.push_str(key),
                Segment::Map { key } => path.push_str(&format!(".{key}")),
                _ => break,
            }
        }
    }
    let path = if path.is_empty() {
        path
    } else {
        format!("{path}: ")
    };
    super::one_line(&format!("{path}{error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Child, Role};

    #[test]
    fn state_defaults_and_errors() {
        let s = State::from_json(r#"{"vms":[{"name":"w","status":"off","uri":"qemu:///system","domain":"d","snapshot":"s"}]}"#).unwrap();
        assert_eq!(
            (s.max_errors, s.vms[0].role, s.vms[0].child),
            (3, Role::Base, Child::None)
        );
        assert!(State::from_json(r#"{"bogus":1}"#)
            .unwrap_err()
            .contains("bogus"));
        let bad = r#"{"vms":[],"jobs":[{"id":1,"steps":[{"no":1,"tasks":[{"no":1,"vm":"x"}]}]}]}"#;
        assert!(State::from_json(bad).unwrap_err().contains("unknown VM"));
    }
}
