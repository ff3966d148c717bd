//! The sync engine: a resumable first full load and incremental runs from
//! amoCRM into a [`SyncStore`]. Every page lands in one `commit` together with
//! its checkpoint, so a run killed at any point resumes at the page it stopped
//! at; everything is an upsert by id, so re-reading a page changes nothing.
//!
//! A run is: dictionaries (account, users, pipelines, loss reasons, field
//! definitions; every run), then deletions from the events feed (incremental
//! runs), companies, contacts, leads, tasks, notes (calls, e-mails, notes) and
//! the events feed (stage history, chats, calls). Checkpoint keys:
//! `amocrm.run` (the run in progress), `amocrm.phase.<phase>` (next page or
//! `done`) and `amocrm.watermark` (start of the last finished run).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Mutex as AsyncMutex;
use tsifra_core::config::FieldMapping;
use tsifra_core::model::{
    Activity, BadValue, Batch, Deal, EntityKind, EntityRef, FieldDef, Id, LossReason, Pipeline, ResponsibleChange, Team,
};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::map::{self, EventEffect, MapContext, StatusChange};
use crate::webhook::{Action, Change, Payload};
use crate::wire;

/// Where synced data lands. The real store implements this so that `commit`
/// writes the batch and the checkpoints in one transaction.
pub trait SyncStore: Send + Sync {
    /// The value saved under `key` by an earlier `commit`, if any.
    fn checkpoint(&self, key: &str) -> impl Future<Output = Result<Option<String>>> + Send;
    /// Applies `batch` (upserts, then deletions) and sets `checkpoints`, all or nothing.
    fn commit(&self, batch: &Batch, checkpoints: &[(String, String)]) -> impl Future<Output = Result<()>> + Send;
    /// The stored deals with these ids (missing ones are left out). Needed because
    /// a deal's stage history is assembled from events across runs: a re-read lead
    /// keeps its history, and new events extend it.
    fn deals(&self, ids: &[Id]) -> impl Future<Output = Result<Vec<Deal>>> + Send;
    /// The stored teams, pipelines, loss reasons and field definitions, so that
    /// the ones gone from the account are removed when the dictionaries are refreshed.
    fn dictionary_ids(&self) -> impl Future<Output = Result<Vec<(EntityKind, Id)>>> + Send;

    /// Takes the lease `name` (one per account, see [`lease_name`]) for `holder`
    /// for `ttl`, or renews it when `holder` has it. A store that several
    /// processes share makes this atomic across them; the default, for a store
    /// of one process, always grants it.
    fn take_lease(&self, name: &str, holder: &str, ttl: Duration) -> impl Future<Output = Result<LeaseTake>> + Send {
        let _ = (name, holder, ttl);
        async { Ok(LeaseTake::Taken { quiet_for: None }) }
    }

    /// [`SyncStore::take_lease`], also taking it from `dead`, a holder known to
    /// be gone (a killed process of this machine), without waiting for its expiry.
    fn take_over_lease(
        &self,
        name: &str,
        holder: &str,
        dead: Option<&str>,
        ttl: Duration,
    ) -> impl Future<Output = Result<LeaseTake>> + Send {
        let _ = (name, holder, dead, ttl);
        async { Ok(LeaseTake::Taken { quiet_for: None }) }
    }

    /// Lets go of the lease if `holder` has it, so the next process need not wait for its expiry.
    fn release_lease(&self, name: &str, holder: &str) -> impl Future<Output = Result<()>> + Send {
        let _ = (name, holder);
        async { Ok(()) }
    }
}

/// What [`SyncStore::take_lease`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseTake {
    /// The caller holds the lease. `quiet_for`: another process had it and
    /// stopped using the account this long ago (`None`: the caller had it last,
    /// or nobody); requests wait until a rate-limit window has passed since.
    Taken { quiet_for: Option<Duration> },
    /// Another process has it, for `expires_in` more unless it renews.
    Held { holder: String, expires_in: Duration },
}

/// The lease that guards an account's API: amoCRM limits requests per account,
/// so every process that syncs the account named by `base_url` takes this one.
pub fn lease_name(base_url: &str) -> String {
    format!("amocrm {}", base_url.trim().trim_end_matches('/'))
}

/// Who holds a lease: the machine, the process and this engine within it (tests
/// run several engines in one process), so a refusal can say who is syncing.
fn holder_id() -> String {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let host = host_name();
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    format!(
        "pid {} on {host}, #{}-{started:x}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Whether `holder` (as [`holder_id`] writes it) is a process of this machine
/// that no longer runs: killed (`kill -9`, a crash, the OOM killer) before it
/// could let go, so waiting for its lease to expire would only delay the next
/// sync. Only where `/proc` tells (Linux); elsewhere, and for other machines'
/// holders, the lease expires as usual.
fn holder_is_dead(holder: &str) -> bool {
    let Some((pid, rest)) = holder.strip_prefix("pid ").and_then(|h| h.split_once(" on ")) else {
        return false;
    };
    let Some((host, _)) = rest.split_once(", #") else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    host == host_name()
        && pid != std::process::id()
        && std::path::Path::new("/proc/self").exists()
        && !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// The dictionary records of `ws` that a refresh may remove (see [`SyncStore::dictionary_ids`]).
pub fn dictionary_ids(ws: &tsifra_core::model::Workspace) -> Vec<(EntityKind, Id)> {
    dictionary_keys(
        ws.teams.as_slice(),
        ws.pipelines.as_slice(),
        ws.loss_reasons.as_slice(),
        ws.field_defs.as_slice(),
    )
}

fn dictionary_keys(teams: &[Team], pipelines: &[Pipeline], reasons: &[LossReason], fields: &[FieldDef]) -> Vec<(EntityKind, Id)> {
    let teams = teams.iter().map(|t| (EntityKind::Team, t.id));
    let pipelines = pipelines.iter().map(|p| (EntityKind::Pipeline, p.id));
    let reasons = reasons.iter().map(|r| (EntityKind::LossReason, r.id));
    let fields = fields.iter().map(|f| (EntityKind::FieldDef, f.id));
    teams.chain(pipelines).chain(reasons).chain(fields).collect()
}

/// Which kind of run to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncMode {
    /// Resume an interrupted run; else a full load if there never was one; else incremental.
    Auto,
    /// A full reconcile (nightly): re-read everything. Resumes an interrupted full run.
    Full,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunKind {
    Full,
    Incremental,
}

#[derive(Clone, Debug)]
pub struct SyncOptions {
    /// Incremental runs re-read this far before the last watermark (eventual consistency).
    pub overlap: Duration,
    /// Records per list request (amoCRM's maximum is 250).
    pub page_size: u32,
    /// Events per request (the maximum is 100).
    pub events_page_size: u32,
    /// Currency when the account does not name one.
    pub default_currency: String,
    /// The config's `[fields]`: when `payment_due_date`, `paid_date` or `paid_amount` name
    /// deal fields, every won deal also lands as a payment (id = the deal's id) for receivables.
    pub field_mapping: FieldMapping,
    /// How long the account's lease lasts unless renewed (renewed every third of
    /// it): a killed process's lease is taken over this long after its last renewal.
    pub lease_ttl: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            overlap: Duration::from_secs(600),
            page_size: 250,
            events_page_size: 100,
            default_currency: "RUB".into(),
            field_mapping: FieldMapping::default(),
            lease_ttl: Duration::from_secs(60),
        }
    }
}

impl SyncOptions {
    /// Options from Tsifra's config: the `[amocrm]` section, the business currency and the `[fields]` mapping.
    pub fn from_config(config: &crate::config::AmocrmConfig, currency: &str, fields: &FieldMapping) -> Self {
        SyncOptions {
            overlap: Duration::from_secs(config.overlap_minutes as u64 * 60),
            default_currency: currency.to_string(),
            field_mapping: fields.clone(),
            ..SyncOptions::default()
        }
    }
}

/// Progress for bars: the phase (`companies`, `leads`, ...), records done in it,
/// the total when amoCRM says, and requests sent in the run so far.
#[derive(Clone, Debug)]
pub struct Progress<'a> {
    pub phase: &'a str,
    pub done: u64,
    pub total: Option<u64>,
    pub requests: u64,
    /// How far through the phase, 0 to 1, where it can be told: amoCRM gives no
    /// totals, but a full scan goes up by id and one request for the highest id
    /// says how far there is to go (see [`id_fraction`]). A resumed scan starts
    /// where it stopped, not at 0.
    pub fraction: Option<f64>,
}

