//! amoCRM / Kommo connector for Tsifra (issue #4): reads an account through API
//! v4 into the canonical model, resumably and under the rate limit, and turns
//! webhooks into targeted re-reads.
//!
//! What the rest of Tsifra wires:
//! - [`AmocrmConfig`]: the `[amocrm]` config section.
//! - [`Client::from_config`]: the HTTP client (long-lived token or OAuth2 tokens in the data dir).
//! - [`oauth`]: `authorize_url`, `parse_redirect`, `connect` for `tsifra amocrm connect` and the redirect endpoint.
//! - [`SyncEngine`] over a [`SyncStore`] (the real store implements it): `run(SyncMode::Auto, &progress)` for
//!   first load / resume / incremental, `run(SyncMode::Full, ..)` for the nightly reconcile,
//!   `apply_webhook(&payload)` after [`webhook::parse`], [`list_fields`] for `tsifra amocrm fields`.
//! - `fake::start` (feature `fake`): a fake amoCRM server for tests and `tsifra dev fake-amocrm`.

pub mod client;
pub mod config;
pub mod de;
pub mod error;
#[cfg(feature = "fake")]
pub mod fake;
pub mod map;
pub mod memstore;
pub mod oauth;
pub mod secret;
pub mod sync;
pub mod token;
pub mod webhook;
pub mod wire;

pub use client::{Auth, Client, ClientOptions, RetryPolicy};
pub use config::AmocrmConfig;
pub use error::{Error, Result};
pub use memstore::MemoryStore;
pub use oauth::OAuthApp;
pub use secret::Secret;
pub use sync::{Progress, SyncEngine, SyncMode, SyncOptions, SyncReport, SyncStore, WebhookReport, list_fields};
pub use token::{FileTokenStore, MemoryTokenStore, TokenPair, TokenStore};
