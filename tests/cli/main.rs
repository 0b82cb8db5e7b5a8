//! The one integration test binary: CLI tests against temporary databases and libvirt's test
//! driver, scheduler scenarios and properties.

mod admin;
mod admin_ops;
mod bad_input;
mod corpus;
mod crash;
mod database;
mod domains;
mod e2e;
mod generated;
mod hv;
mod import;
mod inventory;
mod jobs;
mod parsers;
mod properties;
mod qemu;
mod scenarios;
mod support;
mod vms_set;
