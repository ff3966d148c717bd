//! The query layer: any measure, over any period, broken down by up to two
//! dimensions, under any filters, compared with the previous period or a year
//! earlier, with the records behind every figure. The analysis boards, the
//! employee indicators and the forecast are measures and slices of it.
//!
//! Each measure belongs to one fact table and one instant ([`Layer`]): revenue,
//! margin and won deals to the win (the manager responsible then), lost deals
//! to the loss, new deals to the creation, calls and communications to the
//! activity, tasks to their completion or due time. "Over a period" always
//! means "that instant falls in the period, in the business's zone", so every
//! board counts a measure the same way (plan/fact's revenue is this revenue).

pub mod dimension;
pub mod error;
pub mod facts;
pub mod measure;
pub mod params;
pub mod pareto;
pub mod span;
pub mod table;

use chrono::{Duration, NaiveDate};
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

use crate::calendar::{BusinessCalendar, Instant};
use crate::config::Config;
use crate::model::{Deal, Id, Workspace, field_value};

pub use dimension::{Dimension, Key};
pub use error::QueryError;
pub use measure::{FactKind, Measure, Unit};
pub use params::QueryText;
pub use span::{Compare, Span, SpanUnit};

/// A filter: the rows whose value of `dim` is one of `keys` (any of them, for
/// a multi-valued dimension such as tags).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Filter {
    pub dim: Dimension,
    pub keys: Vec<Key>,
}

/// A question to the layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub measure: Measure,
    pub span: Span,
    /// At most two.
    pub by: Vec<Dimension>,
    pub filters: Vec<Filter>,
    pub compare: Option<Compare>,
    /// Rows shown; the rest are summed into "others". Never a page of 10,000 bars.
    pub limit: usize,
}

pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_DIMENSIONS: usize = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DealWhat {
    Won,
    Lost,
    Created,
}

/// A deal won, lost or created. Won and lost events count for any as-of in
/// `[at, until)`: a deal reopened stops counting when it left the stage.
#[derive(Clone, Copy, Debug, PartialEq)]
struct DealEvent {
    at: Instant,
    /// `at`'s local date in the business zone, worked out once.
    day: NaiveDate,
    until: Option<Instant>,
    what: DealWhat,
    deal_row: u32,
    deal_id: Id,
    /// Read from the deal once at build, so a question on them never touches the deal's row.
    company: Option<Id>,
    loss_reason: Option<Id>,
    manager: Option<Id>,
    pipeline: Id,
    stage: Id,
    amount: i64,
    margin: i64,
    /// Creation to the win, in days (won events).
    cycle_days: f32,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct ActivityEvent {
    at: Instant,
    day: NaiveDate,
    id: Id,
    manager: Option<Id>,
    connected_call_out: bool,
    communication: bool,
    deal_row: Option<u32>,
    company: Option<Id>,
    contact: Option<Id>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
struct TaskEvent {
    at: Instant,
    day: NaiveDate,
    id: Id,
    manager: Option<Id>,
    /// A completion; else the due time of a task not done by then.
    done: bool,
    deal_row: Option<u32>,
    company: Option<Id>,
    contact: Option<Id>,
}

/// The fact tables, in time order: deal events by (instant, deal id), the
/// others by (instant, record id), so one record's events are found without a
/// scan when it changes. Built once, then updated by change sets.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Layer {
    pub version: u64,
    /// Deal events by kind, each in time order.
    won: Vec<DealEvent>,
    lost: Vec<DealEvent>,
    created: Vec<DealEvent>,
    activities: Vec<ActivityEvent>,
    tasks: Vec<TaskEvent>,
    /// Communications and tasks on each deal or contact (in the workspace or
    /// not yet), by that record: when it comes, goes, changes company or row,
    /// these take its links without a pass over the tables.
    on: HashMap<crate::model::EntityRef, Vec<facts::OnRecord>>,
}

impl Layer {
    /// Builds the fact tables from every row (see [`facts`]).
    pub fn build(ws: &Workspace, config: &Config) -> Layer {
        facts::build(ws, config)
    }

