//! What keeps the server answering under a flood: hyper's header read timeout,
//! a cap on open connections, a deadline per request and a body size limit
//! (`[server]` in the config). Without them, a thousand clients sending their
//! headers one byte a minute held a connection each forever, the process ran
//! out of file descriptors and `/api/health` stopped answering.
//!
//! At the cap a new connection is not refused while an old one is merely
//! waiting: the oldest connection that never finished a request's headers is
//! closed to make room, else the oldest idle keep-alive one; only when every
//! connection is busy answering is the new one closed at once.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::StatusCode;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tower::ServiceExt;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tsifra_core::{Config, Language};

/// The server's limits, from `[server]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Time to send a request's headers; also the longest pause inside a body.
    pub header_timeout: Duration,
    /// Time from a request's headers to its answer, reading the body included.
    pub request_timeout: Duration,
    pub max_connections: usize,
    pub max_body_bytes: usize,
    /// What the 408 and 413 answers are written in.
    pub language: Language,
}

impl Limits {
    pub fn from_config(config: &Config) -> Limits {
        let server = &config.server;
        Limits {
            language: config.business.language,
            header_timeout: Duration::from_secs(server.header_timeout_seconds.max(1)),
            request_timeout: Duration::from_secs(server.request_timeout_seconds.max(1)),
            max_connections: server.max_connections.max(1),
            max_body_bytes: server.max_body_kb.max(1).saturating_mul(1024),
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::from_config(&Config::default())
    }
}

/// `router` with a deadline on every request (408 past it), a longest pause
/// between parts of a body, and the body size limit (413 past it).
pub fn layered(router: Router, limits: &Limits) -> Router {
    let explained = limits.clone();
    router
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        .layer(RequestBodyTimeoutLayer::new(limits.header_timeout))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limits.request_timeout))
        .layer(axum::middleware::map_response(move |r: axum::response::Response| {
            let limits = explained.clone();
            async move { explain(r, &limits) }
        }))
}

