//! Server-rendered pages, one module each. A page gathers its figures under a
//! short read of the workspace, then renders an askama template that extends
//! `templates/base.html`.

pub mod board;
pub mod download;
pub mod error;
pub mod home;
pub mod owner;
pub mod tv;
pub mod tv_hygiene;
