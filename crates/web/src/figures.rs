//! Each report's headline figures and charts, for its board page and its TV
//! slide alike (the TV asks for compact numbers and short names; the page
//! for exact ones and links). Tables are not here: they come whole from the
//! core's `tabular` shape, see [`crate::view::table_view`].

use std::fmt::Write;

use tsifra_core::calendar::PeriodKind;
use tsifra_core::i18n::{count, format_date, format_int, format_money};
use tsifra_core::model::Metric;
use tsifra_core::model::StageKind;
use tsifra_core::reports::call_priority::CallPriority;
use tsifra_core::reports::compare::Comparison;
use tsifra_core::reports::funnel::Funnel;
use tsifra_core::reports::hygiene::Hygiene;
use tsifra_core::reports::leaderboard::Leaderboard;
use tsifra_core::reports::plan_fact::{PlanFact, PlanFactPeriod};
use tsifra_core::reports::receivables::Receivables;
use tsifra_core::reports::tabular::{Cell, Table};
use tsifra_core::reports::{Report, percent};
use tsifra_core::{Id, Language, Money};

use crate::charts::{self, Bar, Column, Place, Tone, esc};
use crate::texts::{t, t_with};
use crate::trend::TrendPoint;
use crate::view::{Figure, Kpi, href, json_number, metric_compact, metric_value, percent_text, short_name};

/// Rows of a bar list a TV shows per column.
const TV_ROWS_PER_COLUMN: usize = 12;

/// Who the figures are for and how they are written.
pub struct ViewCtx<'a> {
    pub lang: Language,
    pub currency: &'a str,
    /// The TV: compact numbers, short names, no links, the charts that read from afar.
    pub tv: bool,
    /// `as_of` from the URL, carried on to the links the figures make.
    pub as_of_requested: Option<&'a str>,
    /// The manager the view is filtered to.
    pub manager: Option<Id>,
}

impl ViewCtx<'_> {
    fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }

    fn value(&self, metric: Metric, v: i64) -> String {
        if self.tv {
            metric_compact(self.lang, self.currency, metric, v)
        } else {
            metric_value(self.lang, self.currency, metric, v)
        }
    }

    fn money(&self, minor: i64) -> String {
        self.value(Metric::Revenue, minor)
    }

    /// How many rows a bar list in `columns` columns shows: all on a page; on a TV
    /// what stays readable across the room (the first ones: the leaders, the worst).
    fn rows(&self, columns: usize) -> usize {
        if self.tv { TV_ROWS_PER_COLUMN * columns } else { usize::MAX }
    }

    fn name(&self, name: &str) -> String {
        if self.tv { short_name(name) } else { name.to_string() }
    }

    /// A link to a board for one manager, keeping the as-of; none on the TV.
    pub fn manager_href(&self, path: &str, manager: Option<Id>) -> Option<String> {
        if self.tv {
            return None;
        }
        let id = manager.map(|m| m.to_string()).unwrap_or_default();
        Some(href(path, &[("as_of", self.as_of_requested.unwrap_or("")), ("manager", &id)]))
    }

    pub fn board_href(&self, path: &str) -> Option<String> {
        if self.tv {
            return None;
        }
        let id = self.manager.map(|m| m.to_string()).unwrap_or_default();
        Some(href(path, &[("as_of", self.as_of_requested.unwrap_or("")), ("manager", &id)]))
    }
}

/// Headline figures and charts of a computed report. `trend` is the hygiene trend, when known.
/// A report with charts of its own has its arm here; any other (a report just
/// registered) gets [`default_figures`] drawn from its tables.
pub fn report_figures(vc: &ViewCtx, report: &Report, tables: &[Table], trend: Option<&[TrendPoint]>) -> (Vec<Kpi>, Vec<Figure>) {
    #[allow(unreachable_patterns)]
    match report {
        Report::PlanFact(r) => plan_fact(vc, r),
        Report::Leaderboard(r) => leaderboard(vc, r),
        Report::Hygiene(r) => hygiene(vc, r, trend.unwrap_or(&[])),
        Report::CallPriority(r) => call_priority(vc, r),
        Report::Receivables(r) => receivables(vc, r),
        Report::Funnel(r) => funnel(vc, r),
        _ => default_figures(vc, tables),
    }
}

