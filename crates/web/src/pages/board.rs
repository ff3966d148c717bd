//! `GET /boards/{slug}`: a report's page. Headline figures and charts, then
//! every table of the report (a page of rows at a time, with CSV and XLSX of
//! all rows), a manager filter and the report's own options. Rendered pages
//! are cached per as-of minute and workspace version.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;
use tsifra_core::reports::registry::Definition;
use tsifra_core::reports::{Report, ReportId, resolve_manager};
use tsifra_core::{Id, Language};

use crate::asof::AsOf;
use crate::boards::{self, Board};
use crate::error::AppError;
use crate::figures::{ViewCtx, report_figures, stamp};
use crate::html::Layout;
use crate::pagecache::{self, Kind};
use crate::reports::{Computed, ReportQuery, compute_for, effective_as_of};
use crate::state::AppState;
use crate::texts::t;
use crate::trend::{TrendPoint, hygiene_trend};
use crate::view::{Figure, Kpi, TableView, href, table_view};

/// The options of a board page; all optional. Which a board shows and accepts
/// is its report's definition's (`tsifra_core::reports::registry`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct BoardQuery {
    pub manager: Option<String>,
    pub metric: Option<String>,
    pub sort: Option<String>,
    /// A named period (`last_month`), a range (`2026-09-01..2026-09-30`), or
    /// `custom` with `from` and `to` (the picker's own dates).
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// `previous` or `year_ago`.
    pub compare: Option<String>,
    pub pipeline: Option<String>,
    pub team: Option<String>,
    /// Which page of rows the long tables show, from 1.
    pub page: Option<String>,
}

impl BoardQuery {
    /// The report's options; the picker's own dates become a range. A custom
    /// period missing a date is refused in `lang`.
    pub fn report_query(&self, lang: Language) -> Result<ReportQuery, AppError> {
        Ok(ReportQuery {
            manager: self.manager.clone(),
            metric: self.metric.clone(),
            sort: self.sort.clone(),
            period: self.period(lang)?,
            compare: self.compare.clone(),
            pipeline: self.pipeline.clone(),
            team: self.team.clone(),
        })
    }

    /// The period as the report reads it: the picker's dates count when it says
    /// "custom" (or names none); a named period picked while the dates are still filled in wins.
    fn period(&self, lang: Language) -> Result<Option<String>, AppError> {
        let some = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(String::from);
        let period = some(&self.period);
        let custom = period.as_deref() == Some("custom");
        if custom || period.is_none() {
            return match (some(&self.from), some(&self.to)) {
                (Some(from), Some(to)) => Ok(Some(format!("{from}..{to}"))),
                (None, None) if !custom => Ok(None),
                _ => Err(AppError::BadRequest(t(lang, "web.explore.both_dates").to_string())),
            };
        }
        Ok(period)
    }

    fn option(value: &Option<String>) -> &str {
        value.as_deref().unwrap_or("")
    }

    fn manager(&self) -> &str {
        self.manager.as_deref().unwrap_or("")
    }
}

/// Reads `?page=`: a whole number from 1.
pub fn parse_page(text: Option<&str>) -> Result<usize, AppError> {
    match text.map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(1),
        Some(p) => match p.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(n),
            _ => Err(AppError::BadValue {
                key: "web.error.page",
                values: vec![("value", p.to_string())],
            }),
        },
    }
}

#[derive(Template)]
#[template(path = "board.html")]
pub struct BoardPage {
    pub layout: Layout,
    pub path: &'static str,
    pub stamp: String,
    pub as_of_requested: Option<String>,
    pub managers: Vec<Choice>,
    pub metrics: Vec<Choice>,
    pub sorts: Vec<Choice>,
    /// The funnel's choices: pipelines and teams (empty for other reports), and
    /// the period as typed (`None` for reports that take none).
    pub pipelines: Vec<Choice>,
    pub teams: Vec<Choice>,
    /// The period picker (empty for reports that take no period): named
    /// periods and "custom", with the custom range's dates.
    pub periods: Vec<Choice>,
    pub from: String,
    pub to: String,
    /// The comparison choices (empty for reports that compare nothing).
    pub compares: Vec<Choice>,
    pub kpis: Vec<Kpi>,
    pub figures: Vec<Figure>,
    pub tables: Vec<TableView>,
    pub all_xlsx: String,
    /// Where "show the whole team" leads, when a manager is picked.
    pub clear_filter: Option<String>,
}

