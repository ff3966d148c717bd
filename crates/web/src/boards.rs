//! The boards: one page per report, listed on the home page and in the
//! navigation bar. A later report adds its entry here (with `available: false`
//! until its page exists, which the home page shows as "coming soon").

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

pub const BOARDS: &[Board] = &[
    Board {
        slug: "plan-fact",
        path: "/boards/plan-fact",
        title_key: "web.board.plan_fact",
        nav_key: "web.nav.plan_fact",
        report: ReportId::PlanFact,
        available: true,
    },
    Board {
        slug: "leaderboard",
        path: "/boards/leaderboard",
        title_key: "web.board.leaderboard",
        nav_key: "web.nav.leaderboard",
        report: ReportId::Leaderboard,
        available: true,
    },
    Board {
        slug: "hygiene",
        path: "/boards/hygiene",
        title_key: "web.board.hygiene",
        nav_key: "web.nav.hygiene",
        report: ReportId::Hygiene,
        available: true,
    },
    Board {
        slug: "call-priority",
        path: "/boards/call-priority",
        title_key: "web.board.call_priority",
        nav_key: "web.nav.call_priority",
        report: ReportId::CallPriority,
        available: true,
    },
    Board {
        slug: "receivables",
        path: "/boards/receivables",
        title_key: "web.board.receivables",
        nav_key: "web.nav.receivables",
        report: ReportId::Receivables,
        available: true,
    },
    Board {
        slug: "funnel",
        path: "/boards/funnel",
        title_key: "web.board.funnel",
        nav_key: "web.nav.funnel",
        report: ReportId::Funnel,
        available: true,
    },
];

/// The available board with this slug.
pub fn find(slug: &str) -> Option<&'static Board> {
    BOARDS.iter().find(|b| b.slug == slug && b.available)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texts::WEB_TEXTS;

    #[test]
    fn boards_have_unique_slugs_paths_and_known_titles() {
        for (i, a) in BOARDS.iter().enumerate() {
            for key in [a.title_key, a.nav_key] {
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
        }
        for board in BOARDS {
            assert!(tsifra_core::config::TV_BOARDS.contains(&board.slug), "{}", board.slug);
        }
    }
}
