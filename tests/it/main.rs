//! The `tsifra` binary as a user runs it: real processes, a real SQLite file.

mod amocrm;
mod calendar;
mod cli;
mod flood;
mod history;
mod live;
mod maven;
mod plans;
mod snapshots;
mod support;
mod sync_lease;
