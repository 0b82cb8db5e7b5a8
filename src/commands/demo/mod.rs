//! `vmsched demo`: a small lab on a local hypervisor — one domain shared by three instances
//! plus two ordinary VMs — a few jobs (one with two steps), passes until every job has ended,
//! then the jobs, domains and history. It drives the real `vmsched` commands, uses its own
//! database and `vmsched-demo-` domains, and fails when any task saw a wrong snapshot.

mod check_task;
mod domains;
mod session;

use crate::cli::DemoArgs;
use crate::workers::data_dir;
use crate::{access, exit, hypervisor, Ctx};
use anyhow::{bail, Context, Result};
use check_task::check_task;
use domains::{clean, create_domain, pick_uri, DOMAINS};
use session::Demo;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

/// How long the demo waits for its jobs before giving up.
const MAX_RUN: Duration = Duration::from_secs(600);

pub(crate) fn run(ctx: &Ctx, args: &DemoArgs, out: &mut dyn Write) -> Result<u8> {
    if args.check_task {
        return check_task(ctx);
    }
    // Beside the caller's database, but never in the shared lab's folder, which belongs to the
    // service user (and to the package that creates it).
    let beside = if ctx.db == Path::new(access::SHARED_DB) {
        access::own_db()
    } else {
        ctx.db.clone()
    };
    let dir = data_dir(&beside).join("demo");
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