/// Figures of a report without charts of its own, from its first table: how many
/// rows it has, and its first number column as bars labelled by its first text column.
pub fn default_figures(vc: &ViewCtx, tables: &[Table]) -> (Vec<Kpi>, Vec<Figure>) {
    let Some(table) = tables.first() else {
        return (Vec::new(), Vec::new());
    };
    let kpis = vec![Kpi::new(
        "rows",
        table.title.clone(),
        format_int(vc.lang, table.rows.len() as i64),
        table.rows.len(),
    )];
    let column = |wanted: fn(&Cell) -> bool| (0..table.columns.len()).find(|&i| table.rows.iter().any(|r| wanted(&r[i])));
    let label = column(|c| matches!(c, Cell::Text(_) | Cell::Link { .. }));
    let number = column(|c| matches!(c, Cell::Money(_) | Cell::Int(_)));
    let (Some(label), Some(number)) = (label, number) else {
        return (kpis, Vec::new());
    };
    let bars: Vec<Bar> = table
        .rows
        .iter()
        .filter_map(|row| {
            let (value, text) = match &row[number] {
                Cell::Money(m) => (*m, vc.money(*m)),
                Cell::Int(n) => (*n, format_int(vc.lang, *n)),
                _ => return None,
            };
            let name = match &row[label] {
                Cell::Text(s) | Cell::Link { text: s, .. } => s.as_str(),
                _ => "—",
            };
            Some(Bar {
                label: vc.name(name),
                href: None,
                value,
                value_text: text,
                target: None,
                tone: Tone::Neutral,
            })
        })
        .take(vc.rows(1))
        .collect();
    let title = format!("{} · {}", table.title, table.columns[number]);
    let figure = Figure {
        id: "bars",
        markup: charts::bar_list(&title, &bars),
        title,
        wide: true,
        note: None,
    };
    (kpis, vec![figure])
}

fn period_key(kind: PeriodKind) -> (&'static str, &'static str) {
    match kind {
        PeriodKind::Day => ("today", "period.today"),
        PeriodKind::Week => ("week", "period.week"),
        _ => ("month", "period.month"),
    }
}

/// The team's plan/fact for one period as a headline figure.
pub fn period_kpi(vc: &ViewCtx, metric: Metric, p: &PlanFactPeriod) -> Kpi {
    let (key, label) = period_key(p.kind);
    let total = &p.total;
    let detail = match (total.plan, total.plan_covers) {
        // The plan covers only some days: say so, and compare over those days.
        (Some(plan), Some(c)) => t_with(
            vc.lang,
            "web.kpi.of_plan_partial",
            &[
                ("covered", &c.working_days.to_string()),
                ("days", &c.of_working_days.to_string()),
                ("dates", &tsifra_core::i18n::format_days(vc.lang, &c.days)),
                ("fact", &vc.value(metric, total.fact)),
                ("plan", &vc.value(metric, plan)),
                ("percent", &percent_text(vc.lang, total.percent_done)),
            ],
        ),
        (Some(plan), None) => t_with(
            vc.lang,
            "web.kpi.of_plan",
            &[
                ("plan", &vc.value(metric, plan)),
                ("percent", &percent_text(vc.lang, total.percent_done)),
            ],
        ),
        (None, _) => vc.t("web.kpi.no_plan").to_string(),
    };
    let fact = total.fact_whole_period();
    let title = p.label.clone().unwrap_or_else(|| vc.t(label).to_string());
    Kpi::new(format!("{key}.fact"), title, vc.value(metric, fact), fact)
        .detail(detail)
        .progress(total.percent_done)
        .tone(Tone::of_pace(total.projection, total.plan))
}

/// The month's run-rate projection as a headline figure.
pub fn projection_kpi(vc: &ViewCtx, metric: Metric, month: &PlanFactPeriod) -> Kpi {
    let total = &month.total;
    let projection = total.projection.unwrap_or(total.fact);
    let share = total.plan.and_then(|plan| percent(projection, plan));
    let detail = match share {
        Some(_) => t_with(vc.lang, "web.kpi.projection_of_plan", &[("percent", &percent_text(vc.lang, share))]),
        None => vc.t("web.kpi.no_plan").to_string(),
    };
    Kpi::new(
        "month.projection",
        vc.t("web.kpi.projection"),
        vc.value(metric, projection),
        projection,
    )
    .detail(detail)
    .progress(share)
    .tone(Tone::of_pace(total.projection, total.plan))
}

/// The change against the compared period (`--compare`), in total: "+1,2 млн ₽ к октябрю", its % and the fact then.
fn compare_kpi(vc: &ViewCtx, metric: Metric, c: &Comparison) -> Kpi {
    let total = &c.total;
    let sign = if total.change > 0 { "+" } else { "" };
    Kpi::new(
        "compare.change",
        t_with(vc.lang, "web.kpi.change_on", &[("period", &c.label)]),
        format!("{sign}{}", vc.value(metric, total.change)),
        total.change,
    )
    .detail(t_with(
        vc.lang,
        "web.kpi.change_detail",
        &[
            ("percent", &percent_text(vc.lang, total.change_percent)),
            ("then", &vc.value(metric, total.compared)),
        ],
    ))
    .tone(match total.change.signum() {
        1 => Tone::Good,
        -1 => Tone::Bad,
        _ => Tone::Neutral,
    })
}

