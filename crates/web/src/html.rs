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
pub const STYLE: &str = include_str!("../assets/style.css");

/// The frame around a page; each page template has it as its `layout` field
/// and extends `base.html`, which reads it.
#[derive(Clone, Debug)]
pub struct Layout {
    pub lang: Language,
    pub title: String,
}

impl Layout {
    pub fn new(lang: Language, title: impl Into<String>) -> Layout {
        Layout { lang, title: title.into() }
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