/// A 408 or 413 from the limits above says in words which limit it met and
/// which key sets it, in the workspace's language (the layers answer with an
/// empty or English body of their own).
fn explain(response: axum::response::Response, limits: &Limits) -> axum::response::Response {
    use axum::response::IntoResponse;
    let lang = limits.language;
    let text = match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE => tsifra_core::i18n::text_with(
            lang,
            "server.too_large",
            &[("kb", &tsifra_core::i18n::format_int(lang, (limits.max_body_bytes / 1024) as i64))],
        ),
        StatusCode::REQUEST_TIMEOUT => tsifra_core::i18n::text_with(
            lang,
            "server.timeout",
            &[("seconds", &limits.request_timeout.as_secs().to_string())],
        ),
        _ => return response,
    };
    (
        response.status(),
        [(axum::http::header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

/// One open connection, as the cap sees it.
struct Conn {
    /// Requests whose headers arrived on it.
    requests: AtomicU64,
    /// Requests being answered now.
    in_flight: AtomicUsize,
    /// Told to close (to make room for a newer connection).
    evict: Notify,
}

/// The open connections, oldest first (by the sequence number they were accepted with).
struct Conns {
    max: usize,
    open: Mutex<BTreeMap<u64, Arc<Conn>>>,
    next: AtomicU64,
    evicted: AtomicU64,
    refused: AtomicU64,
}

impl Conns {
    /// A place for a new connection: free, or made by closing the oldest one
    /// still sending its first request's headers, else the oldest idle one.
    /// `None`: every connection is answering a request, so the new one is closed.
    fn admit(&self) -> Option<(u64, Arc<Conn>)> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.len() >= self.max {
            let idle = |c: &Conn| c.in_flight.load(Ordering::SeqCst) == 0;
            let victim = open
                .iter()
                .find(|(_, c)| idle(c) && c.requests.load(Ordering::SeqCst) == 0)
                .or_else(|| open.iter().find(|(_, c)| idle(c)))
                .map(|(id, _)| *id);
            match victim {
                Some(id) => {
                    if let Some(c) = open.remove(&id) {
                        c.evict.notify_one();
                    }
                    self.evicted.fetch_add(1, Ordering::Relaxed);
                }
                None => {
                    self.refused.fetch_add(1, Ordering::Relaxed);
                    return None;
                }
            }
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let conn = Arc::new(Conn {
            requests: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
            evict: Notify::new(),
        });
        open.insert(id, conn.clone());
        Some((id, conn))
    }

    fn leave(&self, id: u64) {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
    }
}

/// Counts a request as being answered until dropped.
struct Answering(Arc<Conn>);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Serves `router` (already [`layered`]) on `listener` within `limits` until
/// `shutdown` resolves; then stops accepting, lets open requests finish for up
/// to `grace` and returns.
pub async fn run(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let conns = Arc::new(Conns {
        max: limits.max_connections,
        open: Mutex::new(BTreeMap::new()),
        next: AtomicU64::new(0),
        evicted: AtomicU64::new(0),
        refused: AtomicU64::new(0),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionRefused
                ) =>
            {
                continue;
            }
            Err(e) => {
                // Out of file descriptors (the cap set above the process's limit) or
                // the like: wait for connections to close rather than spin.
                tracing::error!(error = %e, "cannot accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some((id, conn)) = conns.admit() else {
            tracing::warn!(
                max = limits.max_connections,
                "connection refused: every open connection is answering a request"
            );
            drop(stream);
            continue;
        };
        let router = router.clone();
        let conns = conns.clone();
        let mut stop_rx = stop_rx.clone();
        let header_timeout = limits.header_timeout;
        tasks.spawn(async move {
            let counted = conn.clone();
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                counted.requests.fetch_add(1, Ordering::SeqCst);
                counted.in_flight.fetch_add(1, Ordering::SeqCst);
                let answering = Answering(counted.clone());
                let router = router.clone();
                async move {
                    let response = router.oneshot(request.map(Body::new)).await;
                    drop(answering);
                    response
                }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            let mut connection = std::pin::pin!(connection);
            let mut stopping = *stop_rx.borrow();
            if stopping {
                connection.as_mut().graceful_shutdown();
            }
            loop {
                tokio::select! {
                    result = connection.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(error = %e, "connection ended");
                        }
                        break;
                    }
                    // Dropping the connection closes its socket.
                    () = conn.evict.notified() => break,
                    changed = stop_rx.changed(), if !stopping => {
                        stopping = true;
                        if changed.is_ok() {
                            connection.as_mut().graceful_shutdown();
                        }
                    }
                }
            }
            conns.leave(id);
        });
    }
    drop(listener);
    tracing::info!("shutting down");
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(?grace, "requests still open after the grace period; stopping anyway");
        tasks.abort_all();
    }
    let (evicted, refused) = (conns.evicted.load(Ordering::Relaxed), conns.refused.load(Ordering::Relaxed));
    if evicted + refused > 0 {
        tracing::info!(evicted, refused, "connections closed at the cap while serving");
    }
    Ok(())
}

#[cfg(test)]
mod answers {
    use super::*;
    use axum::body::Body;
    use axum::routing::{get, post};

    async fn body_text(r: axum::response::Response) -> String {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_refused_body_and_a_late_answer_say_which_limit_in_the_workspace_language() {
        let mut config = Config::default();
        config.server.max_body_kb = 1;
        config.server.request_timeout_seconds = 1;
        let router = Router::new()
            .route("/slow", get(|| async { tokio::time::sleep(Duration::from_secs(5)).await }))
            .route("/echo", post(|body: axum::body::Bytes| async move { body.len().to_string() }));
        for (lang, too_large, late) in [
            (Language::Ru, "больше 1 КБ", "не уложился в 1 с"),
            (Language::En, "larger than 1 KB", "took longer than 1 s"),
        ] {
            config.business.language = lang;
            let app = layered(router.clone(), &Limits::from_config(&config));
            let big = axum::http::Request::post("/echo").body(Body::from(vec![b'x'; 4096])).unwrap();
            let r = app.clone().oneshot(big).await.unwrap();
            assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
            let text = body_text(r).await;
            assert!(text.contains(too_large) && text.contains("max_body_kb"), "{text}");

            let small = axum::http::Request::post("/echo").body(Body::from("ok")).unwrap();
            let r = app.clone().oneshot(small).await.unwrap();
            assert_eq!((r.status(), body_text(r).await), (StatusCode::OK, "2".to_string()));

            let r = app
                .clone()
                .oneshot(axum::http::Request::get("/slow").body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::REQUEST_TIMEOUT);
            let text = body_text(r).await;
            assert!(text.contains(late) && text.contains("request_timeout_seconds"), "{text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conns(max: usize) -> Conns {
        Conns {
            max,
            open: Mutex::new(BTreeMap::new()),
            next: AtomicU64::new(0),
            evicted: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// At the cap: first the oldest connection that never sent a whole request,
    /// then the oldest idle one; never one answering; refused when all are.
    #[test]
    fn the_cap_closes_waiting_connections_before_busy_ones() {
        let c = conns(3);
        let (a, ca) = c.admit().unwrap();
        let (b, cb) = c.admit().unwrap();
        let (_, cc) = c.admit().unwrap();
        ca.requests.store(1, Ordering::SeqCst);
        ca.in_flight.store(1, Ordering::SeqCst); // answering
        cb.requests.store(2, Ordering::SeqCst); // idle keep-alive
        // cc never finished its headers: it goes first, though b is older.
        let (d, cd) = c.admit().unwrap();
        assert!(!c.open.lock().unwrap().values().any(|x| Arc::ptr_eq(x, &cc)));
        cd.in_flight.store(1, Ordering::SeqCst);
        cd.requests.store(1, Ordering::SeqCst);
        // Then the idle keep-alive one.
        let (_, ce) = c.admit().unwrap();
        let open: Vec<u64> = c.open.lock().unwrap().keys().copied().collect();
        assert!(open.contains(&a) && open.contains(&d) && !open.contains(&b), "{open:?}");
        ce.in_flight.store(1, Ordering::SeqCst);
        assert!(c.admit().is_none(), "every connection is answering");
        assert_eq!(c.evicted.load(Ordering::Relaxed), 2);
        assert_eq!(c.refused.load(Ordering::Relaxed), 1);
        c.leave(a);
        assert!(c.admit().is_some(), "room again once one closes");
    }
}
