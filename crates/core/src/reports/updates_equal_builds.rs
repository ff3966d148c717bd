//! The indexes kept up to date by change sets equal the indexes built from
//! scratch: random workspaces shaped like real accounts (see
//! [`super::live_equals_scan`]) take random sequences of batches (records new,
//! changed, deleted; deals won, reopened, moved between companies; tasks done
//! and reopened; communications moved), and after each one the updated query
//! layer and floor index are compared with ones built from every row.
//! Half the deletions hit a table's last row (no other row moves, so the
//! floor index updates in place); the others move the last row into the gap.

use chrono::Duration;
use proptest::prelude::*;

use super::Facts;
use super::live_equals_scan::{Rng, workspace};
use super::testkit::*;
use crate::model::*;
use crate::query::Layer;

/// One random batch against `ws`.
fn random_batch(r: &mut Rng, ws: &Workspace, end: crate::calendar::Instant, next_id: &mut Id) -> Batch {
    let mut b = Batch::default();
    let deals: Vec<Id> = ws.deals.iter().map(|d| d.id).collect();
    let companies: Vec<Id> = ws.companies.iter().map(|c| c.id).collect();
    let contacts: Vec<Id> = ws.contacts.iter().map(|c| c.id).collect();
    let tasks: Vec<Id> = ws.tasks.iter().map(|t| t.id).collect();
    let activities: Vec<Id> = ws.activities.iter().map(|a| a.id).collect();
    let managers: Vec<Id> = ws.users.iter().map(|u| u.id).collect();
    let upcoming = *next_id;
    // Half the deletions hit the table's last row, which moves no other row.
    let gone = |r: &mut Rng, ids: &[Id]| if r.chance(50) { *ids.last().unwrap() } else { r.pick(ids) };
    let entity = |r: &mut Rng| match r.below(4) {
        0 if !companies.is_empty() => Some(EntityRef::Company(r.pick(&companies))),
        1 if !contacts.is_empty() => Some(EntityRef::Contact(r.pick(&contacts))),
        2 if !deals.is_empty() => Some(EntityRef::Deal(r.pick(&deals))),
        // A deal not (yet) in the workspace: its record may come in a later batch.
        3 => Some(EntityRef::Deal(upcoming + 1 + r.below(3) as Id)),
        _ => None,
    };
    for _ in 0..1 + r.below(4) {
        match r.below(12) {
            // A deal moved on: won, lost, reopened, to another stage, with or without its move recorded.
            0..=2 if !deals.is_empty() => {
                let mut d = ws.deals.get(r.pick(&deals)).unwrap().clone();
                let at = r.before(end, 30).max(d.created_at);
                let (pipeline_id, stage_id) = r.pick(&[
                    (COLD, AMOCRM_WON_STATUS),
                    (COLD, AMOCRM_LOST_STATUS),
                    (COLD, FIRST),
                    (HOT, HOT_FIRST + 1),
                    (COLD, NEGOTIATION),
                ]);
                if r.chance(70) {
                    d.history.push(StageMove {
                        at,
                        pipeline_id,
                        stage_id,
                        author_id: d.responsible_id,
                    });
                    d.history.sort_by_key(|m| m.at);
                }
                (d.pipeline_id, d.stage_id) = (pipeline_id, stage_id);
                d.updated_at = d.updated_at.max(at);
                d.closed_at = matches!(stage_id, AMOCRM_WON_STATUS | AMOCRM_LOST_STATUS).then_some(at);
                b.deals.push(d);
            }
            // Its amount, company, contacts, responsible or creation changed.
            3 if !deals.is_empty() => {
                let mut d = ws.deals.get(r.pick(&deals)).unwrap().clone();
                match r.below(5) {
                    0 => d.amount = crate::money::Money::from_major(r.below(1_000_000) as i64),
                    1 => d.company_id = (r.chance(80) && !companies.is_empty()).then(|| r.pick(&companies)),
                    2 => d.contact_ids = if contacts.is_empty() { vec![] } else { vec![r.pick(&contacts)] },
                    3 => d.responsible_id = Some(r.pick(&managers)),
                    _ => d.created_at -= Duration::days(r.below(5) as i64),
                }
                b.deals.push(d);
            }
            // A new deal, copied from one there (sometimes the one tasks and calls already point at).
            4 if !deals.is_empty() => {
                let mut d = ws.deals.get(r.pick(&deals)).unwrap().clone();
                *next_id += 1;
                d.id = *next_id;
                d.created_at = r.before(end, 10);
                d.history.retain(|m| m.at >= d.created_at);
                b.deals.push(d);
            }
            5 if !deals.is_empty() => b.deletions.push((EntityKind::Deal, gone(r, &deals))),
            // Tasks: done, reopened, moved, new, deleted.
            6 if !tasks.is_empty() => {
                let mut t = ws.tasks.get(r.pick(&tasks)).unwrap().clone();
                match r.below(4) {
                    0 => t.completed_at = Some(r.before(end, 5).max(t.created_at)),
                    1 => t.completed_at = None,
                    2 => t.entity = entity(r),
                    _ => t.due_at = r.before(end + Duration::days(10), 20),
                }
                if r.chance(30) {
                    *next_id += 1;
                    t.id = *next_id;
                }
                b.tasks.push(t);
            }
            7 if !tasks.is_empty() => b.deletions.push((EntityKind::Task, gone(r, &tasks))),
            // Communications: new, moved to another record or instant, deleted.
            8 if !activities.is_empty() => {
                let mut a = *ws.activities.get(r.pick(&activities)).unwrap();
                if r.chance(50) {
                    *next_id += 1;
                    a.id = *next_id;
                }
                a.entity = entity(r);
                a.at = r.before(end, 40);
                a.kind = r.pick(&[ActivityKind::CallOut, ActivityKind::EmailIn, ActivityKind::Note]);
                b.activities.push(a);
            }
            9 if !activities.is_empty() => b.deletions.push((EntityKind::Activity, gone(r, &activities))),
            // Contacts and companies: another company, a new one, one deleted.
            10 if !contacts.is_empty() => {
                if r.chance(25) {
                    b.deletions.push((EntityKind::Contact, gone(r, &contacts)));
                } else {
                    let mut c = ws.contacts.get(r.pick(&contacts)).unwrap().clone();
                    c.company_ids = if companies.is_empty() || r.chance(20) {
                        vec![]
                    } else {
                        vec![r.pick(&companies)]
                    };
                    b.contacts.push(c);
                }
            }
            11 if !companies.is_empty() => {
                if r.chance(30) {
                    b.deletions.push((EntityKind::Company, gone(r, &companies)));
                } else {
                    let mut c = ws.companies.get(r.pick(&companies)).unwrap().clone();
                    c.responsible_id = Some(r.pick(&managers));
                    if r.chance(50) {
                        *next_id += 1;
                        c.id = *next_id;
                    }
                    b.companies.push(c);
                }
            }
            _ => {}
        }
    }
    // Now and then, what every deal's meaning hangs on: a stage of a pipeline renamed.
    if r.chance(3) {
        let mut p = ws.pipelines.get(COLD).unwrap().clone();
        p.stages[1].name.push('!');
        b.pipelines.push(p);
    }
    b
}