fn plan_fact(vc: &ViewCtx, r: &PlanFact) -> (Vec<Kpi>, Vec<Figure>) {
    let mut kpis: Vec<Kpi> = r.periods.iter().map(|p| period_kpi(vc, r.metric, p)).collect();
    // Comparing: the change of the longest period shown (the month, or the one asked for).
    if let Some(c) = r.periods.last().and_then(|p| p.comparison.as_ref()) {
        kpis.push(compare_kpi(vc, r.metric, c));
    }
    let mut figures = Vec::new();
    if let Some(month) = r.periods.iter().find(|p| p.kind == PeriodKind::Month) {
        kpis.push(projection_kpi(vc, r.metric, month));
        let bars: Vec<Bar> = month
            .rows
            .iter()
            .take(vc.rows(2))
            .map(|row| Bar {
                label: vc.name(&row.manager),
                href: vc.manager_href("/boards/plan-fact", row.manager_id),
                value: row.fact,
                value_text: format!(
                    "{} · {}",
                    metric_compact(vc.lang, vc.currency, r.metric, row.fact),
                    percent_text(vc.lang, row.percent_done)
                ),
                target: row.plan,
                tone: Tone::of_pace(row.projection, row.plan),
            })
            .collect();
        figures.push(Figure {
            id: "month-bars",
            title: format!(
                "{} · {} ({})",
                vc.t("period.month"),
                vc.t("web.fig.fact_and_plan"),
                t(vc.lang, &format!("metric.{}", r.metric.as_str()))
            ),
            markup: charts::bar_list_titled(vc.t("web.fig.fact_and_plan"), &bars, &plan_fact_titles(vc, r.metric, &month.rows)),
            wide: true,
            note: (!vc.tv).then(|| vc.t("web.fig.plan_legend").to_string()),
        });
    }
    (kpis, figures)
}

/// Each manager's bar tooltip: the exact fact, plan and % ("Анна: факт 1 234 567 ₽ · план 2 000 000 ₽ · 61,7 %").
fn plan_fact_titles(vc: &ViewCtx, metric: Metric, rows: &[tsifra_core::reports::plan_fact::PlanFactRow]) -> Vec<String> {
    let exact = |v: i64| crate::view::metric_value(vc.lang, vc.currency, metric, v);
    rows.iter()
        .map(|row| {
            t_with(
                vc.lang,
                "web.fig.bar_title",
                &[
                    ("name", &row.manager),
                    ("fact", &exact(row.fact)),
                    ("plan", &row.plan.map_or_else(|| "—".to_string(), exact)),
                    ("percent", &percent_text(vc.lang, row.percent_done)),
                ],
            )
        })
        .collect()
}

fn leaderboard(vc: &ViewCtx, r: &Leaderboard) -> (Vec<Kpi>, Vec<Figure>) {
    let mut kpis = Vec::new();
    // The month's leader and top three, or the period's when another is asked for.
    let month = r.month.kind == PeriodKind::Month;
    let (leader_key, podium_key) = if month {
        ("web.kpi.leader", "web.fig.podium")
    } else {
        ("web.kpi.leader_of_period", "web.fig.podium_of_period")
    };
    match r.leader() {
        Some(leader) => kpis.push(
            Kpi::new("leader", vc.t(leader_key), vc.name(&leader.manager), leader.value)
                .textual()
                .detail(format!(
                    "{} · {} {}",
                    vc.value(r.metric, leader.value),
                    format_int(vc.lang, leader.won_count as i64),
                    vc.t("web.kpi.won_deals")
                ))
                .tone(Tone::Good),
        ),
        None => kpis.push(Kpi::new("leader", vc.t(leader_key), "—", 0).detail(vc.t("web.kpi.no_leader_yet").to_string())),
    }
    if let Some(c) = &r.comparison {
        kpis.push(compare_kpi(vc, r.metric, c));
    }
    if let Some(w) = &r.last_month_winner {
        kpis.push(
            Kpi::new("last_winner", vc.t(r.last_winner_key()), vc.name(&w.manager), w.value)
                .textual()
                .detail(format!("{} · {}", r.last_month_label, vc.value(r.metric, w.value))),
        );
    }
    let places: Vec<Place> = r
        .podium()
        .map(|row| Place {
            place: row.place,
            name: short_name(&row.manager),
            value_text: metric_compact(vc.lang, vc.currency, r.metric, row.value),
        })
        .collect();
    let metric_name = t(vc.lang, &format!("metric.{}", r.metric.as_str()));
    let mut podium = charts::podium(vc.t(podium_key), &places, vc.t("web.kpi.no_leader_yet"));
    if vc.tv
        && let Some(basis) = &r.margin_basis
    {
        // A slide shows no notes: the basis goes under the podium.
        let _ = write!(podium, "<p class=\"margin-basis\">{}</p>", esc(basis));
    }
    let mut figures = vec![Figure {
        id: "podium",
        title: format!("{} · {metric_name}", vc.t(podium_key)),
        markup: podium,
        wide: false,
        // Ranked by margin: which field it is read from, or the default rate.
        note: (!vc.tv).then(|| r.margin_basis.clone()).flatten(),
    }];
    if vc.tv {
        let bars: Vec<Bar> = r
            .rows
            .iter()
            .take(vc.rows(1))
            .map(|row| Bar {
                label: format!("{}. {}", row.place, vc.name(&row.manager)),
                href: None,
                value: row.value,
                value_text: metric_compact(vc.lang, vc.currency, r.metric, row.value),
                target: None,
                tone: if row.place == 1 { Tone::Good } else { Tone::Neutral },
            })
            .collect();
        figures.push(Figure {
            id: "ranking",
            title: format!("{} · {}", vc.t("web.fig.ranking"), r.period_label),
            markup: charts::bar_list(vc.t("web.fig.ranking"), &bars),
            wide: false,
            note: None,
        });
    }
    (kpis, figures)
}

