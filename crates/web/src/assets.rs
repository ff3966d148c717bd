//! Files the pages load, embedded in the binary (no files on disk at run
//! time, nothing from a CDN): the TV's and the owner app's scripts, the
//! service worker, the web app manifest and the icons. The PNG icons were
//! drawn from `assets/icons/*.svg` by headless Chromium (`--screenshot`).

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::AppError;
use crate::state::AppState;
use crate::texts::t;

/// (name, content type, bytes) of what `/assets/{name}` serves.
const SCRIPTS: &[(&str, &str, &[u8])] = &[
    ("tv.js", "text/javascript; charset=utf-8", include_bytes!("../assets/tv.js")),
    ("app.js", "text/javascript; charset=utf-8", include_bytes!("../assets/app.js")),
];

/// (name, content type, bytes) of what `/icons/{name}` serves.
const ICONS: &[(&str, &str, &[u8])] = &[
    ("icon.svg", "image/svg+xml", include_bytes!("../assets/icons/icon.svg")),
    ("icon-192.png", "image/png", include_bytes!("../assets/icons/icon-192.png")),
    ("icon-512.png", "image/png", include_bytes!("../assets/icons/icon-512.png")),
    ("maskable-512.png", "image/png", include_bytes!("../assets/icons/maskable-512.png")),
];

const SERVICE_WORKER: &[u8] = include_bytes!("../assets/sw.js");

fn file(kind: &'static str, bytes: &'static [u8], cache: &'static str) -> Response {
    let mut response = ([(header::CONTENT_TYPE, kind)], bytes).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

fn lookup(
    list: &[(&'static str, &'static str, &'static [u8])],
    name: &str,
    prefix: &str,
) -> Result<(&'static str, &'static [u8]), AppError> {
    list.iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, kind, bytes)| (*kind, *bytes))
        .ok_or_else(|| AppError::NotFound {
            path: format!("{prefix}/{name}"),
        })
}

/// `GET /assets/{name}`: scripts change with the program, so the browser revalidates them.
pub async fn script(Path(name): Path<String>) -> Result<Response, AppError> {
    let (kind, bytes) = lookup(SCRIPTS, &name, "/assets")?;
    Ok(file(kind, bytes, "no-cache"))
}

/// `GET /icons/{name}`.
pub async fn icon(Path(name): Path<String>) -> Result<Response, AppError> {
    let (kind, bytes) = lookup(ICONS, &name, "/icons")?;
    Ok(file(kind, bytes, "public, max-age=86400"))
}

/// `GET /favicon.ico`: browsers ask for it on every site; a PNG is fine by all of them.
pub async fn favicon() -> Response {
    file("image/png", include_bytes!("../assets/icons/icon-192.png"), "public, max-age=86400")
}

/// `GET /sw.js`: at the root, so that it may control the whole site.
pub async fn service_worker() -> Response {
    file("text/javascript; charset=utf-8", SERVICE_WORKER, "no-cache")
}

/// `GET /manifest.webmanifest`: what a phone needs to install the owner's board.
pub async fn manifest(State(state): State<AppState>) -> Response {
    let lang = state.language();
    let body = json!({
        "id": "/owner",
        "name": t(lang, "web.app.name"),
        "short_name": "Tsifra",
        "description": t(lang, "web.app.description"),
        "lang": lang.code(),
        "start_url": "/owner",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f5f6f8",
        "theme_color": "#1f4fbf",
        "icons": [
            { "src": "/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any" },
            { "src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any" },
            { "src": "/icons/maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable" },
            { "src": "/icons/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any" }
        ]
    });
    let mut response = ([(header::CONTENT_TYPE, "application/manifest+json")], body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
