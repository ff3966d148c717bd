//! The explore and Pareto boards: the API is the query layer's answer, a
//! click link adds exactly one filter and the page then shows the API's total
//! under it, chips remove filters, bad names are a 400 naming the valid ones,
//! figures list the records behind them with CRM links.

use axum::http::StatusCode;
use tsifra_core::query::{Answer, Layer, QueryCtx, QueryText, answer, pareto};
use tsifra_core::{Config, Language, Workspace};
use tsifra_web::AppState;

use crate::support::{NOW, demo, demo_state, get, get_bytes, kpi_value, utc};

/// The core's answer to the question in `url`'s query, as of [`NOW`].
fn core_answer(config: &Config, ws: &Workspace, text: &QueryText) -> Answer {
    let layer = Layer::build(ws, config);
    let calendar = config.calendar();
    let ctx = QueryCtx {
        ws,
        layer: &layer,
        config,
        calendar: &calendar,
        as_of: utc(NOW),
    };
    let q = text.parse(ws, config, calendar.local_date(utc(NOW))).unwrap();
    answer(&ctx, &q)
}

/// `&amp;` back to `&`: hrefs as the page writes them.
fn unescape(href: &str) -> String {
    href.replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
}

/// Every href of links with `class` in `html`, in order.
fn links(html: &str, class: &str) -> Vec<String> {
    let marker = format!("class=\"{class}\" href=\"");
    html.match_indices(&marker)
        .map(|(at, _)| {
            let rest = &html[at + marker.len()..];
            unescape(&rest[..rest.find('"').unwrap()])
        })
        .collect()
}

fn wheres(url: &str) -> usize {
    url.matches("where=").count()
}

fn api_of(page_url: &str) -> String {
    page_url.replacen("/boards/explore", "/api/reports/explore", 1)
}

