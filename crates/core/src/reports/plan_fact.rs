//! Plan / fact: per manager and for the team, today, this week and this month:
//! plan, fact, difference, % done and the run-rate projection to period end.
//! Fact counts deals by the instant they were won, in the business zone.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::{Ctx, ReportParams, percent};
use crate::calendar::{BusinessCalendar, Instant, Period, PeriodKind};
use crate::model::{Id, Metric, Plan};
use crate::money::sum_minor;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PlanFact {
    pub as_of: Instant,
    pub metric: Metric,
    /// The currency's minor unit for money metrics ("kopecks", "cents"), "count" otherwise.
    pub unit: &'static str,
    pub periods: Vec<PlanFactPeriod>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PlanFactPeriod {
    pub kind: PeriodKind,
    pub period: Period,
    /// For a period asked for (`--period`, `?period=`): how a screen writes it
    /// ("IV квартал 2026", "01.09.2026–30.11.2026"); `None` for today, this week, this month.
    pub label: Option<String>,
    pub working_days: u32,
    pub working_days_elapsed: f64,
    pub rows: Vec<PlanFactRow>,
    /// Per team (amoCRM's groups), its managers rolled up: their plans and
    /// facts summed. Empty with one manager selected or no teams.
    pub teams: Vec<PlanFactRow>,
    pub total: PlanFactRow,
    /// With `--compare`: the period beside the previous one or the one a year before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<super::compare::Comparison>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PlanFactRow {
    /// `None` on the team total row.
    pub manager_id: Option<Id>,
    pub manager: String,
    /// The manager still works here (a user the CRM has not deactivated); a
    /// manager who left shows only while the period has his fact or plan.
    /// Always true on team and total rows.
    pub active: bool,
    /// `None`: no plan set (and none to derive), never a zero to divide by.
    pub plan: Option<i64>,
    /// The plan was split from a month plan by working days.
    pub plan_derived: bool,
    /// Set when the plan covers only some of the period's days (a week of
    /// 30.11–06.12 with November's plan loaded and December's not): plan,
    /// fact, difference, % and projection of this row are then all for the
    /// covered days, so like is compared with like.
    pub plan_covers: Option<PlanCoverage>,
    pub fact: i64,
    pub difference: Option<i64>,
    pub percent_done: Option<f64>,
    /// Fact scaled by working days to the end of the period (of the covered
    /// days, when the plan covers only some).
    pub projection: Option<i64>,
}

impl PlanFactRow {
    /// The fact over the whole period, also when the row compares only some of its days.
    pub fn fact_whole_period(&self) -> i64 {
        self.plan_covers.map_or(self.fact, |c| c.fact_whole_period)
    }
}

/// The part of a period a plan covers, when it is not the whole period.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct PlanCoverage {
    /// The covered days, a run of whole days inside the period.
    pub days: Period,
    pub working_days: u32,
    /// Working days of the whole period.
    pub of_working_days: u32,
    /// The fact over the whole period, beside the row's fact over the covered days.
    pub fact_whole_period: i64,
}

/// A plan for a period: its target, whether it was derived from month plans,
/// and which days of the period it covers (the whole period unless a month's
/// plan is missing).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlanFor {
    pub target: i64,
    pub derived: bool,
    pub covers: Period,
}

pub fn unit(ctx: &Ctx, metric: Metric) -> &'static str {
    if metric.is_money() { ctx.money_unit() } else { "count" }
}

pub fn plan_fact(ctx: &Ctx, params: &ReportParams) -> PlanFact {
    let metric = params.metric.unwrap_or(ctx.config.reports.plan_metric);
    // Today, this week and this month; or the one period asked for (a quarter, last month, any days).
    let asked = params
        .period
        .as_deref()
        .and_then(|p| crate::query::Span::parse(p, ctx.calendar.local_date(ctx.as_of)));
    let mut periods = match asked {
        Some(span) => vec![PlanFactPeriod {
            label: Some(span.label(ctx.config.business.language)),
            ..period_rows(ctx, params, metric, span.to_period())
        }],
        None => [PeriodKind::Day, PeriodKind::Week, PeriodKind::Month]
            .into_iter()
            .map(|kind| period_rows(ctx, params, metric, ctx.calendar.period_of(kind, ctx.as_of)))
            .collect(),
    };
    if let Some(c) = params.compare {
        for p in &mut periods {
            p.comparison = Some(compared(ctx, params, metric, p, c));
        }
    }
    PlanFact {
        as_of: ctx.as_of,
        metric,
        unit: unit(ctx, metric),
        periods,
    }
}

/// Fact per manager (`None` = no responsible) of `metric` in `period` as of `ctx.as_of`.
pub fn facts_in(ctx: &Ctx, metric: Metric, period: &Period) -> HashMap<Option<Id>, i64> {
    let (from, to) = ctx.calendar.bounds(period);
    let mut by_manager: HashMap<Option<Id>, i64> = HashMap::new();
    match metric {
        Metric::Calls => {
            let to = to.min(ctx.as_of + chrono::Duration::nanoseconds(1));
            for c in ctx.facts.calls_between(from, to) {
                *by_manager.entry(c.manager_id).or_default() += 1;
            }
        }
        _ => {
            for e in ctx.facts.won_between(from, to, ctx.as_of) {
                let value = match metric {
                    Metric::Revenue => e.amount.minor(),
                    Metric::Margin => e.margin.minor(),
                    _ => 1,
                };
                let fact = by_manager.entry(e.manager_id).or_default();
                *fact = fact.saturating_add(value);
            }
        }
    }
    by_manager
}

