//! A fake amoCRM: a real HTTP server (axum) that serves a [`Workspace`] in
//! amoCRM's API v4 shapes through the same endpoints, with pagination, 204 on
//! empty pages, `filter[updated_at]`, the rate limit enforced with 429s,
//! injectable 5xx/timeouts/403, OAuth2 with expiring access tokens and
//! single-use refresh tokens, the documented parsing quirks, and webhooks.
//! Used by the tests and by `tsifra dev fake-amocrm`.

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};
use tsifra_core::Instant;
use tsifra_core::model::{
    ActivityKind, Company, Contact, Deal, EntityKind, EntityRef, FieldDef, FieldType, FieldValue, Id, Task, TaskKind, Workspace,
};

use crate::map::is_tax_id_field;
use crate::token::TokenPair;

/// Synthetic field ids for phones, e-mails and the tax id when the workspace has no such definitions.
pub const CONTACT_PHONE_FIELD: Id = 9_000_001;
pub const CONTACT_EMAIL_FIELD: Id = 9_000_002;
pub const COMPANY_PHONE_FIELD: Id = 9_000_003;
pub const COMPANY_EMAIL_FIELD: Id = 9_000_004;
pub const COMPANY_TAX_FIELD: Id = 9_000_005;
/// The fake account's id.
pub const ACCOUNT_ID: Id = 31_337;

#[derive(Clone, Debug)]
pub struct FakeOptions {
    /// Where to listen; port 0 picks a free one.
    pub bind: SocketAddr,
    pub subdomain: String,
    /// Accepted as a long-lived token; `None` accepts only OAuth2 access tokens.
    pub long_lived_token: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    /// The authorization code `/oauth2/access_token` accepts (what `/oauth` redirects with).
    pub auth_code: String,
    /// Lifetime of issued access tokens.
    pub access_ttl_s: i64,
    /// The paid API filtering package: off means `filter[updated_at]` on leads/contacts/companies is ignored.
    pub api_filter_enabled: bool,
    /// Requests per second before 429 (amoCRM: 7); `None` for no limit.
    pub rate_limit: Option<u32>,
    /// Emit the quirks: some ids as strings, `custom_fields_values: null`, task `result: []`, `created_by: 0`.
    pub quirks: bool,
    /// Serve the leads' stage moves as `lead_status_changed` events. Off, the
    /// account looks like one whose leads were imported or whose events were
    /// never kept: the lists give only each lead's current stage and `closed_at`.
    pub stage_events: bool,
}

impl Default for FakeOptions {
    fn default() -> Self {
        FakeOptions {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            subdomain: "fake".into(),
            long_lived_token: Some("fake-long-lived-token".into()),
            client_id: "fake-client".into(),
            client_secret: "fake-secret".into(),
            redirect_uri: "http://127.0.0.1/amocrm/oauth".into(),
            auth_code: "fake-code".into(),
            access_ttl_s: 86_400,
            api_filter_enabled: true,
            rate_limit: Some(7),
            quirks: true,
            stage_events: true,
        }
    }
}

/// Failures to inject into `/api/v4/*` answers. Counters are per request number.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Every Nth request answers 503.
    pub server_error_every: Option<u64>,
    /// The next N requests answer 500.
    pub server_error_next: u64,
    /// Every Nth request answers 429 with `Retry-After: retry_after_s`.
    pub rate_limit_every: Option<u64>,
    pub retry_after_s: f64,
    /// Every Nth request hangs this long before answering (longer than the client's timeout: a timeout).
    pub hang_every: Option<u64>,
    pub hang_for: Duration,
    /// Delay added to every request.
    pub delay: Duration,
    /// Every request answers 403 with nginx's HTML page (account blocked).
    pub blocked: bool,
    /// The next request answers 400 with a problem+json validation error.
    pub bad_request_next: bool,
    /// A new connection's first request reaches the API this much later than it
    /// was sent (a TLS handshake over a long link); requests on a connection
    /// already open arrive at once. Sent in one order, requests then arrive
    /// bunched up, as they do at the real amoCRM.
    pub slow_new_connections: Duration,
}

/// What the fake saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FakeStats {
    /// API requests answered, any status.
    pub requests: u64,
    /// Requests refused with 429 because the limit was exceeded.
    pub over_limit: u64,
    /// 429s injected by `Faults::rate_limit_every`.
    pub injected_429: u64,
    pub injected_5xx: u64,
    /// Most requests accepted within any one second.
    pub max_per_second: u64,
    pub refreshes: u64,
    /// API requests by path (`/api/v4/leads`), so a test can count the re-reads of a kind.
    pub by_path: std::collections::BTreeMap<String, u64>,
    /// The most ids one request named in `filter[id]` (amoCRM pages by 250).
    pub most_ids_filtered: usize,
}

struct Crm {
    ws: Workspace,
    stage_events: bool,
    /// Deletion and restore events recorded by [`FakeAmocrm::delete`] (on top of the ones derived from `ws`).
    extra_events: Vec<Value>,
    /// Budgets sent as given instead of the deal's amount: what no `Money` can hold.
    raw_prices: HashMap<Id, Value>,
    generation: u64,
    events_cache: Option<(u64, Arc<Vec<Value>>)>,
    access: HashMap<String, i64>,
    refresh: HashSet<String>,
    issued: u64,
    faults: Faults,
    stats: FakeStats,
}

/// The rate limit's sliding window, apart from the data so that admission is not
/// delayed by another request building a big page (that would count it late).
#[derive(Default)]
struct Limiter {
    rate_limit: Option<u32>,
    window: VecDeque<std::time::Instant>,
    over_limit: u64,
    max_per_second: u64,
    /// When each API request arrived (the last [`ARRIVALS_KEPT`]), whatever the answer.
    arrivals: VecDeque<std::time::Instant>,
}

/// Arrivals kept for [`FakeAmocrm::arrivals`]: hours of requests at 7 per second.
const ARRIVALS_KEPT: usize = 100_000;

struct Shared {
    crm: Mutex<Crm>,
    limiter: Mutex<Limiter>,
    options: FakeOptions,
    counter: AtomicU64,
    base_url: String,
}

/// A running fake amoCRM. Dropping it stops the server.
pub struct FakeAmocrm {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Starts the fake on `options.bind` serving `ws`.
pub async fn start(ws: Workspace, options: FakeOptions) -> std::io::Result<FakeAmocrm> {
    let listener = tokio::net::TcpListener::bind(options.bind).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        crm: Mutex::new(Crm {
            ws,
            stage_events: options.stage_events,
            extra_events: Vec::new(),
            raw_prices: HashMap::new(),
            generation: 0,
            events_cache: None,
            access: HashMap::new(),
            refresh: HashSet::new(),
            issued: 0,
            faults: Faults::default(),
            stats: FakeStats::default(),
        }),
        limiter: Mutex::new(Limiter {
            rate_limit: options.rate_limit,
            ..Limiter::default()
        }),
        options,
        counter: AtomicU64::new(0),
        base_url: format!("http://{addr}"),
    });
    let app = axum::Router::new().fallback(handle).with_state(shared.clone());
    let listener = SlowListener {
        inner: listener,
        shared: shared.clone(),
    };
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await;
    });
    Ok(FakeAmocrm {
        addr,
        shared,
        shutdown: Some(tx),
        task: Some(task),
    })
}