    /// The fact tables of `ws` from this layer (built from `ws` before `changes`)
    /// in time proportional to the change (see [`facts::update`]).
    pub fn update(self, ws: &Workspace, config: &Config, changes: &crate::model::Changes) -> Layer {
        facts::update(self, ws, config, changes)
    }
}

/// A record behind a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Record {
    Deal(Id),
    Activity(Id),
    Task(Id),
}

/// A measure's value: exact integers for money (minor units) and counts,
/// one decimal for percentages and days.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Int(i64),
    Dec(f64),
}

impl Value {
    pub fn as_f64(self) -> f64 {
        match self {
            Value::Int(i) => i as f64,
            Value::Dec(d) => d,
        }
    }
}

/// One fact row's part in a figure.
#[derive(Clone, Copy, Debug)]
struct Part {
    sum: i64,
    won: bool,
    lost: bool,
    days: Option<f32>,
    record: Record,
}

/// What a figure is made of, so groups can be merged into "others" exactly.
#[derive(Clone, Debug, Default)]
struct Acc {
    sum: i64,
    count: i64,
    won: i64,
    lost: i64,
    days: Vec<f32>,
    records: Vec<Record>,
}

impl Acc {
    fn add(&mut self, p: &Part) {
        self.add_figure(p);
        self.records.push(p.record);
    }

    /// The part's figure without its record (a time series needs no drill-down).
    fn add_figure(&mut self, p: &Part) {
        self.sum = self.sum.saturating_add(p.sum);
        self.count += 1;
        self.won += p.won as i64;
        self.lost += p.lost as i64;
        self.days.extend(p.days);
    }

    fn merge(&mut self, other: &Acc) {
        self.sum = self.sum.saturating_add(other.sum);
        self.count += other.count;
        self.won += other.won;
        self.lost += other.lost;
        self.days.extend_from_slice(&other.days);
        self.records.extend_from_slice(&other.records);
    }

    fn value(&self, measure: Measure) -> Option<Value> {
        let round1 = |v: f64| (v * 10.0).round() / 10.0;
        match measure {
            Measure::Revenue | Measure::Margin => Some(Value::Int(self.sum)),
            Measure::WinRate => crate::reports::percent(self.won, self.won + self.lost).map(Value::Dec),
            Measure::AverageCheck => crate::reports::ratio(self.sum, self.won).map(Value::Int),
            Measure::CycleMean => (!self.days.is_empty())
                .then(|| Value::Dec(round1(self.days.iter().map(|&d| d as f64).sum::<f64>() / self.days.len() as f64))),
            Measure::CycleMedian => {
                if self.days.is_empty() {
                    return None;
                }
                let mut d = self.days.clone();
                d.sort_by(f32::total_cmp);
                let n = d.len();
                let m = if n % 2 == 1 {
                    d[n / 2] as f64
                } else {
                    (d[n / 2 - 1] as f64 + d[n / 2] as f64) / 2.0
                };
                Some(Value::Dec(round1(m)))
            }
            _ => Some(Value::Int(self.count)),
        }
    }
}

/// One row of an answer: a combination of dimension values and its figure.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub keys: Vec<Key>,
    pub labels: Vec<String>,
    pub value: Option<Value>,
    pub compare_value: Option<Value>,
    /// value − compare_value, in the measure's unit.
    pub change: Option<Value>,
    /// The change in percent of the compared value.
    pub change_percent: Option<f64>,
    /// How many records are behind the figure.
    pub records: usize,
    #[serde(skip)]
    pub record_ids: Vec<Record>,
}

