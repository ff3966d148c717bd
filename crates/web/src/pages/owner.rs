//! `GET /owner`: the few figures an owner checks on the phone: today, this
//! week and this month against plan with % done, the month's run-rate, money
//! overdue, the CRM hygiene score and who leads the month. One column that
//! fits 390 px, installable as a web app (manifest, service worker) so that
//! Web Push can reach it. The month's forecast joins once the forecast report exists.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use tsifra_core::calendar::PeriodKind;
use tsifra_core::reports::{Report, ReportId};

use crate::asof::AsOf;
use crate::error::AppError;
use crate::figures::{ViewCtx, overdue_kpi, period_kpi, projection_kpi, score_tone, stamp, trend_figure, trend_kpi};
use crate::html::Layout;
use crate::pagecache::{self, Kind};
use crate::pages::board::{Choice, Freshness, manager_choices, page_trend};
use crate::reports::{ReportQuery, compute_for};
use crate::state::AppState;
use crate::texts::t;
use crate::view::{Figure, Kpi, json_number, percent_text};

#[derive(Clone, Debug, Default, Deserialize)]
pub struct OwnerQuery {
    pub manager: Option<String>,
    pub metric: Option<String>,
}

#[derive(Template)]
#[template(path = "owner.html")]
pub struct OwnerPage {
    pub layout: Layout,
    pub stamp: String,
    pub as_of_requested: Option<String>,
    pub managers: Vec<Choice>,
    pub kpis: Vec<Kpi>,
    pub figures: Vec<Figure>,
    /// "Обновлено N мин назад" and the auto-refresh of the live view.
    pub fresh: Freshness,
    /// The compact header's link to every board (the phone has no navigation bar).
    pub home: String,
}

pub async fn owner(State(state): State<AppState>, as_of: AsOf, Query(query): Query<OwnerQuery>) -> Result<Response, AppError> {
    let what = format!(
        "owner\u{1}{}\u{1}{}",
        query.manager.as_deref().unwrap_or(""),
        query.metric.as_deref().unwrap_or("")
    );
    let (st, q, at) = (state.clone(), query.clone(), as_of.clone());
    pagecache::cached(&state, what, &as_of, Kind::Html, move || async move { render(&st, &q, &at).await }).await
}

async fn render(state: &AppState, query: &OwnerQuery, as_of: &AsOf) -> Result<String, AppError> {
    let (kpis, figures, stamp) = owner_figures(state, as_of, query, false).await?;
    let lang = state.language();
    let manager = query.manager.as_deref().unwrap_or("");
    let (_, managers) = manager_choices(state, manager).await;
    let requested = as_of.requested.as_deref().unwrap_or("");
    let mut layout = Layout::page(
        lang,
        t(lang, "web.owner.title"),
        "/owner",
        &[("as_of", requested), ("manager", manager)],
    );
    layout.app = true;
    let layout = layout.warned(state);
    Ok(OwnerPage {
        layout,
        stamp,
        as_of_requested: as_of.requested.clone(),
        managers,
        kpis,
        figures,
        fresh: Freshness::of(state, as_of),
        home: crate::view::href("/", &[("as_of", requested)]),
    }
    .render()?)
}

