//! `vmsched demo`: a small lab on a local hypervisor — one domain shared by three instances
//! plus two ordinary VMs — a few jobs (one with two steps), passes until every job has ended,
//! then the jobs, domains and history. It drives the real `vmsched` commands, uses its own
//! database and `vmsched-demo-` domains, and fails when any task saw a wrong snapshot.

use crate::cli::DemoArgs;
use crate::hypervisor::{self, Hypervisor};
use crate::workers::data_dir;
use crate::{exit, Ctx};
use anyhow::{bail, Context, Result};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The demo's domains: name and snapshots (the first domain is shared by three instances).
const DOMAINS: &[(&str, &[&str])] = &[
    ("vmsched-demo-win", &["wtb", "wtb-fr", "wtb-de"]),
    ("vmsched-demo-build", &["clean"]),
    ("vmsched-demo-linux", &["clean"]),
];

/// How long the demo waits for its jobs before giving up.
const MAX_RUN: Duration = Duration::from_secs(600);

pub fn run(ctx: &Ctx, args: &DemoArgs, out: &mut dyn Write) -> Result<u8> {
    if args.check_task {
        return check_task(ctx);
    }
    let dir = data_dir(&ctx.db).join("demo");
    let db = dir.join("vmsched.db");
    let uri = match &args.uri {
        Some(uri) => uri.clone(),
        None => pick_uri(ctx)?,
    };
    clean(&uri, &dir)?;
    if args.clean {
        ctx.out.say("demo: removed the demo's domains and database");
        return Ok(exit::OK);
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    // The test driver through a daemon keeps its state only while a connection is open.
    let _keep = hypervisor::connect(&uri, ctx.timeout, ctx.timeout)?;
    for (domain, snapshots) in DOMAINS {
        ctx.out.say(format!(
            "demo: creating domain {domain} with snapshots {}",
            snapshots.join(", ")
        ));
        create_domain(&uri, &dir, domain, snapshots)?;
    }
    let demo = Demo { db, ctx };
    demo.setup(&uri)?;
    let finished = demo.run_passes()?;
    demo.show(out, &["jobs", "list"])?;
    demo.show(out, &["domains", "show"])?;
    demo.show(out, &["history", "--limit", "60"])?;
    if !finished {
        bail!("the demo's jobs did not end within {}s", MAX_RUN.as_secs());
    }
    let failed = demo.vmsched(&["--format", "json", "jobs", "list"])?;
    let jobs: serde_json::Value = serde_json::from_str(&failed)?;
    let bad: Vec<String> = jobs
        .as_array()
        .into_iter()
        .flatten()
        .filter(|j| j["status"] != "completed")
        .map(|j| format!("job {} {}", j["id"], j["status"].as_str().unwrap_or("?")))
        .collect();
    if !bad.is_empty() {
        return Err(exit::failed(format!("demo failed: {}", bad.join(", ")))
            .hint(format!(
                "see `vmsched --db {} jobs log ID`",
                demo.db.display()
            ))
            .into());
    }
    ctx.out.say(format!(
        "demo: every job completed; its database is {}",
        demo.db.display()
    ));
    Ok(exit::OK)
}

/// QEMU through `qemu:///system` when it answers, else libvirt's test driver through the
/// daemon, saying why.
fn pick_uri(ctx: &Ctx) -> Result<String> {
    let qemu = hypervisor::connect("qemu:///system", ctx.timeout, ctx.timeout)
        .and_then(|hv| hv.domains().map(drop));
    let Err(why) = qemu else {
        return Ok("qemu:///system".into());
    };
    ctx.out.say(format!(
        "demo: no QEMU hypervisor ({why}); using libvirt's test driver through the daemon"
    ));
    hypervisor::connect("test+unix:///default", ctx.timeout, ctx.timeout)
        .map_err(|e| {
            exit::failed(format!(
                "no local hypervisor: qemu:///system: {why}; test+unix:///default: {e}"
            ))
        })
        .map_err(|e| {
            e.hint("run `scripts/libvirt-setup.sh start` as root")
                .into()
        })
        .map(|_| "test+unix:///default".into())
}

/// Runs `virsh -c URI ARGS`, quietly; the error carries virsh's message.
fn virsh(uri: &str, args: &[&str]) -> Result<()> {
    let out = Command::new("virsh")
        .args(["-q", "-c", uri])
        .args(args)
        .output()
        .context("cannot run `virsh` (package libvirt-clients)")?;
    if !out.status.success() {
        bail!(
            "virsh {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Removes the demo's domains (with their snapshots), disks and database.
fn clean(uri: &str, dir: &Path) -> Result<()> {
    for (domain, _) in DOMAINS {
        let _ = virsh(uri, &["destroy", domain]);
        let _ = virsh(uri, &["undefine", domain, "--snapshots-metadata"]);
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("cannot remove `{}`", dir.display()))?;
    }
    Ok(())
}

/// Defines a tiny domain (48 MiB, no OS; a qcow2 disk under QEMU), starts it, takes each
/// snapshot of the running domain, and shuts it off.
fn create_domain(uri: &str, dir: &Path, name: &str, snapshots: &[&str]) -> Result<()> {
    let xml = if uri.starts_with("qemu") {
        let disk = dir.join(format!("{name}.qcow2"));
        let status = Command::new("qemu-img")
            .args(["create", "-q", "-f", "qcow2"])
            .arg(&disk)
            .arg("64M")
            .status()
            .context("cannot run `qemu-img`")?;
        anyhow::ensure!(status.success(), "qemu-img create failed");
        format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>48</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64' machine='pc'>hvm</type></os><devices>\
             <emulator>/usr/bin/qemu-system-x86_64</emulator>\
             <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>\
             <source file='{}'/><target dev='vda' bus='virtio'/></disk>\
             <memballoon model='none'/></devices></domain>",
            disk.display()
        )
    } else {
        format!(
            "<domain type='test'><name>{name}</name><memory unit='MiB'>48</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64'>hvm</type></os></domain>"
        )
    };
    let file = dir.join(format!("{name}.xml"));
    std::fs::write(&file, xml)?;
    let file = file.to_string_lossy();
    virsh(uri, &["define", &file])?;
    virsh(uri, &["start", name])?;
    for snapshot in snapshots {
        virsh(uri, &["snapshot-create-as", name, snapshot])?;
    }
    virsh(uri, &["destroy", name])
}

/// The demo's own database and the commands it runs against it.
struct Demo<'a> {
    db: PathBuf,
    ctx: &'a Ctx,
}

impl Demo<'_> {
    /// Runs `vmsched --db DEMO ARGS` and returns its stdout; fails with its stderr.
    fn vmsched(&self, args: &[&str]) -> Result<String> {
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
    fn show(&self, out: &mut dyn Write, args: &[&str]) -> Result<()> {
        writeln!(out, "\n$ vmsched {}", args.join(" "))?;
        out.write_all(self.vmsched(args)?.as_bytes())?;
        Ok(())
    }

    /// Registers the lab and submits the jobs, as an admin would.
    fn setup(&self, uri: &str) -> Result<()> {
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
    fn run_passes(&self) -> Result<bool> {
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

/// The demo's task: checks, with libvirt, at its start and end, that its domain's current
/// snapshot is its own instance's; fails loudly otherwise. libvirt errors (a daemon being
/// restarted) are retried for up to `--timeout` seconds per check, on a new connection each
/// time, so a bounced daemon is not mistaken for a wrong snapshot.
fn check_task(ctx: &Ctx) -> Result<u8> {
    let var = |k: &str| {
        std::env::var(k).with_context(|| format!("{k} is not set: run me as a vmsched task"))
    };
    let (vm, uri, domain, snapshot) = (
        var("VMSCHED_VM")?,
        var("VMSCHED_URI")?,
        var("VMSCHED_DOMAIN")?,
        var("VMSCHED_SNAPSHOT")?,
    );
    for moment in ["start", "end"] {
        let current = current_snapshot_patiently(&uri, &domain, ctx.timeout)?;
        println!("{moment}: {vm} on {domain}: current snapshot {current:?}, expected {snapshot}");
        if current.as_deref() != Some(snapshot.as_str()) {
            eprintln!(
                "WRONG SNAPSHOT: {vm} expected `{snapshot}` on {domain}, libvirt says {current:?}"
            );
            return Ok(exit::FAILED);
        }
        if moment == "start" {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
    Ok(exit::OK)
}

/// The domain's current snapshot, retrying libvirt errors until `within` has passed.
fn current_snapshot_patiently(uri: &str, domain: &str, within: Duration) -> Result<Option<String>> {
    let deadline = Instant::now() + within;
    loop {
        let asked =
            hypervisor::connect(uri, within, within).and_then(|hv| hv.current_snapshot(domain));
        match asked {
            Ok(current) => return Ok(current),
            Err(err) if Instant::now() < deadline => {
                println!("libvirt: {err}; asking again");
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(err) => return Err(err.into()),
        }
    }
}