#[derive(Clone, Debug, Serialize)]
pub struct SeriesPoint {
    pub start: NaiveDate,
    pub label: String,
    pub value: Option<Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Answer {
    pub measure: Measure,
    pub unit: Unit,
    /// The name of a money value's unit ("kopecks").
    pub money_unit: &'static str,
    pub period: Span,
    pub period_label: String,
    pub compare: Option<Compare>,
    pub compare_period: Option<Span>,
    pub compare_label: Option<String>,
    pub by: Vec<Dimension>,
    pub by_titles: Vec<String>,
    pub filters: Vec<Filter>,
    pub total: Row,
    pub rows: Vec<Row>,
    /// The rows past the limit, summed (their figure computed from all their records).
    pub others: Option<Row>,
    /// The measure over time under the same filters: day, week or month by the period's length.
    pub series_unit: SpanUnit,
    pub series: Vec<SeriesPoint>,
}

/// Everything a question reads.
#[derive(Clone, Copy)]
pub struct QueryCtx<'a> {
    pub ws: &'a Workspace,
    pub layer: &'a Layer,
    pub config: &'a Config,
    pub calendar: &'a BusinessCalendar,
    pub as_of: Instant,
}

/// The attributes of one fact row that dimensions read.
struct View {
    day: NaiveDate,
    manager: Option<Id>,
    /// The deal's row, read only by the dimensions that need more of it.
    deal_row: Option<u32>,
    loss_reason: Option<Id>,
    pipeline: Option<Id>,
    stage: Option<Id>,
    company: Option<Id>,
    contact: Option<Id>,
}

