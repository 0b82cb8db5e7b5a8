//! vmsched: schedules test tasks onto libvirt VM instances that may share one domain.

pub mod model;
pub mod scheduler;
