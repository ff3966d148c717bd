//! The HTTP client for amoCRM API v4: stays under the request limit, retries
//! 429 (honouring Retry-After), 5xx and timeouts with backoff, refreshes an
//! OAuth2 token once on 401 (serialised, new pair saved before use), stops at
//! once on 403 (account blocked), and reads 204 as an empty page.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::time::Instant as TokioInstant;

use crate::config::{AmocrmConfig, AuthMode};
use crate::error::{Error, Result};
use crate::oauth::{self, OAuthApp};
use crate::secret::Secret;
use crate::token::{FileTokenStore, TokenPair, TokenStore};
use crate::wire::{Page, Problem};

/// Installs rustls' ring provider once (reqwest is built without a default provider).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Backoff settings. Defaults suit the real amoCRM; tests shrink the delays.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Attempts for 5xx, timeouts and connection errors.
    pub max_attempts: u32,
    /// Attempts for 429 (a rate-limit storm is survivable, so more of them).
    pub max_rate_limited: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            max_rate_limited: 30,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << attempt.min(16));
        let capped = exp.min(self.max_delay);
        // Jitter in [50%, 100%] so that several clients do not retry in step.
        let nanos = capped.as_nanos() as u64;
        Duration::from_nanos(nanos / 2 + jitter(nanos / 2 + 1))
    }
}

fn jitter(below: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.finish() % below.max(1)
}

/// At most `limit` requests in any `window`, by the instants requests actually left.
/// A sliding log rather than a token bucket, because amoCRM counts per second and
/// a late request after an early one must not make eight in one second.
#[derive(Debug)]
pub struct RateLimiter {
    limit: usize,
    window: Duration,
    state: tokio::sync::Mutex<LimiterState>,
}

#[derive(Debug, Default)]
struct LimiterState {
    sent: VecDeque<TokioInstant>,
    paused_until: Option<TokioInstant>,
}

impl RateLimiter {
    /// `per_second` requests per second plus `margin` of slack on the window for network jitter.
    pub fn new(per_second: u32, margin: Duration) -> Self {
        RateLimiter {
            limit: per_second.max(1) as usize,
            window: Duration::from_secs(1) + margin,
            state: tokio::sync::Mutex::new(LimiterState::default()),
        }
    }

    /// Waits for a slot and takes it.
    pub async fn acquire(&self) {
        let mut st = self.state.lock().await;
        loop {
            let now = TokioInstant::now();
            if let Some(until) = st.paused_until {
                if until > now {
                    tokio::time::sleep_until(until).await;
                    continue;
                }
                st.paused_until = None;
            }
            while st.sent.front().is_some_and(|&t| now.duration_since(t) >= self.window) {
                st.sent.pop_front();
            }
            if st.sent.len() < self.limit {
                st.sent.push_back(now);
                return;
            }
            let oldest = *st.sent.front().expect("non-empty when full");
            tokio::time::sleep_until(oldest + self.window).await;
        }
    }

    /// Holds every request until `until` (after a 429 with Retry-After).
    pub async fn pause_until(&self, until: TokioInstant) {
        let mut st = self.state.lock().await;
        if st.paused_until.is_none_or(|p| p < until) {
            st.paused_until = Some(until);
        }
    }
}