fn period_rows(ctx: &Ctx, params: &ReportParams, metric: Metric, period: Period) -> PlanFactPeriod {
    let cal = ctx.calendar;
    let facts = facts_in(ctx, metric, &period);
    let working_days = cal.working_days(&period);
    let elapsed = cal.working_days_elapsed(&period, ctx.as_of);
    // Facts over the part of the period a plan covers, counted once per part
    // (at most two: a week covered by the plan of only one of its months).
    let mut parts: HashMap<Period, HashMap<Option<Id>, i64>> = HashMap::new();
    let mut facts_over =
        |covers: &Period| -> HashMap<Option<Id>, i64> { parts.entry(*covers).or_insert_with(|| facts_in(ctx, metric, covers)).clone() };

    let mut managers: BTreeSet<Id> = ctx.ws.users.iter().filter(|u| u.active).map(|u| u.id).collect();
    managers.extend(facts.keys().flatten());
    managers.extend(
        ctx.ws
            .plans
            .iter()
            .filter(|p| p.metric == metric && p.period.intersect(&period).is_some())
            .filter_map(|p| p.manager_id),
    );
    if let Some(only) = params.manager {
        managers.retain(|m| *m == only);
    }

    let mut rows: Vec<PlanFactRow> = managers
        .into_iter()
        .map(|m| {
            let plan = plan_for(&ctx.ws.plans, cal, Some(m), metric, &period);
            let whole = facts.get(&Some(m)).copied().unwrap_or(0);
            row(ctx, Some(m), ctx.manager_name(Some(m)), plan, &period, whole, |covers| {
                facts_over(covers).get(&Some(m)).copied().unwrap_or(0)
            })
        })
        .collect();
    rows.sort_by(|a, b| b.fact.cmp(&a.fact).then_with(|| a.manager.cmp(&b.manager)));

    // Teams roll their managers up: the sum of their plans, the sum of their facts.
    let mut by_team: std::collections::BTreeMap<Id, Vec<&PlanFactRow>> = std::collections::BTreeMap::new();
    if params.manager.is_none() {
        for r in &rows {
            if let Some(team) = r.manager_id.and_then(|m| ctx.ws.users.get(m)).and_then(|u| u.team_id) {
                by_team.entry(team).or_default().push(r);
            }
        }
    }
    let mut teams: Vec<PlanFactRow> = by_team
        .into_iter()
        .map(|(team, members)| {
            let name = ctx.ws.teams.get(team).map_or_else(|| format!("#{team}"), |t| t.name.clone());
            let plan = sum_plans(members.iter().filter_map(|r| row_plan(r, &period)));
            let whole = sum_minor(members.iter().map(|r| r.fact_whole_period()));
            let ids: Vec<Option<Id>> = members.iter().map(|r| r.manager_id).collect();
            row(ctx, None, name, plan, &period, whole, |covers| {
                let part = facts_over(covers);
                sum_minor(ids.iter().map(|m| part.get(m).copied().unwrap_or(0)))
            })
        })
        .collect();
    teams.sort_by(|a, b| b.fact.cmp(&a.fact).then_with(|| a.manager.cmp(&b.manager)));

    let row_plans = || rows.iter().filter_map(|r| row_plan(r, &period));
    let total = match params.manager {
        Some(only) => {
            let whole = sum_minor(rows.iter().map(PlanFactRow::fact_whole_period));
            row(
                ctx,
                None,
                ctx.total_label(params),
                sum_plans(row_plans()),
                &period,
                whole,
                |covers| facts_over(covers).get(&Some(only)).copied().unwrap_or(0),
            )
        }
        None => {
            let plan = plan_for(&ctx.ws.plans, cal, None, metric, &period).or_else(|| sum_plans(row_plans()));
            row(
                ctx,
                None,
                ctx.total_label(params),
                plan,
                &period,
                sum_minor(facts.values().copied()),
                |covers| sum_minor(facts_over(covers).values().copied()),
            )
        }
    };
    PlanFactPeriod {
        kind: period.kind,
        period,
        label: None,
        working_days,
        working_days_elapsed: elapsed,
        rows,
        teams,
        total,
        comparison: None,
    }
}

/// A period beside the compared one: each manager's, team's and the total's
/// fact over the whole period (also where a plan covers only some of it).
fn compared(ctx: &Ctx, params: &ReportParams, metric: Metric, p: &PlanFactPeriod, c: crate::query::Compare) -> super::compare::Comparison {
    let current: Vec<super::compare::Current> = p
        .rows
        .iter()
        .map(|r| super::compare::Current {
            manager: r.manager_id,
            name: &r.manager,
            fact: r.fact_whole_period(),
        })
        .collect();
    let mut teams: std::collections::BTreeMap<Id, i64> = std::collections::BTreeMap::new();
    if params.manager.is_none() {
        for r in &p.rows {
            if let Some(team) = r.manager_id.and_then(|m| ctx.ws.users.get(m)).and_then(|u| u.team_id) {
                *teams.entry(team).or_default() += r.fact_whole_period();
            }
        }
    }
    let names: Vec<(Id, String, i64)> = teams
        .into_iter()
        .map(|(team, fact)| {
            (
                team,
                ctx.ws.teams.get(team).map_or_else(|| format!("#{team}"), |t| t.name.clone()),
                fact,
            )
        })
        .collect();
    let team_rows: Vec<(Id, &str, i64)> = names.iter().map(|(id, name, fact)| (*id, name.as_str(), *fact)).collect();
    super::compare::compare(
        ctx,
        metric,
        &p.period,
        c,
        &current,
        &team_rows,
        (&p.total.manager, p.total.fact_whole_period()),
        params.manager,
        true,
    )
}

