//! The amoCRM connector wired to the rest: the store as its `SyncStore`
//! (each page and its checkpoint in one transaction, then applied to the
//! loaded workspace so boards see it at once), the schedule `serve` runs, and
//! the webhook and "sync now" routes.

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::routing::post;
use tsifra_amocrm::{Client, Error as AmoError, LeaseTake, SyncEngine, SyncMode, SyncOptions, SyncReport, SyncStore, webhook};
use tsifra_core::Config;
use tsifra_core::model::{Batch, Deal, EntityKind, Id};
use tsifra_store::Store;
use tsifra_web::{AppState, SyncControl, SyncStatus};

/// The real store behind the connector, with the served workspace kept in step.
pub struct LiveSink {
    pub store: Store,
    pub state: AppState,
}

fn store_error(e: tsifra_store::StoreError) -> AmoError {
    AmoError::Store(e.to_string())
}

impl SyncStore for LiveSink {
    async fn checkpoint(&self, key: &str) -> tsifra_amocrm::Result<Option<String>> {
        Ok(self.store.checkpoint(key).await.map_err(store_error)?.filter(|v| !v.is_empty()))
    }

    async fn commit(&self, batch: &Batch, checkpoints: &[(String, String)]) -> tsifra_amocrm::Result<()> {
        // Stored first: after a crash the store is the truth the next start loads.
        let version = self
            .store
            .write_batch_with_checkpoints(batch, checkpoints)
            .await
            .map_err(store_error)?;
        self.state.apply_batch(batch).await;
        self.state.stored(version);
        Ok(())
    }

    async fn deals(&self, ids: &[Id]) -> tsifra_amocrm::Result<Vec<Deal>> {
        let ws = self.state.workspace().await;
        Ok(ids.iter().filter_map(|id| ws.deals.get(*id).cloned()).collect())
    }

    async fn dictionary_ids(&self) -> tsifra_amocrm::Result<Vec<(EntityKind, Id)>> {
        Ok(tsifra_amocrm::sync::dictionary_ids(&*self.state.workspace().await))
    }

    /// In the database every process of this data dir (or PostgreSQL) shares:
    /// `tsifra sync` and `tsifra serve` on one account take turns.
    async fn take_lease(&self, name: &str, holder: &str, ttl: Duration) -> tsifra_amocrm::Result<LeaseTake> {
        self.take_over_lease(name, holder, None, ttl).await
    }

    async fn take_over_lease(&self, name: &str, holder: &str, dead: Option<&str>, ttl: Duration) -> tsifra_amocrm::Result<LeaseTake> {
        Ok(
            match self.store.take_lease_over(name, holder, dead, ttl).await.map_err(store_error)? {
                tsifra_store::LeaseTake::Taken { quiet_for } => LeaseTake::Taken { quiet_for },
                tsifra_store::LeaseTake::Held { holder, expires_in } => LeaseTake::Held { holder, expires_in },
            },
        )
    }

    async fn release_lease(&self, name: &str, holder: &str) -> tsifra_amocrm::Result<()> {
        self.store.release_lease(name, holder).await.map_err(store_error)
    }
}

pub type Engine = SyncEngine<LiveSink>;

/// The sync engine for this config, or `None` when amoCRM is not configured.
pub fn engine(config: &Config, data_dir: &Path, store: Store, state: AppState) -> Result<Option<Arc<Engine>>> {
    if !config.amocrm.is_enabled() {
        return Ok(None);
    }
    let client = Client::from_config(&config.amocrm, data_dir)?;
    let options = SyncOptions::from_config(&config.amocrm, &config.business.currency, &config.fields);
    Ok(Some(Arc::new(SyncEngine::new(
        Arc::new(client),
        Arc::new(LiveSink { store, state }),
        options,
    ))))
}