/// How far a scan in id order has got: it started at `first`, has read up to
/// `last`, and the list's highest id is `top`. Ids grow with creation, so this
/// is the share of the records created between the two that have been read.
pub fn id_fraction(first: Id, last: Id, top: Id) -> Option<f64> {
    if last < first {
        return None;
    }
    // Past the top: records created since it was asked for; the scan is at the end.
    if last >= top {
        return Some(1.0);
    }
    Some((last - first) as f64 / (top - first) as f64)
}

pub type ProgressFn<'a> = &'a (dyn Fn(&Progress) + Send + Sync);

/// A progress callback that ignores everything.
pub fn no_progress(_: &Progress) {}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncReport {
    pub kind: RunKind,
    /// The run continued one that was interrupted.
    pub resumed: bool,
    /// The new watermark (Unix seconds): the instant the run started.
    pub watermark: i64,
    /// Distinct records the run stored (dictionaries included): a deal written
    /// by the leads scan and again with its stage history counts once.
    pub records: u64,
    pub deletions: u64,
    /// Requests that reached the wire during the run, retries included (see
    /// [`Client::requests_sent`]); a webhook re-read running meanwhile adds its own.
    pub requests: u64,
    pub elapsed_ms: u64,
    /// Records that did not parse and were skipped (see the log).
    pub skipped: u64,
    /// Values that could not be used (an amount beyond any sum of money), each
    /// with its record and field: stored as not filled. At most
    /// [`BAD_VALUES_KEPT`]; `bad_value_count` counts them all.
    pub bad_values: Vec<BadValue>,
    pub bad_value_count: u64,
    /// The account lacks API filtering: incremental lists were scanned newest-first instead.
    pub filter_fallback: bool,
}

/// What a webhook re-read did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebhookReport {
    pub upserted: u64,
    pub deleted: u64,
}

/// Bad values a run keeps to show; the rest are counted (and logged).
pub const BAD_VALUES_KEPT: usize = 100;
/// Records a webhook re-read asks for in one request (amoCRM's page limit) and commits at once.
pub const REREAD_BATCH: usize = 250;
/// Deals one events request may name in `filter[entity_id][]` (amoCRM allows 10).
const EVENT_IDS: usize = 10;

pub const KEY_RUN: &str = "amocrm.run";
pub const KEY_WATERMARK: &str = "amocrm.watermark";
const DONE: &str = "done";

fn phase_key(phase: &str) -> String {
    format!("amocrm.phase.{phase}")
}

const PHASES: &[&str] = &[
    "deletions",
    "companies",
    "contacts",
    "leads",
    "tasks",
    "notes_leads",
    "notes_contacts",
    "notes_companies",
    "events",
];

/// The run in progress, as saved under `amocrm.run`: `full|incremental:<start>:<from>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RunState {
    kind: RunKind,
    /// Unix seconds when the run began; the watermark it leaves.
    started: i64,
    /// Lower bound of the change windows (previous watermark minus the overlap); `None` on a first load.
    from: Option<i64>,
}

impl RunState {
    fn encode(&self) -> String {
        let kind = match self.kind {
            RunKind::Full => "full",
            RunKind::Incremental => "incremental",
        };
        format!("{kind}:{}:{}", self.started, self.from.map(|f| f.to_string()).unwrap_or_default())
    }
    fn decode(s: &str) -> Option<RunState> {
        let mut parts = s.split(':');
        let kind = match parts.next()? {
            "full" => RunKind::Full,
            "incremental" => RunKind::Incremental,
            _ => return None,
        };
        let started = parts.next()?.parse().ok()?;
        let from = parts.next().and_then(|f| f.parse().ok());
        Some(RunState { kind, started, from })
    }
    /// Lower bound for lists: everything on a full run.
    fn list_from(&self) -> Option<i64> {
        match self.kind {
            RunKind::Full => None,
            RunKind::Incremental => self.from,
        }
    }
}

/// Dictionaries of the current run, needed to map records.
#[derive(Clone, Debug)]
struct Dictionaries {
    ctx: MapContext,
    filter_enabled: bool,
}

/// Drives full and incremental syncs and webhook re-reads for one account.
/// Share it behind an `Arc`: runs are serialised, and webhook re-reads wait for a page in flight.
pub struct SyncEngine<S> {
    client: Arc<Client>,
    store: Arc<S>,
    options: SyncOptions,
    run_lock: AsyncMutex<()>,
    /// Held from reading stored deals to committing them, so a webhook and a page do not
    /// overwrite each other's history.
    write_lock: AsyncMutex<()>,
    dictionaries: AsyncMutex<Option<Dictionaries>>,
    /// This engine's name on the account's lease.
    holder: String,
    /// Runs and webhook re-reads under the lease now: the first takes it, the last lets go.
    lease_users: AtomicUsize,
    /// Taking and letting go of the lease, one at a time, so a re-read starting as
    /// a run ends never works on a lease just released.
    lease_gate: AsyncMutex<()>,
}

/// Per-run counters and state.
struct Run<'a> {
    state: RunState,
    progress: ProgressFn<'a>,
    landed: Landed,
    deletions: u64,
    skipped: u64,
    bad_values: Vec<BadValue>,
    bad_value_count: u64,
    filter_fallback: bool,
    /// Notes read in this run, so call events do not fetch them again.
    seen_notes: HashSet<Id>,
}

/// The records a run stored, by kind and id: the count a user reads is of
/// records, not of writes (a deal lands with its lead page and again with each
/// events page that extends its history).
#[derive(Default)]
struct Landed(HashMap<EntityKind, HashSet<Id>>);

impl Landed {
    fn note(&mut self, b: &Batch) {
        let mut add = |kind: EntityKind, ids: &mut dyn Iterator<Item = Id>| self.0.entry(kind).or_default().extend(ids);
        add(EntityKind::Team, &mut b.teams.iter().map(|r| r.id));
        add(EntityKind::User, &mut b.users.iter().map(|r| r.id));
        add(EntityKind::Pipeline, &mut b.pipelines.iter().map(|r| r.id));
        add(EntityKind::LossReason, &mut b.loss_reasons.iter().map(|r| r.id));
        add(EntityKind::FieldDef, &mut b.field_defs.iter().map(|r| r.id));
        add(EntityKind::Company, &mut b.companies.iter().map(|r| r.id));
        add(EntityKind::Contact, &mut b.contacts.iter().map(|r| r.id));
        add(EntityKind::Deal, &mut b.deals.iter().map(|r| r.id));
        add(EntityKind::Task, &mut b.tasks.iter().map(|r| r.id));
        add(EntityKind::Activity, &mut b.activities.iter().map(|r| r.id));
        add(EntityKind::Payment, &mut b.payments.iter().map(|r| r.id));
    }

    fn count(&self) -> u64 {
        self.0.values().map(|ids| ids.len() as u64).sum()
    }
}

fn q(k: &str, v: impl ToString) -> (String, String) {
    (k.to_string(), v.to_string())
}

/// Far enough in the future to bound a window that should be open-ended:
/// amoCRM has been seen to answer "no content" to a lone `[from]`.
const OPEN_END_S: i64 = 365 * 86_400;

impl<S: SyncStore> SyncEngine<S> {
    pub fn new(client: Arc<Client>, store: Arc<S>, options: SyncOptions) -> Self {
        SyncEngine {
            client,
            store,
            options,
            run_lock: AsyncMutex::new(()),
            write_lock: AsyncMutex::new(()),
            dictionaries: AsyncMutex::new(None),
            holder: holder_id(),
            lease_users: AtomicUsize::new(0),
            lease_gate: AsyncMutex::new(()),
        }
    }