/// How a hygiene score reads: 90 and up is clean, under 75 needs attention.
pub fn score_tone(score: Option<f64>) -> Tone {
    match score {
        Some(s) if s >= 90.0 => Tone::Good,
        Some(s) if s >= 75.0 => Tone::Warn,
        Some(_) => Tone::Bad,
        None => Tone::Neutral,
    }
}

/// The hygiene trend's change over its days, for one manager or the team.
pub fn trend_kpi(vc: &ViewCtx, trend: &[TrendPoint]) -> Option<Kpi> {
    let (first, last) = (trend.first()?, trend.last()?);
    let delta = last.violations as i64 - first.violations as i64;
    let sign = if delta > 0 { "+" } else { "" };
    Some(
        Kpi::new(
            "trend",
            t_with(vc.lang, "web.kpi.trend", &[("days", &(trend.len() - 1).to_string())]),
            format!("{sign}{}", format_int(vc.lang, delta)),
            delta,
        )
        .detail(vc.t(if delta <= 0 { "web.kpi.cleaner" } else { "web.kpi.dirtier" }))
        .tone(if delta <= 0 { Tone::Good } else { Tone::Bad }),
    )
}

/// The trend line of violations per day.
pub fn trend_figure(vc: &ViewCtx, trend: &[TrendPoint]) -> Figure {
    let points: Vec<(String, i64)> = trend
        .iter()
        .map(|p| {
            let label = match vc.lang {
                Language::Ru => p.day.format("%d.%m").to_string(),
                Language::En => p.day.format("%b %-d").to_string(),
            };
            (label, p.violations as i64)
        })
        .collect();
    let lang = vc.lang;
    let recounted = trend.iter().filter(|p| p.recounted).count();
    Figure {
        id: "trend",
        title: t_with(vc.lang, "web.fig.trend", &[("days", &(trend.len() - 1).to_string())]),
        markup: charts::trend(vc.t("web.fig.trend_aria"), &points, |v| format_int(lang, v)),
        wide: false,
        note: (recounted > 0 && !vc.tv).then(|| t_with(vc.lang, "web.fig.recounted", &[("n", &recounted.to_string())])),
    }
}

fn hygiene(vc: &ViewCtx, r: &Hygiene, trend: &[TrendPoint]) -> (Vec<Kpi>, Vec<Figure>) {
    let mut kpis = vec![
        Kpi::new(
            "score",
            vc.t("web.kpi.score"),
            percent_text(vc.lang, r.team.score),
            r.team.score.map_or(String::new(), json_number),
        )
        .detail(t_with(
            vc.lang,
            "web.kpi.checked",
            &[("checked", &format_int(vc.lang, r.team.checked as i64))],
        ))
        .progress(r.team.score)
        .tone(score_tone(r.team.score)),
        Kpi::new(
            "violations",
            vc.t("web.kpi.violations"),
            format_int(vc.lang, r.team.violations as i64),
            r.team.violations,
        ),
    ];
    kpis.extend(trend_kpi(vc, trend));
    let bars: Vec<Bar> = r
        .managers
        .iter()
        .take(vc.rows(1))
        .map(|m| Bar {
            label: vc.name(&m.manager),
            href: vc.manager_href("/boards/hygiene", m.manager_id),
            value: m.violations as i64,
            value_text: format!("{} · {}", format_int(vc.lang, m.violations as i64), percent_text(vc.lang, m.score)),
            target: None,
            tone: score_tone(m.score),
        })
        .collect();
    let mut figures = vec![Figure {
        id: "manager-bars",
        title: vc.t("web.fig.violations_by_manager").to_string(),
        markup: charts::bar_list(vc.t("web.fig.violations_by_manager"), &bars),
        wide: false,
        note: None,
    }];
    if !trend.is_empty() {
        figures.push(trend_figure(vc, trend));
    }
    (kpis, figures)
}

/// Most managers a page of the TV's heat table shows; more are split evenly over pages.
pub const HEAT_ROWS_PER_PAGE: usize = 20;
/// Most pages the heat table takes turns over (`assets/tv-hygiene.css` has their
/// animations); past 120 managers the pages hold more rows, in smaller type.
pub const HEAT_MAX_PAGES: usize = 6;

/// The TV's heat table: managers × rules, each cell's colour the count's share
/// of its column's worst, the change since yesterday and who fixed the most this week.
pub struct Heat {
    pub rules: Vec<HeatRule>,
    /// Managers, the worst score first, in pages of at most [`HEAT_ROWS_PER_PAGE`].
    pub pages: Vec<Vec<HeatRow>>,
    pub team: HeatRow,
    /// "Smirnova A. V." and "23 fixed since 29.11", or why nobody is named.
    pub most_fixed: Option<(String, String)>,
    pub most_fixed_note: String,
    /// Why no change since yesterday shows, when it does not.
    pub no_yesterday: Option<String>,
    pub score: String,
    pub score_tone: &'static str,
}

