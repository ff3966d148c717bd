//! amoCRM / Kommo connector for Tsifra (issue #4): reads an account through API
//! v4 into the canonical model, resumably and under the rate limit, and turns
//! webhooks into targeted re-reads.
//!
//! What the rest of Tsifra wires:
//! - [`AmocrmConfig`]: the `[amocrm]` config section (serde, `deny_unknown_fields`, secrets redacted).
//! - [`Client::from_config`]: the HTTP client (long-lived token, or OAuth2 tokens in
//!   `DATA_DIR/amocrm-tokens.json`, mode 0600).
//! - [`oauth`]: `authorize_url` + `new_state` (print the URL), `parse_redirect` (what the user pastes,
//!   or the redirect endpoint's query) and `connect` (code -> token pair saved) for `tsifra amocrm connect`.
//! - [`SyncEngine`] over a [`SyncStore`] (the real store implements it; [`MemoryStore`] is the
//!   in-memory one): `run(SyncMode::Auto, ..)` does the first load, resumes an interrupted run or
//!   runs incrementally; `run(SyncMode::Full, ..)` is the nightly reconcile; `apply_webhook` re-reads
//!   what [`webhook::parse`] found; [`list_fields`] serves `tsifra amocrm fields`.
//! - [`SyncStore::take_lease`] / `release_lease`: runs and webhook re-reads hold the account's
//!   lease ([`lease_name`]), so processes sharing a store never use one account's request limit at once.
//! - `fake::start` (feature `fake`): a fake amoCRM server for tests and `tsifra dev fake-amocrm`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use tsifra_amocrm::{webhook, AmocrmConfig, Client, MemoryStore, Progress, SyncEngine, SyncMode, SyncOptions};
//!
//! # async fn wire(config: AmocrmConfig, data_dir: std::path::PathBuf) -> Result<(), tsifra_amocrm::Error> {
//! let client = Arc::new(Client::from_config(&config, &data_dir)?);
//! let store = Arc::new(MemoryStore::new()); // the real store implements `SyncStore`
//! let options = SyncOptions::from_config(&config, "RUB", &Default::default());
//! let engine = Arc::new(SyncEngine::new(client, store, options));
//! let progress = |p: &Progress| eprintln!("{}: {} of {:?}", p.phase, p.done, p.total);
//! let report = engine.run(SyncMode::Auto, &progress).await?;
//! eprintln!("synced {} records in {} requests", report.records, report.requests);
//!
//! // POST /hooks/amocrm/<secret>: 404 unless `config.webhook_secret.matches(secret)`,
//! // 400 when `webhook::parse` fails, else answer 200 at once and re-read in the background.
//! let payload = webhook::parse(b"leads[status][0][id]=42&account[subdomain]=acme").expect("a 400 otherwise");
//! let engine = engine.clone();
//! tokio::spawn(async move { engine.apply_webhook(&payload).await });
//! # Ok(())
//! # }
//! ```

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
pub use sync::{
    FieldInfo, LeaseTake, Progress, SyncEngine, SyncMode, SyncOptions, SyncReport, SyncStore, WebhookReport, lease_name, list_fields,
};
pub use token::{FileTokenStore, MemoryTokenStore, TokenPair, TokenStore};