    /// This engine's name on the account's lease.
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Runs `work` under the account's lease: taken first (or shared with the run
    /// or re-read of this engine that has it), renewed while `work` goes on, let
    /// go when the last user is done. Another process holding it is
    /// [`Error::LeaseHeld`] before any request; losing it stops `work`.
    async fn with_lease<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        let mut user = self.enter_lease().await?;
        let result = tokio::select! {
            r = work => r,
            lost = self.keep_lease() => Err(lost),
        };
        self.leave_lease(&mut user).await;
        result
    }

    async fn enter_lease(&self) -> Result<LeaseUser<'_>> {
        let _gate = self.lease_gate.lock().await;
        if self.lease_users.load(Ordering::SeqCst) == 0 {
            let name = lease_name(self.client.base_url());
            let mut taken = self.store.take_lease(&name, &self.holder, self.options.lease_ttl).await?;
            if let LeaseTake::Held { holder, .. } = &taken
                && holder_is_dead(holder)
            {
                tracing::info!(holder, "the process that held the sync lease is gone; taking it over");
                taken = self
                    .store
                    .take_over_lease(&name, &self.holder, Some(holder), self.options.lease_ttl)
                    .await?;
            }
            match taken {
                LeaseTake::Taken { quiet_for } => {
                    if let Some(q) = quiet_for {
                        self.client.wait_for_quiet(q);
                    }
                }
                LeaseTake::Held { holder, expires_in } => {
                    return Err(Error::LeaseHeld {
                        holder,
                        expires_in_s: expires_in.as_secs_f64().ceil() as u64,
                    });
                }
            }
        }
        self.lease_users.fetch_add(1, Ordering::SeqCst);
        Ok(LeaseUser {
            users: &self.lease_users,
            left: false,
        })
    }

    async fn leave_lease(&self, user: &mut LeaseUser<'_>) {
        let _gate = self.lease_gate.lock().await;
        user.left = true;
        if self.lease_users.fetch_sub(1, Ordering::SeqCst) == 1 {
            let name = lease_name(self.client.base_url());
            if let Err(e) = self.store.release_lease(&name, &self.holder).await {
                // It expires by itself; the next process only waits longer.
                tracing::warn!(error = %e, "could not release the amoCRM lease");
            }
        }
    }

    /// Renews the lease every third of its time until it cannot: returns why.
    /// A store that fails for a while is retried until the lease would lapse.
    async fn keep_lease(&self) -> Error {
        let ttl = self.options.lease_ttl;
        let name = lease_name(self.client.base_url());
        let mut valid_until = tokio::time::Instant::now() + ttl;
        loop {
            tokio::time::sleep(ttl / 3).await;
            let asked = tokio::time::Instant::now();
            match self.store.take_lease(&name, &self.holder, ttl).await {
                Ok(LeaseTake::Taken { quiet_for }) => {
                    if let Some(q) = quiet_for {
                        // It lapsed and someone else used the account meanwhile.
                        self.client.wait_for_quiet(q);
                    }
                    valid_until = asked + ttl;
                }
                Ok(LeaseTake::Held { holder, .. }) => return Error::LeaseLost(format!("{holder} took it over")),
                Err(e) if tokio::time::Instant::now() + ttl / 3 >= valid_until => {
                    return Error::LeaseLost(format!("it could not be renewed: {e}"));
                }
                Err(e) => tracing::warn!(error = %e, "could not renew the amoCRM lease; retrying"),
            }
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs a sync to the end (or to the first error, after which the next run resumes).
    /// [`Error::LeaseHeld`], before any request, when another process is syncing the account.
    pub async fn run(&self, mode: SyncMode, progress: ProgressFn<'_>) -> Result<SyncReport> {
        let _running = self.run_lock.try_lock().map_err(|_| Error::AlreadyRunning)?;
        self.with_lease(self.run_leased(mode, progress)).await
    }

    async fn run_leased(&self, mode: SyncMode, progress: ProgressFn<'_>) -> Result<SyncReport> {
        let started_at = std::time::Instant::now();
        let requests_before = self.client.requests_sent();
        let watermark = self.store.checkpoint(KEY_WATERMARK).await?.and_then(|w| w.parse::<i64>().ok());
        let saved = self.store.checkpoint(KEY_RUN).await?.and_then(|s| RunState::decode(&s));
        let (state, resumed) = match (saved, mode) {
            (Some(s), SyncMode::Auto) => (s, true),
            (Some(s), SyncMode::Full) if s.kind == RunKind::Full => (s, true),
            _ => {
                let kind = if mode == SyncMode::Full || watermark.is_none() {
                    RunKind::Full
                } else {
                    RunKind::Incremental
                };
                let state = RunState {
                    kind,
                    started: chrono::Utc::now().timestamp(),
                    from: watermark.map(|w| w - self.options.overlap.as_secs() as i64),
                };
                let mut checkpoints = vec![(KEY_RUN.to_string(), state.encode())];
                checkpoints.extend(PHASES.iter().map(|p| (phase_key(p), "1".to_string())));
                self.store.commit(&Batch::default(), &checkpoints).await?;
                (state, false)
            }
        };
        tracing::info!(kind = ?state.kind, resumed, "amoCRM sync started");
        let mut run = Run {
            state,
            progress,
            landed: Landed::default(),
            deletions: 0,
            skipped: 0,
            bad_values: Vec::new(),
            bad_value_count: 0,
            filter_fallback: false,
            seen_notes: HashSet::new(),
        };
        let dict = self.refresh_dictionaries(&mut run).await?;
        for &phase in PHASES {
            let Some(page) = self.phase_start(phase).await? else { continue };
            match phase {
                "deletions" => self.deletions(&mut run, &dict).await?,
                "leads" => {
                    let ctx = &dict.ctx;
                    let to_batch = |items: &[wire::Lead], stored: &HashMap<Id, Deal>| {
                        let deals = items.iter().map(|l| map::map_lead(l, ctx, stored.get(&l.id))).collect();
                        with_payments(Batch { deals, ..Batch::default() }, ctx)
                    };
                    self.parties(&mut run, &dict, phase, page, true, to_batch).await?
                }
                "contacts" => {
                    let to_batch = |items: &[wire::Contact], _: &HashMap<Id, Deal>| Batch {
                        contacts: items.iter().map(|c| map::map_contact(c, &dict.ctx)).collect(),
                        ..Batch::default()
                    };
                    self.parties(&mut run, &dict, phase, page, false, to_batch).await?
                }
                "companies" => {
                    let to_batch = |items: &[wire::Company], _: &HashMap<Id, Deal>| Batch {
                        companies: items.iter().map(|c| map::map_company(c, &dict.ctx)).collect(),
                        ..Batch::default()
                    };
                    self.parties(&mut run, &dict, phase, page, false, to_batch).await?
                }
                "tasks" => self.tasks(&mut run, &dict, page).await?,
                "notes_leads" | "notes_contacts" | "notes_companies" => self.notes(&mut run, phase, page).await?,
                "events" => self.events(&mut run, &dict, page).await?,
                _ => unreachable!("every phase is handled"),
            }
        }
        let checkpoints = [
            (KEY_WATERMARK.to_string(), state.started.to_string()),
            (KEY_RUN.to_string(), String::new()),
        ];
        self.store.commit(&Batch::default(), &checkpoints).await?;
        let report = SyncReport {
            kind: state.kind,
            resumed,
            watermark: state.started,
            records: run.landed.count(),
            deletions: run.deletions,
            requests: self.client.requests_sent() - requests_before,
            elapsed_ms: started_at.elapsed().as_millis() as u64,
            skipped: run.skipped,
            bad_values: run.bad_values,
            bad_value_count: run.bad_value_count,
            filter_fallback: run.filter_fallback,
        };
        tracing::info!(?report, "amoCRM sync finished");
        Ok(report)
    }

    /// The page to start a phase at, or `None` when it is done (or not part of this run).
    async fn phase_start(&self, phase: &str) -> Result<Option<u32>> {
        match self.store.checkpoint(&phase_key(phase)).await?.as_deref() {
            Some(DONE) => Ok(None),
            Some(page) => Ok(Some(page.parse().unwrap_or(1).max(1))),
            None => Ok(Some(1)),
        }
    }

    /// Reads every page of a small list (dictionaries).
    async fn all_pages<T: serde::de::DeserializeOwned>(&self, path: &str, query: &[(String, String)], limit: u32) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for page in 1.. {
            let mut qs = query.to_vec();
            qs.push(q("page", page));
            qs.push(q("limit", limit));
            let p = self.client.page::<T>(path, &qs).await?;
            let got = p.items.len();
            out.extend(p.items);
            if !p.has_next || got == 0 || page >= 1000 {
                break;
            }
        }
        Ok(out)
    }

    /// Fetches the dictionaries and commits them in one batch (every run: renamed
    /// stages, new users and fields show up without a full load).
    async fn refresh_dictionaries(&self, run: &mut Run<'_>) -> Result<Dictionaries> {
        // Seven small independent requests: in parallel, so amoCRM's latency is paid once.
        let account_query = [q("with", "users_groups,task_types,datetime_settings,is_api_filter_enabled")];
        let users_query = [q("with", "group")];
        let (account, users, pipelines, reasons, lead_fields, contact_fields, company_fields) = tokio::try_join!(
            self.client.one::<wire::Account>("/api/v4/account", &account_query),
            self.all_pages::<wire::User>("/api/v4/users", &users_query, 250),
            self.all_pages::<wire::Pipeline>("/api/v4/leads/pipelines", &[], 250),
            self.all_pages::<wire::LossReason>("/api/v4/leads/loss_reasons", &[], 250),
            self.all_pages::<wire::CustomField>("/api/v4/leads/custom_fields", &[], 250),
            self.all_pages::<wire::CustomField>("/api/v4/contacts/custom_fields", &[], 250),
            self.all_pages::<wire::CustomField>("/api/v4/companies/custom_fields", &[], 250),
        )?;
        let account = account.ok_or_else(|| Error::Api {
            status: 204,
            path: "/api/v4/account".into(),
            detail: "the account endpoint answered with no content".into(),
        })?;
        let mut ctx = MapContext::new(self.client.base_url());
        ctx.default_currency = self.options.default_currency.clone();
        ctx.tz = map::account_tz(&account);
        ctx.task_types = map::task_kinds(&account);
        let (acc, teams) = map::map_account(&account, &ctx);
        let mut defs: Vec<FieldDef> = Vec::new();
        for (fields, kind) in [
            (lead_fields, EntityKind::Deal),
            (contact_fields, EntityKind::Contact),
            (company_fields, EntityKind::Company),
        ] {
            defs.extend(fields.iter().map(|f| map::map_field_def(f, kind)));
        }
        ctx = ctx.with_field_defs(defs.iter().cloned());
        ctx.payment_fields = map::PaymentFields::resolve(&self.options.field_mapping, &defs);
        let mut batch = Batch {
            account: Some(acc),
            teams,
            users: users.iter().map(map::map_user).collect(),
            pipelines: pipelines.iter().map(map::map_pipeline).collect(),
            loss_reasons: reasons.iter().map(map::map_loss_reason).collect(),
            field_defs: defs,
            ..Batch::default()
        };
        // Groups, pipelines, loss reasons and fields deleted in the account go here
        // too. Users stay: past deals still name the manager who worked them.
        let listed: HashSet<(EntityKind, Id)> = dictionary_keys(&batch.teams, &batch.pipelines, &batch.loss_reasons, &batch.field_defs)
            .into_iter()
            .collect();
        batch.deletions = self
            .store
            .dictionary_ids()
            .await?
            .into_iter()
            .filter(|k| !listed.contains(k))
            .collect();
        let n = (batch.teams.len() + batch.users.len() + batch.pipelines.len() + batch.loss_reasons.len() + batch.field_defs.len()) as u64;
        self.store.commit(&batch, &[]).await?;
        run.landed.note(&batch);
        (run.progress)(&Progress {
            phase: "dictionaries",
            done: n,
            total: Some(n),
            requests: self.client.requests_sent(),
            fraction: None,
        });
        let dict = Dictionaries {
            ctx,
            filter_enabled: account.is_api_filter_enabled.unwrap_or(true),
        };
        *self.dictionaries.lock().await = Some(dict.clone());
        Ok(dict)
    }

    /// The dictionaries of the last run, fetched now if there was none (webhooks before any sync).
    async fn current_dictionaries(&self) -> Result<Dictionaries> {
        if let Some(d) = self.dictionaries.lock().await.clone() {
            return Ok(d);
        }
        let noop = no_progress;
        let mut run = Run {
            state: RunState {
                kind: RunKind::Incremental,
                started: 0,
                from: None,
            },
            progress: &noop,
            landed: Landed::default(),
            deletions: 0,
            skipped: 0,
            bad_values: Vec::new(),
            bad_value_count: 0,
            filter_fallback: false,
            seen_notes: HashSet::new(),
        };
        self.refresh_dictionaries(&mut run).await
    }

    /// Deletions since the last run, from the events feed: all of the window is read
    /// first, because a restore after a deletion must win whatever page order says.
    async fn deletions(&self, run: &mut Run<'_>, dict: &Dictionaries) -> Result<()> {
        let Some(from) = run.state.from else {
            // First load: the lists read after the run began already leave deleted records out.
            return self.store.commit(&Batch::default(), &[(phase_key("deletions"), DONE.into())]).await;
        };
        let mut query = vec![q("filter[created_at][from]", from), q("filter[created_at][to]", run.state.started)];
        query.extend(map::DELETION_EVENT_TYPES.iter().map(|t| q("filter[type][]", t)));
        let events: Vec<wire::Event> = self
            .all_pages("/api/v4/events", &query, self.options.events_page_size.min(100))
            .await?;
        let mut last: HashMap<(EntityKind, Id), (chrono::DateTime<chrono::Utc>, bool)> = HashMap::new();
        for e in &events {
            let (kind, id, at, deleted) = match map::map_event(e) {
                EventEffect::Deleted { kind, id, at } => (kind, id, at, true),
                EventEffect::Restored { kind, id, at } => (kind, id, at, false),
                _ => continue,
            };
            let entry = last.entry((kind, id)).or_insert((at, deleted));
            if at >= entry.0 {
                *entry = (at, deleted);
            }
        }
        let mut batch = Batch::default();
        let mut restored = Vec::new();
        for ((kind, id), (_, deleted)) in last {
            if deleted {
                batch.deletions.push((kind, id));
            } else {
                restored.push((kind, id));
            }
        }
        let _w = self.write_lock.lock().await;
        for (kind, id) in restored {
            self.reread(&mut batch, dict, kind, id).await?;
        }
        let mut batch = with_payments(batch, &dict.ctx);
        batch.deletions.sort();
        run.deletions += batch.deletions.len() as u64;
        self.store.commit(&batch, &[(phase_key("deletions"), DONE.into())]).await?;
        run.landed.note(&batch);
        (run.progress)(&Progress {
            phase: "deletions",
            done: batch.deletions.len() as u64,
            total: None,
            requests: self.client.requests_sent(),
            fraction: None,
        });
        Ok(())
    }

    /// Companies, contacts or leads: a full scan by id, or the changes since the
    /// watermark (filtered by `updated_at`, or newest-first down to the watermark
    /// where the account lacks API filtering). `to_batch` maps a page, given the
    /// stored deals of its ids when `needs_deals` (leads keep their stage history).
    async fn parties<T: Listed>(
        &self,
        run: &mut Run<'_>,
        dict: &Dictionaries,
        phase: &str,
        mut page: u32,
        needs_deals: bool,
        to_batch: impl Fn(&[T], &HashMap<Id, Deal>) -> Batch,
    ) -> Result<()> {
        let path = format!("/api/v4/{phase}");
        let from = run.state.list_from();
        let mut filtered = dict.filter_enabled;
        let mut done = 0u64;
        let (top, mut first_id) = match from {
            None => self.id_span::<T>(&path, &[], page, Listed::id).await,
            Some(_) => (None, None),
        };
        'scan: loop {
            let mut query = Vec::new();
            if phase == "leads" {
                query.push(q("with", "contacts,loss_reason,source"));
            }
            match (from, filtered) {
                (None, _) => query.push(q("order[id]", "asc")),
                (Some(f), true) => {
                    // Ordered by id, the filtered set does not shift when a record in it is updated.
                    query.push(q("filter[updated_at][from]", f));
                    query.push(q("filter[updated_at][to]", run.state.started + OPEN_END_S));
                    query.push(q("order[id]", "asc"));
                }
                (Some(_), false) => query.push(q("order[updated_at]", "desc")),
            }
            let mut pager = Pager::<T>::new(self.client.clone(), &path, query, page, self.options.page_size.clamp(1, 250));
            while let Some((n, p)) = pager.next().await? {
                let updated: Vec<i64> = p.items.iter().filter_map(Listed::updated_at).collect();
                if from.is_some() && filtered && out_of_window(&updated, from) {
                    // The account ignores filters (no paid package): scan newest-first instead.
                    tracing::warn!(phase, "amoCRM ignored filter[updated_at]; falling back to ordered scans");
                    filtered = false;
                    page = 1;
                    run.filter_fallback = true;
                    continue 'scan;
                }
                let reached_watermark = match (from, filtered) {
                    (Some(f), false) => updated.iter().min().is_some_and(|&m| m < f),
                    _ => false,
                };
                let next = if reached_watermark {
                    DONE.to_string()
                } else {
                    next_checkpoint(p.has_next, p.items.len(), n)
                };
                let batch = {
                    let _w = self.write_lock.lock().await;
                    let stored: HashMap<Id, Deal> = if needs_deals {
                        let ids: Vec<Id> = p.items.iter().map(Listed::id).collect();
                        self.store.deals(&ids).await?.into_iter().map(|d| (d.id, d)).collect()
                    } else {
                        HashMap::new()
                    };
                    let batch = to_batch(&p.items, &stored);
                    self.store.commit(&batch, &[(phase_key(phase), next.clone())]).await?;
                    batch
                };
                if from.is_some() && !filtered {
                    run.filter_fallback = true;
                }
                run.skipped += p.skipped as u64;
                for item in &p.items {
                    run.note_bad_values(item.bad_values(phase, &dict.ctx));
                }
                run.landed.note(&batch);
                done += p.items.len() as u64;
                let first = *first_id.get_or_insert_with(|| p.items.first().map_or(0, Listed::id));
                let last = p.items.last().map(Listed::id);
                (run.progress)(&Progress {
                    phase,
                    done,
                    total: p.total_items.filter(|_| from.is_none()),
                    requests: self.client.requests_sent(),
                    fraction: top.zip(last).and_then(|(top, last)| id_fraction(first, last, top)),
                });
                if next == DONE {
                    break;
                }
            }
            return Ok(());
        }
    }

    /// For a full scan starting at `page`: the list's highest id and, when the
    /// scan resumes past its first page, its lowest (a page of one in each
    /// order, each a request under the rate limit), so [`id_fraction`] tells how
    /// far the whole list has got. A fresh scan's first page shows the lowest.
    /// `None`s for an empty list or an unusable answer: an estimate never stops a sync.
    async fn id_span<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        filters: &[(String, String)],
        page: u32,
        id: impl Fn(&T) -> Id,
    ) -> (Option<Id>, Option<Id>) {
        let top = self.edge_id(path, filters, "desc", &id).await;
        let bottom = match top {
            Some(_) if page > 1 => self.edge_id(path, filters, "asc", &id).await,
            _ => None,
        };
        (top, bottom)
    }

    /// The first id of a list in `order[id]=<direction>`.
    async fn edge_id<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        filters: &[(String, String)],
        direction: &str,
        id: &impl Fn(&T) -> Id,
    ) -> Option<Id> {
        let mut query = filters.to_vec();
        query.extend([q("order[id]", direction), q("page", 1), q("limit", 1)]);
        match self.client.page::<T>(path, &query).await {
            Ok(page) => page.items.first().map(id),
            Err(e) => {
                tracing::debug!(path, direction, error = %e, "no edge id for the progress estimate");
                None
            }
        }
    }

    async fn tasks(&self, run: &mut Run<'_>, dict: &Dictionaries, page: u32) -> Result<()> {
        let mut query = vec![q("order[id]", "asc")];
        if let Some(f) = run.state.list_from() {
            // Tasks have their own documented updated_at filter (not the paid package).
            query.push(q("filter[updated_at][from]", f));
            query.push(q("filter[updated_at][to]", run.state.started + OPEN_END_S));
        }
        let (top, mut first_id) = match run.state.list_from() {
            None => self.id_span("/api/v4/tasks", &[], page, |t: &wire::Task| t.id).await,
            Some(_) => (None, None),
        };
        let mut pager = Pager::<wire::Task>::new(
            self.client.clone(),
            "/api/v4/tasks",
            query,
            page,
            self.options.page_size.clamp(1, 250),
        );
        let mut done = 0u64;
        while let Some((n, p)) = pager.next().await? {
            let batch = Batch {
                tasks: p.items.iter().map(|t| map::map_task(t, &dict.ctx)).collect(),
                ..Batch::default()
            };
            let next = next_checkpoint(p.has_next, p.items.len(), n);
            self.store.commit(&batch, &[(phase_key("tasks"), next)]).await?;
            run.skipped += p.skipped as u64;
            run.landed.note(&batch);
            done += p.items.len() as u64;
            let first = *first_id.get_or_insert_with(|| p.items.first().map_or(0, |t| t.id));
            (run.progress)(&Progress {
                phase: "tasks",
                done,
                total: p.total_items,
                requests: self.client.requests_sent(),
                fraction: top.zip(p.items.last()).and_then(|(top, last)| id_fraction(first, last.id, top)),
            });
        }
        Ok(())
    }

    async fn notes(&self, run: &mut Run<'_>, phase: &str, page: u32) -> Result<()> {
        let (path, kind) = match phase {
            "notes_leads" => ("/api/v4/leads/notes", EntityKind::Deal),
            "notes_contacts" => ("/api/v4/contacts/notes", EntityKind::Contact),
            _ => ("/api/v4/companies/notes", EntityKind::Company),
        };
        let types: Vec<(String, String)> = NOTE_TYPES.iter().map(|t| q("filter[note_type][]", t)).collect();
        let (top, mut first_id) = match run.state.list_from() {
            None => self.id_span(path, &types, page, |n: &wire::Note| n.id).await,
            Some(_) => (None, None),
        };
        let mut query = vec![q("order[id]", "asc")];
        query.extend(types);
        if let Some(f) = run.state.list_from() {
            query.push(q("filter[updated_at][from]", f));
            query.push(q("filter[updated_at][to]", run.state.started + OPEN_END_S));
        }
        let mut pager = Pager::<wire::Note>::new(self.client.clone(), path, query, page, self.options.page_size.clamp(1, 250));
        let mut done = 0u64;
        while let Some((n, p)) = pager.next().await? {
            let activities: Vec<Activity> = p.items.iter().filter_map(|note| map::map_note(note, kind)).collect();
            run.seen_notes.extend(p.items.iter().map(|note| note.id));
            let batch = Batch {
                activities,
                ..Batch::default()
            };
            let next = next_checkpoint(p.has_next, p.items.len(), n);
            self.store.commit(&batch, &[(phase_key(phase), next)]).await?;
            run.skipped += p.skipped as u64;
            run.landed.note(&batch);
            done += p.items.len() as u64;
            let first = *first_id.get_or_insert_with(|| p.items.first().map_or(0, |n| n.id));
            (run.progress)(&Progress {
                phase,
                done,
                total: p.total_items,
                requests: self.client.requests_sent(),
                fraction: top.zip(p.items.last()).and_then(|(top, last)| id_fraction(first, last.id, top)),
            });
        }
        Ok(())
    }

    /// The events feed over [from, run start): stage moves into deal histories,
    /// chat messages as activities, call events' notes when the notes scan missed them.
    async fn events(&self, run: &mut Run<'_>, dict: &Dictionaries, page: u32) -> Result<()> {
        let mut query = vec![
            q("filter[created_at][from]", run.state.list_from().unwrap_or(0)),
            q("filter[created_at][to]", run.state.started),
        ];
        // A full load reads every note already; call events would only point at them again.
        let types = map::HISTORY_EVENT_TYPES
            .iter()
            .filter(|t| run.state.kind == RunKind::Incremental || !t.ends_with("_call"));
        query.extend(types.map(|t| q("filter[type][]", t)));
        let mut pager = Pager::<wire::Event>::new(
            self.client.clone(),
            "/api/v4/events",
            query,
            page,
            self.options.events_page_size.clamp(1, 100),
        );
        let mut done = 0u64;
        while let Some((n, p)) = pager.next().await? {
            let mut changes: HashMap<Id, Vec<StatusChange>> = HashMap::new();
            let mut handovers: HashMap<Id, Vec<ResponsibleChange>> = HashMap::new();
            let mut batch = Batch::default();
            let mut calls: Vec<(EntityRef, Id)> = Vec::new();
            for e in &p.items {
                match map::map_event(e) {
                    EventEffect::StatusChange(c) => changes.entry(c.deal_id).or_default().push(c),
                    EventEffect::ResponsibleChange { deal_id, change } => handovers.entry(deal_id).or_default().push(change),
                    EventEffect::Activity(a) => batch.activities.push(a),
                    EventEffect::CallNote { entity, note_id } if !run.seen_notes.contains(&note_id) => calls.push((entity, note_id)),
                    _ => {}
                }
            }
            for (entity, note_id) in calls {
                if let Some(a) = self.read_note(entity, note_id).await? {
                    run.seen_notes.insert(note_id);
                    batch.activities.push(a);
                }
            }
            let next = next_checkpoint(p.has_next, p.items.len(), n);
            let batch = {
                let _w = self.write_lock.lock().await;
                if !changes.is_empty() || !handovers.is_empty() {
                    let mut ids: Vec<Id> = changes.keys().chain(handovers.keys()).copied().collect();
                    ids.sort_unstable();
                    ids.dedup();
                    for mut deal in self.store.deals(&ids).await? {
                        let id = deal.id;
                        map::merge_history(&mut deal, changes.get(&id).map_or(&[], Vec::as_slice));
                        map::merge_responsible(&mut deal, handovers.get(&id).map_or(&[], Vec::as_slice));
                        batch.deals.push(deal);
                    }
                }
                let batch = with_payments(batch, &dict.ctx);
                self.store.commit(&batch, &[(phase_key("events"), next)]).await?;
                batch
            };
            run.skipped += p.skipped as u64;
            run.landed.note(&batch);
            done += p.items.len() as u64;
            (run.progress)(&Progress {
                phase: "events",
                done,
                total: p.total_items,
                requests: self.client.requests_sent(),
                fraction: None,
            });
        }
        Ok(())
    }

    async fn read_note(&self, entity: EntityRef, note_id: Id) -> Result<Option<Activity>> {
        let Some(path) = map::entity_path(entity.kind()) else {
            return Ok(None);
        };
        let note: Option<wire::Note> = self
            .client
            .one(&format!("/api/v4/{path}/{}/notes/{note_id}", entity.id()), &[])
            .await?;
        Ok(note.and_then(|n| map::map_note(&n, entity.kind())))
    }

    /// Re-reads one deal, contact, company or task by id into `batch`: an upsert when
    /// it exists, a deletion when amoCRM no longer has it. Deals get their full stage
    /// history from the events feed. Call with `write_lock` held.
    async fn reread(&self, batch: &mut Batch, dict: &Dictionaries, kind: EntityKind, id: Id) -> Result<()> {
        match kind {
            EntityKind::Deal => {
                let lead: Option<wire::Lead> = self
                    .client
                    .one(&format!("/api/v4/leads/{id}"), &[q("with", "contacts,loss_reason,source")])
                    .await?;
                match lead.filter(|l| !l.is_deleted) {
                    None => batch.deletions.push((kind, id)),
                    Some(lead) => {
                        let stored = self.store.deals(&[id]).await?.into_iter().next();
                        map::lead_bad_values(&lead, &dict.ctx).iter().for_each(log_bad_value);
                        let mut deal = map::map_lead(&lead, &dict.ctx, stored.as_ref());
                        let query = vec![
                            q("filter[entity][]", "lead"),
                            q("filter[entity_id][]", id),
                            q("filter[type][]", "lead_status_changed"),
                            q("filter[type][]", "entity_responsible_changed"),
                        ];
                        let events: Vec<wire::Event> = self.all_pages("/api/v4/events", &query, 100).await?;
                        let mut changes: Vec<StatusChange> = Vec::new();
                        let mut handovers: Vec<ResponsibleChange> = Vec::new();
                        for e in &events {
                            match map::map_event(e) {
                                EventEffect::StatusChange(c) if c.deal_id == id => changes.push(c),
                                EventEffect::ResponsibleChange { deal_id, change } if deal_id == id => handovers.push(change),
                                _ => {}
                            }
                        }
                        map::merge_history(&mut deal, &changes);
                        map::merge_responsible(&mut deal, &handovers);
                        batch.deals.push(deal);
                    }
                }
            }
            EntityKind::Contact | EntityKind::Company => {
                let path = if kind == EntityKind::Contact { "contacts" } else { "companies" };
                let found: Option<wire::Contact> = self.client.one(&format!("/api/v4/{path}/{id}"), &[]).await?;
                match found.filter(|c| !c.is_deleted) {
                    None => batch.deletions.push((kind, id)),
                    Some(c) => {
                        map::party_bad_values(kind, &c, &dict.ctx).iter().for_each(log_bad_value);
                        match kind {
                            EntityKind::Contact => batch.contacts.push(map::map_contact(&c, &dict.ctx)),
                            _ => batch.companies.push(map::map_company(&c, &dict.ctx)),
                        }
                    }
                }
            }
            EntityKind::Task => {
                let found: Option<wire::Task> = self.client.one(&format!("/api/v4/tasks/{id}"), &[]).await?;
                match found {
                    None => batch.deletions.push((kind, id)),
                    Some(t) => batch.tasks.push(map::map_task(&t, &dict.ctx)),
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Re-reads what a webhook names and commits it in one batch. Answer amoCRM's
    /// POST first (it waits 2 s at most) and run this afterwards. Under the
    /// account's lease like a run (a run of this engine shares it): while another
    /// process syncs the account this is [`Error::LeaseHeld`] and requests nothing;
    /// the next incremental run reads the change anyway, its window reaching
    /// back past the other process's run.
    pub async fn apply_webhook(&self, payload: &Payload) -> Result<WebhookReport> {
        self.with_lease(self.apply_webhook_leased(payload)).await
    }

    async fn apply_webhook_leased(&self, payload: &Payload) -> Result<WebhookReport> {
        let dict = self.current_dictionaries().await?;
        let mut report = WebhookReport::default();
        let mut notes = Vec::new();
        let mut ids: HashMap<EntityKind, Vec<Id>> = HashMap::new();
        for change in payload.unique_targets() {
            match (change.kind, change.parent) {
                (EntityKind::Activity, Some(_)) => notes.push(change),
                (kind @ (EntityKind::Deal | EntityKind::Contact | EntityKind::Company | EntityKind::Task), _) => {
                    ids.entry(kind).or_default().push(change.id)
                }
                _ => {}
            }
        }
        // Requests go out with no lock held; each batch of 250 is then committed
        // under the write lock alone, so a sync's pages interleave with a long re-read.
        let mut by_parent: HashMap<EntityKind, Vec<Change>> = HashMap::new();
        for change in notes {
            if let Some(parent) = change.parent {
                by_parent.entry(parent.kind()).or_default().push(change);
            }
        }
        for (kind, notes) in by_parent {
            for chunk in notes.chunks(REREAD_BATCH) {
                let found = self.notes_by_ids(kind, chunk).await?;
                let mut batch = Batch::default();
                for change in chunk {
                    match found.get(&change.id) {
                        Some(a) => batch.activities.push(*a),
                        None if change.action == Action::Delete => batch.deletions.push((EntityKind::Activity, change.id)),
                        None => {}
                    }
                }
                let _w = self.write_lock.lock().await;
                self.land_reread(batch, &dict, &mut report).await?;
            }
        }
        for kind in [EntityKind::Company, EntityKind::Contact, EntityKind::Task] {
            let path = match kind {
                EntityKind::Company => "/api/v4/companies",
                EntityKind::Contact => "/api/v4/contacts",
                _ => "/api/v4/tasks",
            };
            // Tasks have a documented filter[id]; contacts and companies only with the filter package.
            let filtered = kind == EntityKind::Task || dict.filter_enabled;
            for chunk in ids.remove(&kind).unwrap_or_default().chunks(REREAD_BATCH) {
                let mut batch = Batch::default();
                if kind == EntityKind::Task {
                    let found = self
                        .fetch_by_ids::<wire::Task>(path, chunk, &[], filtered, |t| t.id, |_| true)
                        .await?;
                    for &id in chunk {
                        match found.get(&id) {
                            Some(t) => batch.tasks.push(map::map_task(t, &dict.ctx)),
                            None => batch.deletions.push((kind, id)),
                        }
                    }
                } else {
                    let found = self
                        .fetch_by_ids::<wire::Contact>(path, chunk, &[], filtered, |c| c.id, |c| !c.is_deleted)
                        .await?;
                    for &id in chunk {
                        match found.get(&id) {
                            Some(c) if kind == EntityKind::Contact => batch.contacts.push(map::map_contact(c, &dict.ctx)),
                            Some(c) => batch.companies.push(map::map_company(c, &dict.ctx)),
                            None => batch.deletions.push((kind, id)),
                        }
                    }
                }
                let _w = self.write_lock.lock().await;
                self.land_reread(batch, &dict, &mut report).await?;
            }
        }
        let deals = ids.remove(&EntityKind::Deal).unwrap_or_default();
        if !deals.is_empty() {
            let (changes, handovers) = self.histories(&deals).await?;
            let with = [q("with", "contacts,loss_reason,source")];
            for chunk in deals.chunks(REREAD_BATCH) {
                let found = self
                    .fetch_by_ids::<wire::Lead>("/api/v4/leads", chunk, &with, dict.filter_enabled, |l| l.id, |l| !l.is_deleted)
                    .await?;
                let _w = self.write_lock.lock().await;
                let stored: HashMap<Id, Deal> = self.store.deals(chunk).await?.into_iter().map(|d| (d.id, d)).collect();
                let mut batch = Batch::default();
                for &id in chunk {
                    match found.get(&id) {
                        None => batch.deletions.push((EntityKind::Deal, id)),
                        Some(lead) => {
                            let mut deal = map::map_lead(lead, &dict.ctx, stored.get(&id));
                            map::merge_history(&mut deal, changes.get(&id).map_or(&[], Vec::as_slice));
                            map::merge_responsible(&mut deal, handovers.get(&id).map_or(&[], Vec::as_slice));
                            batch.deals.push(deal);
                        }
                    }
                }
                self.land_reread(batch, &dict, &mut report).await?;
            }
        }
        Ok(report)
    }

    /// Commits one batch of a webhook re-read and counts it. Call with `write_lock` held.
    async fn land_reread(&self, batch: Batch, dict: &Dictionaries, report: &mut WebhookReport) -> Result<()> {
        let batch = with_payments(batch, &dict.ctx);
        report.upserted += batch_records(&batch);
        report.deleted += batch.deletions.len() as u64;
        if !batch.is_empty() {
            self.store.commit(&batch, &[]).await?;
        }
        Ok(())
    }

    /// The records of `ids` (at most [`REREAD_BATCH`]) that exist and are `live`,
    /// by id: one `filter[id][]` request when `filtered`, else (or when the account
    /// ignored the filter: a record not asked for, or a next page) one request per id.
    async fn fetch_by_ids<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        ids: &[Id],
        extra: &[(String, String)],
        filtered: bool,
        id_of: impl Fn(&T) -> Id,
        live: impl Fn(&T) -> bool,
    ) -> Result<HashMap<Id, T>> {
        debug_assert!(ids.len() <= REREAD_BATCH);
        let wanted: HashSet<Id> = ids.iter().copied().collect();
        if filtered {
            let mut query = extra.to_vec();
            query.extend(ids.iter().map(|id| q("filter[id][]", id)));
            query.extend([q("limit", REREAD_BATCH), q("page", 1)]);
            let page = self.client.page::<T>(path, &query).await?;
            if !page.has_next && page.items.iter().all(|r| wanted.contains(&id_of(r))) {
                return Ok(page.items.into_iter().filter(|r| live(r)).map(|r| (id_of(&r), r)).collect());
            }
            tracing::warn!(path, "amoCRM ignored filter[id]; re-reading one record per request");
        }
        let mut found = HashMap::new();
        for &id in ids {
            let record: Option<T> = self.client.one(&format!("{path}/{id}"), extra).await?;
            if let Some(r) = record.filter(|r| live(r)) {
                found.insert(id, r);
            }
        }
        Ok(found)
    }

    /// The activities of the notes `changes` name (all on entities of `kind`, at most
    /// [`REREAD_BATCH`]): one `filter[id][]` request on the kind's notes, or, where the
    /// account ignored the filter, one request per note on its entity.
    async fn notes_by_ids(&self, kind: EntityKind, changes: &[Change]) -> Result<HashMap<Id, Activity>> {
        let mut found = HashMap::new();
        let Some(path) = map::entity_path(kind) else {
            return Ok(found);
        };
        let wanted: HashSet<Id> = changes.iter().map(|c| c.id).collect();
        let mut query: Vec<(String, String)> = changes.iter().map(|c| q("filter[id][]", c.id)).collect();
        query.extend([q("limit", REREAD_BATCH), q("page", 1)]);
        let page = self.client.page::<wire::Note>(&format!("/api/v4/{path}/notes"), &query).await?;
        if !page.has_next && page.items.iter().all(|n| wanted.contains(&n.id)) {
            found.extend(page.items.iter().filter_map(|n| map::map_note(n, kind).map(|a| (n.id, a))));
            return Ok(found);
        }
        tracing::warn!(path, "amoCRM ignored filter[id] on notes; re-reading one note per request");
        for change in changes {
            if let Some(parent) = change.parent
                && let Some(a) = self.read_note(parent, change.id).await?
            {
                found.insert(change.id, a);
            }
        }
        Ok(found)
    }

    /// The stage moves and handovers of `deals` not yet in their stored history:
    /// for a handful, their own events (`filter[entity_id][]`, 10 ids a request);
    /// for more, once a sync has finished, the account's feed since its watermark
    /// (minus the overlap), which the stored histories reach up to, in pages of 100.
    async fn histories(&self, deals: &[Id]) -> Result<(HashMap<Id, Vec<StatusChange>>, HashMap<Id, Vec<ResponsibleChange>>)> {
        let types = [
            q("filter[entity][]", "lead"),
            q("filter[type][]", "lead_status_changed"),
            q("filter[type][]", "entity_responsible_changed"),
        ];
        let watermark = self.store.checkpoint(KEY_WATERMARK).await?.and_then(|w| w.parse::<i64>().ok());
        let mut events: Vec<wire::Event> = Vec::new();
        match watermark {
            Some(w) if deals.len() > EVENT_IDS => {
                let mut query = types.to_vec();
                query.push(q("filter[created_at][from]", w - self.options.overlap.as_secs() as i64));
                query.push(q("filter[created_at][to]", chrono::Utc::now().timestamp() + OPEN_END_S));
                events = self.all_pages("/api/v4/events", &query, 100).await?;
            }
            _ => {
                for chunk in deals.chunks(EVENT_IDS) {
                    let mut query = types.to_vec();
                    query.extend(chunk.iter().map(|id| q("filter[entity_id][]", id)));
                    events.extend(self.all_pages::<wire::Event>("/api/v4/events", &query, 100).await?);
                }
            }
        }
        let wanted: HashSet<Id> = deals.iter().copied().collect();
        let mut changes: HashMap<Id, Vec<StatusChange>> = HashMap::new();
        let mut handovers: HashMap<Id, Vec<ResponsibleChange>> = HashMap::new();
        for e in &events {
            match map::map_event(e) {
                EventEffect::StatusChange(c) if wanted.contains(&c.deal_id) => changes.entry(c.deal_id).or_default().push(c),
                EventEffect::ResponsibleChange { deal_id, change } if wanted.contains(&deal_id) => {
                    handovers.entry(deal_id).or_default().push(change)
                }
                _ => {}
            }
        }
        Ok((changes, handovers))
    }

    /// The account's custom fields of leads, contacts and companies (for `tsifra amocrm fields`).
    pub async fn list_fields(&self) -> Result<Vec<FieldInfo>> {
        list_fields(&self.client).await
    }
}

/// One run or re-read under the lease; forgets itself if dropped half-way (a
/// cancelled run), so the lease is taken afresh next time rather than assumed held.
struct LeaseUser<'a> {
    users: &'a AtomicUsize,
    left: bool,
}

impl Drop for LeaseUser<'_> {
    fn drop(&mut self) {
        if !self.left {
            self.users.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// A listed record type: what the change scans need to know about it.
trait Listed: serde::de::DeserializeOwned + Send + 'static {
    fn id(&self) -> Id;
    fn updated_at(&self) -> Option<i64>;
    /// Its values that cannot be used, read from the list `phase`.
    fn bad_values(&self, phase: &str, ctx: &MapContext) -> Vec<BadValue>;
}

impl Listed for wire::Lead {
    fn id(&self) -> Id {
        self.id
    }
    fn updated_at(&self) -> Option<i64> {
        self.updated_at
    }
    fn bad_values(&self, _: &str, ctx: &MapContext) -> Vec<BadValue> {
        map::lead_bad_values(self, ctx)
    }
}

impl Listed for wire::Contact {
    fn id(&self) -> Id {
        self.id
    }
    fn updated_at(&self) -> Option<i64> {
        self.updated_at
    }
    fn bad_values(&self, phase: &str, ctx: &MapContext) -> Vec<BadValue> {
        let kind = if phase == "companies" {
            EntityKind::Company
        } else {
            EntityKind::Contact
        };
        map::party_bad_values(kind, self, ctx)
    }
}

impl Run<'_> {
    /// Logs each bad value with its record and field, and keeps the first for the report.
    fn note_bad_values(&mut self, found: Vec<BadValue>) {
        for bad in found {
            log_bad_value(&bad);
            self.bad_value_count += 1;
            if self.bad_values.len() < BAD_VALUES_KEPT {
                self.bad_values.push(bad);
            }
        }
    }
}

fn log_bad_value(bad: &BadValue) {
    tracing::warn!(
        entity = bad.entity.as_str(),
        id = bad.id,
        field = bad.field.as_deref().unwrap_or("price"),
        value = %tsifra_core::i18n::printable(&bad.value),
        problem = ?bad.problem,
        "amoCRM sent a value Tsifra cannot use; it counts as not filled"
    );
}

/// Requests allowed in flight ahead of the page being committed.
const PREFETCH: usize = 3;

/// Pages of one list in order, fetched ahead: amoCRM takes hundreds of milliseconds
/// per page, so one request at a time would stay far below 7 per second. Prefetching
/// starts only after a full page that says there is more, so a one-page change set
/// costs one request; at most `PREFETCH - 1` requests past the end are wasted.
struct Pager<T: Send + 'static> {
    client: Arc<Client>,
    path: String,
    query: Vec<(String, String)>,
    limit: u32,
    next: u32,
    depth: usize,
    ended: bool,
    inflight: std::collections::VecDeque<(u32, tokio::task::JoinHandle<Result<wire::Page<T>>>)>,
}

