//! `/api/reports/{id}`: the core's report for the request's as-of, cached per
//! workspace version, with clear 4xx errors for anything unusable.

use std::sync::Arc;

use axum::http::StatusCode;
use tsifra_core::reports::{self, Ctx, Facts, ReportId, ReportParams};
use tsifra_core::{Batch, Config, Workspace};
use tsifra_demo::DemoOptions;
use tsifra_web::AppState;

use crate::support::{NOW, get, utc};

fn demo() -> (Config, Workspace) {
    let config = Config {
        fields: tsifra_demo::field_mapping(),
        ..Config::default()
    };
    let ws = tsifra_demo::generate(
        &DemoOptions {
            seed: 11,
            deals: 600,
            as_of: utc(NOW),
        },
        &config.calendar(),
    );
    (config, ws)
}

fn core_json(config: &Config, ws: &Workspace, id: ReportId, as_of: &str, params: ReportParams) -> serde_json::Value {
    let calendar = config.calendar();
    let facts = Facts::build(ws, config);
    let ctx = Ctx {
        ws,
        facts: &facts,
        config,
        calendar: &calendar,
        as_of: utc(as_of),
    };
    serde_json::to_value(reports::run(id, &ctx, &params)).unwrap()
}

#[tokio::test]
async fn every_report_is_the_core_report() {
    let (config, ws) = demo();
    let state = AppState::with_clock(config.clone(), ws.clone(), "/tmp", Arc::new(|| utc(NOW)));
    for id in ReportId::ALL {
        let reply = get(&state, &format!("/api/reports/{}?as_of=2026-11-18T09:30:00Z", id.as_str())).await;
        assert_eq!(reply.status, StatusCode::OK, "{id:?}");
        let json = reply.json();
        assert_eq!(json["report"], id.as_str());
        assert_eq!(
            json,
            core_json(&config, &ws, id, "2026-11-18T09:30:00Z", ReportParams::default()),
            "{id:?}"
        );
    }
    // Without as_of, "now" is taken to the minute (NOW is on a whole minute).
    let json = get(&state, "/api/reports/leaderboard").await.json();
    assert_eq!(json, core_json(&config, &ws, ReportId::Leaderboard, NOW, ReportParams::default()));
}

#[tokio::test]
async fn manager_metric_and_sort_are_honoured() {
    let (config, ws) = demo();
    let manager = ws.users.iter().find(|u| u.active).unwrap().clone();
    let state = AppState::with_clock(config.clone(), ws.clone(), "/tmp", Arc::new(|| utc(NOW)));
    let url = format!("/api/reports/plan-fact?manager={}&metric=won_deals", manager.id);
    let json = get(&state, &url).await.json();
    let params = ReportParams {
        manager: Some(manager.id),
        metric: Some(tsifra_core::Metric::WonDeals),
        ..ReportParams::default()
    };
    assert_eq!(json, core_json(&config, &ws, ReportId::PlanFact, NOW, params));
    assert_eq!(json["periods"][2]["rows"].as_array().unwrap().len(), 1);
    let json = get(&state, "/api/reports/receivables?sort=days").await.json();
    assert_eq!(json["sort"], "days");
}

#[tokio::test]
async fn unusable_requests_are_clear_4xx_json() {
    let (config, ws) = demo();
    let state = AppState::with_clock(config, ws, "/tmp", Arc::new(|| utc(NOW)));
    let cases = [
        ("/api/reports/forecastt", StatusCode::NOT_FOUND, "forecastt"),
        (
            "/api/reports/plan-fact?manager=Nobody",
            StatusCode::BAD_REQUEST,
            "нет менеджера «Nobody»; известные менеджеры:",
        ),
        // In the workspace's language (Russian by default).
        (
            "/api/reports/plan-fact?metric=profit",
            StatusCode::BAD_REQUEST,
            "неизвестный показатель «profit»",
        ),
        (
            "/api/reports/receivables?sort=size",
            StatusCode::BAD_REQUEST,
            "неизвестная сортировка «size»",
        ),
        ("/api/reports/hygiene?as_of=yesterday", StatusCode::BAD_REQUEST, "yesterday"),
    ];
    for (url, status, needle) in cases {
        let reply = get(&state, url).await;
        assert_eq!(reply.status, status, "{url}");
        let error = reply.json()["error"].as_str().unwrap().to_string();
        assert!(error.contains(needle), "{url}: {error}");
    }
}

