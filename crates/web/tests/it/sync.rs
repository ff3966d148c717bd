//! The home page's sync panel and "sync now" button, over a stand-in connector.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;
use tsifra_core::Language;
use tsifra_web::{AppState, SyncControl, SyncStatus, app};

use crate::support::{NOW, demo, get, utc};

#[derive(Default)]
struct Stub {
    status: Mutex<SyncStatus>,
    started: AtomicUsize,
}

impl SyncControl for Stub {
    fn status(&self) -> SyncStatus {
        self.status.lock().unwrap().clone()
    }
    fn sync_now(&self) {
        self.started.fetch_add(1, Ordering::SeqCst);
    }
}

fn state(lang: Language, stub: Option<Arc<Stub>>) -> AppState {
    let (config, ws) = demo(lang);
    let state = AppState::with_clock(config, ws, "/tmp", Arc::new(|| utc(NOW)));
    if let Some(stub) = stub {
        state.set_sync(stub);
    }
    state
}

/// The panel's state attribute and its text.
fn panel(html: &str) -> (String, String) {
    let at = html.find("<section class=\"card\" id=\"sync\">").expect("the sync panel");
    let section = &html[at..at + html[at..].find("</section>").unwrap()];
    let p = section.find("data-state=\"").unwrap() + 12;
    let state = section[p..p + section[p..].find('"').unwrap()].to_string();
    (state, section.to_string())
}

async fn post(state: &AppState, uri: &str, origin: Option<&str>) -> (StatusCode, Option<String>) {
    let mut request = Request::builder().method("POST").uri(uri).header(header::HOST, "tsifra.local:8080");
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    let response = app(state.clone()).oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let location = response.headers().get(header::LOCATION).map(|l| l.to_str().unwrap().to_string());
    (response.status(), location)
}

#[tokio::test]
async fn the_home_page_shows_the_last_sync_in_the_business_zone() {
    let stub = Arc::new(Stub::default());
    let ru = state(Language::Ru, Some(stub.clone()));
    let en = state(Language::En, Some(stub.clone()));
    let (s, html) = panel(&get(&ru, "/").await.body);
    assert_eq!(s, "never");
    assert!(
        html.contains("Синхронизации ещё не было") && html.contains("Синхронизировать сейчас"),
        "{html}"
    );
    let (s, html) = panel(&get(&en, "/").await.body);
    assert_eq!(s, "never");
    assert!(html.contains("Not synced yet") && html.contains("Sync now"), "{html}");

    // 09:15 UTC is 12:15 in Moscow, where the demo business is.
    *stub.status.lock().unwrap() = SyncStatus {
        running: false,
        last_started: Some(utc("2026-11-20T09:14:00Z")),
        last_finished: Some(utc("2026-11-20T09:15:00Z")),
        last_outcome: Some("ok".into()),
        last_records: 12_345,
        ..SyncStatus::default()
    };
    let (s, html) = panel(&get(&ru, "/").await.body);
    assert_eq!(s, "ok");
    assert!(
        html.contains("Последняя синхронизация 20.11.2026 12:15 · успешно · записей: 12\u{a0}345"),
        "{html}"
    );
    let (_, html) = panel(&get(&en, "/").await.body);
    assert!(html.contains("Last sync Nov 20, 2026 12:15 · ok · records: 12,345"), "{html}");
    assert!(html.contains("Sync now"), "{html}");

    stub.status.lock().unwrap().last_outcome = Some("amoCRM refused the token: run tsifra amocrm connect".into());
    let (s, html) = panel(&get(&ru, "/").await.body);
    assert_eq!(s, "error");
    assert!(html.contains("ошибка") && html.contains("run tsifra amocrm connect"), "{html}");
    let (s, html) = panel(&get(&en, "/").await.body);
    assert_eq!(s, "error");
    assert!(
        html.contains("Last sync Nov 20, 2026 12:15 · failed") && html.contains("<p class=\"error\">amoCRM refused the token"),
        "{html}"
    );

    // amoCRM's own words may carry markup (a proxy's error page): shown as text.
    stub.status.lock().unwrap().last_outcome = Some("amoCRM answered 502: <h1>Bad Gateway</h1>".into());
    let (_, html) = panel(&get(&en, "/").await.body);
    assert!(html.contains("502: &#60;h1&#62;Bad Gateway") && !html.contains("<h1>"), "{html}");

    stub.status.lock().unwrap().running = true;
    let (s, html) = panel(&get(&ru, "/").await.body);
    assert_eq!(s, "running");
    assert!(html.contains("Идёт синхронизация, начата 20.11.2026 12:14"), "{html}");
    let (s, html) = panel(&get(&en, "/").await.body);
    assert_eq!(s, "running");
    assert!(html.contains("Syncing, started Nov 20, 2026 12:14"), "{html}");

    let status = get(&ru, "/api/sync").await.json();
    assert_eq!(status["running"], true);
    assert_eq!(status["last_records"], 12_345);
}