impl QueryCtx<'_> {
    fn deal(&self, v: &View) -> Option<&Deal> {
        v.deal_row.map(|r| &self.ws.deals.as_slice()[r as usize])
    }

    fn keys(&self, dim: Dimension, v: &View, out: &mut Vec<Key>) {
        out.clear();
        let id = |o: Option<Id>| o.map_or(Key::None, Key::Id);
        match dim {
            Dimension::Manager => out.push(id(v.manager)),
            Dimension::Team => out.push(id(v.manager.and_then(|m| self.ws.users.get(m)).and_then(|u| u.team_id))),
            Dimension::Pipeline => out.push(id(v.pipeline)),
            Dimension::Stage => out.push(id(v.stage)),
            Dimension::Company => out.push(id(v.company)),
            Dimension::Contact => match (v.contact, self.deal(v)) {
                (Some(c), _) => out.push(Key::Id(c)),
                (None, Some(d)) if !d.contact_ids.is_empty() => out.extend(d.contact_ids.iter().map(|&c| Key::Id(c))),
                _ => out.push(Key::None),
            },
            Dimension::LossReason => out.push(id(v.loss_reason)),
            Dimension::Source => out.push(self.deal(v).and_then(|d| d.lead_source.clone()).map_or(Key::None, Key::Text)),
            Dimension::Tag => match self.deal(v) {
                Some(d) if !d.tags.is_empty() => out.extend(d.tags.iter().map(|t| Key::Text(t.clone()))),
                _ => out.push(Key::None),
            },
            Dimension::Time(unit) => out.push(Key::Day(Span::of(unit, v.day).start)),
            Dimension::Field(field) => {
                let company_field = self
                    .ws
                    .field_defs
                    .get(field)
                    .is_some_and(|f| f.entity == crate::model::EntityKind::Company);
                let value = if company_field {
                    v.company
                        .and_then(|c| self.ws.companies.get(c))
                        .and_then(|c| field_value(&c.fields, field))
                } else {
                    self.deal(v).and_then(|d| field_value(&d.fields, field))
                };
                dimension::field_keys(value, out);
            }
        }
    }

    /// Feeds every fact row of `measure` in `span` that passes `filters` to `add`.
    fn scan(&self, measure: Measure, span: &Span, filters: &[Filter], mut add: impl FnMut(&View, &Part)) {
        let mut from = self.calendar.start_of_day(span.start);
        let mut to = self.calendar.start_of_day(span.end).min(self.as_of + Duration::nanoseconds(1));
        // A filter on calendar buckets (a click on a month's bar) passes only their days: scan those.
        for filter in filters {
            if let Dimension::Time(unit) = filter.dim {
                let days = || filter.keys.iter().filter_map(|k| if let Key::Day(d) = k { Some(*d) } else { None });
                match (days().min(), days().map(|d| Span::of(unit, d).end).max()) {
                    (Some(first), Some(end)) => {
                        from = from.max(self.calendar.start_of_day(first));
                        to = to.min(self.calendar.start_of_day(end));
                    }
                    _ => to = from,
                }
            }
        }
        let deals = self.ws.deals.as_slice();
        let mut keys = Vec::new();
        let mut visit = |v: View, part: Part| {
            for filter in filters {
                self.keys(filter.dim, &v, &mut keys);
                if !keys.iter().any(|k| filter.keys.contains(k)) {
                    return;
                }
            }
            add(&v, &part);
        };
        // An activity or a task: the deal it is on (if any) gives the deal's slices.
        let on_record = |day, manager, deal_row: Option<u32>, company, contact| {
            let deal = deal_row.map(|r| &deals[r as usize]);
            View {
                day,
                manager,
                deal_row,
                loss_reason: deal.and_then(|d| d.loss_reason_id),
                pipeline: deal.map(|d| d.pipeline_id),
                stage: deal.map(|d| d.stage_id),
                company,
                contact,
            }
        };
        let plain = |record| Part {
            sum: 0,
            won: false,
            lost: false,
            days: None,
            record,
        };
        match measure.fact() {
            FactKind::Deals => {
                let lists: &[&Vec<DealEvent>] = match measure {
                    Measure::NewDeals => &[&self.layer.created],
                    Measure::LostDeals => &[&self.layer.lost],
                    Measure::WinRate => &[&self.layer.won, &self.layer.lost],
                    _ => &[&self.layer.won],
                };
                for list in lists {
                    let lo = list.partition_point(|e| e.at < from);
                    for e in list[lo..].iter().take_while(|e| e.at < to) {
                        // A deal won (or lost) and reopened before the as-of instant no longer counts.
                        if e.until.is_some_and(|u| u <= self.as_of) {
                            continue;
                        }
                        let view = View {
                            day: e.day,
                            manager: e.manager,
                            deal_row: Some(e.deal_row),
                            loss_reason: e.loss_reason,
                            pipeline: Some(e.pipeline),
                            stage: Some(e.stage),
                            company: e.company,
                            contact: None,
                        };
                        let won = e.what == DealWhat::Won;
                        let part = Part {
                            sum: match (won, measure) {
                                (true, Measure::Margin) => e.margin,
                                (true, _) => e.amount,
                                (false, _) => 0,
                            },
                            won,
                            lost: e.what == DealWhat::Lost,
                            days: (won && matches!(measure, Measure::CycleMedian | Measure::CycleMean)).then_some(e.cycle_days),
                            record: Record::Deal(e.deal_id),
                        };
                        visit(view, part);
                    }
                }
            }
            FactKind::Activities => {
                let lo = self.layer.activities.partition_point(|e| e.at < from);
                for e in self.layer.activities[lo..].iter().take_while(|e| e.at < to) {
                    let counts = if measure == Measure::Calls {
                        e.connected_call_out
                    } else {
                        e.communication
                    };
                    if !counts {
                        continue;
                    }
                    let view = on_record(e.day, e.manager, e.deal_row, e.company, e.contact);
                    visit(view, plain(Record::Activity(e.id)));
                }
            }
            FactKind::Tasks => {
                let lo = self.layer.tasks.partition_point(|e| e.at < from);
                for e in self.layer.tasks[lo..].iter().take_while(|e| e.at < to) {
                    if e.done != (measure == Measure::TasksDone) {
                        continue;
                    }
                    let view = on_record(e.day, e.manager, e.deal_row, e.company, e.contact);
                    visit(view, plain(Record::Task(e.id)));
                }
            }
        }
    }

    /// The total, the figures per combination of values of each slicing in
    /// `slicings` (each up to two dimensions) and, when asked, per `series`
    /// time bucket, in one pass: a dimension's values are read once per row
    /// however many slicings name it. A row with several values of a dimension
    /// (tags) counts once in the total and once under each of its values.
    fn grouped(
        &self,
        measure: Measure,
        span: &Span,
        filters: &[Filter],
        slicings: &[&[Dimension]],
        series: Option<SpanUnit>,
        records: bool,
    ) -> Grouped {
        let mut g = Grouped {
            groups: slicings.iter().map(|_| HashMap::default()).collect(),
            ..Grouped::default()
        };
        // The distinct dimensions, and each slicing's as places in that list.
        let mut dims: Vec<Dimension> = Vec::new();
        let mut place = |d: Dimension| match dims.iter().position(|x| *x == d) {
            Some(i) => i,
            None => {
                dims.push(d);
                dims.len() - 1
            }
        };
        let places: Vec<(Option<usize>, Option<usize>)> = slicings
            .iter()
            .map(|by| (by.first().map(|d| place(*d)), by.get(1).map(|d| place(*d))))
            .collect();
        let mut keys: Vec<Vec<Key>> = dims.iter().map(|_| Vec::new()).collect();
        let add = |acc: &mut Acc, part: &Part| if records { acc.add(part) } else { acc.add_figure(part) };
        self.scan(measure, span, filters, |v, part| {
            add(&mut g.total, part);
            if let Some(unit) = series {
                let bucket = Span::of(unit, v.day).start;
                g.series.entry(bucket).or_default().add_figure(part);
            }
            for (d, out) in dims.iter().zip(keys.iter_mut()) {
                self.keys(*d, v, out);
            }
            for (groups, place) in g.groups.iter_mut().zip(&places) {
                match *place {
                    (None, _) => {}
                    (Some(a), None) => {
                        for a in &keys[a] {
                            add(groups.entry((a.clone(), Key::None)).or_default(), part);
                        }
                    }
                    (Some(a), Some(b)) => {
                        for a in &keys[a] {
                            for b in &keys[b] {
                                add(groups.entry((a.clone(), b.clone())).or_default(), part);
                            }
                        }
                    }
                }
            }
        });
        g
    }
}