#[derive(Clone)]
pub struct Connector {
    pub engine: Arc<Engine>,
    pub status: Arc<Mutex<SyncStatus>>,
    pub webhook_secret: tsifra_core::secret::Secret,
    pub webhooks: Arc<WebhookQueue>,
}

/// What webhooks named and nobody has re-read yet, bounded by `[server]
/// webhook_backlog`, and one worker's wake-up: a burst of webhooks is one
/// re-read of everything they name, never a task per webhook.
pub struct WebhookQueue {
    backlog: Mutex<webhook::Backlog>,
    wake: tokio::sync::Notify,
}

impl WebhookQueue {
    pub fn new(capacity: usize) -> WebhookQueue {
        WebhookQueue {
            backlog: Mutex::new(webhook::Backlog::new(capacity)),
            wake: tokio::sync::Notify::new(),
        }
    }

    /// Queues a webhook's changes for the worker; how many were dropped for want of room.
    pub fn push(&self, payload: webhook::Payload) -> usize {
        let dropped = self.backlog.lock().unwrap_or_else(|p| p.into_inner()).push(payload);
        self.wake.notify_one();
        dropped
    }

    fn take(&self) -> Option<(webhook::Payload, bool)> {
        self.backlog.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

impl Default for WebhookQueue {
    fn default() -> WebhookQueue {
        WebhookQueue::new(tsifra_core::config::ServerConfig::default().webhook_backlog)
    }
}

impl Connector {
    pub async fn run(&self, mode: SyncMode) -> Result<SyncReport, AmoError> {
        if !self.begin() {
            return Err(AmoError::AlreadyRunning);
        }
        self.run_begun(mode).await
    }

    /// Marks a run as started, or says one is running already: a button pressed
    /// during a scheduled run (or the other way round) joins it.
    fn begin(&self) -> bool {
        let mut s = self.status.lock().unwrap_or_else(|p| p.into_inner());
        if s.running {
            return false;
        }
        s.running = true;
        s.last_started = Some(chrono::Utc::now());
        true
    }

    /// The run itself, after [`Connector::begin`], and its outcome in the status.
    async fn run_begun(&self, mode: SyncMode) -> Result<SyncReport, AmoError> {
        let engine = self.engine.clone();
        self.finish(async move { engine.run(mode, &tsifra_amocrm::sync::no_progress).await })
            .await
    }

    /// Runs `work` (a run begun with [`Connector::begin`]) as a task of its own, so
    /// that a panic in it ends as a failed run with its message in the status,
    /// instead of leaving the status "running" for ever (every later run would
    /// join the dead one) and ending the schedule's loop.
    async fn finish(&self, work: impl Future<Output = Result<SyncReport, AmoError>> + Send + 'static) -> Result<SyncReport, AmoError> {
        let result = tokio::spawn(work).await.unwrap_or_else(|e| Err(e.into()));
        let mut s = self.status.lock().unwrap_or_else(|p| p.into_inner());
        s.running = false;
        s.last_finished = Some(chrono::Utc::now());
        match &result {
            Ok(r) => {
                s.last_outcome = Some("ok".into());
                s.last_records = r.records;
                s.bad_values = r.bad_values.clone();
                s.bad_value_count = r.bad_value_count;
                tracing::info!(
                    records = r.records,
                    deletions = r.deletions,
                    requests = r.requests,
                    ms = r.elapsed_ms,
                    "amoCRM sync done"
                );
            }
            Err(AmoError::AlreadyRunning) => s.last_outcome = Some("ok".into()),
            // Not a failure: the other process's run reads the account, and ours
            // comes at the next tick. Recorded so the home page says why none ran.
            Err(e @ AmoError::LeaseHeld { .. }) => {
                s.last_outcome = Some(format!("skipped: {e}"));
                tracing::info!(reason = %e, "amoCRM sync skipped: another process holds the account's lease");
            }
            // A bug: the home page says so in the workspace's language; its message is for the log.
            Err(e @ AmoError::Internal(detail)) => {
                s.last_outcome = Some(format!("{}{detail}", tsifra_web::sync::INTERNAL));
                tracing::error!(error = %e, "amoCRM sync failed");
            }
            Err(e) => {
                s.last_outcome = Some(e.to_string());
                tracing::warn!(error = %e, "amoCRM sync failed");
            }
        }
        result
    }

    /// Incremental runs on the cron schedule and a full reconcile nightly, in the business zone.
    pub fn spawn_schedule(&self, config: &Config) -> Result<()> {
        let cron = config
            .amocrm
            .sync_schedule()
            .map_err(|e| anyhow::anyhow!("amocrm.sync_every: {:?}: {e}", config.amocrm.sync_every))?;
        let tz = config.calendar().tz();
        let me = self.clone();
        tokio::spawn(async move {
            // A first run at start, so a server started after a pause catches up at once.
            let _ = me.run(SyncMode::Auto).await;
            loop {
                let now = chrono::Utc::now().with_timezone(&tz);
                let Ok(next) = cron.find_next_occurrence(&now, false) else { break };
                let wait = (next.with_timezone(&chrono::Utc) - chrono::Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO);
                tokio::time::sleep(wait).await;
                let _ = me.run(SyncMode::Auto).await;
            }
        });
        if let Some(at) = config.amocrm.nightly_reconcile_time() {
            let me = self.clone();
            tokio::spawn(async move {
                loop {
                    let now = chrono::Utc::now().with_timezone(&tz);
                    let today = now.date_naive().and_time(at);
                    let next = [today, today + chrono::Duration::days(1)]
                        .into_iter()
                        .filter_map(|t| t.and_local_timezone(tz).earliest())
                        .find(|t| *t > now)
                        .unwrap_or(now + chrono::Duration::days(1));
                    tokio::time::sleep((next - now).to_std().unwrap_or(Duration::from_secs(60))).await;
                    let _ = me.run(SyncMode::Full).await;
                }
            });
        }
        Ok(())
    }

    /// Re-reads what webhooks queued, one batch at a time; when the backlog
    /// overflowed, an incremental run reads what was dropped.
    pub fn spawn_webhook_worker(&self) {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                me.webhooks.wake.notified().await;
                let Some((payload, overflowed)) = me.webhooks.take() else {
                    continue;
                };
                if !payload.changes.is_empty() {
                    match me.engine.apply_webhook(&payload).await {
                        Ok(_) => {}
                        // Skipped rather than queued: the change is inside the next
                        // incremental run's window, which reaches back past the other
                        // process's run, so only its freshness waits.
                        Err(e @ AmoError::LeaseHeld { .. }) => {
                            tracing::info!(reason = %e, "amoCRM webhook re-read skipped: another process holds the account's lease; the next sync reads the change")
                        }
                        Err(e) => tracing::warn!(error = %e, "applying an amoCRM webhook failed"),
                    }
                }
                if overflowed {
                    tracing::warn!("the webhook backlog ([server] webhook_backlog) overflowed: an incremental sync reads the rest");
                    let _ = me.run(SyncMode::Auto).await;
                }
            }
        });
    }

    /// `POST /hooks/amocrm/{secret}`: amoCRM's webhooks. (The status and "sync now"
    /// are the web crate's `/api/sync` and `/sync`, through [`SyncControl`].)
    pub fn routes(&self) -> Router {
        Router::new().route("/hooks/amocrm/{secret}", post(hook)).with_state(self.clone())
    }
}

