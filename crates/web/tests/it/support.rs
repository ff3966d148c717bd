//! Hand-built workspaces, a fixed clock and request helpers for the tests.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::{DateTime, Utc};
use tower::ServiceExt;
use tsifra_core::{Account, Activity, ActivityKind, Company, Config, Deal, EntityRef, Instant, Language, Money, Source, Workspace};
use tsifra_web::{AppState, app};

/// "Now" in every test: 20 November 2026, 12:00 UTC (15:00 in Moscow).
pub const NOW: &str = "2026-11-20T12:00:00Z";

pub fn utc(s: &str) -> Instant {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub fn config(lang: Language) -> Config {
    let mut config = Config::default();
    config.business.language = lang;
    config
}

pub fn state(lang: Language, ws: Workspace) -> AppState {
    AppState::with_clock(config(lang), ws, "/var/lib/tsifra", Arc::new(|| utc(NOW)))
}

pub fn deal(id: i64, created_at: &str) -> Deal {
    let at = utc(created_at);
    Deal {
        id,
        name: format!("Deal {id}"),
        pipeline_id: 1,
        stage_id: 10,
        amount: Money::from_major(1_000),
        responsible_id: None,
        company_id: None,
        contact_ids: Vec::new(),
        created_at: at,
        updated_at: at,
        closed_at: None,
        loss_reason_id: None,
        lead_source: None,
        tags: Vec::new(),
        fields: Vec::new(),
        responsible_changes: Vec::new(),
        history: Vec::new(),
        source: Source::Amocrm,
    }
}

pub fn company(id: i64) -> Company {
    let at = utc("2026-01-10T09:00:00Z");
    Company {
        id,
        name: format!("Company {id}"),
        responsible_id: None,
        created_at: at,
        updated_at: at,
        tax_id: None,
        phones: Vec::new(),
        emails: Vec::new(),
        fields: Vec::new(),
        source: Source::Amocrm,
    }
}

pub fn call(id: i64) -> Activity {
    Activity {
        id,
        kind: ActivityKind::CallOut,
        manager_id: None,
        entity: Some(EntityRef::Deal(1)),
        at: utc("2026-11-02T10:00:00Z"),
        duration_s: 60,
        connected: true,
        source: Source::Amocrm,
    }
}

/// 3 deals (the first created on 5 Jan 2026 in Moscow, though 4 Jan in UTC;
/// the last on 19 Nov 2026), 2 companies and 1 234 calls.
pub fn small_workspace() -> Workspace {
    let mut ws = Workspace {
        account: Some(Account {
            name: "ООО «Ромашка» & <Co>".into(),
            base_url: "https://romashka.amocrm.ru".into(),
            time_zone: "Europe/Moscow".into(),
            currency: "RUB".into(),
        }),
        ..Workspace::default()
    };
    for d in [
        deal(1, "2026-01-04T22:30:00Z"),
        deal(2, "2026-06-15T10:00:00Z"),
        deal(3, "2026-11-19T08:00:00Z"),
    ] {
        ws.deals.upsert(d);
    }
    ws.companies.upsert(company(1));
    ws.companies.upsert(company(2));
    for id in 1..=1234 {
        ws.activities.upsert(call(id));
    }
    ws
}

pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        assert!(
            self.content_type.starts_with("application/json"),
            "not JSON: {} {}",
            self.content_type,
            self.body
        );
        serde_json::from_str(&self.body).unwrap()
    }
    pub fn assert_html(&self) {
        assert!(
            self.content_type.starts_with("text/html"),
            "not HTML: {} {}",
            self.content_type,
            self.body
        );
        assert!(self.body.starts_with("<!doctype html>"), "{}", self.body);
    }
}

pub async fn get(state: &AppState, uri: &str) -> Reply {
    request(state, "GET", uri).await
}

pub async fn request(state: &AppState, method: &str, uri: &str) -> Reply {
    let response = app(state.clone())
        .oneshot(Request::builder().method(method).uri(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Reply {
        status,
        content_type,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// The text of the count cell in the home page's row for `kind`.
pub fn count_cell(html: &str, kind: &str) -> String {
    let row_start = html
        .find(&format!("data-kind=\"{kind}\""))
        .unwrap_or_else(|| panic!("no row {kind}"));
    let row = &html[row_start..];
    let cell = &row[row.find("class=\"num\">").unwrap() + "class=\"num\">".len()..];
    cell[..cell.find('<').unwrap()].to_string()
}

/// The demo department (seed 11, 600 deals, clock at [`NOW`]) and the config that maps its fields.
pub fn demo(lang: Language) -> (Config, Workspace) {
    let mut config = Config {
        fields: tsifra_demo::field_mapping(),
        ..Config::default()
    };
    config.business.language = lang;
    let ws = tsifra_demo::generate(
        &tsifra_demo::DemoOptions {
            seed: 11,
            deals: 600,
            as_of: utc(NOW),
        },
        &config.calendar(),
    );
    (config, ws)
}

/// A server state on the demo department with the clock at [`NOW`].
pub fn demo_state(lang: Language) -> AppState {
    let (config, ws) = demo(lang);
    AppState::with_clock(config, ws, "/tmp/tsifra-demo", Arc::new(|| utc(NOW)))
}

/// The `data-value` of the headline figure `key` on a page.
pub fn kpi_value(html: &str, key: &str) -> String {
    let at = html
        .find(&format!("data-kpi=\"{key}\""))
        .unwrap_or_else(|| panic!("no figure {key} in {html}"));
    let rest = &html[at..];
    let value = &rest[rest.find("data-value=\"").unwrap() + "data-value=\"".len()..];
    value[..value.find('"').unwrap()].to_string()
}

/// The HTML of the table section `id` on a board page.
pub fn table_html<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("data-table=\"{id}\""))
        .unwrap_or_else(|| panic!("no table {id}"));
    let rest = &html[at..];
    &rest[..rest.find("</section>").unwrap()]
}

/// GET returning the raw body, for binary downloads.
pub async fn get_bytes(state: &AppState, uri: &str) -> (StatusCode, Vec<u8>) {
    let response = app(state.clone())
        .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, body.to_vec())
}

/// The page at `uri` once `ready` holds for it: after a batch lands, pages are
/// remade in the background while the previous copy is served.
pub async fn eventually(state: &AppState, uri: &str, ready: impl Fn(&str) -> bool) -> String {
    for _ in 0..500 {
        let body = get(state, uri).await.body;
        if ready(&body) {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{uri} never became ready");
}
