//! Computing reports for requests: the index (`Facts`) is built once per
//! workspace version, and each computed report is kept per (report, options,
//! as-of minute, version), so a wall of TVs refreshing does not recompute it.
//! The numbers are those of `tsifra_core::reports::run`, the one report function.

use std::sync::{Arc, Mutex, OnceLock};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DurationRound, TimeDelta};
use serde::Deserialize;
use tsifra_core::model::{Id, Metric};
use tsifra_core::query::Compare;
use tsifra_core::reports::registry::{self, RawParams};
use tsifra_core::reports::tabular::Table;
use tsifra_core::reports::{self, Ctx, Facts, Report, ReportId, ReportParams};
use tsifra_core::{Instant, Workspace};

use crate::asof::AsOf;
use crate::cache::{CacheKey, Memo};
use crate::error::AppError;
use crate::state::AppState;

/// Query options every report accepts (`as_of` is read by [`AsOf`]).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ReportQuery {
    pub manager: Option<String>,
    pub metric: Option<String>,
    pub sort: Option<String>,
    /// The period, where the report takes one (funnel): `last_quarter`, `2026-01-01..2026-03-31`...
    pub period: Option<String>,
    /// A pipeline by id or name (funnel).
    pub pipeline: Option<String>,
    /// A team by id or name (funnel).
    pub team: Option<String>,
    /// What the period is compared with (plan-fact, leaderboard): `previous`, `year_ago`.
    pub compare: Option<String>,
    /// Only this rule's violations (hygiene): `stale_deal`.
    pub rule: Option<String>,
    /// Only violations open at least this many days (hygiene).
    pub min_days: Option<String>,
    /// `1` for the companies that never bought (call priority).
    pub prospects: Option<String>,
}

impl ReportQuery {
    /// The options as typed, for the registry's one check.
    pub fn raw(&self) -> RawParams {
        RawParams {
            manager: self.manager.clone(),
            metric: self.metric.clone(),
            sort: self.sort.clone(),
            period: self.period.clone(),
            compare: self.compare.clone(),
            pipeline: self.pipeline.clone(),
            team: self.team.clone(),
            rule: self.rule.clone(),
            min_days: self.min_days.clone(),
            prospects: self.prospects.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    id: ReportId,
    manager: Option<Id>,
    metric: Option<Metric>,
    sort: Option<String>,
    period: Option<String>,
    compare: Option<Compare>,
    pipeline: Option<Id>,
    team: Option<Id>,
    rule: Option<tsifra_core::reports::hygiene::Rule>,
    min_days: Option<i64>,
    prospects: bool,
    as_of: Instant,
    version: u64,
    /// Computed for "now" rather than an `as_of` from the URL.
    live: bool,
}

impl CacheKey for Key {
    fn supersedes(&self, older: &Key) -> bool {
        let view = |k: &Key| {
            (
                k.id,
                k.manager,
                k.metric,
                k.sort.clone(),
                k.period.clone(),
                k.compare,
                k.pipeline,
                k.team,
                k.rule,
                k.min_days,
                k.prospects,
            )
        };
        // A newer stamp of what the same view read; or a live view's minute two
        // on (the next minute's is made ahead of time by [`prepare_next_minute`]
        // while this minute's is still being asked for). Other views' entries stay:
        // a change drops only those that read what it touched ([`ReportCache::take_in`]).
        view(self) == view(older)
            && (self.version > older.version || (self.live && older.live && self.as_of - older.as_of >= TimeDelta::minutes(2)))
    }
}

/// A computed report and what is derived from it on demand, each at most once:
/// its JSON (47 MB for hygiene on a million deals, so never per request) and its tables.
pub struct Computed {
    pub report: Arc<Report>,
    json: OnceLock<Bytes>,
    limited: Mutex<Vec<(usize, Bytes)>>,
    tables: OnceLock<Arc<Vec<Table>>>,
}

impl Computed {
    fn new(report: Report) -> Computed {
        Computed {
            report: Arc::new(report),
            json: OnceLock::new(),
            limited: Mutex::new(Vec::new()),
            tables: OnceLock::new(),
        }
    }

    /// The instant the report was computed for.
    pub fn report_as_of(&self) -> Instant {
        self.report.as_of()
    }

    /// The report as JSON, the shape `tsifra report ID --format json` prints.
    pub fn json(&self) -> Bytes {
        self.json
            .get_or_init(|| Bytes::from(serde_json::to_vec(&*self.report).expect("a report serialises")))
            .clone()
    }

    /// The JSON with every top-level list cut to `limit` items, and a `truncated`
    /// object giving the full length of each list that was cut.
    pub fn json_limited(&self, limit: usize) -> Bytes {
        let mut kept = self.limited.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, bytes)) = kept.iter().find(|(l, _)| *l == limit) {
            return bytes.clone();
        }
        let mut value = serde_json::to_value(&*self.report).expect("a report serialises");
        let mut truncated = serde_json::Map::new();
        if let Some(fields) = value.as_object_mut() {
            for (name, field) in fields.iter_mut() {
                if let Some(list) = field.as_array_mut()
                    && list.len() > limit
                {
                    truncated.insert(name.clone(), list.len().into());
                    list.truncate(limit);
                }
            }
            fields.insert("limit".into(), limit.into());
            fields.insert("truncated".into(), truncated.into());
        }
        let bytes = Bytes::from(serde_json::to_vec(&value).expect("a value serialises"));
        if kept.len() >= 4 {
            kept.remove(0);
        }
        kept.push((limit, bytes.clone()));
        bytes
    }

