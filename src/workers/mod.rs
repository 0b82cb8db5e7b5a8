//! Worker processes: each carries out one recorded operation (revert, poweroff, monitor,
//! task) after the pass that started it has committed.

pub mod process;