/// Every part of two floor indexes, compared one by one (so a failure names the part).
fn assert_same_facts(updated: &Facts, built: &Facts, what: &str) {
    assert_eq!(updated.version, built.version, "{what}: version");
    assert_eq!(updated.won, built.won, "{what}: won");
    assert_eq!(updated.calls_out, built.calls_out, "{what}: calls_out");
    assert_eq!(updated.tasks_by_entity, built.tasks_by_entity, "{what}: tasks_by_entity");
    assert_eq!(updated.deals_by_company, built.deals_by_company, "{what}: deals_by_company");
    assert_eq!(updated.comms_by_company, built.comms_by_company, "{what}: comms_by_company");
    assert_eq!(updated.calls_by_company, built.calls_by_company, "{what}: calls_by_company");
    assert_eq!(updated.comms_by_deal, built.comms_by_deal, "{what}: comms_by_deal");
    assert_eq!(updated.calls_by_deal, built.calls_by_deal, "{what}: calls_by_deal");
    assert_eq!(
        updated.duplicate_companies, built.duplicate_companies,
        "{what}: duplicate_companies"
    );
    assert_eq!(updated.settled_at, built.settled_at, "{what}: settled_at");
    assert_eq!(updated.now.open_deals, built.now.open_deals, "{what}: open deals");
    assert_eq!(updated.now.open_tasks, built.now.open_tasks, "{what}: open tasks");
    assert_eq!(updated.unpaid_payments, built.unpaid_payments, "{what}: unpaid payments");
    assert_eq!(updated.paid_payments, built.paid_payments, "{what}: paid payments");
}

