//! The demo's side of the hypervisor: which URI it uses, and its tiny domains with their
//! snapshots, created and removed through `virsh`.

use crate::hypervisor::{self, Hypervisor};
use crate::{exit, Ctx};
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

/// The demo's domains: name and snapshots (the first domain is shared by three instances).
pub(super) const DOMAINS: &[(&str, &[&str])] = &[
    ("vmsched-demo-win", &["wtb", "wtb-fr", "wtb-de"]),
    ("vmsched-demo-build", &["clean"]),
    ("vmsched-demo-linux", &["clean"]),
];

/// QEMU through `qemu:///system` when it answers, else libvirt's test driver through the
/// daemon, saying why.
pub(super) fn pick_uri(ctx: &Ctx) -> Result<String> {
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
pub(super) fn clean(uri: &str, dir: &Path) -> Result<()> {
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
pub(super) fn create_domain(uri: &str, dir: &Path, name: &str, snapshots: &[&str]) -> Result<()> {
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