/// An option of a select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub async fn board(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    as_of: AsOf,
    Query(query): Query<BoardQuery>,
) -> Result<Response, AppError> {
    if let Some(board) = slug.strip_suffix(".xlsx").and_then(boards::find) {
        return crate::pages::download::workbook(state, board, as_of, query).await;
    }
    let board = boards::find(&slug).ok_or_else(|| AppError::NotFound {
        path: format!("/boards/{slug}"),
    })?;
    let page = parse_page(query.page.as_deref())?;
    let report_query = query.report_query(state.language())?;
    let what = format!(
        "board\u{1}{slug}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{page}",
        query.manager(),
        query.metric.as_deref().unwrap_or(""),
        query.sort.as_deref().unwrap_or(""),
        report_query.period.as_deref().unwrap_or(""),
        BoardQuery::option(&query.compare),
        BoardQuery::option(&query.pipeline),
        BoardQuery::option(&query.team),
    );
    let (st, q, at) = (state.clone(), query.clone(), as_of.clone());
    pagecache::cached(&state, what, &as_of, Kind::Html, move || async move {
        render(&st, board, &q, &at, page).await
    })
    .await
}

/// The manager a query names (validated by the report), and the filter's choices.
pub async fn manager_choices(state: &AppState, text: &str) -> (Option<Id>, Vec<Choice>) {
    let selected = if text.trim().is_empty() {
        None
    } else {
        resolve_manager(&*state.workspace().await, text).ok()
    };
    let lang = state.language();
    let mut choices = vec![Choice {
        value: String::new(),
        label: t(lang, "web.filter.everyone").to_string(),
        selected: selected.is_none(),
    }];
    choices.extend(state.managers().await.into_iter().map(|(id, name)| Choice {
        value: id.to_string(),
        label: name,
        selected: selected == Some(id),
    }));
    (selected, choices)
}

