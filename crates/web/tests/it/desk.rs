//! The desktop boards and the owner's phone: the date / period picker on every
//! board, "обновлено" with the live view's refresh, charts' exact tooltips, the
//! home page's key numbers (the reports' own) and the owner's compact header.

use tsifra_core::i18n::format_money;
use tsifra_core::{Language, Money, Workspace};
use tsifra_web::boards::BOARDS;

use crate::support::{demo_state, get, kpi_value, state};

#[tokio::test]
async fn home_shows_the_days_key_numbers_from_the_reports() {
    let state = demo_state(Language::Ru);
    let html = get(&state, "/").await.body;
    let plan_fact = get(&state, "/api/reports/plan-fact").await.json();
    assert_eq!(kpi_value(&html, "today.fact"), plan_fact["periods"][0]["total"]["fact"].to_string());
    assert_eq!(kpi_value(&html, "month.fact"), plan_fact["periods"][2]["total"]["fact"].to_string());
    // The month's plan and % are written beside its fact, as on the board.
    let plan = plan_fact["periods"][2]["total"]["plan"]
        .as_i64()
        .expect("the demo plans its months");
    assert!(
        html.contains(&format_money(Language::Ru, "RUB", Money(plan))),
        "the month's plan: {html}"
    );
    let leaderboard = get(&state, "/api/reports/leaderboard").await.json();
    assert_eq!(kpi_value(&html, "leader"), leaderboard["rows"][0]["value"].to_string());
    let hygiene = get(&state, "/api/reports/hygiene").await.json();
    assert_eq!(kpi_value(&html, "violations"), hygiene["team"]["violations"].to_string());
    let receivables = get(&state, "/api/reports/receivables").await.json();
    assert_eq!(kpi_value(&html, "total_overdue"), receivables["total_overdue"].to_string());
    // The week is the boards' business, not the home page's; each figure opens its board.
    assert!(!html.contains("data-kpi=\"week.fact\""));
    let figures = &html[html.find("id=\"key-figures\"").unwrap()..html.find("id=\"system\"").unwrap()];
    for path in ["/boards/plan-fact", "/boards/leaderboard", "/boards/hygiene", "/boards/receivables"] {
        assert!(figures.contains(&format!("href=\"{path}\"")), "{path}");
    }
    // The technical details stay, below the boards, in the system block.
    let system = html.find("id=\"system\"").unwrap();
    assert!(html.find("/tmp/tsifra-demo").unwrap() > system);
    assert!(html.find("class=\"boards\"").unwrap() < system);
}

#[tokio::test]
async fn home_key_numbers_follow_as_of_and_an_empty_workspace_has_none() {
    let state = demo_state(Language::Ru);
    let html = get(&state, "/?as_of=2026-11-01").await.body;
    let plan_fact = get(&state, "/api/reports/plan-fact?as_of=2026-11-01").await.json();
    // The 1st of the month: the month so far is that one day.
    assert_eq!(kpi_value(&html, "today.fact"), plan_fact["periods"][0]["total"]["fact"].to_string());
    assert_eq!(kpi_value(&html, "month.fact"), plan_fact["periods"][2]["total"]["fact"].to_string());
    assert_eq!(kpi_value(&html, "today.fact"), kpi_value(&html, "month.fact"));
    assert!(html.contains("href=\"/boards/plan-fact?as_of=2026-11-01\""));
    assert!(html.contains("data-live=\"false\""), "a past moment is not refreshed");
    let empty = get(&state_empty(), "/").await.body;
    assert!(!empty.contains("id=\"key-figures\"") && !empty.contains("data-kpi="), "{empty}");
}

fn state_empty() -> tsifra_web::AppState {
    state(Language::Ru, Workspace::default())
}

#[tokio::test]
async fn every_board_has_the_picker_and_now_goes_back_to_the_live_view() {
    let state = demo_state(Language::Ru);
    for board in BOARDS.iter() {
        let takes_period = board.report.def().takes("period");
        let html = get(&state, board.path).await.body;
        assert!(html.contains("<nav class=\"picker\""), "{}", board.path);
        assert!(
            html.contains(&format!("<a href=\"{}\" data-quick=\"now\" class=\"current\"", board.path)),
            "{}: live, so \"Сейчас\" is the current choice",
            board.path
        );
        if takes_period {
            for period in ["today", "this_week", "this_month", "this_quarter"] {
                assert!(
                    html.contains(&format!("href=\"{}?period={period}\"", board.path)),
                    "{}: {period}",
                    board.path
                );
            }
        } else {
            // As of an instant: the as-of day, labelled as such, with the ends of past periods.
            assert!(
                html.contains("На дату") && html.contains("<input type=\"date\" name=\"as_of\" value=\"\">"),
                "{}",
                board.path
            );
            for day in ["2026-11-19", "2026-11-15", "2026-10-31", "2026-09-30"] {
                assert!(
                    html.contains(&format!("href=\"{}?as_of={day}\"", board.path)),
                    "{}: {day}",
                    board.path
                );
            }
        }
        // A past view: "Сейчас" drops the moment and the period, keeps the person.
        let (id, _) = state.managers().await.into_iter().next().unwrap();
        let past = if takes_period {
            "period=last_month&as_of=2026-11-01"
        } else {
            "as_of=2026-10-31"
        };
        let html = get(&state, &format!("{}?manager={id}&{past}", board.path)).await.body;
        assert!(
            html.contains(&format!("<a href=\"{}?manager={id}\" data-quick=\"now\">", board.path)),
            "{}",
            board.path
        );
        assert!(html.contains("data-live=\"false\""), "{}", board.path);
    }
}