/// The plan a row was compared with.
fn row_plan(r: &PlanFactRow, period: &Period) -> Option<PlanFor> {
    Some(PlanFor {
        target: r.plan?,
        derived: r.plan_derived,
        covers: r.plan_covers.map_or(*period, |c| c.days),
    })
}

/// The team's plan as the sum of the managers': covering every day any of them covers.
fn sum_plans(plans: impl Iterator<Item = PlanFor>) -> Option<PlanFor> {
    plans.reduce(|a, b| PlanFor {
        target: a.target.saturating_add(b.target),
        derived: a.derived || b.derived,
        covers: Period {
            start: a.covers.start.min(b.covers.start),
            end: a.covers.end.max(b.covers.end),
            ..a.covers
        },
    })
}

/// A row comparing `plan` with the fact: over the whole period (`whole_fact`),
/// or, when the plan covers only part of it, over that part (`fact_over`).
fn row(
    ctx: &Ctx,
    manager_id: Option<Id>,
    manager: String,
    plan: Option<PlanFor>,
    period: &Period,
    whole_fact: i64,
    fact_over: impl FnOnce(&Period) -> i64,
) -> PlanFactRow {
    let cal = ctx.calendar;
    let partial = plan.filter(|p| p.covers != *period);
    let (days, fact) = match partial {
        Some(p) => (p.covers, fact_over(&p.covers)),
        None => (*period, whole_fact),
    };
    let working_days = cal.working_days(&days);
    let elapsed = cal.working_days_elapsed(&days, ctx.as_of);
    let projection = if working_days == 0 {
        Some(fact)
    } else if elapsed > 0.0 {
        Some((fact as f64 * working_days as f64 / elapsed).round() as i64)
    } else {
        None
    };
    PlanFactRow {
        manager_id,
        manager,
        active: manager_id.is_none_or(|m| ctx.ws.users.get(m).is_some_and(|u| u.active)),
        plan: plan.map(|p| p.target),
        plan_derived: plan.is_some_and(|p| p.derived),
        plan_covers: partial.map(|p| PlanCoverage {
            days: p.covers,
            working_days,
            of_working_days: cal.working_days(period),
            fact_whole_period: whole_fact,
        }),
        fact,
        difference: plan.map(|p| fact.saturating_sub(p.target)),
        percent_done: plan.and_then(|p| percent(fact, p.target)),
        projection,
    }
}

/// The plan of `manager` (`None`: the team's own plan) for `period`: set
/// explicitly, or for any period but a month derived from the month plans it
/// overlaps, split by working days. A week (or a quarter, or any days) whose
/// months do not all have a plan is covered only on the days of those that do
/// (from the first covered day to the last: a month without a plan in the
/// middle of a long range is inside that span). Where files overlap, the plan in
/// force counts.
pub fn plan_for(plans: &[Plan], cal: &BusinessCalendar, manager: Option<Id>, metric: Metric, period: &Period) -> Option<PlanFor> {
    let mine = |p: &&Plan| p.manager_id == manager && p.metric == metric;
    if let Some(p) = in_force(
        plans
            .iter()
            .filter(mine)
            .filter(|p| p.period.kind == period.kind && p.period.start == period.start),
    ) {
        return Some(PlanFor {
            target: p.target,
            derived: false,
            covers: *period,
        });
    }
    if period.kind == PeriodKind::Month {
        return None;
    }
    let mut month = Period::containing(PeriodKind::Month, period.start);
    let mut found: Option<PlanFor> = None;
    while month.start < period.end {
        if let Some(p) = in_force(
            plans
                .iter()
                .filter(mine)
                .filter(|p| p.period.kind == PeriodKind::Month && p.period.start == month.start),
        ) && let Some(covers) = period.intersect(&month)
        {
            let part = PlanFor {
                target: cal.prorate(p.target, &month, period),
                derived: true,
                covers,
            };
            found = sum_plans(found.into_iter().chain([part]));
        }
        month = month.next();
    }
    found
}

/// Of plans for one target from several files, the one in force ([`Plan::outranks`]).
fn in_force<'a>(candidates: impl Iterator<Item = &'a Plan>) -> Option<&'a Plan> {
    candidates.reduce(|best, p| if p.outranks(best) { p } else { best })
}

/// The report's registration (see [`super::registry`]).
pub struct PlanFactReport;

