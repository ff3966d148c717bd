//! The home page in both languages, empty and full, and its as-of line.

use axum::http::StatusCode;
use tsifra_core::{Language, Workspace};
use tsifra_web::boards::BOARDS;

use crate::support::{count_cell, get, small_workspace, state};

#[tokio::test]
async fn home_in_russian_shows_counts_period_zone_and_as_of() {
    let state = state(Language::Ru, small_workspace());
    let reply = get(&state, "/").await;
    assert_eq!(reply.status, StatusCode::OK);
    reply.assert_html();
    let html = &reply.body;
    assert!(html.contains("<html lang=\"ru\">"), "{html}");
    assert!(html.contains("Сделки") && html.contains("Компании") && html.contains("Коммуникации"));
    assert_eq!(count_cell(html, "deal"), "3");
    assert_eq!(count_cell(html, "company"), "2");
    assert_eq!(count_cell(html, "activity"), "1\u{a0}234");
    assert_eq!(count_cell(html, "plan"), "0");
    // The first deal is 4 January in UTC but 5 January in Moscow, where the business counts days.
    assert!(html.contains("05.01.2026 – 19.11.2026"), "{html}");
    assert!(html.contains("Europe/Moscow"));
    assert!(html.contains("20.11.2026 15:00"), "as of in local time: {html}");
    assert!(html.contains("/var/lib/tsifra"));
    // The account name is escaped, not interpreted.
    assert!(
        html.contains("ООО «Ромашка» &#38; &#60;Co&#62;") || html.contains("ООО «Ромашка» &amp; &lt;Co&gt;"),
        "{html}"
    );
    assert!(!html.contains("<Co>"));
    assert!(html.contains("href=\"/api/health\""));
}

#[tokio::test]
async fn home_in_english_formats_numbers_and_dates_the_english_way() {
    let state = state(Language::En, small_workspace());
    let html = get(&state, "/").await.body;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Deals") && html.contains("Companies") && html.contains("Boards"));
    assert_eq!(count_cell(&html, "deal"), "3");
    assert_eq!(count_cell(&html, "company"), "2");
    assert_eq!(count_cell(&html, "activity"), "1,234");
    assert!(html.contains("Jan 5, 2026 – Nov 19, 2026"), "{html}");
    assert!(html.contains("Nov 20, 2026 15:00"), "{html}");
    assert!(!html.contains("Сделки"));
}

#[tokio::test]
async fn boards_are_listed_and_unavailable_ones_are_not_links() {
    for lang in [Language::Ru, Language::En] {
        let html = get(&state(lang, small_workspace()), "/").await.body;
        for board in BOARDS.iter() {
            let title = tsifra_web::texts::t(lang, board.title_key);
            assert!(html.contains(title), "{title} missing");
            assert_eq!(
                html.contains(&format!("href=\"{}", board.path)),
                board.available,
                "{}: linked iff available",
                board.slug
            );
        }
        let soon = tsifra_web::texts::t(lang, "home.coming");
        assert_eq!(html.matches(soon).count(), BOARDS.iter().filter(|b| !b.available).count());
    }
}

#[tokio::test]
async fn every_available_board_answers() {
    let state = state(Language::Ru, small_workspace());
    for board in BOARDS.iter().filter(|b| b.available) {
        let reply = get(&state, board.path).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", board.path);
        let reply = get(&state, &format!("{}?as_of=2026-11-01", board.path)).await;
        assert_eq!(reply.status, StatusCode::OK, "{} with as_of", board.path);
    }
}

#[tokio::test]
async fn empty_workspace_says_there_is_no_data_yet() {
    for (lang, no_data, no_deals) in [
        (Language::Ru, "Данных пока нет", "сделок пока нет"),
        (Language::En, "No data yet", "no deals yet"),
    ] {
        let reply = get(&state(lang, Workspace::default()), "/").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.body.contains(no_data), "{}", reply.body);
        assert!(reply.body.contains(no_deals), "{}", reply.body);
        assert!(!reply.body.contains("data-kind="), "no counts table when empty");
    }
}

#[tokio::test]
async fn as_of_from_the_url_is_shown_and_offers_a_way_back_to_now() {
    let state = state(Language::Ru, small_workspace());
    let html = get(&state, "/?as_of=2026-11-01").await.body;
    assert!(html.contains("01.11.2026 23:59"), "{html}");
    assert!(html.contains("задано в адресе"));
    let html = get(&state, "/").await.body;
    assert!(!html.contains("задано в адресе"));
}

#[tokio::test]
async fn page_is_self_contained_and_fits_a_phone() {
    let html = get(&state(Language::Ru, small_workspace()), "/").await.body;
    assert!(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    assert!(html.contains("<style>") && html.contains("@media (max-width:"));
    // No external assets: the one script is the server's own (sortable tables, refresh).
    assert!(!html.contains("<link"), "no external assets");
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(html.contains("<script src=\"/assets/app.js\" defer></script>"), "{html}");
    assert!(!html.contains("src=\"http") && !html.contains("url(http"));
}

#[tokio::test]
async fn a_year_on_the_labour_code_fallback_is_warned_about_until_imported() {
    use tsifra_core::calendar::{DayKind, ImportedDay, ImportedYear};
    for (lang, words) in [
        (Language::Ru, "Производственный календарь на 2027"),
        (Language::En, "production calendar for 2027"),
    ] {
        let state = state(lang, small_workspace());
        let html = get(&state, "/?as_of=2027-01-15").await.body;
        assert!(html.contains("id=\"calendar-notice\"") && html.contains(words), "{html}");
        assert!(html.contains("tsifra calendar import"), "{html}");
        // 2026 has its decree built in.
        let html = get(&state, "/").await.body;
        assert!(!html.contains("calendar-notice"), "{html}");
    }
    let mut config = crate::support::config(Language::En);
    config.calendar.imported = vec![ImportedYear {
        year: 2027,
        source: "calendar2027.xml".into(),
        days: vec![ImportedDay {
            date: chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            kind: DayKind::Holiday,
            moved_from: None,
        }],
    }];
    let state = tsifra_web::AppState::with_clock(
        config,
        small_workspace(),
        "/var/lib/tsifra",
        std::sync::Arc::new(|| crate::support::utc(crate::support::NOW)),
    );
    let html = get(&state, "/?as_of=2027-01-15").await.body;
    assert!(!html.contains("calendar-notice"), "{html}");
}

/// A store opened read-only (a full disk at start): every kind of page says so,
/// in the workspace's language, and so does the health check.
#[tokio::test]
async fn a_read_only_store_is_announced_on_every_page() {
    for (lang, words) in [
        (Language::Ru, "Диск с базой данных заполнен"),
        (Language::En, "disk is full: Tsifra shows the last stored data"),
    ] {
        let state = crate::support::demo_state(lang);
        assert!(!get(&state, "/").await.body.contains("store-warning"));
        state.set_read_only(true);
        for page in [
            "/",
            "/boards/plan-fact",
            "/boards/hygiene",
            "/owner",
            "/boards/explore?measure=revenue&by=manager",
            "/boards/pareto?by=company",
        ] {
            let reply = get(&state, page).await;
            assert_eq!(reply.status, StatusCode::OK, "{page}");
            assert!(
                reply.body.contains("id=\"store-warning\"") && reply.body.contains(words),
                "{page} in {lang:?}"
            );
        }
        let health = get(&state, "/api/health").await.json();
        assert_eq!(health["read_only"], true);
        assert!(health["warning"].as_str().unwrap().contains(words));
    }
}
