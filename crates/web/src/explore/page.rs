//! `GET /boards/explore`: the head of sales' analytical board. A measure over
//! a period, by up to two slices, under the filters in the URL. Every bar,
//! legend entry and table row is a link adding its value as a filter, so the
//! whole page is asked again under it (cross-filtering without JavaScript);
//! filters show as chips that remove them; each figure links to its records.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::NaiveDate;
use tsifra_core::query::table::answer_table;
use tsifra_core::query::{
    Answer, Dimension, Measure, Query as Question, QueryCtx, Row, Screen, Span, SpanUnit, Unit, Value, answer, screen_figures,
};
use tsifra_core::reports::tabular::Table;
use tsifra_core::{Language, Workspace};

use super::charts::{self, ExploreBar, SeriesPoint};
use super::{Params, ask, change_text, filter_text, span_key, value_compact, value_text};
use crate::asof::AsOf;
use crate::charts::Tone;
use crate::error::AppError;
use crate::figures::stamp;
use crate::html::Layout;
use crate::pagecache::{self, Kind};
use crate::pages::board::Choice;
use crate::reports::effective_as_of;
use crate::state::AppState;
use crate::texts::{t, t_with};
use crate::view::{Kpi, json_number};

pub const PATH: &str = "/boards/explore";

/// The named periods the form offers, in the order a person thinks of them.
pub const PERIODS: [&str; 13] = [
    "today",
    "yesterday",
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
    "last_365_days",
];

/// The slices the form offers; the mapped fields only where `[fields]` maps them.
const SLICES: [&str; 16] = [
    "manager",
    "team",
    "pipeline",
    "stage",
    "company",
    "product",
    "client_type",
    "industry",
    "source",
    "tag",
    "loss_reason",
    "contact",
    "day",
    "week",
    "month",
    "quarter",
];

/// A filter as a chip: what it keeps, and the view without it.
#[derive(Clone, Debug)]
pub struct Chip {
    pub label: String,
    pub remove: String,
}

