//! The JSON API, and the in-memory workspace changing under a running app.

use axum::http::StatusCode;
use tsifra_core::{Batch, EntityKind, Language, Workspace};

use crate::support::{company, count_cell, deal, get, small_workspace, state};

#[tokio::test]
async fn health_reports_status_version_workspace_version_deals_and_as_of() {
    let mut ws = small_workspace();
    ws.version = 7;
    let reply = get(&state(Language::Ru, ws), "/api/health").await;
    assert_eq!(reply.status, StatusCode::OK);
    let json = reply.json();
    assert_eq!(json["status"], "ok");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["workspace_version"], 7);
    assert_eq!(json["deals"], 3);
    assert_eq!(json["as_of"], "2026-11-20T12:00:00Z");
}

#[tokio::test]
async fn workspace_reports_counts_and_the_data_period() {
    let json = get(&state(Language::En, small_workspace()), "/api/workspace").await.json();
    assert_eq!(json["account"], "ООО «Ромашка» & <Co>");
    assert_eq!(json["time_zone"], "Europe/Moscow");
    assert_eq!(json["as_of"], "2026-11-20T12:00:00Z");
    assert_eq!(json["counts"]["deal"], 3);
    assert_eq!(json["counts"]["company"], 2);
    assert_eq!(json["counts"]["activity"], 1234);
    assert_eq!(json["counts"]["plan"], 0);
    assert_eq!(json["counts"].as_object().unwrap().len(), EntityKind::ALL.len() + 1);
    assert_eq!(json["period"]["first"], "2026-01-05");
    assert_eq!(json["period"]["last"], "2026-11-19");
}

#[tokio::test]
async fn empty_workspace_has_no_period() {
    let json = get(&state(Language::Ru, Workspace::default()), "/api/workspace").await.json();
    assert_eq!(json["period"], serde_json::Value::Null);
    assert_eq!(json["account"], serde_json::Value::Null);
    assert_eq!(json["counts"]["deal"], 0);
}

#[tokio::test]
async fn apply_batch_changes_what_the_api_and_home_page_show() {
    let state = state(Language::Ru, small_workspace());
    let before = get(&state, "/api/workspace").await.json();
    assert_eq!(before["workspace_version"], 0);

    let version = state
        .apply_batch(&Batch {
            deals: vec![deal(4, "2026-11-20T07:00:00Z"), deal(5, "2025-12-01T09:00:00Z")],
            deletions: vec![(EntityKind::Company, 2)],
            ..Batch::default()
        })
        .await;
    assert_eq!(version, 1);

    let after = get(&state, "/api/workspace").await.json();
    assert_eq!(after["workspace_version"], 1);
    assert_eq!(after["counts"]["deal"], 5);
    assert_eq!(after["counts"]["company"], 1);
    assert_eq!(after["period"]["first"], "2025-12-01");
    assert_eq!(after["period"]["last"], "2026-11-20");
    assert_eq!(get(&state, "/api/health").await.json()["deals"], 5);
    assert_eq!(count_cell(&get(&state, "/").await.body, "deal"), "5");

    // A full reload swaps the workspace but never moves the version backwards.
    let mut reloaded = Workspace::default();
    reloaded.companies.upsert(company(9));
    assert_eq!(state.replace_workspace(reloaded).await, 2);
    let json = get(&state, "/api/workspace").await.json();
    assert_eq!(
        (json["counts"]["deal"].as_u64(), json["counts"]["company"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(json["workspace_version"], 2);
}