/// The past-as-of part, updated by the change (when it was made before it),
/// equals one built from `ws`; then it is made, so the next change updates it.
fn assert_same_past(ws: &Workspace, facts: &Facts, what: &str) {
    if let Some(updated) = facts.past_made() {
        assert!(*updated == super::facts::past::Past::build(ws), "{what}: past-as-of index");
    }
    assert!(facts.past(ws).is_some(), "{what}: the past-as-of index is made");
}

/// The standing hygiene verdicts each index makes (on demand) for the workspace.
fn assert_same_hygiene(ws: &Workspace, config: &crate::config::Config, updated: &Facts, built: &Facts, what: &str) {
    let calendar = config.calendar();
    let base = |facts: &Facts| {
        let ctx = super::Ctx {
            ws,
            facts,
            config,
            calendar: &calendar,
            as_of: at("2030-01-01T00:00:00Z"),
        };
        facts.hygiene_base(&ctx).cloned()
    };
    assert_eq!(base(updated), base(built), "{what}: hygiene verdicts");
    assert_eq!(
        updated.call_candidates(ws, config),
        built.call_candidates(ws, config),
        "{what}: call candidates"
    );
}

fn indexes_stay_equal(seed: u64) {
    let (k, end) = workspace(seed);
    let mut r = Rng(seed ^ 0x5eed);
    let mut ws = k.ws.clone();
    let mut next_id: Id = 1_000_000;
    let mut layer = Layer::build(&ws, &k.config);
    let mut facts = Facts::build(&ws, &k.config);
    // Now and then two batches land before the index is asked for: their change sets merge.
    let mut pending: Option<Changes> = None;
    for step in 0..12 {
        let batch = random_batch(&mut r, &ws, end, &mut next_id);
        let changes = ws.apply(&batch);
        let changes = match pending.take() {
            Some(mut earlier) => {
                earlier.merge(changes);
                earlier
            }
            None => changes,
        };
        if r.chance(25) {
            pending = Some(changes);
            continue;
        }
        let what = format!("seed {seed}, step {step}: {batch:?}");
        layer = layer.update(&ws, &k.config, &changes);
        let built = Layer::build(&ws, &k.config);
        if layer != built {
            let (a, b) = (format!("{layer:?}"), format!("{built:?}"));
            let at = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
            let around = |s: &str| s[at.saturating_sub(400)..(at + 200).min(s.len())].to_string();
            panic!("{what}\nupdated: …{}…\nbuilt:   …{}…", around(&a), around(&b));
        }
        facts = facts.update(&ws, &k.config, &changes);
        let built = Facts::build(&ws, &k.config);
        assert_same_facts(&facts, &built, &what);
        assert_same_hygiene(&ws, &k.config, &facts, &built, &what);
        assert_same_past(&ws, &facts, &what);
    }
}

