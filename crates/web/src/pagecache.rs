//! Rendered pages kept per (page and its options, as-of, workspace version):
//! a TV wall or a hundred browsers asking for a board within the same minute
//! get the bytes rendered once, so answering costs a lookup, not a render.
//!
//! When a sync lands (a new version) or the minute turns, the page is made
//! again; on a million deals that takes seconds. Meanwhile the last copy is
//! served (its "as of" stamp says how old it is) unless the new one is ready
//! within [`FRESH_WAIT`], so nobody stares at a spinner and a wall of TVs does
//! not queue behind one computation. The JSON API never does this: it answers
//! exactly for the instant asked.

use std::future::Future;
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tsifra_core::{Instant, Tables};

use crate::asof::AsOf;
use crate::cache::{CacheKey, Memo};
use crate::error::AppError;
use crate::reports::effective_as_of;
use crate::state::AppState;

/// How long a request waits for a page being remade before it gets the previous copy.
pub const FRESH_WAIT: Duration = Duration::from_millis(40);

/// Pages kept at once. A rendered board is tens of kilobytes; live views keep only their latest minute.
pub const MAX_PAGES: usize = 256;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageKey {
    /// The page and every option that changes it, canonically spelled.
    what: String,
    /// The `as_of` text from the URL: links on the page carry it on.
    requested: Option<String>,
    as_of: Instant,
    /// The tables the page reads, and the latest version at which one of them changed.
    reads: Tables,
    version: u64,
}

impl PageKey {
    pub fn new(what: String, as_of: &AsOf, reads: Tables, version: u64) -> PageKey {
        PageKey {
            what,
            requested: as_of.requested.clone(),
            as_of: effective_as_of(as_of),
            reads,
            version,
        }
    }

    /// What the page read: a batch touching none of it leaves the page cached.
    pub fn reads(&self) -> Tables {
        self.reads
    }
}

impl CacheKey for PageKey {
    fn supersedes(&self, older: &PageKey) -> bool {
        self.what == older.what
            && (self.version > older.version || (self.requested.is_none() && older.requested.is_none() && self.as_of > older.as_of))
    }
}

pub type PageCache = Memo<PageKey, Bytes>;

/// What a cached body is served as.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    Html,
    /// A piece of a page the TV swaps in.
    Fragment,
}

/// The page for `what`, rendered by `render` unless this minute's copy exists.
pub async fn cached<F, Fut>(state: &AppState, what: String, as_of: &AsOf, kind: Kind, render: F) -> Result<Response, AppError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<String, AppError>> + Send + 'static,
{
    Ok(respond(cached_bytes(state, what, as_of, render).await?, kind))
}

/// [`cached`] for a page that reads only `reads`: a batch that touches none of
/// those tables leaves it cached (an analysis of calls outlives a deal's webhook).
pub async fn cached_reading<F, Fut>(
    state: &AppState,
    what: String,
    as_of: &AsOf,
    kind: Kind,
    reads: Tables,
    render: F,
) -> Result<Response, AppError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<String, AppError>> + Send + 'static,
{
    Ok(respond(bytes_reading(state, what, as_of, reads, render).await?, kind))
}

/// [`cached`] without the response around it, for pages made of cached pieces (the TV).
pub async fn cached_bytes<F, Fut>(state: &AppState, what: String, as_of: &AsOf, render: F) -> Result<Bytes, AppError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<String, AppError>> + Send + 'static,
{
    bytes_reading(state, what, as_of, Tables::ALL, render).await
}

async fn bytes_reading<F, Fut>(state: &AppState, what: String, as_of: &AsOf, reads: Tables, render: F) -> Result<Bytes, AppError>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = Result<String, AppError>> + Send + 'static,
{
    let version = {
        // Read under the workspace's lock, which batches and their stamps land under.
        let _ws = state.workspace().await;
        state.stamp(reads)
    };
    let key = PageKey::new(what, as_of, reads, version);
    let pages = state.pages();
    if let Some(page) = pages.peek(&key) {
        return Ok(page);
    }
    let previous = pages.newest(|k| k.what == key.what && k.requested == key.requested, |k| (k.version, k.as_of));
    let Some(previous) = previous else {
        // Nothing to show yet: wait for it (with everyone else asking, once).
        return pages.get_or_try_init(key, || async { render().await.map(Bytes::from) }).await;
    };
    if pages.in_flight(&key) {
        return Ok(previous);
    }
    let making = {
        let state = state.clone();
        tokio::spawn(async move {
            state
                .pages()
                .get_or_try_init(key, || async { render().await.map(Bytes::from) })
                .await
        })
    };
    match tokio::time::timeout(FRESH_WAIT, making).await {
        Ok(Ok(made)) => made,
        Ok(Err(e)) => Err(AppError::Internal(format!("rendering a page failed: {e}"))),
        // Still being made, in the background: the previous copy for now.
        Err(_) => Ok(previous),
    }
}

/// A cached body as a response.
pub fn respond(body: Bytes, kind: Kind) -> Response {
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    let headers = response.headers_mut();
    // Figures change every minute: the browser must ask again, never show a stale copy.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Kind::Fragment = kind {
        // The TV reloads itself when the server it talks to was upgraded.
        headers.insert("x-tsifra-version", HeaderValue::from_static(env!("CARGO_PKG_VERSION")));
    }
    response
}