impl<T: serde::de::DeserializeOwned + Send + 'static> Pager<T> {
    fn new(client: Arc<Client>, path: &str, query: Vec<(String, String)>, first_page: u32, limit: u32) -> Self {
        Pager {
            client,
            path: path.to_string(),
            query,
            limit,
            next: first_page.max(1),
            depth: 1,
            ended: false,
            inflight: std::collections::VecDeque::new(),
        }
    }

    /// The next page and its number, or `None` after the last one.
    async fn next(&mut self) -> Result<Option<(u32, wire::Page<T>)>> {
        if self.ended {
            return Ok(None);
        }
        while self.inflight.len() < self.depth {
            let (client, path, page) = (self.client.clone(), self.path.clone(), self.next);
            let mut query = self.query.clone();
            query.push(q("page", page));
            query.push(q("limit", self.limit));
            let task = tokio::spawn(async move { client.page::<T>(&path, &query).await });
            self.inflight.push_back((page, task));
            self.next += 1;
        }
        let (n, task) = self.inflight.pop_front().expect("at least one request in flight");
        let page = task.await.map_err(|e| Error::Store(format!("page request task failed: {e}")))??;
        if page.has_next && !page.items.is_empty() {
            self.depth = PREFETCH;
        } else {
            self.ended = true;
            self.abort();
        }
        Ok(Some((n, page)))
    }

    fn abort(&mut self) {
        for (_, task) in self.inflight.drain(..) {
            task.abort();
        }
    }
}

