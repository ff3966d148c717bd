//! The records behind a figure: the deals, activities or tasks that made it,
//! with their CRM cards. A figure is a row of an answer (by its index), its
//! "others", or its total; the list is exactly the answer's record ids.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::Serialize;
use tsifra_core::model::{CrmLinks, EntityRef, Id};
use tsifra_core::query::{Answer, Filter, Measure, QueryCtx, Record, Row, Value, answer};
use tsifra_core::{Instant, Language, Workspace};

use super::{Params, ask, page::Chip, value_text};
use crate::asof::AsOf;
use crate::error::AppError;
use crate::html::{Layout, format_local_datetime};
use crate::state::AppState;
use crate::texts::{t, t_with};

/// The page listing a figure's records.
pub const PAGE_PATH: &str = "/boards/explore/records";

/// Records a page of the list holds (the API's pages too).
pub const PER_PAGE: usize = 200;

/// A figure's records, a page at a time.
#[derive(Clone, Debug, Serialize)]
pub struct Records {
    pub measure: Measure,
    pub period_label: String,
    /// The figure: its row's labels, "Остальные", or the total's name.
    pub figure: Vec<String>,
    pub filters: Vec<Filter>,
    pub value: Option<Value>,
    pub total_records: usize,
    pub page: usize,
    pub pages: usize,
    pub records: Vec<RecordLine>,
}

/// One record as a list shows it. Deals: name, manager now, stage now, amount;
/// activities and tasks: what, who, when, and the deal, company or contact they concern.
#[derive(Clone, Debug, Serialize)]
pub struct RecordLine {
    /// `deal`, `activity` or `task`.
    pub kind: &'static str,
    pub id: Id,
    pub name: String,
    pub manager: Option<String>,
    /// Minor units (deals).
    pub amount: Option<i64>,
    /// "Pipeline · Stage" where the deal stands now.
    pub stage: Option<String>,
    /// Closed (or created, for new deals), the activity's time, the task's completion or due time.
    pub at: Option<Instant>,
    /// The deal, company or contact an activity or task concerns.
    pub about: Option<String>,
    /// The CRM card: the deal's, or the one the activity or task concerns.
    pub url: Option<String>,
}

/// The figure `row` names in `a`: a row index, `others`, or the total (none or `total`).
pub fn pick<'a>(a: &'a Answer, row: Option<&str>, lang: Language) -> Result<&'a Row, AppError> {
    match row.map(str::trim) {
        None | Some("" | "total") => Ok(&a.total),
        Some("others") => a
            .others
            .as_ref()
            .ok_or_else(|| AppError::BadRequest(t(lang, "web.explore.no_others").to_string())),
        Some(text) => text.parse::<usize>().ok().and_then(|i| a.rows.get(i)).ok_or_else(|| {
            AppError::BadRequest(t_with(
                lang,
                "web.explore.bad_row",
                &[("value", text), ("n", &a.rows.len().to_string())],
            ))
        }),
    }
}

fn page_number(text: Option<&str>, lang: Language) -> Result<usize, AppError> {
    match text.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(1),
        Some(p) => p
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| AppError::BadRequest(t_with(lang, "web.explore.bad_page", &[("value", p)]))),
    }
}

/// The records behind the figure `params` names.
pub fn records(ctx: &QueryCtx, params: &Params, today: chrono::NaiveDate) -> Result<Records, AppError> {
    let lang = ctx.config.business.language;
    let q = params.question(ctx.ws, ctx.config, today)?;
    let a = answer(ctx, &q);
    let row = pick(&a, params.row.as_deref(), lang)?;
    let page = page_number(params.page.as_deref(), lang)?;
    let total_records = row.record_ids.len();
    let pages = total_records.div_ceil(PER_PAGE).max(1);
    let links = CrmLinks::new(ctx.ws.account.as_ref().map(|a| a.base_url.as_str()).unwrap_or(""));
    let records = row
        .record_ids
        .iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .filter_map(|r| line(ctx.ws, &links, q.measure, *r, lang))
        .collect();
    Ok(Records {
        measure: q.measure,
        period_label: a.period_label.clone(),
        figure: row.labels.clone(),
        filters: a.filters.clone(),
        value: row.value,
        total_records,
        page,
        pages,
        records,
    })
}

fn entity_name(ws: &Workspace, entity: EntityRef) -> Option<String> {
    match entity {
        EntityRef::Deal(id) => ws.deals.get(id).map(|d| d.name.clone()),
        EntityRef::Company(id) => ws.companies.get(id).map(|c| c.name.clone()),
        EntityRef::Contact(id) => ws.contacts.get(id).map(|c| c.name.clone()),
    }
}

fn entity_source(ws: &Workspace, entity: EntityRef) -> Option<tsifra_core::Source> {
    match entity {
        EntityRef::Deal(id) => ws.deals.get(id).map(|d| d.source),
        EntityRef::Company(id) => ws.companies.get(id).map(|c| c.source),
        EntityRef::Contact(id) => ws.contacts.get(id).map(|c| c.source),
    }
}

