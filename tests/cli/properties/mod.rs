//! Property tests of the planner on random labs: a plan never makes a second sibling non-off,
//! never takes a domain from a retired VM's worker, stays within the host limits, never acts on
//! a busy, maintenance or disabled VM, is deterministic whatever the order of the state file,
//! and names the owners that the commands reading the database name.

mod checks;
mod labs;

use checks::{
    counters_add_up, disabled_workers_keep_their_domain, one_sibling_in_use, only_free_vms_touched,
    owners_agree, within_limits,
};
use labs::{lab, reversed};
use proptest::prelude::*;
use vmsched::scheduler::plan;

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn plans_keep_the_invariants(state in lab()) {
        let p = plan(&state);
        one_sibling_in_use(&state, &p)?;
        disabled_workers_keep_their_domain(&state, &p)?;
        within_limits(&state, &p)?;
        only_free_vms_touched(&state, &p)?;
        counters_add_up(&state, &p)?;
    }

    /// (e) The commands that read the database and the pass agree on every domain's owner.
    #[test]
    fn commands_and_the_pass_agree_on_owners(state in lab()) {
        owners_agree(&state, &plan(&state))?;
    }

    /// (d) The same state gives the same plan, serialised identically, whatever the order of
    /// the lists in the state file (§1.4).
    #[test]
    fn plans_are_deterministic(state in lab()) {
        let p = plan(&state);
        prop_assert_eq!(&p, &plan(&state));
        let json = serde_json::to_string(&p).expect("a plan serialises");
        prop_assert_eq!(&json, &serde_json::to_string(&plan(&state)).expect("a plan serialises"));
        prop_assert_eq!(&p, &plan(&reversed(&state)));
    }
}
