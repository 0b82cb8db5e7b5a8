//! The one integration test binary: CLI tests against temporary databases and libvirt's test
//! driver, scheduler scenarios and properties.

mod admin;
mod bad_input;
mod corpus;
mod database;
mod generated;
mod import;
mod inventory;
mod jobs;
mod parsers;
mod properties;
mod scenarios;
mod support;
mod vms_set;