impl super::ReportKind for PlanFactReport {
    type Output = PlanFact;
    const DEF: super::registry::Definition = super::registry::Definition {
        id: "plan-fact",
        title_key: "report.plan_fact",
        params: &[
            super::registry::Param::Manager,
            super::registry::Param::Metric,
            super::registry::Param::Period,
            super::registry::Param::Compare,
        ],
        reads: super::registry::Definition::READS_DEALS
            .with(crate::model::Tables::ACTIVITIES)
            .with(crate::model::Tables::PLANS),
    };
    fn run(ctx: &Ctx, params: &ReportParams) -> PlanFact {
        plan_fact(ctx, params)
    }
    fn tables(output: &PlanFact, lang: crate::i18n::Language, currency: &str) -> Vec<super::tabular::Table> {
        super::tabular::plan_fact(output, lang, currency)
    }
    fn as_of(output: &PlanFact) -> Instant {
        output.as_of
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::testkit::*;

    #[test]
    fn fact_by_won_date_in_the_business_zone() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        // Won at 23:30 Moscow on Wednesday 25 Nov = 20:30 UTC: counts for the 25th, not the 26th.
        k.won_deal(anna, 100_000, "2026-11-20T10:00:00Z", "2026-11-25T20:30:00Z");
        // Won at 21:30 UTC on the 25th = 00:30 on the 26th in Moscow: today.
        k.won_deal(anna, 50_000, "2026-11-20T10:00:00Z", "2026-11-25T21:30:00Z");
        // Won on Sunday 22 Nov: last week, this month.
        k.won_deal(anna, 7_000, "2026-11-01T10:00:00Z", "2026-11-22T12:00:00Z");
        // Won on 31 Oct at 22:00 UTC = 1 Nov 01:00 Moscow: this month.
        k.won_deal(anna, 3_000, "2026-10-01T10:00:00Z", "2026-10-31T22:00:00Z");
        // Won after the as-of instant: not counted yet.
        k.won_deal(anna, 999_000, "2026-11-20T10:00:00Z", "2026-11-26T13:00:00Z");
        let r = k.plan_fact("2026-11-26T12:00:00Z", Metric::Revenue);
        let [day, week, month] = [&r.periods[0], &r.periods[1], &r.periods[2]];
        assert_eq!(day.period.key(), "2026-11-26");
        assert_eq!(day.total.fact, 50_000 * 100);
        assert_eq!(week.total.fact, 150_000 * 100);
        assert_eq!(month.total.fact, 160_000 * 100);
    }

