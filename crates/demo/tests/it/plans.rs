//! The plans: the spreadsheet round-trips, the gaps are where the story needs
//! them, and at "now" someone is near 80% of the week's plan.

use std::collections::HashMap;

use tsifra_core::{BusinessCalendar, Id, Instant, Metric, Money, Period, PeriodKind, StageKind, Workspace};
use tsifra_demo::{Habit, generate, manager_with, plans_csv};

use crate::common::{default_demo, moscow, now, options, stage_kind, utc};

#[test]
fn plans_csv_round_trips() {
    let ws = default_demo();
    let csv = plans_csv(ws);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("manager,period,metric,target"));
    let by_name: HashMap<&str, Id> = ws.users.iter().map(|u| (u.name.as_str(), u.id)).collect();
    let mut parsed: Vec<(Id, String, Metric, i64)> = lines
        .map(|line| {
            let cols: Vec<&str> = line.split(',').collect();
            assert_eq!(cols.len(), 4, "{line}");
            let metric = Metric::parse(cols[2]).unwrap();
            let target = if metric.is_money() {
                assert!(!cols[3].contains(['e', ' ']), "plain decimal: {line}");
                Money::parse(cols[3]).unwrap().minor()
            } else {
                cols[3].parse::<i64>().unwrap()
            };
            let period = Period::parse_key(cols[1]).unwrap();
            assert_eq!(period.kind, PeriodKind::Month);
            (by_name[cols[0]], period.key(), metric, target)
        })
        .collect();
    let mut expected: Vec<(Id, String, Metric, i64)> = ws
        .plans
        .iter()
        .map(|p| (p.manager_id.unwrap(), p.period.key(), p.metric, p.target))
        .collect();
    parsed.sort();
    expected.sort();
    assert_eq!(parsed, expected);
    assert!(csv.contains(",2026-11,revenue,"));
    // Every metric is planned.
    for metric in Metric::ALL {
        assert!(ws.plans.iter().any(|p| p.metric == metric), "{metric:?}");
    }
}

#[test]
fn plan_gaps_tell_the_story() {
    let ws = default_demo();
    let cal = moscow();
    let this_month = cal.period_of(PeriodKind::Month, now());
    let months_of = |id: Id| {
        let mut m: Vec<Period> = ws.plans.iter().filter(|p| p.manager_id == Some(id)).map(|p| p.period).collect();
        m.sort();
        m.dedup();
        m
    };
    let no_plan = manager_with(Habit::NoPlanThisMonth);
    let months = months_of(no_plan);
    assert!(!months.contains(&this_month) && months.len() == 12, "{months:?}");
    for (id, _, habit) in tsifra_demo::managers() {
        if !matches!(habit, Habit::NoPlanThisMonth | Habit::Fired) {
            assert!(months_of(id).contains(&this_month), "{habit:?} has a plan this month");
        }
    }
    let newcomer = months_of(manager_with(Habit::Newcomer));
    assert!(
        newcomer.len() <= 4 && newcomer[0].start >= this_month.start - chrono::Months::new(2),
        "{newcomer:?}"
    );
    // Next month is planned before it starts, so a week running into it has a plan
    // for every day: the same targets as this month's, to be corrected later.
    let next_month = this_month.next();
    for p in ws.plans.iter().filter(|p| p.period == this_month) {
        let next = ws
            .plans
            .iter()
            .find(|n| n.period == next_month && n.manager_id == p.manager_id && n.metric == p.metric);
        assert_eq!(next.map(|n| n.target), Some(p.target), "{p:?}");
    }
    assert!(
        !months_of(no_plan).contains(&next_month),
        "no plan this month, none next month either"
    );
    let fired = months_of(manager_with(Habit::Fired));
    assert!(
        fired.last().unwrap().start <= this_month.start - chrono::Months::new(4),
        "{fired:?}"
    );
    assert_eq!(months_of(manager_with(Habit::Closer)).len(), 14);
}

/// Wins counted the way plan/fact counts them: the amount of each deal whose
/// current won stretch began in `[from, as_of]`.
fn won_between(ws: &Workspace, manager: Id, from: Instant, as_of: Instant) -> i64 {
    ws.deals
        .iter()
        .filter(|d| d.responsible_id == Some(manager) && stage_kind(ws, d.pipeline_id, d.stage_id) == StageKind::Won)
        .filter(|d| {
            let since = d
                .history
                .iter()
                .rev()
                .take_while(|m| stage_kind(ws, m.pipeline_id, m.stage_id) == StageKind::Won)
                .last()
                .unwrap()
                .at;
            from <= since && since <= as_of
        })
        .map(|d| d.amount.minor())
        .sum()
}