/// The question's form: its selects and the filters it carries along.
pub struct Form {
    pub path: &'static str,
    pub measures: Vec<Choice>,
    pub periods: Vec<Choice>,
    pub from: String,
    pub to: String,
    pub slices: Vec<Vec<Choice>>,
    pub compares: Vec<Choice>,
    pub hidden: Vec<(&'static str, String)>,
    /// What the chips' place says while there are none.
    pub no_filters: &'static str,
    /// The same question on the other board (explore ↔ Pareto): its name and link.
    pub other_board: Option<(&'static str, String)>,
}

/// One slice's bars.
pub struct SliceView {
    pub id: String,
    pub title: String,
    pub markup: String,
}

/// The two slices together, as a table.
pub struct CrossView {
    pub titles: Vec<String>,
    pub comparing: bool,
    pub measure_title: String,
    pub compare_title: String,
    pub rows: Vec<CrossRow>,
}

pub struct CrossRow {
    pub cells: Vec<(String, Option<String>)>,
    pub value: String,
    pub raw: String,
    pub records: String,
    pub compare: String,
    pub change: String,
    pub total: bool,
}

#[derive(Template)]
#[template(path = "explore.html")]
pub struct ExplorePage {
    pub layout: Layout,
    pub stamp: String,
    pub as_of_requested: Option<String>,
    pub form: Form,
    pub chips: Vec<Chip>,
    pub clear_all: Option<String>,
    pub kpis: Vec<Kpi>,
    pub empty: Option<String>,
    pub slices: Vec<SliceView>,
    pub cross: Option<CrossView>,
    pub series_title: String,
    pub series: String,
    pub series_note: Option<String>,
    pub csv: String,
    pub xlsx: String,
    pub others_note: bool,
}

impl ExplorePage {
    pub fn style(&self) -> &'static str {
        EXPLORE_STYLE
    }
}

/// The explore and Pareto pages' own styles (chips, bars with a comparison, the series).
pub const EXPLORE_STYLE: &str = include_str!("../../assets/explore.css");

pub async fn explore(State(state): State<AppState>, as_of: AsOf, Query(pairs): Query<Vec<(String, String)>>) -> Result<Response, AppError> {
    let params = Params::from_pairs(&pairs, state.language())?;
    let what = format!("explore\u{1}{}", params.href(PATH));
    let (st, at) = (state.clone(), as_of.clone());
    let reads = super::reads(&params);
    pagecache::cached_reading(&state, what, &as_of, Kind::Html, reads, move || async move {
        render(&st, &at, params).await
    })
    .await
}

async fn render(state: &AppState, as_of: &AsOf, params: Params) -> Result<String, AppError> {
    let lang = state.language();
    let currency = state.config().business.currency.clone();
    let stamp = stamp(lang, &state.calendar(), effective_as_of(as_of));
    let requested = as_of.requested.clone();
    let warning = state.store_warning();
    ask(state, as_of, move |ctx, today| {
        let mut page = build(ctx, today, &params, &currency, stamp, requested)?;
        page.layout.warning = warning;
        Ok(page.render()?)
    })
    .await
}

fn value_raw(v: Option<Value>) -> String {
    match v {
        None => String::new(),
        Some(Value::Int(i)) => i.to_string(),
        Some(Value::Dec(d)) => json_number(d),
    }
}

/// Whether more of the measure is good news (more overdue tasks is not).
pub fn higher_is_better(m: Measure) -> bool {
    !matches!(
        m,
        Measure::LostDeals | Measure::CycleMedian | Measure::CycleMean | Measure::TasksOverdue
    )
}

fn change_tone(m: Measure, change: Option<Value>) -> Tone {
    match change.map(Value::as_f64) {
        Some(c) if c != 0.0 => {
            if (c > 0.0) == higher_is_better(m) {
                Tone::Good
            } else {
                Tone::Bad
            }
        }
        _ => Tone::Neutral,
    }
}

fn build(
    ctx: &QueryCtx,
    today: NaiveDate,
    params: &Params,
    currency: &str,
    stamp: String,
    requested: Option<String>,
) -> Result<ExplorePage, AppError> {
    let lang = ctx.config.business.language;
    let ws = ctx.ws;
    let q = params.question(ws, ctx.config, today)?;
    // The page links to the records behind its figures, never lists them: figures only.
    // Every chart of the screen (the main breakdown, each slice alone when there are two,
    // the compared period's series) comes from one pass over the period's facts and one
    // over the compared period's, not a pass per chart.
    let alone: Vec<[Dimension; 1]> = if q.by.len() > 1 {
        q.by.iter().map(|d| [*d]).collect()
    } else {
        vec![]
    };
    let slicings: Vec<&[Dimension]> = std::iter::once(&q.by[..]).chain(alone.iter().map(|d| &d[..])).collect();
    let Screen { answers, compared_series } = screen_figures(ctx, &q, &slicings);
    let mut answers = answers.into_iter();
    let main = answers.next().expect("the main slicing's answer");
    let mut slice_answers = answers;
    let unit = main.unit;
    let measure_title = t(lang, &q.measure.title_key()).to_string();
    let comparing = q.compare.is_some();

    // Headline figures: the total, the compared period, the change in money (or units) and in percent.
    let mut kpis = vec![
        Kpi::new(
            "total",
            format!("{measure_title} · {}", main.period_label),
            value_text(lang, currency, unit, main.total.value),
            value_raw(main.total.value),
        )
        .detail(tsifra_core::i18n::count(
            lang,
            main.total.records as i64,
            crate::figures::RECORDS.0,
            crate::figures::RECORDS.1,
        ))
        .href(params.records_href(None)),
    ];
    if comparing {
        kpis.push(
            Kpi::new(
                "compared",
                main.compare_label.clone().unwrap_or_default(),
                value_text(lang, currency, unit, main.total.compare_value),
                value_raw(main.total.compare_value),
            )
            .detail(t(lang, "web.explore.compared_with").to_string()),
        );
        let change = change_text(lang, currency, unit, main.total.change, None).unwrap_or_else(|| "—".into());
        let mut k = Kpi::new("change", t(lang, "web.explore.change"), change, value_raw(main.total.change))
            .tone(change_tone(q.measure, main.total.change));
        if let Some(p) = main.total.change_percent {
            let sign = if p > 0.0 { "+" } else { "" };
            k = k.detail(format!("{sign}{}", tsifra_core::i18n::format_percent(lang, p)));
        }
        kpis.push(k);
    }

    // A bar chart per slice: the main answer when there is one slice, else each slice asked alone.
    let mut slices = Vec::new();
    for (i, dim) in q.by.iter().enumerate() {
        let (a, slice_params) = if q.by.len() == 1 {
            (main.clone(), params.clone())
        } else {
            let mut text = params.text.clone();
            text.by = vec![dim.key()];
            let sp = params.with_text(text);
            (slice_answers.next().expect("an answer per slice"), sp)
        };
        slices.push(SliceView {
            id: format!("slice-{i}"),
            title: format!("{measure_title} · {}", dim.title(ws, lang)),
            markup: slice_bars(&a, *dim, params, &slice_params, ws, today, lang, currency),
        });
    }
    let cross = (q.by.len() == 2).then(|| cross_table(&main, params, ws, today, lang, currency));

    // The measure over time under the same filters, and the compared period's beside it.
    let points: Vec<SeriesPoint> = main
        .series
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let bucket = Span::of(main.series_unit, p.start);
            let mut text = params.text.clone();
            text.period = Some(span_key(&bucket));
            let compared = compared_series.as_ref().and_then(|s| s.get(i)).map(|c| c.value);
            SeriesPoint {
                label: p.label.clone(),
                axis_label: match main.series_unit {
                    SpanUnit::Day | SpanUnit::Week => p.start.format("%d.%m").to_string(),
                    _ => p.label.clone(),
                },
                value: p.value.map_or(0.0, Value::as_f64),
                value_text: value_text(lang, currency, unit, p.value),
                compared: compared.flatten().map(Value::as_f64),
                compared_text: compared.map(|c| value_text(lang, currency, unit, c)),
                href: params.with_text(text).href(PATH),
            }
        })
        .collect();
    let series_title = format!(
        "{measure_title} · {}",
        t(lang, &format!("web.explore.series.{}", unit_key(main.series_unit)))
    );
    let top = main
        .series
        .iter()
        .chain(compared_series.iter().flatten())
        .filter_map(|p| p.value)
        .max_by(|a, b| a.as_f64().total_cmp(&b.as_f64()));
    let series = charts::series(&series_title, &points, comparing, &value_compact(lang, currency, unit, top));
    let series_note = main
        .compare_label
        .as_ref()
        .map(|c| t_with(lang, "web.explore.series_note", &[("period", &main.period_label), ("compared", c)]));

    let empty = (main.total.records == 0).then(|| empty_text(lang, q.measure, &main.period_label, !q.filters.is_empty()));
    let table_href = |ext: &str| params.href(&format!("{PATH}/explore.{ext}"));
    let chips = chips(params, ws, ctx.config, today, lang, PATH);
    let clear_all = (!chips.is_empty()).then(|| {
        let mut text = params.text.clone();
        text.filters.clear();
        params.with_text(text).href(PATH)
    });
    Ok(ExplorePage {
        layout: Layout::page(
            lang,
            t(lang, "web.board.explore"),
            PATH,
            &[("as_of", requested.as_deref().unwrap_or(""))],
        ),
        stamp,
        as_of_requested: requested,
        form: form(PATH, params, &q, ws, ctx.config, lang, false),
        chips,
        clear_all,
        kpis,
        empty,
        slices,
        cross,
        series_title,
        series,
        series_note,
        csv: table_href("csv"),
        xlsx: table_href("xlsx"),
        others_note: main.others.is_some(),
    })
}

