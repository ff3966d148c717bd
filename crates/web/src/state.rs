//! What every request handler shares: the validated config, the loaded
//! workspace behind a lock the connector can write through while the server
//! runs, and the clock that says what "now" is (fixed in tests).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::{OwnedRwLockReadGuard, RwLock};
use tsifra_core::{Batch, BusinessCalendar, Config, Instant, Language, TableVersions, Tables, Workspace};

/// Where "now" comes from. The server uses [`system_clock`]; tests pass a
/// closure returning a fixed instant so pages do not depend on the day they run.
pub type Clock = Arc<dyn Fn() -> Instant + Send + Sync>;

/// The wall clock, in UTC (the business zone is applied only when showing dates).
pub fn system_clock() -> Clock {
    Arc::new(chrono::Utc::now)
}

/// Shared server state. Cloning is cheap: everything lives behind one `Arc`.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    // Built at start and again when an official calendar is imported into the
    // store: the holiday sets and the parsed zone every page needs.
    calendar: std::sync::RwLock<Arc<BusinessCalendar>>,
    // `Arc` so handlers can take an owned guard into `spawn_blocking` for heavy reports.
    workspace: Arc<RwLock<Workspace>>,
    data_dir: PathBuf,
    clock: Clock,
    reports: crate::reports::ReportCache,
    pages: crate::pagecache::PageCache,
    trend: crate::trend::TrendCache,
    /// The query layer's fact tables, per workspace version (the explore and Pareto boards).
    layers: crate::explore::LayerCache,
    /// CSV and XLSX files, built once per request wave and at most `[server] download_builds` at once.
    downloads: crate::downloads::Downloads,
    summary: std::sync::Mutex<Option<Arc<crate::summary::WorkspaceSummary>>>,
    /// The CRM connector, set once at start when one is configured.
    sync: std::sync::OnceLock<Arc<dyn crate::sync::SyncControl>>,
    /// The workspace version at which each table last changed (written under the
    /// workspace's write lock): a cached answer is keyed by the stamp of what it read.
    tables: std::sync::Mutex<TableVersions>,
    /// The store's data version the in-memory workspace reflects: a store
    /// further on was written by another process (an import, a second server),
    /// and the server's store watch (`tsifra serve`) loads it.
    store_version: std::sync::atomic::AtomicU64,
    /// The store could be opened for reading only (its disk was full at
    /// start): every page says so, and nothing this process does is stored.
    read_only: std::sync::atomic::AtomicBool,
}

impl AppState {
    /// State for a running server: the wall clock decides "now".
    pub fn new(config: Config, workspace: Workspace, data_dir: impl Into<PathBuf>) -> AppState {
        AppState::with_clock(config, workspace, data_dir, system_clock())
    }

    /// State with an injected clock (tests, or a replay of a past day).
    pub fn with_clock(config: Config, workspace: Workspace, data_dir: impl Into<PathBuf>, clock: Clock) -> AppState {
        let calendar = config.calendar();
        let store_version = std::sync::atomic::AtomicU64::new(workspace.version);
        let downloads = crate::downloads::Downloads::new(config.server.download_builds);
        let tables = std::sync::Mutex::new(TableVersions::all_at(workspace.version));
        AppState {
            inner: Arc::new(Inner {
                config,
                calendar: std::sync::RwLock::new(Arc::new(calendar)),
                workspace: Arc::new(RwLock::new(workspace)),
                data_dir: data_dir.into(),
                clock,
                reports: crate::reports::ReportCache::default(),
                pages: crate::pagecache::PageCache::new(crate::pagecache::MAX_PAGES),
                trend: crate::trend::TrendCache::new(4),
                layers: crate::explore::LayerCache::default(),
                downloads,
                summary: std::sync::Mutex::new(None),
                sync: std::sync::OnceLock::new(),
                store_version,
                read_only: std::sync::atomic::AtomicBool::new(false),
                tables,
            }),
        }
    }

    /// Hands the pages the CRM connector (its status and "sync now"); only the first call counts.
    pub fn set_sync(&self, control: Arc<dyn crate::sync::SyncControl>) {
        let _ = self.inner.sync.set(control);
    }

