//! Every reference points at something that exists, every history tells one
//! consistent story, and nothing happened after "now".

use std::collections::HashSet;

use tsifra_core::{AMOCRM_LOST_STATUS, AMOCRM_WON_STATUS, BusinessCalendar, EntityRef, Instant, StageKind, Workspace};
use tsifra_demo::{DEMO_BASE_URL, generate};

use crate::common::{default_demo, moscow, now, options, stage_kind, utc};

fn check(ws: &Workspace, cal: &BusinessCalendar, as_of: Instant) {
    let account = ws.account.as_ref().expect("an account");
    assert_eq!(account.base_url, DEMO_BASE_URL);
    assert_eq!((account.time_zone.as_str(), account.currency.as_str()), (cal.tz().name(), "RUB"));

    // Pipelines: won 142 / lost 143 in each, other stage ids unique across pipelines.
    assert_eq!(ws.pipelines.len(), 3);
    let mut stage_ids = HashSet::new();
    for p in &ws.pipelines {
        assert_eq!(
            p.stages
                .iter()
                .filter(|s| s.kind == StageKind::Won)
                .map(|s| s.id)
                .collect::<Vec<_>>(),
            [AMOCRM_WON_STATUS]
        );
        assert_eq!(
            p.stages
                .iter()
                .filter(|s| s.kind == StageKind::Lost)
                .map(|s| s.id)
                .collect::<Vec<_>>(),
            [AMOCRM_LOST_STATUS]
        );
        assert!(p.stages.windows(2).all(|w| w[0].sort < w[1].sort), "stages ordered by sort");
        assert!(p.stages.iter().filter(|s| s.kind == StageKind::Open).count() >= 5);
        for s in p.stages.iter().filter(|s| s.kind == StageKind::Open) {
            assert!(stage_ids.insert(s.id), "stage id {} reused", s.id);
        }
    }
    for u in &ws.users {
        assert!(u.team_id.is_some_and(|t| ws.teams.contains(t)));
    }

    for d in &ws.deals {
        assert!(ws.pipelines.contains(d.pipeline_id), "deal {}", d.id);
        let kind = stage_kind(ws, d.pipeline_id, d.stage_id);
        assert!(d.responsible_id.is_some_and(|u| ws.users.contains(u)), "deal {}", d.id);
        assert!(d.company_id.is_none_or(|c| ws.companies.contains(c)), "deal {}", d.id);
        assert!(d.contact_ids.iter().all(|c| ws.contacts.contains(*c)), "deal {}", d.id);
        assert!(d.loss_reason_id.is_none_or(|r| ws.loss_reasons.contains(r)));
        assert!(
            d.loss_reason_id.is_none() || kind == StageKind::Lost,
            "only lost deals have a loss reason"
        );
        assert!(!d.history.is_empty(), "deal {} has a history", d.id);
        let first = d.history[0];
        let last = *d.history.last().unwrap();
        assert_eq!(first.at, d.created_at, "deal {}: first move at creation", d.id);
        assert_eq!(
            (last.pipeline_id, last.stage_id),
            (d.pipeline_id, d.stage_id),
            "deal {}: last move is the stage",
            d.id
        );
        assert!(d.history.windows(2).all(|w| w[0].at <= w[1].at), "deal {}: history sorted", d.id);
        for mv in &d.history {
            stage_kind(ws, mv.pipeline_id, mv.stage_id);
            assert!(mv.author_id.is_some_and(|a| ws.users.contains(a)));
            assert!(mv.at <= as_of, "deal {}: move after now", d.id);
        }
        match kind {
            StageKind::Open | StageKind::Unsorted => assert_eq!(d.closed_at, None, "deal {}", d.id),
            StageKind::Won | StageKind::Lost => assert_eq!(d.closed_at, Some(last.at), "deal {}", d.id),
        }
        assert!(d.created_at <= d.updated_at && d.updated_at <= as_of, "deal {}", d.id);
        assert!(last.at <= d.updated_at, "deal {}", d.id);
        assert!(d.amount.minor() >= 0);
    }

    let exists = |e: EntityRef| match e {
        EntityRef::Deal(id) => ws.deals.contains(id),
        EntityRef::Company(id) => ws.companies.contains(id),
        EntityRef::Contact(id) => ws.contacts.contains(id),
    };
    for t in &ws.tasks {
        assert!(t.entity.is_some_and(exists), "task {}", t.id);
        assert!(t.responsible_id.is_some_and(|u| ws.users.contains(u)));
        assert!(t.created_at <= as_of && t.created_at <= t.due_at, "task {}", t.id);
        match t.completed_at {
            Some(done) => {
                assert!(t.created_at <= done && done <= as_of, "task {}", t.id);
                assert!(t.due_at <= as_of, "a done task's due date is not in the future: {}", t.id);
            }
            None => assert!(t.result.is_none()),
        }
        assert!(!t.text.is_empty());
    }
    for a in &ws.activities {
        assert!(a.entity.is_some_and(exists), "activity {}", a.id);
        assert!(a.manager_id.is_some_and(|u| ws.users.contains(u)));
        assert!(a.at <= as_of, "activity {}", a.id);
        if a.kind.is_call() {
            assert_eq!(
                a.connected,
                a.duration_s > 0,
                "activity {}: duration 0 exactly when not connected",
                a.id
            );
        } else {
            assert!(a.connected && a.duration_s == 0);
        }
    }
    let today = cal.local_date(as_of);
    for p in &ws.payments {
        let deal = ws.deals.get(p.deal_id.expect("payments hang on deals")).expect("the deal exists");
        assert_eq!(stage_kind(ws, deal.pipeline_id, deal.stage_id), StageKind::Won);
        assert_eq!(p.company_id, deal.company_id);
        assert!(p.amount_paid <= p.amount_due && p.amount_paid.minor() >= 0);
        assert_eq!(p.paid_date.is_some(), p.amount_paid.minor() > 0);
        assert!(p.paid_date.is_none_or(|d| d <= today));
        let won = cal.local_date(deal.closed_at.unwrap());
        assert!(p.due_date.is_none_or(|d| d >= won), "due after the win");
    }
    for c in &ws.companies {
        assert!(c.created_at <= c.updated_at && c.updated_at <= as_of, "company {}", c.id);
        assert!(
            c.responsible_id.is_some_and(|u| ws.users.get(u).is_some_and(|u| u.active)),
            "company {} has an active owner",
            c.id
        );
    }
    for c in &ws.contacts {
        assert!(c.created_at <= c.updated_at && c.updated_at <= as_of, "contact {}", c.id);
        assert!(c.company_ids.iter().all(|id| ws.companies.contains(*id)));
    }
    // A deal is never older than its company or contacts.
    for d in &ws.deals {
        if let Some(c) = d.company_id {
            assert!(
                ws.companies.get(c).unwrap().created_at <= d.created_at,
                "deal {} before company {c}",
                d.id
            );
        }
        for c in &d.contact_ids {
            assert!(ws.contacts.get(*c).unwrap().created_at <= d.created_at);
        }
    }
    for plan in &ws.plans {
        assert!(plan.manager_id.is_some_and(|u| ws.users.contains(u)));
        assert!(plan.target > 0);
        assert_eq!(plan.origin, "plans.csv");
    }
}

