//! The soak's lab: its QEMU domains, the instances sharing them, the limits and settings, and
//! the jobs it submits.

use super::chaos::MAX_TASK_TRIES;
use super::{Soak, SHARED};
use crate::hv::{Domain, RealLibvirt, QEMU_URI};
use crate::invariants::Rng;

/// The run's domains, removed (with their snapshots and disks) when dropped: 3 shared by the
/// instances of `SHARED`, then 2 for the ordinary VMs.
pub(super) fn domains(tag: &str) -> Vec<Domain> {
    let Some(hv) = RealLibvirt::qemu(tag) else {
        panic!("{QEMU_URI} does not answer: run `scripts/libvirt-setup.sh start` (as root) first");
    };
    let snapshots: Vec<&str> = SHARED.iter().map(|(s, _)| *s).collect();
    [
        ("s1", &snapshots[..]),
        ("s2", &snapshots[..]),
        ("s3", &snapshots[..]),
        ("p1", &["clean"][..]),
        ("p2", &["clean"][..]),
    ]
    .into_iter()
    // Off, as an admin leaves a domain that no instance uses.
    .map(|(suffix, snapshots)| hv.domain(tag, suffix, snapshots))
    .collect()
}

impl Soak {
    /// The instances: (name, domain, snapshot, role, kind).
    fn instances(&self) -> Vec<(String, String, String, String, String)> {
        let mut vms = Vec::new();
        for (i, domain) in self.domains[..3].iter().enumerate() {
            for (snapshot, role) in SHARED {
                let name = format!("s{}{snapshot}", i + 1);
                vms.push((
                    name,
                    domain.name.clone(),
                    snapshot.to_string(),
                    role.to_string(),
                    "win64".to_string(),
                ));
            }
        }
        for (i, domain) in self.domains[3..].iter().enumerate() {
            let kind = if i == 0 { "build" } else { "wine" };
            vms.push((
                format!("p{}", i + 1),
                domain.name.clone(),
                "clean".to_string(),
                "base".to_string(),
                kind.to_string(),
            ));
        }
        vms
    }

    fn ok(&self, args: &[&str]) -> String {
        self.lab.run(args).ok().stdout
    }

    /// Registers the lab, raises the local host's limits, shortens the intervals and submits
    /// the jobs: five rounds of one task on each of the 11 VMs, one job on the 9 shared
    /// instances, and a two-step job (build, then 3 VMs): 68 tasks.
    pub(super) fn setup(&mut self) -> usize {
        let mut inventory = String::new();
        for (name, domain, snapshot, role, kind) in self.instances() {
            inventory.push_str(&format!(
                "[[vm]]\nname = \"{name}\"\nuri = \"{QEMU_URI}\"\ndomain = \"{domain}\"\n\
                 snapshot = \"{snapshot}\"\nrole = \"{role}\"\nkind = \"{kind}\"\n\n"
            ));
        }
        let inventory = self.lab.write("lab.toml", &inventory);
        self.ok(&["vms", "import", &inventory]);
        self.ok(&[
            "hosts",
            "set",
            "localhost",
            "--max-active",
            "4",
            "--max-running",
            "3",
            "--max-reverting",
            "2",
            "--max-reverts-while-running",
            "2",
        ]);
        let tries = if self.chaos.is_some() {
            MAX_TASK_TRIES
        } else {
            3
        };
        for (key, value) in [
            ("sleep_after_revert", 0),
            ("monitor_interval", 2),
            ("monitor_interval_errors", 3),
            ("max_task_tries", tries),
        ] {
            self.ok(&["settings", "set", key, &value.to_string()]);
        }
        let exe = assert_cmd::cargo::cargo_bin("vmsched");
        let check = [
            exe.to_str().unwrap(),
            "--timeout",
            "60",
            "demo",
            "--check-task",
        ];
        let names: Vec<String> = self.instances().into_iter().map(|v| v.0).collect();
        let mut rng = Rng::new(7);
        let mut tasks = 0;
        for _round in 0..5 {
            for name in &names {
                let priority = (1 + rng.below(9)).to_string();
                let mut args = vec![
                    "jobs",
                    "submit",
                    "--priority",
                    &priority,
                    "--task-timeout",
                    "120",
                    "--vm",
                    name,
                    "--",
                ];
                args.extend(check);
                self.ok(&args);
                tasks += 1;
            }
        }
        let mut args = vec!["jobs", "submit", "--remarks", "every shared instance"];
        for name in &names[..9] {
            args.extend(["--vm", name]);
        }
        args.push("--");
        args.extend(check);
        self.ok(&args);
        tasks += 9;
        let command = serde_json::to_string(&check).unwrap();
        let steps = self.lab.write(
            "steps.toml",
            &format!(
                "remarks = \"build then test\"\n\n[[step]]\nname = \"build\"\nvms = [\"p1\"]\n\
                 command = {command}\ntimeout = 120\n\n[[step]]\nname = \"test\"\nafter = \"build\"\n\
                 vms = [\"s1b\", \"s2c\", \"p2\"]\ncommand = {command}\ntimeout = 120\n"
            ),
        );
        self.ok(&["jobs", "submit", "--file", &steps]);
        tasks + 4
    }
}
