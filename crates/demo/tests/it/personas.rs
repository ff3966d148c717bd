//! Each manager's habit shows in the numbers a report would compute.

use std::collections::{HashMap, HashSet};

use tsifra_core::{ActivityKind, EntityRef, Id, StageKind, Workspace};
use tsifra_demo::{Habit, manager_with, managers};

use crate::common::{default_demo, demos, now, stage_kind};

/// Share of `num` over `den` per manager, for managers with at least `min` in `den`.
fn shares(num: &HashMap<Id, f64>, den: &HashMap<Id, f64>, min: f64) -> Vec<(Id, f64)> {
    let mut out: Vec<(Id, f64)> = den
        .iter()
        .filter(|(_, d)| **d >= min)
        .map(|(id, d)| (*id, num.get(id).copied().unwrap_or(0.0) / d))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

fn top(ranked: &[(Id, f64)]) -> Id {
    ranked[0].0
}

fn bottom(ranked: &[(Id, f64)]) -> Id {
    ranked.last().unwrap().0
}

fn name(id: Id) -> &'static str {
    managers().find(|m| m.0 == id).unwrap().1
}

fn win_rates(ws: &Workspace) -> Vec<(Id, f64)> {
    let (mut won, mut closed) = (HashMap::new(), HashMap::new());
    for d in &ws.deals {
        let kind = stage_kind(ws, d.pipeline_id, d.stage_id);
        if kind != StageKind::Open {
            *closed.entry(d.responsible_id.unwrap()).or_insert(0.0) += 1.0;
        }
        if kind == StageKind::Won {
            *won.entry(d.responsible_id.unwrap()).or_insert(0.0) += 1.0;
        }
    }
    shares(&won, &closed, 30.0)
}

#[test]
fn the_closer_wins_most_often() {
    for ws in std::iter::once(default_demo()).chain(demos()) {
        let rates = win_rates(ws);
        assert_eq!(top(&rates), manager_with(Habit::Closer), "{rates:?}");
        assert_eq!(bottom(&rates), manager_with(Habit::BusyDialer), "{rates:?}");
        // Overall win rate between a fifth and a third, as in real B2B funnels.
        let (won, closed) = ws
            .deals
            .iter()
            .fold((0, 0), |(w, c), d| match stage_kind(ws, d.pipeline_id, d.stage_id) {
                StageKind::Won => (w + 1, c + 1),
                StageKind::Lost => (w, c + 1),
                StageKind::Open | StageKind::Unsorted => (w, c),
            });
        let rate = won as f64 / closed as f64;
        assert!((0.2..=0.4).contains(&rate), "win rate {rate}");
    }
}

#[test]
fn the_forgetful_manager_leaves_most_open_deals_without_a_task() {
    for ws in std::iter::once(default_demo()).chain(demos()) {
        let as_of = now();
        let with_task: HashSet<Id> = ws
            .tasks
            .iter()
            .filter(|t| t.is_open_at(as_of))
            .filter_map(|t| match t.entity {
                Some(EntityRef::Deal(id)) => Some(id),
                _ => None,
            })
            .collect();
        let (mut without, mut open) = (HashMap::new(), HashMap::new());
        for d in ws
            .deals
            .iter()
            .filter(|d| stage_kind(ws, d.pipeline_id, d.stage_id) == StageKind::Open)
        {
            let m = d.responsible_id.unwrap();
            *open.entry(m).or_insert(0.0) += 1.0;
            if !with_task.contains(&d.id) {
                *without.entry(m).or_insert(0.0) += 1.0;
            }
        }
        let ranked = shares(&without, &open, 10.0);
        assert_eq!(top(&ranked), manager_with(Habit::ForgetsTasks), "{ranked:?}");
        // And their open tasks are the most overdue.
        let (mut overdue, mut open_tasks) = (HashMap::new(), HashMap::new());
        for t in ws.tasks.iter().filter(|t| t.is_open_at(as_of)) {
            let m = t.responsible_id.unwrap();
            *open_tasks.entry(m).or_insert(0.0) += 1.0;
            if t.due_at < as_of {
                *overdue.entry(m).or_insert(0.0) += 1.0;
            }
        }
        let ranked = shares(&overdue, &open_tasks, 10.0);
        assert_eq!(top(&ranked), manager_with(Habit::ForgetsTasks), "{ranked:?}");
    }
}

