//! The office TV: `GET /tv` shows the boards full-screen in turn, dark, in
//! type readable across the room, with a clock and the "data as of" stamp.
//! Every slide is in the page from the start and fades into the next (no
//! page loads, so no flash); `assets/tv.js` swaps in fresh figures from
//! `GET /tv/slide/{board}` without reloading. A read-only token from
//! `[tv] token` (`?token=`) lets a TV in without a login.
//!
//! Everything the config sets can be overridden in the link, since a TV has
//! no keyboard: `?boards=plan-fact:30,leaderboard,owner&seconds=20&refresh=60&manager=..&theme=light`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use tsifra_core::config::parse_tv_board;
use tsifra_core::reports::ReportId;
use tsifra_core::{Id, Language};

use crate::asof::AsOf;
use crate::boards;
use crate::error::AppError;
use crate::figures::{ViewCtx, report_figures, stamp};
use crate::pagecache::{self, Kind};
use crate::pages::board::page_trend;
use crate::pages::owner::{OwnerQuery, owner_figures};
use crate::reports::{ReportQuery, compute_for};
use crate::state::AppState;
use crate::texts::t;
use crate::view::{Figure, Kpi, href};

mod plan_fact;

/// The most slides one rotation may have.
const MAX_SLIDES: usize = 24;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct TvQuery {
    pub token: Option<String>,
    /// Comma-separated `board[:seconds]` entries, replacing `[tv] boards`.
    pub boards: Option<String>,
    /// Seconds per board where an entry names none, replacing `[tv] seconds`.
    pub seconds: Option<String>,
    /// Seconds between refreshes, replacing `[tv] refresh_seconds`.
    pub refresh: Option<String>,
    pub manager: Option<String>,
    /// "light" for a bright room; dark otherwise.
    pub theme: Option<String>,
}

/// Lets the request in if the TV token is not set, or given and right.
pub fn check_token(state: &AppState, given: Option<&str>) -> Result<(), AppError> {
    let expected = state.config().tv.token.as_bytes();
    if expected.is_empty() {
        return Ok(());
    }
    let lang = state.language();
    match given.map(str::as_bytes) {
        None | Some(b"") => Err(AppError::Forbidden(t(lang, "web.tv.token_missing").to_string())),
        Some(given) if constant_time_eq(given, expected) => Ok(()),
        Some(_) => Err(AppError::Forbidden(t(lang, "web.tv.token_wrong").to_string())),
    }
}

/// Compares without stopping at the first difference, so timing does not tell how much of a guess was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Seconds from the link: a positive number, fractions allowed (0.05 to a day).
fn parse_seconds(name: &str, text: Option<&str>, default: f64) -> Result<f64, AppError> {
    match text.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(default),
        Some(s) => match s.parse::<f64>() {
            Ok(v) if (0.05..=86_400.0).contains(&v) => Ok(v),
            _ => Err(AppError::BadValue {
                key: "web.error.seconds",
                values: vec![("name", name.to_string()), ("value", s.to_string())],
            }),
        },
    }
}

/// The rotation: (board, seconds) in order.
fn rotation(state: &AppState, query: &TvQuery) -> Result<Vec<(&'static str, f64)>, AppError> {
    let config = &state.config().tv;
    let default_seconds = parse_seconds("seconds", query.seconds.as_deref(), config.seconds as f64)?;
    let entries: Vec<String> = match query.boards.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        Some(list) => list.split(',').map(str::to_string).filter(|e| !e.trim().is_empty()).collect(),
        None => config.boards.clone(),
    };
    if entries.is_empty() || entries.len() > MAX_SLIDES {
        return Err(AppError::BadValue {
            key: "web.error.tv_board_count",
            values: vec![("max", MAX_SLIDES.to_string())],
        });
    }
    entries
        .iter()
        .map(|entry| {
            parse_tv_board(entry)
                .map(|(board, seconds)| (board, seconds.unwrap_or(default_seconds)))
                .map_err(|_| AppError::BadValue {
                    key: "web.error.tv_board",
                    values: vec![
                        ("value", entry.trim().to_string()),
                        ("boards", tsifra_core::config::tv_boards().join(", ")),
                    ],
                })
        })
        .collect()
}

pub struct Slide {
    pub slug: &'static str,
    pub seconds: String,
    pub src: String,
    pub content: String,
}

#[derive(Template)]
#[template(path = "tv.html")]
pub struct TvPage {
    pub lang: Language,
    pub title: String,
    pub style: &'static str,
    pub theme: &'static str,
    pub time_zone: String,
    pub refresh_ms: u64,
    pub version: &'static str,
    pub clock: String,
    pub slides: Vec<Slide>,
}

impl TvPage {
    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }
}

#[derive(Template)]
#[template(path = "slide.html")]
pub struct SlideContent {
    pub slug: &'static str,
    pub title: String,
    pub who: Option<String>,
    pub stamp: String,
    pub kpis: Vec<Kpi>,
    pub figures: Vec<Figure>,
}

/// The TV's own stylesheet: dark, full-screen, sized to the screen.
pub const TV_STYLE: &str = concat!(include_str!("../../assets/tv.css"), include_str!("../../assets/tv-hygiene.css"));