#[tokio::test]
async fn a_quick_period_changes_the_figures_as_the_api_does() {
    let state = demo_state(Language::Ru);
    let html = get(&state, "/boards/plan-fact?period=this_quarter").await.body;
    let api = get(&state, "/api/reports/plan-fact?period=this_quarter").await.json();
    let live = get(&state, "/api/reports/plan-fact").await.json();
    let fact = api["periods"][0]["total"]["fact"].as_i64().unwrap();
    assert!(
        fact > live["periods"][2]["total"]["fact"].as_i64().unwrap(),
        "the quarter holds more than November"
    );
    assert!(html.contains(&format!("data-value=\"{fact}\"")), "the quarter's fact on the page");
    assert!(
        html.contains("data-quick=\"3\" class=\"current\" aria-current=\"true\">Этот квартал<"),
        "{html}"
    );
    // The receivables as of the end of October are the API's for that day.
    let html = get(&state, "/boards/receivables?as_of=2026-10-31").await.body;
    let api = get(&state, "/api/reports/receivables?as_of=2026-10-31").await.json();
    assert_eq!(kpi_value(&html, "total_overdue"), api["total_overdue"].to_string());
    assert!(html.contains("<input type=\"date\" name=\"as_of\" value=\"2026-10-31\">"));
}

#[tokio::test]
async fn a_live_board_says_when_it_was_updated_and_refreshes() {
    let state = demo_state(Language::Ru);
    for path in ["/boards/plan-fact", "/boards/hygiene", "/owner", "/"] {
        let html = get(&state, path).await.body;
        assert!(html.contains("data-live=\"true\" data-refresh=\"60\""), "{path}");
        assert!(
            html.contains("обновлено только что") && html.contains("обновляется каждые 60\u{a0}с"),
            "{path}"
        );
        assert!(html.contains("data-minutes=\"обновлено {n}\u{a0}мин назад\""), "{path}");
    }
    let html = get(&demo_state(Language::En), "/boards/plan-fact").await.body;
    assert!(html.contains("updated just now") && html.contains("data-minutes=\"updated {n}\u{a0}min ago\""));
}

#[tokio::test]
async fn plan_fact_bars_tell_the_exact_money_on_hover() {
    let state = demo_state(Language::Ru);
    let html = get(&state, "/boards/plan-fact").await.body;
    let api = get(&state, "/api/reports/plan-fact").await.json();
    let row = &api["periods"][2]["rows"][0];
    let exact = format_money(Language::Ru, "RUB", Money(row["fact"].as_i64().unwrap()));
    let name = row["manager"].as_str().unwrap();
    let title = format!("title=\"{name}: факт {exact} · план ");
    assert!(html.contains(&title), "{title} in {html}");
    assert!(html.contains(&format!("<title>{name}: факт {exact}")));
    // The aging columns: the exact overdue money of each bucket.
    let html = get(&state, "/boards/receivables").await.body;
    let api = get(&state, "/api/reports/receivables").await.json();
    for bucket in api["buckets"].as_array().unwrap() {
        let exact = format_money(Language::Ru, "RUB", Money(bucket["amount"].as_i64().unwrap()));
        assert!(html.contains(&format!(": {exact}</title></rect>")), "{exact}");
    }
}

#[tokio::test]
async fn the_owners_phone_board_has_its_own_header_and_no_navigation_bar() {
    let state = demo_state(Language::Ru);
    let html = get(&state, "/owner?as_of=2026-11-19").await.body;
    assert!(!html.contains("class=\"nav\""), "{html}");
    assert!(html.contains("<header class=\"top owner-top\">"));
    assert!(html.contains("<a class=\"owner-all\" href=\"/?as_of=2026-11-19\">Все доски</a>"));
    for path in ["/", "/boards/plan-fact"] {
        assert!(get(&state, path).await.body.contains("<nav class=\"nav\""), "{path} keeps it");
    }
}
