//! sea-orm entities of the scheduler database.

pub mod job;
