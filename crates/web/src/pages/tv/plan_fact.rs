//! The TV's plan-fact slide: today and this week per manager (plan, fact, the
//! difference in money the floor reads, and % done), the team's totals on top,
//! and the month per manager on the slide's last page. Every figure is the
//! plan-fact report's (`tsifra_core::reports::plan_fact`), as on the board,
//! the API and the CLI; this module only lays it out for a room.
//!
//! A floor too big for one screen is paged: up to [`ROWS_PER_PAGE`] managers a
//! page (20 people make two pages of 10), the pages turning within the
//! slide's time (`assets/tv.js`), so no row is ever cut off or scrolled.

use askama::Template;
use tsifra_core::calendar::{Period, PeriodKind};
use tsifra_core::i18n::{format_days, format_int};
use tsifra_core::model::Metric;
use tsifra_core::reports::plan_fact::{PlanFact, PlanFactPeriod, PlanFactRow};
use tsifra_core::{Id, Language};

use crate::texts::{t, t_with};
use crate::view::{Kpi, metric_compact, metric_value, short_name};

/// The most managers one page shows; readable from 4 m on a 55″ panel at 1080p.
pub const ROWS_PER_PAGE: usize = 12;

/// One figure of the table: its text, the report's raw number (empty when
/// there is none) and how it is coloured.
pub struct Cell {
    pub col: &'static str,
    pub text: String,
    pub raw: String,
    pub class: &'static str,
}

pub struct Row {
    pub id: Id,
    pub name: String,
    /// Left the company (greyed), shown because he sold in one of the page's periods.
    pub gone: bool,
    /// Plan, fact, difference and % for each of the page's periods.
    pub groups: Vec<Vec<Cell>>,
}

/// A period heading a column group: its words and its key for the tests ("today", "week", "month").
pub struct Group {
    pub key: &'static str,
    pub label: String,
}

/// One screenful: today and this week for up to [`ROWS_PER_PAGE`] managers, or the month.
pub struct Page {
    /// "Менеджер", or "1–10 из 20" when the floor takes several pages.
    pub caption: String,
    pub groups: Vec<Group>,
    pub rows: Vec<Row>,
    pub note: Option<String>,
}

#[derive(Template)]
#[template(path = "tv_plan_fact.html")]
pub struct PlanFactSlide {
    pub lang: Language,
    pub slug: &'static str,
    pub title: String,
    pub who: Option<String>,
    pub stamp: String,
    pub kpis: Vec<Kpi>,
    pub pages: Vec<Page>,
}

impl PlanFactSlide {
    pub fn t(&self, key: &str) -> &'static str {
        t(self.lang, key)
    }

    pub fn page_count(&self) -> usize {
        self.pages.len()
    }
}

/// What the slide shares with every other: its board, title, manager, stamp and headline figures.
pub struct Head {
    pub slug: &'static str,
    pub title: String,
    pub who: Option<String>,
    pub stamp: String,
    pub kpis: Vec<Kpi>,
}

/// The slide's HTML fragment.
pub fn render(lang: Language, currency: &str, head: Head, report: &PlanFact) -> Result<String, crate::error::AppError> {
    Ok(PlanFactSlide {
        lang,
        slug: head.slug,
        title: head.title,
        who: head.who,
        stamp: head.stamp,
        kpis: head.kpis,
        pages: pages(lang, currency, report),
    }
    .render()?)
}

/// How many pages `n` managers take and how many go on each: as few pages as
/// fit, shared evenly (20 → 2 × 10, 25 → 3 × 9), never an empty one.
pub fn paging(n: usize) -> (usize, usize) {
    let pages = n.div_ceil(ROWS_PER_PAGE).max(1);
    (pages, n.div_ceil(pages).max(1))
}

/// "Сегодня, 20 ноября" / "Today, Nov 20".
fn today_label(lang: Language, period: &Period) -> String {
    use chrono::Datelike;
    let day = period.start;
    let date = match lang {
        Language::Ru => format!("{}\u{a0}{}", day.day(), tsifra_core::i18n::MONTHS_GENITIVE[day.month0() as usize]),
        Language::En => day.format("%b %-d").to_string(),
    };
    t_with(lang, "web.tv.pf.today", &[("date", &date)])
}

/// A difference as the floor reads it: "−12 500 ₽" with the minus sign, "+4 000 ₽", "0 ₽".
pub fn signed(lang: Language, currency: &str, metric: Metric, value: i64) -> String {
    let sign = match value.signum() {
        1 => "+",
        -1 => "\u{2212}",
        _ => "",
    };
    format!("{sign}{}", self::value(lang, currency, metric, value.saturating_abs()))
}

