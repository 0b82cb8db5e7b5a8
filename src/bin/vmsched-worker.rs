//! `vmsched-worker --db DB --timeout SECS OP`: the worker of an operation, started by a pass.
//! A program of its own, without libvirt, so that a pass spawns its workers cheaply and the
//! long-lived process of a running task never loads libvirt and its libraries (hundreds may
//! run at once). Revert, power-off and monitor workers become `vmsched worker OP` once
//! released.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let parsed = match args.as_slice() {
        [db_flag, db, timeout_flag, secs, id]
            if db_flag == "--db" && timeout_flag == "--timeout" =>
        {
            secs.parse()
                .ok()
                .zip(id.parse().ok())
                .map(|(secs, id)| (PathBuf::from(db), secs, id))
        }
        _ => None,
    };
    let Some((db, secs, id)) = parsed else {
        eprintln!("error: usage: vmsched-worker --db DB --timeout SECS OPERATION");
        eprintln!("hint: `vmsched schedule-once` starts it; it is not run by hand");
        return ExitCode::from(vmsched::exit::USAGE);
    };
    match vmsched::workers::run(&db, Duration::from_secs(secs), id) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(vmsched::exit::FAILED),
    }
}
