//! Every report as titled tables of typed cells: the one shape the CLI table,
//! CSV, XLSX and the pages' tables are all drawn from, so they show the same
//! numbers. Cells keep raw values; formatting happens at the edge per locale.

use chrono::NaiveDate;
use serde::Serialize;

use super::Report;
use super::plan_fact::{PlanFact, PlanFactRow};
use crate::calendar::{BusinessCalendar, Instant, PeriodKind};
use crate::i18n::{Language, format_date, format_int, format_money, format_percent, printable, text};
use crate::model::Metric;
use crate::money::Money;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Cell {
    Empty,
    Text(String),
    Int(i64),
    /// Minor units.
    Money(i64),
    Percent(f64),
    /// A number with one decimal (days).
    Decimal(f64),
    Date(NaiveDate),
    Instant(Instant),
    Link {
        text: String,
        url: String,
    },
}

impl Cell {
    fn money_or_count(metric: Metric, value: i64) -> Cell {
        if metric.is_money() { Cell::Money(value) } else { Cell::Int(value) }
    }
    fn opt(value: Option<Cell>) -> Cell {
        value.unwrap_or(Cell::Empty)
    }
    fn link(text: String, url: Option<String>) -> Cell {
        match url {
            Some(url) => Cell::Link { text, url },
            None => Cell::Text(text),
        }
    }

    /// For people: grouped digits, currency, local dates.
    pub fn display(&self, lang: Language, currency: &str, cal: &BusinessCalendar) -> String {
        match self {
            Cell::Empty => "—".into(),
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => format_int(lang, *n),
            Cell::Money(m) => format_money(lang, currency, Money(*m)),
            Cell::Percent(p) => format_percent(lang, *p),
            Cell::Decimal(d) => crate::i18n::format_decimal(lang, *d),
            Cell::Date(d) => format_date(lang, *d),
            Cell::Instant(t) => {
                let local = cal.local_time(*t);
                format!("{} {}", format_date(lang, local.date_naive()), local.format("%H:%M"))
            }
            Cell::Link { text, .. } => text.clone(),
        }
    }

