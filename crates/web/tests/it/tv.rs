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

/// The `data-value` of each (period, column) cell of manager `id`'s row on the plan-fact slide.
fn pf_cells(slide: &str, id: i64) -> Vec<(String, String, String, String)> {
    let at = slide
        .find(&format!("data-manager=\"{id}\""))
        .unwrap_or_else(|| panic!("no row for {id}"));
    let row = &slide[at..at + slide[at..].find("</tr>").unwrap()];
    row.split("<td ")
        .skip(1)
        .map(|cell| {
            let attr = |name: &str| {
                let from = cell.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                cell[from..from + cell[from..].find('"').unwrap()].to_string()
            };
            let text = &cell[cell.find('>').unwrap() + 1..];
            (
                attr("data-period"),
                attr("data-col"),
                attr("data-value"),
                text[..text.find('<').unwrap()].to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn plan_fact_on_the_tv_is_per_manager_for_today_and_this_week() {
    use tsifra_demo::{Habit, manager_with};
    let (config, mut ws) = crate::support::demo(Language::Ru);
    // The week's best seller leaves today: his row stays, greyed, while he has this week's fact.
    let state = AppState::with_clock(config.clone(), ws.clone(), "/tmp", Arc::new(|| utc(NOW)));
    let api = get(&state, "/api/reports/plan-fact").await.json();
    let best = api["periods"][1]["rows"][0]["manager_id"].as_i64().unwrap();
    assert!(api["periods"][1]["rows"][0]["fact"].as_i64().unwrap() > 0);
    let mut user = ws.users.get(best).unwrap().clone();
    user.active = false;
    ws.users.upsert(user);
    let state = AppState::with_clock(config, ws, "/tmp", Arc::new(|| utc(NOW)));
    let api = get(&state, "/api/reports/plan-fact").await.json();
    let slide = get(&state, "/tv/slide/plan-fact").await.body;

    let rows = |i: usize| api["periods"][i]["rows"].as_array().unwrap().clone();
    let json = |v: &serde_json::Value| if v.is_null() { String::new() } else { v.to_string() };
    let mut shown = 0;
    for (i, period) in [(0, "today"), (1, "week")] {
        for r in rows(i) {
            let id = r["manager_id"].as_i64().unwrap();
            if !r["active"].as_bool().unwrap() && r["fact"].as_i64() == Some(0) {
                continue;
            }
            shown += 1;
            let cells: Vec<_> = pf_cells(&slide, id).into_iter().filter(|c| c.0 == period).collect();
            let value = |col: &str| cells.iter().find(|c| c.1 == col).unwrap().clone();
            // The same numbers as the API's, cell by cell.
            assert_eq!(value("plan").2, json(&r["plan"]), "{id} {period}");
            assert_eq!(value("fact").2, json(&r["fact"]), "{id} {period}");
            if r["plan"].is_null() {
                // No plan: a dash, the fact, "без плана", and no % (never 0 % or ∞).
                assert_eq!((value("plan").3.as_str(), value("diff").3.as_str()), ("—", "без плана"));
                assert_eq!((value("diff").2.as_str(), value("pct").3.as_str()), ("", ""));
            } else {
                assert_eq!(value("diff").2, json(&r["difference"]), "{id} {period}");
                assert_eq!(value("pct").2, json(&r["percent_done"]), "{id} {period}");
            }
            let diff = r["difference"].as_i64().unwrap_or(0);
            if diff < 0 && !r["plan"].is_null() {
                assert!(value("diff").3.starts_with('\u{2212}'), "the Russian minus: {:?}", value("diff"));
            }
        }
    }
    assert!(shown > 10, "today and this week for every manager");
    // The manager without a plan this month has none today or this week either.
    let no_plan = manager_with(Habit::NoPlanThisMonth);
    let cells = pf_cells(&slide, no_plan);
    assert!(cells.iter().filter(|c| c.1 == "plan").all(|c| c.3 == "—"), "{cells:?}");
    // The one who left months ago has nothing this week: not on the slide.
    assert!(!slide.contains(&format!("data-manager=\"{}\"", manager_with(Habit::Fired))));
    // The one who left today sold this week: greyed and marked.
    let at = slide.find(&format!("data-manager=\"{best}\"")).unwrap();
    assert!(slide[..at].ends_with("<tr class=\"pf-row gone\" "), "greyed");
    let row = &slide[at..at + slide[at..].find("</tr>").unwrap()];
    assert!(row.contains("<small>не работает</small>"), "{row}");
    // The month per manager is the slide's last page.
    assert!(slide.contains("data-periods=\"today,week\"") && slide.contains("data-periods=\"month\""));
    assert!(slide.contains("data-pages=\"2\""));
}