/// What one pass over the facts gives: the total, each slicing's groups and the series.
#[derive(Default)]
struct Grouped {
    total: Acc,
    /// Per slicing, by (first, second) key; the second is `Key::None` with one dimension.
    groups: Vec<HashMap<(Key, Key), Acc>>,
    series: HashMap<NaiveDate, Acc>,
}

/// A row with its comparison: the change in the measure's unit and in percent.
fn row(measure: Measure, keys: Vec<Key>, labels: Vec<String>, acc: Acc, compared: Option<&Acc>, comparing: bool) -> Row {
    let value = acc.value(measure);
    let compare_value = if comparing {
        compared.map_or_else(|| Acc::default().value(measure), |c| c.value(measure))
    } else {
        None
    };
    let change = match (value, compare_value) {
        (Some(Value::Int(a)), Some(Value::Int(b))) => Some(Value::Int(a.saturating_sub(b))),
        (Some(a), Some(b)) => Some(Value::Dec(((a.as_f64() - b.as_f64()) * 10.0).round() / 10.0)),
        _ => None,
    };
    let change_percent = match (value, compare_value) {
        (Some(a), Some(b)) if b.as_f64() != 0.0 => Some(crate::reports::round_to((a.as_f64() - b.as_f64()) * 100.0 / b.as_f64().abs(), 1)),
        _ => None,
    };
    Row {
        keys,
        labels,
        value,
        compare_value,
        change,
        change_percent,
        records: acc.count as usize,
        record_ids: acc.records,
    }
}

