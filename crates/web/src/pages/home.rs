//! `GET /`: the day's key numbers (today's and the month's plan and fact, the
//! month's leader, the CRM mistakes, the money overdue: each from the report
//! its board shows), the boards, and a smaller "system" block: what is loaded
//! (account, data directory, record counts, the days the deals span), which
//! zone and instant the figures are for, the CRM sync.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use tsifra_core::calendar::fallback_notice;
use tsifra_core::i18n::{format_date, format_int};

use crate::asof::AsOf;
use crate::boards::BOARDS;
use crate::error::AppError;
use crate::figures::{ViewCtx, overdue_kpi, period_kpi, score_tone};
use crate::html::{Layout, format_local_datetime, render};
use crate::pages::board::Freshness;
use crate::pages::owner::leader_kpi;
use crate::reports::{ReportQuery, compute_for};
use crate::state::AppState;
use crate::summary::WorkspaceSummary;
use crate::texts::{t, t_with};
use crate::view::{Kpi, percent_text};
use tsifra_core::calendar::PeriodKind;
use tsifra_core::reports::{Report, ReportId};

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub layout: Layout,
    pub account: Option<String>,
    pub data_dir: String,
    pub time_zone: String,
    pub as_of: String,
    /// The `as_of` text from the URL, carried on to board links.
    pub as_of_requested: Option<String>,
    /// "06.11.2025 – 26.11.2026", or `None` without deals.
    pub period: Option<String>,
    pub empty: bool,
    pub counts: Vec<CountRow>,
    pub boards: Vec<BoardLink>,
    /// The CRM connector's last run, when one is configured.
    pub sync: Option<crate::sync::SyncPanel>,
    /// Set while the as-of year's working days follow the Labour Code alone
    /// (no decree, no imported calendar): plans and run-rates may be off.
    pub calendar_notice: Option<String>,
    /// The day's key numbers, each linked to its board (empty without data).
    pub kpis: Vec<Kpi>,
    /// "20.11.2026 15:00": the instant the key numbers are for.
    pub stamp: String,
    pub fresh: Freshness,
}

pub struct CountRow {
    /// The JSON key too, so tests and scripts can find a row by `data-kind`.
    pub kind: &'static str,
    pub label: &'static str,
    pub value: String,
}

pub struct BoardLink {
    pub title: &'static str,
    /// One line on what the board answers.
    pub about: &'static str,
    pub path: &'static str,
    pub available: bool,
}

impl HomePage {
    pub fn new(state: &AppState, summary: &WorkspaceSummary, as_of: &AsOf) -> HomePage {
        let lang = state.language();
        let calendar = &*state.calendar();
        let requested = as_of.requested.as_deref().unwrap_or("");
        let mut boards: Vec<BoardLink> = BOARDS
            .iter()
            .map(|b| BoardLink {
                title: t(lang, b.title_key),
                about: t(lang, &format!("{}.about", b.title_key)),
                path: b.path,
                available: b.available,
            })
            .collect();
        boards.extend(crate::explore::PAGES.iter().map(|&(path, title_key, _)| BoardLink {
            title: t(lang, title_key),
            about: t(lang, &format!("{title_key}.about")),
            path,
            available: true,
        }));
        boards.extend(
            [("web.owner.title", "/owner"), ("web.tv.title", "/tv")].map(|(key, path)| BoardLink {
                title: t(lang, key),
                about: t(lang, &format!("{key}.about")),
                path,
                available: true,
            }),
        );
        HomePage {
            layout: Layout::page(lang, t(lang, "web.title.home"), "/", &[("as_of", requested)]).warned(state),
            account: summary.account.clone(),
            data_dir: state.data_dir().display().to_string(),
            time_zone: calendar.tz().name().to_string(),
            as_of: format_local_datetime(lang, calendar, as_of.at),
            as_of_requested: as_of.requested.clone(),
            period: summary
                .deal_dates
                .map(|(first, last)| format!("{} – {}", format_date(lang, first), format_date(lang, last))),
            empty: summary.is_empty(),
            counts: summary
                .counts
                .iter()
                .map(|&(what, n)| CountRow {
                    kind: what.key(),
                    label: t(lang, what.text_key()),
                    value: format_int(lang, n as i64),
                })
                .collect(),
            boards,
            sync: state
                .sync()
                .map(|control| crate::sync::SyncPanel::new(lang, calendar, &control.status())),
            calendar_notice: fallback_notice(lang, &calendar.fallback_years_near(calendar.local_date(as_of.at))),
            kpis: Vec::new(),
            stamp: crate::figures::stamp(lang, calendar, as_of.at),
            fresh: Freshness::of(state, as_of),
        }
    }
}

pub async fn home(State(state): State<AppState>, as_of: AsOf) -> Result<Html<String>, AppError> {
    let summary = state.summary().await;
    let mut page = HomePage::new(&state, &summary, &as_of);
    if !summary.is_empty() {
        page.kpis = key_figures(&state, &as_of).await?;
    }
    render(&page)
}

/// The day's key numbers: today's and the month's plan/fact/% (plan-fact), the
/// month's leader (leaderboard), the CRM mistakes (hygiene) and the money
/// overdue (receivables), each computed (and cached) as its board computes it.
pub async fn key_figures(state: &AppState, as_of: &AsOf) -> Result<Vec<Kpi>, AppError> {
    let all = ReportQuery::default();
    let plan_fact = compute_for(state, ReportId::PlanFact, &all, as_of).await?;
    let leaderboard = compute_for(state, ReportId::Leaderboard, &all, as_of).await?;
    let hygiene = compute_for(state, ReportId::Hygiene, &all, as_of).await?;
    let receivables = compute_for(state, ReportId::Receivables, &all, as_of).await?;
    let lang = state.language();
    let currency = state.config().business.currency.clone();
    let vc = ViewCtx {
        lang,
        currency: &currency,
        tv: false,
        as_of_requested: as_of.requested.as_deref(),
        manager: None,
    };
    let link = |path: &str| vc.board_href(path).unwrap_or_default();
    let mut kpis = Vec::new();
    if let Report::PlanFact(r) = &*plan_fact.report {
        for p in r.periods.iter().filter(|p| matches!(p.kind, PeriodKind::Day | PeriodKind::Month)) {
            kpis.push(period_kpi(&vc, r.metric, p).href(link("/boards/plan-fact")));
        }
    }
    if let Report::Leaderboard(r) = &*leaderboard.report {
        kpis.push(leader_kpi(lang, &currency, r).href(link("/boards/leaderboard")));
    }
    if let Report::Hygiene(r) = &*hygiene.report {
        let kpi = Kpi::new(
            "violations",
            t(lang, "web.kpi.violations"),
            format_int(lang, r.team.violations as i64),
            r.team.violations,
        )
        .detail(t_with(lang, "web.home.score", &[("percent", &percent_text(lang, r.team.score))]))
        .tone(score_tone(r.team.score));
        kpis.push(kpi.href(link("/boards/hygiene")));
    }
    if let Report::Receivables(r) = &*receivables.report {
        kpis.push(overdue_kpi(&vc, r).href(link("/boards/receivables")));
    }
    Ok(kpis)
}
