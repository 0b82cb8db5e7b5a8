//! The program of a submitted command, checked when the job is submitted rather than found
//! missing by a task worker after a revert: a path is made absolute (a task runs in its log
//! folder, where a relative path means nothing), a bare name must be on the task's `PATH`.

use crate::exit::{self, Exit};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The program as the task will run it: a path (a name with a `/`) resolved against `base`
/// and made absolute, or a bare name kept as given once found on `search`, the `PATH` the task
/// will run with (the job's own, else `workers::task::TASK_PATH`). Bad input when it does not
/// exist, is not a file, or has no execute permission.
pub(crate) fn resolve(program: &str, base: &Path, search: &str) -> Result<String, Exit> {
    if !program.contains('/') {
        let found = search
            .split(':')
            .any(|dir| executable(&Path::new(dir).join(program)).is_ok());
        if !found {
            return Err(exit::bad_input(format!(
                "program `{program}` is not on the task's PATH ({search})"
            ))
            .hint(format!(
                "give its path, e.g. `./{program}` or `/opt/tests/{program}`"
            )));
        }
        return Ok(program.to_string());
    }
    let path = std::path::absolute(base.join(program))
        .map_err(|e| exit::bad_input(format!("program `{program}`: {e}")))?;
    executable(&path).map_err(|why| {
        exit::bad_input(format!("program `{}` {why}", path.display()))
            .hint("a relative program is taken from the current directory (for a job file, from its folder)")
    })?;
    Ok(path.display().to_string())
}

/// Whether `path` is a file someone may execute; else why not.
fn executable(path: &Path) -> Result<(), &'static str> {
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err("does not exist"),
        Err(_) => Err("cannot be reached"),
        Ok(meta) if !meta.is_file() => Err("is not a file"),
        Ok(meta) if meta.permissions().mode() & 0o111 == 0 => Err("is not executable"),
        Ok(_) => Ok(()),
    }
}
