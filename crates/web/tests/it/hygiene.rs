//! The hygiene board's violations list, filtered and sorted on the server, and
//! the TV's heat table: the same numbers as the API.

use axum::http::StatusCode;
use tsifra_core::Language;

use crate::support::{demo_state, get, table_html};

/// The `data-rows` of a table: how many rows it has in all, whatever the page shows.
fn rows(table: &str) -> usize {
    let at = table.find("data-rows=\"").unwrap() + "data-rows=\"".len();
    table[at..at + table[at..].find('"').unwrap()].parse().unwrap()
}

#[tokio::test]
async fn the_violations_list_is_filtered_and_sorted_as_the_api_says() {
    let state = demo_state(Language::Ru);
    let all = get(&state, "/api/reports/hygiene").await.json();
    let total = all["violations"].as_array().unwrap().len();
    let query = "rule=stale_deal&min_days=3&sort=record_desc";
    let api = get(&state, &format!("/api/reports/hygiene?{query}")).await.json();
    let listed = api["violations"].as_array().unwrap();
    assert!(
        !listed.is_empty() && listed.len() < total,
        "the demo has some stale deals: {}",
        listed.len()
    );
    assert!(
        listed
            .iter()
            .all(|v| v["rule"] == "stale_deal" && v["open_days"].as_i64().unwrap() >= 3)
    );
    assert_eq!(api["violations_total"], total, "the filters narrow the list, never the counts");
    assert_eq!(api["team"], all["team"]);
    let names: Vec<&str> = listed.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert!(names.windows(2).all(|w| w[0] >= w[1]), "Я→А");

    let html = get(&state, &format!("/boards/hygiene?{query}")).await.body;
    let table = table_html(&html, "violations");
    assert_eq!(rows(table), listed.len(), "the page lists what the API does");
    assert!(table.contains("<table data-server-sort>"), "client-side sorting leaves it alone");
    assert!(table.contains("aria-sort=\"descending\""));
    // The form keeps the filters; the heads sort within them.
    assert!(html.contains("<option value=\"stale_deal\" selected>"));
    assert!(html.contains("name=\"min_days\" min=\"0\" step=\"1\" inputmode=\"numeric\" value=\"3\""));
    assert!(
        table.contains("rule=stale_deal&#38;min_days=3&#38;sort=record#violations"),
        "{table}"
    );
    // The CSV is the same list.
    let csv = get(&state, &format!("/boards/hygiene/violations.csv?{query}")).await;
    assert_eq!(csv.body.lines().count(), listed.len() + 1);

    let bad = get(&state, "/boards/hygiene?rule=no_task").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("open_deal_without_task"), "{}", bad.body);
    let bad = get(&state, "/api/reports/hygiene?min_days=soon").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_tv_heat_table_shows_the_reports_counts() {
    let state = demo_state(Language::Ru);
    let report = get(&state, "/api/reports/hygiene").await.json();
    let slide = get(&state, "/tv/slide/hygiene").await.body;
    assert!(slide.contains("data-heat"), "{slide}");
    for m in report["managers"].as_array().unwrap().iter().filter(|m| !m["manager_id"].is_null()) {
        let at = slide
            .find(&format!("data-manager-id=\"{}\"", m["manager_id"]))
            .expect("a row per manager");
        let row = &slide[at..at + slide[at..].find("</tr>").unwrap()];
        for (rule, count) in m["counts"].as_object().unwrap() {
            assert!(
                row.contains(&format!("data-rule=\"{rule}\" data-value=\"{count}\"")),
                "{rule}: {row}"
            );
        }
        assert!(row.contains(&format!("class=\"sum\" data-value=\"{}\"", m["violations"])));
        // Yesterday's change, signed with the minus sign, or a dash when there is none.
        match m["since_yesterday"].as_i64() {
            Some(d) if d < 0 => assert!(row.contains(&format!("\u{2212}{}", -d)), "{row}"),
            Some(d) if d > 0 => assert!(row.contains(&format!("+{d}")), "{row}"),
            _ => {}
        }
    }
}