async fn render(state: &AppState, board: &'static Board, query: &BoardQuery, as_of: &AsOf, page: usize) -> Result<String, AppError> {
    let report_query = query.report_query(state.language())?;
    let computed = compute_for(state, board.report, &report_query, as_of).await?;
    let (manager, managers) = manager_choices(state, query.manager()).await;
    let def = board.report.def();
    let (pipelines, teams) = funnel_choices(state, query, def.takes("pipeline"), def.takes("team")).await;
    let today = state.calendar().local_date(effective_as_of(as_of));
    let trend = if board.report == ReportId::Hygiene {
        Some(page_trend(state, as_of, &computed, manager).await?)
    } else {
        None
    };
    let state = state.clone();
    let query = query.clone();
    let as_of = as_of.clone();
    // Turning a million-deal report into tables takes a while: off the async workers.
    tokio::task::spawn_blocking(move || {
        let lang = state.language();
        let currency = state.config().business.currency.clone();
        let calendar = &*state.calendar();
        let requested = as_of.requested.as_deref().unwrap_or("");
        let vc = ViewCtx {
            lang,
            currency: &currency,
            tv: false,
            as_of_requested: as_of.requested.as_deref(),
            manager,
        };
        let report_tables = computed.tables(&state);
        let (kpis, figures) = report_figures(&vc, &computed.report, &report_tables, trend.as_deref());
        let options = [
            ("as_of", requested),
            ("manager", query.manager()),
            ("metric", query.metric.as_deref().unwrap_or("")),
            ("sort", query.sort.as_deref().unwrap_or("")),
            ("period", report_query.period.as_deref().unwrap_or("")),
            ("compare", BoardQuery::option(&query.compare)),
            ("pipeline", BoardQuery::option(&query.pipeline)),
            ("team", BoardQuery::option(&query.team)),
        ];
        let (periods, from, to) = if def.takes("period") {
            period_choices(lang, def, report_query.period.as_deref(), today)
        } else {
            (Vec::new(), String::new(), String::new())
        };
        let tables = report_tables
            .iter()
            .map(|table| {
                table_view(
                    table,
                    page,
                    lang,
                    &currency,
                    calendar,
                    |id, ext| href(&format!("{}/{id}.{ext}", board.path), &options),
                    |n| {
                        let n = n.to_string();
                        let mut with_page = options.to_vec();
                        with_page.push(("page", &n));
                        format!("{}#{}", href(board.path, &with_page), table.id)
                    },
                )
            })
            .collect();
        let carry = [("as_of", requested), ("manager", query.manager())];
        let page = BoardPage {
            layout: Layout::page(lang, t(lang, board.title_key), board.path, &carry).warned(&state),
            path: board.path,
            stamp: stamp(lang, calendar, computed.report_as_of()),
            as_of_requested: as_of.requested.clone(),
            managers,
            metrics: metric_choices(lang, def, query.metric.as_deref()),
            sorts: sort_choices(lang, def, query.sort.as_deref()),
            pipelines,
            teams,
            periods,
            from,
            to,
            compares: compare_choices(lang, def, query.compare.as_deref()),
            kpis,
            figures,
            tables,
            all_xlsx: href(&format!("{}.xlsx", board.path), &options),
            clear_filter: manager.map(|_| href(board.path, &[("as_of", requested)])),
        };
        Ok(page.render()?)
    })
    .await
    .map_err(|e| AppError::Internal(format!("rendering a board failed: {e}")))?
}

/// The hygiene trend for a page showing `viewed` (one manager's report when `manager` is set).
pub async fn page_trend(state: &AppState, as_of: &AsOf, viewed: &Computed, manager: Option<Id>) -> Result<Vec<TrendPoint>, AppError> {
    // Stored days are known from the team's report; recounts hold every manager.
    let team = compute_for(state, ReportId::Hygiene, &ReportQuery::default(), as_of).await?;
    match (&*team.report, &*viewed.report) {
        (Report::Hygiene(team), Report::Hygiene(viewed)) => hygiene_trend(state, effective_as_of(as_of), team, viewed, manager).await,
        _ => Ok(Vec::new()),
    }
}

/// The pipeline and team choices of a report that takes them, the one asked for selected.
async fn funnel_choices(state: &AppState, query: &BoardQuery, pipelines: bool, teams: bool) -> (Vec<Choice>, Vec<Choice>) {
    if !pipelines && !teams {
        return (Vec::new(), Vec::new());
    }
    let lang = state.language();
    let ws = state.workspace().await;
    let picked = |text: &Option<String>, resolve: fn(&tsifra_core::Workspace, &str) -> Result<Id, String>| {
        text.as_deref().filter(|t| !t.trim().is_empty()).and_then(|t| resolve(&ws, t).ok())
    };
    let pipeline = picked(&query.pipeline, tsifra_core::reports::funnel::resolve_pipeline);
    let team = picked(&query.team, tsifra_core::reports::funnel::resolve_team);
    let choices = |all_key: &str, selected: Option<Id>, mut items: Vec<(i32, Id, String)>| {
        items.sort();
        let mut out = vec![Choice {
            value: String::new(),
            label: t(lang, all_key).to_string(),
            selected: selected.is_none(),
        }];
        out.extend(items.into_iter().map(|(_, id, name)| Choice {
            value: id.to_string(),
            label: name,
            selected: selected == Some(id),
        }));
        out
    };
    let pipelines = if !pipelines {
        Vec::new()
    } else {
        choices(
            "web.filter.all_pipelines",
            pipeline,
            ws.pipelines.iter().map(|p| (p.sort, p.id, p.name.clone())).collect(),
        )
    };
    // Without teams in the CRM there is nothing to choose.
    let teams = if !teams || ws.teams.is_empty() {
        Vec::new()
    } else {
        choices(
            "web.filter.all_teams",
            team,
            ws.teams.iter().map(|x| (0, x.id, x.name.clone())).collect(),
        )
    };
    (pipelines, teams)
}