    pub fn sync(&self) -> Option<&Arc<dyn crate::sync::SyncControl>> {
        self.inner.sync.get()
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn language(&self) -> Language {
        self.inner.config.business.language
    }

    /// The business calendar (zone, holidays) every date on a page is counted in.
    pub fn calendar(&self) -> Arc<BusinessCalendar> {
        self.inner.calendar.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Serves with `calendar` from now on (an official calendar imported by
    /// another process): every cached report and page is made again, since
    /// working days count in plans and run-rates.
    pub async fn replace_calendar(&self, calendar: BusinessCalendar) {
        *self.inner.calendar.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(calendar);
        let mut ws = self.inner.workspace.write().await;
        ws.version += 1;
        self.touch_all(ws.version);
    }

    fn touch_all(&self, version: u64) {
        *self.inner.tables.lock().unwrap_or_else(|p| p.into_inner()) = TableVersions::all_at(version);
        self.inner.reports.drop_all();
    }

    /// The latest workspace version at which any of `tables` changed: what a
    /// cached answer that read them is keyed by, so a change elsewhere keeps it.
    pub fn stamp(&self, tables: Tables) -> u64 {
        self.inner.tables.lock().unwrap_or_else(|p| p.into_inner()).stamp(tables)
    }

    /// How often the boards' index and query layer were built from every row
    /// and updated from a change set, and how many pages were rendered.
    pub fn index_counts(&self) -> IndexCounts {
        let (facts_built, facts_updated) = self.inner.reports.index_counts();
        let (layers_built, layers_updated) = self.inner.layers.counts();
        IndexCounts {
            facts_built,
            facts_updated,
            layers_built,
            layers_updated,
            pages_rendered: self.inner.pages.computed(),
            reports_computed: self.inner.reports.computed(),
        }
    }

    /// The data directory, shown on the home page so an operator sees which data is served.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Computed reports and their index, kept per workspace version.
    pub(crate) fn report_cache(&self) -> &crate::reports::ReportCache {
        &self.inner.reports
    }

    /// Rendered pages, kept per as-of minute and workspace version.
    pub(crate) fn pages(&self) -> &crate::pagecache::PageCache {
        &self.inner.pages
    }

    /// Built downloads and the builds going on (see [`crate::downloads`]).
    pub fn downloads(&self) -> &crate::downloads::Downloads {
        &self.inner.downloads
    }

    /// The hygiene trend's past days, kept per workspace version.
    pub(crate) fn trend_cache(&self) -> &crate::trend::TrendCache {
        &self.inner.trend
    }

    /// The query layer of the workspace version last asked about.
    pub(crate) fn layers(&self) -> &crate::explore::LayerCache {
        &self.inner.layers
    }

    /// What the workspace holds (record counts, the days its deals span), kept per version.
    pub async fn summary(&self) -> Arc<crate::summary::WorkspaceSummary> {
        let ws = self.workspace().await;
        let mut slot = self.inner.summary.lock().unwrap_or_else(|p| p.into_inner());
        match slot.as_ref() {
            Some(s) if s.version == ws.version => s.clone(),
            _ => {
                let fresh = Arc::new(crate::summary::WorkspaceSummary::of(&ws, &self.calendar()));
                *slot = Some(fresh.clone());
                fresh
            }
        }
    }

    /// The workspace version now (bumped by every applied batch).
    pub async fn version(&self) -> u64 {
        self.inner.workspace.read().await.version
    }

    /// The managers a page's filter offers: (id, name), active ones, by name.
    pub async fn managers(&self) -> Vec<(tsifra_core::Id, String)> {
        let ws = self.inner.workspace.read().await;
        let mut managers: Vec<_> = ws.users.iter().filter(|u| u.active).map(|u| (u.id, u.name.clone())).collect();
        managers.sort_by(|a, b| a.1.cmp(&b.1));
        managers
    }

    /// "Now" according to the injected clock.
    pub fn now(&self) -> Instant {
        (self.inner.clock)()
    }

    /// A read view of the workspace. The guard is owned (`'static`), so it can
    /// move into `spawn_blocking`; hold it only while computing, since a
    /// waiting [`AppState::apply_batch`] blocks new readers.
    pub async fn workspace(&self) -> OwnedRwLockReadGuard<Workspace> {
        self.inner.workspace.clone().read_owned().await
    }

    /// Applies a batch that has already been persisted to the in-memory
    /// workspace, so the next request sees it. Persisting first is the
    /// caller's job: the store is the source of truth after a restart.
    /// Returns the workspace version after the batch.
    ///
    /// What the batch changed updates the index and the query layer in place (in
    /// time proportional to the change); only the cached reports and pages that
    /// read a table it touched are made again, the rest are still served.
    pub async fn apply_batch(&self, batch: &Batch) -> u64 {
        let mut ws = self.inner.workspace.write().await;
        self.apply_held(&mut ws, batch)
    }

    /// Brings the served workspace up to the store's data version `version`
    /// with `batch`: what other processes wrote since [`AppState::store_version`],
    /// read from the store's change log. Applied as [`AppState::apply_batch`]
    /// applies (index, query layer and cached answers updated by what changed).
    ///
    /// `still_at` is awaited once the workspace is held for writing and says
    /// whether the store is still at `version`. If it moved on, a write of this
    /// process newer than `batch` may be in memory already (this process applies
    /// its writes after storing them), and `batch` would undo it: then nothing
    /// is applied and `false` returned, to read the changes again.
    pub async fn catch_up(&self, batch: &Batch, version: u64, still_at: impl std::future::Future<Output = bool>) -> bool {
        let mut ws = self.inner.workspace.write().await;
        if !still_at.await {
            return false;
        }
        self.apply_held(&mut ws, batch);
        self.inner.store_version.fetch_max(version, std::sync::atomic::Ordering::SeqCst);
        true
    }

    fn apply_held(&self, ws: &mut Workspace, batch: &Batch) -> u64 {
        let changes = ws.apply(batch);
        let touched = changes.tables();
        self.inner
            .tables
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .touch(touched, ws.version);
        let config = &self.inner.config;
        self.inner.reports.take_in(ws, config, &changes);
        self.inner.layers.take_in(ws, config, &changes);
        // Pages are not dropped here: one whose tables moved is keyed by a stamp
        // no longer asked for, and is still served while its new copy is made.
        ws.version
    }

    /// Swaps in a freshly loaded workspace (after a full reload from the store).
    /// The version never goes backwards, so caches keyed by it still notice the change.
    pub async fn replace_workspace(&self, mut workspace: Workspace) -> u64 {
        let mut ws = self.inner.workspace.write().await;
        self.inner
            .store_version
            .store(workspace.version, std::sync::atomic::Ordering::SeqCst);
        workspace.version = workspace.version.max(ws.version + 1);
        *ws = workspace;
        self.touch_all(ws.version);
        ws.version
    }

    /// Serves a store opened read-only (a full disk at start): pages carry [`AppState::store_warning`].
    pub fn set_read_only(&self, read_only: bool) {
        self.inner.read_only.store(read_only, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_read_only(&self) -> bool {
        self.inner.read_only.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The warning every page shows while the store is read-only, in the workspace's language.
    pub fn store_warning(&self) -> Option<&'static str> {
        self.is_read_only()
            .then(|| tsifra_core::i18n::text(self.language(), "store.read_only"))
    }

    /// The store's data version the served workspace reflects.
    pub fn store_version(&self) -> u64 {
        self.inner.store_version.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Says that this process wrote the store up to data version `version` and
    /// applied that batch in memory. Only a write right after the last one
    /// seen moves the mark: if another process wrote in between, the store
    /// stays ahead and the watcher reloads it.
    pub fn stored(&self, version: u64) {
        let _ = self.inner.store_version.compare_exchange(
            version.wrapping_sub(1),
            version,
            std::sync::atomic::Ordering::SeqCst,
            std::sync::atomic::Ordering::SeqCst,
        );
    }
}

/// See [`AppState::index_counts`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IndexCounts {
    pub facts_built: u64,
    pub facts_updated: u64,
    pub layers_built: u64,
    pub layers_updated: u64,
    pub pages_rendered: u64,
    pub reports_computed: u64,
}

impl std::fmt::Debug for AppState {
    // The clock is a closure and the workspace may be huge: show what identifies the state.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("language", &self.language())
            .field("time_zone", &self.calendar().tz())
            .field("data_dir", &self.inner.data_dir)
            .finish_non_exhaustive()
    }
}
