//! The `tsifra` binary as a user runs it: real processes, a real SQLite file.

mod amocrm;
mod bad_values;
mod calendar;
mod cli;
mod faults;
mod flood;
mod full_disk;
mod history;
mod language;
mod live;
mod maven;
mod plans;
mod registry;
mod snapshots;
mod support;
mod sync_lease;
