//! Unknown paths and wrong methods: HTML pages for people, JSON for scripts.

use axum::http::{StatusCode, header};
use tsifra_core::Language;

use crate::support::{get, request, small_workspace, state};

#[tokio::test]
async fn unknown_page_is_an_html_404_in_the_configured_language() {
    let reply = get(&state(Language::Ru, small_workspace()), "/no/such/page?token=x").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    reply.assert_html();
    assert!(reply.body.contains("Страница не найдена") && reply.body.contains("/no/such/page"));
    assert!(reply.body.contains("href=\"/\""), "a way back");

    let reply = get(&state(Language::En, small_workspace()), "/boards/forecastt").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "no such board");
    assert!(reply.body.contains("Page not found") && reply.body.contains("/boards/forecastt"));
}

#[tokio::test]
async fn unknown_api_path_is_a_json_404() {
    let state = state(Language::Ru, small_workspace());
    for path in ["/api/nope", "/api", "/api/health/extra"] {
        let reply = get(&state, path).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        let json = reply.json();
        assert!(json["error"].as_str().unwrap().contains(path), "{json}");
    }
}

#[tokio::test]
async fn wrong_method_is_a_405_in_the_right_shape() {
    let state = state(Language::En, small_workspace());
    let reply = request(&state, "POST", "/api/health").await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(reply.json()["error"].is_string());
    assert!(reply.headers.get(header::ALLOW).is_some(), "Allow is kept");

    let reply = request(&state, "DELETE", "/").await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    reply.assert_html();
    assert!(reply.body.contains("Method not allowed"));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let state = state(Language::Ru, small_workspace());
    for path in ["/", "/api/health", "/missing", "/api/missing", "/?as_of=bad"] {
        let reply = get(&state, path).await;
        assert_eq!(reply.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(reply.headers[header::REFERRER_POLICY], "no-referrer", "{path}");
    }
}

#[tokio::test]
async fn head_requests_work_like_get() {
    let reply = request(&state(Language::Ru, small_workspace()), "HEAD", "/api/health").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_empty());
}
