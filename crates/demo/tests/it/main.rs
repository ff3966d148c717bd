//! Integration tests of the demo department, one binary (linked once on two cores):
//! determinism, referential integrity, the managers' habits, scale, plans.

mod common;
mod determinism;
mod integrity;
mod personas;
mod plans;
mod scale;