fn unit_key(u: SpanUnit) -> &'static str {
    match u {
        SpanUnit::Day => "day",
        SpanUnit::Week => "week",
        SpanUnit::Month => "month",
        SpanUnit::Quarter => "quarter",
        SpanUnit::Year => "year",
    }
}

/// What an empty answer means in words: "За период ноябрь 2026 нет успешных сделок".
pub fn empty_text(lang: Language, m: Measure, period: &str, filtered: bool) -> String {
    let what = match m {
        Measure::Revenue | Measure::Margin | Measure::WonDeals | Measure::AverageCheck | Measure::CycleMedian | Measure::CycleMean => "won",
        Measure::LostDeals => "lost",
        Measure::NewDeals => "new",
        Measure::WinRate => "closed",
        Measure::Calls => "calls",
        Measure::Communications => "communications",
        Measure::TasksDone => "tasks_done",
        Measure::TasksOverdue => "tasks_overdue",
    };
    let mut text = t_with(lang, &format!("web.explore.empty.{what}"), &[("period", period)]);
    if filtered {
        text.push_str(t(lang, "web.explore.empty.filtered"));
    }
    text
}

#[allow(clippy::too_many_arguments)]
fn slice_bars(
    a: &Answer,
    dim: Dimension,
    page: &Params,
    slice: &Params,
    ws: &Workspace,
    today: NaiveDate,
    lang: Language,
    currency: &str,
) -> String {
    let comparing = a.compare.is_some();
    let bar = |r: &Row, index: Option<String>, filter: Option<String>| ExploreBar {
        label: r.labels.first().cloned().unwrap_or_default(),
        filter_href: filter.map(|f| page.with_filter(f).href(PATH)),
        records_href: slice.records_href(Some(index.as_deref().unwrap_or("others"))),
        value: r.value.map_or(0.0, Value::as_f64),
        value_text: value_compact(lang, currency, a.unit, r.value),
        raw: value_raw(r.value),
        compared: if comparing { r.compare_value.map(Value::as_f64) } else { None },
        change_text: if comparing {
            change_text(lang, currency, a.unit, r.change, r.change_percent)
        } else {
            None
        },
        tone: if comparing {
            change_tone(a.measure, r.change)
        } else {
            Tone::Neutral
        },
        others: index.is_none(),
    };
    let mut bars: Vec<ExploreBar> = a
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| bar(r, Some(i.to_string()), r.keys.first().and_then(|k| filter_text(dim, k, ws, today))))
        .collect();
    if let Some(o) = &a.others {
        bars.push(bar(o, None, None));
    }
    charts::explore_bars(&dim.title(ws, lang), &bars, a.unit == Unit::Percent)
}

