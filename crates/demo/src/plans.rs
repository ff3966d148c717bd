//! The head of sales' monthly plans (revenue, margin, won deals, calls per
//! manager), set from each manager's own record with some ambition, and the
//! spreadsheet they live in. Also arranges this week's wins so that one manager
//! sits near 80% of the week's plan at "now", where the alert threshold is.

use std::fmt::Write;

use tsifra_core::{Metric, Money, Period, PeriodKind, Plan, StageKind, Workspace};

use crate::ctx::{Ctx, MONTHS};
use crate::deals::{Move, Skeleton};
use crate::sample::{Stream, between, rng_for, uniform};
use crate::setup::{Habit, persona_index};

/// Every generated plan says it came from this file, so a re-import replaces them.
pub const PLAN_ORIGIN: &str = "plans.csv";

/// Plans ask a bit more than a manager's usual month.
const AMBITION: f64 = 1.12;
/// The newcomer's plan as a share of a typical manager's, by month since starting.
const NEWCOMER_RAMP: [f64; 4] = [0.4, 0.65, 0.85, 1.0];
/// Margin plans assume this share of the revenue plan.
const MARGIN_SHARE: f64 = 0.27;

/// Per manager and month, a target in the fact's units (0: no plan).
fn targets(ctx: &Ctx, facts: &[[f64; MONTHS]], salt: u64) -> Vec<[f64; MONTHS]> {
    let newcomer = persona_index(Habit::Newcomer);
    let no_plan = persona_index(Habit::NoPlanThisMonth);
    let bases: Vec<Option<f64>> = (0..ctx.staff.len())
        .map(|m| {
            // Whole months worked, up to the last one.
            let rates: Vec<f64> = (0..MONTHS - 1)
                .filter(|&k| ctx.worked_share(m, k) >= 0.999)
                .map(|k| facts[m][k] / ctx.month_capacity(k))
                .collect();
            (m != newcomer && !rates.is_empty()).then(|| rates.iter().sum::<f64>() / rates.len() as f64)
        })
        .collect();
    let mut known: Vec<f64> = bases.iter().flatten().copied().collect();
    known.sort_by(f64::total_cmp);
    let typical = known.get(known.len() / 2).copied().unwrap_or(0.0);
    let start_month = (0..MONTHS).find(|&k| ctx.worked_share(newcomer, k) > 0.0).unwrap_or(MONTHS - 1);
    (0..ctx.staff.len())
        .map(|m| {
            let mut row = [0.0; MONTHS];
            for (k, slot) in row.iter_mut().enumerate() {
                let share = ctx.worked_share(m, k);
                if share <= 0.0 || (m == no_plan && k == MONTHS - 1) {
                    continue;
                }
                let base = if m == newcomer {
                    typical * NEWCOMER_RAMP[(k.saturating_sub(start_month)).min(NEWCOMER_RAMP.len() - 1)]
                } else {
                    bases[m].unwrap_or(typical)
                };
                let mut rng = rng_for(ctx.seed, Stream::Plans, salt.wrapping_mul(1_000) + (m * MONTHS + k) as u64);
                *slot = base * ctx.month_capacity(k) * AMBITION * uniform(&mut rng, 0.94, 1.06) * share;
            }
            row
        })
        .collect()
}

fn plan(ctx: &Ctx, m: usize, k: usize, metric: Metric, target: i64) -> Plan {
    Plan {
        manager_id: Some(ctx.staff[m].id),
        period: Period::containing(PeriodKind::Month, ctx.months[k].start),
        metric,
        target,
        origin: PLAN_ORIGIN.into(),
        // Generated, not imported: any file the user imports later takes over.
        imported_at: None,
    }
}

