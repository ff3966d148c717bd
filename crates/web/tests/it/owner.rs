//! The owner's board and what makes it an installable web app.

use axum::http::{StatusCode, header};
use tsifra_core::Language;

use crate::support::{demo_state, get, get_bytes, kpi_value};

#[tokio::test]
async fn the_owners_figures_are_the_reports_numbers() {
    let state = demo_state(Language::Ru);
    let reply = get(&state, "/owner").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.assert_html();
    let html = &reply.body;
    let plan_fact = get(&state, "/api/reports/plan-fact").await.json();
    for (i, period) in ["today", "week", "month"].iter().enumerate() {
        assert_eq!(
            kpi_value(html, &format!("{period}.fact")),
            plan_fact["periods"][i]["total"]["fact"].to_string()
        );
    }
    assert_eq!(
        kpi_value(html, "month.projection"),
        plan_fact["periods"][2]["total"]["projection"].to_string()
    );
    let receivables = get(&state, "/api/reports/receivables").await.json();
    assert_eq!(kpi_value(html, "total_overdue"), receivables["total_overdue"].to_string());
    let hygiene = get(&state, "/api/reports/hygiene").await.json();
    assert_eq!(kpi_value(html, "score"), hygiene["team"]["score"].to_string());
    let leaderboard = get(&state, "/api/reports/leaderboard").await.json();
    assert_eq!(kpi_value(html, "leader"), leaderboard["rows"][0]["value"].to_string());
    assert!(html.contains("data-figure=\"trend\""));
    assert!(html.contains("href=\"/boards/plan-fact\""), "each figure leads to its board");
}

#[tokio::test]
async fn it_installs_as_a_web_app() {
    let state = demo_state(Language::Ru);
    let html = get(&state, "/owner").await.body;
    for needle in [
        "<link rel=\"manifest\" href=\"/manifest.webmanifest\">",
        "<meta name=\"theme-color\"",
        "<script src=\"/assets/app.js\" defer></script>",
        "<link rel=\"apple-touch-icon\" href=\"/icons/icon-192.png\">",
    ] {
        assert!(html.contains(needle), "{needle}");
    }
    let reply = get(&state, "/manifest.webmanifest").await;
    assert!(reply.content_type.starts_with("application/manifest+json"));
    let manifest: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(manifest["start_url"], "/owner");
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["lang"], "ru");
    for icon in manifest["icons"].as_array().unwrap() {
        let src = icon["src"].as_str().unwrap();
        let (status, bytes) = get_bytes(&state, src).await;
        assert_eq!(status, StatusCode::OK, "{src}");
        if let Some((w, h)) = icon["sizes"].as_str().unwrap().split_once('x') {
            assert!(bytes.starts_with(b"\x89PNG"), "{src}");
            // The IHDR chunk: width and height, big-endian, at bytes 16..24.
            let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
            let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
            assert_eq!((width.to_string(), height.to_string()), (w.to_string(), h.to_string()), "{src}");
        }
    }
    assert!(manifest["icons"].as_array().unwrap().iter().any(|i| i["purpose"] == "maskable"));
    let sw = get(&state, "/sw.js").await;
    assert!(sw.content_type.starts_with("text/javascript"));
    assert!(sw.body.contains("addEventListener('push'") && sw.body.contains("showNotification"));
    assert_eq!(sw.headers[header::CACHE_CONTROL], "no-cache");
    assert_eq!(get(&state, "/assets/app.js").await.status, StatusCode::OK);
    assert_eq!(get(&state, "/assets/nope.js").await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&state, "/icons/nope.png").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_owner_page_follows_a_manager_and_as_of() {
    let state = demo_state(Language::En);
    let (id, _) = state.managers().await.into_iter().next().unwrap();
    let reply = get(&state, &format!("/owner?manager={id}&as_of=2026-11-01")).await;
    assert_eq!(reply.status, StatusCode::OK);
    let api = get(&state, &format!("/api/reports/plan-fact?manager={id}&as_of=2026-11-01"))
        .await
        .json();
    assert_eq!(kpi_value(&reply.body, "month.fact"), api["periods"][2]["total"]["fact"].to_string());
    assert!(reply.body.contains("Nov 1, 2026 23:59"));
    assert_eq!(get(&state, "/owner?manager=Nobody").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn pages_allow_only_their_own_scripts() {
    let state = demo_state(Language::Ru);
    for path in ["/", "/owner", "/tv", "/boards/hygiene"] {
        let reply = get(&state, path).await;
        let csp = reply.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"), "{path}: {csp}");
        assert!(!reply.body.contains("<script>"), "{path}: no inline script");
    }
}