impl FakeAmocrm {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the `base_url` to configure.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The `[amocrm]` section that points Tsifra at this fake (long-lived token, or OAuth2 otherwise).
    pub fn config_snippet(&self) -> String {
        let o = &self.shared.options;
        let auth = match &o.long_lived_token {
            Some(t) => format!("long_lived_token = \"{t}\"\n"),
            None => format!(
                "client_id = \"{}\"\nclient_secret = \"{}\"\nredirect_uri = \"{}\"\n",
                o.client_id, o.client_secret, o.redirect_uri
            ),
        };
        format!("[amocrm]\nbase_url = \"{}\"\n{auth}", self.base_url())
    }

    pub fn options(&self) -> &FakeOptions {
        &self.shared.options
    }

    fn crm(&self) -> std::sync::MutexGuard<'_, Crm> {
        self.shared.crm.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the served data (set `updated_at` on what you change, as amoCRM would).
    pub fn mutate(&self, f: impl FnOnce(&mut Workspace)) {
        let mut crm = self.crm();
        f(&mut crm.ws);
        crm.generation += 1;
    }

    /// Sends `price` as the deal's budget from now on, whatever its amount: a
    /// value such as 10^27 or `"1e30"` that amoCRM's JSON can carry and no sum of money can.
    pub fn set_raw_price(&self, deal: Id, price: Value) {
        let mut crm = self.crm();
        crm.raw_prices.insert(deal, price);
        crm.generation += 1;
    }

    /// A copy of the served workspace.
    pub fn workspace(&self) -> Workspace {
        self.crm().ws.clone()
    }

    /// Deletes a deal, contact, company or task at `at`, leaving a `*_deleted` event.
    pub fn delete(&self, kind: EntityKind, id: Id, at: Instant) {
        let mut crm = self.crm();
        let name = match kind {
            EntityKind::Deal => crm.ws.deals.remove(id).map(|_| "lead"),
            EntityKind::Contact => crm.ws.contacts.remove(id).map(|_| "contact"),
            EntityKind::Company => crm.ws.companies.remove(id).map(|_| "company"),
            EntityKind::Task => crm.ws.tasks.remove(id).map(|_| "task"),
            _ => None,
        };
        if let Some(name) = name {
            let n = crm.extra_events.len();
            crm.extra_events.push(json!({
                "id": format!("del{n}x{id}"),
                "type": format!("{name}_deleted"),
                "entity_id": id,
                "entity_type": name,
                "created_by": 0,
                "created_at": at.timestamp(),
                "value_after": [],
                "value_before": [],
                "account_id": ACCOUNT_ID,
            }));
            crm.generation += 1;
        }
    }

    pub fn set_faults(&self, faults: Faults) {
        self.crm().faults = faults;
    }

    /// Changes the enforced requests-per-second limit (`None`: unlimited) and forgets the window.
    pub fn set_rate_limit(&self, limit: Option<u32>) {
        let mut l = self.limiter();
        l.rate_limit = limit;
        l.window.clear();
        l.max_per_second = 0;
    }

    fn limiter(&self) -> std::sync::MutexGuard<'_, Limiter> {
        self.shared.limiter.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Zeroes the counters.
    pub fn reset_stats(&self) {
        self.crm().stats = FakeStats::default();
        let mut l = self.limiter();
        l.over_limit = 0;
        l.max_per_second = 0;
        l.arrivals.clear();
    }

    /// When the API requests arrived, oldest first, whatever they were answered:
    /// what amoCRM's own rate counter would see.
    pub fn arrivals(&self) -> Vec<std::time::Instant> {
        self.limiter().arrivals.iter().copied().collect()
    }

    pub fn stats(&self) -> FakeStats {
        let mut stats = self.crm().stats.clone();
        let l = self.limiter();
        stats.over_limit = l.over_limit;
        stats.max_per_second = l.max_per_second;
        stats
    }

    /// Issues a token pair as a completed OAuth2 flow would.
    pub fn issue_tokens(&self) -> TokenPair {
        issue(&mut self.crm(), &self.shared.options)
    }

    /// Revokes every token (the integration was disabled): API and refresh answer 401.
    pub fn revoke_tokens(&self) {
        let mut crm = self.crm();
        crm.access.clear();
        crm.refresh.clear();
    }

    /// Makes every issued access token expired (refresh tokens stay valid).
    pub fn expire_access_tokens(&self) {
        for exp in self.crm().access.values_mut() {
            *exp = 0;
        }
    }