#[tokio::test]
async fn a_landed_batch_is_seen_by_the_next_request() {
    let (config, ws) = demo();
    let state = AppState::with_clock(config, ws.clone(), "/tmp", Arc::new(|| utc(NOW)));
    let before = get(&state, "/api/reports/plan-fact?metric=won_deals").await.json();
    let again = get(&state, "/api/reports/plan-fact?metric=won_deals").await.json();
    assert_eq!(before, again);
    // Win one open deal now: the month's won count goes up by one.
    let mut deal = ws
        .deals
        .iter()
        .find(|d| ws.stage_kind(d.pipeline_id, d.stage_id) == tsifra_core::StageKind::Open)
        .unwrap()
        .clone();
    deal.stage_id = tsifra_core::AMOCRM_WON_STATUS;
    deal.history.push(tsifra_core::StageMove {
        at: utc("2026-11-20T11:00:00Z"),
        pipeline_id: deal.pipeline_id,
        stage_id: deal.stage_id,
        author_id: None,
    });
    state
        .apply_batch(&Batch {
            deals: vec![deal],
            ..Batch::default()
        })
        .await;
    let after = get(&state, "/api/reports/plan-fact?metric=won_deals").await.json();
    let total = |v: &serde_json::Value| v["periods"][2]["total"]["fact"].as_i64().unwrap();
    assert_eq!(total(&after), total(&before) + 1);
}

#[tokio::test]
async fn the_next_minutes_live_reports_are_made_before_it_turns() {
    use std::sync::atomic::{AtomicI64, Ordering};
    let (config, ws) = demo();
    let clock = Arc::new(AtomicI64::new(utc("2026-11-20T12:00:30Z").timestamp()));
    let reading = clock.clone();
    let state = AppState::with_clock(
        config,
        ws,
        "/tmp",
        Arc::new(move || chrono::DateTime::from_timestamp(reading.load(Ordering::SeqCst), 0).unwrap()),
    );
    let first = get(&state, "/api/reports/plan-fact").await.json();
    assert_eq!(first["as_of"], "2026-11-20T12:00:30Z", "a live view is computed for the moment");
    let made = tsifra_web::reports::prepare_next_minute(&state, utc("2026-11-20T12:01:00Z")).await;
    assert_eq!(made, 1, "plan-fact was asked for this minute");
    // This minute's copy is still there for the seconds left of it...
    clock.store(utc("2026-11-20T12:00:50Z").timestamp(), Ordering::SeqCst);
    assert_eq!(get(&state, "/api/reports/plan-fact").await.json()["as_of"], "2026-11-20T12:00:30Z");
    // ...and the next minute's is ready when it turns.
    clock.store(utc("2026-11-20T12:01:05Z").timestamp(), Ordering::SeqCst);
    assert_eq!(get(&state, "/api/reports/plan-fact").await.json()["as_of"], "2026-11-20T12:01:00Z");
}

#[tokio::test]
async fn limit_cuts_long_lists_and_says_how_long_they_were() {
    let (config, ws) = demo();
    let state = AppState::with_clock(config, ws, "/tmp", Arc::new(|| utc(NOW)));
    let full = get(&state, "/api/reports/hygiene").await.json();
    let total = full["violations"].as_array().unwrap().len();
    assert!(total > 5);
    let cut = get(&state, "/api/reports/hygiene?limit=5").await.json();
    assert_eq!(cut["violations"].as_array().unwrap().len(), 5);
    assert_eq!(cut["violations"][0], full["violations"][0]);
    assert_eq!(cut["truncated"]["violations"], total);
    assert_eq!(cut["limit"], 5);
    assert_eq!(cut["team"], full["team"], "the figures are the full report's");
    assert!(full.get("truncated").is_none(), "without limit the shape is the CLI's");
    let reply = get(&state, "/api/reports/hygiene?limit=lots").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["error"].as_str().unwrap().contains("limit"));
}
