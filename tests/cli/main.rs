//! The one integration test binary: CLI tests against temporary databases and libvirt's test
//! driver, scheduler scenarios and properties; the long `serial_` tests (soak and chaos on real
//! QEMU, concurrency) that scripts/test.sh runs one at a time.

mod admin;
mod admin_ops;
mod bad_input;
mod chaos;
mod concurrency;
mod database;
mod domains;
mod generated;
mod import;
mod invariants;
mod inventory;
mod jobs;
mod properties;
mod qemu;
mod scenarios;
mod soak;
mod support;
mod vms_set;