fn cross_table(a: &Answer, params: &Params, ws: &Workspace, today: NaiveDate, lang: Language, currency: &str) -> CrossView {
    let comparing = a.compare.is_some();
    let line = |r: &Row, cells: Vec<(String, Option<String>)>, row: Option<&str>, total: bool| CrossRow {
        cells,
        value: value_text(lang, currency, a.unit, r.value),
        raw: value_raw(r.value),
        records: params.records_href(row),
        compare: value_text(lang, currency, a.unit, r.compare_value),
        change: change_text(lang, currency, a.unit, r.change, r.change_percent).unwrap_or_default(),
        total,
    };
    let mut rows: Vec<CrossRow> = a
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let cells = r
                .keys
                .iter()
                .zip(&r.labels)
                .zip(&a.by)
                .map(|((k, label), dim)| {
                    (
                        label.clone(),
                        filter_text(*dim, k, ws, today).map(|f| params.with_filter(f).href(PATH)),
                    )
                })
                .collect();
            line(r, cells, Some(&i.to_string()), false)
        })
        .collect();
    if let Some(o) = &a.others {
        rows.push(line(
            o,
            vec![(o.labels[0].clone(), None), (String::new(), None)],
            Some("others"),
            false,
        ));
    }
    rows.push(line(
        &a.total,
        vec![(t(lang, "col.total").to_string(), None), (String::new(), None)],
        None,
        true,
    ));
    CrossView {
        titles: a.by_titles.clone(),
        comparing,
        measure_title: t(lang, &a.measure.title_key()).to_string(),
        compare_title: a.compare_label.clone().unwrap_or_default(),
        rows,
    }
}