pub struct HeatRule {
    pub key: &'static str,
    pub short: String,
    pub title: String,
}

pub struct HeatRow {
    pub manager_id: String,
    pub name: String,
    pub cells: Vec<HeatCell>,
    pub total: String,
    pub total_value: usize,
    /// "+3" / "−5" / "0" and its tone (more violations is bad); `None` when not compared.
    pub change: Option<(String, &'static str)>,
}

pub struct HeatCell {
    pub rule: &'static str,
    pub value: usize,
    pub text: String,
    /// 0 for none, then 1–4: the count's share of the column's worst, in quarters.
    pub level: u8,
}

/// How many managers each page of the heat table shows: all on one page up to
/// [`HEAT_ROWS_PER_PAGE`], else split evenly (35 → 18 and 17), never an empty page but for nobody at all.
pub fn heat_pages(managers: usize) -> Vec<usize> {
    let pages = managers.div_ceil(HEAT_ROWS_PER_PAGE).clamp(1, HEAT_MAX_PAGES);
    (0..pages).map(|i| managers / pages + usize::from(i < managers % pages)).collect()
}

/// A change written as a Russian head of sales writes it: "+3", "−5" (the minus sign), "0".
pub fn change_text(lang: Language, delta: i64) -> String {
    let n = format_int(lang, delta.abs());
    match (delta.signum(), lang) {
        (1, _) => format!("+{n}"),
        (-1, Language::Ru) => format!("\u{2212}{n}"),
        (-1, Language::En) => format!("-{n}"),
        _ => n,
    }
}

/// The tone of a change in violations: fewer is good.
fn change_tone(delta: i64) -> &'static str {
    match delta.signum() {
        1 => "bad",
        -1 => "good",
        _ => "neutral",
    }
}

/// The heat table of the hygiene report, for the TV.
pub fn hygiene_heat(vc: &ViewCtx, r: &Hygiene) -> Heat {
    use tsifra_core::reports::hygiene::Rule;
    let rules: Vec<Rule> = r.rules.iter().filter(|s| s.enabled).map(|s| s.rule).collect();
    let worst: Vec<usize> = rules
        .iter()
        .map(|rule| {
            r.managers
                .iter()
                .map(|m| m.counts.get(rule).copied().unwrap_or(0))
                .max()
                .unwrap_or(0)
        })
        .collect();
    // The team's row (`heat` false) keeps its label whole: "Весь отдел", not "Весь О.".
    let row = |m: &tsifra_core::reports::hygiene::ManagerHygiene, heat: bool| HeatRow {
        manager_id: m.manager_id.map(|id| id.to_string()).unwrap_or_default(),
        name: if heat { vc.name(&m.manager) } else { m.manager.clone() },
        cells: rules
            .iter()
            .zip(&worst)
            .map(|(rule, &worst)| {
                let value = m.counts.get(rule).copied().unwrap_or(0);
                HeatCell {
                    rule: rule.as_str(),
                    value,
                    text: format_int(vc.lang, value as i64),
                    level: if !heat || value == 0 || worst == 0 {
                        0
                    } else {
                        (value * 4).div_ceil(worst).clamp(1, 4) as u8
                    },
                }
            })
            .collect(),
        total: format_int(vc.lang, m.violations as i64),
        total_value: m.violations,
        change: m.since_yesterday.map(|d| (change_text(vc.lang, d), change_tone(d))),
    };
    let rows: Vec<HeatRow> = r.managers.iter().map(|m| row(m, true)).collect();
    let mut rest = rows.into_iter();
    let pages: Vec<Vec<HeatRow>> = heat_pages(r.managers.len())
        .into_iter()
        .map(|n| rest.by_ref().take(n).collect())
        .collect();
    let day = |d: chrono::NaiveDate| d.format("%d.%m").to_string();
    let most_fixed = r.most_fixed.as_ref().map(|m| {
        let since = r.week_baseline.map(day).unwrap_or_default();
        (
            vc.name(&m.manager),
            t_with(
                vc.lang,
                "web.hygiene.fixed_n",
                &[("n", &format_int(vc.lang, m.fixed as i64)), ("day", &since)],
            ),
        )
    });
    let most_fixed_note = match (&r.most_fixed, r.week_baseline) {
        (Some(_), _) => String::new(),
        (None, Some(_)) => vc.t("web.hygiene.nobody_fixed").to_string(),
        (None, None) => vc.t("web.hygiene.no_baseline").to_string(),
    };
    Heat {
        rules: rules
            .iter()
            .map(|rule| HeatRule {
                key: rule.as_str(),
                short: tsifra_core::i18n::text(vc.lang, &rule.short_key()).to_string(),
                title: tsifra_core::i18n::text(vc.lang, &rule.title_key()).to_string(),
            })
            .collect(),
        pages,
        team: row(&r.team, false),
        most_fixed,
        most_fixed_note,
        no_yesterday: r.yesterday.is_none().then(|| vc.t("web.hygiene.no_yesterday").to_string()),
        score: percent_text(vc.lang, r.team.score),
        score_tone: score_tone(r.team.score).class(),
    }
}