/// The unit a series of `span` is drawn in: days for a month or less, weeks up to half a year, months beyond.
pub fn series_unit(span: &Span) -> SpanUnit {
    match span.days() {
        ..=31 => SpanUnit::Day,
        32..=183 => SpanUnit::Week,
        _ => SpanUnit::Month,
    }
}

/// Answers a question.
pub fn answer(ctx: &QueryCtx, q: &Query) -> Answer {
    one(screen(ctx, q, &[&q.by], true))
}

/// [`answer`] without the records behind each figure (`record_ids` left
/// empty; `records` still counts them): what a page's charts draw, which only
/// link to the records. Spares a list of every record per redraw.
pub fn figures(ctx: &QueryCtx, q: &Query) -> Answer {
    one(screen(ctx, q, &[&q.by], false))
}

fn one(s: Screen) -> Answer {
    s.answers.into_iter().next().expect("one slicing asked, one answer")
}

/// Everything a screen of the analysis board draws for one question.
pub struct Screen {
    /// Per slicing asked, the answer to the question broken down by it:
    /// equal to [`figures`] of the question with `by` set to that slicing.
    pub answers: Vec<Answer>,
    /// The comparison period's series (when the question compares): equal to
    /// the `series` of [`figures`] of the question over the compared period,
    /// with no slices and no comparison.
    pub compared_series: Option<Vec<SeriesPoint>>,
}

/// [`figures`] of `q` under each slicing of `slicings` (the main breakdown,
/// each slice's chart), and the compared period's series, in one pass over
/// the facts of the period and one over those of the compared period, instead
/// of one pass per chart: a click on the explore board redraws every chart
/// from these two.
pub fn screen_figures(ctx: &QueryCtx, q: &Query, slicings: &[&[Dimension]]) -> Screen {
    screen(ctx, q, slicings, false)
}

fn screen(ctx: &QueryCtx, q: &Query, slicings: &[&[Dimension]], records: bool) -> Screen {
    let slicings: Vec<&[Dimension]> = slicings.iter().map(|by| &by[..by.len().min(MAX_DIMENSIONS)]).collect();
    let unit = series_unit(&q.span);
    let Grouped {
        total,
        groups,
        series: points,
    } = ctx.grouped(q.measure, &q.span, &q.filters, &slicings, Some(unit), records);
    let compare_span = q.compare.map(|c| q.span.compared(c));
    let compare_unit = compare_span.as_ref().map(series_unit);
    let compared = compare_span
        .as_ref()
        .map(|span| ctx.grouped(q.measure, span, &q.filters, &slicings, compare_unit, false));
    let series = |span: &Span, unit: SpanUnit, points: &HashMap<NaiveDate, Acc>| -> Vec<SeriesPoint> {
        let lang = ctx.config.business.language;
        let mut series = Vec::new();
        let mut bucket = Span::of(unit, span.start);
        while bucket.start < span.end {
            series.push(SeriesPoint {
                start: bucket.start,
                label: bucket.label(lang),
                value: points
                    .get(&bucket.start)
                    .map_or_else(|| Acc::default().value(q.measure), |a| a.value(q.measure)),
            });
            bucket = Span::of(unit, bucket.end);
        }
        series
    };
    let main_series = series(&q.span, unit, &points);
    let compared_series = match (&compare_span, compare_unit, &compared) {
        (Some(span), Some(unit), Some(g)) => Some(series(span, unit, &g.series)),
        _ => None,
    };
    let (compare_total, mut compare_groups) = match compared {
        Some(g) => (Some(g.total), g.groups),
        None => (None, Vec::new()),
    };
    // The total's records go to the last answer, a copy to each other.
    let mut total = Some(total);
    let mut answers = Vec::with_capacity(slicings.len());
    for (i, (by, groups)) in slicings.iter().zip(groups).enumerate() {
        let total = if i + 1 == slicings.len() { total.take() } else { total.clone() };
        let compare_groups = compare_groups.get_mut(i).map(std::mem::take).unwrap_or_default();
        answers.push(assemble(
            ctx,
            q,
            by,
            Parts {
                total: total.expect("taken only by the last"),
                groups,
                compare_total: compare_total.clone(),
                compare_groups,
                compare_span,
                unit,
                series: main_series.clone(),
            },
        ));
    }
    Screen { answers, compared_series }
}