/// The body is taken unread, so a wrong secret is refused before a byte of it
/// arrives (a slow body to a guessed URL holds nothing); the server's body
/// limit and deadlines (`[server]`) bound reading the right one.
async fn hook(State(c): State<Connector>, UrlPath(secret): UrlPath<String>, body: axum::body::Body) -> StatusCode {
    if c.webhook_secret.is_empty() || !c.webhook_secret.matches(&secret) {
        return StatusCode::NOT_FOUND;
    }
    let body = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(body) => body,
        Err(e) => {
            tracing::warn!(error = %e, "amoCRM webhook body not read");
            let too_large = std::error::Error::source(&e).is_some_and(|s| s.to_string().contains("length limit"));
            return if too_large {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            };
        }
    };
    match webhook::parse(&body) {
        Err(e) => {
            // The body may hold client data: log its size, not its content.
            tracing::warn!(bytes = body.len(), error = %e, "malformed amoCRM webhook");
            StatusCode::BAD_REQUEST
        }
        Ok(payload) => {
            // amoCRM waits 2 s at most: answer now, the worker re-reads after.
            let dropped = c.webhooks.push(payload);
            if dropped > 0 {
                tracing::warn!(dropped, "webhook backlog full; the next sync reads these changes");
            }
            StatusCode::OK
        }
    }
}

