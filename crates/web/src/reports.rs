//! Computing reports for requests: the index (`Facts`) is built once per
//! workspace version, and each computed report is kept per (report, options,
//! as-of minute, version), so a wall of TVs refreshing does not recompute it.
//! The numbers are those of `tsifra_core::reports::run`, the one report function.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DurationRound, TimeDelta};
use serde::Deserialize;
use tsifra_core::model::{Id, Metric};
use tsifra_core::reports::{self, Ctx, Facts, Report, ReportId, ReportParams};
use tsifra_core::{Instant, Workspace};

use crate::asof::AsOf;
use crate::error::AppError;
use crate::state::AppState;

/// Query options every report accepts (`as_of` is read by [`AsOf`]).
#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    pub manager: Option<String>,
    pub metric: Option<String>,
    pub sort: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    id: ReportId,
    manager: Option<Id>,
    metric: Option<Metric>,
    sort: Option<String>,
    as_of: Instant,
    version: u64,
}

/// Cached index and reports. Old versions are dropped as soon as a newer one is seen.
#[derive(Default)]
pub struct ReportCache {
    facts: Mutex<Option<Arc<Facts>>>,
    reports: Mutex<HashMap<Key, Arc<Report>>>,
}

/// The most reports kept at once; beyond it the cache starts afresh.
const MAX_CACHED: usize = 512;

impl ReportCache {
    fn facts(&self, ws: &Workspace, config: &tsifra_core::Config) -> Arc<Facts> {
        let mut slot = self.facts.lock().unwrap_or_else(|p| p.into_inner());
        match slot.as_ref() {
            Some(f) if f.version == ws.version => f.clone(),
            _ => {
                let built = Arc::new(Facts::build(ws, config));
                *slot = Some(built.clone());
                built
            }
        }
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
    let metric = match query.metric.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => Some(
            Metric::parse(m)
                .ok_or_else(|| AppError::BadRequest(format!("unknown metric {m:?}; expected revenue, margin, won_deals or calls")))?,
        ),
        None => None,
    };
    let sort = query.sort.clone().filter(|s| !s.is_empty());
    if let Some(s) = sort.as_deref()
        && !["amount", "days"].contains(&s)
    {
        return Err(AppError::BadRequest(format!("unknown sort {s:?}; expected amount or days")));
    }
    let ws = state.workspace().await;
    let manager = match query.manager.as_deref().filter(|m| !m.is_empty()) {
        Some(m) => Some(reports::resolve_manager(&ws, m).map_err(AppError::BadRequest)?),
        None => None,
    };
    let key = Key {
        id,
        manager,
        metric,
        sort: sort.clone(),
        as_of,
        version: ws.version,
    };
    let cache = state.report_cache();
    if let Some(hit) = cache.reports.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
        return Ok(hit.clone());
    }
    let state = state.clone();
    let computed = tokio::task::spawn_blocking(move || {
        let config = state.config();
        let facts = state.report_cache().facts(&ws, config);
        let ctx = Ctx {
            ws: &ws,
            facts: &facts,
            config,
            calendar: state.calendar(),
            as_of,
        };
        let report = Arc::new(reports::run(id, &ctx, &ReportParams { manager, sort, metric }));
        let mut reports = state.report_cache().reports.lock().unwrap_or_else(|p| p.into_inner());
        reports.retain(|k, _| k.version == key.version);
        if reports.len() >= MAX_CACHED {
            reports.clear();
        }
        reports.insert(key, report.clone());
        report
    })
    .await
    .map_err(|e| AppError::Internal(format!("report task failed: {e}")))?;
    Ok(computed)
}

/// `GET /api/reports/{id}?as_of=&manager=&metric=&sort=`: the report as JSON, the same
/// shape `tsifra report ID --format json` prints.
pub async fn api_report(
    State(state): State<AppState>,
    Path(id): Path<String>,
    as_of: AsOf,
    Query(query): Query<ReportQuery>,
) -> Result<Response, AppError> {
    let id = ReportId::parse(&id).ok_or_else(|| AppError::NotFound {
        path: format!("/api/reports/{id}"),
    })?;
    let report = compute(&state, id, &query, effective_as_of(&as_of)).await?;
    Ok(Json(&*report).into_response())
}
