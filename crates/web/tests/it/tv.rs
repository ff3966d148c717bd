//! The TV: the rotation from config or the link, the slides and their
//! refresh fragments, and the read-only token.

use std::sync::Arc;

use axum::http::StatusCode;
use tsifra_core::Language;
use tsifra_web::AppState;

use crate::support::{NOW, demo, demo_state, get, kpi_value, utc};

fn with_token(token: &str) -> AppState {
    let (mut config, ws) = demo(Language::Ru);
    config.tv.token = token.into();
    AppState::with_clock(config, ws, "/tmp", Arc::new(|| utc(NOW)))
}

/// (slug, seconds) of each slide, in order.
fn slides(html: &str) -> Vec<(String, String)> {
    html.split("<section class=\"slide")
        .skip(1)
        .map(|s| {
            let attr = |name: &str| {
                let at = s.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                s[at..at + s[at..].find('"').unwrap()].to_string()
            };
            (attr("data-slug"), attr("data-seconds"))
        })
        .collect()
}

#[tokio::test]
async fn the_rotation_comes_from_config_and_the_link_overrides_it() {
    let state = demo_state(Language::Ru);
    let reply = get(&state, "/tv").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.assert_html();
    let html = &reply.body;
    assert_eq!(
        slides(html),
        ["plan-fact", "leaderboard", "hygiene", "receivables"].map(|s| (s.to_string(), "20".to_string()))
    );
    assert!(html.contains("class=\"tv theme-dark\""));
    assert!(html.contains("data-refresh-ms=\"60000\"") && html.contains("data-tz=\"Europe/Moscow\""));
    assert!(html.contains("<script src=\"/assets/tv.js\" defer></script>"));
    assert!(html.contains("data-src=\"/tv/slide/plan-fact\""));
    assert!(html.contains("id=\"tv-clock\">15:00<"), "the business zone's time at first paint");
    // Every slide is in the page from the start: no load, no flash, between slides.
    assert_eq!(html.matches("class=\"slide-content\"").count(), 4);
    assert!(!html.contains("class=\"nav\""), "no navigation on a TV");

    let html = get(
        &state,
        "/tv?boards=owner:5,call-priority,hygiene:0.5&seconds=7&refresh=30&theme=light",
    )
    .await
    .body;
    assert_eq!(
        slides(&html),
        [("owner", "5"), ("call-priority", "7"), ("hygiene", "0.5")].map(|(a, b)| (a.to_string(), b.to_string()))
    );
    assert!(html.contains("data-refresh-ms=\"30000\"") && html.contains("theme-light"));
    assert!(html.contains("data-figure=\"next-calls\""), "call-priority has its TV list");
}

#[tokio::test]
async fn bad_rotation_links_are_clear_400s() {
    let state = demo_state(Language::En);
    for (query, needle) in [
        ("boards=forecastt", "forecastt"),
        ("boards=hygiene:0", "hygiene:0"),
        ("seconds=fast", "seconds"),
        ("refresh=-1", "refresh"),
        ("as_of=tomorrow", "as_of=tomorrow"),
    ] {
        let reply = get(&state, &format!("/tv?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        reply.assert_html();
        assert!(reply.body.contains(needle), "{query}: {}", reply.body);
    }
    assert_eq!(get(&state, "/tv/slide/forecastt").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn slides_refresh_from_fragments_with_the_same_figures() {
    let state = demo_state(Language::Ru);
    let page = get(&state, "/tv?boards=plan-fact,owner").await.body;
    for slug in [
        "plan-fact",
        "leaderboard",
        "hygiene",
        "call-priority",
        "receivables",
        "funnel",
        "owner",
    ] {
        let reply = get(&state, &format!("/tv/slide/{slug}")).await;
        assert_eq!(reply.status, StatusCode::OK, "{slug}: {}", reply.body);
        assert!(reply.content_type.starts_with("text/html"));
        assert_eq!(reply.headers["x-tsifra-version"], env!("CARGO_PKG_VERSION"));
        assert!(
            reply
                .body
                .starts_with("<div class=\"slide-content\" data-as-of=\"20.11.2026 15:00\""),
            "{slug}: {}",
            reply.body
        );
        assert!(!reply.body.contains("<html"), "a fragment");
        if slug == "plan-fact" {
            assert!(page.contains(&reply.body), "the page holds the same slide");
        }
    }
    let api = get(&state, "/api/reports/plan-fact").await.json();
    let slide = get(&state, "/tv/slide/plan-fact").await.body;
    assert_eq!(kpi_value(&slide, "month.fact"), api["periods"][2]["total"]["fact"].to_string());
    assert!(slide.contains("млн") || slide.contains("млрд"), "compact money on a TV: {slide}");
    let slide = get(&state, "/tv/slide/plan-fact?as_of=2026-11-01").await.body;
    assert!(slide.contains("data-as-of=\"01.11.2026 23:59\""));
}

#[tokio::test]
async fn the_token_lets_a_tv_in_and_nothing_else_does() {
    let state = with_token("tv-Secret_1");
    for path in ["/tv", "/tv/slide/hygiene"] {
        let reply = get(&state, path).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
        reply.assert_html();
        assert!(
            reply.body.contains("Доступ запрещён") && reply.body.contains("token"),
            "{}",
            reply.body
        );
        let reply = get(&state, &format!("{path}?token=tv-Secret_2")).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}");
        assert!(reply.body.contains("не подходит"), "{}", reply.body);
        assert!(!reply.body.contains("tv-Secret_1"), "the token is never shown");
        assert_eq!(
            get(&state, &format!("{path}?token=tv-Secret_1")).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    let html = get(&state, "/tv?token=tv-Secret_1&boards=leaderboard").await.body;
    assert!(
        html.contains("data-src=\"/tv/slide/leaderboard?token=tv-Secret_1\""),
        "refreshes carry the token"
    );
    // Without a token in the config the TV is open, like every other page.
    assert_eq!(get(&demo_state(Language::Ru), "/tv?token=anything").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_tv_can_follow_one_manager() {
    let state = demo_state(Language::Ru);
    let (id, name) = state.managers().await.into_iter().next().unwrap();
    let html = get(&state, &format!("/tv?boards=plan-fact,hygiene&manager={id}")).await.body;
    assert!(html.contains(&format!("data-src=\"/tv/slide/plan-fact?manager={id}\"")));
    let short = tsifra_web::view::short_name(&name);
    assert!(html.contains(&format!("· {name}")), "{html}");
    assert!(html.contains(&short) || html.contains(&name));
}