/// The hygiene board's tables as the page shows them: the per-manager table with
/// short rule heads (the full name as a tooltip) and signed changes, so it fits
/// the page; the violations list with heads that sort it on the server
/// (`sort_href(key)` links to the page sorted by `key`) and the filters' count.
pub fn dress_hygiene_tables(
    vc: &ViewCtx,
    r: &Hygiene,
    tables: &mut [crate::view::TableView],
    sort: Option<&str>,
    sort_href: impl Fn(&str) -> String,
) {
    let enabled: Vec<_> = r.rules.iter().filter(|s| s.enabled).collect();
    for table in tables.iter_mut() {
        match table.id.as_str() {
            "managers" => {
                table.class = "hygiene-counts";
                for (column, rule) in table.columns.iter_mut().skip(1).zip(&enabled) {
                    column.title = Some(column.label.clone());
                    column.label = tsifra_core::i18n::text(vc.lang, &rule.rule.short_key()).to_string();
                }
                // The change since yesterday: signed, with the minus sign.
                let change = 1 + enabled.len() + 2;
                for row in &mut table.rows {
                    if let Some(cell) = row.cells.get_mut(change)
                        && let Ok(delta) = cell.raw.parse::<i64>()
                    {
                        cell.text = change_text(vc.lang, delta);
                    }
                }
            }
            "violations" => {
                table.server_sort = true;
                let current = sort.filter(|s| !s.is_empty()).unwrap_or(tsifra_core::reports::hygiene::SORTS[0]);
                // The list's columns: rule, record, manager, days open, detail.
                let keys = ["rule", "record", "manager", "open_days", "detail"];
                for (column, key) in table.columns.iter_mut().zip(keys) {
                    // Days open: the longest first, then the newest; text: А→Я, then Я→А.
                    let (first, second) = if key == "open_days" {
                        ("open_days".to_string(), "open_days_asc".to_string())
                    } else {
                        (key.to_string(), format!("{key}_desc"))
                    };
                    let (next, sorted) = if current == first {
                        (second, Some(if key == "open_days" { "descending" } else { "ascending" }))
                    } else if current == second {
                        (first, Some(if key == "open_days" { "ascending" } else { "descending" }))
                    } else {
                        (first, None)
                    };
                    column.sort_href = Some(sort_href(&next));
                    column.sorted = sorted;
                }
                if r.violations.len() < r.violations_total {
                    table.notes.push(t_with(
                        vc.lang,
                        "web.hygiene.filtered",
                        &[
                            ("shown", &format_int(vc.lang, r.violations.len() as i64)),
                            ("total", &format_int(vc.lang, r.violations_total as i64)),
                        ],
                    ));
                }
            }
            _ => {}
        }
    }
}

fn call_priority(vc: &ViewCtx, r: &CallPriority) -> (Vec<Kpi>, Vec<Figure>) {
    let companies: usize = r.managers.iter().map(|m| m.companies.len()).sum();
    let never = r.managers.iter().flat_map(|m| &m.companies).filter(|c| c.never_contacted).count();
    let kpis = vec![
        Kpi::new(
            "companies",
            vc.t("web.kpi.to_call"),
            format_int(vc.lang, companies as i64),
            companies,
        )
        .detail(count(vc.lang, r.managers.len() as i64, MANAGERS.0, MANAGERS.1)),
        Kpi::new("never", vc.t("web.kpi.never_contacted"), format_int(vc.lang, never as i64), never),
    ];
    let mut figures = Vec::new();
    if vc.tv {
        // Who calls whom first: the top company of each manager.
        let mut list = String::from("<ol class=\"next-calls\">");
        for m in r.managers.iter().take(vc.rows(1)) {
            if let Some(c) = m.companies.first() {
                let _ = write!(
                    list,
                    "<li><span class=\"who\">{}</span><span class=\"what\">{}</span><span class=\"why\">{}</span></li>",
                    esc(&vc.name(&m.manager)),
                    esc(&c.company),
                    esc(&c.why)
                );
            }
        }
        list.push_str("</ol>");
        figures.push(Figure {
            id: "next-calls",
            title: vc.t("web.fig.next_calls").to_string(),
            markup: list,
            wide: true,
            note: None,
        });
    } else {
        figures.push(call_lists(vc, r));
    }
    (kpis, figures)
}

/// The two lists as tabs: the clients who bought (the default) and the companies
/// that never did, each with how many qualify, and what orders the list shown.
fn call_lists(vc: &ViewCtx, r: &CallPriority) -> Figure {
    let manager = vc.manager.map(|m| m.to_string()).unwrap_or_default();
    let as_of = vc.as_of_requested.unwrap_or("");
    let path = "/boards/call-priority";
    let tabs = [
        (
            false,
            "clients",
            "web.call.clients",
            r.clients_total,
            href(path, &[("as_of", as_of), ("manager", &manager)]),
        ),
        (
            true,
            "prospects",
            "web.call.prospects",
            r.prospects_total,
            href(path, &[("as_of", as_of), ("manager", &manager), ("prospects", "1")]),
        ),
    ];
    let mut markup = format!("<nav class=\"call-tabs\" aria-label=\"{}\">", esc(vc.t("web.fig.call_lists")));
    for (prospects, id, key, n, link) in tabs {
        let current = if prospects == r.prospects { " aria-current=\"page\"" } else { "" };
        let _ = write!(
            markup,
            "<a href=\"{}\" data-list=\"{id}\"{current}>{} <span class=\"count\">{}</span></a>",
            esc(&link),
            esc(vc.t(key)),
            format_int(vc.lang, n as i64)
        );
    }
    markup.push_str("</nav>");
    let note = if r.prospects {
        "web.call.prospects_note"
    } else {
        "web.call.clients_note"
    };
    Figure {
        id: "call-lists",
        title: vc.t("web.fig.call_lists").to_string(),
        markup,
        wide: true,
        note: Some(t_with(vc.lang, note, &[("days", &r.lookback_days.to_string())])),
    }
}

