//! The history as typed events: what the pass, the workers and admins record, by kind, with
//! the structured fields that stats read.

use crate::support::{lab_uri, Lab};
use std::time::Duration;

/// Two instances of one domain (`win10` of the test-driver lab), each given one task: both
/// revert, run and hand the domain over, and every step is a row of its kind.
#[test]
fn a_lab_at_work_records_typed_events() {
    let lab = Lab::new();
    let uri = lab_uri();
    for (vm, snapshot) in [("w10", "wtb"), ("w10_fr", "wtb-fr")] {
        let add = ["vms", "add", vm, "-c", &uri, "--domain", "win10"];
        lab.run(&[&add[..], &["--snapshot", snapshot]].concat())
            .ok();
        lab.run(&["jobs", "submit", "--vm", vm, "--", "true"]).ok();
    }
    lab.drive(&["--wait"], Duration::from_secs(60));
    let rows = |sql: &str| lab.rows(sql);
    // One start and one completed attempt per task, with its key; the attempt's run time.
    assert_eq!(
        rows("SELECT vm, job, step, task FROM history WHERE kind = 'start' ORDER BY id"),
        ["w10|1|1|1", "w10_fr|2|1|1"]
    );
    assert_eq!(
        rows(
            "SELECT vm, job, step, task, result, old_status, new_status, duration_ms >= 0
             FROM history WHERE kind = 'task' ORDER BY id"
        ),
        [
            "w10|1|1|1|completed|running|dirty|1",
            "w10_fr|2|1|1|completed|running|dirty|1"
        ]
    );
    // Each revert ended well and says how long it took.
    assert_eq!(
        rows(
            "SELECT vm, result, new_status, duration_ms >= 0 FROM history
             WHERE kind = 'revert' ORDER BY id"
        ),
        ["w10|ok|idle|1", "w10_fr|ok|idle|1"]
    );
    // w10 gave the domain up to w10_fr, by a steal or a sacrifice, and says for whom.
    assert_eq!(
        rows("SELECT vm, for_vm FROM history WHERE kind IN ('steal', 'sacrifice')"),
        ["w10|w10_fr"]
    );
    // Counters with their numbers; the admin's additions and submissions.
    assert_eq!(
        rows("SELECT runnable, queued, blocked FROM history WHERE kind = 'counters' ORDER BY id LIMIT 1"),
        ["2|2|0"]
    );
    assert_eq!(
        rows("SELECT vm, detail FROM history WHERE kind = 'admin' ORDER BY id"),
        ["w10|added", "w10_fr|added"]
    );
    // Every row with a kind that names a VM's status change has both statuses.
    assert_eq!(
        rows(
            "SELECT count(*) FROM history WHERE kind IN ('start', 'revert', 'steal', 'sacrifice')
             AND (old_status IS NULL OR new_status IS NULL)"
        ),
        ["0"]
    );
}
