//! The man page's sections beyond the options: EXIT STATUS, ENVIRONMENT, FILES, CRON and
//! EXAMPLES. Each is made from what defines it in the code (the exit codes' list, the
//! arguments' environment variables, the task worker's variables, the paths' functions), so
//! the page cannot drift from the program; only the sentences around them are written here.

use crate::cli::Cli;
use clap::CommandFactory;
use std::io::Write;
use std::path::Path;

/// One section: a paragraph, tagged entries (a name and what it means), then lines shown as
/// they are (a file's contents).
pub(crate) struct Section {
    pub(crate) title: &'static str,
    pub(crate) intro: String,
    pub(crate) entries: Vec<(String, String)>,
    pub(crate) literal: Vec<String>,
}

/// The sections, in the order the page prints them.
pub(crate) fn sections() -> Vec<Section> {
    vec![exit_status(), environment(), files(), cron(), examples()]
}

fn exit_status() -> Section {
    Section {
        title: "EXIT STATUS",
        intro: "Errors are one line on stderr (`error: ...`), sometimes followed by a \
                `hint: ...` line; a refused command changes nothing. One command does not use this \
                table: `domains check`, the monitoring probe, exits 0 OK, 1 WARNING, 2 CRITICAL \
                and 3 UNKNOWN, as monitoring plugins do."
            .to_string(),
        entries: crate::exit::CODES
            .iter()
            .map(|(code, when)| (code.to_string(), when.to_string()))
            .collect(),
        literal: Vec::new(),
    }
}

fn environment() -> Section {
    let cli = Cli::command();
    let mut entries: Vec<(String, String)> = cli
        .get_arguments()
        .filter_map(|arg| {
            let var = arg.get_env()?.to_string_lossy().into_owned();
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            Some((var, format!("as --{}: {help}", arg.get_id())))
        })
        .collect();
    entries.push((
        crate::store::BUSY_TIMEOUT_VAR.to_string(),
        "the milliseconds a write waits for another writer before it fails with \"database is \
         busy\" (default 10000)"
            .to_string(),
    ));
    entries.push((
        crate::pass::request::ENV.to_string(),
        "0 turns passes on events off for this process tree (the setting event_passes turns \
         them off for the lab)"
            .to_string(),
    ));
    entries.push((
        crate::complete::VAR.to_string(),
        "set by the completion scripts: vmsched prints completion candidates instead of running"
            .to_string(),
    ));
    entries.extend(crate::workers::TASK_VARIABLES.iter().map(|(var, holds)| {
        let holds = format!("given to a task's command: {holds}");
        (var.to_string(), holds)
    }));
    Section {
        title: "ENVIRONMENT",
        intro: format!(
            "A task's command runs as the database file's owner, in its log folder, with stdin \
             from /dev/null and an environment built from an allow-list, never the scheduler's: \
             PATH ({}, unless the job sets it), HOME (the database owner's), LANG (the \
             scheduler's, when set), the job's variables (jobs submit --env NAME=VALUE, a job \
             file's [env] table), then the VMSCHED_ variables marked below; a readiness command \
             gets VMSCHED_VM.",
            crate::workers::TASK_PATH
        ),
        entries,
        literal: Vec::new(),
    }
}

fn files() -> Section {
    let db = Path::new(crate::access::SHARED_DB);
    let logs = crate::workers::logs_dir(db);
    let shown = |path: &Path| path.display().to_string();
    Section {
        title: "FILES",
        intro: "The other files live beside the database, wherever --db puts it.".to_string(),
        entries: vec![
            (
                shown(db),
                "the database (SQLite, mode 0600) when run as root; \
                 $XDG_STATE_HOME/vmsched/vmsched.db (~/.local/state/vmsched/vmsched.db) otherwise"
                    .to_string(),
            ),
            (
                shown(&crate::lock::path_for(db)),
                "the pass lock: one pass at a time holds it; released workers start a few at a time through byte locks in it".to_string(),
            ),
            (
                shown(&logs.join(crate::workers::WORKERS_LOG)),
                "messages of workers and of passes started by events (they have no terminal)"
                    .to_string(),
            ),
            (
                format!("{}/JOB/STEP/", shown(&logs)),
                "task logs, one per attempt (vmsched jobs log JOB)".to_string(),
            ),
        ],
        literal: Vec::new(),
    }
}

fn cron() -> Section {
    let pass = format!(
        "/usr/local/bin/vmsched --db {} schedule-once",
        crate::access::SHARED_DB
    );
    Section {
        title: "CRON",
        intro: "Cron runs one scheduling pass a minute; it is the safety net for the passes \
                that changes start themselves. A pass prints nothing on success and one line \
                on stderr, which cron mails, per VM that went offline and per task that ended in \
                boterror. Passes run as the database file's owner (root's take its identity)."
            .to_string(),
        entries: Vec::new(),
        literal: vec![
            "# crontab -e (the database file's owner's, or root's)".to_string(),
            format!("* * * * *  {pass}"),
            String::new(),
            "# /etc/cron.d/vmsched (with a user field: the database's owner)".to_string(),
            format!("* * * * *  vmsched  {pass}"),
        ],
    }
}

fn examples() -> Section {
    let example = |command: &str, does: &str| (command.to_string(), does.to_string());
    Section {
        title: "EXAMPLES",
        intro: String::new(),
        entries: vec![
            example(
                "vmsched vms import lab.toml --dry-run",
                "show what an inventory would change, old and new values, and change nothing",
            ),
            example(
                "vmsched vms add w10 -c qemu:///system --domain win10 --snapshot wtb",
                "register a VM instance",
            ),
            example(
                "vmsched hosts set '*' --max-active 2",
                "set the global limits",
            ),
            example(
                "vmsched jobs submit --vm w10 --vm w10_fr -- /srv/tests/run.sh --quick",
                "run a command on two VMs (an argument vector, never a shell string)",
            ),
            example(
                "vmsched jobs wait 42 && vmsched jobs log 42",
                "follow a job",
            ),
            example(
                "vmsched domains show --check",
                "which instance owns each shared domain and what libvirt says; exit 1 on a bad \
                 verdict",
            ),
            example(
                "vmsched revert w10_fr --steal --reason 'manual check'",
                "take a shared domain for one instance now",
            ),
            example(
                "vmsched schedule-once --dry-run",
                "print what the next pass would do",
            ),
        ],
        literal: Vec::new(),
    }
}

/// Writes the sections as roff.
pub(crate) fn render(out: &mut dyn Write) -> std::io::Result<()> {
    for section in sections() {
        writeln!(out, ".SH \"{}\"", section.title)?;
        if !section.intro.is_empty() {
            writeln!(out, "{}", roff(&section.intro))?;
        }
        for (name, text) in &section.entries {
            writeln!(out, ".TP\n\\fB{}\\fR\n{}", roff(name), roff(text))?;
        }
        if !section.literal.is_empty() {
            writeln!(out, ".PP\n.nf\n.RS 4")?;
            for line in &section.literal {
                writeln!(out, "{}", roff(line))?;
            }
            writeln!(out, ".RE\n.fi")?;
        }
    }
    Ok(())
}

/// Text made safe for roff: backslashes and minus signs escaped, no line starting as a request.
pub(crate) fn roff(text: &str) -> String {
    let text = text.replace('\\', "\\e").replace('-', "\\-");
    if text.starts_with(['.', '\'']) {
        format!("\\&{text}")
    } else {
        text
    }
}