impl<T: Send + 'static> Drop for Pager<T> {
    fn drop(&mut self) {
        for (_, task) in self.inflight.drain(..) {
            task.abort();
        }
    }
}

/// Note types that are activities (see [`map::map_note`]).
pub const NOTE_TYPES: &[&str] = &[
    "call_in",
    "call_out",
    "amomail_message",
    "sms_in",
    "sms_out",
    "common",
    "service_message",
    "extended_service_message",
];

/// A custom field as `tsifra amocrm fields` shows it: our definition plus amoCRM's own type name.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldInfo {
    pub def: FieldDef,
    /// amoCRM's type ("numeric", "multitext", "smart_address", ...).
    pub amo_type: String,
}

/// The account's custom fields of leads, contacts and companies, with ids and types,
/// so an integrator can fill in `[fields]` of the config (by id or exact name).
pub async fn list_fields(client: &Client) -> Result<Vec<FieldInfo>> {
    let mut out = Vec::new();
    for (path, kind) in [
        ("/api/v4/leads/custom_fields", EntityKind::Deal),
        ("/api/v4/contacts/custom_fields", EntityKind::Contact),
        ("/api/v4/companies/custom_fields", EntityKind::Company),
    ] {
        for page in 1..1000 {
            let p = client.page::<wire::CustomField>(path, &[q("page", page), q("limit", 250)]).await?;
            out.extend(p.items.iter().map(|f| FieldInfo {
                def: map::map_field_def(f, kind),
                amo_type: f.field_type.clone(),
            }));
            if !p.has_next || p.items.is_empty() {
                break;
            }
        }
    }
    Ok(out)
}

