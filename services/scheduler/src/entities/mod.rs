//! sea-orm entities of the scheduler database.

pub mod job;
pub mod job_run;
