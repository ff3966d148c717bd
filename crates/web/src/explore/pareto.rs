//! `GET /boards/pareto`: which companies, products or managers bring most of
//! a measure. The headline in words ("31 компания из 140 даёт 80 % выручки"),
//! the contributions as columns with the cumulative share, the A/B/C class of
//! each (the `[reports] abc_*_percent` limits), and the table as CSV and XLSX.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use tsifra_core::query::Value;
use tsifra_core::query::pareto::Class;
use tsifra_core::query::table::pareto_table;

use super::api::pareto_of;
use super::charts::{self, ParetoBar};
use super::page::{Chip, EXPLORE_STYLE, Form, chips, empty_text, file_bytes, form};
use super::{Params, ask, filter_text, value_compact, value_text};
use crate::asof::AsOf;
use crate::error::AppError;
use crate::figures::stamp;
use crate::html::Layout;
use crate::pagecache::{self, Kind};
use crate::reports::effective_as_of;
use crate::state::AppState;
use crate::texts::{t, t_with};
use crate::view::{Kpi, TableView, href, table_view};

pub const PATH: &str = "/boards/pareto";

/// Columns the chart draws at most; the table and the files have every row.
const MAX_BARS: usize = 200;

#[derive(Template)]
#[template(path = "pareto.html")]
pub struct ParetoPage {
    pub layout: Layout,
    pub stamp: String,
    pub as_of_requested: Option<String>,
    pub form: Form,
    pub chips: Vec<Chip>,
    pub headline: String,
    pub kpis: Vec<Kpi>,
    pub empty: Option<String>,
    pub chart: String,
    pub legend: String,
    pub capped: Option<String>,
    pub table: TableView,
}

impl ParetoPage {
    pub fn style(&self) -> &'static str {
        EXPLORE_STYLE
    }
}

pub async fn page(State(state): State<AppState>, as_of: AsOf, Query(pairs): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    let params = Params::from_pairs(&pairs, state.language())?;
    let what = format!("pareto\u{1}{}", params.href(PATH));
    let (st, at) = (state.clone(), as_of.clone());
    pagecache::cached(
        &state,
        what,
        &as_of,
        Kind::Html,
        move || async move { render(&st, &at, params).await },
    )
    .await
}

fn page_number(params: &Params) -> Result<usize, AppError> {
    crate::pages::board::parse_page(params.page.as_deref())
}

