//! What every HTML page shares: the layout (language, title, embedded
//! stylesheet) and how dates and instants are written for a reader.
//! Escaping is askama's: every `{{ value }}` in a `.html` template is HTML-escaped.

use askama::Template;
use axum::response::Html;
use tsifra_core::i18n::format_date;
use tsifra_core::{BusinessCalendar, Instant, Language};

use crate::error::AppError;
use crate::texts::t;

/// The stylesheet, embedded in every page: no CDN, no extra request, works offline.
pub const STYLE: &str = concat!(include_str!("../assets/style.css"), include_str!("../assets/charts.css"));

/// The frame around a page; each page template has it as its `layout` field
/// and extends `base.html`, which reads it.
#[derive(Clone, Debug)]
pub struct Layout {
    pub lang: Language,
    pub title: String,
    /// The navigation bar: the overview, every board, the owner's board and the TV.
    pub nav: Vec<NavLink>,
    /// The installable web app's head (manifest, icons, service worker): the owner's board.
    pub app: bool,
    /// A warning above every page's content: the store is read-only (a full disk).
    pub warning: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct NavLink {
    pub title: &'static str,
    pub href: String,
    pub current: bool,
}

impl Layout {
    /// A page outside the boards (errors): plain navigation links.
    pub fn new(lang: Language, title: impl Into<String>) -> Layout {
        Layout::page(lang, title, "", &[])
    }

    /// A page at `current` (its path); `carry` (as_of, manager) goes on every
    /// navigation link, so switching boards keeps the moment and the person.
    pub fn page(lang: Language, title: impl Into<String>, current: &str, carry: &[(&str, &str)]) -> Layout {
        let mut nav = vec![NavLink {
            title: t(lang, "web.nav.home"),
            href: crate::view::href("/", carry),
            current: current == "/",
        }];
        nav.extend(crate::boards::BOARDS.iter().filter(|b| b.available).map(|b| NavLink {
            title: t(lang, b.nav_key),
            href: crate::view::href(b.path, carry),
            current: current == b.path,
        }));
        nav.extend(crate::explore::PAGES.iter().map(|(path, _, nav_key)| NavLink {
            title: t(lang, nav_key),
            href: crate::view::href(path, carry),
            current: current == *path,
        }));
        nav.push(NavLink {
            title: t(lang, "web.nav.owner"),
            href: crate::view::href("/owner", carry),
            current: current == "/owner",
        });
        nav.push(NavLink {
            title: t(lang, "web.nav.tv"),
            href: crate::view::href("/tv", carry),
            current: false,
        });
        Layout {
            lang,
            title: title.into(),
            nav,
            app: false,
            warning: None,
        }
    }

    /// The layout with the server's standing warning, if any (see [`AppState::store_warning`]).
    pub fn warned(mut self, state: &crate::state::AppState) -> Layout {
        self.warning = state.store_warning();
        self
    }

    /// A word in the page's language (see [`crate::texts`]).
    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }

    pub fn style(&self) -> &'static str {
        STYLE
    }

    pub fn version(&self) -> &'static str {
        env!("CARGO_PKG_VERSION")
    }
}

/// Renders a page template into a response body.
pub fn render(page: &impl Template) -> Result<Html<String>, AppError> {
    Ok(Html(page.render()?))
}

/// An instant as the business reads it: local date and time in its zone,
/// "20.11.2026 15:00" / "Nov 20, 2026 15:00".
pub fn format_local_datetime(lang: Language, calendar: &BusinessCalendar, at: Instant) -> String {
    let local = calendar.local_time(at);
    format!("{} {}", format_date(lang, local.date_naive()), local.format("%H:%M"))
}
