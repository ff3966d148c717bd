//! The board pages: every report's page, its figures equal to the API's, the
//! manager filter, `as_of`, CRM links, paging, and every table as CSV and XLSX.

use axum::http::{StatusCode, header};
use tsifra_core::Language;
use tsifra_core::reports::ReportId;
use tsifra_web::boards::BOARDS;

use crate::support::{demo_state, get, kpi_value, table_html};

#[tokio::test]
async fn every_board_renders_in_both_languages_with_navigation_and_its_charts() {
    for (lang, marker) in [(Language::Ru, "Весь отдел"), (Language::En, "Whole team")] {
        let state = demo_state(lang);
        for board in BOARDS.iter() {
            let reply = get(&state, board.path).await;
            assert_eq!(reply.status, StatusCode::OK, "{}: {}", board.path, reply.body);
            reply.assert_html();
            let html = &reply.body;
            assert!(
                html.contains(&format!("<a href=\"{}\" class=\"current\" aria-current=\"page\">", board.path)),
                "{}: the navigation marks the current board",
                board.path
            );
            for other in BOARDS.iter() {
                assert!(
                    html.contains(&format!("href=\"{}\"", other.path)),
                    "{} links {}",
                    board.path,
                    other.path
                );
            }
            assert!(html.contains("href=\"/owner\"") && html.contains("href=\"/tv\""));
            assert!(html.contains(marker), "{}: the manager filter", board.path);
            assert!(html.contains("data-download=\"csv\"") && html.contains("data-download=\"xlsx\""));
        }
        let figures = [
            ("/boards/plan-fact", "month-bars"),
            ("/boards/leaderboard", "podium"),
            ("/boards/hygiene", "manager-bars"),
            ("/boards/hygiene", "trend"),
            ("/boards/receivables", "aging"),
            ("/boards/funnel", "funnel"),
            ("/boards/funnel", "loss-reasons"),
        ];
        for (path, figure) in figures {
            let html = get(&state, path).await.body;
            assert!(html.contains(&format!("data-figure=\"{figure}\"")), "{path} lacks {figure}");
            assert!(html.contains("<svg"), "{path}");
        }
    }
}

