//! Integration tests of the web crate, one binary (one link on two cores):
//! a module per area, sharing the hand-built workspaces in `support`.

mod api;
mod as_of;
mod errors;
mod home;
mod logging;
mod reports;
mod serve;
mod support;
