//! Why queued work waits, as the next pass would say it: the state is read and judged as
//! `schedule-once --dry-run` reads it, and the core explains every queued task it would not
//! start (`scheduler::explain`). For `jobs show`, `vms show` and the warnings of `vms set`.

use crate::output;
use crate::pass;
use crate::scheduler::{self, Plan, TaskWait};
use crate::store::settings;
use crate::store::state::Loaded;
use crate::store::Conn;
use anyhow::Result;
use std::io::Write;

/// The judged state, its plan and the waiting tasks, in task order.
pub(crate) struct Waits {
    pub(crate) loaded: Loaded,
    pub(crate) plan: Plan,
    pub(crate) tasks: Vec<TaskWait>,
}

/// Reads and explains the state in the caller's (read) transaction.
pub(crate) fn read(conn: &Conn) -> Result<Waits> {
    let loaded = pass::judge(conn, &settings::load(conn)?)?;
    let (plan, tasks) = scheduler::explain(&loaded.state);
    Ok(Waits {
        loaded,
        plan,
        tasks,
    })
}

/// A blank line, `Waiting:` and a table of waiting tasks (nothing when there is none).
pub(crate) fn print(out: &mut dyn Write, tasks: &[&TaskWait]) -> Result<()> {
    if tasks.is_empty() {
        return Ok(());
    }
    writeln!(out, "\nWaiting:")?;
    let mut table = output::table(["Job", "Step", "Task", "VM", "Reason"]);
    for wait in tasks {
        table.add_row([
            wait.job.to_string(),
            wait.step.to_string(),
            wait.task.to_string(),
            wait.vm.clone(),
            wait.reason.clone(),
        ]);
    }
    output::print_table(out, &table)
}
