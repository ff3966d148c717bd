//! Plan / fact: per manager and for the team, today, this week and this month:
//! plan, fact, difference, % done and the run-rate projection to period end.
//! Fact counts deals by the instant they were won, in the business zone.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::{Ctx, ReportParams, percent};
use crate::calendar::{BusinessCalendar, Instant, Period, PeriodKind};
use crate::model::{Id, Metric, Plan};

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PlanFact {
    pub as_of: Instant,
    pub metric: Metric,
    /// "kopecks" for money metrics (minor units), "count" otherwise.
    pub unit: &'static str,
    pub periods: Vec<PlanFactPeriod>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PlanFactPeriod {
    pub kind: PeriodKind,
    pub period: Period,
    pub working_days: u32,
    pub working_days_elapsed: f64,
    pub rows: Vec<PlanFactRow>,
    pub total: PlanFactRow,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PlanFactRow {
    /// `None` on the team total row.
    pub manager_id: Option<Id>,
    pub manager: String,
    /// `None`: no plan set (and none to derive), never a zero to divide by.
    pub plan: Option<i64>,
    /// The plan was split from a month plan by working days.
    pub plan_derived: bool,
    pub fact: i64,
    pub difference: Option<i64>,
    pub percent_done: Option<f64>,
    /// Fact scaled by working days to the period's end.
    pub projection: Option<i64>,
}

pub fn unit(metric: Metric) -> &'static str {
    if metric.is_money() { "kopecks" } else { "count" }
}

pub fn plan_fact(ctx: &Ctx, params: &ReportParams) -> PlanFact {
    let metric = params.metric.unwrap_or(ctx.config.reports.plan_metric);
    let periods = [PeriodKind::Day, PeriodKind::Week, PeriodKind::Month]
        .into_iter()
        .map(|kind| period_rows(ctx, params, metric, ctx.calendar.period_of(kind, ctx.as_of)))
        .collect();
    PlanFact {
        as_of: ctx.as_of,
        metric,
        unit: unit(metric),
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
                *by_manager.entry(e.manager_id).or_default() += value;
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
            row(
                Some(m),
                ctx.manager_name(Some(m)),
                plan,
                facts.get(&Some(m)).copied().unwrap_or(0),
                working_days,
                elapsed,
            )
        })
        .collect();
    rows.sort_by(|a, b| b.fact.cmp(&a.fact).then_with(|| a.manager.cmp(&b.manager)));

    let total = if params.manager.is_some() {
        let plan = sum_plans(rows.iter().map(|r| r.plan.map(|p| (p, r.plan_derived))));
        row(
            None,
            team_label(ctx),
            plan,
            rows.iter().map(|r| r.fact).sum(),
            working_days,
            elapsed,
        )
    } else {
        let plan = plan_for(&ctx.ws.plans, cal, None, metric, &period)
            .or_else(|| sum_plans(rows.iter().map(|r| r.plan.map(|p| (p, r.plan_derived)))));
        row(None, team_label(ctx), plan, facts.values().sum(), working_days, elapsed)
    };
    PlanFactPeriod {
        kind: period.kind,
        period,
        working_days,
        working_days_elapsed: elapsed,
        rows,
        total,
    }
}

fn team_label(ctx: &Ctx) -> String {
    crate::i18n::text(ctx.config.business.language, "report.team_total").to_string()
}

fn sum_plans(plans: impl Iterator<Item = Option<(i64, bool)>>) -> Option<(i64, bool)> {
    plans.flatten().reduce(|(a, da), (b, db)| (a + b, da || db))
}

fn row(manager_id: Option<Id>, manager: String, plan: Option<(i64, bool)>, fact: i64, working_days: u32, elapsed: f64) -> PlanFactRow {
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
        plan: plan.map(|p| p.0),
        plan_derived: plan.is_some_and(|p| p.1),
        fact,
        difference: plan.map(|(p, _)| fact - p),
        percent_done: plan.and_then(|(p, _)| percent(fact, p)),
        projection,
    }
}

/// The plan of `manager` (`None`: the team's own plan) for `period`: set
/// explicitly, or for a day or week derived from the month plans it overlaps,
/// split by working days. Returns (target, derived).
pub fn plan_for(plans: &[Plan], cal: &BusinessCalendar, manager: Option<Id>, metric: Metric, period: &Period) -> Option<(i64, bool)> {
    let mine = |p: &&Plan| p.manager_id == manager && p.metric == metric;
    if let Some(p) = plans
        .iter()
        .filter(mine)
        .find(|p| p.period.kind == period.kind && p.period.start == period.start)
    {
        return Some((p.target, false));
    }
    if !matches!(period.kind, PeriodKind::Day | PeriodKind::Week) {
        return None;
    }
    let mut month = Period::containing(PeriodKind::Month, period.start);
    let mut total = None;
    while month.start < period.end {
        if let Some(p) = plans
            .iter()
            .filter(mine)
            .find(|p| p.period.kind == PeriodKind::Month && p.period.start == month.start)
        {
            *total.get_or_insert(0) += cal.prorate(p.target, &month, period);
        }
        month = month.next();
    }
    total.map(|t| (t, true))
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
    }
}
