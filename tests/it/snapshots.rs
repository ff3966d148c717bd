//! Every report on the demo department at a fixed seed and moment, as the
//! terminal shows it (Russian, first rows of each table). A change in any
//! number shows up here for review (`INSTA_UPDATE=always cargo test` + git diff).

use tsifra_core::reports::{self, Ctx, Facts, ReportId, ReportParams, tabular};
use tsifra_core::{Config, Language};
use tsifra_demo::DemoOptions;

const ROWS: usize = 15;

/// The demo department with its field mapping, clock at 2026-11-20 15:00 in Moscow.
fn demo(seed: u64, deals: usize) -> (Config, tsifra_core::BusinessCalendar, tsifra_core::Instant, tsifra_core::Workspace) {
    let config = Config {
        fields: tsifra_demo::field_mapping(),
        ..Config::default()
    };
    let calendar = config.calendar();
    let as_of = tsifra_web::parse_as_of("2026-11-20T15:00", &calendar).unwrap();
    let ws = tsifra_demo::generate(&DemoOptions { seed, deals, as_of }, &calendar);
    (config, calendar, as_of, ws)
}

#[test]
fn reports_on_the_demo() {
    let (config, calendar, as_of, ws) = demo(7, 1_500);
    let facts = Facts::build(&ws, &config);
    let ctx = Ctx {
        ws: &ws,
        facts: &facts,
        config: &config,
        calendar: &calendar,
        as_of,
    };
    for id in ReportId::ALL {
        let report = reports::run(id, &ctx, &ReportParams::default());
        let mut text = String::new();
        for mut table in tabular::tables(&report, Language::Ru, "RUB") {
            let total = table.rows.len();
            table.rows.truncate(ROWS);
            text.push_str(&tabular::to_text(&table, Language::Ru, "RUB", &calendar));
            if total > ROWS {
                text.push_str(&format!("  … {} rows in all\n", total));
            }
            text.push('\n');
        }
        insta::assert_snapshot!(id.as_str(), text);
    }
}

/// The live fast path (the workspace as it stands now, read from the prepared
/// lists and the standing hygiene verdicts) and the full scan agree, for
/// everyone and for one manager, now and three weeks on with nothing new (more
/// deals gone stale, more tasks overdue).
#[test]
fn live_fast_path_equals_the_full_scan() {
    let (config, calendar, now, ws) = demo(9, 2_000);
    let fast = Facts::build(&ws, &config);
    assert!(fast.settled(now));
    assert!(!fast.now.open_deals.is_empty() && !fast.now.open_tasks.is_empty());
    assert!(!fast.call_candidates(&ws, &config).call_candidates.is_empty());
    let ctx = Ctx {
        ws: &ws,
        facts: &fast,
        config: &config,
        calendar: &calendar,
        as_of: now,
    };
    assert!(
        fast.hygiene_base(&ctx).is_some(),
        "the standing hygiene verdicts are made from the index"
    );
    let manager = ws.deals.iter().find_map(|d| d.responsible_id);
    for as_of in [now, now + chrono::Duration::days(21)] {
        let mut slow = fast.clone();
        slow.settled_at = Some(as_of + chrono::Duration::days(1));
        assert!(!slow.settled(as_of));
        for id in [ReportId::Hygiene, ReportId::CallPriority] {
            for params in [
                ReportParams::default(),
                ReportParams {
                    manager,
                    ..ReportParams::default()
                },
                ReportParams {
                    prospects: true,
                    ..ReportParams::default()
                },
            ] {
                let run = |facts: &Facts| {
                    let ctx = Ctx {
                        ws: &ws,
                        facts,
                        config: &config,
                        calendar: &calendar,
                        as_of,
                    };
                    serde_json::to_value(reports::run(id, &ctx, &params)).unwrap()
                };
                assert_eq!(run(&fast), run(&slow), "{id:?} {params:?} {as_of}");
            }
        }
    }
}

/// After a batch, the rebuilt index keeps the parts whose data did not change
/// and gives every report exactly what a fresh build gives.
#[test]
fn rebuilt_index_equals_a_fresh_one() {
    use std::sync::Arc;
    use tsifra_core::model::{Activity, ActivityKind, Batch, EntityRef, StageKind, StageMove};

    let (config, calendar, now, mut ws) = demo(9, 2_000);
    let same_reports = |ws: &tsifra_core::Workspace, rebuilt: &Facts| {
        let fresh = Facts::build(ws, &config);
        for as_of in [now, now + chrono::Duration::days(3)] {
            for id in ReportId::ALL {
                let run = |facts: &Facts| {
                    let ctx = Ctx {
                        ws,
                        facts,
                        config: &config,
                        calendar: &calendar,
                        as_of,
                    };
                    serde_json::to_value(reports::run(id, &ctx, &ReportParams::default())).unwrap()
                };
                assert_eq!(run(rebuilt), run(&fresh), "{id:?} at {as_of}");
            }
        }
    };
    let first = Facts::build(&ws, &config);

    // A webhook's worth: one open deal won an hour ago, nothing else.
    let mut deal = ws
        .deals
        .iter()
        .find(|d| ws.stage_kind(d.pipeline_id, d.stage_id) == StageKind::Open)
        .unwrap()
        .clone();
    let won = ws
        .pipelines
        .get(deal.pipeline_id)
        .unwrap()
        .stages
        .iter()
        .find(|s| s.kind == StageKind::Won)
        .unwrap()
        .id;
    let at = now - chrono::Duration::hours(1);
    deal.stage_id = won;
    deal.history.push(StageMove {
        at,
        pipeline_id: deal.pipeline_id,
        stage_id: won,
        author_id: deal.responsible_id,
    });
    ws.apply(&Batch {
        deals: vec![deal.clone()],
        ..Batch::default()
    });
    let second = Facts::rebuild(Some(&first), &ws, &config);
    assert!(
        Arc::ptr_eq(&first.comms_by_company, &second.comms_by_company),
        "communications kept"
    );
    assert!(Arc::ptr_eq(&first.tasks_by_entity, &second.tasks_by_entity), "tasks kept");
    assert!(
        Arc::ptr_eq(&first.duplicate_companies, &second.duplicate_companies),
        "duplicates kept"
    );
    assert_eq!(second.won.len(), first.won.len() + 1, "the new win is in the rebuilt part");
    same_reports(&ws, &second);

    // A call on that deal: the communications are built again.
    ws.apply(&Batch {
        activities: vec![Activity {
            id: 9_000_001,
            kind: ActivityKind::CallOut,
            manager_id: deal.responsible_id,
            entity: Some(EntityRef::Deal(deal.id)),
            at,
            duration_s: 120,
            connected: true,
            source: deal.source,
        }],
        ..Batch::default()
    });
    let third = Facts::rebuild(Some(&second), &ws, &config);
    assert!(
        !Arc::ptr_eq(&second.comms_by_company, &third.comms_by_company),
        "communications rebuilt"
    );
    assert!(Arc::ptr_eq(&second.tasks_by_entity, &third.tasks_by_entity), "tasks still kept");
    assert_eq!(third.calls_out.len(), second.calls_out.len() + 1);
    same_reports(&ws, &third);

    // An index of another workspace is never reused.
    let (.., other) = demo(9, 2_000);
    let foreign = Facts::rebuild(Some(&third), &other, &config);
    assert!(!Arc::ptr_eq(&third.tasks_by_entity, &foreign.tasks_by_entity));
}
