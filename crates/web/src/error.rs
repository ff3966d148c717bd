//! One error type for every handler and extractor, and the one place that
//! turns it into a response: JSON `{"error": ...}` under `/api/`, an HTML page
//! in the configured language elsewhere. Internal details go to the log only.

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use axum::{Json, body::Body};
use tsifra_core::Language;

use crate::asof::AsOfError;
use crate::pages::error::ErrorPage;
use crate::state::AppState;
use crate::texts::{t, t_with};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppError {
    NotFound {
        path: String,
    },
    MethodNotAllowed,
    /// A request we could not read (a broken query string, say). The message is shown as is.
    BadRequest(String),
    /// A bad value in the request, told in the reader's language: the text `key`
    /// with its `{placeholders}` filled (pages in the workspace's, the API in English).
    BadValue {
        key: &'static str,
        values: Vec<(&'static str, String)>,
    },
    InvalidAsOf(AsOfError),
    /// A token-protected page (the TV) asked for without the right token. The message says which.
    Forbidden(String),
    /// Any other client error, e.g. a rejection from one of axum's extractors.
    Rejected {
        status: StatusCode,
        message: String,
    },
    /// Something failed on our side. The text is logged, never shown.
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::BadRequest(_) | AppError::BadValue { .. } | AppError::InvalidAsOf(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::Rejected { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The page heading.
    pub fn title(&self, lang: Language) -> &'static str {
        match self {
            AppError::NotFound { .. } => t(lang, "web.error.not_found"),
            AppError::MethodNotAllowed => t(lang, "web.error.method"),
            AppError::BadRequest(_) | AppError::BadValue { .. } | AppError::InvalidAsOf(_) | AppError::Rejected { .. } => {
                t(lang, "web.error.bad_request")
            }
            AppError::Forbidden(_) => t(lang, "web.error.forbidden"),
            AppError::Internal(_) => t(lang, "web.error.internal"),
        }
    }

    /// What went wrong, safe to show to whoever sent the request.
    pub fn message(&self, lang: Language) -> String {
        match self {
            AppError::NotFound { path } => t_with(lang, "web.error.not_found.detail", &[("path", path)]),
            AppError::MethodNotAllowed => t(lang, "web.error.method.detail").to_string(),
            AppError::BadRequest(message) | AppError::Forbidden(message) => message.clone(),
            AppError::BadValue { key, values } => {
                let values: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
                t_with(lang, key, &values)
            }
            // axum's rejections are English: a Russian page says what they mean instead.
            AppError::Rejected { message, .. } => match lang {
                Language::Ru => t(lang, "web.error.rejected.detail").to_string(),
                Language::En => message.clone(),
            },
            AppError::InvalidAsOf(e) => e.message(lang),
            AppError::Internal(_) => t(lang, "web.error.internal.detail").to_string(),
        }
    }

    /// The final response. API clients get English, so scripts can match on it.
    fn render(&self, api: bool, lang: Language) -> Response {
        if api {
            return (self.status(), Json(serde_json::json!({ "error": self.message(Language::En) }))).into_response();
        }
        let page = ErrorPage::new(lang, self.title(lang), self.message(lang));
        match askama::Template::render(&page) {
            Ok(html) => (self.status(), Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "error page failed to render");
                (self.status(), self.message(lang)).into_response()
            }
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Language::En))
    }
}

impl std::error::Error for AppError {}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> AppError {
        AppError::Internal(format!("template: {e}"))
    }
}

impl IntoResponse for AppError {
    /// A plain-text response carrying the error in its extensions; the
    /// [`render_errors`] middleware replaces it with the page or JSON the
    /// request asked for (it knows the path and the language, a handler's error does not).
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let mut response = (self.status(), self.message(Language::En)).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// `/api/...` answers in JSON, everything else in HTML.
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Middleware: renders [`AppError`]s, and brings errors produced outside our
/// handlers (axum's 405, extractor rejections) into the same shape.
pub async fn render_errors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    let mut response = next.run(request).await;
    let error = match response.extensions_mut().remove::<AppError>() {
        Some(error) => error,
        None if is_foreign_error(&response) => foreign_error(&path, &mut response).await,
        None => return response,
    };
    let mut rendered = error.render(is_api_path(&path), state.language());
    // Keep headers set on the original (axum's `Allow` on a 405), minus those describing its body.
    for (name, value) in response.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rendered
}

/// The [`AppError`] an unshaped error response stands for; takes its body.
async fn foreign_error(path: &str, response: &mut Response) -> AppError {
    let status = response.status();
    // Rejection texts are one line; the limit only guards against a surprise.
    let body = axum::body::to_bytes(std::mem::take(response.body_mut()), 16 * 1024)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&body).trim().to_string();
    match status {
        StatusCode::NOT_FOUND => AppError::NotFound { path: path.to_string() },
        StatusCode::METHOD_NOT_ALLOWED => AppError::MethodNotAllowed,
        s if s.is_server_error() => {
            tracing::error!(detail = %text, status = %s, "internal error");
            AppError::Internal(text)
        }
        s => AppError::Rejected { status: s, message: text },
    }
}

/// An error response nobody shaped: empty or plain text, as axum produces them.
fn is_foreign_error(response: &Response<Body>) -> bool {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.to_str().is_ok_and(|v| v.starts_with("text/plain")));
    (status.is_client_error() || status.is_server_error()) && plain
}

/// Turns a panic in a handler into a 500 (the panic message goes to the log, not the page).
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a handler panicked".into());
    AppError::Internal(format!("panic: {detail}")).into_response()
}