    /// POSTs an amoCRM-shaped webhook (form-encoded) to `url`; returns the HTTP status.
    pub async fn post_webhook(&self, url: &str, items: &[(EntityKind, &str, Id)]) -> Result<u16, String> {
        let body = crate::webhook::form_body(&self.shared.options.subdomain, items);
        crate::client::install_crypto_provider();
        let response = reqwest::Client::new()
            .post(url)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::USER_AGENT, "amoCRM-WebHook-client/1.0")
            .timeout(Duration::from_secs(2))
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok(response.status().as_u16())
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for FakeAmocrm {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The fake's listener: plain TCP, except that a new connection's first bytes
/// are read late when [`Faults::slow_new_connections`] says so.
struct SlowListener {
    inner: tokio::net::TcpListener,
    shared: Arc<Shared>,
}

impl axum::serve::Listener for SlowListener {
    type Io = SlowStart;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (SlowStart, SocketAddr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        let delay = self
            .shared
            .crm
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .faults
            .slow_new_connections;
        let hold = (!delay.is_zero()).then(|| Box::pin(tokio::time::sleep(delay)));
        (SlowStart { io, hold }, addr)
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// A connection whose reading starts once `hold` has elapsed.
struct SlowStart {
    io: tokio::net::TcpStream,
    hold: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl tokio::io::AsyncRead for SlowStart {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if let Some(hold) = self.hold.as_mut() {
            std::task::ready!(std::future::Future::poll(hold.as_mut(), cx));
            self.hold = None;
        }
        std::pin::Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for SlowStart {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

fn issue(crm: &mut Crm, options: &FakeOptions) -> TokenPair {
    crm.issued += 1;
    let n = crm.issued;
    let access = format!("fake-access-{n}-{}", Utc::now().timestamp_subsec_nanos());
    let refresh = format!("fake-refresh-{n}-{}", Utc::now().timestamp_subsec_nanos());
    let expires_at = Utc::now().timestamp() + options.access_ttl_s;
    crm.access.insert(access.clone(), expires_at);
    crm.refresh.insert(refresh.clone());
    TokenPair {
        access_token: access.into(),
        refresh_token: refresh.into(),
        expires_at,
    }
}

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    let body =
        json!({"title": title, "type": format!("https://httpstatus.es/{}", status.as_u16()), "status": status.as_u16(), "detail": detail});
    (status, [(header::CONTENT_TYPE, "application/problem+json")], body.to_string()).into_response()
}

fn hal(body: Value) -> Response {
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/hal+json")], body.to_string()).into_response()
}

fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// The parsed query string.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(uri: &Uri) -> Query {
        Query(form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect())
    }
    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    fn num(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(|v| v.trim().parse().ok())
    }
    /// Values of `key[]`, `key[0]`, `key[1]`, ... (both spellings of PHP arrays).
    fn list(&self, key: &str) -> Vec<String> {
        let prefix = format!("{key}[");
        self.0
            .iter()
            .filter(|(k, _)| {
                k.strip_prefix(&prefix)
                    .is_some_and(|rest| rest == "]" || rest.trim_end_matches(']').parse::<u32>().is_ok())
            })
            .map(|(_, v)| v.clone())
            .collect()
    }
    fn with(&self) -> Vec<String> {
        self.get("with")
            .map(|w| w.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_default()
    }
}

async fn handle(State(shared): State<Arc<Shared>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let path = uri.path().to_string();
    let query = Query::parse(&uri);
    if path == "/oauth2/access_token" && method == Method::POST {
        return token_endpoint(&shared, &body);
    }
    if path == "/oauth" && method == Method::GET {
        return authorize(&shared, &query);
    }
    if !path.starts_with("/api/v4/") {
        return problem(StatusCode::NOT_FOUND, "Not Found", "no such endpoint");
    }
    let n = shared.counter.fetch_add(1, Ordering::SeqCst) + 1;
    {
        let mut l = shared.limiter.lock().unwrap_or_else(|e| e.into_inner());
        if l.arrivals.len() >= ARRIVALS_KEPT {
            l.arrivals.pop_front();
        }
        l.arrivals.push_back(std::time::Instant::now());
        if let Some(limit) = l.rate_limit {
            let now = std::time::Instant::now();
            while l.window.front().is_some_and(|&t| now.duration_since(t) >= Duration::from_secs(1)) {
                l.window.pop_front();
            }
            if l.window.len() >= limit as usize {
                l.over_limit += 1;
                drop(l);
                shared.crm.lock().unwrap_or_else(|e| e.into_inner()).stats.requests += 1;
                return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "1")], "").into_response();
            }
            l.window.push_back(now);
            l.max_per_second = l.max_per_second.max(l.window.len() as u64);
        }
    }
    // Admission: faults and auth (after the rate limit, like a proxy in front of the API).
    let (delay, hang) = {
        let mut crm = shared.crm.lock().unwrap_or_else(|e| e.into_inner());
        crm.stats.requests += 1;
        let f = crm.faults.clone();
        if f.blocked {
            let page = "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>";
            return (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "text/html")], page).into_response();
        }
        if f.rate_limit_every.is_some_and(|k| k > 0 && n % k == 0) {
            crm.stats.injected_429 += 1;
            let after = format!("{}", f.retry_after_s);
            return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, after)], "").into_response();
        }
        if crm.faults.bad_request_next {
            crm.faults.bad_request_next = false;
            let body = json!({
                "validation-errors": [{"request_id": "0", "errors": [{"code": "NotSupportedChoice", "path": "filter.updated_at", "detail": "The value you selected is not a valid choice."}]}],
                "title": "Bad Request", "type": "https://httpstatus.es/400", "status": 400, "detail": "Request validation failed",
            });
            return (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/problem+json")],
                body.to_string(),
            )
                .into_response();
        }
        if crm.faults.server_error_next > 0 {
            crm.faults.server_error_next -= 1;
            crm.stats.injected_5xx += 1;
            return problem(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error", "injected failure");
        }
        if f.server_error_every.is_some_and(|k| k > 0 && n % k == 0) {
            crm.stats.injected_5xx += 1;
            return problem(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable", "injected failure");
        }
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("")
            .to_string();
        let now = Utc::now().timestamp();
        let ok =
            shared.options.long_lived_token.as_deref().is_some_and(|t| t == token) || crm.access.get(&token).is_some_and(|&exp| exp > now);
        if !ok {
            return problem(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
        }
        let hang = f.hang_every.is_some_and(|k| k > 0 && n % k == 0).then_some(f.hang_for);
        (f.delay, hang)
    };
    if let Some(h) = hang {
        tokio::time::sleep(h).await;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    if method != Method::GET {
        return problem(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed", "the fake is read-only");
    }
    let mut crm = shared.crm.lock().unwrap_or_else(|e| e.into_inner());
    *crm.stats.by_path.entry(path.clone()).or_default() += 1;
    let ids = query.list("filter[id]").len();
    crm.stats.most_ids_filtered = crm.stats.most_ids_filtered.max(ids);
    route(&mut crm, &shared, &path, &query)
}

fn token_endpoint(shared: &Shared, body: &[u8]) -> Response {
    let Ok(req) = serde_json::from_slice::<Value>(body) else {
        return problem(StatusCode::BAD_REQUEST, "Bad Request", "expected JSON");
    };
    let s = |k: &str| req.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let o = &shared.options;
    if s("client_id") != o.client_id || s("client_secret") != o.client_secret {
        return problem(StatusCode::UNAUTHORIZED, "Unauthorized", "bad client credentials");
    }
    let mut crm = shared.crm.lock().unwrap_or_else(|e| e.into_inner());
    let granted = match s("grant_type").as_str() {
        "authorization_code" => s("code") == o.auth_code,
        // Single use: the old refresh token dies here.
        "refresh_token" => crm.refresh.remove(&s("refresh_token")),
        _ => false,
    };
    if !granted {
        let body = json!({"hint": "Token has been revoked", "title": "Некорректный запрос", "type": "https://developers.amocrm.ru/v3/errors/OAuthProblemJson", "status": 401, "detail": "В запросе отсутствует ряд параметров или параметры невалидны"});
        return (
            StatusCode::UNAUTHORIZED,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response();
    }
    if s("grant_type") == "refresh_token" {
        crm.stats.refreshes += 1;
    }
    let pair = issue(&mut crm, o);
    let body = json!({
        "token_type": "Bearer",
        "expires_in": o.access_ttl_s,
        "server_time": Utc::now().timestamp(),
        "access_token": pair.access_token.expose(),
        "refresh_token": pair.refresh_token.expose(),
    });
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

/// The consent page, answered at once: redirects to the redirect URI with the code.
fn authorize(shared: &Shared, query: &Query) -> Response {
    let o = &shared.options;
    if query.get("client_id") != Some(o.client_id.as_str()) {
        return problem(StatusCode::BAD_REQUEST, "Bad Request", "unknown client_id");
    }
    let target = form_urlencoded::Serializer::new(String::new())
        .append_pair("code", &o.auth_code)
        .append_pair("state", query.get("state").unwrap_or(""))
        .append_pair("referer", shared.base_url.trim_start_matches("http://"))
        .finish();
    let sep = if o.redirect_uri.contains('?') { '&' } else { '?' };
    (StatusCode::FOUND, [(header::LOCATION, format!("{}{sep}{target}", o.redirect_uri))]).into_response()
}

fn route(crm: &mut Crm, shared: &Shared, path: &str, query: &Query) -> Response {
    let parts: Vec<&str> = path.trim_start_matches("/api/v4/").trim_end_matches('/').split('/').collect();
    let quirks = shared.options.quirks;
    match parts.as_slice() {
        ["account"] => hal(account_json(&crm.ws, &shared.options)),
        ["users"] => {
            let items: Vec<Value> = crm.ws.users.iter().map(|u| user_json(u, &crm.ws)).collect();
            page("users", "users", items, query, 250)
        }
        ["leads", "pipelines"] => {
            let mut ps: Vec<_> = crm.ws.pipelines.iter().collect();
            ps.sort_by_key(|p| (p.sort, p.id));
            let items: Vec<Value> = ps.iter().map(|p| pipeline_json(p)).collect();
            hal(
                json!({"_total_items": items.len(), "_links": {"self": {"href": format!("{}/api/v4/leads/pipelines", SHARD)}}, "_embedded": {"pipelines": items}}),
            )
        }
        ["leads", "loss_reasons"] => {
            let mut rs: Vec<_> = crm.ws.loss_reasons.iter().collect();
            rs.sort_by_key(|r| r.id);
            let items = rs.iter().enumerate().map(|(i, r)| json!({"id": r.id, "name": r.name, "sort": (i + 1) * 10, "created_at": 1_600_000_000, "updated_at": 1_600_000_000})).collect();
            page("leads/loss_reasons", "loss_reasons", items, query, 250)
        }
        [entity @ ("leads" | "contacts" | "companies"), "custom_fields"] => {
            let kind = crate::map::entity_kind(entity).unwrap_or(EntityKind::Deal);
            let items = field_defs(&crm.ws, kind).iter().map(field_json).collect();
            // "Up to 50 fields per request": the fake clamps to exercise pagination.
            page(&format!("{entity}/custom_fields"), "custom_fields", items, query, 50)
        }
        [entity @ ("leads" | "contacts" | "companies"), "notes"] => {
            let kind = crate::map::entity_kind(entity).unwrap_or(EntityKind::Deal);
            let types = query.list("filter[note_type]");
            let ids: HashSet<Id> = query.list("filter[id]").iter().filter_map(|s| s.parse().ok()).collect();
            let mut notes: Vec<Value> = notes_of(&crm.ws, kind)
                .into_iter()
                .filter(|(n, _)| types.is_empty() || types.iter().any(|t| t == n.get("note_type").and_then(Value::as_str).unwrap_or("")))
                .filter(|(_, a)| ids.is_empty() || ids.contains(&a.id))
                .filter(|(_, a)| match query.num("filter[updated_at][from]") {
                    Some(from) => (from..=query.num("filter[updated_at][to]").unwrap_or(i64::MAX)).contains(&a.at.timestamp()),
                    None => true,
                })
                .map(|(n, _)| n)
                .collect();
            if query.get("order[id]") == Some("desc") {
                notes.reverse();
            }
            page_of(&format!("{entity}/notes"), "notes", notes.len(), query, 250, false, |r| {
                notes[r].to_vec()
            })
        }
        ["leads"] => list_parties(crm, shared, "leads", query),
        ["contacts"] => list_parties(crm, shared, "contacts", query),
        ["companies"] => list_parties(crm, shared, "companies", query),
        ["leads", id] => by_id(
            crm.ws
                .deals
                .get(id.parse().unwrap_or(-1))
                .map(|d| crm.lead_json(d, &query.with(), quirks)),
        ),
        ["contacts", id] => by_id(
            crm.ws
                .contacts
                .get(id.parse().unwrap_or(-1))
                .map(|c| contact_json(c, &crm.ws, quirks)),
        ),
        ["companies", id] => by_id(
            crm.ws
                .companies
                .get(id.parse().unwrap_or(-1))
                .map(|c| company_json(c, &crm.ws, quirks)),
        ),
        ["tasks"] => {
            let mut tasks: Vec<&Task> = crm.ws.tasks.iter().collect();
            let ids: HashSet<Id> = query.list("filter[id]").iter().filter_map(|s| s.parse().ok()).collect();
            if !ids.is_empty() {
                tasks.retain(|t| ids.contains(&t.id));
            }
            if let Some(from) = query.num("filter[updated_at][from]") {
                let to = query.num("filter[updated_at][to]").unwrap_or(i64::MAX);
                tasks.retain(|t| (from..=to).contains(&task_updated(t).timestamp()));
            }
            order(&mut tasks, query, |t| t.id, |t| t.created_at.timestamp());
            page_of("tasks", "tasks", tasks.len(), query, 250, false, |r| {
                tasks[r].iter().map(|t| task_json(t, quirks)).collect()
            })
        }
        ["tasks", id] => by_id(crm.ws.tasks.get(id.parse().unwrap_or(-1)).map(|t| task_json(t, quirks))),
        [entity @ ("leads" | "contacts" | "companies"), parent, "notes", id] => {
            let kind = crate::map::entity_kind(entity).unwrap_or(EntityKind::Deal);
            let parent: Id = parent.parse().unwrap_or(-1);
            let id: Id = id.parse().unwrap_or(-1);
            by_id(
                notes_of(&crm.ws, kind)
                    .into_iter()
                    .find(|(_, a)| a.id == id && a.entity.is_some_and(|e| e.id() == parent))
                    .map(|(n, _)| n),
            )
        }
        ["events"] => {
            let all = events(crm);
            let types = query.list("filter[type]");
            let entities = query.list("filter[entity]");
            let entity_ids: Vec<Id> = query.list("filter[entity_id]").iter().filter_map(|s| s.parse().ok()).collect();
            let from = query.num("filter[created_at][from]").unwrap_or(i64::MIN);
            let to = query.num("filter[created_at][to]").unwrap_or(i64::MAX);
            let items: Vec<&Value> = all
                .iter()
                .filter(|e| types.is_empty() || types.iter().any(|t| Some(t.as_str()) == e["type"].as_str()))
                .filter(|e| entities.is_empty() || entities.iter().any(|t| Some(t.as_str()) == e["entity_type"].as_str()))
                .filter(|e| entity_ids.is_empty() || e["entity_id"].as_i64().is_some_and(|id| entity_ids.contains(&id)))
                .filter(|e| e["created_at"].as_i64().is_some_and(|t| t >= from && t <= to))
                .collect();
            page_of("events", "events", items.len(), query, 100, false, |r| {
                items[r].iter().map(|v| (*v).clone()).collect()
            })
        }
        _ => problem(StatusCode::NOT_FOUND, "Not Found", "no such endpoint"),
    }
}

/// Hrefs name a shard host, as real answers do; the client must not follow them.
const SHARD: &str = "https://shard999.amocrm.ru/api/v4";

fn by_id(v: Option<Value>) -> Response {
    match v {
        Some(v) => hal(v),
        None => no_content(),
    }
}

/// One page of `items` by `page`/`limit`; an empty page is 204 with no body.
/// A limit above the maximum silently becomes 50, as amoCRM does.
fn page(resource: &str, key: &str, items: Vec<Value>, query: &Query, max: i64) -> Response {
    page_of(resource, key, items.len(), query, max, true, |range| items[range].to_vec())
}

/// [`page`] for the record lists: only the page's records are made into JSON
/// (a full load asks for hundreds of pages), and like amoCRM's leads,
/// contacts, companies, tasks, notes and events pages there is no `_total_items`.
fn page_of(
    resource: &str,
    key: &str,
    total: usize,
    query: &Query,
    max: i64,
    with_total: bool,
    slice: impl FnOnce(std::ops::Range<usize>) -> Vec<Value>,
) -> Response {
    let limit = match query.num("limit") {
        Some(l) if l > max => 50,
        Some(l) if l >= 1 => l,
        _ => 50,
    } as usize;
    let page = query.num("page").unwrap_or(1).max(1) as usize;
    let start = (page - 1).saturating_mul(limit);
    if start >= total {
        return no_content();
    }
    let end = (start + limit).min(total);
    let slice = slice(start..end);
    let href = |p: usize| json!({"href": format!("{SHARD}/{resource}?page={p}&limit={limit}")});
    let mut links = serde_json::Map::new();
    links.insert("self".into(), href(page));
    if end < total {
        links.insert("next".into(), href(page + 1));
    }
    if page > 1 {
        links.insert("prev".into(), href(page - 1));
    }
    let mut body = json!({"_page": page, "_links": links, "_embedded": {key: slice}});
    if with_total {
        body["_total_items"] = json!(total);
    }
    hal(body)
}

fn order<T>(rows: &mut [&T], query: &Query, id: impl Fn(&T) -> Id, created: impl Fn(&T) -> i64) {
    let (key, dir) = ["id", "updated_at", "created_at"]
        .iter()
        .find_map(|k| query.get(&format!("order[{k}]")).map(|d| (*k, d == "desc")))
        .unwrap_or(("id", false));
    match key {
        "created_at" => rows.sort_by_key(|r| (created(r), id(r))),
        _ => rows.sort_by_key(|r| id(r)),
    }
    if dir {
        rows.reverse();
    }
}

fn list_parties(crm: &Crm, shared: &Shared, entity: &str, query: &Query) -> Response {
    let quirks = shared.options.quirks;
    let with = query.with();
    // (updated_at, id, row); the JSON is made for the page's rows only.
    let mut rows: Vec<(i64, Id, usize)> = match entity {
        "leads" => crm
            .ws
            .deals
            .iter()
            .enumerate()
            .map(|(i, d)| (d.updated_at.timestamp(), d.id, i))
            .collect(),
        "contacts" => crm
            .ws
            .contacts
            .iter()
            .enumerate()
            .map(|(i, c)| (c.updated_at.timestamp(), c.id, i))
            .collect(),
        _ => crm
            .ws
            .companies
            .iter()
            .enumerate()
            .map(|(i, c)| (c.updated_at.timestamp(), c.id, i))
            .collect(),
    };
    if shared.options.api_filter_enabled {
        if let Some(from) = query.num("filter[updated_at][from]") {
            let to = query.num("filter[updated_at][to]").unwrap_or(i64::MAX);
            rows.retain(|r| r.0 >= from && r.0 <= to);
        }
        let ids: HashSet<Id> = query.list("filter[id]").iter().filter_map(|s| s.parse().ok()).collect();
        if !ids.is_empty() {
            rows.retain(|r| ids.contains(&r.1));
        }
    }
    match (query.get("order[updated_at]"), query.get("order[id]")) {
        (Some(dir), _) => {
            rows.sort_by_key(|r| (r.0, r.1));
            if dir == "desc" {
                rows.reverse();
            }
        }
        (None, dir) => {
            rows.sort_by_key(|r| r.1);
            if dir == Some("desc") {
                rows.reverse();
            }
        }
    }
    page_of(entity, entity, rows.len(), query, 250, false, |r| {
        rows[r]
            .iter()
            .map(|&(_, _, i)| match entity {
                "leads" => crm.lead_json(&crm.ws.deals.as_slice()[i], &with, quirks),
                "contacts" => contact_json(&crm.ws.contacts.as_slice()[i], &crm.ws, quirks),
                _ => company_json(&crm.ws.companies.as_slice()[i], &crm.ws, quirks),
            })
            .collect()
    })
}

/// Some ids go out as strings (a documented quirk the client must take).
fn id_json(id: Id, quirks: bool) -> Value {
    if quirks && id % 3 == 0 { json!(id.to_string()) } else { json!(id) }
}

fn opt_user(id: Option<Id>) -> Value {
    json!(id.unwrap_or(0))
}

fn account_json(ws: &Workspace, o: &FakeOptions) -> Value {
    let account = ws.account.clone();
    let groups: Vec<Value> = ws.teams.iter().map(|t| json!({"id": t.id, "name": t.name, "uuid": null})).collect();
    json!({
        "id": ACCOUNT_ID,
        "name": account.as_ref().map(|a| a.name.clone()).unwrap_or_else(|| "Fake".into()),
        "subdomain": o.subdomain,
        "currency": account.as_ref().map(|a| a.currency.clone()).unwrap_or_else(|| "RUB".into()),
        "country": "RU",
        "is_api_filter_enabled": o.api_filter_enabled,
        "is_loss_reason_enabled": true,
        "_links": {"self": {"href": format!("{SHARD}/account")}},
        "_embedded": {
            "users_groups": groups,
            "task_types": [
                {"id": 1, "name": "Связаться", "color": null, "icon_id": null, "code": "FOLLOW_UP"},
                {"id": 2, "name": "Встреча", "color": null, "icon_id": null, "code": "MEETING"},
                {"id": 3, "name": "Письмо", "color": null, "icon_id": 5, "code": null},
                {"id": 4, "name": "Другое", "color": null, "icon_id": 6, "code": null},
            ],
            "datetime_settings": {
                "date_pattern": "d.m.Y H:i",
                "timezone": account.as_ref().map(|a| a.time_zone.clone()).unwrap_or_else(|| "Europe/Moscow".into()),
                "timezone_offset": "+03:00",
            },
        },
    })
}

fn user_json(u: &tsifra_core::model::User, ws: &Workspace) -> Value {
    let groups: Vec<Value> = u
        .team_id
        .and_then(|t| ws.teams.get(t))
        .map(|t| vec![json!({"id": t.id, "name": t.name})])
        .unwrap_or_default();
    json!({
        "id": u.id,
        "name": u.name,
        "email": u.email.clone().unwrap_or_default(),
        "lang": "ru",
        "rights": {
            "leads": {"view": "A", "edit": "A", "add": "A", "delete": "D", "export": "D"},
            "mail_access": false, "catalog_access": false, "status_rights": null,
            "is_admin": false, "is_free": false, "is_active": u.active,
            "group_id": u.team_id, "role_id": null,
        },
        "_embedded": {"roles": [], "groups": groups},
    })
}

fn pipeline_json(p: &tsifra_core::model::Pipeline) -> Value {
    let statuses: Vec<Value> = p
        .stages
        .iter()
        .map(|s| json!({"id": s.id, "name": s.name, "sort": s.sort, "is_editable": s.id != 142 && s.id != 143, "pipeline_id": p.id, "color": "#99ccff", "type": if s.kind == tsifra_core::model::StageKind::Unsorted { 1 } else { 0 }, "account_id": ACCOUNT_ID}))
        .collect();
    json!({"id": p.id, "name": p.name, "sort": p.sort, "is_main": p.is_main, "is_unsorted_on": false, "is_archive": false, "account_id": ACCOUNT_ID, "_embedded": {"statuses": statuses}})
}

/// The workspace's definitions for `kind`, plus synthetic phone / e-mail / tax id fields where missing.
fn field_defs(ws: &Workspace, kind: EntityKind) -> Vec<FieldDef> {
    let mut defs: Vec<FieldDef> = ws.field_defs.iter().filter(|d| d.entity == kind).cloned().collect();
    defs.sort_by_key(|d| d.id);
    if matches!(kind, EntityKind::Contact | EntityKind::Company) {
        let (phone, email) = if kind == EntityKind::Contact {
            (CONTACT_PHONE_FIELD, CONTACT_EMAIL_FIELD)
        } else {
            (COMPANY_PHONE_FIELD, COMPANY_EMAIL_FIELD)
        };
        for (id, ft, name, code) in [
            (phone, FieldType::Phone, "Телефон", "PHONE"),
            (email, FieldType::Email, "Email", "EMAIL"),
        ] {
            if !defs.iter().any(|d| d.field_type == ft) {
                defs.push(FieldDef {
                    id,
                    entity: kind,
                    name: name.into(),
                    code: Some(code.into()),
                    field_type: ft,
                    options: vec!["WORK".into(), "MOB".into(), "OTHER".into()],
                });
            }
        }
        if kind == EntityKind::Company && !defs.iter().any(|d| is_tax_id_field(&d.name, d.code.as_deref())) {
            defs.push(FieldDef {
                id: COMPANY_TAX_FIELD,
                entity: kind,
                name: "ИНН".into(),
                code: None,
                field_type: FieldType::Text,
                options: Vec::new(),
            });
        }
    }
    defs
}

fn amo_type(ft: FieldType) -> &'static str {
    match ft {
        FieldType::Text => "text",
        FieldType::Number => "numeric",
        FieldType::Money => "monetary",
        FieldType::Date => "date",
        FieldType::DateTime => "date_time",
        FieldType::Checkbox => "checkbox",
        FieldType::Select => "select",
        FieldType::MultiSelect => "multiselect",
        FieldType::Url => "url",
        FieldType::Phone | FieldType::Email => "multitext",
    }
}

fn enum_id(field: Id, i: usize) -> Id {
    (field % 1_000_000) * 1_000 + i as Id + 1
}

fn field_json(d: &FieldDef) -> Value {
    let enums: Vec<Value> = d
        .options
        .iter()
        .enumerate()
        .map(|(i, o)| json!({"id": enum_id(d.id, i), "value": o, "sort": (i + 1) * 10}))
        .collect();
    let entity = match d.entity {
        EntityKind::Deal => "leads",
        EntityKind::Contact => "contacts",
        _ => "companies",
    };
    json!({
        "id": d.id, "name": d.name, "type": amo_type(d.field_type), "code": d.code, "sort": 500, "entity_type": entity,
        "is_predefined": d.code.is_some(), "settings": null, "remind": null, "is_api_only": false, "group_id": null,
        "enums": if enums.is_empty() { Value::Null } else { Value::Array(enums) }, "required_statuses": [],
    })
}

fn value_items(def: Option<&FieldDef>, field: Id, v: &FieldValue) -> Vec<Value> {
    match v {
        FieldValue::Text(s) => vec![json!({"value": s})],
        // Numbers travel as strings.
        FieldValue::Number(d) => vec![json!({"value": d.normalize().to_string()})],
        FieldValue::Money(m) => vec![json!({"value": m.to_decimal().normalize().to_string()})],
        FieldValue::Date(d) => vec![json!({"value": d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or(0)})],
        FieldValue::Instant(t) => vec![json!({"value": t.timestamp()})],
        FieldValue::Bool(b) => vec![json!({"value": b})],
        FieldValue::Options(os) => os
            .iter()
            .map(|o| {
                let i = def.and_then(|d| d.options.iter().position(|x| x == o)).unwrap_or(0);
                json!({"value": o, "enum_id": enum_id(field, i), "enum_code": null})
            })
            .collect(),
    }
}

fn cf_json(ws: &Workspace, fields: &[(Id, FieldValue)], extra: Vec<Value>, quirks: bool) -> Value {
    let mut out = extra;
    for (id, v) in fields {
        let def = ws.field_defs.get(*id);
        out.push(json!({
            "field_id": id,
            "field_name": def.map(|d| d.name.clone()).unwrap_or_default(),
            "field_code": def.and_then(|d| d.code.clone()),
            "field_type": def.map(|d| amo_type(d.field_type)).unwrap_or("text"),
            "values": value_items(def, *id, v),
        }));
    }
    if out.is_empty() && quirks { Value::Null } else { Value::Array(out) }
}

fn multitext(field: Id, name: &str, code: &str, values: &[String]) -> Option<Value> {
    (!values.is_empty()).then(|| {
        let items: Vec<Value> = values
            .iter()
            .map(|v| json!({"value": v, "enum_id": enum_id(field, 0), "enum_code": "WORK"}))
            .collect();
        json!({"field_id": field, "field_name": name, "field_code": code, "field_type": "multitext", "values": items})
    })
}

fn identity_field(ws: &Workspace, kind: EntityKind, ft: FieldType, fallback: Id) -> Id {
    ws.field_defs
        .iter()
        .find(|d| d.entity == kind && d.field_type == ft)
        .map(|d| d.id)
        .unwrap_or(fallback)
}

impl Crm {
    fn lead_json(&self, d: &Deal, with: &[String], quirks: bool) -> Value {
        let mut lead = lead_json(d, &self.ws, with, quirks);
        if let Some(price) = self.raw_prices.get(&d.id) {
            lead["price"] = price.clone();
        }
        lead
    }
}

fn lead_json(d: &Deal, ws: &Workspace, with: &[String], quirks: bool) -> Value {
    let w = |k: &str| with.iter().any(|x| x == k);
    let mut embedded = serde_json::Map::new();
    let tags: Vec<Value> = d
        .tags
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"id": i as i64 + 1, "name": t, "color": null}))
        .collect();
    embedded.insert("tags".into(), Value::Array(tags));
    embedded.insert(
        "companies".into(),
        json!(d.company_id.map(|c| vec![json!({"id": c})]).unwrap_or_default()),
    );
    if w("contacts") {
        let contacts: Vec<Value> = d
            .contact_ids
            .iter()
            .enumerate()
            .map(|(i, c)| json!({"id": id_json(*c, quirks), "is_main": i == 0}))
            .collect();
        embedded.insert("contacts".into(), Value::Array(contacts));
    }
    if w("loss_reason")
        && let Some(r) = d.loss_reason_id.and_then(|r| ws.loss_reasons.get(r))
    {
        // An array although the docs' field table says object (the docs' own example).
        embedded.insert("loss_reason".into(), json!([{"id": r.id, "name": r.name, "sort": 100}]));
    }
    if w("source")
        && let Some(s) = &d.lead_source
    {
        embedded.insert("source".into(), json!({"id": 1, "name": s}));
    }
    json!({
        "id": id_json(d.id, quirks),
        "name": d.name,
        "price": price_json(d.amount),
        "responsible_user_id": opt_user(d.responsible_id),
        "group_id": 0,
        "status_id": d.stage_id,
        "pipeline_id": d.pipeline_id,
        "loss_reason_id": d.loss_reason_id,
        "source_id": null,
        "created_by": opt_user(d.history.first().and_then(|m| m.author_id)),
        "updated_by": 0,
        "created_at": d.created_at.timestamp(),
        "updated_at": d.updated_at.timestamp(),
        "closed_at": d.closed_at.map(|t| t.timestamp()),
        "closest_task_at": null,
        "is_deleted": false,
        "custom_fields_values": cf_json(ws, &d.fields, Vec::new(), quirks),
        "score": null,
        "account_id": ACCOUNT_ID,
        "labor_cost": null,
        "_links": {"self": {"href": format!("{SHARD}/leads/{}", d.id)}},
        "_embedded": embedded,
    })
}

/// amoCRM budgets are whole currency units; a workspace with kopecks (the demo) keeps
/// them as a decimal number, which the client's lenient parser takes too.
fn price_json(amount: tsifra_core::Money) -> Value {
    if amount.minor() % 100 == 0 {
        json!(amount.minor() / 100)
    } else {
        json!(amount.minor() as f64 / 100.0)
    }
}

fn contact_json(c: &Contact, ws: &Workspace, quirks: bool) -> Value {
    let phone = identity_field(ws, EntityKind::Contact, FieldType::Phone, CONTACT_PHONE_FIELD);
    let email = identity_field(ws, EntityKind::Contact, FieldType::Email, CONTACT_EMAIL_FIELD);
    let extra = [
        multitext(phone, "Телефон", "PHONE", &c.phones),
        multitext(email, "Email", "EMAIL", &c.emails),
    ]
    .into_iter()
    .flatten()
    .collect();
    let companies: Vec<Value> = c.company_ids.iter().map(|id| json!({"id": id})).collect();
    json!({
        "id": id_json(c.id, quirks),
        "name": c.name, "first_name": "", "last_name": "",
        "responsible_user_id": opt_user(c.responsible_id), "group_id": 0,
        "created_by": 0, "updated_by": 0,
        "created_at": c.created_at.timestamp(), "updated_at": c.updated_at.timestamp(),
        "closest_task_at": null, "is_deleted": false, "is_unsorted": false,
        "custom_fields_values": cf_json(ws, &c.fields, extra, quirks),
        "account_id": ACCOUNT_ID,
        "_links": {"self": {"href": format!("{SHARD}/contacts/{}", c.id)}},
        "_embedded": {"tags": [], "companies": companies},
    })
}

fn company_json(c: &Company, ws: &Workspace, quirks: bool) -> Value {
    let phone = identity_field(ws, EntityKind::Company, FieldType::Phone, COMPANY_PHONE_FIELD);
    let email = identity_field(ws, EntityKind::Company, FieldType::Email, COMPANY_EMAIL_FIELD);
    let tax = ws
        .field_defs
        .iter()
        .find(|d| d.entity == EntityKind::Company && is_tax_id_field(&d.name, d.code.as_deref()))
        .map(|d| d.id)
        .unwrap_or(COMPANY_TAX_FIELD);
    let mut extra: Vec<Value> = [
        multitext(phone, "Телефон", "PHONE", &c.phones),
        multitext(email, "Email", "EMAIL", &c.emails),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some(inn) = &c.tax_id {
        extra.push(json!({"field_id": tax, "field_name": "ИНН", "field_code": null, "field_type": "text", "values": [{"value": inn}]}));
    }
    json!({
        "id": id_json(c.id, quirks),
        "name": c.name,
        "responsible_user_id": opt_user(c.responsible_id), "group_id": 0,
        "created_by": 0, "updated_by": 0,
        "created_at": c.created_at.timestamp(), "updated_at": c.updated_at.timestamp(),
        "closest_task_at": null, "is_deleted": false,
        "custom_fields_values": cf_json(ws, &c.fields, extra, quirks),
        "account_id": ACCOUNT_ID,
        "_links": {"self": {"href": format!("{SHARD}/companies/{}", c.id)}},
        "_embedded": {"tags": []},
    })
}

/// amoCRM keeps no completion time; the fake's `updated_at` of a completed task is its completion.
fn task_updated(t: &Task) -> Instant {
    t.completed_at.unwrap_or(t.created_at)
}

fn task_json(t: &Task, quirks: bool) -> Value {
    let (entity_id, entity_type) = match t.entity {
        Some(EntityRef::Deal(id)) => (json!(id), json!("leads")),
        Some(EntityRef::Contact(id)) => (json!(id), json!("contacts")),
        Some(EntityRef::Company(id)) => (json!(id), json!("companies")),
        None => (Value::Null, Value::Null),
    };
    let type_id = match t.kind {
        TaskKind::Call => 1,
        TaskKind::Meeting => 2,
        TaskKind::Email => 3,
        TaskKind::Other => 4,
    };
    let result = match &t.result {
        Some(r) => json!({"text": r}),
        None if quirks => json!([]),
        None => Value::Null,
    };
    json!({
        "id": id_json(t.id, quirks),
        "created_by": 0, "updated_by": 0,
        "created_at": t.created_at.timestamp(), "updated_at": task_updated(t).timestamp(),
        "responsible_user_id": opt_user(t.responsible_id), "group_id": 0,
        "entity_id": entity_id, "entity_type": entity_type,
        "duration": 0, "is_completed": t.completed_at.is_some(), "task_type_id": type_id,
        "text": t.text, "result": result, "complete_till": t.due_at.timestamp(), "account_id": ACCOUNT_ID,
        "_links": {"self": {"href": format!("{SHARD}/tasks/{}", t.id)}},
    })
}

/// Notes of one entity type, in id order, with the activity each came from.
/// Chats are events, not notes; meetings go out as service messages (as calendar
/// integrations log them); activities on no entity cannot be notes and are not served.
fn notes_of(ws: &Workspace, kind: EntityKind) -> Vec<(Value, tsifra_core::model::Activity)> {
    let mut acts: Vec<_> = ws
        .activities
        .iter()
        .filter(|a| a.entity.is_some_and(|e| e.kind() == kind))
        .copied()
        .collect();
    acts.sort_by_key(|a| a.id);
    acts.into_iter()
        .filter_map(|a| {
            let (note_type, params) = match a.kind {
                ActivityKind::CallIn | ActivityKind::CallOut => (
                    if a.kind == ActivityKind::CallIn { "call_in" } else { "call_out" },
                    json!({
                        "uniq": format!("call-{}", a.id), "duration": a.duration_s, "source": "fake", "link": "https://example.com/rec.mp3",
                        "phone": "+79990000000", "call_responsible": a.manager_id, "call_status": if a.connected { 4 } else { 6 },
                    }),
                ),
                ActivityKind::EmailIn | ActivityKind::EmailOut => ("amomail_message", json!({"income": a.kind == ActivityKind::EmailIn, "text": "letter"})),
                ActivityKind::Note => ("common", json!({"text": "note"})),
                ActivityKind::Meeting => ("service_message", json!({"service": "Встреча", "text": "Встреча с клиентом"})),
                _ => return None,
            };
            let entity_id = a.entity.map(|e| e.id());
            let note = json!({
                "id": a.id, "entity_id": entity_id, "created_by": opt_user(a.manager_id), "updated_by": opt_user(a.manager_id),
                "created_at": a.at.timestamp(), "updated_at": a.at.timestamp(), "responsible_user_id": opt_user(a.manager_id), "group_id": 0,
                "note_type": note_type, "params": params, "account_id": ACCOUNT_ID,
            });
            Some((note, a))
        })
        .collect()
}

fn entity_name(e: EntityRef) -> &'static str {
    match e {
        EntityRef::Deal(_) => "lead",
        EntityRef::Contact(_) => "contact",
        EntityRef::Company(_) => "company",
    }
}

/// The events feed: stage moves from deal histories, chats and call events from
/// activities, plus recorded deletions; newest first.
fn events(crm: &mut Crm) -> Arc<Vec<Value>> {
    if let Some((g, cached)) = &crm.events_cache
        && *g == crm.generation
    {
        return cached.clone();
    }
    let mut out: Vec<Value> = Vec::new();
    for d in crm.ws.deals.iter() {
        for (i, c) in d.responsible_changes.iter().enumerate() {
            out.push(json!({
                "id": format!("01rs{}x{}", d.id, i + 1),
                "type": "entity_responsible_changed",
                "entity_id": d.id, "entity_type": "lead",
                "created_by": opt_user(c.to), "created_at": c.at.timestamp(),
                "value_after": [{"responsible_user": {"id": c.to.unwrap_or(0)}}],
                "value_before": [{"responsible_user": {"id": c.from.unwrap_or(0)}}],
                "account_id": ACCOUNT_ID,
                "_embedded": {"entity": {"id": d.id}},
            }));
        }
        if !crm.stage_events {
            continue;
        }
        for (i, w) in d.history.windows(2).enumerate() {
            out.push(json!({
                "id": format!("01st{}x{}", d.id, i + 1),
                "type": "lead_status_changed",
                "entity_id": d.id, "entity_type": "lead",
                "created_by": opt_user(w[1].author_id), "created_at": w[1].at.timestamp(),
                "value_after": [{"lead_status": {"id": w[1].stage_id, "pipeline_id": w[1].pipeline_id}}],
                "value_before": [{"lead_status": {"id": w[0].stage_id, "pipeline_id": w[0].pipeline_id}}],
                "account_id": ACCOUNT_ID,
                "_embedded": {"entity": {"id": d.id}},
            }));
        }
    }
    for a in crm.ws.activities.iter() {
        let Some(entity) = a.entity else { continue };
        let (event_type, value_after, id) = match a.kind {
            // The event id of a chat is the activity's id (as a string), so a round trip keeps it.
            ActivityKind::ChatIn => (
                "incoming_chat_message",
                json!([{"message": {"id": format!("msg-{}", a.id)}}]),
                a.id.to_string(),
            ),
            ActivityKind::ChatOut => (
                "outgoing_chat_message",
                json!([{"message": {"id": format!("msg-{}", a.id)}}]),
                a.id.to_string(),
            ),
            ActivityKind::CallIn => ("incoming_call", json!([{"note": {"id": a.id}}]), format!("01call{}", a.id)),
            ActivityKind::CallOut => ("outgoing_call", json!([{"note": {"id": a.id}}]), format!("01call{}", a.id)),
            _ => continue,
        };
        out.push(json!({
            "id": id, "type": event_type, "entity_id": entity.id(), "entity_type": entity_name(entity),
            "created_by": opt_user(a.manager_id), "created_at": a.at.timestamp(),
            "value_after": value_after, "value_before": [], "account_id": ACCOUNT_ID,
        }));
    }
    out.extend(crm.extra_events.iter().cloned());
    out.sort_by(|a, b| {
        let ka = (a["created_at"].as_i64(), a["id"].as_str().map(str::to_string));
        let kb = (b["created_at"].as_i64(), b["id"].as_str().map(str::to_string));
        kb.cmp(&ka)
    });
    let out = Arc::new(out);
    crm.events_cache = Some((crm.generation, out.clone()));
    out
}