fn line(ws: &Workspace, links: &CrmLinks, measure: Measure, record: Record, lang: Language) -> Option<RecordLine> {
    let user = |id: Option<Id>| id.and_then(|u| ws.users.get(u)).map(|u| u.name.clone());
    let card = |entity: Option<EntityRef>| {
        let entity = entity?;
        links.card_url(entity_source(ws, entity)?, entity)
    };
    Some(match record {
        Record::Deal(id) => {
            let d = ws.deals.get(id)?;
            let pipeline = ws.pipelines.get(d.pipeline_id);
            let stage = pipeline.and_then(|p| p.stage(d.stage_id)).map(|s| s.name.clone());
            RecordLine {
                kind: "deal",
                id,
                name: d.name.clone(),
                manager: user(d.responsible_id),
                amount: Some(d.amount.minor()),
                stage: match (pipeline, stage) {
                    (Some(p), Some(s)) => Some(format!("{} · {s}", p.name)),
                    (_, s) => s,
                },
                at: if measure == Measure::NewDeals {
                    Some(d.created_at)
                } else {
                    d.closed_at.or(Some(d.created_at))
                },
                about: None,
                url: links.card_url(d.source, EntityRef::Deal(id)),
            }
        }
        Record::Activity(id) => {
            let a = ws.activities.get(id)?;
            RecordLine {
                kind: "activity",
                id,
                name: t(lang, &format!("web.activity.{}", a.kind.as_str())).to_string(),
                manager: user(a.manager_id),
                amount: None,
                stage: None,
                at: Some(a.at),
                about: a.entity.and_then(|e| entity_name(ws, e)),
                url: card(a.entity),
            }
        }
        Record::Task(id) => {
            let task = ws.tasks.get(id)?;
            RecordLine {
                kind: "task",
                id,
                name: if task.text.trim().is_empty() {
                    t(lang, "web.explore.task").to_string()
                } else {
                    task.text.clone()
                },
                manager: user(task.responsible_id),
                amount: None,
                stage: None,
                at: Some(task.completed_at.unwrap_or(task.due_at)),
                about: task.entity.and_then(|e| entity_name(ws, e)),
                url: card(task.entity),
            }
        }
    })
}

#[derive(Template)]
#[template(path = "explore_records.html")]
pub struct RecordsPage {
    pub layout: Layout,
    pub heading: String,
    pub value: String,
    pub chips: Vec<Chip>,
    pub back: String,
    pub deals: bool,
    pub rows: Vec<LineView>,
    pub range: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub empty: bool,
}

pub struct LineView {
    pub kind: &'static str,
    pub id: Id,
    pub name: String,
    pub url: Option<String>,
    pub manager: String,
    pub detail: String,
    pub amount: String,
    pub amount_raw: String,
    pub at: String,
}

/// `GET /boards/explore/records?<question>&row=`: the records behind a figure, with CRM links.
pub async fn page(
    State(state): State<AppState>,
    as_of: AsOf,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Html<String>, AppError> {
    let lang = state.language();
    let params = Params::from_pairs(&pairs, lang)?;
    let p = params.clone();
    let (recs, chips) = ask(&state, &as_of, move |ctx, today| {
        let r = records(ctx, &p, today)?;
        Ok((r, super::page::chips(&p, ctx.ws, ctx.config, today, lang, super::page::PATH)))
    })
    .await?;
    let currency = state.config().business.currency.clone();
    let calendar = &*state.calendar();
    let measure_title = t(lang, &recs.measure.title_key());
    let heading = format!("{measure_title} · {} · {}", recs.figure.join(" · "), recs.period_label);
    let rows = recs
        .records
        .iter()
        .map(|r| LineView {
            kind: r.kind,
            id: r.id,
            name: r.name.clone(),
            url: r.url.clone(),
            manager: r.manager.clone().unwrap_or_default(),
            detail: r.stage.clone().or_else(|| r.about.clone()).unwrap_or_default(),
            amount: r
                .amount
                .map(|a| tsifra_core::i18n::format_money(lang, &currency, tsifra_core::Money(a)))
                .unwrap_or_default(),
            amount_raw: r.amount.map(|a| a.to_string()).unwrap_or_default(),
            at: r.at.map(|at| format_local_datetime(lang, calendar, at)).unwrap_or_default(),
        })
        .collect();
    let with_page = |n: usize| {
        let mut pairs = params.pairs();
        if let Some(r) = &params.row {
            pairs.push(("row", r.clone()));
        }
        pairs.push(("page", n.to_string()));
        let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        crate::view::href(PAGE_PATH, &refs)
    };
    let from = (recs.page - 1) * PER_PAGE;
    let page = RecordsPage {
        layout: Layout::page(
            lang,
            t(lang, "web.explore.records_title"),
            super::page::PATH,
            &[("as_of", params.as_of.as_deref().unwrap_or(""))],
        )
        .warned(&state),
        heading,
        value: value_text(lang, &currency, recs.measure.unit(), recs.value),
        chips,
        back: params.with_text(params.text.clone()).href(super::page::PATH),
        deals: recs.records.iter().any(|r| r.kind == "deal"),
        rows,
        range: (recs.pages > 1).then(|| {
            t_with(
                lang,
                "web.explore.records_range",
                &[
                    ("from", &(from + 1).to_string()),
                    ("to", &(from + recs.records.len()).to_string()),
                    ("total", &recs.total_records.to_string()),
                ],
            )
        }),
        prev: (recs.page > 1).then(|| with_page(recs.page - 1)),
        next: (recs.page < recs.pages).then(|| with_page(recs.page + 1)),
        empty: recs.total_records == 0,
    };
    crate::html::render(&page)
}
