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
    assert!(!fast.now.open_deals.is_empty() && !fast.now.open_tasks.is_empty() && !fast.now.call_candidates.is_empty());
    assert!(fast.hygiene.is_some(), "the standing hygiene verdicts are in the index");
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
