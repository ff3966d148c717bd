//! Integration tests of the web crate, one binary (one link on two cores):
//! a module per area, sharing the hand-built workspaces in `support`.

mod api;
mod as_of;
mod boards;
mod desk;
mod errors;
mod explore;
mod home;
mod hygiene;
mod logging;
mod owner;
mod reports;
mod serve;
mod store_watch;
mod support;
mod sync;
mod tv;