/// `GET /tv`.
pub async fn tv(State(state): State<AppState>, as_of: AsOf, Query(query): Query<TvQuery>) -> Result<Response, AppError> {
    check_token(&state, query.token.as_deref())?;
    let rotation = rotation(&state, &query)?;
    let refresh = parse_seconds("refresh", query.refresh.as_deref(), state.config().tv.refresh_seconds as f64)?;
    let theme = match query.theme.as_deref() {
        Some("light") => "light",
        _ => "dark",
    };
    let manager = query.manager.clone().unwrap_or_default();
    let token = query.token.clone().unwrap_or_default();
    let requested = as_of.requested.clone().unwrap_or_default();
    let mut slides = Vec::with_capacity(rotation.len());
    for (slug, seconds) in rotation {
        let content = slide_bytes(&state, slug, &manager, &as_of).await?;
        slides.push(Slide {
            slug,
            seconds: format!("{seconds}"),
            src: href(
                &format!("/tv/slide/{slug}"),
                &[("token", &token), ("as_of", &requested), ("manager", &manager)],
            ),
            content: String::from_utf8_lossy(&content).into_owned(),
        });
    }
    let lang = state.language();
    let page = TvPage {
        lang,
        title: t(lang, "web.tv.title").to_string(),
        style: TV_STYLE,
        theme,
        time_zone: state.calendar().tz().name().to_string(),
        refresh_ms: (refresh * 1000.0).round() as u64,
        version: env!("CARGO_PKG_VERSION"),
        clock: state.calendar().local_time(state.now()).format("%H:%M").to_string(),
        slides,
    };
    Ok(pagecache::respond(page.render()?.into(), Kind::Html))
}

/// `GET /tv/slide/{board}`: one slide's content, for the TV to swap in.
pub async fn slide(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    as_of: AsOf,
    Query(query): Query<TvQuery>,
) -> Result<Response, AppError> {
    check_token(&state, query.token.as_deref())?;
    let (slug, _) = parse_tv_board(&slug).map_err(|_| AppError::NotFound {
        path: format!("/tv/slide/{slug}"),
    })?;
    let manager = query.manager.clone().unwrap_or_default();
    let body = slide_bytes(&state, slug, &manager, &as_of).await?;
    Ok(pagecache::respond(body, Kind::Fragment))
}

async fn slide_bytes(state: &AppState, slug: &'static str, manager: &str, as_of: &AsOf) -> Result<axum::body::Bytes, AppError> {
    let what = format!("slide\u{1}{slug}\u{1}{manager}");
    let (st, who, at) = (state.clone(), manager.to_string(), as_of.clone());
    pagecache::cached_bytes(state, what, as_of, move || async move { render_slide(&st, slug, &who, &at).await }).await
}

async fn render_slide(state: &AppState, slug: &'static str, manager: &str, as_of: &AsOf) -> Result<String, AppError> {
    let lang = state.language();
    let manager_id: Option<Id> = if manager.trim().is_empty() {
        None
    } else {
        Some(
            tsifra_core::reports::resolve_manager(&*state.workspace().await, manager)
                .map_err(|e| AppError::BadRequest(e.message(state.language())))?,
        )
    };
    let who = match manager_id {
        Some(id) => state.managers().await.into_iter().find(|(m, _)| *m == id).map(|(_, name)| name),
        None => None,
    };
    if slug == "owner" {
        let query = OwnerQuery {
            manager: Some(manager.to_string()),
            metric: None,
        };
        let (kpis, figures, stamp) = owner_figures(state, as_of, &query, true).await?;
        return Ok(SlideContent {
            slug,
            title: t(lang, "web.owner.title").to_string(),
            who,
            stamp,
            kpis,
            figures,
        }
        .render()?);
    }
    let board = boards::find(slug).ok_or_else(|| AppError::NotFound {
        path: format!("/tv/slide/{slug}"),
    })?;
    // The TV's manager, for the reports that show one manager's rows.
    let query = ReportQuery {
        manager: board.report.def().takes("manager").then(|| manager.to_string()),
        ..ReportQuery::default()
    };
    let computed = compute_for(state, board.report, &query, as_of).await?;
    // Hygiene has a slide of its own: the heat table of every rule per manager.
    if let tsifra_core::reports::Report::Hygiene(r) = &*computed.report {
        let currency = state.config().business.currency.clone();
        let vc = ViewCtx {
            lang,
            currency: &currency,
            tv: true,
            as_of_requested: as_of.requested.as_deref(),
            manager: manager_id,
        };
        let stamp = stamp(lang, &state.calendar(), computed.report_as_of());
        return crate::pages::tv_hygiene::render(&vc, r, slug, t(lang, board.title_key).to_string(), who, stamp);
    }
    let trend = if board.report == ReportId::Hygiene {
        Some(page_trend(state, as_of, &computed, manager_id).await?)
    } else {
        None
    };
    let currency = state.config().business.currency.clone();
    let vc = ViewCtx {
        lang,
        currency: &currency,
        tv: true,
        as_of_requested: as_of.requested.as_deref(),
        manager: manager_id,
    };
    let (kpis, figures) = report_figures(&vc, &computed.report, &computed.tables(state), trend.as_deref());
    if let tsifra_core::reports::Report::PlanFact(report) = &*computed.report {
        // Today and this week per manager, paged, the month last: see `plan_fact`.
        let head = plan_fact::Head {
            slug,
            title: t(lang, board.title_key).to_string(),
            who,
            stamp: stamp(lang, &state.calendar(), computed.report_as_of()),
            kpis,
        };
        return plan_fact::render(lang, &currency, head, report);
    }
    Ok(SlideContent {
        slug,
        title: t(lang, board.title_key).to_string(),
        who,
        stamp: stamp(lang, &state.calendar(), computed.report_as_of()),
        kpis,
        figures,
    }
    .render()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