fn receivables(vc: &ViewCtx, r: &Receivables) -> (Vec<Kpi>, Vec<Figure>) {
    let over_90 = r.buckets.iter().find(|b| b.to_days.is_none());
    let due_soon = tsifra_core::money::sum_minor(r.due_soon.iter().map(|p| p.outstanding));
    let mut kpis = vec![
        overdue_kpi(vc, r),
        Kpi::new(
            "over_90",
            vc.t("web.kpi.over_90"),
            vc.money(over_90.map_or(0, |b| b.amount)),
            over_90.map_or(0, |b| b.amount),
        )
        .tone(if over_90.is_some_and(|b| b.amount > 0) {
            Tone::Bad
        } else {
            Tone::Good
        }),
        Kpi::new("due_soon", vc.t("receivables.due_soon"), vc.money(due_soon), due_soon).detail(t_with(
            vc.lang,
            "web.kpi.due_soon_detail",
            &[
                ("n", &count(vc.lang, r.due_soon.len() as i64, PAYMENTS.0, PAYMENTS.1)),
                ("days", &r.due_soon_days.to_string()),
            ],
        )),
    ];
    if !vc.tv {
        kpis.push(Kpi::new(
            "no_due_date",
            vc.t("receivables.no_due_date"),
            format_int(vc.lang, r.without_due_date.len() as i64),
            r.without_due_date.len(),
        ));
    }
    let tones = [Tone::Warn, Tone::Warn, Tone::Bad, Tone::Bad];
    let cols: Vec<Column> = r
        .buckets
        .iter()
        .zip(tones)
        .map(|(b, tone)| Column {
            label: t_with(vc.lang, "web.fig.days", &[("range", &b.label.replace('-', "–"))]),
            value: b.amount,
            value_text: crate::view::compact_money(vc.lang, vc.currency, b.amount),
            tone,
        })
        .collect();
    let mut figures = vec![Figure {
        id: "aging",
        title: vc.t("receivables.aging").to_string(),
        markup: charts::columns_titled(
            vc.t("receivables.aging"),
            &cols,
            &cols
                .iter()
                .map(|c| format!("{}: {}", c.label, exact_money(vc.lang, vc.currency, c.value)))
                .collect::<Vec<_>>(),
        ),
        wide: false,
        note: None,
    }];
    if vc.tv {
        let bars: Vec<Bar> = r
            .companies
            .iter()
            .take(6)
            .map(|d| Bar {
                label: d.label(),
                href: None,
                value: d.owed,
                value_text: format!(
                    "{} · {}",
                    crate::view::compact_money(vc.lang, vc.currency, d.owed),
                    t_with(vc.lang, "web.fig.days_overdue", &[("n", &d.max_days_overdue.to_string())])
                ),
                target: None,
                tone: if d.max_days_overdue > 90 { Tone::Bad } else { Tone::Warn },
            })
            .collect();
        figures.push(Figure {
            id: "top-debtors",
            title: vc.t("web.fig.top_debtors").to_string(),
            markup: charts::bar_list(vc.t("web.fig.top_debtors"), &bars),
            wide: false,
            note: None,
        });
    }
    (kpis, figures)
}

