//! The JSON API under `/api/`: health for monitors and start-up scripts, and
//! what the workspace holds for the CLI and tests. Errors are `{"error": "..."}`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{NaiveDate, SecondsFormat};
use serde::Serialize;
use tsifra_core::Instant;

use crate::asof::AsOf;
use crate::state::AppState;

/// `GET /api/health`.
#[derive(Debug, Serialize)]
pub struct Health {
    /// Always "ok": the server answers only once the workspace is loaded.
    pub status: &'static str,
    /// The program's version.
    pub version: &'static str,
    /// Bumped by every applied batch; a monitor can see syncs landing.
    pub workspace_version: u64,
    pub deals: usize,
    /// RFC 3339, UTC.
    pub as_of: String,
    /// True while the store is open read-only (its disk was full at start):
    /// the data is served, nothing new is stored.
    pub read_only: bool,
    /// Why, in the workspace's language, when something needs an operator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<&'static str>,
}

/// `GET /api/workspace`.
#[derive(Debug, Serialize)]
pub struct WorkspaceInfo {
    pub account: Option<String>,
    pub workspace_version: u64,
    pub time_zone: String,
    /// RFC 3339, UTC.
    pub as_of: String,
    /// Records per kind, keyed like the model's entity names plus `plan`.
    pub counts: BTreeMap<&'static str, usize>,
    /// The local days of the earliest and latest deal creation; `null` without deals.
    pub period: Option<DataPeriod>,
}

#[derive(Debug, Serialize)]
pub struct DataPeriod {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// Instants in JSON: RFC 3339 in UTC, with only as many fraction digits as needed.
pub fn json_instant(at: Instant) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub async fn health(State(state): State<AppState>, as_of: AsOf) -> Json<Health> {
    let (workspace_version, deals) = {
        let ws = state.workspace().await;
        (ws.version, ws.deals.len())
    };
    Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        workspace_version,
        deals,
        as_of: json_instant(as_of.at),
        read_only: state.is_read_only(),
        warning: state.store_warning(),
    })
}

pub async fn workspace(State(state): State<AppState>, as_of: AsOf) -> Json<WorkspaceInfo> {
    let summary = state.summary().await;
    Json(WorkspaceInfo {
        account: summary.account.clone(),
        workspace_version: summary.version,
        time_zone: state.calendar().tz().name().to_string(),
        as_of: json_instant(as_of.at),
        counts: summary.counts.iter().map(|&(what, n)| (what.key(), n)).collect(),
        period: summary.deal_dates.map(|(first, last)| DataPeriod { first, last }),
    })
}
