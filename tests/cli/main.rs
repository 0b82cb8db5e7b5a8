//! The one integration test binary: CLI tests against temporary databases and libvirt's test
//! driver, scheduler scenarios and properties; the long `serial_` tests (soak and chaos on real
//! QEMU, concurrency) that scripts/test.sh runs one at a time.

mod access;
mod admin;
mod admin_ops;
mod attempts;
mod bad_input;
mod chaos;
mod completion;
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
mod metrics;
mod parsers;
mod probe;
mod properties;
mod purge;
mod qemu;
mod scenarios;
mod security;
mod soak;
mod stats;
mod support;
mod vms_check;
mod vms_set;
mod waits;
mod wrong_snapshot;
