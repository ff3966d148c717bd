//! The TV's hygiene slide: every CRM mistake by rule, per manager, on one
//! screen. A heat table (managers × rules; a cell's colour is its count's
//! share of the column's worst), the change since yesterday and who fixed the
//! most this week, all from the hygiene report. More managers than fit a
//! screen are split evenly over pages that take turns (CSS only: the slide is
//! swapped in as HTML, so no script of its own runs). Its styles are in the
//! TV's stylesheet (`assets/tv-hygiene.css`): a stylesheet in the slide would
//! be parsed again, and the whole page restyled, at every refresh.

use askama::Template;
use tsifra_core::Language;
use tsifra_core::reports::hygiene::Hygiene;

use crate::error::AppError;
use crate::figures::{Heat, ViewCtx, hygiene_heat};
use crate::texts::{t, t_with};

/// Seconds each page of managers stays on screen.
pub const PAGE_SECONDS: usize = 10;

#[derive(Template)]
#[template(path = "slide_hygiene.html")]
pub struct HygieneSlide {
    pub lang: Language,
    pub slug: &'static str,
    pub title: String,
    pub who: Option<String>,
    pub stamp: String,
    pub heat: Heat,
    pub page_seconds: usize,
}

impl HygieneSlide {
    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }

    /// "стр. 1 из 2".
    pub fn page_label(&self, n: &usize) -> String {
        t_with(
            self.lang,
            "web.hygiene.page",
            &[("n", &n.to_string()), ("of", &self.heat.pages.len().to_string())],
        )
    }

    /// The share of the column's worst a colour level stands for: "1–25 %".
    pub fn level_label(&self, level: &u8) -> String {
        let (from, to) = ((*level as usize - 1) * 25 + 1, *level as usize * 25);
        match self.lang {
            Language::Ru => format!("{from}–{to}\u{a0}%"),
            Language::En => format!("{from}–{to}%"),
        }
    }
}

pub fn render(
    vc: &ViewCtx,
    r: &Hygiene,
    slug: &'static str,
    title: String,
    who: Option<String>,
    stamp: String,
) -> Result<String, AppError> {
    Ok(HygieneSlide {
        lang: vc.lang,
        slug,
        title,
        who,
        stamp,
        heat: hygiene_heat(vc, r),
        page_seconds: PAGE_SECONDS,
    }
    .render()?)
}