/// A value as the TV writes it: exact ("1 549 000 ₽"), and shortened only from
/// ten million on ("12,3 млн ₽"), where the exact one no longer fits its column.
pub fn value(lang: Language, currency: &str, metric: Metric, v: i64) -> String {
    if metric.is_money() && v.unsigned_abs() >= 1_000_000_000 {
        metric_compact(lang, currency, metric, v)
    } else {
        metric_value(lang, currency, metric, v)
    }
}

/// % done in whole percent, as a room reads it: "317 %", "0 %".
pub fn whole_percent(lang: Language, p: f64) -> String {
    let n = format_int(lang, p.round() as i64);
    match lang {
        Language::Ru => format!("{n}\u{a0}%"),
        Language::En => format!("{n}%"),
    }
}

/// Plan, fact, difference and % of one manager in one period (`None`: not in
/// the period's rows, i.e. no plan and nothing sold). Without a plan: the plan
/// "—", the fact, "без плана" where the difference goes, and no % (never 0 % or ∞).
fn cells(lang: Language, currency: &str, metric: Metric, row: Option<&PlanFactRow>) -> Vec<Cell> {
    let value = |v: i64| value(lang, currency, metric, v);
    let plan = row.and_then(|r| r.plan);
    let partial = row.is_some_and(|r| r.plan_covers.is_some());
    let fact = row.map_or(0, |r| r.fact);
    let none = || ("—".to_string(), String::new(), "none");
    let (plan_text, plan_raw, plan_class) = match plan {
        Some(p) => (format!("{}{}", value(p), if partial { "*" } else { "" }), p.to_string(), ""),
        None => none(),
    };
    let (diff_text, diff_raw, diff_class) = match (plan, row.and_then(|r| r.difference)) {
        (Some(_), Some(d)) => (signed(lang, currency, metric, d), d.to_string(), if d < 0 { "bad" } else { "good" }),
        (None, _) => (t(lang, "web.tv.pf.no_plan").to_string(), String::new(), "none no-plan"),
        (Some(_), None) => none(),
    };
    let (pct_text, pct_raw, pct_class) = match (plan, row.and_then(|r| r.percent_done)) {
        (None, _) => (String::new(), String::new(), "none"),
        (Some(_), Some(p)) => (
            whole_percent(lang, p),
            crate::view::json_number(p),
            if p >= 100.0 { "good" } else { "" },
        ),
        (Some(_), None) => none(),
    };
    vec![
        Cell {
            col: "plan",
            text: plan_text,
            raw: plan_raw,
            class: plan_class,
        },
        Cell {
            col: "fact",
            text: value(fact),
            raw: fact.to_string(),
            class: "",
        },
        Cell {
            col: "diff",
            text: diff_text,
            raw: diff_raw,
            class: diff_class,
        },
        Cell {
            col: "pct",
            text: pct_text,
            raw: pct_raw,
            class: pct_class,
        },
    ]
}

/// "Ноябрь 2026" / "November 2026".
fn month_label(lang: Language, period: &Period) -> String {
    use chrono::Datelike;
    const NOMINATIVE: [&str; 12] = [
        "Январь",
        "Февраль",
        "Март",
        "Апрель",
        "Май",
        "Июнь",
        "Июль",
        "Август",
        "Сентябрь",
        "Октябрь",
        "Ноябрь",
        "Декабрь",
    ];
    match lang {
        Language::Ru => format!("{} {}", NOMINATIVE[period.start.month0() as usize], period.start.year()),
        Language::En => period.start.format("%B %Y").to_string(),
    }
}

