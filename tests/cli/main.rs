//! The one integration test binary: CLI tests against temporary databases and libvirt's test
//! driver, scheduler scenarios and properties; the long `serial_` tests (soak and chaos on real
//! QEMU, concurrency) that scripts/test.sh runs one at a time.

mod admin;
mod admin_ops;
mod bad_input;
mod chaos;
mod concurrency;
mod corpus;
mod counters;
mod crash;
mod database;
mod domains;
mod e2e;
mod events;
mod generated;
mod history;
mod hv;
mod import;
mod invariants;
mod inventory;
mod jobs;
mod parsers;
mod properties;
mod purge;
mod qemu;
mod scenarios;
mod soak;
mod support;
mod vms_check;
mod vms_set;
mod wrong_snapshot;