/// The metric choices of the reports that count one.
fn metric_choices(lang: Language, def: &Definition, current: Option<&str>) -> Vec<Choice> {
    if !def.takes("metric") {
        return Vec::new();
    }
    let mut choices = vec![Choice {
        value: String::new(),
        label: t(lang, "web.filter.default_metric").to_string(),
        selected: current.is_none_or(str::is_empty),
    }];
    choices.extend(tsifra_core::Metric::ALL.iter().map(|m| Choice {
        value: m.as_str().to_string(),
        label: t(lang, &format!("metric.{}", m.as_str())).to_string(),
        selected: current == Some(m.as_str()),
    }));
    choices
}

/// The sort keys the report offers, labelled `web.filter.sort_{key}`; the first is the default.
fn sort_choices(lang: Language, def: &Definition, current: Option<&str>) -> Vec<Choice> {
    let sorts = def.sorts();
    let current = current.filter(|c| !c.is_empty()).or(sorts.first().copied());
    sorts
        .iter()
        .map(|value| Choice {
            value: value.to_string(),
            label: t(lang, &format!("web.filter.sort_{value}")).to_string(),
            selected: current == Some(*value),
        })
        .collect()
}

/// The named periods of the picker, in order.
pub const PERIODS: [&str; 11] = [
    "today",
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
    "last_30_days",
    "last_90_days",
];

/// The period picker: the report's default (`web.board.{key}.default_period`), the named periods, one typed in the
/// URL that is neither (`2026-Q3`), and "custom" with its dates filled in.
fn period_choices(lang: Language, def: &Definition, current: Option<&str>, today: chrono::NaiveDate) -> (Vec<Choice>, String, String) {
    let current = current.unwrap_or("");
    let range = current.contains("..");
    let mut choices = vec![Choice {
        value: String::new(),
        label: t(lang, &format!("web.board.{}.default_period", def.key())).to_string(),
        selected: current.is_empty(),
    }];
    choices.extend(PERIODS.iter().map(|p| Choice {
        value: p.to_string(),
        label: t(lang, &format!("web.explore.period.{p}")).to_string(),
        selected: *p == current,
    }));
    let span = tsifra_core::query::Span::parse(current, today);
    if !current.is_empty() && !range && !PERIODS.contains(&current) {
        choices.push(Choice {
            value: current.to_string(),
            label: span.map_or_else(|| current.to_string(), |s| s.label(lang)),
            selected: true,
        });
    }
    choices.push(Choice {
        value: "custom".into(),
        label: t(lang, "web.explore.period.custom").to_string(),
        selected: range,
    });
    let (from, to) = match span.filter(|_| range) {
        Some(s) => (s.start.format("%Y-%m-%d").to_string(), s.last_day().format("%Y-%m-%d").to_string()),
        None => (String::new(), String::new()),
    };
    (choices, from, to)
}

/// No comparison, the previous period, the same period a year earlier.
fn compare_choices(lang: Language, def: &Definition, current: Option<&str>) -> Vec<Choice> {
    if !def.takes("compare") {
        return Vec::new();
    }
    let current = current.and_then(tsifra_core::query::Compare::parse);
    [
        ("", "web.explore.compare.none", None),
        (
            "previous",
            "web.explore.compare.previous",
            Some(tsifra_core::query::Compare::Previous),
        ),
        (
            "year_ago",
            "web.explore.compare.year_ago",
            Some(tsifra_core::query::Compare::YearAgo),
        ),
    ]
    .into_iter()
    .map(|(value, key, compare)| Choice {
        value: value.to_string(),
        label: t(lang, key).to_string(),
        selected: current == compare,
    })
    .collect()
}