    /// The report's tables (the one shape of pages, CSV and XLSX), titled in the config's language.
    pub fn tables(&self, state: &AppState) -> Arc<Vec<Table>> {
        self.tables
            .get_or_init(|| Arc::new(self.report.tables(state.language(), &state.config().business.currency)))
            .clone()
    }
}

/// Cached index and reports. The index is updated by each batch's change set;
/// a report is dropped when a batch touches a table it read.
pub struct ReportCache {
    facts: Mutex<Option<Arc<Facts>>>,
    reports: Memo<Key, Arc<Computed>>,
    built: std::sync::atomic::AtomicU64,
    updated: std::sync::atomic::AtomicU64,
}

impl Default for ReportCache {
    fn default() -> Self {
        ReportCache {
            facts: Mutex::new(None),
            reports: Memo::new(MAX_CACHED),
            built: Default::default(),
            updated: Default::default(),
        }
    }
}

/// The most reports kept at once, the oldest dropped first. Live ("now") views keep
/// only their latest minute, so this bounds what explicit `as_of` links can pile up
/// (a hygiene report on a million deals holds ~100 000 violations).
const MAX_CACHED: usize = 48;

impl ReportCache {
    pub(crate) fn facts(&self, ws: &Workspace, config: &tsifra_core::Config) -> Arc<Facts> {
        let mut slot = self.facts.lock().unwrap_or_else(|p| p.into_inner());
        match slot.as_ref() {
            Some(f) if f.version == ws.version => f.clone(),
            previous => {
                // Parts of the previous index whose data did not change are kept.
                let built = Arc::new(Facts::rebuild(previous.map(|p| &**p), ws, config));
                self.built.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                *slot = Some(built.clone());
                built
            }
        }
    }

