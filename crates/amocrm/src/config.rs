//! The `[amocrm]` section of `tsifra.toml` lives in the core's config, so the
//! one `Config` carries it; re-exported here for the connector's callers.

pub use tsifra_core::amocrm_config::{AmocrmConfig, AuthMode};