fn week_plan(ws: &Workspace, cal: &BusinessCalendar, manager: Id, week: &Period) -> i64 {
    ws.plans
        .iter()
        .filter(|p| p.manager_id == Some(manager) && p.metric == Metric::Revenue)
        .map(|p| cal.prorate(p.target, &p.period, week))
        .sum()
}

#[test]
fn someone_is_near_80_percent_of_the_week_plan() {
    let cal = moscow();
    for (seed, at) in [
        (1, "2026-11-26T11:30:00Z"), // Thursday afternoon
        (2, "2026-11-23T06:30:00Z"), // Monday 09:30, the week just started
        (3, "2026-11-23T04:00:00Z"), // Monday 07:00, before any working minute
        (4, "2026-11-29T18:00:00Z"), // Sunday evening
        (5, "2026-12-30T14:00:00Z"), // the week that runs into January
        (6, "2026-06-03T09:00:00Z"),
        (7, "2026-09-30T12:00:00Z"), // a week straddling two months
    ] {
        let as_of = utc(at);
        let ws = generate(&options(seed, 4_000, as_of), &cal);
        let week = cal.period_of(PeriodKind::Week, as_of);
        let from = cal.start_of_day(week.start);
        let ratios: Vec<(&str, f64)> = ws
            .users
            .iter()
            .filter_map(|u| {
                let plan = week_plan(&ws, &cal, u.id, &week);
                (plan > 0).then(|| (u.name.as_str(), won_between(&ws, u.id, from, as_of) as f64 / plan as f64))
            })
            .collect();
        assert!(ratios.iter().any(|(_, r)| (0.75..=0.85).contains(r)), "{at}: {ratios:?}");
        let steady = ws.users.get(manager_with(Habit::Steady)).unwrap().name.as_str();
        assert!(
            ratios.iter().any(|(n, r)| *n == steady && (0.75..=0.85).contains(r)),
            "{at}: {ratios:?}"
        );
    }
}

#[test]
fn plans_are_ambitious_but_reachable() {
    let ws = default_demo();
    let cal = moscow();
    let mut made = 0;
    let mut total = 0;
    for plan in ws.plans.iter().filter(|p| p.metric == Metric::Revenue) {
        let (from, to) = cal.bounds(&plan.period);
        if to > now() {
            continue; // The current month is still in progress.
        }
        let fact = won_between(ws, plan.manager_id.unwrap(), from, to - chrono::TimeDelta::seconds(1));
        total += 1;
        made += (fact >= plan.target) as usize;
    }
    let share = made as f64 / total as f64;
    assert!((0.15..=0.6).contains(&share), "{made} of {total} month plans made");
}

/// `tsifra demo --managers 20`: the twelve with habits keep their ids, and the
/// eight ordinary ones after them get deals, wins and plans like anyone else.
#[test]
fn a_bigger_floor_adds_ordinary_managers_with_deals_and_plans() {
    let cal = moscow();
    let ws = tsifra_demo::generate_with_managers(&options(4, 3_000, now()), &cal, 20);
    let this_month = Period::containing(PeriodKind::Month, cal.local_date(now()));
    let managers: Vec<_> = tsifra_demo::managers_of(20).collect();
    assert_eq!(managers.len(), 20);
    assert_eq!(ws.users.len(), 20);
    assert_eq!(
        ws.users.iter().filter(|u| u.active).count(),
        19,
        "only the one who left is inactive"
    );
    assert!(managers.iter().take(12).map(|m| m.0).eq(tsifra_demo::managers().map(|m| m.0)));
    for (id, name, habit) in managers.iter().skip(12) {
        assert_eq!(*habit, Habit::Ordinary);
        assert_eq!(ws.users.get(*id).map(|u| u.name.as_str()), Some(*name));
        let won = ws
            .deals
            .iter()
            .filter(|d| d.responsible_id == Some(*id) && stage_kind(&ws, d.pipeline_id, d.stage_id) == StageKind::Won)
            .count();
        assert!(won > 10, "{name} won {won} deals");
        assert!(
            ws.plans.iter().any(|p| p.manager_id == Some(*id) && p.period == this_month),
            "{name} has a plan this month"
        );
    }
    // The size is what was asked for, within the range the command accepts.
    assert_eq!(tsifra_demo::managers_of(3).count(), tsifra_demo::MIN_MANAGERS);
    assert_eq!(tsifra_demo::managers_of(1_000).count(), tsifra_demo::MAX_MANAGERS);
}
