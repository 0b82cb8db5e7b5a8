//! `vmsched-task --db DB OP`: the worker of a task operation, started by a pass. A program of
//! its own so that the long-lived process of a running task does not load libvirt and its
//! libraries (hundreds may run at once); everything else is `vmsched worker`.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (db, id) = match args.as_slice() {
        [flag, db, id] if flag == "--db" => match id.parse() {
            Ok(id) => (PathBuf::from(db), id),
            Err(_) => return usage(),
        },
        _ => return usage(),
    };
    match vmsched::workers::run_task(&db, id) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(vmsched::exit::FAILED),
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "error: usage: vmsched-task --db DB OPERATION (it is started by `vmsched schedule-once`)"
    );
    ExitCode::from(vmsched::exit::USAGE)
}
