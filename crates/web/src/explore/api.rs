//! The JSON of the explore and Pareto boards, the shapes `tsifra report
//! explore|pareto --format json` prints:
//!
//! * `GET /api/reports/explore?measure=&by=&by=&where=&where=&period=&compare=&limit=&as_of=`: the answer;
//! * `GET /api/reports/explore/records?<the same>&row=<index|others>&page=`: the records behind a figure;
//! * `GET /api/reports/pareto?measure=&by=company|product|manager&period=&where=`: the Pareto / ABC view.

use axum::Json;
use axum::extract::{Query, State};
use tsifra_core::query::{Dimension, figures, pareto::Pareto};

use super::records::{Records, records};
use super::{Params, ask};
use crate::asof::AsOf;
use crate::error::AppError;
use crate::state::AppState;

type Pairs = Query<Vec<(String, String)>>;

pub async fn explore(State(state): State<AppState>, as_of: AsOf, Query(pairs): Pairs) -> Result<Json<serde_json::Value>, AppError> {
    let params = Params::from_pairs(&pairs, state.language())?;
    let json = ask(&state, &as_of, move |ctx, today| {
        let q = params.question(ctx.ws, ctx.config, today)?;
        // The JSON never lists the records (`record_ids` is not serialised): figures only.
        serde_json::to_value(figures(ctx, &q)).map_err(|e| AppError::Internal(format!("an answer as JSON: {e}")))
    })
    .await?;
    Ok(Json(json))
}

pub async fn explore_records(State(state): State<AppState>, as_of: AsOf, Query(pairs): Pairs) -> Result<Json<Records>, AppError> {
    let params = Params::from_pairs(&pairs, state.language())?;
    Ok(Json(ask(&state, &as_of, move |ctx, today| records(ctx, &params, today)).await?))
}

pub async fn pareto(State(state): State<AppState>, as_of: AsOf, Query(pairs): Pairs) -> Result<Json<Pareto>, AppError> {
    let params = Params::from_pairs(&pairs, state.language())?;
    Ok(Json(
        ask(&state, &as_of, move |ctx, today| pareto_of(ctx, &params, today).map(|(p, _)| p)).await?,
    ))
}

/// The Pareto view `params` asks for (its first `by`, companies by default) and the dimension.
pub fn pareto_of(ctx: &tsifra_core::query::QueryCtx, params: &Params, today: chrono::NaiveDate) -> Result<(Pareto, Dimension), AppError> {
    let by = params.text.by.first().map_or("company", String::as_str).to_string();
    // The dimension is checked with the rest of the question, then asked of separately.
    let mut text = params.text.clone();
    text.by = vec![by.clone()];
    params.with_text(text.clone()).question(ctx.ws, ctx.config, today)?;
    let dim = Dimension::parse(&by, ctx.ws, ctx.config).map_err(|e| AppError::BadRequest(e.message(ctx.config.business.language)))?;
    text.by.clear();
    let q = super::parse_question(&text, ctx.ws, ctx.config, today)?;
    let reports = &ctx.config.reports;
    let p = tsifra_core::query::pareto::pareto(ctx, &q, dim, reports.abc_a_percent, reports.abc_b_percent)
        .map_err(|e| AppError::BadRequest(pareto_error(ctx.config.business.language, &e, q.measure)))?;
    Ok((p, dim))
}

fn pareto_error(lang: tsifra_core::Language, error: &tsifra_core::query::QueryError, measure: tsifra_core::query::Measure) -> String {
    match lang {
        tsifra_core::Language::Ru => crate::texts::t_with(lang, "web.pareto.bad_measure", &[("value", measure.as_str())]),
        tsifra_core::Language::En => error.message(lang),
    }
}
