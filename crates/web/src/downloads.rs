//! CSV and XLSX downloads, built once however many ask: a file is kept per
//! (path and query, as-of minute, workspace version) like a page, concurrent
//! requests for it wait for the one build and share its bytes, and at most
//! `[server] download_builds` files are built at once. A hundred connections
//! on one XLSX used to build it a hundred times in parallel (114 MB to 2.5 GB
//! on the 6,000-deal demo); now it is one build and a hundred copies of a
//! pointer to its bytes.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::response::Response;
use tokio::sync::Semaphore;

use crate::asof::AsOf;
use crate::cache::Memo;
use crate::error::AppError;
use crate::pagecache::PageKey;
use crate::state::AppState;

/// Files kept after they are built: the latest few, so a board's download
/// asked again within the minute costs nothing, and memory stays bounded.
pub const MAX_FILES: usize = 4;

/// A built download: its bytes and the name it is saved under.
pub struct File {
    pub body: Bytes,
    pub name: String,
}

pub struct Downloads {
    files: Memo<PageKey, Arc<File>>,
    builds: Semaphore,
    built: AtomicU64,
}

impl Downloads {
    pub fn new(builds_at_once: usize) -> Downloads {
        Downloads {
            files: Memo::new(MAX_FILES),
            builds: Semaphore::new(builds_at_once.max(1)),
            built: AtomicU64::new(0),
        }
    }

    /// Files built since start (a test counts builds, not time).
    pub fn built(&self) -> u64 {
        self.built.load(Ordering::Relaxed)
    }
}

/// The download `what` names (the request's path and query), built by `build`
/// (its bytes and file name) unless it is built or being built for this as-of
/// and workspace version.
pub async fn shared<F, Fut>(state: &AppState, what: String, as_of: &AsOf, build: F) -> Result<Response, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(Vec<u8>, String), AppError>>,
{
    // A file is kept for the workspace version it was built on: a download is asked
    // for rarely enough that keying it by the tables it reads is not worth it.
    let key = PageKey::new(what, as_of, tsifra_core::Tables::ALL, state.version().await);
    let downloads = state.downloads();
    let file = downloads
        .files
        .get_or_try_init(key, || async {
            let _turn = downloads
                .builds
                .acquire()
                .await
                .map_err(|e| AppError::Internal(format!("download builds closed: {e}")))?;
            downloads.built.fetch_add(1, Ordering::Relaxed);
            let (body, name) = build().await?;
            Ok::<_, AppError>(Arc::new(File {
                body: Bytes::from(body),
                name,
            }))
        })
        .await?;
    Ok(crate::pages::download::attachment(file.body.clone(), &file.name))
}