    #[test]
    fn manager_without_plan_shows_fact_and_no_percent() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        k.month_plan(anna, "2026-11", Metric::Revenue, 1_000_000);
        k.won_deal(anna, 250_000, "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z");
        k.won_deal(boris, 40_000, "2026-11-02T10:00:00Z", "2026-11-11T10:00:00Z");
        let r = k.plan_fact("2026-11-26T12:00:00Z", Metric::Revenue);
        let month = &r.periods[2];
        let b = month.rows.iter().find(|r| r.manager_id == Some(boris)).unwrap();
        assert_eq!((b.plan, b.percent_done, b.difference, b.fact), (None, None, None, 4_000_000));
        let a = month.rows.iter().find(|r| r.manager_id == Some(anna)).unwrap();
        assert_eq!(a.plan, Some(100_000_000));
        assert_eq!(a.percent_done, Some(25.0));
        assert_eq!(a.difference, Some(-75_000_000));
        // The team's plan is the sum of the plans that exist; its fact counts everyone.
        assert_eq!(month.total.plan, Some(100_000_000));
        assert_eq!(month.total.fact, 29_000_000);
    }

    #[test]
    fn day_and_week_plans_derive_from_the_month_by_working_days() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        // November 2026 in Russia has 20 working days (4 Nov is a holiday).
        k.month_plan(anna, "2026-11", Metric::Revenue, 2_000_000);
        // December 2026 has 22 working days (31 Dec is a holiday).
        k.month_plan(anna, "2026-12", Metric::Revenue, 2_200_000);
        let r = k.plan_fact("2026-11-26T12:00:00Z", Metric::Revenue);
        assert_eq!(r.periods[0].rows[0].plan, Some(10_000_000)); // 2,000,000 / 20 days
        assert!(r.periods[0].rows[0].plan_derived);
        assert_eq!(r.periods[1].rows[0].plan, Some(50_000_000)); // 5 working days
        // The week of 30 Nov - 6 Dec: 1 November day (100,000) + 4 December days (400,000).
        let r = k.plan_fact("2026-12-02T12:00:00Z", Metric::Revenue);
        assert_eq!(r.periods[1].period.key(), "2026-W49");
        assert_eq!(r.periods[1].rows[0].plan, Some(50_000_000));
        // A Saturday has no working time: its derived plan is zero, and % done is not a division by zero.
        let r = k.plan_fact("2026-11-28T12:00:00Z", Metric::Revenue);
        assert_eq!(r.periods[0].rows[0].plan, Some(0));
        assert_eq!(r.periods[0].rows[0].percent_done, None);
    }

    #[test]
    fn a_week_whose_plan_covers_some_days_compares_those_days() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        // November only: 2,000,000 over 20 working days = 100,000 a day. No December plan yet.
        k.month_plan(anna, "2026-11", Metric::Revenue, 2_000_000);
        k.month_plan(boris, "2026-11", Metric::Revenue, 1_000_000);
        // Monday 30 Nov, 10:00 Moscow: Anna sells 60,000.
        k.won_deal(anna, 60_000, "2026-11-20T10:00:00Z", "2026-11-30T07:00:00Z");
        // Monday noon: half the one covered working day has gone.
        let r = k.plan_fact("2026-11-30T09:00:00Z", Metric::Revenue);
        let week = &r.periods[1];
        assert_eq!(week.period.key(), "2026-W49");
        let a = week.rows.iter().find(|r| r.manager_id == Some(anna)).unwrap();
        let c = a.plan_covers.expect("the plan covers only Monday");
        assert_eq!((c.working_days, c.of_working_days), (1, 5));
        assert_eq!((c.days.start, c.days.end), (date("2026-11-30"), date("2026-12-01")));
        assert_eq!((a.plan, a.fact, a.percent_done), (Some(10_000_000), 6_000_000, Some(60.0)));
        // The pace projects the covered day, not five days against one day's plan.
        assert_eq!(a.projection, Some(12_000_000));
        assert_eq!(week.total.plan, Some(15_000_000));
        assert_eq!(week.total.plan_covers.map(|c| c.working_days), Some(1));

        // Wednesday: Anna sold 40,000 more on Tuesday, outside the covered days.
        k.won_deal(anna, 40_000, "2026-11-20T10:00:00Z", "2026-12-01T07:00:00Z");
        let r = k.plan_fact("2026-12-02T09:00:00Z", Metric::Revenue);
        let week = &r.periods[1];
        let a = week.rows.iter().find(|r| r.manager_id == Some(anna)).unwrap();
        assert_eq!((a.fact, a.percent_done, a.projection), (6_000_000, Some(60.0), Some(6_000_000)));
        assert_eq!(a.fact_whole_period(), 10_000_000);
        assert_eq!(week.total.fact_whole_period(), 10_000_000);
        // Today (2 December) has no plan at all: nothing to compare, nothing partial.
        assert_eq!((r.periods[0].total.plan, r.periods[0].total.plan_covers), (None, None));
        let tables = crate::reports::tabular::tables(&crate::reports::Report::PlanFact(r.clone()), crate::i18n::Language::Ru, "RUB");
        let note = tables[1]
            .notes
            .iter()
            .find(|n| n.contains("1 из 5"))
            .expect("the week's table says so");
        assert!(
            note.contains("(30.11)") && note.contains("все строки") && note.contains("100\u{a0}000\u{a0}₽"),
            "{note}"
        );

        // With December's plans loaded the week is covered whole again.
        k.month_plan(anna, "2026-12", Metric::Revenue, 2_200_000);
        k.month_plan(boris, "2026-12", Metric::Revenue, 2_200_000);
        let r = k.plan_fact("2026-12-02T09:00:00Z", Metric::Revenue);
        let a = r.periods[1].rows.iter().find(|r| r.manager_id == Some(anna)).unwrap();
        assert_eq!((a.plan_covers, a.fact, a.plan), (None, 10_000_000, Some(50_000_000)));
        assert_eq!(r.periods[1].total.plan_covers, None);
    }

    #[test]
    fn a_quarter_or_any_days_asked_for_sum_the_months_plans() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        for (month, target) in [("2026-10", 2_200_000), ("2026-11", 2_000_000), ("2026-12", 2_200_000)] {
            k.month_plan(anna, month, Metric::Revenue, target);
        }
        k.won_deal(anna, 1_000_000, "2026-10-01T10:00:00Z", "2026-10-15T10:00:00Z");
        k.won_deal(anna, 500_000, "2026-11-01T10:00:00Z", "2026-11-10T10:00:00Z");
        let asked = |period: &str| match k.report_with(
            crate::reports::ReportId::PlanFact,
            "2026-11-26T12:00:00Z",
            ReportParams {
                period: Some(period.into()),
                ..Default::default()
            },
        ) {
            crate::reports::Report::PlanFact(r) => r,
            _ => unreachable!(),
        };
        let q = asked("this_quarter");
        assert_eq!(q.periods.len(), 1);
        let p = &q.periods[0];
        assert_eq!(p.label.as_deref(), Some("IV квартал 2026"));
        assert_eq!(
            (p.total.plan, p.total.fact, p.total.plan_covers),
            (Some(640_000_000), 150_000_000, None)
        );
        // 1–15 November: 9 of November's 20 working days (4 November is a holiday, the 15th a Sunday).
        let days = asked("2026-11-01..2026-11-15");
        assert_eq!(
            (days.periods[0].total.plan, days.periods[0].total.fact),
            (Some(90_000_000), 50_000_000)
        );
        assert_eq!(days.periods[0].label.as_deref(), Some("01.11.2026–15.11.2026"));
        // Last month is a month: its own plan, compared whole.
        let october = asked("last_month");
        assert_eq!(
            (october.periods[0].total.plan, october.periods[0].total.percent_done),
            (Some(220_000_000), Some(45.5))
        );
    }

    #[test]
    fn teams_roll_their_managers_up() {
        let mut k = Kit::new();
        let (anna, boris, vera) = (k.manager("Анна"), k.manager("Борис"), k.manager("Вера"));
        k.ws.teams.upsert(crate::model::Team {
            id: 1,
            name: "Отдел опта".into(),
        });
        for (m, team) in [(anna, Some(1)), (boris, Some(1)), (vera, None)] {
            let mut u = k.ws.users.get(m).unwrap().clone();
            u.team_id = team;
            k.ws.users.upsert(u);
        }
        k.month_plan(anna, "2026-11", Metric::Revenue, 1_000_000);
        k.month_plan(boris, "2026-11", Metric::Revenue, 500_000);
        k.won_deal(anna, 300_000, "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z");
        k.won_deal(boris, 100_000, "2026-11-02T10:00:00Z", "2026-11-11T10:00:00Z");
        k.won_deal(vera, 70_000, "2026-11-02T10:00:00Z", "2026-11-12T10:00:00Z");
        let r = k.plan_fact("2026-11-26T12:00:00Z", Metric::Revenue);
        let month = &r.periods[2];
        assert_eq!(month.teams.len(), 1, "a manager without a team is in no team row");
        let t = &month.teams[0];
        assert_eq!(
            (t.manager.as_str(), t.plan, t.fact, t.percent_done),
            ("Отдел опта", Some(150_000_000), 40_000_000, Some(26.7))
        );
        assert_eq!(month.total.fact, 47_000_000, "the department counts everyone");
        let tables = crate::reports::tabular::tables(&crate::reports::Report::PlanFact(r.clone()), crate::i18n::Language::Ru, "RUB");
        assert!(
            tables.iter().any(|t| t.id == "month-teams" && t.rows.len() == 1),
            "a table of teams"
        );
        // One manager selected: no team rows.
        let one = k.report_with(
            crate::reports::ReportId::PlanFact,
            "2026-11-26T12:00:00Z",
            ReportParams {
                manager: Some(anna),
                ..Default::default()
            },
        );
        let crate::reports::Report::PlanFact(one) = one else { panic!() };
        assert!(one.periods[2].teams.is_empty());
    }

    #[test]
    fn explicit_week_plan_wins_over_the_derived_one() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        k.month_plan(anna, "2026-11", Metric::Revenue, 2_000_000);
        k.plan(Some(anna), "2026-W48", Metric::Revenue, 123_000);
        let r = k.plan_fact("2026-11-26T12:00:00Z", Metric::Revenue);
        assert_eq!(
            (r.periods[1].rows[0].plan, r.periods[1].rows[0].plan_derived),
            (Some(12_300_000), false)
        );
    }

    #[test]
    fn overlapping_files_count_the_latest_import_once() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        k.month_plan(anna, "2026-11", Metric::Revenue, 2_000_000);
        k.plan(None, "2026-11", Metric::Revenue, 5_000_000);
        // The same rows again under another file name, imported later, with Anna's target changed:
        // "b.xlsx" sorts after "a.csv", yet it is the one in force, and nothing is counted twice.
        for p in &mut k.ws.plans {
            p.origin = "a.csv".into();
            p.imported_at = chrono::DateTime::from_timestamp(1_000, 0);
        }
        let mut later: Vec<Plan> = k.ws.plans.clone();
        for p in &mut later {
            p.origin = "b.xlsx".into();
            p.imported_at = chrono::DateTime::from_timestamp(2_000, 0);
        }
        later[0].target = 3_000_000 * 100;
        k.ws.plans.extend(later);
        let r = k.plan_fact("2026-11-26T12:00:00Z", Metric::Revenue);
        assert_eq!(r.periods[2].rows[0].plan, Some(300_000_000));
        assert_eq!(r.periods[2].total.plan, Some(500_000_000));
        // The day's plan is split from the month plan in force: 3,000,000 / 20 working days.
        assert_eq!(r.periods[0].rows[0].plan, Some(15_000_000));
        // Removing the later file brings the earlier plans back.
        k.ws.plans.retain(|p| p.origin != "b.xlsx");
        let r = k.plan_fact("2026-11-26T12:00:00Z", Metric::Revenue);
        assert_eq!(r.periods[2].rows[0].plan, Some(200_000_000));
    }

    #[test]
    fn won_then_reopened_counts_only_while_won() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let deal = k.won_deal(anna, 100_000, "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z");
        k.reopen(deal, "2026-11-12T10:00:00Z");
        let before = k.plan_fact("2026-11-11T12:00:00Z", Metric::Revenue);
        assert_eq!(before.periods[2].total.fact, 10_000_000);
        let after = k.plan_fact("2026-11-26T12:00:00Z", Metric::Revenue);
        assert_eq!(after.periods[2].total.fact, 0);
        assert_eq!(k.plan_fact("2026-11-26T12:00:00Z", Metric::WonDeals).periods[2].total.fact, 0);
    }

    #[test]
    fn deal_moved_between_pipelines_counts_once_when_won() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let deal = k.open_deal(anna, 80_000, "2026-11-02T10:00:00Z");
        k.move_to_hot_pipeline(deal, "2026-11-05T10:00:00Z");
        k.win(deal, "2026-11-09T10:00:00Z");
        let r = k.plan_fact("2026-11-26T12:00:00Z", Metric::WonDeals);
        assert_eq!(r.periods[2].total.fact, 1);
    }

    #[test]
    fn empty_workspace_and_empty_periods() {
        let k = Kit::new();
        let r = k.plan_fact("2026-11-26T12:00:00Z", Metric::Revenue);
        for p in &r.periods {
            assert!(p.rows.is_empty());
            assert_eq!((p.total.fact, p.total.plan, p.total.percent_done), (0, None, None));
        }
    }

    #[test]
    fn run_rate_projects_by_working_days() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        // Wednesday noon in Moscow: 2.5 of 5 working days of the week have gone.
        k.won_deal(anna, 100_000, "2026-11-20T10:00:00Z", "2026-11-23T08:00:00Z");
        let r = k.plan_fact("2026-11-25T09:00:00Z", Metric::Revenue);
        assert_eq!(r.periods[1].working_days_elapsed, 2.5);
        assert_eq!(r.periods[1].total.projection, Some(20_000_000));
    }

    #[test]
    fn calls_metric_counts_connected_outgoing_calls() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        k.call(anna, "2026-11-26T07:00:00Z", true);
        k.call(anna, "2026-11-26T07:10:00Z", false);
        k.call(anna, "2026-11-25T07:00:00Z", true);
        let r = k.plan_fact("2026-11-26T12:00:00Z", Metric::Calls);
        assert_eq!((r.periods[0].total.fact, r.periods[1].total.fact), (1, 2));
    }

    #[test]
    fn manager_filter_keeps_one_row_and_its_total() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        k.won_deal(anna, 1_000, "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z");
        k.won_deal(boris, 2_000, "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z");
        let r = k.report_with(
            crate::reports::ReportId::PlanFact,
            "2026-11-26T12:00:00Z",
            ReportParams {
                manager: Some(boris),
                ..Default::default()
            },
        );
        let crate::reports::Report::PlanFact(r) = r else { panic!() };
        assert_eq!(r.periods[2].rows.len(), 1);
        assert_eq!(r.periods[2].total.fact, 200_000);
        assert_eq!(r.periods[2].total.manager, "Итого", "one manager is not the whole team");
        let all = k.plan_fact("2026-11-26T12:00:00Z", Metric::Revenue);
        assert_eq!(all.periods[2].total.manager, "Весь отдел");
    }

    /// Manager `m`'s row of the period `i` (0 today, 1 this week, 2 this month).
    fn row_of(r: &PlanFact, i: usize, m: Id) -> &PlanFactRow {
        r.periods[i]
            .rows
            .iter()
            .find(|r| r.manager_id == Some(m))
            .unwrap_or_else(|| panic!("manager {m} in period {i}"))
    }

    /// (plan, fact, difference, % done) of a row: what the TV shows per manager.
    fn figures(r: &PlanFactRow) -> (Option<i64>, i64, Option<i64>, Option<f64>) {
        (r.plan, r.fact, r.difference, r.percent_done)
    }

    #[test]
    fn per_manager_today_and_a_week_across_the_month_edge() {
        let mut k = Kit::new();
        let (anna, boris, vera) = (k.manager("Анна"), k.manager("Борис"), k.manager("Вера"));
        // 100,000 a working day in November (20 days) and in December (22 days).
        k.month_plan(anna, "2026-11", Metric::Revenue, 2_000_000);
        k.month_plan(anna, "2026-12", Metric::Revenue, 2_200_000);
        // Boris: November only, 50,000 a day; Vera: no plan at all.
        k.month_plan(boris, "2026-11", Metric::Revenue, 1_000_000);
        k.won_deal(anna, 30_000, "2026-11-20T10:00:00Z", "2026-11-29T12:00:00Z"); // Sunday: last week
        k.won_deal(anna, 70_000, "2026-11-20T10:00:00Z", "2026-11-30T07:00:00Z"); // Monday 30 Nov
        k.won_deal(anna, 120_000, "2026-11-20T10:00:00Z", "2026-12-01T07:00:00Z"); // Tuesday 1 Dec
        k.won_deal(boris, 20_000, "2026-11-20T10:00:00Z", "2026-11-30T09:00:00Z");
        k.won_deal(boris, 40_000, "2026-11-20T10:00:00Z", "2026-12-01T08:00:00Z");
        k.won_deal(vera, 10_000, "2026-11-20T10:00:00Z", "2026-12-01T09:00:00Z");
        // Tuesday 1 December, noon in Moscow: the week of 30.11–06.12 spans two months.
        let r = k.plan_fact("2026-12-01T09:00:00Z", Metric::Revenue);
        assert_eq!(
            (r.periods[0].period.key(), r.periods[1].period.key()),
            ("2026-12-01".into(), "2026-W49".into())
        );
        // Anna: a day of December's plan today; the week is one November day and four December days.
        assert_eq!(
            figures(row_of(&r, 0, anna)),
            (Some(10_000_000), 12_000_000, Some(2_000_000), Some(120.0))
        );
        assert_eq!(
            figures(row_of(&r, 1, anna)),
            (Some(50_000_000), 19_000_000, Some(-31_000_000), Some(38.0))
        );
        assert_eq!(row_of(&r, 1, anna).plan_covers, None);
        // Boris: no plan today (December's is missing): his fact, and no difference or %.
        assert_eq!(figures(row_of(&r, 0, boris)), (None, 4_000_000, None, None));
        // His week compares Monday, the one day his plan covers, and keeps the whole week's fact beside it.
        let b = row_of(&r, 1, boris);
        assert_eq!(figures(b), (Some(5_000_000), 2_000_000, Some(-3_000_000), Some(40.0)));
        assert_eq!((b.fact_whole_period(), b.plan_covers.map(|c| c.working_days)), (6_000_000, Some(1)));
        // Vera: never a plan; her fact still counts, today and this week.
        assert_eq!(figures(row_of(&r, 0, vera)), (None, 1_000_000, None, None));
        assert_eq!(figures(row_of(&r, 1, vera)), (None, 1_000_000, None, None));
        assert!(r.periods[..2].iter().all(|p| p.rows.len() == 3 && p.rows.iter().all(|r| r.active)));
    }

    #[test]
    fn monday_midnight_in_the_business_zone_starts_the_week_and_the_day() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        k.month_plan(anna, "2026-11", Metric::Revenue, 2_000_000);
        // 23:59:59 on Sunday 29 November in Moscow, and 00:00:00 on Monday 30 November.
        k.won_deal(anna, 50_000, "2026-11-20T10:00:00Z", "2026-11-29T20:59:59Z");
        k.won_deal(anna, 70_000, "2026-11-20T10:00:00Z", "2026-11-29T21:00:00Z");
        let monday = k.plan_fact("2026-11-29T21:00:00Z", Metric::Revenue);
        assert_eq!(monday.periods[0].period.key(), "2026-11-30");
        assert_eq!(monday.periods[1].period.key(), "2026-W49");
        // The first instant of the day counts in it; Sunday's deal is last week's.
        assert_eq!(
            figures(row_of(&monday, 0, anna)),
            (Some(10_000_000), 7_000_000, Some(-3_000_000), Some(70.0))
        );
        // November's plan covers only Monday of this week: the week compares that day.
        assert_eq!(
            figures(row_of(&monday, 1, anna)),
            (Some(10_000_000), 7_000_000, Some(-3_000_000), Some(70.0))
        );
        assert_eq!(monday.periods[1].working_days_elapsed, 0.0);
        // One second earlier it is still Sunday: a day without working time has a zero plan and no %.
        let sunday = k.plan_fact("2026-11-29T20:59:59Z", Metric::Revenue);
        assert_eq!(sunday.periods[1].period.key(), "2026-W48");
        assert_eq!(figures(row_of(&sunday, 0, anna)), (Some(0), 5_000_000, Some(5_000_000), None));
        assert_eq!(
            figures(row_of(&sunday, 1, anna)),
            (Some(50_000_000), 5_000_000, Some(-45_000_000), Some(10.0))
        );
    }

    #[test]
    fn a_week_with_the_autumn_clock_change_counts_by_local_days() {
        let mut k = Kit::new();
        k.config.business.time_zone = "Europe/Berlin".into();
        k.config.calendar.holidays = crate::calendar::HolidayPreset::None;
        let anna = k.manager("Anna");
        // October 2026 has 22 weekdays: 100,000 a day.
        k.month_plan(anna, "2026-10", Metric::Revenue, 2_200_000);
        k.won_deal(anna, 10_000, "2026-10-01T10:00:00Z", "2026-10-18T21:30:00Z"); // Sun 18.10 23:30 CEST: last week
        k.won_deal(anna, 20_000, "2026-10-01T10:00:00Z", "2026-10-18T22:30:00Z"); // Mon 19.10 00:30 CEST
        k.won_deal(anna, 40_000, "2026-10-01T10:00:00Z", "2026-10-25T22:30:00Z"); // Sun 25.10 23:30 CET
        k.won_deal(anna, 80_000, "2026-10-01T10:00:00Z", "2026-10-25T23:30:00Z"); // Mon 26.10 00:30 CET
        // Sunday 25 October, 23:59 in Berlin: the clocks went back at 03:00, the day has 25 hours.
        let r = k.plan_fact("2026-10-25T22:59:00Z", Metric::Revenue);
        assert_eq!(
            (r.periods[0].period.key(), r.periods[1].period.key()),
            ("2026-10-25".into(), "2026-W43".into())
        );
        assert_eq!(figures(row_of(&r, 0, anna)), (Some(0), 4_000_000, Some(4_000_000), None));
        assert_eq!(
            figures(row_of(&r, 1, anna)),
            (Some(50_000_000), 6_000_000, Some(-44_000_000), Some(12.0))
        );
        // Half an hour into Monday (CET now): the new week and day hold only the last deal.
        let r = k.plan_fact("2026-10-25T23:30:00Z", Metric::Revenue);
        assert_eq!(r.periods[1].period.key(), "2026-W44");
        assert_eq!(
            figures(row_of(&r, 0, anna)),
            (Some(10_000_000), 8_000_000, Some(-2_000_000), Some(80.0))
        );
        assert_eq!(
            figures(row_of(&r, 1, anna)),
            (Some(50_000_000), 8_000_000, Some(-42_000_000), Some(16.0))
        );
    }

    #[test]
    fn zero_plans_no_plans_and_managers_who_left() {
        let mut k = Kit::new();
        let (anna, boris) = (k.manager("Анна"), k.manager("Борис"));
        let (gleb, dima) = (k.manager("Глеб"), k.manager("Дмитрий"));
        for m in [gleb, dima] {
            let mut u = k.ws.users.get(m).unwrap().clone();
            u.active = false;
            k.ws.users.upsert(u);
        }
        // Anna's plan for November is zero: her day's and week's plans are zero, never a division.
        k.month_plan(anna, "2026-11", Metric::Revenue, 0);
        k.won_deal(anna, 15_000, "2026-11-20T10:00:00Z", "2026-11-26T07:00:00Z");
        // Gleb left, yet sold this week; Dmitry left and sold earlier this month only.
        k.won_deal(gleb, 25_000, "2026-11-20T10:00:00Z", "2026-11-24T07:00:00Z");
        k.won_deal(dima, 5_000, "2026-11-02T10:00:00Z", "2026-11-05T07:00:00Z");
        let r = k.plan_fact("2026-11-26T12:00:00Z", Metric::Revenue);
        assert_eq!(figures(row_of(&r, 0, anna)), (Some(0), 1_500_000, Some(1_500_000), None));
        assert_eq!(figures(row_of(&r, 1, anna)), (Some(0), 1_500_000, Some(1_500_000), None));
        assert_eq!(figures(row_of(&r, 0, boris)), (None, 0, None, None));
        // Gleb's week shows, marked as gone; not today, when he sold nothing.
        let g = row_of(&r, 1, gleb);
        assert_eq!((g.fact, g.active), (2_500_000, false));
        assert!(r.periods[0].rows.iter().all(|r| r.manager_id != Some(gleb)));
        // Dmitry is in the month only.
        assert!(r.periods[..2].iter().all(|p| p.rows.iter().all(|r| r.manager_id != Some(dima))));
        assert!(!row_of(&r, 2, dima).active);
        assert!(row_of(&r, 0, anna).active && r.periods[1].total.active);
        // The team's day: a zero plan and no plan add up to zero, and nobody divides by it.
        assert_eq!((r.periods[0].total.plan, r.periods[0].total.percent_done), (Some(0), None));
    }

    #[test]
    fn money_is_labelled_in_the_workspace_currency() {
        let mut k = Kit::new();
        assert_eq!(k.plan_fact("2026-11-26T12:00:00Z", Metric::Revenue).unit, "kopecks");
        k.config.business.currency = "USD".into();
        assert_eq!(k.plan_fact("2026-11-26T12:00:00Z", Metric::Revenue).unit, "cents");
        assert_eq!(k.plan_fact("2026-11-26T12:00:00Z", Metric::WonDeals).unit, "count");
    }
}