#[tokio::test]
async fn the_api_is_the_layers_answer() {
    let (config, ws) = demo(Language::Ru);
    let state = AppState::with_clock(config.clone(), ws.clone(), "/tmp", std::sync::Arc::new(|| utc(NOW)));
    let reply = get(
        &state,
        "/api/reports/explore?measure=revenue&by=manager&period=last_quarter&compare=previous",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let text = QueryText {
        measure: Some("revenue".into()),
        by: vec!["manager".into()],
        period: Some("last_quarter".into()),
        compare: Some("previous".into()),
        ..Default::default()
    };
    let expected = core_answer(&config, &ws, &text);
    assert_eq!(reply.json(), serde_json::to_value(&expected).unwrap());
    assert!(!expected.rows.is_empty(), "the demo won deals last quarter");

    // Two slices and a filter on a pipeline by name, as typed.
    let pipeline = ws.pipelines.iter().next().unwrap().name.clone();
    let url = format!(
        "/api/reports/explore?measure=won_deals&by=manager&by=month&where=pipeline%3D{}&period=this_year",
        tsifra_web::view::encode(&pipeline)
    );
    let json = get(&state, &url).await.json();
    let text = QueryText {
        measure: Some("won_deals".into()),
        by: vec!["manager".into(), "month".into()],
        filters: vec![format!("pipeline={pipeline}")],
        period: Some("this_year".into()),
        ..Default::default()
    };
    assert_eq!(json, serde_json::to_value(core_answer(&config, &ws, &text)).unwrap());
    assert_eq!(json["by"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_click_adds_one_filter_and_the_total_follows_it() {
    let state = demo_state(Language::Ru);
    let start = "/boards/explore?by=manager&period=last_quarter";
    let page = get(&state, start).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    page.assert_html();
    let before: i64 = kpi_value(&page.body, "total").parse().unwrap();
    assert!(page.body.contains("data-chips=\"0\""), "no chips yet");

    let clicks = links(&page.body, "filter");
    assert!(!clicks.is_empty(), "bars are links");
    let click = &clicks[0];
    assert_eq!(wheres(click), wheres(start) + 1, "{click}");
    assert!(click.contains("where=manager%3D"), "{click}");

    let filtered = get(&state, click).await;
    assert_eq!(filtered.status, StatusCode::OK, "{}", filtered.body);
    let total: i64 = kpi_value(&filtered.body, "total").parse().unwrap();
    let api = get(&state, &api_of(click)).await.json();
    assert_eq!(total, api["total"]["value"].as_i64().unwrap());
    assert_eq!(api["filters"].as_array().unwrap().len(), 1);
    assert!(total < before, "one manager's revenue is less than the team's: {total} vs {before}");
    assert!(filtered.body.contains("data-chips=\"1\""), "the filter shows as a chip");

    // A second click on another slice's bar adds one more; the series' columns narrow the period.
    let month = get(&state, &format!("{click}&by=pipeline")).await.body;
    let more = links(&month, "filter");
    let second = more.iter().find(|h| h.contains("where=pipeline")).expect("a pipeline bar");
    assert_eq!(wheres(second), 2, "{second}");
    let total_2: i64 = kpi_value(&get(&state, second).await.body, "total").parse().unwrap();
    assert_eq!(
        total_2,
        get(&state, &api_of(second)).await.json()["total"]["value"].as_i64().unwrap()
    );
    assert!(month.contains("class=\"bucket\""), "the series is drawn");
}

#[tokio::test]
async fn chips_remove_filters() {
    let state = demo_state(Language::Ru);
    let ws = state.workspace().await.clone();
    let manager = ws.users.iter().find(|u| u.active).unwrap();
    let pipeline = ws.pipelines.iter().next().unwrap();
    let url = format!(
        "/boards/explore?by=month&where=manager%3D{}&where=pipeline%3D{}&period=this_year",
        manager.id, pipeline.id
    );
    let page = get(&state, &url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("data-chips=\"2\""));
    assert!(
        page.body.contains(&manager.name) && page.body.contains(&pipeline.name),
        "chips name the values"
    );
    let chips = links(&page.body, "chip");
    assert_eq!(chips.len(), 2);
    for chip in &chips {
        assert_eq!(wheres(chip), 1, "{chip}");
        let after = get(&state, chip).await;
        assert!(after.body.contains("data-chips=\"1\""), "{chip}");
    }
    assert!(chips[0].contains("where=pipeline") && chips[1].contains("where=manager"));
    // Clearing them all gives the unfiltered total.
    let total: i64 = kpi_value(&get(&state, "/boards/explore?by=month&period=this_year").await.body, "total")
        .parse()
        .unwrap();
    let api = get(&state, "/api/reports/explore?period=this_year").await.json();
    assert_eq!(total, api["total"]["value"].as_i64().unwrap());
}

#[tokio::test]
async fn bad_names_are_refused_naming_the_valid_ones() {
    let state = demo_state(Language::Ru);
    for (query, says) in [
        ("measure=profit", ["Неизвестный показатель", "revenue", "tasks_overdue"]),
        ("by=colour", ["Неизвестный разрез", "manager", "loss_reason"]),
        ("where=colour%3Dred", ["Неизвестный разрез", "manager", "pipeline"]),
        ("period=someday", ["период", "last_quarter", "2026-01-01..2026-03-31"]),
        ("compare=sometime", ["сравнение", "previous", "year_ago"]),
    ] {
        let reply = get(&state, &format!("/api/reports/explore?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        let error = reply.json()["error"].as_str().unwrap().to_string();
        for word in says {
            assert!(error.contains(word), "{query}: {error}");
        }
        let page = get(&state, &format!("/boards/explore?{query}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{query}");
        page.assert_html();
        assert!(page.body.contains(says[1]), "{query}: the page says it too");
    }
    let english = demo_state(Language::En);
    let error = get(&english, "/api/reports/explore?measure=profit").await.json()["error"].clone();
    assert!(error.as_str().unwrap().starts_with("Unknown measure"), "{error}");
    let reply = get(&state, "/api/reports/pareto?measure=win_rate").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["error"].as_str().unwrap().contains("revenue"));
    let reply = get(&state, "/api/reports/explore/records?by=manager&row=9999").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn drill_down_lists_the_answers_records_with_crm_links() {
    let (config, ws) = demo(Language::Ru);
    let state = AppState::with_clock(config.clone(), ws.clone(), "/tmp", std::sync::Arc::new(|| utc(NOW)));
    let text = QueryText {
        by: vec!["manager".into()],
        period: Some("last_quarter".into()),
        ..Default::default()
    };
    let expected = core_answer(&config, &ws, &text);
    let row = &expected.rows[0];
    let json = get(&state, "/api/reports/explore/records?by=manager&period=last_quarter&row=0")
        .await
        .json();
    let listed: Vec<serde_json::Value> = json["records"].as_array().unwrap().clone();
    let wanted: Vec<serde_json::Value> = row.record_ids.iter().map(|r| serde_json::to_value(r).unwrap()).collect();
    let got: Vec<serde_json::Value> = listed
        .iter()
        .map(|r| serde_json::json!({"kind": r["kind"], "id": r["id"]}))
        .collect();
    assert_eq!(got, wanted);
    assert_eq!(json["total_records"], row.records);
    assert_eq!(json["value"], serde_json::to_value(row.value).unwrap());
    for r in &listed {
        let deal = ws.deals.get(r["id"].as_i64().unwrap()).unwrap();
        assert_eq!(r["name"], deal.name.as_str());
        assert_eq!(r["amount"], deal.amount.minor());
        assert!(r["url"].as_str().unwrap().ends_with(&format!("/leads/detail/{}", deal.id)), "{r}");
    }
    // The total's records are every row's.
    let total = get(&state, "/api/reports/explore/records?by=manager&period=last_quarter")
        .await
        .json();
    assert_eq!(total["total_records"], expected.total.records);

    // The page: the figure's link leads to the list, each deal linking to its CRM card.
    let page = get(&state, "/boards/explore?by=manager&period=last_quarter").await.body;
    let records = links(&page, "records");
    assert!(
        records[0].starts_with("/boards/explore/records?") && records[0].contains("row=0"),
        "{}",
        records[0]
    );
    let list = get(&state, &records[0]).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body.matches("data-record=\"deal:").count(), row.records);
    assert_eq!(list.body.matches("class=\"crm\"").count(), row.records);
    // Activities list what they concern.
    let calls = get(&state, "/api/reports/explore/records?measure=calls&period=this_month")
        .await
        .json();
    let first = &calls["records"][0];
    assert_eq!(first["kind"], "activity");
    assert!(first["about"].is_string() && first["url"].is_string(), "{first}");
}

#[tokio::test]
async fn too_many_values_are_cut_to_the_top_with_others() {
    let state = demo_state(Language::Ru);
    let json = get(&state, "/api/reports/explore?by=company&period=this_year&limit=5").await.json();
    assert_eq!(json["rows"].as_array().unwrap().len(), 5);
    let others = &json["others"];
    assert_eq!(others["labels"][0], "Остальные");
    let sum: i64 = json["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_i64().unwrap())
        .sum::<i64>()
        + others["value"].as_i64().unwrap();
    assert_eq!(sum, json["total"]["value"].as_i64().unwrap());
    let page = get(&state, "/boards/explore?by=company&period=this_year&limit=5").await.body;
    assert!(page.contains("bar-row others"), "the rest as one bar");
    assert!(page.contains("Остальные"));
    let recs = get(
        &state,
        "/api/reports/explore/records?by=company&period=this_year&limit=5&row=others",
    )
    .await
    .json();
    assert_eq!(recs["total_records"], others["records"]);
    // Two slices: a bar chart each, and a table of both whose rows filter by either value.
    let two = get(&state, "/boards/explore?by=manager&by=pipeline&period=this_year").await.body;
    assert!(two.contains("data-figure=\"slice-0\"") && two.contains("data-figure=\"slice-1\"") && two.contains("data-table=\"cross\""));
    // The answer's table downloads.
    let (status, csv) = get_bytes(&state, "/boards/explore/explore.csv?by=company&period=this_year&limit=5").await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8(csv).unwrap().contains("Остальные"));
    let (status, xlsx) = get_bytes(&state, "/boards/explore/explore.xlsx?by=company&period=this_year").await;
    assert_eq!(status, StatusCode::OK);
    assert!(xlsx.starts_with(b"PK"));
}

#[tokio::test]
async fn a_period_of_ones_own_is_a_date_range() {
    let state = demo_state(Language::Ru);
    let page = get(&state, "/boards/explore?period=custom&from=2026-09-01&to=2026-09-30&by=manager").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("value=\"2026-09-01\"") && page.body.contains("value=\"2026-09-30\""),
        "the form keeps the dates"
    );
    let api = get(&state, "/api/reports/explore?period=2026-09-01..2026-09-30").await.json();
    assert_eq!(kpi_value(&page.body, "total"), api["total"]["value"].to_string());
    assert_eq!(api["period_label"], "сентябрь 2026", "a whole month is named as the month");
    // A link from that page writes the range as the period.
    let click = &links(&page.body, "filter")[0];
    assert!(
        click.contains("period=2026-09-01..2026-09-30") && !click.contains("from="),
        "{click}"
    );
    let reply = get(&state, "/boards/explore?period=custom&from=2026-09-01").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("обе даты"));
}

#[tokio::test]
async fn an_empty_period_says_so() {
    let state = demo_state(Language::Ru);
    let page = get(&state, "/boards/explore?period=2020-01&by=manager").await.body;
    assert!(page.contains("За период январь 2020 нет успешных сделок"), "{page}");
    let page = get(&state, "/boards/explore?measure=tasks_done&period=2020-01&where=manager%3D-")
        .await
        .body;
    assert!(page.contains("нет выполненных задач при выбранных фильтрах"));
}

#[tokio::test]
async fn pareto_names_the_few_that_make_most() {
    let (config, ws) = demo(Language::Ru);
    let state = AppState::with_clock(config.clone(), ws.clone(), "/tmp", std::sync::Arc::new(|| utc(NOW)));
    let json = get(&state, "/api/reports/pareto?by=company&period=this_year").await.json();
    let layer = Layer::build(&ws, &config);
    let calendar = config.calendar();
    let ctx = QueryCtx {
        ws: &ws,
        layer: &layer,
        config: &config,
        calendar: &calendar,
        as_of: utc(NOW),
    };
    let q = QueryText {
        period: Some("this_year".into()),
        ..Default::default()
    }
    .parse(&ws, &config, calendar.local_date(utc(NOW)))
    .unwrap();
    let expected = pareto::pareto(&ctx, &q, tsifra_core::query::Dimension::Company, 80, 15).unwrap();
    assert_eq!(json, serde_json::to_value(&expected).unwrap());
    assert!(expected.headline.contains("выручки"), "{}", expected.headline);
    assert!(expected.a_count > 0 && expected.a_count < expected.rows.len());

    let page = get(&state, "/boards/pareto?period=this_year").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&expected.headline), "the headline in words");
    let shown = expected.rows.len().min(200);
    assert_eq!(page.body.matches("data-class=").count(), shown);
    assert_eq!(
        page.body.matches("data-class=\"A\"").count(),
        expected.rows.iter().take(200).filter(|r| r.class == pareto::Class::A).count()
    );
    assert_eq!(kpi_value(&page.body, "a_count"), expected.a_count.to_string());
    assert!(page.body.contains("class=\"cumulative\""));
    let (status, csv) = get_bytes(&state, "/boards/pareto/pareto.csv?period=this_year").await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert_eq!(csv.lines().count(), expected.rows.len() + 1, "a header and a row each");
    for missing in [
        "/boards/pareto/pareto.pdf",
        "/boards/pareto/explore.csv",
        "/boards/explore/pareto.xlsx",
    ] {
        assert_eq!(get_bytes(&state, missing).await.0, StatusCode::NOT_FOUND, "{missing}");
    }
    // By manager, margin, under a filter: the page and the API agree.
    let json = get(&state, "/api/reports/pareto?measure=margin&by=manager&period=this_year")
        .await
        .json();
    assert_eq!(json["dimension"]["dimension"], "manager");
    let page = get(&state, "/boards/pareto?measure=margin&by=manager&period=this_year").await.body;
    assert_eq!(kpi_value(&page, "total"), json["total"].to_string());
    assert!(get(&state, "/boards/pareto?by=product&period=this_year").await.status == StatusCode::OK);
}

#[tokio::test]
async fn the_boards_are_in_the_navigation_and_on_the_home_page() {
    let state = demo_state(Language::Ru);
    let home = get(&state, "/").await.body;
    assert!(home.contains("href=\"/boards/explore\"") && home.contains("href=\"/boards/pareto\""));
    assert!(home.contains("Анализ продаж") && home.contains("Парето / ABC"));
    let page = get(&state, "/boards/explore?by=company&by=month&where=manager%3D-&compare=previous")
        .await
        .body;
    assert!(page.contains("aria-current=\"page\""), "the current page is marked");
    // The same question on the other board, filters kept.
    let pareto = links(&page, "other-board");
    assert_eq!(pareto, vec!["/boards/pareto?by=company&where=manager%3D-".to_string()]);
    let back = links(&get(&state, &pareto[0]).await.body, "other-board");
    assert_eq!(back, vec!["/boards/explore?by=company&where=manager%3D-".to_string()]);
    let en = get(&demo_state(Language::En), "/boards/explore?period=last_month&compare=year_ago").await;
    assert_eq!(en.status, StatusCode::OK);
    assert!(en.body.contains("Explore") && en.body.contains("October 2026"), "English");
}

/// A webhook that wins one deal: the index and the query layer take it in from
/// the change set (built once, then updated, never built again), the boards
/// that count won deals show it, and the calls-by-manager analysis (no deal
/// read) is still served from its cached page. Observed through the server's
/// counters, not through timing.
#[tokio::test]
async fn a_one_deal_webhook_updates_the_boards_and_keeps_unrelated_answers_cached() {
    let state = demo_state(Language::Ru);
    let calls = "/boards/explore?measure=calls&by=manager&period=this_month";
    let won = "/boards/explore?measure=won_deals&by=manager&period=this_month";
    let won_api = "/api/reports/explore?measure=won_deals&period=this_month";
    let calls_page = get(&state, calls).await.body;
    let won_page = get(&state, won).await.body;
    let won_before: i64 = kpi_value(&won_page, "total").parse().unwrap();
    assert_eq!(get(&state, won_api).await.json()["total"]["value"], won_before);
    let plan_fact = get(&state, "/api/reports/plan-fact?metric=won_deals").await.json();
    let month_before = plan_fact["periods"][2]["total"]["fact"].as_i64().unwrap();
    let before = state.index_counts();
    assert_eq!((before.facts_built, before.layers_built), (1, 1), "{before:?}");

    let ws = state.workspace().await.clone();
    let mut deal = ws
        .deals
        .iter()
        .find(|d| ws.stage_kind(d.pipeline_id, d.stage_id) == tsifra_core::StageKind::Open)
        .unwrap()
        .clone();
    drop(ws);
    deal.stage_id = tsifra_core::AMOCRM_WON_STATUS;
    deal.history.push(tsifra_core::StageMove {
        at: utc("2026-11-20T11:00:00Z"),
        pipeline_id: deal.pipeline_id,
        stage_id: deal.stage_id,
        author_id: None,
    });
    state
        .apply_batch(&tsifra_core::Batch {
            deals: vec![deal],
            ..Default::default()
        })
        .await;
    let after = state.index_counts();
    assert_eq!(
        (after.facts_built, after.facts_updated, after.layers_built, after.layers_updated),
        (1, before.facts_updated + 1, 1, before.layers_updated + 1),
        "updated from the change set, not built again: {after:?}"
    );

    // The boards that count won deals show it at once (the API is exact)...
    assert_eq!(get(&state, won_api).await.json()["total"]["value"], won_before + 1);
    let plan_fact = get(&state, "/api/reports/plan-fact?metric=won_deals").await.json();
    assert_eq!(plan_fact["periods"][2]["total"]["fact"], month_before + 1);
    // ...and their pages once remade (the previous copy is served meanwhile).
    let expected = (won_before + 1).to_string();
    crate::support::eventually(&state, won, |html| kpi_value(html, "total") == expected).await;

    // The calls analysis read no deal: the same bytes, and no page rendered for it.
    let rendered = state.index_counts().pages_rendered;
    assert_eq!(get(&state, calls).await.body, calls_page);
    assert_eq!(state.index_counts().pages_rendered, rendered, "served from the cache");
    let last = state.index_counts();
    assert_eq!((last.facts_built, last.layers_built), (1, 1), "nothing was built again: {last:?}");
}

/// A first load lands batch after batch: each is taken in by the index and
/// the query layer it changed (never a build from every row), and the answers
/// then are the ones a layer built from the final workspace gives.
#[tokio::test]
async fn batch_after_batch_updates_and_never_rebuilds() {
    let (config, ws) = demo(Language::Ru);
    let state = AppState::with_clock(config.clone(), ws.clone(), "/tmp", std::sync::Arc::new(|| utc(NOW)));
    let url = "/api/reports/explore?measure=won_deals&by=manager&period=this_month";
    assert_eq!(get(&state, url).await.status, StatusCode::OK);
    assert_eq!(get(&state, "/api/reports/plan-fact").await.status, StatusCode::OK);
    let deals: Vec<tsifra_core::Deal> = ws.deals.iter().take(120).cloned().collect();
    let activities: Vec<tsifra_core::Activity> = ws.activities.iter().take(120).copied().collect();
    for (i, (deal_chunk, activity_chunk)) in deals.chunks(4).zip(activities.chunks(4)).enumerate() {
        let mut batch = tsifra_core::Batch::default();
        for (j, d) in deal_chunk.iter().enumerate() {
            // A new deal won this month, and one there moved on.
            let mut fresh = d.clone();
            fresh.id = 900_000_000 + (i * 4 + j) as i64;
            fresh.stage_id = tsifra_core::AMOCRM_WON_STATUS;
            fresh.created_at = utc("2026-11-10T09:00:00Z");
            fresh.closed_at = Some(utc("2026-11-18T09:00:00Z"));
            fresh.history.clear();
            batch.deals.push(fresh);
            let mut moved = d.clone();
            moved.amount = tsifra_core::Money::from_major(12_345);
            batch.deals.push(moved);
        }
        for a in activity_chunk {
            let mut a = *a;
            a.at = utc("2026-11-19T10:00:00Z");
            batch.activities.push(a);
        }
        state.apply_batch(&batch).await;
    }
    let counts = state.index_counts();
    assert_eq!((counts.facts_built, counts.layers_built), (1, 1), "{counts:?}");
    assert_eq!((counts.facts_updated, counts.layers_updated), (30, 30), "{counts:?}");
    let text = QueryText {
        measure: Some("won_deals".into()),
        by: vec!["manager".into()],
        period: Some("this_month".into()),
        ..Default::default()
    };
    let expected = core_answer(&config, &state.workspace().await.clone(), &text);
    assert_eq!(get(&state, url).await.json(), serde_json::to_value(&expected).unwrap());
}
