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
    /// Hygiene's list: one rule's violations, those open at least `min_days` days.
    pub rule: Option<String>,
    pub min_days: Option<String>,
    /// `1`: call priority's companies that never bought instead of its clients.
    pub prospects: Option<String>,
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
            rule: self.rule.clone(),
            min_days: self.min_days.clone(),
            prospects: self.prospects.clone(),
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
    /// The date / period picker's quick choices, the as-of day and "now".
    pub picker: Picker,
    /// "Обновлено N мин назад" and the auto-refresh of a live view.
    pub fresh: Freshness,
    /// Hygiene's list filters: the rules (empty for other reports) and the days open, as typed.
    pub rules: Vec<Choice>,
    pub min_days: Option<String>,
    pub kpis: Vec<Kpi>,
    pub figures: Vec<Figure>,
    pub tables: Vec<TableView>,
    pub all_xlsx: String,
    /// Where "show the whole team" leads, when a manager is picked.
    pub clear_filter: Option<String>,
    /// Call priority's list, kept when the filters are changed.
    pub prospects: Option<String>,
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
        "board\u{1}{slug}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{}\u{1}{page}\u{1}{}",
        query.manager(),
        query.metric.as_deref().unwrap_or(""),
        query.sort.as_deref().unwrap_or(""),
        report_query.period.as_deref().unwrap_or(""),
        BoardQuery::option(&query.compare),
        BoardQuery::option(&query.pipeline),
        BoardQuery::option(&query.team),
        BoardQuery::option(&query.rule),
        BoardQuery::option(&query.min_days),
        BoardQuery::option(&query.prospects),
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
            ("rule", BoardQuery::option(&query.rule)),
            ("min_days", BoardQuery::option(&query.min_days)),
            ("prospects", BoardQuery::option(&query.prospects)),
        ];
        let (periods, from, to) = if def.takes("period") {
            period_choices(lang, def, report_query.period.as_deref(), today)
        } else {
            (Vec::new(), String::new(), String::new())
        };
        let mut tables: Vec<TableView> = report_tables
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
        if let Report::Hygiene(r) = &*computed.report {
            let sort_href = |key: &str| {
                let mut sorted: Vec<(&str, &str)> = options.iter().filter(|(name, _)| *name != "sort").copied().collect();
                sorted.push(("sort", key));
                format!("{}#violations", href(board.path, &sorted))
            };
            crate::figures::dress_hygiene_tables(&vc, r, &mut tables, query.sort.as_deref(), sort_href);
        }
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
            picker: Picker::new(
                lang,
                board.path,
                def.takes("period"),
                &options,
                &as_of,
                calendar,
                state.calendar().local_date(state.now()),
            ),
            fresh: Freshness::of(&state, &as_of),
            rules: rule_choices(lang, def, query.rule.as_deref()),
            min_days: def.takes("min_days").then(|| query.min_days.clone().unwrap_or_default()),
            kpis,
            figures,
            tables,
            all_xlsx: href(&format!("{}.xlsx", board.path), &options),
            clear_filter: manager.map(|_| href(board.path, &[("as_of", requested)])),
            prospects: query.prospects.clone().filter(|p| !p.trim().is_empty()),
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