#[test]
fn default_demo_is_consistent() {
    check(default_demo(), &moscow(), now());
}

#[test]
fn consistent_at_awkward_moments() {
    // Monday before work, Sunday night, a holiday, New Year's Eve evening.
    for (seed, at) in [
        (1, "2026-11-23T04:00:00Z"),
        (2, "2026-11-29T20:59:00Z"),
        (3, "2026-11-04T10:00:00Z"),
        (4, "2026-12-31T16:30:00Z"),
        (5, "2026-01-09T08:00:00Z"),
    ] {
        let as_of = utc(at);
        let ws = generate(&options(seed, 1_500, as_of), &moscow());
        check(&ws, &moscow(), as_of);
    }
}

#[test]
fn consistent_in_a_zone_with_daylight_saving() {
    // The morning after Berlin's spring switch, and New York's autumn one.
    for (zone, at) in [
        (chrono_tz::Europe::Berlin, "2026-03-30T07:15:00Z"),
        (chrono_tz::America::New_York, "2026-11-02T15:00:00Z"),
    ] {
        let cal = BusinessCalendar::plain(zone);
        let as_of = utc(at);
        let ws = generate(&options(9, 1_500, as_of), &cal);
        check(&ws, &cal, as_of);
        // Working hours are local: every move falls between 09:00 and 18:00 there.
        for d in &ws.deals {
            for mv in &d.history {
                let hour = chrono::Timelike::hour(&cal.local_time(mv.at));
                assert!((9..18).contains(&hour), "{zone}: {}", cal.local_time(mv.at));
            }
        }
    }
}

#[test]
fn ids_are_amocrm_like_and_unique() {
    let ws = default_demo();
    assert!(ws.deals.iter().all(|d| d.id >= tsifra_demo::FIRST_DEAL_ID));
    assert!(ws.companies.iter().all(|c| c.id >= tsifra_demo::FIRST_COMPANY_ID));
    // Tables are keyed by id, so equal lengths mean no id was generated twice.
    let deals: HashSet<_> = ws.deals.iter().map(|d| d.id).collect();
    assert_eq!(deals.len(), ws.deals.len());
    let tasks: HashSet<_> = ws.tasks.iter().map(|t| t.id).collect();
    assert_eq!(tasks.len(), ws.tasks.len());
    let activities: HashSet<_> = ws.activities.iter().map(|a| a.id).collect();
    assert_eq!(activities.len(), ws.activities.len());
}
