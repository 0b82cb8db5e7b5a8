//! `vmsched-worker --launch --db DB --timeout SECS`: the launcher a pass starts, which forks
//! the pass's workers (`vmsched::workers::launch`), one per operation.
//! A program of its own, without libvirt, so that a pass starts its workers cheaply and the
//! long-lived process of a running task never loads libvirt and its libraries (hundreds may
//! run at once). Revert, power-off and monitor workers become `vmsched worker OP` once
//! released; a task worker, once its command runs, becomes
//! `vmsched-worker --wait --db DB OP PID DEADLINE` (a fresh image that only waits).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// What the command line asks for.
enum Role {
    Launch {
        db: PathBuf,
        secs: u64,
    },
    Wait {
        db: PathBuf,
        id: i64,
        pid: i32,
        deadline: i64,
    },
}

fn parse(args: &[String]) -> Option<Role> {
    match args {
        [launch, db_flag, db, timeout_flag, secs]
            if launch == "--launch" && db_flag == "--db" && timeout_flag == "--timeout" =>
        {
            Some(Role::Launch {
                db: PathBuf::from(db),
                secs: secs.parse().ok()?,
            })
        }
        [wait, db_flag, db, id, pid, deadline] if wait == "--wait" && db_flag == "--db" => {
            Some(Role::Wait {
                db: PathBuf::from(db),
                id: id.parse().ok()?,
                pid: pid.parse().ok()?,
                deadline: deadline.parse().ok()?,
            })
        }
        _ => None,
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let done = match parse(&args) {
        Some(Role::Launch { db, secs }) => {
            vmsched::workers::launch::run(&db, Duration::from_secs(secs))
        }
        Some(Role::Wait {
            db,
            id,
            pid,
            deadline,
        }) => vmsched::workers::run_waiting(&db, id, pid, deadline),
        None => {
            eprintln!("error: usage: vmsched-worker --launch --db DB --timeout SECS");
            eprintln!("hint: `vmsched schedule-once` starts it; it is not run by hand");
            return ExitCode::from(vmsched::exit::USAGE);
        }
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(vmsched::exit::FAILED),
    }
}
