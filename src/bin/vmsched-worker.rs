//! `vmsched-worker --db DB --timeout SECS OP`: the worker of an operation, started by a pass.
//! A program of its own, without libvirt, so that a pass spawns its workers cheaply and the
//! long-lived process of a running task never loads libvirt and its libraries (hundreds may
//! run at once). Revert, power-off and monitor workers become `vmsched worker OP` once
//! released; a task worker, once its command runs, becomes
//! `vmsched-worker --wait --db DB OP PID DEADLINE` (a fresh image that only waits).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// What the command line asks for.
enum Role {
    Start {
        db: PathBuf,
        secs: u64,
        id: i64,
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
        [db_flag, db, timeout_flag, secs, id]
            if db_flag == "--db" && timeout_flag == "--timeout" =>
        {
            Some(Role::Start {
                db: PathBuf::from(db),
                secs: secs.parse().ok()?,
                id: id.parse().ok()?,
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
        Some(Role::Start { db, secs, id }) => {
            vmsched::workers::run(&db, Duration::from_secs(secs), id)
        }
        Some(Role::Wait {
            db,
            id,
            pid,
            deadline,
        }) => vmsched::workers::run_waiting(&db, id, pid, deadline),
        None => {
            eprintln!("error: usage: vmsched-worker --db DB --timeout SECS OPERATION");
            eprintln!("hint: `vmsched schedule-once` starts it; it is not run by hand");
            return ExitCode::from(vmsched::exit::USAGE);
        }
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(vmsched::exit::FAILED),
    }
}