/// Deleting the first or a middle row of a table (the last row moves into its
/// place) is taken in place, not by building the index again, and the updated
/// index and layer equal built ones.
#[test]
fn deleting_first_and_middle_rows_updates_in_place() {
    for seed in 0..24u64 {
        let (k, _) = workspace(seed);
        let mut ws = k.ws.clone();
        let mut layer = Layer::build(&ws, &k.config);
        let mut facts = Facts::build(&ws, &k.config);
        let first_and_middle = |ids: Vec<Id>| -> Vec<Id> { if ids.len() < 3 { vec![] } else { vec![ids[0], ids[ids.len() / 2]] } };
        let mut cases: Vec<(EntityKind, Id)> = Vec::new();
        cases.extend(
            first_and_middle(ws.deals.iter().map(|d| d.id).collect())
                .into_iter()
                .map(|id| (EntityKind::Deal, id)),
        );
        cases.extend(
            first_and_middle(ws.tasks.iter().map(|t| t.id).collect())
                .into_iter()
                .map(|id| (EntityKind::Task, id)),
        );
        cases.extend(
            first_and_middle(ws.companies.iter().map(|c| c.id).collect())
                .into_iter()
                .map(|id| (EntityKind::Company, id)),
        );
        cases.extend(
            first_and_middle(ws.payments.iter().map(|p| p.id).collect())
                .into_iter()
                .map(|id| (EntityKind::Payment, id)),
        );
        cases.extend(
            first_and_middle(ws.activities.iter().map(|a| a.id).collect())
                .into_iter()
                .map(|id| (EntityKind::Activity, id)),
        );
        assert!(cases.len() >= 6, "seed {seed}: the workspace has rows to delete");
        // Deals with communications moved to another company (or to none) first.
        let companies: Vec<Id> = ws.companies.iter().map(|c| c.id).collect();
        let talked: std::collections::BTreeSet<Id> = ws
            .activities
            .iter()
            .filter_map(|a| match a.entity {
                Some(EntityRef::Deal(d)) if a.kind.is_communication() => Some(d),
                _ => None,
            })
            .collect();
        let moved: Vec<Deal> = ws
            .deals
            .iter()
            .filter(|d| talked.contains(&d.id))
            .take(3)
            .enumerate()
            .map(|(i, d)| Deal {
                company_id: if i == 2 {
                    None
                } else {
                    companies.iter().copied().find(|c| Some(*c) != d.company_id)
                },
                ..d.clone()
            })
            .collect();
        assert!(!moved.is_empty(), "seed {seed}: deals with communications");
        for deal in moved {
            let what = format!("seed {seed}: deal {} moved to company {:?}", deal.id, deal.company_id);
            let changes = ws.apply(&Batch {
                deals: vec![deal],
                ..Batch::default()
            });
            let builds = super::facts::BUILDS.with(|n| n.get());
            facts = facts.update(&ws, &k.config, &changes);
            assert_eq!(
                super::facts::BUILDS.with(|n| n.get()),
                builds,
                "{what}: taken in place, not built again"
            );
            assert_same_facts(&facts, &Facts::build(&ws, &k.config), &what);
            assert_same_past(&ws, &facts, &what);
            layer = layer.update(&ws, &k.config, &changes);
            assert!(layer == Layer::build(&ws, &k.config), "{what}: query layer");
        }
        for (kind, id) in cases {
            let what = format!("seed {seed}: {kind:?} {id} deleted");
            let changes = ws.apply(&Batch {
                deletions: vec![(kind, id)],
                ..Batch::default()
            });
            assert!(
                kind == EntityKind::Activity
                    || !changes.deals.moved.is_empty()
                    || !changes.tasks.moved.is_empty()
                    || !changes.companies.moved.is_empty()
                    || !changes.payments.moved.is_empty(),
                "{what}: a row moved"
            );
            let builds = super::facts::BUILDS.with(|n| n.get());
            facts = facts.update(&ws, &k.config, &changes);
            assert_eq!(
                super::facts::BUILDS.with(|n| n.get()),
                builds,
                "{what}: taken in place, not built again"
            );
            assert_same_facts(&facts, &Facts::build(&ws, &k.config), &what);
            assert_same_hygiene(&ws, &k.config, &facts, &Facts::build(&ws, &k.config), &what);
            assert_same_past(&ws, &facts, &what);
            layer = layer.update(&ws, &k.config, &changes);
            assert!(layer == Layer::build(&ws, &k.config), "{what}: query layer");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn indexes_updated_by_changes_equal_ones_built_from_scratch(seed in any::<u64>()) {
        indexes_stay_equal(seed);
    }
}

/// The per-deal lists' own edges: a deal with many communications and tasks
/// moved into a deleted deal's row, a deal with none deleted, the last row
/// deleted (nothing moves), and a deleted deal coming back (its records, kept
/// by it, take its links again). Each deletion is taken in place by both.
#[test]
fn deal_deletions_move_their_records_by_the_per_deal_lists() {
    for seed in 0..16u64 {
        let (k, end) = workspace(seed);
        let mut ws = k.ws.clone();
        let mut layer = Layer::build(&ws, &k.config);
        let mut facts = Facts::build(&ws, &k.config);
        let mut step = |ws: &mut Workspace, batch: Batch, what: &str, in_place: bool| {
            let changes = ws.apply(&batch);
            let builds = (
                super::facts::BUILDS.with(|n| n.get()),
                crate::query::facts::BUILDS.with(|n| n.get()),
            );
            facts = std::mem::take(&mut facts).update(ws, &k.config, &changes);
            layer = std::mem::take(&mut layer).update(ws, &k.config, &changes);
            if in_place {
                let now = (
                    super::facts::BUILDS.with(|n| n.get()),
                    crate::query::facts::BUILDS.with(|n| n.get()),
                );
                assert_eq!(now, builds, "seed {seed}, {what}: taken in place, not built again");
            }
            assert_same_facts(&facts, &Facts::build(ws, &k.config), what);
            assert_same_hygiene(ws, &k.config, &facts, &Facts::build(ws, &k.config), what);
            assert_same_past(ws, &facts, what);
            assert!(layer == Layer::build(ws, &k.config), "seed {seed}, {what}: query layer");
        };
        // A new deal (the table's last row) with a dozen communications and three tasks.
        let template = ws.deals.iter().find(|d| d.company_id.is_some()).unwrap().clone();
        let talker = Deal {
            id: 9_000_000,
            created_at: end - Duration::days(20),
            history: vec![],
            ..template
        };
        let call = *ws.activities.iter().next().unwrap();
        let activities: Vec<Activity> = (0..12)
            .map(|i| Activity {
                id: 9_000_100 + i,
                entity: Some(EntityRef::Deal(talker.id)),
                at: end - Duration::hours(3 * i + 1),
                kind: [ActivityKind::CallOut, ActivityKind::EmailIn, ActivityKind::Note][i as usize % 3],
                ..call
            })
            .collect();
        let task = ws.tasks.iter().next().unwrap().clone();
        let tasks: Vec<Task> = (0..3)
            .map(|i| Task {
                id: 9_000_200 + i,
                entity: Some(EntityRef::Deal(talker.id)),
                due_at: end - Duration::days(i),
                completed_at: (i == 1).then(|| end - Duration::days(2)),
                ..task.clone()
            })
            .collect();
        step(
            &mut ws,
            Batch {
                deals: vec![talker.clone()],
                activities,
                tasks,
                ..Batch::default()
            },
            "a deal with many records came",
            false,
        );
        assert_eq!(ws.deals.position(talker.id), Some(ws.deals.len() - 1));
        // The first deal goes: the one with many records takes its row.
        let first = ws.deals.as_slice()[0].id;
        step(
            &mut ws,
            Batch {
                deletions: vec![(EntityKind::Deal, first)],
                ..Batch::default()
            },
            "the first deal deleted",
            true,
        );
        assert_eq!(ws.deals.position(talker.id), Some(0), "seed {seed}: the talker moved into row 0");
        // A deal no communication or task is on, not the last row.
        let on_something: std::collections::HashSet<Id> = ws
            .activities
            .iter()
            .filter_map(|a| a.entity)
            .chain(ws.tasks.iter().filter_map(|t| t.entity))
            .filter_map(|e| match e {
                EntityRef::Deal(d) => Some(d),
                _ => None,
            })
            .collect();
        let last = ws.deals.as_slice().last().unwrap().id;
        if let Some(quiet) = ws.deals.iter().map(|d| d.id).find(|d| !on_something.contains(d) && *d != last) {
            step(
                &mut ws,
                Batch {
                    deletions: vec![(EntityKind::Deal, quiet)],
                    ..Batch::default()
                },
                "a deal with no records deleted",
                true,
            );
        }
        // The last row goes (nothing moves), then the deal with many records (its records wait for it)...
        let last = ws.deals.as_slice().last().unwrap().id;
        step(
            &mut ws,
            Batch {
                deletions: vec![(EntityKind::Deal, last)],
                ..Batch::default()
            },
            "the last deal deleted",
            true,
        );
        step(
            &mut ws,
            Batch {
                deletions: vec![(EntityKind::Deal, talker.id)],
                ..Batch::default()
            },
            "the deal with many records deleted",
            true,
        );
        // ... and comes back with another company: they take its links again.
        let other = ws.companies.iter().map(|c| c.id).find(|c| Some(*c) != talker.company_id);
        step(
            &mut ws,
            Batch {
                deals: vec![Deal {
                    company_id: other,
                    ..talker.clone()
                }],
                ..Batch::default()
            },
            "the deal with many records came back",
            true,
        );
    }
}