fn next_checkpoint(has_next: bool, got: usize, page: u32) -> String {
    if has_next && got > 0 {
        (page + 1).to_string()
    } else {
        DONE.to_string()
    }
}

/// Filtered results older than the window mean the filter was ignored.
fn out_of_window(updated: &[i64], from: Option<i64>) -> bool {
    match from {
        Some(f) => updated.iter().any(|&u| u < f),
        None => false,
    }
}

/// Adds the payments derived from the batch's deals (and removes those of deleted deals)
/// when the config maps payment fields.
fn with_payments(mut batch: Batch, ctx: &MapContext) -> Batch {
    if ctx.payment_fields.is_empty() {
        return batch;
    }
    let (payments, gone) = map::deal_payments(&batch.deals, ctx);
    batch.payments.extend(payments);
    let deleted_deals: Vec<(EntityKind, Id)> = batch
        .deletions
        .iter()
        .filter(|(k, _)| *k == EntityKind::Deal)
        .map(|&(_, id)| (EntityKind::Payment, id))
        .collect();
    batch.deletions.extend(gone);
    batch.deletions.extend(deleted_deals);
    batch
}

fn batch_records(b: &Batch) -> u64 {
    (b.companies.len() + b.contacts.len() + b.deals.len() + b.tasks.len() + b.activities.len() + b.payments.len()) as u64
}