/// Revenue, margin and won-deal plans, from the wins on record before this month.
pub(crate) fn sales_plans(ctx: &Ctx, skeletons: &[Skeleton]) -> Vec<Plan> {
    let mut revenue = vec![[0.0; MONTHS]; ctx.staff.len()];
    let mut count = vec![[0.0; MONTHS]; ctx.staff.len()];
    for sk in skeletons {
        if sk.kind(&ctx.pipes) != StageKind::Won {
            continue;
        }
        if let Some(k) = ctx.month_of(sk.last().w) {
            let m = sk.responsible(ctx);
            revenue[m][k] += sk.amount as f64 / 100.0;
            count[m][k] += 1.0;
        }
    }
    let revenue_targets = targets(ctx, &revenue, 1);
    let count_targets = targets(ctx, &count, 2);
    let mut plans = Vec::new();
    for m in 0..ctx.staff.len() {
        for k in 0..MONTHS {
            let roubles = revenue_targets[m][k];
            if roubles <= 0.0 {
                continue;
            }
            // Rounded the way a person types targets into a spreadsheet.
            let revenue = ((roubles / 10_000.0).round().max(5.0) * 10_000.0) as i64;
            let margin = ((revenue as f64 * MARGIN_SHARE / 1_000.0).round() * 1_000.0) as i64;
            plans.push(plan(ctx, m, k, Metric::Revenue, Money::from_major(revenue).minor()));
            plans.push(plan(ctx, m, k, Metric::Margin, Money::from_major(margin).minor()));
            plans.push(plan(ctx, m, k, Metric::WonDeals, count_targets[m][k].round().max(1.0) as i64));
        }
    }
    with_next_month(plans)
}

/// A head of sales sets next month's plans before it starts (the same targets
/// as this month's, to be corrected later), so a week that runs into the next
/// month has a plan for all of its days.
fn with_next_month(mut plans: Vec<Plan>) -> Vec<Plan> {
    let Some(last) = plans.iter().map(|p| p.period).max() else {
        return plans;
    };
    let next: Vec<Plan> = plans
        .iter()
        .filter(|p| p.period == last)
        .map(|p| Plan {
            period: last.next(),
            ..p.clone()
        })
        .collect();
    plans.extend(next);
    plans
}

/// Connected outgoing calls plans, from the calls on record.
pub(crate) fn call_plans(ctx: &Ctx, calls: &[[u32; MONTHS]]) -> Vec<Plan> {
    let facts: Vec<[f64; MONTHS]> = calls.iter().map(|row| row.map(|c| c as f64)).collect();
    let targets = targets(ctx, &facts, 3);
    let mut plans = Vec::new();
    for (m, row) in targets.iter().enumerate() {
        for (k, &target) in row.iter().enumerate() {
            if target > 0.0 {
                plans.push(plan(ctx, m, k, Metric::Calls, ((target / 10.0).round().max(1.0) * 10.0) as i64));
            }
        }
    }
    with_next_month(plans)
}