/// Hygiene's rules for the violations filter: all, or one.
fn rule_choices(lang: Language, def: &Definition, current: Option<&str>) -> Vec<Choice> {
    if !def.takes("rule") {
        return Vec::new();
    }
    use tsifra_core::reports::hygiene::Rule;
    let current = current.and_then(Rule::parse);
    let mut choices = vec![Choice {
        value: String::new(),
        label: t(lang, "web.filter.all_rules").to_string(),
        selected: current.is_none(),
    }];
    choices.extend(Rule::ALL.into_iter().map(|rule| Choice {
        value: rule.as_str().to_string(),
        label: tsifra_core::i18n::text(lang, &rule.title_key()).to_string(),
        selected: current == Some(rule),
    }));
    choices
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

/// A link of the picker: a quick period or as-of day, or "now".
pub struct QuickLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// The date / period picker above a board's filters. A report over a period
/// (plan-fact, leaderboard, funnel) gets today, this week, this month and this
/// quarter; a report "as of an instant" (hygiene, call priority, receivables)
/// gets the as-of day (a date field, labelled as such) with the ends of
/// yesterday, last week, last month and last quarter. Both get "now", back to
/// the live view. Every choice is a link, so the URL keeps it.
pub struct Picker {
    pub quick: Vec<QuickLink>,
    /// The as-of day's date field (`YYYY-MM-DD`) of a report without a period:
    /// `Some("")` when live, `None` for a report over a period.
    pub as_of_day: Option<String>,
    pub now: QuickLink,
}

/// The quick periods of a report over a period.
pub const QUICK_PERIODS: [&str; 4] = ["today", "this_week", "this_month", "this_quarter"];

impl Picker {
    /// `options` are the board's query options (as_of, manager, period...);
    /// `today` is the live day in the business zone.
    pub fn new(
        lang: Language,
        path: &str,
        takes_period: bool,
        options: &[(&str, &str)],
        as_of: &AsOf,
        calendar: &tsifra_core::BusinessCalendar,
        today: chrono::NaiveDate,
    ) -> Picker {
        let get = |key: &str| options.iter().find(|(k, _)| *k == key).map_or("", |(_, v)| *v);
        let with = |changes: &[(&str, &str)]| {
            let mut params: Vec<(&str, &str)> = options
                .iter()
                .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
                .copied()
                .collect();
            params.extend(changes.iter().copied());
            href(path, &params)
        };
        let live = as_of.requested.is_none();
        let (quick, as_of_day) = if takes_period {
            let period = get("period");
            let quick = QUICK_PERIODS
                .iter()
                .map(|p| QuickLink {
                    label: t(lang, &format!("web.explore.period.{p}")),
                    href: with(&[("period", p)]),
                    current: period == *p,
                })
                .collect();
            (quick, None)
        } else {
            let requested_day = as_of.requested.as_ref().map(|_| calendar.local_date(as_of.at));
            let quick = as_of_days(today)
                .into_iter()
                .map(|(key, day)| {
                    let text = day.format("%Y-%m-%d").to_string();
                    QuickLink {
                        label: t(lang, key),
                        current: as_of.requested.as_deref() == Some(text.as_str()),
                        href: with(&[("as_of", &text)]),
                    }
                })
                .collect();
            (
                quick,
                Some(requested_day.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()),
            )
        };
        let now = QuickLink {
            label: t(lang, "web.picker.now"),
            href: with(&[("as_of", ""), ("period", ""), ("page", "")]),
            current: live && get("period").is_empty(),
        };
        Picker { quick, as_of_day, now }
    }
}

/// The as-of days a report "as of an instant" offers, from the live `today`:
/// the ends of yesterday, last week (Sunday), last month and last quarter.
pub fn as_of_days(today: chrono::NaiveDate) -> [(&'static str, chrono::NaiveDate); 4] {
    use chrono::Datelike;
    let yesterday = today.pred_opt().unwrap_or(today);
    let last_sunday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()) + 1);
    let month_start = today.with_day(1).unwrap_or(today);
    let quarter_start = chrono::NaiveDate::from_ymd_opt(today.year(), (today.month0() / 3) * 3 + 1, 1).unwrap_or(month_start);
    [
        ("web.picker.yesterday", yesterday),
        ("web.picker.last_week_end", last_sunday),
        ("web.picker.last_month_end", month_start.pred_opt().unwrap_or(month_start)),
        ("web.picker.last_quarter_end", quarter_start.pred_opt().unwrap_or(quarter_start)),
    ]
}

/// Whether a page shows the live figures (no `as_of` in the URL), and how often
/// it refreshes them then: `[tv] refresh_seconds`, as the TV does.
pub struct Freshness {
    pub live: bool,
    pub refresh_seconds: u32,
    /// "обновляется каждые 60 с", or that a past view is not refreshed.
    pub note: String,
}

impl Freshness {
    pub fn of(state: &AppState, as_of: &AsOf) -> Freshness {
        let lang = state.language();
        let live = as_of.requested.is_none();
        let refresh_seconds = state.config().tv.refresh_seconds;
        let note = if live {
            crate::texts::t_with(lang, "web.updated.auto", &[("n", &refresh_seconds.to_string())])
        } else {
            t(lang, "web.updated.paused").to_string()
        };
        Freshness {
            live,
            refresh_seconds,
            note,
        }
    }
}