fn funnel(vc: &ViewCtx, r: &Funnel) -> (Vec<Kpi>, Vec<Figure>) {
    let count = |n: u32| format_int(vc.lang, n as i64);
    let kpis = r
        .pipelines
        .iter()
        .map(|p| {
            let mut detail = t_with(
                vc.lang,
                "web.kpi.funnel_detail",
                &[("entered", &count(p.entered)), ("won", &count(p.won)), ("lost", &count(p.lost))],
            );
            if p.handed_over > 0 {
                detail.push_str(&t_with(vc.lang, "web.kpi.funnel_handed", &[("n", &count(p.handed_over))]));
            }
            Kpi::new(
                format!("conversion.{}", p.pipeline_id),
                t_with(vc.lang, "web.kpi.funnel_conversion", &[("pipeline", &p.pipeline)]),
                percent_text(vc.lang, p.conversion_to_won),
                p.conversion_to_won.map_or(String::new(), json_number),
            )
            .detail(detail)
            .progress(p.conversion_to_won)
        })
        .collect();
    // The pipelines side by side.
    let mut markup = String::from("<div class=\"funnels\">");
    for p in &r.pipelines {
        let steps: Vec<Column> = p
            .stages
            .iter()
            .map(|s| Column {
                label: s.stage.clone(),
                value: s.entered as i64,
                value_text: match s.conversion_from_previous {
                    Some(c) => format!("{} · {}", count(s.entered), percent_text(vc.lang, Some(c))),
                    None => count(s.entered),
                },
                tone: match s.kind {
                    StageKind::Won => Tone::Good,
                    _ => Tone::Neutral,
                },
            })
            .collect();
        markup.push_str(&charts::funnel(vc.t("web.fig.funnel"), &p.pipeline, &steps));
    }
    markup.push_str("</div>");
    let mut figures = vec![Figure {
        id: "funnel",
        title: format!("{} · {}", vc.t("web.fig.funnel"), r.period_label),
        markup,
        wide: true,
        note: (!vc.tv).then(|| vc.t("web.fig.funnel_note").to_string()),
    }];
    if vc.tv {
        // What reads from across the room: the funnels alone.
        return (kpis, figures);
    }
    // Loss reasons over the pipelines shown: a deal is lost in one pipeline only.
    let mut reasons: Vec<(String, u32)> = Vec::new();
    for l in r.pipelines.iter().flat_map(|p| &p.lost_by_reason) {
        match reasons.iter_mut().find(|(label, _)| *label == l.label) {
            Some((_, n)) => *n += l.count,
            None => reasons.push((l.label.clone(), l.count)),
        }
    }
    reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let lost: u32 = reasons.iter().map(|(_, n)| n).sum();
    let bars: Vec<Bar> = reasons
        .iter()
        .map(|(label, n)| Bar {
            label: label.clone(),
            href: None,
            value: *n as i64,
            value_text: format!("{} · {}", count(*n), percent_text(vc.lang, percent(*n as i64, lost as i64))),
            target: None,
            tone: Tone::Bad,
        })
        .collect();
    figures.push(Figure {
        id: "loss-reasons",
        title: vc.t("funnel.lost_by_reason").to_string(),
        markup: charts::bar_list(vc.t("funnel.lost_by_reason"), &bars),
        wide: false,
        note: None,
    });
    (kpis, figures)
}

/// Receivables overdue as a headline figure.
pub fn overdue_kpi(vc: &ViewCtx, r: &Receivables) -> Kpi {
    Kpi::new(
        "total_overdue",
        vc.t("receivables.total"),
        vc.money(r.total_overdue),
        r.total_overdue,
    )
    .detail(count(vc.lang, r.companies.len() as i64, DEBTORS.0, DEBTORS.1))
    .tone(if r.total_overdue > 0 { Tone::Warn } else { Tone::Good })
}

/// "20.11.2026 15:00": the instant the figures are for, in the business zone.
pub fn stamp(lang: Language, calendar: &tsifra_core::BusinessCalendar, at: tsifra_core::Instant) -> String {
    let local = calendar.local_time(at);
    format!("{} {}", format_date(lang, local.date_naive()), local.format("%H:%M"))
}

/// Exact money, for tooltips and details where the compact form is shown.
pub fn exact_money(lang: Language, currency: &str, minor: i64) -> String {
    format_money(lang, currency, Money(minor))
}

/// Nouns counted on the boards, in Russian's three forms and English's two: "15 платежей".
pub const MANAGERS: ([&str; 3], [&str; 2]) = (["менеджер", "менеджера", "менеджеров"], ["manager", "managers"]);
pub const PAYMENTS: ([&str; 3], [&str; 2]) = (["платёж", "платежа", "платежей"], ["payment", "payments"]);
pub const DEBTORS: ([&str; 3], [&str; 2]) = (["должник", "должника", "должников"], ["debtor", "debtors"]);
pub const VIOLATIONS: ([&str; 3], [&str; 2]) = (["нарушение", "нарушения", "нарушений"], ["violation", "violations"]);
pub const RECORDS: ([&str; 3], [&str; 2]) = (["запись", "записи", "записей"], ["record", "records"]);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_pages_split_evenly_and_fit_twenty() {
        assert_eq!(heat_pages(0), vec![0]);
        assert_eq!(heat_pages(12), vec![12]);
        assert_eq!(heat_pages(20), vec![20], "twenty managers fit one screen");
        assert_eq!(heat_pages(21), vec![11, 10]);
        assert_eq!(heat_pages(35), vec![18, 17]);
        // Past six pages the pages hold more rather than take longer to come round.
        assert_eq!(heat_pages(200).len(), HEAT_MAX_PAGES);
        assert_eq!(heat_pages(200).iter().sum::<usize>(), 200);
    }

    #[test]
    fn changes_are_signed_with_the_minus_sign() {
        assert_eq!(change_text(Language::Ru, 3), "+3");
        assert_eq!(change_text(Language::Ru, -5), "\u{2212}5");
        assert_eq!(change_text(Language::Ru, -1234), "\u{2212}1\u{a0}234");
        assert_eq!(change_text(Language::En, -5), "-5");
        assert_eq!(change_text(Language::Ru, 0), "0");
    }
}
