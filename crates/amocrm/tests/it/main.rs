//! Integration tests of the amoCRM connector against the fake amoCRM server:
//! one binary (`[[test]] name = "it"`), modules by theme.

mod common;
mod pace;
mod real_store;
mod resilience;
mod round_trip;
mod webhooks;