/// How requests authenticate.
pub enum Auth {
    /// A long-lived token: nothing to refresh; a 401 means it was revoked or expired.
    LongLived(Secret),
    /// OAuth2: the pair lives in `store`; refreshed on expiry and on 401.
    OAuth { app: OAuthApp, store: Arc<dyn TokenStore> },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::LongLived(_) => f.write_str("Auth::LongLived(***)"),
            Auth::OAuth { app, .. } => write!(f, "Auth::OAuth {{ client_id: {:?} }}", app.client_id),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ClientOptions {
    pub requests_per_second: u32,
    /// Slack added to the one-second window (network jitter between us and amoCRM's counter).
    pub rate_margin: Duration,
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            requests_per_second: 7,
            rate_margin: Duration::from_millis(50),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

/// What a GET gave.
#[derive(Debug)]
pub enum Fetched {
    Body(bytes::Bytes),
    /// HTTP 204: nothing matched (the empty last page).
    NoContent,
    /// HTTP 404: no such entity (for GET by id).
    NotFound,
}

/// An amoCRM API client for one account. Cheap to share behind an `Arc`.
pub struct Client {
    http: reqwest::Client,
    base: String,
    auth: Auth,
    current: RwLock<Option<TokenPair>>,
    refresh_lock: tokio::sync::Mutex<()>,
    limiter: RateLimiter,
    retry: RetryPolicy,
    requests: AtomicU64,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn new(base_url: &str, auth: Auth, options: ClientOptions) -> Result<Client> {
        install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("tsifra/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            http,
            base: base_url.trim().trim_end_matches('/').to_string(),
            auth,
            current: RwLock::new(None),
            refresh_lock: tokio::sync::Mutex::new(()),
            limiter: RateLimiter::new(options.requests_per_second, options.rate_margin),
            retry: options.retry,
            requests: AtomicU64::new(0),
        })
    }

    /// The client the config describes: a long-lived token, or OAuth2 with tokens in
    /// `data_dir/amocrm-tokens.json`.
    pub fn from_config(config: &AmocrmConfig, data_dir: &std::path::Path) -> Result<Client> {
        config.validate().map_err(Error::Config)?;
        if !config.is_enabled() {
            return Err(Error::Config("amoCRM is not configured: set [amocrm] base_url".into()));
        }
        let auth = match config.auth_mode() {
            AuthMode::LongLivedToken => Auth::LongLived(config.long_lived_token.clone()),
            AuthMode::OAuth => Auth::OAuth {
                app: OAuthApp::from_config(config),
                store: Arc::new(FileTokenStore::new(data_dir)),
            },
        };
        Client::new(
            config.base(),
            auth,
            ClientOptions {
                requests_per_second: config.requests_per_second,
                ..ClientOptions::default()
            },
        )
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Requests sent so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// GET a list page; 204 is an empty last page, 404 an error (a wrong base URL, usually).
    pub async fn page<T: DeserializeOwned>(&self, path: &str, query: &[(String, String)]) -> Result<Page<T>> {
        match self.get(path, query).await? {
            Fetched::Body(body) => Page::parse(&body).map_err(|e| Error::Decode {
                path: path.to_string(),
                message: e.to_string(),
            }),
            Fetched::NoContent => Ok(Page::empty()),
            Fetched::NotFound => Err(Error::Api {
                status: 404,
                path: path.to_string(),
                detail: "not found; check [amocrm] base_url".into(),
            }),
        }
    }

    /// GET one object; `None` when amoCRM has no such entity (204 or 404).
    pub async fn one<T: DeserializeOwned>(&self, path: &str, query: &[(String, String)]) -> Result<Option<T>> {
        match self.get(path, query).await? {
            Fetched::Body(body) => serde_json::from_slice(&body).map(Some).map_err(|e| Error::Decode {
                path: path.to_string(),
                message: e.to_string(),
            }),
            Fetched::NoContent | Fetched::NotFound => Ok(None),
        }
    }

    /// GET `base + path` with the query, under the rate limit, with retries.
    pub async fn get(&self, path: &str, query: &[(String, String)]) -> Result<Fetched> {
        let mut url = format!("{}{}", self.base, path);
        if !query.is_empty() {
            let mut qs = form_urlencoded::Serializer::new(String::new());
            for (k, v) in query {
                qs.append_pair(k, v);
            }
            url.push(if path.contains('?') { '&' } else { '?' });
            url.push_str(&qs.finish());
        }
        let mut failures = 0u32;
        let mut rate_limited = 0u32;
        let mut refreshed = false;
        loop {
            let token = self.access_token().await?;
            self.limiter.acquire().await;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let sent = self.http.get(&url).bearer_auth(token.expose()).send().await;
            let response = match sent {
                Ok(r) => r,
                Err(e) => {
                    failures += 1;
                    let last = transport_text(&e);
                    if failures >= self.retry.max_attempts {
                        return Err(Error::RetriesExhausted {
                            path: path.to_string(),
                            attempts: failures,
                            last,
                        });
                    }
                    tracing::warn!(path, attempt = failures, "amoCRM request failed ({last}); retrying");
                    tokio::time::sleep(self.retry.backoff(failures - 1)).await;
                    continue;
                }
            };
            let status = response.status().as_u16();
            match status {
                200..=299 if status != 204 => match response.bytes().await {
                    Ok(body) => return Ok(Fetched::Body(body)),
                    Err(e) => {
                        failures += 1;
                        if failures >= self.retry.max_attempts {
                            return Err(Error::RetriesExhausted {
                                path: path.to_string(),
                                attempts: failures,
                                last: transport_text(&e),
                            });
                        }
                        tokio::time::sleep(self.retry.backoff(failures - 1)).await;
                    }
                },
                204 => return Ok(Fetched::NoContent),
                404 => return Ok(Fetched::NotFound),
                401 => {
                    let detail = problem_detail(response).await;
                    if refreshed || matches!(self.auth, Auth::LongLived(_)) {
                        return Err(Error::Unauthorized { detail });
                    }
                    refreshed = true;
                    self.refresh(&token).await?;
                }
                402 => return Err(Error::PaymentRequired),
                403 => return Err(Error::Blocked),
                429 => {
                    rate_limited += 1;
                    let wait = retry_after(&response).unwrap_or_else(|| self.retry.backoff(rate_limited - 1));
                    if rate_limited >= self.retry.max_rate_limited {
                        return Err(Error::RetriesExhausted {
                            path: path.to_string(),
                            attempts: rate_limited,
                            last: "HTTP 429 Too Many Requests".into(),
                        });
                    }
                    tracing::debug!(path, wait_ms = wait.as_millis() as u64, "amoCRM rate limit (429); waiting");
                    // Everyone waits, not just this request: the limit is per integration.
                    self.limiter.pause_until(TokioInstant::now() + wait).await;
                }
                500..=599 => {
                    failures += 1;
                    let wait = retry_after(&response).unwrap_or_else(|| self.retry.backoff(failures - 1));
                    if failures >= self.retry.max_attempts {
                        return Err(Error::RetriesExhausted {
                            path: path.to_string(),
                            attempts: failures,
                            last: format!("HTTP {status}"),
                        });
                    }
                    tracing::warn!(path, status, attempt = failures, "amoCRM server error; retrying");
                    tokio::time::sleep(wait).await;
                }
                _ => {
                    let detail = problem_detail(response).await;
                    return Err(Error::Api {
                        status,
                        path: path.to_string(),
                        detail,
                    });
                }
            }
        }
    }

    /// The token to send, refreshing it first when it is about to expire.
    async fn access_token(&self) -> Result<Secret> {
        match &self.auth {
            Auth::LongLived(token) => Ok(token.clone()),
            Auth::OAuth { store, .. } => {
                let cached = self.current.read().unwrap_or_else(|e| e.into_inner()).clone();
                let pair = match cached {
                    Some(p) => p,
                    None => {
                        let p = store.load()?.ok_or(Error::NotConnected)?;
                        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(p.clone());
                        p
                    }
                };
                if pair.expires_soon(chrono::Utc::now().timestamp(), 60) {
                    self.refresh(&pair.access_token).await?;
                    let fresh = self.current.read().unwrap_or_else(|e| e.into_inner()).clone();
                    return fresh.map(|p| p.access_token).ok_or(Error::NotConnected);
                }
                Ok(pair.access_token)
            }
        }
    }

    /// Trades the refresh token for a new pair, once for all concurrent callers:
    /// whoever gets the lock second sees the pair already changed and does nothing.
    async fn refresh(&self, failed_access: &Secret) -> Result<()> {
        let Auth::OAuth { app, store } = &self.auth else {
            return Err(Error::Unauthorized { detail: String::new() });
        };
        let _guard = self.refresh_lock.lock().await;
        let stored = store.load()?.ok_or(Error::NotConnected)?;
        if stored.access_token != *failed_access {
            *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(stored);
            return Ok(());
        }
        self.limiter.acquire().await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let fresh = oauth::refresh(&self.http, &self.base, app, &stored.refresh_token).await?;
        // Saved before anything uses it: the old refresh token is already dead.
        store.save(&fresh)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(fresh);
        tracing::info!("amoCRM access token refreshed");
        Ok(())
    }
}

fn transport_text(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "transport error"
    };
    // reqwest's own text names the URL (no credentials in it) and the cause.
    format!("{kind}: {e}")
}

/// `Retry-After` in seconds (amoCRM does not document it; honoured when present).
fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let v = response.headers().get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(300.0)))
}