/// The managers of some periods, in the last period's order (most sold first):
/// everyone still working, and one who left only while he has a fact in one of them.
pub fn rows(lang: Language, currency: &str, metric: Metric, periods: &[&PlanFactPeriod]) -> Vec<Row> {
    let mut order: Vec<Id> = Vec::new();
    for p in periods.iter().rev() {
        for id in p.rows.iter().filter_map(|r| r.manager_id) {
            if !order.contains(&id) {
                order.push(id);
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| {
            let found: Vec<Option<&PlanFactRow>> = periods.iter().map(|p| p.rows.iter().find(|r| r.manager_id == Some(id))).collect();
            let any = found.iter().flatten().next()?;
            let sold = found.iter().flatten().any(|r| r.fact_whole_period() != 0);
            (any.active || sold).then(|| Row {
                id,
                name: short_name(&any.manager),
                gone: !any.active,
                groups: found.iter().map(|r| cells(lang, currency, metric, *r)).collect(),
            })
        })
        .collect()
}

/// The slide's pages: today and this week per manager, then the month, each
/// paged to at most [`ROWS_PER_PAGE`] managers.
pub fn pages(lang: Language, currency: &str, report: &PlanFact) -> Vec<Page> {
    let period = |kind: PeriodKind| report.periods.iter().find(|p| p.kind == kind);
    let mut out = Vec::new();
    let (day, week, month) = (period(PeriodKind::Day), period(PeriodKind::Week), period(PeriodKind::Month));
    if let (Some(day), Some(week)) = (day, week) {
        let groups = || {
            vec![
                Group {
                    key: "today",
                    label: today_label(lang, &day.period),
                },
                Group {
                    key: "week",
                    label: t_with(lang, "web.tv.pf.week", &[("days", &format_days(lang, &week.period))]),
                },
            ]
        };
        let note = week
            .rows
            .iter()
            .chain([&week.total])
            .find_map(|r| r.plan_covers)
            .map(|c| t_with(lang, "web.tv.pf.partial", &[("days", &format_days(lang, &c.days))]));
        paged(lang, rows(lang, currency, report.metric, &[day, week]), groups, note, &mut out);
    }
    if let Some(month) = month {
        let groups = || {
            vec![Group {
                key: "month",
                label: month_label(lang, &month.period),
            }]
        };
        paged(lang, rows(lang, currency, report.metric, &[month]), groups, None, &mut out);
    }
    out
}

/// `rows` split into pages of an even size.
fn paged(lang: Language, rows: Vec<Row>, groups: impl Fn() -> Vec<Group>, note: Option<String>, out: &mut Vec<Page>) {
    let n = rows.len();
    let (pages, per) = paging(n);
    let mut rest = rows.into_iter();
    for k in 0..pages {
        let rows: Vec<Row> = rest.by_ref().take(per).collect();
        let caption = if pages > 1 {
            t_with(
                lang,
                "web.tv.pf.managers_of",
                &[
                    ("from", &(k * per + 1).to_string()),
                    ("to", &(k * per + rows.len()).to_string()),
                    ("n", &n.to_string()),
                ],
            )
        } else {
            t(lang, "web.tv.pf.manager").to_string()
        };
        out.push(Page {
            caption,
            groups: groups(),
            rows,
            note: note.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_floor_pages_evenly_and_never_empty() {
        assert_eq!(paging(0), (1, 1));
        assert_eq!(paging(1), (1, 1));
        assert_eq!(paging(12), (1, 12));
        assert_eq!(paging(13), (2, 7));
        assert_eq!(paging(20), (2, 10));
        assert_eq!(paging(25), (3, 9));
        for n in 1..=60 {
            let (pages, per) = paging(n);
            assert!(per <= ROWS_PER_PAGE && pages * per >= n && (pages - 1) * per < n, "{n}");
        }
    }

    #[test]
    fn differences_and_percents_as_the_floor_reads_them() {
        let ru = |v| signed(Language::Ru, "RUB", Metric::Revenue, v);
        assert_eq!(ru(-1_250_000), "\u{2212}12\u{a0}500\u{a0}₽");
        assert_eq!(ru(400_000), "+4\u{a0}000\u{a0}₽");
        assert_eq!(ru(0), "0\u{a0}₽");
        assert_eq!(signed(Language::Ru, "RUB", Metric::WonDeals, -3), "\u{2212}3");
        assert_eq!(signed(Language::En, "USD", Metric::Revenue, -1_250_000), "\u{2212}$12,500");
        // Ten million and more no longer fits its column: shortened.
        assert_eq!(ru(-1_234_567_800), "\u{2212}12,3\u{a0}млн\u{a0}₽");
        assert_eq!(whole_percent(Language::Ru, 317.46), "317\u{a0}%");
        assert_eq!(whole_percent(Language::En, 99.5), "100%");
    }

    #[test]
    fn today_and_the_month_are_written_as_people_say_them() {
        let day = Period::containing(PeriodKind::Day, chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!(today_label(Language::Ru, &day), "Сегодня, 30\u{a0}ноября");
        assert_eq!(today_label(Language::En, &day), "Today, Nov 30");
        let month = Period::containing(PeriodKind::Month, day.start);
        assert_eq!(month_label(Language::Ru, &month), "Ноябрь 2026");
        assert_eq!(month_label(Language::En, &month), "November 2026");
    }
}