    /// For machines (CSV, XLSX): plain numbers with a dot, ISO dates, money in major units.
    pub fn raw(&self, cal: &BusinessCalendar) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Money(m) => Money(*m).to_decimal().to_string(),
            Cell::Percent(p) | Cell::Decimal(p) => format!("{p:.1}"),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Instant(t) => cal.local_time(*t).format("%Y-%m-%dT%H:%M:%S%:z").to_string(),
            Cell::Link { text, .. } => text.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Table {
    /// A stable id for file names and page anchors: "month", "violations"...
    pub id: String,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Lines shown under the table (e.g. "default margin of 30% assumed").
    pub notes: Vec<String>,
}

fn t(lang: Language, key: &str) -> String {
    text(lang, key).to_string()
}

/// One note per part of the period that plans cover only in part, naming
/// whose rows compare over it ("plan covers 1 of 5 working days"), with the
/// team's fact over the whole period beside it.
fn partial_plan_notes(p: &super::plan_fact::PlanFactPeriod, metric: Metric, lang: Language, currency: &str) -> Vec<String> {
    let all_rows: Vec<&PlanFactRow> = p.rows.iter().chain([&p.total]).collect();
    let mut parts: Vec<(super::plan_fact::PlanCoverage, Vec<&PlanFactRow>)> = Vec::new();
    for row in &all_rows {
        let Some(c) = row.plan_covers else { continue };
        match parts.iter_mut().find(|(pc, _)| pc.days == c.days) {
            Some((_, rows)) => rows.push(row),
            None => parts.push((c, vec![row])),
        }
    }
    parts
        .into_iter()
        .map(|(c, rows)| {
            let who = if rows.len() == all_rows.len() {
                t(lang, "plan_fact.all_rows")
            } else {
                rows.iter().map(|r| r.manager.as_str()).collect::<Vec<_>>().join(", ")
            };
            let mut note = crate::i18n::text_with(
                lang,
                "plan_fact.partial_plan",
                &[
                    ("covered", &c.working_days.to_string()),
                    ("days", &c.of_working_days.to_string()),
                    ("dates", &crate::i18n::format_days(lang, &c.days)),
                    ("who", &who),
                ],
            );
            if rows.iter().any(|r| r.manager_id.is_none()) {
                let fact = p.total.fact_whole_period();
                let fact = if metric.is_money() {
                    format_money(lang, currency, Money(fact))
                } else {
                    format_int(lang, fact)
                };
                note.push_str(&crate::i18n::text_with(
                    lang,
                    "plan_fact.whole_period_fact",
                    &[("who", &p.total.manager), ("fact", &fact)],
                ));
            }
            note
        })
        .collect()
}

/// The report as tables, titled and headed in `lang`.
/// The report as tables, titled and headed in `lang`: each report's own, through its registration.
pub fn tables(report: &Report, lang: Language, currency: &str) -> Vec<Table> {
    report.tables(lang, currency)
}

/// Plan-fact: a table per period (today, this week, this month, or the one asked for), with its teams' below.
pub fn plan_fact(r: &PlanFact, lang: Language, currency: &str) -> Vec<Table> {
    let metric = r.metric;
    r.periods
        .iter()
        .flat_map(|p| {
            let key = match p.kind {
                PeriodKind::Day => "period.today",
                PeriodKind::Week => "period.week",
                _ => "period.month",
            };
            let row = |r: &PlanFactRow, compared: Option<&super::compare::ComparedRow>| {
                let mut cells = vec![
                    Cell::Text(r.manager.clone()),
                    Cell::opt(r.plan.map(|v| Cell::money_or_count(metric, v))),
                    Cell::money_or_count(metric, r.fact),
                    Cell::opt(r.difference.map(|v| Cell::money_or_count(metric, v))),
                    Cell::opt(r.percent_done.map(Cell::Percent)),
                    Cell::opt(r.projection.map(|v| Cell::money_or_count(metric, v))),
                ];
                // Comparing: the compared period's fact, the change and the change in %.
                if p.comparison.is_some() {
                    cells.extend(compared_cells(compared, metric));
                }
                cells
            };
            let cmp = p.comparison.as_ref();
            let mut rows: Vec<Vec<Cell>> = p.rows.iter().map(|r| row(r, cmp.and_then(|c| c.row(r.manager_id)))).collect();
            rows.push(row(&p.total, cmp.map(|c| &c.total)));
            let id: String = match (&p.label, p.kind) {
                (Some(_), _) => "period".into(),
                (None, PeriodKind::Day) => "today".into(),
                (None, PeriodKind::Week) => "week".into(),
                (None, _) => "month".into(),
            };
            let title = match &p.label {
                Some(label) => format!("{} · {label}", t(lang, "period.asked")),
                // "Сегодня, 20 ноября", "Эта неделя · 16.11–22.11", "Этот месяц · ноябрь 2026".
                None => match p.kind {
                    PeriodKind::Day => format!("{}, {}", t(lang, key), crate::i18n::format_day_month(lang, p.period.start)),
                    PeriodKind::Week => format!("{} · {}", t(lang, key), crate::i18n::format_days(lang, &p.period)),
                    _ => format!("{} · {}", t(lang, key), p.period.label(lang)),
                },
            };
            let columns = |first: &str| -> Vec<String> {
                let mut columns: Vec<String> = [
                    first,
                    "col.plan",
                    "col.fact",
                    "col.difference",
                    "col.percent_done",
                    "col.projection",
                ]
                .iter()
                .map(|k| t(lang, k))
                .collect();
                columns.extend(cmp.into_iter().flat_map(|c| c.columns(lang)));
                columns
            };
            // Teams (amoCRM groups) rolled up, under the managers' table.
            let teams = (!p.teams.is_empty()).then(|| Table {
                id: format!("{id}-teams"),
                title: format!("{title} · {}", t(lang, "plan_fact.by_team")),
                columns: columns("col.team"),
                rows: p.teams.iter().map(|r| row(r, cmp.and_then(|c| c.team_named(&r.manager)))).collect(),
                notes: vec![],
            });
            let main = Table {
                id,
                title,
                columns: columns("col.manager"),
                rows,
                notes: [format!(
                    "{}: {}",
                    t(lang, "col.metric"),
                    t(lang, &format!("metric.{}", r.metric.as_str()))
                )]
                .into_iter()
                .chain(partial_plan_notes(p, r.metric, lang, currency))
                .collect(),
            };
            std::iter::once(main).chain(teams)
        })
        .collect()
}

/// The leaderboard's ranking, and its teams' below; comparing, the compared
/// period's value and the change beside each row, and a total row.
pub fn leaderboard(r: &super::leaderboard::Leaderboard, lang: Language, _currency: &str) -> Vec<Table> {
    let m = r.metric;
    let cmp = r.comparison.as_ref();
    let compared = |c: Option<&super::compare::ComparedRow>| -> Vec<Cell> {
        match cmp {
            Some(_) => compared_cells(c, m).to_vec(),
            None => Vec::new(),
        }
    };
    let mut rows: Vec<Vec<Cell>> = r
        .rows
        .iter()
        .map(|row| {
            let mut cells = vec![
                Cell::Int(row.place as i64),
                Cell::Text(row.manager.clone()),
                Cell::money_or_count(m, row.value),
                Cell::Int(row.won_count as i64),
                Cell::opt(row.average_check.map(Cell::Money)),
                Cell::opt(row.gap_to_next_place.map(|g| Cell::money_or_count(m, g))),
            ];
            cells.extend(compared(cmp.and_then(|c| c.row(Some(row.manager_id)))));
            cells
        })
        .collect();
    if let Some(c) = cmp {
        let won: u32 = r.rows.iter().map(|x| x.won_count).sum();
        let revenue: i64 = r.rows.iter().map(|x| x.revenue).sum();
        let mut total = vec![
            Cell::Empty,
            Cell::Text(c.total.name.clone()),
            Cell::money_or_count(m, c.total.fact),
            Cell::Int(won as i64),
            Cell::opt(super::ratio(revenue, won as i64).map(Cell::Money)),
            Cell::Empty,
        ];
        total.extend(compared(Some(&c.total)));
        rows.push(total);
    }
    let extra_columns: Vec<String> = cmp.into_iter().flat_map(|c| c.columns(lang)).collect();
    let mut notes = vec![format!("{}: {}", t(lang, "col.metric"), t(lang, &format!("metric.{}", m.as_str())))];
    if let Some(w) = &r.last_month_winner {
        notes.push(format!("{} ({}): {}", t(lang, r.last_winner_key()), r.last_month_label, w.manager));
    }
    notes.extend(r.margin_basis.clone());
    if r.default_margin_used {
        notes.push(format!(
            "{} {}",
            t(lang, "leaderboard.default_margin"),
            crate::i18n::format_whole_percent(lang, i64::from(r.default_margin_percent))
        ));
    }
    notes.extend(r.margin_field_problem.clone());
    let title = format!("{} · {}", t(lang, "report.leaderboard"), r.period_label);
    let mut tables = vec![Table {
        id: "leaderboard".into(),
        title: title.clone(),
        columns: ["col.place", "col.manager", "col.value", "col.won", "col.average_check", "col.gap"]
            .iter()
            .map(|k| t(lang, k))
            .chain(extra_columns.iter().cloned())
            .collect(),
        rows,
        notes,
    }];
    // Teams (amoCRM groups) rolled up, under the managers' table.
    if !r.teams.is_empty() {
        tables.push(Table {
            id: "leaderboard-teams".into(),
            title: format!("{title} · {}", t(lang, "plan_fact.by_team")),
            columns: ["col.place", "col.team", "col.managers", "col.value", "col.won", "col.average_check"]
                .iter()
                .map(|k| t(lang, k))
                .chain(extra_columns.iter().cloned())
                .collect(),
            rows: r
                .teams
                .iter()
                .enumerate()
                .map(|(i, team)| {
                    let mut cells = vec![
                        Cell::Int(i as i64 + 1),
                        Cell::Text(team.team.clone()),
                        Cell::Int(team.managers as i64),
                        Cell::money_or_count(m, team.value),
                        Cell::Int(team.won_count as i64),
                        Cell::opt(team.average_check.map(Cell::Money)),
                    ];
                    cells.extend(compared(cmp.and_then(|c| c.team(team.team_id))));
                    cells
                })
                .collect(),
            notes: vec![],
        });
    }
    tables
}

/// The compared period's fact, the change and the change in % (empty cells for a row the comparison lacks).
fn compared_cells(row: Option<&super::compare::ComparedRow>, metric: Metric) -> [Cell; 3] {
    match row {
        Some(r) => r.cells(metric),
        None => [Cell::Empty, Cell::Empty, Cell::Empty],
    }
}

/// Hygiene: counts per manager and rule, then every violation.
pub fn hygiene(r: &super::hygiene::Hygiene, lang: Language, _currency: &str) -> Vec<Table> {
    let enabled: Vec<_> = r.rules.iter().filter(|s| s.enabled).collect();
    let mut columns = vec![t(lang, "col.manager")];
    columns.extend(enabled.iter().map(|s| s.title.clone()));
    columns.extend([
        t(lang, "col.total"),
        t(lang, "col.score"),
        t(lang, "col.since_yesterday"),
        t(lang, "col.fixed_this_week"),
    ]);
    let row = |m: &super::hygiene::ManagerHygiene| {
        let mut cells = vec![Cell::Text(m.manager.clone())];
        cells.extend(
            enabled
                .iter()
                .map(|s| Cell::Int(m.counts.get(&s.rule).copied().unwrap_or(0) as i64)),
        );
        cells.push(Cell::Int(m.violations as i64));
        cells.push(Cell::opt(m.score.map(Cell::Percent)));
        cells.push(Cell::opt(m.since_yesterday.map(Cell::Int)));
        cells.push(Cell::opt(m.fixed_this_week.map(|n| Cell::Int(n as i64))));
        cells
    };
    let mut rows: Vec<Vec<Cell>> = r.managers.iter().map(row).collect();
    rows.push(row(&r.team));
    let notes = r
        .rules
        .iter()
        .filter_map(|s| s.note.as_ref().map(|n| format!("{}: {n}", s.title)))
        .collect();
    let violations = r
        .violations
        .iter()
        .map(|v| {
            vec![
                Cell::Text(text(lang, &v.rule.title_key()).to_string()),
                Cell::link(v.name.clone(), v.url.as_ref().map(|u| u.to_string())),
                Cell::Text(v.manager.clone()),
                Cell::Int(v.open_days),
                Cell::opt(v.detail.clone().map(Cell::Text)),
            ]
        })
        .collect();
    vec![
        Table {
            id: "managers".into(),
            title: t(lang, "report.hygiene"),
            columns,
            rows,
            notes,
        },
        Table {
            id: "violations".into(),
            title: t(lang, "hygiene.violations"),
            columns: ["col.rule", "col.record", "col.manager", "col.days_open", "col.detail"]
                .iter()
                .map(|k| t(lang, k))
                .collect(),
            rows: violations,
            notes: vec![],
        },
    ]
}

/// Whom to call: every manager's companies in order.
pub fn call_priority(r: &super::call_priority::CallPriority, lang: Language, _currency: &str) -> Vec<Table> {
    let rows = r
        .managers
        .iter()
        .flat_map(|m| {
            m.companies.iter().map(move |c| {
                vec![
                    Cell::Text(m.manager.clone()),
                    Cell::Int(c.rank as i64),
                    Cell::link(c.company.clone(), c.company_url.clone()),
                    Cell::Text(c.why.clone()),
                    Cell::Money(c.past_revenue),
                    Cell::opt(c.last_contact.map(Cell::Instant)),
                    Cell::Int(c.deals_recent as i64),
                    Cell::Int(c.comms_recent as i64),
                ]
            })
        })
        .collect();
    let (list, note) = if r.prospects {
        ("call_priority.prospects", "call_priority.prospects_note")
    } else {
        ("call_priority.clients", "call_priority.clients_note")
    };
    let days = r.lookback_days.to_string();
    vec![Table {
        id: "call-priority".into(),
        title: format!("{} · {}", t(lang, "report.call_priority"), t(lang, list)),
        columns: [
            "col.manager",
            "col.place",
            "col.company",
            "col.why",
            "col.bought_for",
            "col.last_contact",
            "col.deals_recent",
            "col.comms_recent",
        ]
        .iter()
        .map(|k| t(lang, k))
        .collect(),
        rows,
        notes: vec![crate::i18n::text_with(lang, note, &[("days", &days)])],
    }]
}

/// Receivables: debtors, aging, what falls due soon and payments without a due date.
pub fn receivables(r: &super::receivables::Receivables, lang: Language, currency: &str) -> Vec<Table> {
    let payment_rows = |list: &[super::receivables::PaymentRow]| {
        list.iter()
            .map(|p| {
                vec![
                    Cell::link(p.company.clone(), p.deal_url.clone()),
                    Cell::Text(p.manager.clone()),
                    Cell::Money(p.outstanding),
                    Cell::opt(p.due_date.map(Cell::Date)),
                    if p.due_date.is_some() {
                        Cell::Int(p.days_overdue.max(0))
                    } else {
                        Cell::Empty
                    },
                ]
            })
            .collect::<Vec<_>>()
    };
    let payment_columns: Vec<String> = ["col.company", "col.manager", "col.outstanding", "col.due_date", "col.days_overdue"]
        .iter()
        .map(|k| t(lang, k))
        .collect();
    vec![
        Table {
            id: "debtors".into(),
            title: t(lang, "receivables.debtors"),
            columns: ["col.company", "col.manager", "col.owed", "col.days_overdue_max", "col.count"]
                .iter()
                .map(|k| t(lang, k))
                .collect(),
            rows: r
                .companies
                .iter()
                .map(|d| {
                    vec![
                        Cell::link(d.label(), d.url().map(String::from)),
                        Cell::Text(d.manager.clone()),
                        Cell::Money(d.owed),
                        Cell::Int(d.max_days_overdue),
                        Cell::Int(d.count as i64),
                    ]
                })
                .collect(),
            notes: vec![format!(
                "{}: {}",
                t(lang, "receivables.total"),
                format_money(lang, currency, Money(r.total_overdue))
            )],
        },
        Table {
            id: "aging".into(),
            title: t(lang, "receivables.aging"),
            columns: ["col.days_overdue", "col.outstanding", "col.count"]
                .iter()
                .map(|k| t(lang, k))
                .collect(),
            rows: r
                .buckets
                .iter()
                .map(|b| vec![Cell::Text(b.label.into()), Cell::Money(b.amount), Cell::Int(b.count as i64)])
                .collect(),
            notes: vec![],
        },
        Table {
            id: "due-soon".into(),
            title: t(lang, "receivables.due_soon"),
            columns: payment_columns.clone(),
            rows: payment_rows(&r.due_soon),
            notes: vec![],
        },
        Table {
            id: "no-due-date".into(),
            title: t(lang, "receivables.no_due_date"),
            columns: payment_columns,
            rows: payment_rows(&r.without_due_date),
            notes: vec![],
        },
    ]
}

/// The funnel's tables: every pipeline's steps in one table, then outcomes,
/// losses by stage and by reason, and hand-overs, each with a pipeline column.
pub fn funnel(r: &super::funnel::Funnel, lang: Language, _currency: &str) -> Vec<Table> {
    let columns = |keys: &[&str]| keys.iter().map(|k| t(lang, k)).collect::<Vec<_>>();
    let pct = |p: Option<f64>| Cell::opt(p.map(Cell::Percent));
    let dec = |d: Option<f64>| Cell::opt(d.map(Cell::Decimal));
    let count = |n: u32| Cell::Int(n as i64);
    let period_note = crate::i18n::text_with(lang, "funnel.period_note", &[("period", &r.period_label), ("who", &r.who)]);
    let stages = r
        .pipelines
        .iter()
        .flat_map(|p| {
            p.stages.iter().map(move |s| {
                vec![
                    Cell::Text(p.pipeline.clone()),
                    Cell::Text(s.stage.clone()),
                    count(s.entered),
                    pct(s.conversion_from_previous),
                    pct(s.conversion_to_won),
                    dec(s.days_median),
                    dec(s.days_p80),
                    count(s.still_in),
                ]
            })
        })
        .collect();
    let outcomes = r
        .pipelines
        .iter()
        .map(|p| {
            vec![
                Cell::Text(p.pipeline.clone()),
                count(p.entered),
                count(p.from_other_pipelines),
                count(p.won),
                count(p.lost),
                count(p.handed_over),
                count(p.in_work),
                pct(p.conversion_to_won),
            ]
        })
        .collect();
    let losses = |pick: fn(&super::funnel::PipelineFunnel) -> &Vec<super::funnel::LossRow>| {
        r.pipelines
            .iter()
            .flat_map(|p| {
                pick(p).iter().map(|l| {
                    vec![
                        Cell::Text(p.pipeline.clone()),
                        Cell::Text(l.label.clone()),
                        count(l.count),
                        pct(l.share),
                    ]
                })
            })
            .collect::<Vec<_>>()
    };
    let hand_over = r
        .pipelines
        .iter()
        .flat_map(|p| {
            p.handed_over_to.iter().map(|h| {
                vec![
                    Cell::Text(p.pipeline.clone()),
                    Cell::Text(h.to_pipeline.clone()),
                    count(h.count),
                    count(h.won),
                    count(h.lost),
                    pct(h.conversion_to_won),
                ]
            })
        })
        .collect();
    vec![
        Table {
            id: "stages".into(),
            title: format!("{} · {}", t(lang, "funnel.stages"), r.period_label),
            columns: columns(&[
                "col.pipeline",
                "col.stage",
                "col.entered",
                "col.conversion_from_previous",
                "col.conversion_to_won",
                "col.days_median",
                "col.days_p80",
                "col.still_in",
            ]),
            rows: stages,
            notes: vec![period_note, t(lang, "funnel.time_note")],
        },
        Table {
            id: "outcomes".into(),
            title: t(lang, "funnel.outcomes"),
            columns: columns(&[
                "col.pipeline",
                "col.entered",
                "col.from_other_pipelines",
                "col.won_deals",
                "col.lost_deals",
                "col.handed_over",
                "col.in_work",
                "col.conversion_to_won",
            ]),
            rows: outcomes,
            notes: vec![],
        },
        Table {
            id: "lost-by-stage".into(),
            title: t(lang, "funnel.lost_by_stage"),
            columns: columns(&["col.pipeline", "col.stage", "col.deals", "col.share"]),
            rows: losses(|p| &p.lost_by_stage),
            notes: vec![],
        },
        Table {
            id: "lost-by-reason".into(),
            title: t(lang, "funnel.lost_by_reason"),
            columns: columns(&["col.pipeline", "col.loss_reason", "col.deals", "col.share"]),
            rows: losses(|p| &p.lost_by_reason),
            notes: vec![],
        },
        Table {
            id: "hand-over".into(),
            title: t(lang, "funnel.hand_over"),
            columns: columns(&[
                "col.from_pipeline",
                "col.to_pipeline",
                "col.handed_over",
                "col.won_deals",
                "col.lost_deals",
                "col.conversion_to_won",
            ]),
            rows: hand_over,
            notes: vec![t(lang, "funnel.hand_over_note")],
        },
    ]
}

/// The byte-order mark a CSV file starts with, so that Excel reads its Cyrillic as UTF-8.
pub const CSV_BOM: &str = "\u{feff}";

/// The field separator a spreadsheet in `lang` splits a CSV on: Russian Excel
/// uses the decimal comma, so its list separator is `;` (a `,` file opens as one column).
pub fn csv_delimiter(lang: Language) -> char {
    match lang {
        Language::Ru => ';',
        Language::En => ',',
    }
}

/// CRM text a spreadsheet would run as a formula (`=HYPERLINK(...)`, `+7...`,
/// `-1+1`, `@SUM`, or one starting with a tab or a carriage return) made inert
/// with a leading `'`, as OWASP advises for CSV injection. Numbers never come
/// through here: they are typed cells and stay numbers.
pub fn inert_text(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

impl Cell {
    /// A cell as a spreadsheet in `lang` reads it from a CSV: numbers plain (no
    /// grouping, an ASCII minus so they stay numbers) with the language's decimal
    /// mark, dates as the language writes them, text never a formula.
    pub fn for_spreadsheet(&self, cal: &BusinessCalendar, lang: Language) -> String {
        let decimal = |s: String| match lang {
            Language::Ru => s.replace('.', ","),
            Language::En => s,
        };
        match (self, lang) {
            (Cell::Text(s) | Cell::Link { text: s, .. }, _) => inert_text(s).into_owned(),
            (Cell::Money(_) | Cell::Percent(_) | Cell::Decimal(_), _) => decimal(self.raw(cal)),
            (Cell::Date(d), Language::Ru) => d.format("%d.%m.%Y").to_string(),
            (Cell::Instant(t), Language::Ru) => cal.local_time(*t).format("%d.%m.%Y %H:%M").to_string(),
            (Cell::Instant(t), Language::En) => cal.local_time(*t).format("%Y-%m-%d %H:%M").to_string(),
            _ => self.raw(cal),
        }
    }
}

/// A table as CSV for a spreadsheet in `lang` (RFC 4180 quoting, header row
/// first): `;` and a decimal comma for Russian, `,` and a dot for English.
/// Without the byte-order mark: a file starts with [`CSV_BOM`] (see [`csv_file`]).
pub fn to_csv(table: &Table, cal: &BusinessCalendar, lang: Language) -> String {
    let delimiter = csv_delimiter(lang);
    let quote = |s: &str| {
        if s.contains([delimiter, '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let separator = delimiter.to_string();
    let mut out = table
        .columns
        .iter()
        .map(|c| quote(&inert_text(c)))
        .collect::<Vec<_>>()
        .join(&separator);
    out.push('\n');
    for row in &table.rows {
        out.push_str(
            &row.iter()
                .map(|c| quote(&c.for_spreadsheet(cal, lang)))
                .collect::<Vec<_>>()
                .join(&separator),
        );
        out.push('\n');
    }
    out
}

/// A table as a CSV file Excel opens right in `lang`: the byte-order mark, then [`to_csv`].
pub fn csv_file(table: &Table, cal: &BusinessCalendar, lang: Language) -> Vec<u8> {
    let mut bytes = CSV_BOM.as_bytes().to_vec();
    bytes.extend_from_slice(to_csv(table, cal, lang).as_bytes());
    bytes
}

/// A table as aligned text for a terminal. Control characters in names from
/// the CRM (escape sequences, line breaks) become spaces: one row, one line.
pub fn to_text(table: &Table, lang: Language, currency: &str, cal: &BusinessCalendar) -> String {
    to_text_fitted(table, lang, currency, cal, None)
}

/// [`to_text`] fitted to a terminal `fit` characters wide: a table wider
/// than that wraps its headers, shortens long names with `…`, and, if that is
/// not enough, leaves out columns from the right with a note naming them.
/// Numbers are never cut.
pub fn to_text_fitted(table: &Table, lang: Language, currency: &str, cal: &BusinessCalendar, fit: Option<usize>) -> String {
    let cells: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|r| r.iter().map(|c| printable(&c.display(lang, currency, cal)).into_owned()).collect())
        .collect();
    let width = |s: &str| s.chars().count();
    let mut widths: Vec<usize> = table.columns.iter().map(|c| width(c)).collect();
    for row in &cells {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(width(c).min(60));
        }
    }
    let numeric: Vec<bool> = (0..table.columns.len())
        .map(|i| {
            table
                .rows
                .iter()
                .any(|r| matches!(r[i], Cell::Int(_) | Cell::Money(_) | Cell::Percent(_) | Cell::Decimal(_)))
        })
        .collect();
    let natural = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
    if let Some(fit) = fit.filter(|w| natural > *w) {
        return fitted(table, &cells, &numeric, &widths, fit, lang);
    }
    let line = |values: &[String]| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let v: String = printable(v).chars().take(60).collect();
                let pad = " ".repeat(widths[i].saturating_sub(width(&v)));
                if numeric[i] { format!("{pad}{v}") } else { format!("{v}{pad}") }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = format!("{}\n", printable(&table.title));
    out.push_str(&line(&table.columns));
    out.push('\n');
    out.push_str(&widths.iter().map(|w| "─".repeat(*w)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for row in &cells {
        out.push_str(&line(row));
        out.push('\n');
    }
    for note in &table.notes {
        out.push_str(&format!("  {}\n", printable(note)));
    }
    out
}

/// A text column is shortened to no fewer characters than this.
const TEXT_MIN: usize = 12;
/// A header word is broken to no fewer characters than this.
const HEADER_MIN: usize = 8;

/// The layout of a table too wide for its terminal (see [`to_text_fitted`]).
fn fitted(table: &Table, cells: &[Vec<String>], numeric: &[bool], natural: &[usize], width: usize, lang: Language) -> String {
    let chars = |s: &str| s.chars().count();
    let n = table.columns.len();
    let widest = |i: usize| cells.iter().map(|r| chars(&r[i])).max().unwrap_or(0);
    let longest_word = |s: &str| s.split_whitespace().map(chars).max().unwrap_or(0);
    let least: Vec<usize> = (0..n)
        .map(|i| {
            let body = if numeric[i] { widest(i) } else { widest(i).min(TEXT_MIN) };
            body.max(longest_word(&table.columns[i]).min(HEADER_MIN)).max(1)
        })
        .collect();
    let need = |kept: &[usize]| kept.iter().map(|&i| least[i]).sum::<usize>() + 2 * kept.len().saturating_sub(1);
    let mut kept: Vec<usize> = (0..n).collect();
    let mut hidden = Vec::new();
    while need(&kept) > width && kept.len() > 1 {
        hidden.extend(kept.pop());
    }
    hidden.reverse();
    // The room left goes back to the columns a character at a time, in turn, up to what each would take.
    let mut widths: Vec<usize> = kept.iter().map(|&i| least[i]).collect();
    let mut spare = width.saturating_sub(need(&kept));
    while spare > 0 {
        let before = spare;
        for (w, &i) in widths.iter_mut().zip(&kept) {
            if spare > 0 && *w < natural[i] {
                *w += 1;
                spare -= 1;
            }
        }
        if spare == before {
            break;
        }
    }
    let headers: Vec<Vec<String>> = kept.iter().zip(&widths).map(|(&i, &w)| wrap(&table.columns[i], w)).collect();
    let height = headers.iter().map(Vec::len).max().unwrap_or(1);
    let line = |values: Vec<String>| -> String {
        values
            .iter()
            .zip(kept.iter().zip(&widths))
            .map(|(v, (&i, &w))| {
                let v = if chars(v) > w {
                    v.chars().take(w.saturating_sub(1)).chain(['…']).collect()
                } else {
                    v.clone()
                };
                let pad = " ".repeat(w.saturating_sub(chars(&v)));
                if numeric[i] { format!("{pad}{v}") } else { format!("{v}{pad}") }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = format!("{}\n", printable(&table.title));
    for h in 0..height {
        out.push_str(&line(
            headers.iter().map(|lines| lines.get(h).cloned().unwrap_or_default()).collect(),
        ));
        out.push('\n');
    }
    out.push_str(&widths.iter().map(|w| "─".repeat(*w)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for row in cells {
        out.push_str(&line(kept.iter().map(|&i| row[i].clone()).collect()));
        out.push('\n');
    }
    let mut notes: Vec<String> = table.notes.iter().map(|n| printable(n).into_owned()).collect();
    if !hidden.is_empty() {
        let names: Vec<&str> = hidden.iter().map(|&i| table.columns[i].as_str()).collect();
        notes.push(crate::i18n::text_with(
            lang,
            "cli.columns_hidden",
            &[("width", &width.to_string()), ("columns", &names.join(", "))],
        ));
    }
    for note in notes {
        for line in wrap(&note, width.saturating_sub(2)) {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out
}

/// A header in lines of at most `width` characters, broken at spaces, and
/// inside a word only where one word is wider than the column.
fn wrap(header: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in printable(header).split_whitespace() {
        let word: Vec<char> = word.chars().collect();
        for piece in word.chunks(width) {
            let piece: String = piece.iter().collect();
            let len = current.chars().count();
            if len > 0 && len + 1 + piece.chars().count() <= width {
                current.push(' ');
                current.push_str(&piece);
            } else {
                if len > 0 {
                    lines.push(std::mem::take(&mut current));
                }
                current = piece;
            }
        }
    }
    lines.push(current);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::ReportId;
    use crate::reports::testkit::*;

    #[test]
    fn plan_fact_tables_show_the_reports_numbers() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        k.month_plan(anna, "2026-11", Metric::Revenue, 1_000_000);
        k.won_deal(anna, 250_000, "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z");
        let report = k.report(ReportId::PlanFact, "2026-11-26T12:00:00Z");
        let tables = tables(&report, Language::Ru, "RUB");
        assert_eq!(tables.len(), 3);
        let month = &tables[2];
        assert_eq!(month.id, "month");
        assert_eq!(month.rows[0][2], Cell::Money(25_000_000));
        assert_eq!(month.rows[0][4], Cell::Percent(25.0));
        let cal = k.config.calendar();
        let csv = to_csv(month, &cal, Language::Ru);
        assert!(csv.starts_with("Менеджер;План;Факт;"), "{csv}");
        assert!(csv.contains("Анна;1000000,00;250000,00;-750000,00;25,0;"), "{csv}");
        let csv = to_csv(month, &cal, Language::En);
        assert!(csv.contains("Анна,1000000.00,250000.00,-750000.00,25.0,"), "{csv}");
        let text = to_text(month, Language::Ru, "RUB", &cal);
        assert!(text.contains("250\u{a0}000\u{a0}₽"), "{text}");
        assert!(text.contains("25,0\u{a0}%"), "{text}");
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let table = Table {
            id: "x".into(),
            title: "x".into(),
            columns: vec!["a".into(), "b".into()],
            rows: vec![vec![Cell::Text("ООО \"Ромашка\", Москва".into()), Cell::Empty]],
            notes: vec![],
        };
        let cal = BusinessCalendar::plain(chrono_tz::UTC);
        assert_eq!(to_csv(&table, &cal, Language::En), "a,b\n\"ООО \"\"Ромашка\"\", Москва\",\n");
        // A `;` file quotes the `;`, and a comma alone needs no quotes there.
        let table = Table {
            rows: vec![vec![Cell::Text("Ромашка; Москва".into()), Cell::Text("Лютик, Тула".into())]],
            ..table
        };
        assert_eq!(to_csv(&table, &cal, Language::Ru), "a;b\n\"Ромашка; Москва\";Лютик, Тула\n");
    }

    /// A table with every kind of cell, the CRM's text in it trying to be a formula.
    fn spreadsheet_table() -> Table {
        let at = "2026-11-30T21:30:00Z".parse::<Instant>().unwrap();
        Table {
            id: "x".into(),
            title: "x".into(),
            columns: ["Компания", "Менеджер", "Долг", "Разница", "Доля", "Срок", "Контакт", "Сделок"]
                .map(String::from)
                .to_vec(),
            rows: vec![
                vec![
                    Cell::Link {
                        text: "=HYPERLINK(\"http://evil.example\",\"Жми\")".into(),
                        url: "https://x.amocrm.ru/companies/detail/1".into(),
                    },
                    Cell::Text("+7 900 000-00-00".into()),
                    Cell::Money(123_456_789),
                    Cell::Money(-5_050),
                    Cell::Percent(12.5),
                    Cell::Date(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()),
                    Cell::Instant(at),
                    Cell::Int(-3),
                ],
                vec![
                    Cell::Text("@SUM(A1)".into()),
                    Cell::Text("-1+1".into()),
                    Cell::Empty,
                    Cell::Money(0),
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Int(0),
                ],
                vec![
                    Cell::Text("\t=1+1".into()),
                    Cell::Text("Анна".into()),
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                    Cell::Empty,
                ],
            ],
            notes: vec![],
        }
    }

    fn read_csv(text: &str, delimiter: u8) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(String::from).collect())
            .collect()
    }

    #[test]
    fn russian_csv_splits_on_semicolons_with_a_decimal_comma() {
        let table = spreadsheet_table();
        let cal = BusinessCalendar::plain(chrono_tz::Tz::Europe__Moscow);
        let rows = read_csv(&to_csv(&table, &cal, Language::Ru), b';');
        assert_eq!(rows.len(), 4);
        assert!(rows.iter().all(|r| r.len() == 8), "{rows:?}");
        assert_eq!(rows[1][2], "1234567,89");
        assert_eq!(rows[1][3], "-50,50", "a negative amount stays a number: ASCII minus, no quote");
        assert_eq!(rows[1][4], "12,5");
        assert_eq!(rows[1][5], "01.12.2026");
        // 21:30 UTC on the 30th is past midnight in Moscow: the business's day.
        assert_eq!(rows[1][6], "01.12.2026 00:30");
        assert_eq!(rows[1][7], "-3");
        assert_eq!(rows[2][3], "0,00");
        // Read with `,` the same file is one column a row: what Excel did before.
        let as_english = read_csv(&to_csv(&table, &cal, Language::Ru), b',');
        assert!(as_english.iter().all(|r| r.len() < 8), "{as_english:?}");
        // English keeps `,` and a dot.
        let rows = read_csv(&to_csv(&table, &cal, Language::En), b',');
        assert!(rows.iter().all(|r| r.len() == 8), "{rows:?}");
        assert_eq!(rows[1][2], "1234567.89");
        assert_eq!(rows[1][5], "2026-12-01");
    }

    #[test]
    fn csv_text_never_runs_as_a_formula() {
        let table = spreadsheet_table();
        let cal = BusinessCalendar::plain(chrono_tz::UTC);
        for (lang, delimiter) in [(Language::Ru, b';'), (Language::En, b',')] {
            let rows = read_csv(&to_csv(&table, &cal, lang), delimiter);
            assert_eq!(rows[1][0], "'=HYPERLINK(\"http://evil.example\",\"Жми\")");
            assert_eq!(rows[1][1], "'+7 900 000-00-00");
            assert_eq!(rows[2][0], "'@SUM(A1)");
            assert_eq!(rows[2][1], "'-1+1");
            assert_eq!(rows[3][0], "'\t=1+1");
            assert_eq!(rows[3][1], "Анна");
            assert_eq!(rows[2][7], "0");
            for row in &rows {
                for cell in row {
                    assert!(!cell.starts_with(['=', '+', '@', '\t', '\r']), "{cell:?} would run as a formula");
                }
            }
        }
        let file = csv_file(&table, &cal, Language::Ru);
        assert!(file.starts_with("\u{feff}Компания;".as_bytes()));
    }

    #[test]
    fn a_wide_table_fits_the_terminal_without_cutting_a_number() {
        let mut columns = vec!["Менеджер".to_string()];
        columns.extend((1..=11).map(|i| format!("Открытая сделка без задачи {i}")));
        columns.extend(["Всего".to_string(), "Подробности".to_string()]);
        let row = |name: &str, n: i64| {
            let mut cells = vec![Cell::Text(name.into())];
            cells.extend((1..=11).map(|i| Cell::Int(n * i)));
            cells.extend([
                Cell::Money(-12_345_678_900),
                Cell::Text("очень длинное пояснение к строке ".repeat(3)),
            ]);
            cells
        };
        let table = Table {
            id: "managers".into(),
            title: "Гигиена CRM".into(),
            columns,
            rows: vec![row("Константинопольская Александра Викторовна", 1_000), row("Анна", 7)],
            notes: vec![],
        };
        let cal = BusinessCalendar::plain(chrono_tz::UTC);
        let wide = to_text(&table, Language::Ru, "RUB", &cal);
        assert!(wide.lines().nth(1).unwrap().chars().count() > 286, "the table as it was: {wide}");
        for fit in [200, 120, 80, 40] {
            let text = to_text_fitted(&table, Language::Ru, "RUB", &cal, Some(fit));
            assert!(text.lines().all(|l| l.chars().count() <= fit), "{fit}: {text}");
            // Every number shown is shown whole.
            for number in ["1\u{a0}000", "11\u{a0}000", "77"] {
                let shown = text.contains(number);
                let hidden = text.contains("не поместились");
                assert!(shown || hidden, "{fit}: {number} is cut: {text}");
            }
            assert!(!text.contains("1\u{a0}00…") && !text.contains("−123\u{a0}456\u{a0}78…"), "{text}");
            assert!(
                text.contains("Константиноп") && text.contains('…'),
                "a long name is shortened: {text}"
            );
        }
        let narrow = to_text_fitted(&table, Language::Ru, "RUB", &cal, Some(80));
        assert!(narrow.contains("не поместились по ширине (80 знаков): "), "{narrow}");
        assert!(
            narrow.contains("Подробности") && narrow.contains("Всего"),
            "the left-out columns are named: {narrow}"
        );
        let roomy = to_text_fitted(&table, Language::Ru, "RUB", &cal, Some(200));
        assert!(!roomy.contains("не поместились"), "headers wrapped are enough at 200: {roomy}");
        assert!(roomy.contains("123\u{a0}456\u{a0}789\u{a0}₽"), "{roomy}");
        // A table that fits is printed as it always was.
        assert_eq!(to_text_fitted(&table, Language::Ru, "RUB", &cal, Some(10_000)), wide);
    }

    #[test]
    fn every_report_renders_with_headers_matching_rows() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let c = k.company("Ромашка", anna);
        let d = k.won_deal(anna, 1_000, "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z");
        k.set_company(d, c);
        k.open_deal(anna, 0, "2026-10-02T10:00:00Z");
        for id in ReportId::ALL {
            for lang in [Language::Ru, Language::En] {
                for table in tables(&k.report(id, "2026-11-26T12:00:00Z"), lang, "RUB") {
                    assert!(!table.title.contains('?'), "{id:?} {}", table.title);
                    for row in &table.rows {
                        assert_eq!(row.len(), table.columns.len(), "{id:?} {}", table.id);
                    }
                }
            }
        }
    }
}