#[test]
fn one_manager_leaves_deals_without_a_company() {
    for ws in std::iter::once(default_demo()).chain(demos()) {
        let (mut without, mut all) = (HashMap::new(), HashMap::new());
        for d in &ws.deals {
            let m = d.responsible_id.unwrap();
            *all.entry(m).or_insert(0.0) += 1.0;
            if d.company_id.is_none() {
                *without.entry(m).or_insert(0.0) += 1.0;
            }
        }
        let ranked = shares(&without, &all, 30.0);
        assert_eq!(top(&ranked), manager_with(Habit::NoCompanies), "{ranked:?}");
        assert!(ranked[0].1 > 2.0 * ranked[1].1, "{ranked:?}");
    }
}

#[test]
fn the_small_check_manager_has_the_lowest_average_won_amount() {
    for ws in std::iter::once(default_demo()).chain(demos()) {
        let (mut sum, mut count) = (HashMap::new(), HashMap::new());
        for d in ws
            .deals
            .iter()
            .filter(|d| stage_kind(ws, d.pipeline_id, d.stage_id) == StageKind::Won)
        {
            let m = d.responsible_id.unwrap();
            *sum.entry(m).or_insert(0.0) += d.amount.minor() as f64;
            *count.entry(m).or_insert(0.0) += 1.0;
        }
        let ranked = shares(&sum, &count, 10.0);
        assert_eq!(bottom(&ranked), manager_with(Habit::SmallCheck), "{ranked:?}");
        assert_eq!(top(&ranked), manager_with(Habit::BigDeals), "{ranked:?}");
    }
}

#[test]
fn the_busy_dialer_calls_most_and_shortest() {
    for ws in std::iter::once(default_demo()).chain(demos()) {
        let (mut calls, mut talk, mut connected): (HashMap<Id, f64>, HashMap<Id, f64>, HashMap<Id, f64>) = Default::default();
        for a in ws.activities.iter().filter(|a| a.kind == ActivityKind::CallOut) {
            let m = a.manager_id.unwrap();
            *calls.entry(m).or_insert(0.0) += 1.0;
            if a.connected {
                *connected.entry(m).or_insert(0.0) += 1.0;
                *talk.entry(m).or_insert(0.0) += a.duration_s as f64;
            }
        }
        let dialer = manager_with(Habit::BusyDialer);
        let most = calls.iter().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0;
        assert_eq!(*most, dialer, "{calls:?}");
        let average_talk = shares(&talk, &connected, 20.0);
        assert_eq!(bottom(&average_talk), dialer, "{average_talk:?}");
    }
}

#[test]
fn the_newcomer_and_the_leaver() {
    for ws in std::iter::once(default_demo()).chain(demos()) {
        let as_of = now();
        let newcomer = manager_with(Habit::Newcomer);
        let first = ws
            .deals
            .iter()
            .filter(|d| d.history[0].author_id == Some(newcomer))
            .map(|d| d.created_at)
            .min()
            .unwrap();
        let days = (as_of - first).num_days();
        assert!((50..=65).contains(&days), "the newcomer's first deal {days} days ago");
        assert!(ws.deals.iter().filter(|d| d.responsible_id == Some(newcomer)).count() >= 20);

        let fired = manager_with(Habit::Fired);
        assert!(!ws.users.get(fired).unwrap().active, "{} is inactive", name(fired));
        let theirs: Vec<_> = ws.deals.iter().filter(|d| d.responsible_id == Some(fired)).collect();
        assert!(theirs.len() >= 100, "historic deals stay with the one who closed them");
        assert!(theirs.iter().all(|d| d.closed_at.is_some_and(|c| (as_of - c).num_days() >= 120)));
        // Nothing new after leaving: no activity and no stage move by them in the last four months.
        assert!(
            ws.activities
                .iter()
                .filter(|a| a.manager_id == Some(fired))
                .all(|a| (as_of - a.at).num_days() >= 120)
        );
        // Some deals they opened were finished by the one who took over.
        let handed_over = ws
            .deals
            .iter()
            .filter(|d| d.history[0].author_id == Some(fired) && d.responsible_id != Some(fired))
            .count();
        assert!(handed_over > 0);
    }
}

