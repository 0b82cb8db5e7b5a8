//! A demo session: the demo's own database and the `vmsched` commands it runs against it, as
//! an admin and cron would: registering the lab, submitting the jobs, running the passes.

use super::MAX_RUN;
use crate::Ctx;
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// The demo's own database and the commands it runs against it.
pub(super) struct Demo<'a> {
    pub(super) db: PathBuf,
    pub(super) ctx: &'a Ctx,
}

impl Demo<'_> {
    /// Runs `vmsched --db DEMO ARGS` and returns its stdout; fails with its stderr.
    pub(super) fn vmsched(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(std::env::current_exe()?)
            .arg("--db")
            .arg(&self.db)
            .args(["--no-progress", "--quiet"])
            .args(args)
            .output()?;
        if !out.status.success() {
            bail!(
                "vmsched {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Says a command, runs it, and shows its output.
    pub(super) fn show(&self, out: &mut dyn Write, args: &[&str]) -> Result<()> {
        writeln!(out, "\n$ vmsched {}", args.join(" "))?;
        out.write_all(self.vmsched(args)?.as_bytes())?;
        Ok(())
    }

    /// Registers the lab and submits the jobs, as an admin would.
    pub(super) fn setup(&self, uri: &str) -> Result<()> {
        let exe = std::env::current_exe()?.to_string_lossy().into_owned();
        let inventory = self.db.with_file_name("lab.toml");
        std::fs::write(&inventory, inventory_toml(uri))?;
        let check = [exe.as_str(), "demo", "--check-task"];
        let steps = self.db.with_file_name("two-steps.toml");
        std::fs::write(&steps, two_steps_toml(&check))?;
        let commands: Vec<Vec<&str>> = vec![
            vec!["vms", "import", inventory.to_str().context("path")?],
            vec!["settings", "set", "sleep_after_revert", "0"],
            [
                &[
                    "jobs",
                    "submit",
                    "--remarks",
                    "all locales",
                    "--vm",
                    "w10",
                    "--vm",
                    "w10_fr",
                    "--vm",
                    "w10_de",
                    "--",
                ][..],
                &check,
            ]
            .concat(),
            vec!["jobs", "submit", "--file", steps.to_str().context("path")?],
            [
                &[
                    "jobs",
                    "submit",
                    "--priority",
                    "3",
                    "--remarks",
                    "urgent fr",
                    "--vm",
                    "w10_fr",
                    "--",
                ][..],
                &check,
            ]
            .concat(),
        ];
        for args in commands {
            self.ctx.out.say(format!("$ vmsched {}", args.join(" ")));
            self.vmsched(&args)?;
        }
        Ok(())
    }

    /// Runs `schedule-once --wait` until every job has ended; false when it took too long.
    pub(super) fn run_passes(&self) -> Result<bool> {
        let start = Instant::now();
        let mut passes = 0;
        while start.elapsed() < MAX_RUN {
            let jobs: serde_json::Value =
                serde_json::from_str(&self.vmsched(&["--format", "json", "jobs", "list"])?)?;
            let open = jobs
                .as_array()
                .into_iter()
                .flatten()
                .filter(|j| j["ended"].is_null())
                .count();
            if open == 0 {
                self.ctx.out.say(format!(
                    "demo: every job ended after {passes} passes in {:.0?}",
                    start.elapsed()
                ));
                return Ok(true);
            }
            self.vmsched(&["schedule-once", "--wait"])?;
            passes += 1;
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(false)
    }
}

fn inventory_toml(uri: &str) -> String {
    format!(
        r#"[limits]
max_active = 3
max_running = 2
max_reverting = 2
max_reverts_while_running = 1

[[vm]]
name = "w10"
uri = "{uri}"
domain = "vmsched-demo-win"
snapshot = "wtb"
description = "Windows, English"

[[vm]]
name = "w10_fr"
uri = "{uri}"
domain = "vmsched-demo-win"
snapshot = "wtb-fr"
role = "winetest"
description = "Windows, French"

[[vm]]
name = "w10_de"
uri = "{uri}"
domain = "vmsched-demo-win"
snapshot = "wtb-de"
role = "extra"
description = "Windows, German"

[[vm]]
name = "build"
kind = "build"
uri = "{uri}"
domain = "vmsched-demo-build"
snapshot = "clean"

[[vm]]
name = "linux"
kind = "wine"
uri = "{uri}"
domain = "vmsched-demo-linux"
snapshot = "clean"
"#
    )
}

fn two_steps_toml(check: &[&str]) -> String {
    let command = serde_json::to_string(check).unwrap_or_default();
    format!(
        "remarks = \"build then test\"\n\n[[step]]\nname = \"build\"\nvms = [\"build\"]\ncommand = {command}\n\n\
         [[step]]\nname = \"test\"\nafter = \"build\"\nvms = [\"w10_fr\", \"linux\"]\ncommand = {command}\n"
    )
}