/// What [`assemble`] makes an answer of.
struct Parts {
    total: Acc,
    groups: HashMap<(Key, Key), Acc>,
    compare_total: Option<Acc>,
    compare_groups: HashMap<(Key, Key), Acc>,
    compare_span: Option<Span>,
    unit: SpanUnit,
    series: Vec<SeriesPoint>,
}

fn assemble(ctx: &QueryCtx, q: &Query, by: &[Dimension], p: Parts) -> Answer {
    let lang = ctx.config.business.language;
    let Parts {
        total,
        groups,
        compare_total,
        compare_groups,
        compare_span,
        unit,
        series,
    } = p;
    let comparing = q.compare.is_some();
    let keys_of = |(a, b): &(Key, Key)| -> Vec<Key> {
        match by.len() {
            1 => vec![a.clone()],
            _ => vec![a.clone(), b.clone()],
        }
    };

    // Labels once per group, then largest first (ties by label); time buckets in time order.
    struct Entry {
        key: (Key, Key),
        labels: Vec<String>,
        value: f64,
        acc: Acc,
    }
    let mut entries: Vec<Entry> = groups
        .into_iter()
        .map(|(key, acc)| Entry {
            labels: keys_of(&key).iter().zip(by).map(|(k, d)| d.label(k, ctx.ws, lang)).collect(),
            value: acc.value(q.measure).map_or(f64::NEG_INFINITY, Value::as_f64),
            key,
            acc,
        })
        .collect();
    if matches!(by.first(), Some(Dimension::Time(_))) {
        entries.sort_by(|a, b| a.key.cmp(&b.key));
    } else {
        entries.sort_by(|a, b| {
            b.value
                .total_cmp(&a.value)
                .then_with(|| a.labels.cmp(&b.labels))
                .then_with(|| a.key.cmp(&b.key))
        });
    }
    let limit = q.limit.max(1);
    let mut others: Option<Acc> = None;
    let mut others_compared: Option<Acc> = None;
    let mut rows = Vec::with_capacity(entries.len().min(limit));
    for (i, Entry { key, labels, acc, .. }) in entries.into_iter().enumerate() {
        if i < limit {
            rows.push(row(q.measure, keys_of(&key), labels, acc, compare_groups.get(&key), comparing));
        } else {
            others.get_or_insert_with(Acc::default).merge(&acc);
            if let Some(c) = compare_groups.get(&key) {
                others_compared.get_or_insert_with(Acc::default).merge(c);
            }
        }
    }
    let others_label = crate::i18n::text(lang, "dim.others").to_string();
    let others = others.map(|acc| row(q.measure, vec![], vec![others_label], acc, others_compared.as_ref(), comparing));

    Answer {
        measure: q.measure,
        unit: q.measure.unit(),
        money_unit: crate::money::minor_unit(&ctx.config.business.currency),
        period: q.span,
        period_label: q.span.label(lang),
        compare: q.compare,
        compare_period: compare_span,
        compare_label: compare_span.map(|s| s.label(lang)),
        by: by.to_vec(),
        by_titles: by.iter().map(|d| d.title(ctx.ws, lang)).collect(),
        filters: q.filters.clone(),
        total: row(
            q.measure,
            vec![],
            vec![crate::i18n::text(lang, "report.team_total").to_string()],
            total,
            compare_total.as_ref(),
            comparing,
        ),
        rows,
        others,
        series_unit: unit,
        series,
    }
}

#[cfg(test)]
mod tests;