/// The owner's figures, for the phone page and the TV's "owner" slide: the
/// reports' own numbers (plan-fact, receivables, hygiene, leaderboard), cached like theirs.
pub async fn owner_figures(
    state: &AppState,
    as_of: &AsOf,
    query: &OwnerQuery,
    tv: bool,
) -> Result<(Vec<Kpi>, Vec<Figure>, String), AppError> {
    let report_query = ReportQuery {
        manager: query.manager.clone(),
        metric: query.metric.clone(),
        ..ReportQuery::default()
    };
    let only_manager = ReportQuery {
        manager: query.manager.clone(),
        ..ReportQuery::default()
    };
    let plan_fact = compute_for(state, ReportId::PlanFact, &report_query, as_of).await?;
    let receivables = compute_for(state, ReportId::Receivables, &only_manager, as_of).await?;
    let hygiene = compute_for(state, ReportId::Hygiene, &only_manager, as_of).await?;
    let leaderboard = compute_for(state, ReportId::Leaderboard, &ReportQuery::default(), as_of).await?;
    let manager = {
        let ws = state.workspace().await;
        query
            .manager
            .as_deref()
            .filter(|m| !m.trim().is_empty())
            .and_then(|m| tsifra_core::reports::resolve_manager(&ws, m).ok())
    };
    let trend = page_trend(state, as_of, &hygiene, manager).await?;
    let lang = state.language();
    let currency = state.config().business.currency.clone();
    let vc = ViewCtx {
        lang,
        currency: &currency,
        tv: true,
        as_of_requested: as_of.requested.as_deref(),
        manager,
    };
    // Links only on the phone; numbers compact on both (a phone is narrow, a TV far away).
    let link = |path: &str| {
        if tv {
            None
        } else {
            Some(crate::view::href(
                path,
                &[
                    ("as_of", as_of.requested.as_deref().unwrap_or("")),
                    ("manager", query.manager.as_deref().unwrap_or("")),
                ],
            ))
        }
    };
    let mut kpis = Vec::new();
    if let Report::PlanFact(r) = &*plan_fact.report {
        for p in &r.periods {
            let mut kpi = period_kpi(&vc, r.metric, p);
            kpi.href = link("/boards/plan-fact");
            kpis.push(kpi);
        }
        if let Some(month) = r.periods.iter().find(|p| p.kind == PeriodKind::Month) {
            let mut kpi = projection_kpi(&vc, r.metric, month);
            kpi.href = link("/boards/plan-fact");
            kpis.push(kpi);
        }
    }
    if let Report::Receivables(r) = &*receivables.report {
        let mut kpi = overdue_kpi(&vc, r);
        kpi.href = link("/boards/receivables");
        kpis.push(kpi);
    }
    if let Report::Hygiene(r) = &*hygiene.report {
        let mut kpi = Kpi::new(
            "score",
            t(lang, "web.kpi.score"),
            percent_text(lang, r.team.score),
            r.team.score.map_or(String::new(), json_number),
        )
        .detail(tsifra_core::i18n::count(
            lang,
            r.team.violations as i64,
            crate::figures::VIOLATIONS.0,
            crate::figures::VIOLATIONS.1,
        ))
        .progress(r.team.score)
        .tone(score_tone(r.team.score));
        kpi.href = link("/boards/hygiene");
        kpis.push(kpi);
    }
    if let Report::Leaderboard(r) = &*leaderboard.report {
        let mut kpi = leader_kpi(lang, &currency, r);
        kpi.href = link("/boards/leaderboard");
        kpis.push(kpi);
    }
    let mut figures = Vec::new();
    if let Some(kpi) = trend_kpi(&vc, &trend) {
        let mut kpi = kpi;
        kpi.href = link("/boards/hygiene");
        kpis.push(kpi);
    }
    if !trend.is_empty() {
        figures.push(trend_figure(&vc, &trend));
    }
    let stamp = stamp(lang, &state.calendar(), plan_fact.report_as_of());
    Ok((kpis, figures, stamp))
}

/// The month's leader as a headline figure (the owner's board, the TV's owner slide, the home page):
/// the short name, the compact result; a dash and "nobody yet" on the 1st of the month.
pub fn leader_kpi(lang: tsifra_core::Language, currency: &str, r: &tsifra_core::reports::leaderboard::Leaderboard) -> Kpi {
    match r.leader() {
        Some(leader) => Kpi::new(
            "leader",
            t(lang, "web.kpi.leader"),
            crate::view::short_name(&leader.manager),
            leader.value,
        )
        .textual()
        .detail(crate::view::metric_compact(lang, currency, r.metric, leader.value))
        .tone(crate::charts::Tone::Good),
        None => Kpi::new("leader", t(lang, "web.kpi.leader"), "—", 0).detail(t(lang, "web.kpi.no_leader_yet")),
    }
}