#[test]
fn special_cases_exist() {
    let ws = default_demo();
    let cold = ws.pipelines.iter().find(|p| p.name == "Холодные продажи").unwrap().id;
    let hot = ws.pipelines.iter().find(|p| p.name == "Горячие продажи").unwrap().id;
    let moved = ws
        .deals
        .iter()
        .filter(|d| d.history[0].pipeline_id == cold && d.pipeline_id == hot)
        .count();
    assert!(moved >= 20, "{moved} deals passed from cold to hot sales");
    let reopened = ws
        .deals
        .iter()
        .filter(|d| {
            let won: Vec<bool> = d
                .history
                .iter()
                .map(|m| stage_kind(ws, m.pipeline_id, m.stage_id) == StageKind::Won)
                .collect();
            won.windows(2).any(|w| w[0] && !w[1])
        })
        .count();
    assert!((3..=60).contains(&reopened), "{reopened} deals reopened after a win");
    let open = ws.deals.iter().filter(|d| d.closed_at.is_none()).count();
    assert!(open > 300, "{open} open deals");
    let stages: HashSet<Id> = ws.deals.iter().filter(|d| d.closed_at.is_none()).map(|d| d.stage_id).collect();
    assert!(stages.len() >= 10, "open deals sit in many stages");
    let lost = ws
        .deals
        .iter()
        .filter(|d| stage_kind(ws, d.pipeline_id, d.stage_id) == StageKind::Lost);
    let (with_reason, lost_count) = lost.fold((0, 0), |(r, n), d| (r + d.loss_reason_id.is_some() as usize, n + 1));
    assert!(with_reason as f64 > 0.8 * lost_count as f64 && with_reason < lost_count);
    let zero_amount = ws.deals.iter().filter(|d| d.amount.is_zero()).count();
    assert!(zero_amount > 10);
}

#[test]
fn receivables_age_across_every_bucket() {
    let today = crate::common::moscow().local_date(now());
    for ws in std::iter::once(default_demo()).chain(demos()) {
        let mut buckets = [0; 4];
        let (mut no_due, mut partial, mut late) = (0, 0, 0);
        for p in &ws.payments {
            no_due += p.due_date.is_none() as usize;
            partial += (p.amount_paid.minor() > 0 && p.amount_paid < p.amount_due) as usize;
            late += p.due_date.zip(p.paid_date).is_some_and(|(due, paid)| paid > due) as usize;
            if p.amount_paid >= p.amount_due {
                continue;
            }
            if let Some(due) = p.due_date.filter(|d| *d < today) {
                let days = (today - due).num_days();
                buckets[match days {
                    1..=30 => 0,
                    31..=60 => 1,
                    61..=90 => 2,
                    _ => 3,
                }] += 1;
            }
        }
        assert!(buckets.iter().all(|b| *b > 0), "{buckets:?}");
        assert!(no_due > 0 && partial > 0 && late > 0, "{no_due} {partial} {late}");
        let paid = ws.payments.iter().filter(|p| p.amount_paid == p.amount_due).count();
        assert!(paid as f64 > 0.7 * ws.payments.len() as f64, "most payments are in");
    }
}
