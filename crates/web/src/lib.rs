//! Tsifra's HTTP server: server-rendered pages and the JSON API over the
//! in-memory workspace. `app` builds the router (tests drive it without a
//! socket), `serve` runs it on a listener until a shutdown future resolves.
//!
//! How the binary wires it, once the config is validated and the workspace loaded:
//!
//! ```no_run
//! # async fn run(config: tsifra_core::Config, workspace: tsifra_core::Workspace) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind(&config.server.bind).await?;
//! let state = tsifra_web::AppState::new(config, workspace, "/var/lib/tsifra");
//! // Keep a clone for the connector: `state.apply_batch(&batch).await` after each stored batch.
//! tsifra_web::serve(listener, state, tsifra_web::shutdown_signal()).await
//! # }
//! ```
//!
//! `serve` also spawns [`keep_warm`] (the boards made right after start, each
//! minute's live reports before it turns); a caller of [`serve_router`] spawns
//! it itself: `tokio::spawn(tsifra_web::keep_warm(state.clone()))`.

pub mod api;
pub mod asof;
pub mod assets;
pub mod boards;
pub mod cache;
pub mod charts;
pub mod downloads;
pub mod error;
pub mod explore;
pub mod figures;
pub mod html;
pub mod limits;
pub mod pagecache;
pub mod pages;
pub mod reports;
pub mod state;
pub mod summary;
pub mod sync;
pub mod texts;
pub mod trend;
pub mod view;
pub mod warm;

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Uri, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub use asof::{AsOf, AsOfError, parse_as_of};
pub use error::AppError;
pub use limits::Limits;
pub use state::{AppState, Clock, system_clock};
pub use sync::{SyncControl, SyncStatus};
pub use warm::{keep_warm, warm_up};

/// How long `serve` waits for open requests after the shutdown signal before returning anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The whole application as a router.
pub fn app(state: AppState) -> Router {
    let routes = Router::new()
        .route("/", get(pages::home::home))
        .route("/boards/explore", get(explore::page::explore))
        .route("/boards/explore/records", get(explore::records::page))
        .route("/boards/explore/{file}", get(explore::page::download))
        .route("/boards/pareto", get(explore::pareto::page))
        .route("/boards/pareto/{file}", get(explore::pareto::download))
        .route("/boards/{slug}", get(pages::board::board))
        .route("/boards/{slug}/{file}", get(pages::download::table_file))
        .route("/owner", get(pages::owner::owner))
        .route("/tv", get(pages::tv::tv))
        .route("/tv/slide/{board}", get(pages::tv::slide))
        .route("/manifest.webmanifest", get(assets::manifest))
        .route("/sw.js", get(assets::service_worker))
        .route("/favicon.ico", get(assets::favicon))
        .route("/assets/{name}", get(assets::script))
        .route("/icons/{name}", get(assets::icon))
        .route("/api/health", get(api::health))
        .route("/api/workspace", get(api::workspace))
        .route("/api/reports/explore", get(explore::api::explore))
        .route("/api/reports/explore/records", get(explore::api::explore_records))
        .route("/api/reports/pareto", get(explore::api::pareto))
        .route("/api/reports/{id}", get(reports::api_report))
        .route("/sync", axum::routing::post(sync::sync_now))
        .route("/api/sync", get(sync::api_status).post(sync::api_sync_now));
    with_layers(routes, state)
}

/// The fallback and the layers every route shares, kept apart from the route
/// list so a test can mount a route that panics.
fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    routes
        .fallback(not_found)
        // The last layer added is the outermost one.
        // Innermost: a panicking handler becomes an AppError response, rendered below.
        .layer(CatchPanicLayer::custom(error::panic_response))
        // Every AppError and bare axum error becomes an HTML page or JSON by path.
        .layer(middleware::from_fn_with_state(state.clone(), error::render_errors))
        .layer(middleware::from_fn(security_headers))
        // Outermost, so the logged status is the one the client got. The span
        // names the path only: query strings may carry tokens (TV links, webhooks).
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(
                    |request: &Request| tracing::info_span!("request", method = %request.method(), path = %request.uri().path()),
                )
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}

/// Serves `app(state)` on `listener` within the config's `[server]` limits
/// until `shutdown` resolves, then lets open requests finish for up to
/// [`SHUTDOWN_GRACE`] and returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The boards are made in the background while the server already answers,
    // and each minute's live reports just before the minute turns.
    tokio::spawn(keep_warm(state.clone()));
    let limits = Limits::from_config(state.config());
    serve_router(listener, app(state), &limits, shutdown).await
}

/// [`serve`] for a router the caller extended (the binary merges in the
/// connector's webhook and sync routes, which this crate does not know):
/// every route gets the request deadline and body limit of `limits`, every
/// connection the header timeout and the connection cap (see [`limits`]).
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving");
    }
    // A client holding a request open (a stalled upload, a TV's long poll) must
    // not keep the process alive forever after Ctrl-C: past the grace period it is cut.
    limits::run(listener, limits::layered(router, limits), limits, shutdown, SHUTDOWN_GRACE).await
}

/// Resolves on Ctrl-C, or on SIGTERM on unix (what `systemctl stop` and `docker stop` send).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            // Without a handler we would stop at once; wait for the other signal instead.
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

async fn not_found(uri: Uri) -> AppError {
    AppError::NotFound {
        path: uri.path().to_string(),
    }
}

/// Headers every response carries.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // TV links carry a read-only token; never hand it to another site.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // Pages run only our own scripts; styles and chart colours are inline.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
             connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::StatusCode;
    use tower::ServiceExt;
    use tsifra_core::{Config, Workspace};

    async fn panicking() -> &'static str {
        panic!("secret detail at src/reports/plan.rs:42");
    }

    #[tokio::test]
    async fn a_panicking_handler_gives_a_500_without_its_message() {
        let state = AppState::new(Config::default(), Workspace::default(), "/data");
        let routes = Router::new().route("/boom", get(panicking)).route("/api/boom", get(panicking));
        let app = with_layers(routes, state);
        for (path, kind) in [("/boom", "text/html"), ("/api/boom", "application/json")] {
            let response = app
                .clone()
                .oneshot(axum::http::Request::get(path).body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR, "{path}");
            let content_type = response.headers()[header::CONTENT_TYPE].to_str().unwrap().to_string();
            assert!(content_type.starts_with(kind), "{path}: {content_type}");
            let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
            let body = String::from_utf8_lossy(&body);
            assert!(!body.contains("secret") && !body.contains("plan.rs"), "{path}: {body}");
            let expected = if kind == "text/html" {
                "Внутренняя ошибка"
            } else {
                "Something went wrong"
            };
            assert!(body.contains(expected), "{path}: {body}");
        }
    }
}
