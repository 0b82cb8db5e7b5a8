//! `poweroff` of an owned, free or sibling's domain.

use super::{history, lab, operations, refused, vm};
use crate::domains::status;
use crate::support::me_in;

#[test]
fn poweroff_of_an_owned_or_free_domain() {
    let lab = lab();
    status(&lab, "w10", "idle");
    let run = lab.run(&["poweroff", "w10", "--reason", "disk check"]).ok();
    assert_eq!(run.stderr, "VM `w10`: domain `win10` powered off (off)\n");
    assert_eq!(
        history(&lab, "w10")[1..],
        [
            me_in("idle|dirty|dirty poweroff by {me}: disk check|{me}|disk check"),
            me_in("dirty|off|off|{me}|NULL")
        ]
    );
    // win7 is shut off already: still a success.
    lab.run(&["poweroff", "w7"]).ok();
    assert_eq!(vm(&lab, "w7"), "off|0|-");
    assert_eq!(
        operations(&lab),
        [me_in("w10|poweroff|{me}|ok"), me_in("w7|poweroff|{me}|ok")]
    );
}

#[test]
fn poweroff_of_a_siblings_domain_needs_force() {
    let lab = lab();
    status(&lab, "w10_fr", "idle");
    refused(
        &lab,
        &["poweroff", "w10"],
        "domain `win10` is owned by `w10_fr` (idle)",
        "hint: pass `--force` to stop what `w10_fr` does and take the domain",
    );
    lab.run(&["poweroff", "w10", "--force"]).ok();
    assert_eq!(vm(&lab, "w10"), "off|0|-");
    assert_eq!(vm(&lab, "w10_fr"), "off|0|-");
    assert_eq!(
        history(&lab, "w10_fr").last().unwrap(),
        &me_in("idle|off|off forced by {me}|{me}|NULL")
    );
}
