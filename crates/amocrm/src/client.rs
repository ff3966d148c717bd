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

/// At most `limit` requests in any `window`, counted where amoCRM counts them: at
/// its end of the connection. When a request gets there is unknown (a new
/// connection's handshake, a slow link), only that it got there before its answer
/// came back. So a request holds a slot from the moment it leaves until a whole
/// window after its answer arrived (or it failed, or was given up): whatever the
/// network did, the next request on that slot reaches amoCRM at least a window
/// after this one did. Stamping requests as they left instead let a late first
/// request and a prompt eighth one reach amoCRM within one second.
#[derive(Debug)]
pub struct RateLimiter {
    limit: usize,
    window: Duration,
    state: std::sync::Mutex<LimiterState>,
    /// Requests wait in turn here, first come first served; only the first in
    /// line watches the slots.
    turn: tokio::sync::Mutex<()>,
    /// Rung when a slot's request finishes (its window starts then).
    finished: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct LimiterState {
    in_flight: usize,
    /// When the answers of recent requests arrived, oldest first.
    finished: VecDeque<TokioInstant>,
    paused_until: Option<TokioInstant>,
}

/// A slot taken by a request on its way; dropping it (answer in, request failed
/// or abandoned) starts the slot's window.
#[derive(Debug)]
pub struct Permit<'a> {
    limiter: &'a RateLimiter,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        let mut st = self.limiter.state();
        st.in_flight -= 1;
        st.finished.push_back(TokioInstant::now());
        drop(st);
        self.limiter.finished.notify_one();
    }
}

impl RateLimiter {
    /// `per_second` requests per second; each slot's window is a second plus `margin`.
    pub fn new(per_second: u32, margin: Duration) -> Self {
        RateLimiter {
            limit: per_second.max(1) as usize,
            window: Duration::from_secs(1) + margin,
            state: std::sync::Mutex::new(LimiterState::default()),
            turn: tokio::sync::Mutex::new(()),
            finished: tokio::sync::Notify::new(),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, LimiterState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The window a slot stays taken after its request's answer.
    pub fn window(&self) -> Duration {
        self.window
    }

    /// Waits for a slot and takes it until the returned permit is dropped.
    pub async fn acquire(&self) -> Permit<'_> {
        let _turn = self.turn.lock().await;
        loop {
            let wake_at = {
                let mut st = self.state();
                let now = TokioInstant::now();
                match st.paused_until {
                    Some(until) if until > now => Some(until),
                    _ => {
                        st.paused_until = None;
                        while st.finished.front().is_some_and(|&t| now.duration_since(t) >= self.window) {
                            st.finished.pop_front();
                        }
                        if st.in_flight + st.finished.len() < self.limit {
                            st.in_flight += 1;
                            return Permit { limiter: self };
                        }
                        // The oldest finished slot frees first; with every slot in
                        // flight, the next answer starts a window and rings.
                        st.finished.front().map(|&t| t + self.window)
                    }
                }
            };
            match wake_at {
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = self.finished.notified() => {}
                    }
                }
                None => self.finished.notified().await,
            }
        }
    }

    /// Holds every request until `until` (after a 429 with Retry-After, or while
    /// another process's last requests still count against the account).
    pub fn pause_until(&self, until: TokioInstant) {
        let mut st = self.state();
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

    /// Requests that reached the wire so far, retries included: answered, or
    /// failed after they were sent (a timeout). Ones that never connected, or
    /// were given up while waiting for a slot, are not counted.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn count_sent(&self, error: Option<&reqwest::Error>) {
        if error.is_none_or(|e| !e.is_connect()) {
            self.requests.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Another process used this account's API until `quiet_for` ago (see
    /// [`crate::sync::LeaseTake`]): hold requests until a whole window has passed
    /// since, so its last second and our first do not add up.
    pub fn wait_for_quiet(&self, quiet_for: Duration) {
        if let Some(rest) = self.limiter.window().checked_sub(quiet_for) {
            self.limiter.pause_until(TokioInstant::now() + rest);
        }
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
            let sent = {
                let _slot = self.limiter.acquire().await;
                let sent = self.http.get(&url).bearer_auth(token.expose()).send().await;
                self.count_sent(sent.as_ref().err());
                sent
            };
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
                    self.limiter.pause_until(TokioInstant::now() + wait);
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
        let fresh = {
            let _slot = self.limiter.acquire().await;
            let fresh = oauth::refresh(&self.http, &self.base, app, &stored.refresh_token).await;
            // Counted however it went: the OAuth exchange does not say whether it connected.
            self.requests.fetch_add(1, Ordering::Relaxed);
            fresh?
        };
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

    /// Requests whose trip to amoCRM takes between 0 and 400 ms, each counted
    /// there at the last moment it could be (just before its answer): no second
    /// of arrivals holds more than the limit. Stamping requests as they left let
    /// eight in: a slow first trip and a quick eighth.
    #[tokio::test(start_paused = true)]
    async fn no_second_at_amocrm_holds_more_than_the_limit_whatever_the_network_does() {
        let limiter = Arc::new(RateLimiter::new(7, Duration::ZERO));
        let arrivals = Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut workers = Vec::new();
        for w in 0..7u64 {
            let (limiter, arrivals) = (limiter.clone(), arrivals.clone());
            workers.push(tokio::spawn(async move {
                for i in 0..6u64 {
                    let _slot = limiter.acquire().await;
                    // The first trips are the slow ones (new connections), later ones quick.
                    let trip = if i == 0 {
                        Duration::from_millis(400)
                    } else {
                        Duration::from_millis((w * 37 + i * 11) % 50)
                    };
                    tokio::time::sleep(trip).await;
                    arrivals.lock().unwrap().push(TokioInstant::now());
                }
            }));
        }
        for w in workers {
            w.await.unwrap();
        }
        let mut times = arrivals.lock().unwrap().clone();
        times.sort();
        assert_eq!(times.len(), 42);
        for (i, t) in times.iter().enumerate() {
            let in_window = times[i..].iter().filter(|u| **u < *t + Duration::from_secs(1)).count();
            assert!(
                in_window <= 7,
                "{in_window} requests reached amoCRM in the second from {:?}",
                *t - times[0]
            );
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        assert!(p.backoff(0) <= Duration::from_millis(500));
        assert!(p.backoff(3) >= Duration::from_secs(2));
        assert!(p.backoff(30) <= Duration::from_secs(60));
    }
}
