//! The one integration test binary: CLI tests against temporary databases and libvirt's test
//! driver, scheduler scenarios and properties.

mod jobs;
mod support;
