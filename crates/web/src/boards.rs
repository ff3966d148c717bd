//! The boards: one page per registered report (`tsifra_core::reports::registry`),
//! listed on the home page and in the navigation bar, in the registry's order.
//! A report's board title, short name and description are the web texts
//! `web.board.{key}`, `web.nav.{key}` and `web.board.{key}.about`.

use std::sync::LazyLock;

use tsifra_core::reports::ReportId;

/// A board (report page) as the home page lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Board {
    /// Stable identifier: the report id, also used in TV rotation lists.
    pub slug: &'static str,
    pub path: &'static str,
    /// Key of its name in [`crate::texts`].
    pub title_key: &'static str,
    /// Key of its short name in the navigation bar.
    pub nav_key: &'static str,
    pub report: ReportId,
    /// Whether its route exists; a test requests every available board.
    pub available: bool,
}

/// Every registered report's board.
pub static BOARDS: LazyLock<Vec<Board>> = LazyLock::new(|| ReportId::ALL.iter().map(|&id| board(id)).collect());

fn board(report: ReportId) -> Board {
    let def = report.def();
    let key = def.key();
    // Made once per report for the life of the process.
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    Board {
        slug: def.id,
        path: leak(format!("/boards/{}", def.id)),
        title_key: leak(format!("web.board.{key}")),
        nav_key: leak(format!("web.nav.{key}")),
        report,
        available: true,
    }
}

/// The available board with this slug.
pub fn find(slug: &str) -> Option<&'static Board> {
    BOARDS.iter().find(|b| b.slug == slug && b.available)
}

/// The board of a report.
pub fn of(report: ReportId) -> &'static Board {
    BOARDS
        .iter()
        .find(|b| b.report == report)
        .expect("every registered report has a board")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texts::WEB_TEXTS;

    #[test]
    fn boards_have_unique_slugs_paths_and_known_titles() {
        for (i, a) in BOARDS.iter().enumerate() {
            let about = format!("{}.about", a.title_key);
            for key in [a.title_key, a.nav_key, &about] {
                assert!(WEB_TEXTS.iter().any(|(k, _, _)| *k == key), "{}: no text {key}", a.slug);
            }
            assert_eq!(a.path, format!("/boards/{}", a.slug));
            assert_eq!(a.slug, a.report.as_str(), "the slug is the report id");
            assert!(BOARDS[i + 1..].iter().all(|b| b.slug != a.slug), "duplicate {}", a.slug);
        }
    }

    #[test]
    fn every_report_has_a_board_and_every_board_a_tv_slide() {
        for id in ReportId::ALL {
            assert!(find(id.as_str()).is_some(), "{id:?} has no board");
            assert_eq!(of(id).report, id);
        }
        for board in BOARDS.iter() {
            assert!(tsifra_core::config::tv_boards().contains(&board.slug), "{}", board.slug);
        }
    }
}