#[tokio::test]
async fn sync_now_starts_a_run_and_only_from_this_site() {
    let stub = Arc::new(Stub::default());
    let state = state(Language::Ru, Some(stub.clone()));
    assert_eq!(post(&state, "/sync", None).await, (StatusCode::SEE_OTHER, Some("/".into())));
    assert_eq!(stub.started.load(Ordering::SeqCst), 1);
    assert_eq!(
        post(&state, "/sync", Some("http://tsifra.local:8080")).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(stub.started.load(Ordering::SeqCst), 2);
    // Another site's page posting the form: refused, nothing started.
    assert_eq!(post(&state, "/sync", Some("https://evil.example")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        post(&state, "/api/sync", Some("https://evil.example")).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(stub.started.load(Ordering::SeqCst), 2);
    assert_eq!(post(&state, "/api/sync", None).await.0, StatusCode::ACCEPTED);
    assert_eq!(stub.started.load(Ordering::SeqCst), 3);

    // Behind a reverse proxy that sends its upstream as Host and the public name on the side.
    let proxied = |origin: &str| {
        Request::builder()
            .method("POST")
            .uri("/sync")
            .header(header::HOST, "127.0.0.1:8080")
            .header("x-forwarded-host", "tsifra.example.com")
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap()
    };
    let reply = app(state.clone()).oneshot(proxied("https://tsifra.example.com")).await.unwrap();
    assert_eq!(reply.status(), StatusCode::SEE_OTHER);
    assert_eq!(stub.started.load(Ordering::SeqCst), 4);
    let reply = app(state.clone()).oneshot(proxied("https://evil.example")).await.unwrap();
    assert_eq!(reply.status(), StatusCode::FORBIDDEN);
    assert_eq!(stub.started.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn without_a_connector_the_panel_says_how_to_connect() {
    let state = state(Language::En, None);
    let (s, html) = panel(&get(&state, "/").await.body);
    assert_eq!(s, "off");
    assert!(html.contains("tsifra amocrm connect") && !html.contains("<form"), "{html}");
    assert_eq!(post(&state, "/sync", None).await.0, StatusCode::NOT_FOUND);
    assert_eq!(get(&state, "/api/sync").await.status, StatusCode::NOT_FOUND);
}

/// A run skipped because another process held the account's lease is no failure:
/// the panel says so in the reader's language, without the English error text.
#[tokio::test]
async fn a_skipped_run_is_said_as_such() {
    let stub = Arc::new(Stub::default());
    *stub.status.lock().unwrap() = SyncStatus {
        running: false,
        last_started: Some(utc("2026-11-20T09:14:00Z")),
        last_finished: Some(utc("2026-11-20T09:14:01Z")),
        last_outcome: Some("skipped: the account's lease is held by pid 4242 on host".into()),
        last_records: 0,
        ..SyncStatus::default()
    };
    let ru = state(Language::Ru, Some(stub.clone()));
    let (s, html) = panel(&get(&ru, "/").await.body);
    assert_eq!(s, "skipped");
    assert!(
        html.contains("пропущена: аккаунт в это время синхронизировал другой процесс"),
        "{html}"
    );
    assert!(!html.contains("lease"), "no English inside the Russian page: {html}");
}

/// The last run's unusable values are listed under the panel, each with its
/// record and field, with how many more there were; escape sequences from the
/// CRM are not passed on.
#[tokio::test]
async fn values_the_last_run_could_not_use_are_listed_with_record_and_field() {
    use tsifra_core::model::{BadValue, BadValueProblem, EntityKind};
    let stub = Arc::new(Stub::default());
    *stub.status.lock().unwrap() = SyncStatus {
        last_started: Some(utc("2026-11-20T09:14:00Z")),
        last_finished: Some(utc("2026-11-20T09:15:00Z")),
        last_outcome: Some("ok".into()),
        last_records: 40,
        bad_values: vec![
            BadValue::new(
                EntityKind::Deal,
                40001,
                "Поставка\u{1b}[2J",
                None,
                "1e+27",
                BadValueProblem::TooLarge,
            ),
            BadValue::new(
                EntityKind::Company,
                7,
                "ООО Ромашка",
                Some("Выручка за год"),
                "много",
                BadValueProblem::NotAnAmount,
            ),
        ],
        bad_value_count: 5,
        ..SyncStatus::default()
    };
    let ru = state(Language::Ru, Some(stub.clone()));
    let (s, html) = panel(&get(&ru, "/").await.body);
    assert_eq!(s, "ok");
    assert!(html.contains("Значений, которые нельзя использовать: 5"), "{html}");
    assert!(
        html.contains("Сделка «Поставка [2J» (#40001), поле «Бюджет»: 1e+27 — больше любой суммы"),
        "{html}"
    );
    assert!(
        html.contains("Компания «ООО Ромашка» (#7), поле «Выручка за год»: много — не сумма"),
        "{html}"
    );
    assert!(html.contains("…и ещё 3"), "{html}");
    assert!(!html.contains('\u{1b}'));
    let json = get(&ru, "/api/sync").await.json();
    assert_eq!(json["bad_value_count"], 5);
    assert_eq!(json["bad_values"][0]["id"], 40001);
}
