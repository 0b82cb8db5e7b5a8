//! The files under `logs/` beside the database, as retention sees them: a job's task logs
//! (`logs/<job>/<step>/<task>.<try>.log`) go with the job, and the worker log is kept bounded.

use super::{data_dir, logs_dir, WORKERS_LOG};
use std::path::Path;

/// Past this size the worker log is renamed `workers.log.1` (replacing the previous one), so
/// the two never hold more than about twice this.
const WORKERS_LOG_MAX: u64 = 16 << 20;

/// How many task log files job `job` has; they are removed when `remove` says so.
pub fn job_logs(db: &Path, job: i64, remove: bool) -> u64 {
    let dir = data_dir(db).join("logs").join(job.to_string());
    let files = count_files(&dir);
    if remove {
        let _ = std::fs::remove_dir_all(&dir);
    }
    files
}

fn count_files(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => count_files(&e.path()),
            _ => 1,
        })
        .sum()
}

/// Renames the worker log `workers.log.1` once it is past `WORKERS_LOG_MAX`. Workers that
/// have it open go on writing to the renamed file; the next ones open a new one.
pub fn bound_workers_log(db: &Path) -> std::io::Result<()> {
    let log = logs_dir(db).join(WORKERS_LOG);
    match std::fs::metadata(&log) {
        Ok(meta) if meta.len() > WORKERS_LOG_MAX => {
            std::fs::rename(&log, log.with_file_name("workers.log.1"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worker_log_is_renamed_past_its_bound_and_job_logs_are_counted_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("vmsched.db");
        let log = logs_dir(&db).join(WORKERS_LOG);
        std::fs::create_dir_all(log.parent().unwrap()).unwrap();
        std::fs::write(&log, vec![b'x'; WORKERS_LOG_MAX as usize]).unwrap();
        bound_workers_log(&db).unwrap();
        assert!(log.exists(), "at the bound, the log stays");
        std::fs::write(&log, vec![b'x'; WORKERS_LOG_MAX as usize + 1]).unwrap();
        bound_workers_log(&db).unwrap();
        assert!(!log.exists());
        let old = log.with_file_name("workers.log.1");
        assert_eq!(std::fs::metadata(&old).unwrap().len(), WORKERS_LOG_MAX + 1);
        let step = dir.path().join("logs/7/2");
        std::fs::create_dir_all(&step).unwrap();
        for name in ["1.1.log", "1.2.log", "2.1.log"] {
            std::fs::write(step.join(name), "log\n").unwrap();
        }
        assert_eq!(job_logs(&db, 7, false), 3);
        assert!(step.exists());
        assert_eq!(job_logs(&db, 7, true), 3);
        assert!(!dir.path().join("logs/7").exists());
        assert_eq!(job_logs(&db, 7, true), 0);
        assert!(old.exists(), "other files stay");
    }
}