#[cfg(test)]
mod tests {
    use super::{holder_id, holder_is_dead, host_name, id_fraction};

    #[test]
    fn a_lease_holder_is_dead_only_when_its_process_on_this_machine_is_gone() {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let gone = child.id();
        child.wait().unwrap();
        let host = host_name();
        assert!(holder_is_dead(&format!("pid {gone} on {host}, #0-1a2b")));
        // Alive: this process (another engine of it, or itself) and a running child.
        assert!(!holder_is_dead(&holder_id()));
        let mut running = std::process::Command::new("sleep").arg("5").spawn().unwrap();
        assert!(!holder_is_dead(&format!("pid {} on {host}, #0-1a2b", running.id())));
        running.kill().unwrap();
        running.wait().unwrap();
        // Another machine's process can't be checked from here; nor can a holder written otherwise.
        assert!(!holder_is_dead(&format!("pid {gone} on {host}-elsewhere, #0-1a2b")));
        assert!(!holder_is_dead("pid 4242 on elsewhere"));
        assert!(!holder_is_dead("somebody"));
    }

    #[test]
    fn an_id_ordered_scan_knows_how_far_it_has_got() {
        assert_eq!(id_fraction(100, 100, 300), Some(0.0));
        assert_eq!(id_fraction(100, 200, 300), Some(0.5));
        assert_eq!(id_fraction(100, 300, 300), Some(1.0));
        // A one-record list; a record created after the top was asked for; ids out of order.
        assert_eq!(id_fraction(7, 7, 7), Some(1.0));
        assert_eq!(id_fraction(100, 301, 300), Some(1.0));
        assert_eq!(id_fraction(100, 99, 300), None);
    }
}
