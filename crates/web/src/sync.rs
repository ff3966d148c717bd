//! The CRM connector as the pages see it: when it last ran and how that went,
//! and a "sync now" button. The web crate knows nothing of amoCRM; the binary
//! hands the state a [`SyncControl`] when `[amocrm]` is configured.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use tsifra_core::{BusinessCalendar, Instant, Language};

use crate::AppState;
use crate::html::format_local_datetime;
use crate::texts::t;

/// How the connector marks a run that stopped on a bug (a panic) in its
/// outcome, before the panic's message: the page shows its own words instead.
pub const INTERNAL: &str = "internal: ";

/// The last sync's outcome, for the home page and `GET /api/sync`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SyncStatus {
    pub running: bool,
    pub last_started: Option<Instant>,
    pub last_finished: Option<Instant>,
    /// "ok" or the error, in words a user can act on (never a token).
    pub last_outcome: Option<String>,
    pub last_records: u64,
    /// The last run's values that could not be used (counted as not filled),
    /// the first of them with record and field, and how many there were in all.
    pub bad_values: Vec<tsifra_core::model::BadValue>,
    pub bad_value_count: u64,
}

/// A connector the server can show and start.
pub trait SyncControl: Send + Sync {
    fn status(&self) -> SyncStatus;
    /// Starts a run in the background (one already running is not doubled); the
    /// status says `running` once this returns, so the page after the button does too.
    fn sync_now(&self);
}

/// The home page's panel, in the reader's language and the business zone.
pub struct SyncPanel {
    /// "ok", "error", "skipped", "running" or "never": a `data-state` for tests and styles.
    pub state: &'static str,
    pub line: String,
    /// The error's words, shown under the line.
    pub error: Option<String>,
    /// The last run's unusable values, one line each (a header first), for
    /// whoever can correct them in the CRM.
    pub bad_values: Vec<String>,
}

impl SyncPanel {
    pub fn new(lang: Language, calendar: &BusinessCalendar, s: &SyncStatus) -> SyncPanel {
        let mut panel = SyncPanel::outcome(lang, calendar, s);
        panel.bad_values = tsifra_core::model::bad_value_lines(lang, &s.bad_values, s.bad_value_count);
        panel
    }

    fn outcome(lang: Language, calendar: &BusinessCalendar, s: &SyncStatus) -> SyncPanel {
        let when = |at: Option<Instant>| at.map(|at| format_local_datetime(lang, calendar, at)).unwrap_or_default();
        if s.running {
            return SyncPanel {
                state: "running",
                line: format!("{} {}", t(lang, "web.sync.running"), when(s.last_started)),
                error: None,
                bad_values: Vec::new(),
            };
        }
        match (s.last_finished, s.last_outcome.as_deref()) {
            (None, _) | (_, None) => SyncPanel {
                state: "never",
                line: t(lang, "web.sync.never").to_string(),
                error: None,
                bad_values: Vec::new(),
            },
            (Some(at), Some("ok")) => SyncPanel {
                state: "ok",
                line: format!(
                    "{} {} · {} · {}: {}",
                    t(lang, "web.sync.last"),
                    when(Some(at)),
                    t(lang, "web.sync.ok"),
                    t(lang, "web.sync.records"),
                    tsifra_core::i18n::format_int(lang, s.last_records as i64)
                ),
                error: None,
                bad_values: Vec::new(),
            },
            // Another process (a `tsifra sync`, another server) held the account: not a failure.
            (Some(at), Some(outcome)) if outcome.starts_with("skipped") => SyncPanel {
                state: "skipped",
                line: format!("{} {} · {}", t(lang, "web.sync.last"), when(Some(at)), t(lang, "web.sync.skipped")),
                error: None,
                bad_values: Vec::new(),
            },
            (Some(at), Some(error)) => SyncPanel {
                state: "error",
                line: format!("{} {} · {}", t(lang, "web.sync.last"), when(Some(at)), t(lang, "web.sync.failed")),
                error: Some(match error.starts_with(INTERNAL) {
                    true => t(lang, "web.sync.internal").to_string(),
                    false => error.to_string(),
                }),
                bad_values: Vec::new(),
            },
        }
    }
}

/// `POST /sync`: the home page's button. Starts a run and sends the browser (303)
/// back home; refused from another site's page (a form posted across origins).
pub async fn sync_now(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(control) = state.sync() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    control.sync_now();
    Redirect::to("/").into_response()
}

/// `GET /api/sync`: the status as JSON (404 when no connector is configured).
pub async fn api_status(State(state): State<AppState>) -> Response {
    match state.sync() {
        Some(control) => axum::Json(control.status()).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `POST /api/sync`: starts a run, answers 202 with the status as it was.
pub async fn api_sync_now(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(control) = state.sync() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-site request refused").into_response();
    }
    let status = control.status();
    control.sync_now();
    (StatusCode::ACCEPTED, axum::Json(status)).into_response()
}

/// A request without an `Origin` (curl, a script, an old browser) or with one
/// naming this very host. Browsers send `Origin` on every cross-site POST.
/// Behind a reverse proxy that rewrites `Host` to its upstream, the public host
/// arrives in `X-Forwarded-Host`; a page on another site can set neither.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let Some(origin_host) = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest.trim_end_matches('/'))
    else {
        return false;
    };
    [header::HOST, header::HeaderName::from_static("x-forwarded-host")]
        .iter()
        .flat_map(|name| headers.get_all(name))
        .filter_map(|value| value.to_str().ok())
        .flat_map(|hosts| hosts.split(','))
        .any(|host| host.trim().eq_ignore_ascii_case(origin_host))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.clone(), v.parse().unwrap())).collect()
    }

    #[test]
    fn only_this_sites_pages_may_post() {
        assert!(same_origin(&headers(&[(header::HOST, "tsifra.local:8080")])));
        assert!(same_origin(&headers(&[
            (header::HOST, "tsifra.local:8080"),
            (header::ORIGIN, "http://tsifra.local:8080")
        ])));
        assert!(!same_origin(&headers(&[
            (header::HOST, "tsifra.local:8080"),
            (header::ORIGIN, "https://evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            (header::HOST, "tsifra.local:8080"),
            (header::ORIGIN, "http://tsifra.local:9090")
        ])));
        assert!(!same_origin(&headers(&[(header::HOST, "tsifra.local"), (header::ORIGIN, "null")])));
        assert!(
            !same_origin(&headers(&[(header::ORIGIN, "http://tsifra.local")])),
            "no host to match"
        );
        // Behind a proxy that passes the public host on the side.
        let forwarded = header::HeaderName::from_static("x-forwarded-host");
        assert!(same_origin(&headers(&[
            (header::HOST, "127.0.0.1:8080"),
            (forwarded.clone(), "tsifra.example.com"),
            (header::ORIGIN, "https://tsifra.example.com")
        ])));
        assert!(!same_origin(&headers(&[
            (header::HOST, "127.0.0.1:8080"),
            (forwarded, "tsifra.example.com"),
            (header::ORIGIN, "https://evil.example")
        ])));
    }
}