/// Puts the steady manager at 77–83% of this week's revenue plan at "now": scales
/// the amounts of the deals they won this week, winning an open deal first if they
/// have none. The week's plan is the month plan split by working days, as reports do.
pub(crate) fn fit_week(ctx: &Ctx, skeletons: &mut [Skeleton], plans: &[Plan]) {
    let who = persona_index(Habit::Steady);
    let id = ctx.staff[who].id;
    let week_plan: i64 = plans
        .iter()
        .filter(|p| p.manager_id == Some(id) && p.metric == Metric::Revenue && p.period.kind == PeriodKind::Month)
        .map(|p| ctx.cal.prorate(p.target, &p.period, &ctx.week))
        .sum();
    if week_plan <= 0 {
        return; // A week without working days has no plan to be near.
    }
    let (lo, hi) = (ctx.week_w, ctx.grid.asof_w);
    let pipes = &ctx.pipes;
    let won_this_week = |sk: &Skeleton| sk.kind(pipes) == StageKind::Won && (lo..=hi).contains(&sk.last().w);
    let mut winners: Vec<usize> = (0..skeletons.len())
        .filter(|&i| won_this_week(&skeletons[i]) && skeletons[i].responsible(ctx) == who)
        .collect();
    let mut rng = rng_for(ctx.seed, Stream::Plans, u64::MAX);
    if winners.is_empty() {
        // Close the furthest-along open deal now; failing that, turn a loss around.
        let open = (0..skeletons.len())
            .filter(|&i| skeletons[i].kind(pipes) == StageKind::Open && !skeletons[i].stalled && skeletons[i].responsible(ctx) == who)
            .max_by_key(|&i| (skeletons[i].moves().len(), skeletons[i].last().w));
        let lost = || {
            (0..skeletons.len())
                .filter(|&i| {
                    let sk = &skeletons[i];
                    sk.kind(pipes) == StageKind::Lost && !sk.reopened && sk.moves().len() >= 2 && sk.responsible(ctx) == who
                })
                .max_by_key(|&i| skeletons[i].last().w)
        };
        let Some(i) = open.or_else(lost) else { return };
        let sk = &mut skeletons[i];
        let last = sk.last();
        if last.w >= hi && sk.kind(pipes) == StageKind::Open {
            return;
        }
        let pipe = &pipes[last.pipe as usize];
        let won = |w| Move {
            w,
            pipe: last.pipe,
            stage: pipe.won(),
        };
        if sk.kind(pipes) == StageKind::Open {
            let w = between(&mut rng, (last.w + 1).max(lo), hi);
            sk.push(won(w));
        } else {
            let before = sk.moves()[sk.moves().len() - 2].w;
            let w = between(&mut rng, (before + 1).max(lo), hi);
            sk.replace_last(won(w));
            sk.loss_reason = None;
        }
        if sk.responsible(ctx) != who {
            return;
        }
        winners.push(i);
    }
    // Share out the target in proportion to the deals' own sizes.
    let target = ((week_plan as f64 * uniform(&mut rng, 0.77, 0.83)) / 100.0).round() as i64 * 100;
    let total: i64 = winners.iter().map(|&i| skeletons[i].amount.max(1)).sum();
    let mut assigned = 0;
    for (k, &i) in winners.iter().enumerate() {
        let amount = if k + 1 == winners.len() {
            target - assigned
        } else {
            (target as i128 * skeletons[i].amount.max(1) as i128 / total as i128) as i64
        };
        skeletons[i].amount = amount;
        assigned += amount;
    }
}

/// The plans as the head of sales keeps them: `manager,period,metric,target`, one
/// row per manager, month and metric; money in roubles (`1500000` or `1500000.50`).
pub fn plans_csv(ws: &Workspace) -> String {
    let mut rows: Vec<(&str, &Plan)> = ws
        .plans
        .iter()
        .map(|p| (p.manager_id.and_then(|id| ws.users.get(id)).map_or("", |u| u.name.as_str()), p))
        .collect();
    rows.sort_by(|a, b| (a.1.period.start, a.0, a.1.metric).cmp(&(b.1.period.start, b.0, b.1.metric)));
    let mut out = String::with_capacity(32 + rows.len() * 56);
    out.push_str("manager,period,metric,target\n");
    for (name, plan) in rows {
        write_csv_field(&mut out, name);
        let _ = write!(out, ",{},{},", plan.period.key(), plan.metric.as_str());
        if plan.metric.is_money() {
            write_roubles(&mut out, plan.target);
        } else {
            let _ = write!(out, "{}", plan.target);
        }
        out.push('\n');
    }
    out
}

fn write_csv_field(out: &mut String, text: &str) {
    if text.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

/// Kopecks as plain roubles: whole roubles without a fraction, else two decimals.
fn write_roubles(out: &mut String, minor: i64) {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    if abs.is_multiple_of(100) {
        let _ = write!(out, "{sign}{}", abs / 100);
    } else {
        let _ = write!(out, "{sign}{}.{:02}", abs / 100, abs % 100);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roubles_are_written_plainly() {
        let text = |m: i64| {
            let mut s = String::new();
            write_roubles(&mut s, m);
            s
        };
        assert_eq!(text(150_000_000), "1500000");
        assert_eq!(text(150_000_050), "1500000.50");
        assert_eq!(text(-5), "-0.05");
        let mut s = String::new();
        write_csv_field(&mut s, "Иванов, \"Иван\"");
        assert_eq!(s, "\"Иванов, \"\"Иван\"\"\"");
    }
}