/// The detail of an error answer: problem+json's title/detail/hint, else a short
/// text (the 403 page is nginx HTML, so only its first line is kept).
pub(crate) async fn problem_detail(response: reqwest::Response) -> String {
    let body = response.bytes().await.unwrap_or_default();
    if let Ok(p) = serde_json::from_slice::<Problem>(&body) {
        let s = p.summary();
        if !s.is_empty() {
            return s;
        }
    }
    let text = String::from_utf8_lossy(&body);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    line.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn limiter_never_lets_more_than_the_limit_into_a_window() {
        let limiter = RateLimiter::new(7, Duration::ZERO);
        let start = TokioInstant::now();
        let mut times = Vec::new();
        for _ in 0..22 {
            limiter.acquire().await;
            times.push(TokioInstant::now().duration_since(start));
        }
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..].iter().filter(|u| **u < *t + Duration::from_secs(1)).count();
            assert!(in_window <= 7, "{in_window} requests in the second from {t:?}");
        }
        assert!(
            times[21] >= Duration::from_secs(3) && times[21] < Duration::from_millis(3100),
            "{:?}",
            times[21]
        );
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        assert!(p.backoff(0) <= Duration::from_millis(500));
        assert!(p.backoff(3) >= Duration::from_secs(2));
        assert!(p.backoff(30) <= Duration::from_secs(60));
    }
}