async fn render(state: &AppState, as_of: &AsOf, params: Params) -> Result<String, AppError> {
    let lang = state.language();
    let currency = state.config().business.currency.clone();
    let stamp = stamp(lang, &state.calendar(), effective_as_of(as_of));
    let requested = as_of.requested.clone();
    let page = page_number(&params)?;
    let st = state.clone();
    ask(state, as_of, move |ctx, today| {
        let (p, dim) = pareto_of(ctx, &params, today)?;
        let mut text = params.text.clone();
        text.by.clear();
        let q = super::parse_question(&text, ctx.ws, ctx.config, today)?;
        let unit = q.measure.unit();
        let measure_title = t(lang, &q.measure.title_key());
        let records = |filter: Option<String>| {
            let mut text = params.text.clone();
            text.by.clear();
            text.filters.extend(filter);
            params.with_text(text).records_href(None)
        };
        let bars: Vec<ParetoBar> = p
            .rows
            .iter()
            .take(MAX_BARS)
            .map(|r| ParetoBar {
                label: r.label.clone(),
                value: r.value as f64,
                value_text: value_compact(lang, &currency, unit, Some(Value::Int(r.value))),
                cumulative: r.cumulative,
                class: class_name(r.class),
                // A value a filter cannot name has no list of its own.
                href: filter_text(dim, &r.key, ctx.ws, today).map(|f| records(Some(f))),
            })
            .collect();
        let title = format!("{measure_title} · {} · {}", dim.title(ctx.ws, lang), p.period_label);
        let count = |n: usize| tsifra_core::i18n::format_int(lang, n as i64);
        let kpis = vec![
            Kpi::new(
                "total",
                format!("{measure_title} · {}", p.period_label),
                value_text(lang, &currency, unit, Some(Value::Int(p.total))),
                p.total,
            )
            .href(records(None)),
            Kpi::new(
                "a_count",
                t(lang, "web.pareto.a_count"),
                format!("{} / {}", count(p.a_count), count(p.rows.len())),
                p.a_count,
            )
            .detail(t_with(
                lang,
                "web.pareto.a_share",
                &[("share", &tsifra_core::i18n::format_percent(lang, p.a_share))],
            )),
            Kpi::new(
                "b_count",
                t(lang, "web.pareto.b_count"),
                count(p.rows.iter().filter(|r| r.class == Class::B).count()),
                p.rows.iter().filter(|r| r.class == Class::B).count(),
            ),
            Kpi::new(
                "c_count",
                t(lang, "web.pareto.c_count"),
                count(p.rows.iter().filter(|r| r.class == Class::C).count()),
                p.rows.iter().filter(|r| r.class == Class::C).count(),
            ),
        ];
        let table = pareto_table(&p, unit, lang, &currency, &dim.title(ctx.ws, lang));
        let pairs = params.pairs();
        let options: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let table = table_view(
            &table,
            page,
            lang,
            &currency,
            &st.calendar(),
            |id, ext| href(&format!("{PATH}/{id}.{ext}"), &options),
            |n| {
                let n = n.to_string();
                let mut with_page = options.clone();
                with_page.push(("page", &n));
                format!("{}#pareto", href(PATH, &with_page))
            },
        );
        let page = ParetoPage {
            layout: Layout::page(
                lang,
                t(lang, "web.board.pareto"),
                PATH,
                &[("as_of", requested.as_deref().unwrap_or(""))],
            )
            .warned(&st),
            stamp,
            as_of_requested: requested,
            form: form(PATH, &params, &q, ctx.ws, ctx.config, lang, true),
            chips: chips(&params, ctx.ws, ctx.config, today, lang, PATH),
            headline: if p.rows.is_empty() { String::new() } else { p.headline.clone() },
            kpis,
            empty: p
                .rows
                .is_empty()
                .then(|| empty_text(lang, q.measure, &p.period_label, !q.filters.is_empty())),
            chart: charts::pareto(&title, &bars, p.a_until, p.b_until),
            legend: t_with(
                lang,
                "web.pareto.legend",
                &[("a", &p.a_until.to_string()), ("b", &p.b_until.to_string())],
            ),
            capped: (p.rows.len() > MAX_BARS).then(|| {
                t_with(
                    lang,
                    "web.pareto.capped",
                    &[("n", &count(MAX_BARS)), ("total", &count(p.rows.len()))],
                )
            }),
            table,
        };
        Ok(page.render()?)
    })
    .await
}

fn class_name(c: Class) -> &'static str {
    match c {
        Class::A => "A",
        Class::B => "B",
        Class::C => "C",
    }
}

/// `GET /boards/pareto/pareto.csv|xlsx?<question>`: the Pareto table.
pub async fn download(
    State(state): State<AppState>,
    Path(file): Path<String>,
    uri: axum::http::Uri,
    as_of: AsOf,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let lang = state.language();
    let ext = super::page::download_ext(&file, "pareto", PATH)?;
    let params = Params::from_pairs(&pairs, lang)?;
    let currency = state.config().business.currency.clone();
    let (st, at) = (state.clone(), as_of.clone());
    crate::downloads::shared(&state, uri.to_string(), &as_of, move || async move {
        let table = ask(&st, &at, move |ctx, today| {
            let (p, dim) = pareto_of(ctx, &params, today)?;
            Ok(pareto_table(&p, p.measure.unit(), lang, &currency, &dim.title(ctx.ws, lang)))
        })
        .await?;
        file_bytes(st, at, table, "pareto", ext).await
    })
    .await
}