    /// Takes in a batch just applied to `ws`: the index, if it is of the version
    /// the batch started from, is updated from the change set (see [`Facts::update`]),
    /// and the reports that read a table the batch touched are dropped.
    pub(crate) fn take_in(&self, ws: &Workspace, config: &tsifra_core::Config, changes: &tsifra_core::Changes) {
        let touched = changes.tables();
        self.reports.retain(|k| !k.id.reads().meets(touched));
        let mut slot = self.facts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(facts) = slot.take_if(|f| f.version == changes.from_version) {
            // Nobody else holds it while the workspace is locked for writing; if someone does, a copy.
            let facts = Arc::try_unwrap(facts).unwrap_or_else(|shared| (*shared).clone());
            *slot = Some(Arc::new(facts.update(ws, config, changes)));
            self.updated.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    /// Forgets every report (the workspace was loaded again, or the calendar changed).
    pub(crate) fn drop_all(&self) {
        self.reports.retain(|_| false);
    }

    /// How often the index was built (from every row, or keeping untouched parts) and updated from a change set.
    pub(crate) fn index_counts(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.built.load(Relaxed), self.updated.load(Relaxed))
    }

    /// How many reports were computed (cache misses).
    pub(crate) fn computed(&self) -> u64 {
        self.reports.computed()
    }
}

/// The instant a report is computed for: an explicit `as_of` exactly, "now" to the minute,
/// so that every request within a minute shares one computation.
pub fn effective_as_of(as_of: &AsOf) -> Instant {
    if as_of.requested.is_some() {
        as_of.at
    } else {
        as_of.at.duration_trunc(TimeDelta::minutes(1)).unwrap_or(as_of.at)
    }
}

/// Validates the query against the workspace and computes (or fetches) the report.
pub async fn compute(state: &AppState, id: ReportId, query: &ReportQuery, as_of: Instant) -> Result<Arc<Report>, AppError> {
    Ok(compute_entry(state, id, query, as_of, false).await?.report.clone())
}

/// [`compute`] for a request: `as_of` is [`effective_as_of`], and a live view
/// ("now") replaces its previous minute in the cache.
pub async fn compute_for(state: &AppState, id: ReportId, query: &ReportQuery, as_of: &AsOf) -> Result<Arc<Computed>, AppError> {
    compute_entry(state, id, query, effective_as_of(as_of), as_of.requested.is_none()).await
}

async fn compute_entry(state: &AppState, id: ReportId, query: &ReportQuery, as_of: Instant, live: bool) -> Result<Arc<Computed>, AppError> {
    // The registry's one check: the parameters this report takes, their valid values.
    let (params, version) = {
        let ws = state.workspace().await;
        let today = state.calendar().local_date(as_of);
        let params = registry::parse_params(id, &query.raw(), &ws, today, state.language()).map_err(|e| AppError::BadRequest(e.message))?;
        (params, state.stamp(id.reads()))
    };
    let ReportParams {
        manager,
        sort,
        metric,
        period,
        compare,
        pipeline,
        team,
        rule,
        min_days,
        prospects,
    } = params;
    let key = Key {
        id,
        manager,
        metric,
        sort,
        period,
        compare,
        pipeline,
        team,
        rule,
        min_days,
        prospects,
        as_of,
        version,
        live,
    };
    cached_report(state, key).await
}

/// The report for `key`, computed unless it is cached (or being computed).
async fn cached_report(state: &AppState, key: Key) -> Result<Arc<Computed>, AppError> {
    let Key {
        id,
        manager,
        metric,
        ref sort,
        ref period,
        compare,
        pipeline,
        team,
        rule,
        min_days,
        prospects,
        as_of,
        live,
        ..
    } = key;
    let sort = sort.clone();
    let period = period.clone();
    state
        .report_cache()
        .reports
        .get_or_try_init(key, || async {
            let ws = state.workspace().await;
            let state = state.clone();
            // A live view is cached per minute but computed for the moment it is
            // computed: a deal won seconds ago (a webhook bumps the version) counts now,
            // not at the next minute.
            let at = if live { state.now().max(as_of) } else { as_of };
            tokio::task::spawn_blocking(move || {
                let config = state.config();
                let facts = state.report_cache().facts(&ws, config);
                let ctx = Ctx {
                    ws: &ws,
                    facts: &facts,
                    config,
                    calendar: &state.calendar(),
                    as_of: at,
                };
                let params = ReportParams {
                    manager,
                    sort,
                    metric,
                    period,
                    compare,
                    pipeline,
                    team,
                    rule,
                    min_days,
                    prospects,
                };
                Arc::new(Computed::new(reports::run(id, &ctx, &params)))
            })
            .await
            .map_err(|e| AppError::Internal(format!("report task failed: {e}")))
        })
        .await
}

/// Computes, ahead of time, the live views asked for in the minute before `next`
/// for the minute starting at `next`: on a million deals a report takes up to a
/// second, and at the turn of the minute every open board and API client would
/// otherwise wait for it. Returns how many were made.
pub async fn prepare_next_minute(state: &AppState, next: Instant) -> usize {
    let previous = next - TimeDelta::minutes(1);
    let keys: Vec<Key> = state
        .report_cache()
        .reports
        .keys()
        .into_iter()
        .filter(|k| k.live && k.version == state.stamp(k.id.reads()) && k.as_of == previous)
        .collect();
    let mut made = 0;
    for key in keys {
        let key = Key { as_of: next, ..key };
        if cached_report(state, key).await.is_ok() {
            made += 1;
        }
    }
    made
}

/// Query of `/api/reports/{id}`: the report options, and `limit` to cut long lists.
#[derive(Debug, Default, Deserialize)]
pub struct ApiReportQuery {
    pub manager: Option<String>,
    pub metric: Option<String>,
    pub sort: Option<String>,
    pub period: Option<String>,
    pub pipeline: Option<String>,
    pub team: Option<String>,
    pub compare: Option<String>,
    pub rule: Option<String>,
    pub min_days: Option<String>,
    /// `1` for the companies that never bought (call priority).
    pub prospects: Option<String>,
    /// Keep at most this many items of each top-level list (violations, debtors...).
    pub limit: Option<String>,
}

/// `GET /api/reports/{id}?as_of=&manager=&metric=&sort=&period=&compare=&pipeline=&team=&prospects=&limit=`: the report as JSON, the same
/// shape `tsifra report ID --format json` prints. With `limit`, each top-level list keeps
/// its first `limit` items and `truncated` says how long it was.
pub async fn api_report(
    State(state): State<AppState>,
    Path(id): Path<String>,
    as_of: AsOf,
    Query(query): Query<ApiReportQuery>,
) -> Result<Response, AppError> {
    let id = ReportId::parse(&id).ok_or_else(|| AppError::NotFound {
        path: format!("/api/reports/{id}"),
    })?;
    let limit = match query.limit.as_deref().filter(|l| !l.is_empty()) {
        Some(l) => Some(l.parse::<usize>().map_err(|_| AppError::BadValue {
            key: "web.error.limit",
            values: vec![("value", l.to_string())],
        })?),
        None => None,
    };
    let report_query = ReportQuery {
        manager: query.manager,
        metric: query.metric,
        sort: query.sort,
        period: query.period,
        pipeline: query.pipeline,
        team: query.team,
        compare: query.compare,
        rule: query.rule,
        min_days: query.min_days,
        prospects: query.prospects,
    };
    let computed = compute_for(&state, id, &report_query, &as_of).await?;
    // Serialising a big report takes a while: not on the async workers.
    let body = tokio::task::spawn_blocking(move || match limit {
        Some(limit) => computed.json_limited(limit),
        None => computed.json(),
    })
    .await
    .map_err(|e| AppError::Internal(format!("serialising a report failed: {e}")))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}
