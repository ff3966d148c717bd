//! The connector's error type. Messages say what happened and what to do,
//! and never contain a token: requests carry tokens only in headers, and
//! bodies we quote are amoCRM's error texts.

/// How to fix an authentication failure; repeated in every such error.
pub const RECONNECT_HINT: &str =
    "reconnect with `tsifra amocrm connect` (OAuth2), or put a new long-lived token into [amocrm] long_lived_token";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// HTTP 403: amoCRM blocks accounts that repeatedly exceed the request limit. Retrying makes it worse.
    #[error(
        "amoCRM blocked API access for this account (HTTP 403), usually for repeatedly exceeding the request limit (7 per second). \
         Sync stopped and will not retry: wait, lower [amocrm] requests_per_second, and if the block stays ask amoCRM support to lift it"
    )]
    Blocked,
    /// HTTP 401 that a token refresh did not cure: the token is revoked, expired or the integration disabled.
    #[error(
        "amoCRM refused the saved token (HTTP 401{detail}): it was revoked, expired, or the integration was disabled; {RECONNECT_HINT}"
    )]
    Unauthorized { detail: String },
    /// No token at all yet.
    #[error("amoCRM is not connected yet: {RECONNECT_HINT}")]
    NotConnected,
    #[error("amoCRM says the account's subscription has ended (HTTP 402); sync resumes once it is paid")]
    PaymentRequired,
    #[error("amoCRM answered HTTP {status} to {path}: {detail}")]
    Api { status: u16, path: String, detail: String },
    #[error("amoCRM kept failing for {path}: gave up after {attempts} attempts, last: {last}")]
    RetriesExhausted { path: String, attempts: u32, last: String },
    #[error("amoCRM sent something unreadable for {path}: {message}")]
    Decode { path: String, message: String },
    #[error("token storage: {0}")]
    TokenStore(String),
    #[error("store: {0}")]
    Store(String),
    #[error("a sync is already running")]
    AlreadyRunning,
    /// Another process holds this account's lease (see [`crate::sync::SyncStore::take_lease`]):
    /// it is syncing, and a second sync would exceed the account's request limit together with it.
    #[error(
        "another process ({holder}) is syncing this amoCRM account; nothing was requested. \
         Its lease ends in {expires_in_s} s unless it renews it (a killed process's lease just expires)"
    )]
    LeaseHeld { holder: String, expires_in_s: u64 },
    /// The lease could not be renewed in time, or another process took it: the run stopped
    /// so that two processes never use the account at once.
    #[error("this process lost its lease on the amoCRM account ({0}); the run stopped and the next one resumes where it did")]
    LeaseLost(String),
    #[error("{0}")]
    Config(String),
    /// A bug: the run panicked. What it stored stays stored, and the next run resumes from its checkpoints.
    #[error("the sync stopped on an internal error ({0}); what it had stored is kept and the next run resumes from there")]
    Internal(String),
}

/// A run spawned as a task of its own that panicked (or was cancelled): its message as [`Error::Internal`].
impl From<tokio::task::JoinError> for Error {
    fn from(e: tokio::task::JoinError) -> Error {
        if !e.is_panic() {
            return Error::Internal(e.to_string());
        }
        let payload = e.into_panic();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_string());
        Error::Internal(message)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
