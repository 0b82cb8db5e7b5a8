//! The integration test binary: one module per area.

mod properties;
mod scenarios;