#[tokio::test]
async fn headline_figures_are_the_apis_numbers() {
    let state = demo_state(Language::Ru);
    let api = |id: ReportId| {
        let state = state.clone();
        async move { get(&state, &format!("/api/reports/{}", id.as_str())).await.json() }
    };
    let plan_fact = api(ReportId::PlanFact).await;
    let html = get(&state, "/boards/plan-fact").await.body;
    for (i, period) in ["today", "week", "month"].iter().enumerate() {
        assert_eq!(
            kpi_value(&html, &format!("{period}.fact")),
            plan_fact["periods"][i]["total"]["fact"].to_string(),
            "{period}"
        );
    }
    assert_eq!(
        kpi_value(&html, "month.projection"),
        plan_fact["periods"][2]["total"]["projection"].to_string()
    );
    // The month table's team row holds the same fact, in minor units.
    let month = table_html(&html, "month");
    assert!(month.contains("<tr class=\"total\">"), "{month}");
    assert!(
        month.contains(&format!("data-value=\"{}\"", plan_fact["periods"][2]["total"]["fact"])),
        "{month}"
    );

    let leaderboard = api(ReportId::Leaderboard).await;
    let html = get(&state, "/boards/leaderboard").await.body;
    assert_eq!(kpi_value(&html, "leader"), leaderboard["rows"][0]["value"].to_string());

    let hygiene = api(ReportId::Hygiene).await;
    let html = get(&state, "/boards/hygiene").await.body;
    assert_eq!(kpi_value(&html, "violations"), hygiene["team"]["violations"].to_string());
    assert_eq!(kpi_value(&html, "score"), hygiene["team"]["score"].to_string());

    let receivables = api(ReportId::Receivables).await;
    let html = get(&state, "/boards/receivables").await.body;
    assert_eq!(kpi_value(&html, "total_overdue"), receivables["total_overdue"].to_string());

    let calls = api(ReportId::CallPriority).await;
    let html = get(&state, "/boards/call-priority").await.body;
    let listed: usize = calls["managers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["companies"].as_array().unwrap().len())
        .sum();
    assert_eq!(kpi_value(&html, "companies"), listed.to_string());

    let funnel = api(ReportId::Funnel).await;
    let html = get(&state, "/boards/funnel").await.body;
    for p in funnel["pipelines"].as_array().unwrap() {
        assert_eq!(
            kpi_value(&html, &format!("conversion.{}", p["pipeline_id"])),
            p["conversion_to_won"].to_string(),
            "{}",
            p["pipeline"]
        );
    }
}

#[tokio::test]
async fn the_funnel_takes_a_period_a_pipeline_and_a_team() {
    let state = demo_state(Language::Ru);
    let all = get(&state, "/api/reports/funnel").await.json();
    let pipelines = all["pipelines"].as_array().unwrap();
    assert!(pipelines.len() > 1, "one funnel per pipeline by default");
    assert!(pipelines.iter().any(|p| p["entered"].as_u64() > Some(0)));
    let (id, name) = (
        pipelines[1]["pipeline_id"].clone(),
        pipelines[1]["pipeline"].as_str().unwrap().to_string(),
    );
    // By name or id, one pipeline; the page keeps the choice in its links and downloads.
    let one = get(
        &state,
        &format!(
            "/api/reports/funnel?pipeline={}&period=last_quarter",
            tsifra_web::view::encode(&name)
        ),
    )
    .await
    .json();
    assert_eq!(one["pipelines"].as_array().unwrap().len(), 1);
    assert_eq!(one["pipelines"][0]["pipeline_id"], id);
    assert_eq!(one["period_label"], "III квартал 2026");
    let html = get(&state, &format!("/boards/funnel?pipeline={id}&period=2026-10")).await.body;
    assert!(
        html.contains(&format!("<option value=\"{id}\" selected>")),
        "the pipeline is selected"
    );
    assert!(
        html.contains("<option value=\"2026-10\" selected>октябрь 2026</option>"),
        "the period is kept"
    );
    assert!(
        html.contains(&format!("href=\"/boards/funnel/stages.csv?period=2026-10&#38;pipeline={id}\"")),
        "downloads carry the choice: {}",
        &html[html.find("stages.csv").unwrap_or(0).saturating_sub(40)..][..120]
    );
    let csv = get(&state, &format!("/boards/funnel/stages.csv?pipeline={id}&period=2026-10")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains("Воронка;Этап;Вошли"), "{}", csv.body);
    assert!(csv.body.lines().skip(1).all(|l| l.starts_with(name.as_str())), "{}", csv.body);
    // What does not parse is a 400 naming what would.
    for (query, needle) in [
        ("period=soon", "last_quarter"),
        ("pipeline=Nope", "known"),
        ("team=Nope", "no team"),
    ] {
        let reply = get(&state, &format!("/api/reports/funnel?{query}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(reply.body.contains(needle), "{query}: {}", reply.body);
    }
}

#[tokio::test]
async fn the_manager_filter_narrows_every_board_and_is_remembered_in_links() {
    let state = demo_state(Language::Ru);
    let (id, name) = state.managers().await.into_iter().next().unwrap();
    for board in BOARDS.iter() {
        let reply = get(&state, &format!("{}?manager={id}", board.path)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", board.path);
        let html = &reply.body;
        assert!(
            html.contains(&format!("<option value=\"{id}\" selected>{name}</option>")),
            "{}: the filter shows the choice",
            board.path
        );
        assert!(html.contains(&format!("href=\"/owner?manager={id}\"")), "{}", board.path);
    }
    let html = get(&state, &format!("/boards/plan-fact?manager={id}")).await.body;
    let month = table_html(&html, "month");
    assert_eq!(month.matches("<tr").count(), 3, "head, the manager, the total: {month}");
    // By name works too, and an unknown name is a clear 400 page naming who exists.
    let encoded = tsifra_web::view::encode(&name);
    assert_eq!(
        get(&state, &format!("/boards/hygiene?manager={encoded}")).await.status,
        StatusCode::OK
    );
    let reply = get(&state, "/boards/hygiene?manager=Nobody").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    reply.assert_html();
    assert!(reply.body.contains("Nobody") && reply.body.contains(&name), "{}", reply.body);
}

#[tokio::test]
async fn as_of_is_honoured_and_carried_on() {
    let state = demo_state(Language::Ru);
    for board in BOARDS.iter() {
        let reply = get(&state, &format!("{}?as_of=2026-11-01", board.path)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", board.path);
        let html = &reply.body;
        assert!(html.contains("01.11.2026 23:59"), "{}: the stamp", board.path);
        assert!(
            html.contains("href=\"/boards/hygiene?as_of=2026-11-01\""),
            "{}: links keep it",
            board.path
        );
        // A report over a period keeps the moment in a hidden field; one "as of an
        // instant" shows it in its as-of day picker.
        let field = if board.report.def().takes("period") { "hidden" } else { "date" };
        assert!(
            html.contains(&format!("<input type=\"{field}\" name=\"as_of\" value=\"2026-11-01\">")),
            "{}",
            board.path
        );
    }
    let api = get(&state, "/api/reports/plan-fact?as_of=2026-11-01").await.json();
    let html = get(&state, "/boards/plan-fact?as_of=2026-11-01").await.body;
    assert_eq!(kpi_value(&html, "month.fact"), api["periods"][2]["total"]["fact"].to_string());
    let reply = get(&state, "/boards/plan-fact?as_of=2026-13-01").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.body.contains("as_of=2026-13-01"));
}

#[tokio::test]
async fn entity_rows_link_to_their_crm_cards() {
    let state = demo_state(Language::En);
    let html = get(&state, "/boards/hygiene").await.body;
    let violations = table_html(&html, "violations");
    assert!(
        violations.contains("target=\"_blank\" rel=\"noopener noreferrer\" class=\"crm\""),
        "{violations}"
    );
    assert!(violations.contains(".amocrm.ru/leads/detail/") || violations.contains(".amocrm.ru/companies/detail/"));
    for (path, table) in [("/boards/receivables", "debtors"), ("/boards/call-priority", "call-priority")] {
        let html = get(&state, path).await.body;
        assert!(table_html(&html, table).contains("/companies/detail/"), "{path}");
    }
}

#[tokio::test]
async fn long_tables_are_paged_and_the_downloads_have_every_row() {
    let state = demo_state(Language::En);
    let html = get(&state, "/boards/hygiene").await.body;
    let violations = table_html(&html, "violations");
    let total: usize = {
        let at = violations.find("data-rows=\"").unwrap() + "data-rows=\"".len();
        violations[at..violations[at..].find('"').unwrap() + at].parse().unwrap()
    };
    assert!(total > 100, "the demo has enough violations to page: {total}");
    assert_eq!(violations.matches("<tr>").count() + violations.matches("<tr class").count(), 101);
    assert!(violations.contains(&format!("Rows 1–100 of {total}")), "{violations}");
    assert!(violations.contains("href=\"/boards/hygiene?page=2#violations\""), "{violations}");
    let page2 = get(&state, "/boards/hygiene?page=2").await.body;
    assert!(table_html(&page2, "violations").contains("Rows 101–"), "{page2}");
    for bad in ["0", "x", "-1"] {
        assert_eq!(
            get(&state, &format!("/boards/hygiene?page={bad}")).await.status,
            StatusCode::BAD_REQUEST
        );
    }

    let csv = get(&state, "/boards/hygiene/violations.csv").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.content_type.starts_with("text/csv"));
    assert!(
        csv.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("tsifra-hygiene-violations-2026-11-20.csv")
    );
    assert!(csv.body.starts_with('\u{feff}'), "a BOM for Excel");
    assert_eq!(csv.body.lines().count(), total + 1, "a header and every row");
}

#[tokio::test]
async fn every_table_downloads_as_csv_equal_to_the_cli_and_as_xlsx() {
    let (config, ws) = crate::support::demo(Language::Ru);
    let state = demo_state(Language::Ru);
    let calendar = config.calendar();
    let facts = tsifra_core::reports::Facts::build(&ws, &config);
    let ctx = tsifra_core::reports::Ctx {
        ws: &ws,
        facts: &facts,
        config: &config,
        calendar: &calendar,
        as_of: crate::support::utc(crate::support::NOW),
    };
    for board in BOARDS.iter() {
        let report = tsifra_core::reports::run(board.report, &ctx, &Default::default());
        for table in tsifra_core::reports::tabular::tables(&report, Language::Ru, "RUB") {
            let csv = get(&state, &format!("{}/{}.csv", board.path, table.id)).await;
            assert_eq!(csv.status, StatusCode::OK, "{} {}", board.path, table.id);
            assert_eq!(
                csv.body.trim_start_matches('\u{feff}'),
                tsifra_core::reports::tabular::to_csv(&table, &calendar, Language::Ru),
                "{} {}",
                board.path,
                table.id
            );
            let xlsx = crate::support::get_bytes(&state, &format!("{}/{}.xlsx", board.path, table.id)).await;
            assert_eq!(xlsx.0, StatusCode::OK);
            assert!(xlsx.1.starts_with(b"PK"), "an XLSX is a zip");
        }
        let all = crate::support::get_bytes(&state, &format!("{}.xlsx", board.path)).await;
        assert_eq!(all.0, StatusCode::OK, "{}", board.path);
        assert!(all.1.starts_with(b"PK"));
    }
    for missing in ["/boards/hygiene/nope.csv", "/boards/hygiene/violations.pdf", "/boards/nope/x.csv"] {
        assert_eq!(get(&state, missing).await.status, StatusCode::NOT_FOUND, "{missing}");
    }
}

/// A Russian workspace's CSV opens in Russian Excel as columns (`;`, a decimal
/// comma), and no company's name from the CRM runs there as a formula.
#[tokio::test]
async fn csv_downloads_split_on_semicolons_and_never_carry_a_formula() {
    let (config, mut ws) = crate::support::demo(Language::Ru);
    let companies: Vec<_> = ws.companies.iter().cloned().collect();
    for (i, mut company) in companies.into_iter().enumerate() {
        company.name = match i % 3 {
            0 => format!("=HYPERLINK(\"http://evil.example\",\"{}\")", company.name),
            1 => format!("+{}", company.name),
            _ => format!("@{}; и партнёры", company.name),
        };
        ws.companies.upsert(company);
    }
    let state = tsifra_web::AppState::with_clock(
        config,
        ws,
        "/tmp/tsifra-demo",
        std::sync::Arc::new(|| crate::support::utc(crate::support::NOW)),
    );
    for path in ["/boards/call-priority/call-priority.csv", "/boards/receivables/debtors.csv"] {
        let (status, body) = crate::support::get_bytes(&state, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(body.starts_with("\u{feff}".as_bytes()), "a BOM for Excel");
        let mut reader = csv::ReaderBuilder::new().delimiter(b';').from_reader(&body[3..]);
        let columns = reader.headers().unwrap().len();
        assert!(columns >= 5, "{path}: the header splits into columns on `;`");
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
        assert!(!rows.is_empty(), "{path}");
        let mut neutralised = 0;
        for row in &rows {
            assert_eq!(row.len(), columns, "{path}: {row:?}");
            for cell in row {
                assert!(!cell.starts_with(['=', '+', '@']), "{path}: {cell:?} would run as a formula");
                neutralised += usize::from(cell.starts_with("'=HYPERLINK(") || cell.starts_with("'+") || cell.starts_with("'@"));
            }
        }
        assert!(neutralised > 0, "{path}: the companies are there, made inert");
        // Money with a decimal comma, and a negative amount or none stays a plain number.
        let owed_or_revenue = rows.iter().flat_map(|r| r.iter().map(String::from).collect::<Vec<_>>()).find(|c| {
            c.split_once(',').is_some_and(|(whole, cents)| {
                !whole.is_empty() && cents.len() == 2 && (whole.to_owned() + cents).bytes().all(|d| d.is_ascii_digit())
            })
        });
        assert!(owed_or_revenue.is_some(), "{path}: an amount like 139000,00");
    }
}

#[tokio::test]
async fn report_options_are_validated_on_pages_too() {
    let state = demo_state(Language::En);
    let html = get(&state, "/boards/plan-fact?metric=won_deals").await.body;
    assert!(html.contains("<option value=\"won_deals\" selected>"), "{html}");
    let html = get(&state, "/boards/receivables?sort=days").await.body;
    assert!(html.contains("<option value=\"days\" selected>"));
    for (url, needle) in [
        ("/boards/plan-fact?metric=profit", "unknown metric"),
        ("/boards/receivables?sort=size", "unknown sort"),
    ] {
        let reply = get(&state, url).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{url}");
        reply.assert_html();
        assert!(reply.body.contains(needle), "{url}");
    }
}

#[tokio::test]
async fn pages_come_from_the_cache_until_the_data_changes() {
    let state = demo_state(Language::Ru);
    let first = get(&state, "/boards/plan-fact?metric=won_deals").await.body;
    let again = get(&state, "/boards/plan-fact?metric=won_deals").await.body;
    assert_eq!(first, again);
    let before: i64 = kpi_value(&first, "month.fact").parse().unwrap();
    let ws = state.workspace().await.clone();
    let mut deal = ws
        .deals
        .iter()
        .find(|d| ws.stage_kind(d.pipeline_id, d.stage_id) == tsifra_core::StageKind::Open)
        .unwrap()
        .clone();
    deal.stage_id = tsifra_core::AMOCRM_WON_STATUS;
    deal.history.push(tsifra_core::StageMove {
        at: crate::support::utc("2026-11-20T11:00:00Z"),
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
    // The page is remade for the new data; until it is (40 ms at most here, seconds
    // on a million deals) the previous copy is served. The API is exact at once.
    let api = get(&state, "/api/reports/plan-fact?metric=won_deals").await.json();
    assert_eq!(api["periods"][2]["total"]["fact"], before + 1);
    let mut seen = before;
    for _ in 0..200 {
        let after = get(&state, "/boards/plan-fact?metric=won_deals").await.body;
        seen = kpi_value(&after, "month.fact").parse::<i64>().unwrap();
        if seen == before + 1 {
            break;
        }
        assert_eq!(seen, before, "either the previous copy or the new one");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen, before + 1);
}

#[tokio::test]
async fn the_hygiene_trend_takes_stored_tallies_and_recounts_the_rest() {
    let state = demo_state(Language::En);
    let html = get(&state, "/boards/hygiene").await.body;
    assert!(html.contains("30 days have no stored tally"), "a fresh workspace recounts: {html}");
    // A tally the hourly job stored 30 days ago (made-up figures, so they are recognisable).
    let first = chrono::NaiveDate::from_ymd_opt(2026, 10, 21).unwrap();
    let tally = tsifra_core::HygieneCount {
        day: first,
        manager_id: None,
        rule: "stale_deal".into(),
        violations: 4321,
        checked: 5000,
    };
    state
        .apply_batch(&tsifra_core::Batch {
            hygiene_history: vec![tally],
            ..Default::default()
        })
        .await;
    let html = crate::support::eventually(&state, "/boards/hygiene", |html| html.contains("29 days have no stored tally")).await;
    let trend = &html[html.find("data-figure=\"trend\"").unwrap()..];
    assert!(trend.contains(">4,321</text>"), "the stored day starts the line: {trend}");
    assert!(trend.contains(">Oct 21</text>"), "{trend}");
}

#[tokio::test]
async fn warming_up_makes_every_board_without_errors() {
    let state = demo_state(Language::Ru);
    tsifra_web::warm_up(state.clone()).await;
    for board in BOARDS.iter() {
        assert_eq!(get(&state, board.path).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn an_empty_workspace_still_shows_every_board_owner_and_tv() {
    let state = crate::support::state(Language::En, tsifra_core::Workspace::default());
    for path in BOARDS.iter().map(|b| b.path).chain(["/owner", "/tv", "/tv/slide/owner"]) {
        let reply = get(&state, path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.body);
        assert!(!reply.body.contains("NaN"), "{path}");
    }
}

/// On the 1st of the month nobody has sold anything yet: no one is crowned
/// "leader of the month" with 0 ₽, neither on the board, the TV nor the phone.
#[tokio::test]
async fn nobody_leads_the_month_on_its_first_morning() {
    let state = demo_state(Language::Ru);
    let first_morning = "2026-12-01T09:00";
    for uri in [
        format!("/boards/leaderboard?as_of={first_morning}"),
        format!("/owner?as_of={first_morning}"),
    ] {
        let html = get(&state, &uri).await.body;
        assert!(html.contains("В этом месяце ещё ни у кого нет результата"), "{uri}: {html}");
        assert_eq!(kpi_value(&html, "leader"), "0", "{uri}");
    }
    let html = get(&state, &format!("/boards/leaderboard?as_of={first_morning}")).await.body;
    assert!(!html.contains("class=\"step p1\""), "an empty podium");
    // The day before, the month had its leader on the podium.
    let html = get(&state, "/boards/leaderboard?as_of=2026-11-30T18:00").await.body;
    assert!(html.contains("class=\"step p1\"") && !html.contains("ещё ни у кого нет результата"));
}

/// A week running into a month whose plan is not loaded says so on the board
/// and compares only the covered days.
#[tokio::test]
async fn a_week_with_a_plan_for_some_days_says_so() {
    let (config, mut ws) = crate::support::demo(Language::Ru);
    // Drop next month's plans, as a head of sales who has not set them yet.
    ws.plans.retain(|p| p.period.start.format("%Y-%m").to_string() != "2026-12");
    let state = tsifra_web::AppState::with_clock(
        config,
        ws,
        "/tmp/x",
        std::sync::Arc::new(|| crate::support::utc(crate::support::NOW)),
    );
    let html = get(&state, "/boards/plan-fact?as_of=2026-11-30T15:00").await.body;
    assert!(html.contains("план задан на 1 из 5 раб. дн. (30.11)"), "the week's figure says so");
    let week = table_html(&html, "week");
    assert!(week.contains("План задан на 1 из 5 рабочих дней (30.11)"), "{week}");
    let json = get(&state, "/api/reports/plan-fact?as_of=2026-11-30T15:00").await.json();
    let total = &json["periods"][1]["total"];
    assert_eq!(total["plan_covers"]["working_days"], 1);
    assert_eq!(total["plan_covers"]["of_working_days"], 5);
}

#[tokio::test]
async fn boards_with_a_period_pick_one_and_compare_it_in_the_url() {
    let state = demo_state(Language::Ru);
    // A custom range from the picker's dates, compared with the month before it.
    let url = "/boards/leaderboard?metric=revenue&period=custom&from=2026-09-01&to=2026-09-30&compare=previous";
    let reply = get(&state, url).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let html = &reply.body;
    assert!(html.contains("<option value=\"custom\" selected>"), "the custom range is picked");
    assert!(html.contains("name=\"from\" value=\"2026-09-01\"") && html.contains("name=\"to\" value=\"2026-09-30\""));
    assert!(html.contains("<option value=\"previous\" selected>"), "the comparison is picked");
    assert!(html.contains("Факт · август 2026"), "August heads the compared column");
    assert!(html.contains("data-table=\"leaderboard-teams\""), "teams are rolled up");
    // Links and downloads carry the range and the comparison; the CSV has the compared columns.
    let link = "/boards/leaderboard/leaderboard.csv?metric=revenue&#38;period=2026-09-01..2026-09-30&#38;compare=previous";
    assert!(
        html.contains(link),
        "{}",
        &html[html.find("leaderboard.csv").unwrap_or(0).saturating_sub(60)..][..200]
    );
    let csv = get(&state, &link.replace("&#38;", "&")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains(";Изменение;Изменение, %"), "{}", csv.body);
    // The API gives the same comparison, per manager and in total.
    let api = get(
        &state,
        "/api/reports/leaderboard?metric=revenue&period=2026-09-01..2026-09-30&compare=previous",
    )
    .await
    .json();
    let c = &api["comparison"];
    assert_eq!(c["label"], "август 2026");
    let rows = api["rows"].as_array().unwrap();
    assert_eq!(c["rows"].as_array().unwrap().len(), rows.len());
    let sum: i64 = rows.iter().map(|r| r["value"].as_i64().unwrap()).sum();
    assert_eq!(c["total"]["fact"].as_i64(), Some(sum));
    assert_eq!(
        c["total"]["change"].as_i64().unwrap(),
        sum - c["total"]["compared"].as_i64().unwrap()
    );
    // A named period is picked by name; plan-fact compares it too.
    let html = get(&state, "/boards/plan-fact?period=last_quarter&compare=year_ago").await.body;
    assert!(html.contains("<option value=\"last_quarter\" selected>"));
    assert!(html.contains("Факт · III квартал 2025"), "plan-fact's compared column");
    // The usual view names what it shows by default.
    let html = get(&state, "/boards/plan-fact").await.body;
    assert!(html.contains("<option value=\"\" selected>Сегодня, неделя и месяц</option>"));
    // A board without a period has no picker; a custom range needs both dates.
    let html = get(&state, "/boards/hygiene").await.body;
    assert!(!html.contains("name=\"period\"") && !html.contains("name=\"compare\""));
    let reply = get(&state, "/boards/funnel?period=custom&from=2026-09-01").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    // An option the report does not take is refused, naming those it takes.
    let reply = get(&state, "/api/reports/receivables?compare=previous").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["error"].as_str().unwrap().contains("принимает: manager, sort"));
}

#[tokio::test]
async fn call_priority_shows_clients_first_and_prospects_behind_a_tab() {
    let state = demo_state(Language::Ru);
    let clients = get(&state, "/api/reports/call-priority").await.json();
    let prospects = get(&state, "/api/reports/call-priority?prospects=1").await.json();
    assert_eq!(
        (clients["prospects"].as_bool(), prospects["prospects"].as_bool()),
        (Some(false), Some(true))
    );
    let rows = |r: &serde_json::Value| -> Vec<serde_json::Value> {
        r["managers"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|m| m["companies"].as_array().unwrap().clone())
            .collect()
    };
    assert!(!rows(&clients).is_empty() && !rows(&prospects).is_empty(), "the demo has both");
    assert!(
        rows(&clients)
            .iter()
            .all(|c| c["won_deals"].as_u64().unwrap() > 0 && c["past_revenue"].as_i64().unwrap() > 0)
    );
    assert!(rows(&prospects).iter().all(|c| c["won_deals"] == 0));
    assert!(rows(&clients).iter().all(|c| {
        let why = c["why"].as_str().unwrap();
        why.starts_with("покупал на ") || why.contains(" покупки на ") || why.contains(" покупок на ")
    }));

    let html = get(&state, "/boards/call-priority").await.body;
    assert!(html.contains("data-list=\"clients\" aria-current=\"page\""), "{html}");
    assert!(html.contains("href=\"/boards/call-priority?prospects=1\" data-list=\"prospects\">Без покупок"));
    assert!(table_html(&html, "call-priority").contains("клиенты с покупками"));
    let html = get(&state, "/boards/call-priority?prospects=1").await.body;
    assert!(html.contains("data-list=\"prospects\" aria-current=\"page\""));
    let table = table_html(&html, "call-priority");
    assert!(
        table.contains("без покупок") && table.contains("prospects=1"),
        "the downloads keep the list"
    );
    assert!(html.contains("name=\"prospects\" value=\"1\""), "the filters keep the list");
    assert_eq!(
        get(&state, "/api/reports/call-priority?prospects=maybe").await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&state, "/api/reports/hygiene?prospects=1").await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn the_leaderboard_says_where_its_margin_comes_from() {
    let state = demo_state(Language::Ru);
    let html = get(&state, "/boards/leaderboard?metric=margin").await.body;
    let api = get(&state, "/api/reports/leaderboard?metric=margin").await.json();
    let basis = api["margin_basis"]
        .as_str()
        .expect("ranked by margin, the basis is said")
        .to_string();
    assert!(basis.starts_with("Маржа: "), "{basis}");
    assert!(
        html.contains(&basis.replace('«', "&#171;").replace('»', "&#187;")) || html.contains(&basis),
        "{html}"
    );
    let html = get(&state, "/boards/leaderboard?metric=revenue").await.body;
    assert!(!html.contains("Маржа: "));
}

/// A count is written with its noun after it, in the form Russian needs ("3 должника",
/// "15 платежей"), not "должников: 3".
#[tokio::test]
async fn counts_on_the_boards_carry_their_nouns() {
    let state = demo_state(Language::Ru);
    let api = get(&state, "/api/reports/receivables").await.json();
    let debtors = api["companies"].as_array().unwrap().len() as i64;
    let due_soon = api["due_soon"].as_array().unwrap().len() as i64;
    let html = get(&state, "/boards/receivables").await.body;
    let noun = |n: i64, forms: [&str; 3]| tsifra_core::i18n::count(Language::Ru, n, forms, ["", ""]);
    let expected = noun(debtors, ["должник", "должника", "должников"]);
    assert!(html.contains(&expected), "{expected} not in the page");
    let expected = noun(due_soon, ["платёж", "платежа", "платежей"]);
    assert!(html.contains(&format!("{expected} за ")), "{expected} not in the page");
    assert!(!html.contains("должников: ") && !html.contains("платежей: "));
    let html = get(&state, "/owner").await.body;
    assert!(!html.contains("нарушений: "));
    assert!(html.contains("\u{a0}нарушени"), "the owner's hygiene figure counts its violations");
}
