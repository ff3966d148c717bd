//! `?as_of=`: every accepted spelling, and clear 400s for the rest.

use axum::http::StatusCode;
use tsifra_core::Language;

use crate::support::{get, small_workspace, state};

async fn as_of_json(query: &str) -> serde_json::Value {
    let reply = get(&state(Language::Ru, small_workspace()), &format!("/api/health{query}")).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
    reply.json()["as_of"].clone()
}

#[tokio::test]
async fn accepted_forms() {
    // Moscow is UTC+3 all year.
    for (query, expected) in [
        ("", "2026-11-20T12:00:00Z"),
        ("?as_of=", "2026-11-20T12:00:00Z"),
        ("?as_of=2026-11-01T09:30:00Z", "2026-11-01T09:30:00Z"),
        ("?as_of=2026-11-01T12:30:00%2B03:00", "2026-11-01T09:30:00Z"),
        // An unescaped `+` decodes to a space; it is put back.
        ("?as_of=2026-11-01T12:30:00+03:00", "2026-11-01T09:30:00Z"),
        ("?as_of=2026-11-01T12:30", "2026-11-01T09:30:00Z"),
        ("?as_of=2026-11-01%2012:30:15", "2026-11-01T09:30:15Z"),
        ("?as_of=2026-11-01", "2026-11-01T20:59:59.999999999Z"),
        ("?foo=bar&as_of=2026-11-01&x", "2026-11-01T20:59:59.999999999Z"),
    ] {
        assert_eq!(as_of_json(query).await, expected, "{query}");
    }
}

#[tokio::test]
async fn malformed_as_of_is_a_json_400_under_api() {
    let state = state(Language::Ru, small_workspace());
    for path in ["/api/health", "/api/workspace"] {
        let reply = get(&state, &format!("{path}?as_of=yesterday")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{path}");
        let json = reply.json();
        let message = json["error"].as_str().unwrap();
        assert!(
            message.contains("as_of=yesterday") && message.contains("2026-11-20T15:00"),
            "{message}"
        );
    }
    let reply = get(&state, "/api/health?as_of=2026-11-01&as_of=2026-11-02").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["error"].as_str().unwrap().contains("more than once"));
}

#[tokio::test]
async fn malformed_as_of_is_an_html_400_page_in_the_configured_language() {
    let reply = get(&state(Language::Ru, small_workspace()), "/?as_of=2026-02-30").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    reply.assert_html();
    assert!(reply.body.contains("<html lang=\"ru\">"));
    assert!(
        reply.body.contains("Неверный запрос") && reply.body.contains("as_of=2026-02-30"),
        "{}",
        reply.body
    );

    let reply = get(&state(Language::En, small_workspace()), "/?as_of=%3Cscript%3Ealert(1)%3C/script%3E").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    reply.assert_html();
    assert!(reply.body.contains("Bad request"));
    assert!(!reply.body.contains("<script>"), "the value is escaped: {}", reply.body);
}

#[tokio::test]
async fn a_local_time_skipped_by_daylight_saving_is_refused() {
    let mut config = crate::support::config(Language::En);
    config.business.time_zone = "Europe/Berlin".into();
    let state = tsifra_web::AppState::new(config, small_workspace(), "/data");
    let reply = get(&state, "/api/health?as_of=2026-03-29T02:30").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let message = reply.json()["error"].as_str().unwrap().to_string();
    assert!(message.contains("Europe/Berlin"), "{message}");
}