/// The filters of the view as chips, each linking to the view without it.
pub fn chips(params: &Params, ws: &Workspace, config: &tsifra_core::Config, today: NaiveDate, lang: Language, path: &str) -> Vec<Chip> {
    params
        .text
        .filters
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut text = params.text.clone();
            text.filters.remove(i);
            Chip {
                label: chip_label(f, ws, config, today, lang),
                remove: params.with_text(text).href(path),
            }
        })
        .collect()
}

fn chip_label(filter: &str, ws: &Workspace, config: &tsifra_core::Config, today: NaiveDate, lang: Language) -> String {
    let Some((dim, values)) = filter.split_once('=') else {
        return filter.to_string();
    };
    let Ok(dim) = Dimension::parse(dim, ws, config) else {
        return filter.to_string();
    };
    let labels: Vec<String> = values
        .split('|')
        .map(|v| {
            dim.parse_value(v, ws, today)
                .map_or_else(|_| v.to_string(), |k| dim.label(&k, ws, lang))
        })
        .collect();
    format!("{}: {}", dim.title(ws, lang), labels.join(", "))
}

fn choice(value: &str, label: impl Into<String>, selected: bool) -> Choice {
    Choice {
        value: value.to_string(),
        label: label.into(),
        selected,
    }
}

/// The form of the explore page (`pareto` false) or the Pareto page.
#[allow(clippy::too_many_arguments)]
pub fn form(
    path: &'static str,
    params: &Params,
    q: &Question,
    ws: &Workspace,
    config: &tsifra_core::Config,
    lang: Language,
    pareto: bool,
) -> Form {
    let measure = q.measure;
    let measures = Measure::ALL
        .iter()
        .filter(|m| !pareto || tsifra_core::query::pareto::check(**m).is_ok())
        .map(|m| choice(m.as_str(), t(lang, &m.title_key()), *m == measure))
        .collect();
    let period = params.text.period.clone().unwrap_or_else(|| "this_month".into());
    let range = period.split_once("..");
    let mut periods: Vec<Choice> = PERIODS
        .iter()
        .map(|p| choice(p, t(lang, &format!("web.explore.period.{p}")), *p == period))
        .collect();
    if range.is_none() && !PERIODS.contains(&period.as_str()) {
        periods.push(choice(&period, q.span.label(lang), true));
    }
    periods.push(choice("custom", t(lang, "web.explore.period.custom"), range.is_some()));
    let (from, to) = match range {
        Some(_) => (
            q.span.start.format("%Y-%m-%d").to_string(),
            q.span.last_day().format("%Y-%m-%d").to_string(),
        ),
        None => (String::new(), String::new()),
    };
    let slice_choices = |current: Option<&String>, allow_none: bool| -> Vec<Choice> {
        let current_key = current.and_then(|c| Dimension::parse(c, ws, config).ok()).map(|d| d.key());
        let mut out = Vec::new();
        if allow_none {
            out.push(choice("", t(lang, "web.explore.no_slice"), current_key.is_none()));
        }
        let mut seen = Vec::new();
        for name in SLICES {
            let Ok(dim) = Dimension::parse(name, ws, config) else { continue };
            if pareto && matches!(dim, Dimension::Time(_)) {
                continue;
            }
            seen.push(dim.key());
            let title = match name {
                "product" | "client_type" | "industry" => dim.title(ws, lang),
                _ => t(lang, &format!("dim.{name}")).to_string(),
            };
            out.push(choice(name, title, current_key.as_deref() == Some(&dim.key())));
        }
        if let (Some(c), Some(key)) = (current, &current_key)
            && !seen.contains(key)
            && let Ok(dim) = Dimension::parse(c, ws, config)
        {
            out.push(choice(c, dim.title(ws, lang), true));
        }
        out
    };
    let slices = if pareto {
        vec![slice_choices(
            Some(&params.text.by.first().cloned().unwrap_or_else(|| "company".into())),
            false,
        )]
    } else {
        vec![
            slice_choices(params.text.by.first(), true),
            slice_choices(params.text.by.get(1), true),
        ]
    };
    let compares = if pareto {
        Vec::new()
    } else {
        ["", "previous", "year_ago"]
            .iter()
            .map(|c| {
                let key = if c.is_empty() { "none" } else { c };
                let selected = match q.compare {
                    None => c.is_empty(),
                    Some(cmp) => tsifra_core::query::Compare::parse(c) == Some(cmp),
                };
                choice(c, t(lang, &format!("web.explore.compare.{key}")), selected)
            })
            .collect()
    };
    let mut hidden: Vec<(&'static str, String)> = params.text.filters.iter().map(|f| ("where", f.clone())).collect();
    if let Some(l) = params.text.limit {
        hidden.push(("limit", l.to_string()));
    }
    if let Some(a) = &params.as_of {
        hidden.push(("as_of", a.clone()));
    }
    Form {
        path,
        measures,
        periods,
        from,
        to,
        slices,
        compares,
        hidden,
        no_filters: t(
            lang,
            if pareto {
                "web.pareto.no_filters"
            } else {
                "web.explore.no_filters"
            },
        ),
        other_board: other_board(params, measure, lang, pareto),
    }
}

/// The question asked on the other board: the Pareto view of the first slice
/// (companies when it is a time bucket or none), or the explore board by the Pareto's slice.
fn other_board(params: &Params, measure: Measure, lang: Language, pareto: bool) -> Option<(&'static str, String)> {
    let mut text = params.text.clone();
    text.compare = None;
    text.limit = None;
    if pareto {
        text.by.truncate(1);
        return Some((t(lang, "web.board.explore"), params.with_text(text).href(PATH)));
    }
    tsifra_core::query::pareto::check(measure).ok()?;
    let time = ["day", "week", "month", "quarter", "year"];
    text.by = text.by.into_iter().take(1).filter(|b| !time.contains(&b.as_str())).collect();
    Some((t(lang, "web.board.pareto"), params.with_text(text).href(super::pareto::PATH)))
}

/// `GET /boards/explore/explore.csv|xlsx?<question>`: the answer's table.
pub async fn download(
    State(state): State<AppState>,
    Path(file): Path<String>,
    uri: axum::http::Uri,
    as_of: AsOf,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let lang = state.language();
    let ext = download_ext(&file, "explore", PATH)?;
    let params = Params::from_pairs(&pairs, lang)?;
    let (st, at) = (state.clone(), as_of.clone());
    crate::downloads::shared(&state, uri.to_string(), &as_of, move || async move {
        let table: Table = ask(&st, &at, move |ctx, today| {
            let q = params.question(ctx.ws, ctx.config, today)?;
            Ok(answer_table(&answer(ctx, &q), lang))
        })
        .await?;
        file_bytes(st, at, table, "explore", ext).await
    })
    .await
}

/// The format a board's download asks for: `<stem>.csv` or `<stem>.xlsx`; anything else is not there.
pub fn download_ext(file: &str, stem: &str, board_path: &str) -> Result<&'static str, AppError> {
    match file.strip_prefix(stem).and_then(|rest| rest.strip_prefix('.')) {
        Some("csv") => Ok("csv"),
        Some("xlsx") => Ok("xlsx"),
        _ => Err(AppError::NotFound {
            path: format!("{board_path}/{file}"),
        }),
    }
}

/// A table as the bytes of a CSV or XLSX file named `tsifra-<board>-<day>.<ext>`, made off the async threads.
pub async fn file_bytes(
    state: AppState,
    as_of: AsOf,
    table: Table,
    board: &'static str,
    ext: &'static str,
) -> Result<(Vec<u8>, String), AppError> {
    tokio::task::spawn_blocking(move || {
        let day = state.calendar().local_date(effective_as_of(&as_of)).format("%Y-%m-%d");
        let name = format!("tsifra-{board}-{day}.{ext}");
        let body = if ext == "csv" {
            tsifra_core::reports::tabular::csv_file(&table, &state.calendar(), state.language())
        } else {
            crate::pages::download::xlsx(std::slice::from_ref(&table), &state)?
        };
        Ok((body, name))
    })
    .await
    .map_err(|e| AppError::Internal(format!("making a download failed: {e}")))?
}