#[cfg(test)]
mod picker_tests {
    use super::*;
    use chrono::NaiveDate;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn as_of_days_are_the_ends_of_the_periods_before_today() {
        // Monday 30.11.2026: last week ended on Sunday 29.11, the month and quarter turn with it.
        let days = as_of_days(day("2026-11-30")).map(|(_, d)| d.to_string());
        assert_eq!(days, ["2026-11-29", "2026-11-29", "2026-10-31", "2026-09-30"]);
        // Sunday 06.12: the week before ended on 29.11, not today.
        let days = as_of_days(day("2026-12-06")).map(|(_, d)| d.to_string());
        assert_eq!(days, ["2026-12-05", "2026-11-29", "2026-11-30", "2026-09-30"]);
        // 1 January: yesterday, the month and the quarter all end on 31.12 of the year before.
        let days = as_of_days(day("2027-01-01")).map(|(_, d)| d.to_string());
        assert_eq!(days, ["2026-12-31", "2026-12-27", "2026-12-31", "2026-12-31"]);
        // 1 March of a leap year: February had 29 days.
        assert_eq!(as_of_days(day("2028-03-01"))[2].1, day("2028-02-29"));
    }

    fn as_of(requested: Option<&str>, cal: &tsifra_core::BusinessCalendar) -> AsOf {
        let at = crate::parse_as_of(requested.unwrap_or("2026-11-20T15:00"), cal).unwrap();
        AsOf {
            at,
            requested: requested.map(String::from),
        }
    }

    #[test]
    fn a_period_report_picks_periods_and_now_drops_period_and_as_of() {
        let cal = tsifra_core::Config::default().calendar();
        let options = [
            ("as_of", "2026-11-01"),
            ("manager", "7"),
            ("period", "this_week"),
            ("compare", "previous"),
        ];
        let p = Picker::new(
            Language::Ru,
            "/boards/plan-fact",
            true,
            &options,
            &as_of(Some("2026-11-01"), &cal),
            &cal,
            day("2026-11-20"),
        );
        assert!(p.as_of_day.is_none());
        let labels: Vec<&str> = p.quick.iter().map(|q| q.label).collect();
        assert_eq!(labels, ["Сегодня", "Эта неделя", "Этот месяц", "Этот квартал"]);
        assert_eq!(
            p.quick[2].href,
            "/boards/plan-fact?as_of=2026-11-01&manager=7&compare=previous&period=this_month"
        );
        assert!(p.quick[1].current && !p.quick[0].current);
        assert_eq!(p.now.href, "/boards/plan-fact?manager=7&compare=previous");
        assert!(!p.now.current);
        let live = Picker::new(
            Language::Ru,
            "/boards/plan-fact",
            true,
            &[("period", "")],
            &as_of(None, &cal),
            &cal,
            day("2026-11-20"),
        );
        assert!(live.now.current && live.quick.iter().all(|q| !q.current));
    }

    #[test]
    fn an_as_of_report_picks_the_as_of_day() {
        let cal = tsifra_core::Config::default().calendar();
        let options = [("as_of", "2026-10-31"), ("manager", "")];
        let p = Picker::new(
            Language::Ru,
            "/boards/hygiene",
            false,
            &options,
            &as_of(Some("2026-10-31"), &cal),
            &cal,
            day("2026-11-20"),
        );
        assert_eq!(p.as_of_day.as_deref(), Some("2026-10-31"));
        assert_eq!(p.quick[2].href, "/boards/hygiene?as_of=2026-10-31");
        assert!(p.quick[2].current && !p.quick[0].current);
        assert_eq!(p.now.href, "/boards/hygiene");
        // An instant in the URL shows its local day in the field.
        let p = Picker::new(
            Language::Ru,
            "/boards/hygiene",
            false,
            &[],
            &as_of(Some("2026-11-19T23:30:00Z"), &cal),
            &cal,
            day("2026-11-20"),
        );
        assert_eq!(p.as_of_day.as_deref(), Some("2026-11-20"), "23:30 UTC is the 20th in Moscow");
        let live = Picker::new(
            Language::Ru,
            "/boards/hygiene",
            false,
            &[],
            &as_of(None, &cal),
            &cal,
            day("2026-11-20"),
        );
        assert_eq!(live.as_of_day.as_deref(), Some(""));
        assert!(live.now.current);
    }
}
