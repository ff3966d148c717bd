//! The boards the home page links to. Each report's issue adds its route and
//! flips `available` here; until then the home page lists it as "coming soon".

/// A board (report page) as the home page lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Board {
    /// Stable identifier, also used in TV rotation lists later.
    pub slug: &'static str,
    pub path: &'static str,
    /// Key of its name in [`crate::texts`].
    pub title_key: &'static str,
    /// Whether its route exists; a test requests every available board.
    pub available: bool,
}

pub const BOARDS: &[Board] = &[
    Board {
        slug: "plan-fact",
        path: "/boards/plan-fact",
        title_key: "web.board.plan_fact",
        available: false,
    },
    Board {
        slug: "leaderboard",
        path: "/boards/leaderboard",
        title_key: "web.board.leaderboard",
        available: false,
    },
    Board {
        slug: "hygiene",
        path: "/boards/hygiene",
        title_key: "web.board.hygiene",
        available: false,
    },
    Board {
        slug: "call-priority",
        path: "/boards/call-priority",
        title_key: "web.board.call_priority",
        available: false,
    },
    Board {
        slug: "receivables",
        path: "/boards/receivables",
        title_key: "web.board.receivables",
        available: false,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::texts::WEB_TEXTS;

    #[test]
    fn boards_have_unique_slugs_paths_and_known_titles() {
        for (i, a) in BOARDS.iter().enumerate() {
            assert!(
                WEB_TEXTS.iter().any(|(k, _, _)| *k == a.title_key),
                "{}: no text {}",
                a.slug,
                a.title_key
            );
            assert_eq!(a.path, format!("/boards/{}", a.slug));
            assert!(BOARDS[i + 1..].iter().all(|b| b.slug != a.slug), "duplicate {}", a.slug);
        }
    }
}