impl SyncControl for Connector {
    fn status(&self) -> SyncStatus {
        self.status.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn sync_now(&self) {
        // Marked running before the answer goes out, so the page the button
        // redirects to already says so.
        if !self.begin() {
            return;
        }
        let me = self.clone();
        tokio::spawn(async move {
            let _ = me.run_begun(SyncMode::Auto).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use tsifra_amocrm::fake::{self, FakeOptions};

    use super::*;

    /// The button's run is marked started before `sync_now` returns (on one
    /// thread the spawned task cannot have begun), a second press joins it, and
    /// a failure is told in words without the token.
    #[tokio::test]
    async fn sync_now_is_running_before_the_answer_and_fails_without_the_token() {
        let crm = fake::start(tsifra_core::model::Workspace::default(), FakeOptions::default())
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.amocrm.base_url = crm.base_url();
        config.amocrm.long_lived_token = "wrong-token-1f2e3d".into();
        let store = crate::setup::open_store(&config, dir.path()).await.unwrap();
        let ws = store.load().await.unwrap();
        let state = AppState::with_clock(config.clone(), ws, dir.path(), tsifra_web::system_clock());
        let connector = Connector {
            engine: engine(&config, dir.path(), store, state).unwrap().expect("configured"),
            status: Default::default(),
            webhook_secret: Default::default(),
            webhooks: Default::default(),
        };
        assert_eq!(connector.status(), SyncStatus::default());

        connector.sync_now();
        let started = connector.status();
        assert!(started.running && started.last_started.is_some(), "{started:?}");
        connector.sync_now();
        assert_eq!(connector.status().last_started, started.last_started, "joined, not restarted");

        while connector.status().running {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let done = connector.status();
        let outcome = done.last_outcome.clone().expect("an outcome");
        assert_ne!(outcome, "ok", "{done:?}");
        assert!(!outcome.contains("wrong-token-1f2e3d"), "{outcome}");
        assert!(done.last_finished.is_some());
        crm.shutdown().await;
    }

    /// `tsifra sync` in another process holds the account's lease: `serve`'s
    /// scheduled run and a webhook re-read request nothing, and the status says
    /// the run was skipped and why.
    #[tokio::test]
    async fn a_scheduled_run_skips_while_another_process_holds_the_lease() {
        let crm = fake::start(tsifra_core::model::Workspace::default(), FakeOptions::default())
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.amocrm.base_url = crm.base_url();
        config.amocrm.long_lived_token = crm.options().long_lived_token.clone().unwrap().into();
        let store = crate::setup::open_store(&config, dir.path()).await.unwrap();
        // The other process, on its own connection to the same database.
        let other = crate::setup::open_store(&config, dir.path()).await.unwrap();
        let name = tsifra_amocrm::lease_name(&crm.base_url());
        other
            .take_lease(&name, "pid 4242 on elsewhere", Duration::from_secs(60))
            .await
            .unwrap();
        let ws = store.load().await.unwrap();
        let state = AppState::with_clock(config.clone(), ws, dir.path(), tsifra_web::system_clock());
        let connector = Connector {
            engine: engine(&config, dir.path(), store, state).unwrap().expect("configured"),
            status: Default::default(),
            webhook_secret: Default::default(),
            webhooks: Default::default(),
        };

        let err = connector.run(SyncMode::Auto).await.unwrap_err();
        assert!(matches!(err, AmoError::LeaseHeld { .. }), "{err}");
        let status = connector.status();
        assert!(!status.running);
        let outcome = status.last_outcome.expect("recorded");
        assert!(outcome.starts_with("skipped") && outcome.contains("pid 4242"), "{outcome}");
        let payload = webhook::parse(b"leads[status][0][id]=1&account[subdomain]=fake").unwrap();
        assert!(matches!(
            connector.engine.apply_webhook(&payload).await,
            Err(AmoError::LeaseHeld { .. })
        ));
        assert_eq!(crm.stats().requests, 0, "nothing requested");

        // Once the other process lets go, the next tick runs.
        other.release_lease(&name, "pid 4242 on elsewhere").await.unwrap();
        connector.run(SyncMode::Auto).await.unwrap();
        assert_eq!(connector.status().last_outcome.as_deref(), Some("ok"));
        crm.shutdown().await;
    }

    /// A bug that panics in the middle of a run (here in the progress callback,
    /// with the account's lease and the run lock held) ends as a failed run with
    /// its message on the home page; the next run is not joined to the dead one,
    /// takes the lease again and completes.
    #[tokio::test]
    async fn a_run_that_panics_is_a_failed_run_and_the_next_one_runs() {
        let crm = fake::start(tsifra_core::model::Workspace::default(), FakeOptions::default())
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.amocrm.base_url = crm.base_url();
        config.amocrm.long_lived_token = crm.options().long_lived_token.clone().unwrap().into();
        let store = crate::setup::open_store(&config, dir.path()).await.unwrap();
        let ws = store.load().await.unwrap();
        let state = AppState::with_clock(config.clone(), ws, dir.path(), tsifra_web::system_clock());
        let connector = Connector {
            engine: engine(&config, dir.path(), store, state).unwrap().expect("configured"),
            status: Default::default(),
            webhook_secret: Default::default(),
            webhooks: Default::default(),
        };
        fn explode(_: &tsifra_amocrm::sync::Progress) {
            panic!("a bug met mid-run");
        }

        assert!(connector.begin());
        let engine = connector.engine.clone();
        let err = connector
            .finish(async move { engine.run(SyncMode::Auto, &explode).await })
            .await
            .unwrap_err();
        assert!(matches!(err, AmoError::Internal(_)), "{err}");
        let status = connector.status();
        assert!(!status.running, "not running for ever: {status:?}");
        assert!(status.last_finished.is_some());
        let outcome = status.last_outcome.expect("an outcome");
        assert!(outcome.contains("a bug met mid-run"), "{outcome}");
        let panel = tsifra_web::sync::SyncPanel::new(tsifra_core::Language::Ru, &config.calendar(), &connector.status());
        assert_eq!(panel.state, "error");
        // The home page tells a Russian reader in Russian; the panic's own words go to the log.
        let error = panel.error.unwrap();
        assert!(error.starts_with("Синхронизация остановилась на внутренней ошибке"), "{error}");
        assert!(!error.contains("a bug met mid-run") && !error.contains("internal"), "{error}");
        let panel = tsifra_web::sync::SyncPanel::new(tsifra_core::Language::En, &config.calendar(), &connector.status());
        assert!(panel.error.unwrap().starts_with("The sync stopped on an internal error"));

        let report = connector.run(SyncMode::Auto).await.expect("the next run runs");
        assert!(report.records > 0, "{report:?}");
        assert_eq!(connector.status().last_outcome.as_deref(), Some("ok"));
        crm.shutdown().await;
    }
}
