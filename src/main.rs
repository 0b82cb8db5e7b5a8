//! The vmsched binary: parse, run, print the error once and map it to an exit code.

use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    if let Some(code) = vmsched::complete::from_env(std::env::args_os().collect()) {
        return ExitCode::from(code);
    }
    let code = match vmsched::run(std::env::args_os()) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => vmsched::exit::OK,
        Err(err) => {
            let (code, hint) = vmsched::exit::classify(&err);
            let mut stderr = std::io::stderr().lock();
            let message = vmsched::model::one_line(&format!("{err:#}"));
            let _ = writeln!(stderr, "error: {message}");
            if let Some(hint) = hint {
                let _ = writeln!(stderr, "hint: {}", vmsched::model::one_line(hint));
            }
            code
        }
    };
    ExitCode::from(code)
}

/// A closed pipe (`vmsched vms list | head`) is not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
