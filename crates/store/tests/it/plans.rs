//! Plans from several files: each row keeps its import time to the millisecond,
//! the latest import is in force after a reload, a re-import replaces only its
//! own file's rows, and removing a file brings back what it had overridden.

use tsifra_core::calendar::{Period, PeriodKind};
use tsifra_core::model::*;

use crate::common::{ImportedAt, TestDb, date, plan};

crate::on_both_backends! {
    the_latest_import_stays_in_force_across_a_reload => latest_import_in_force;
}

fn in_force(ws: &Workspace) -> Vec<(Option<Id>, &str, i64)> {
    let mut rows: Vec<_> = plans_in_force(&ws.plans)
        .into_iter()
        .map(|p| (p.manager_id, p.origin.as_str(), p.target))
        .collect();
    rows.sort();
    rows
}

async fn latest_import_in_force(db: &TestDb) {
    let store = db.open().await;
    let december = Period::containing(PeriodKind::Month, date(2026, 12, 1));
    let import = |origin: &str, at: i64, rows: &[(Option<Id>, i64)]| Batch {
        replace_plan_origins: vec![origin.into()],
        plans: rows
            .iter()
            .map(|&(m, target)| plan(origin, m, december, Metric::Revenue, target).imported_at(at))
            .collect(),
        ..Batch::default()
    };
    // "a.xlsx" sorts first, but "b.csv" is imported later (by 1 ms) and overrides Anna (1) and the team.
    store
        .write_batch(&import("b.csv", 1_764_000_000_001, &[(Some(1), 200), (None, 600)]))
        .await
        .unwrap();
    store
        .write_batch(&import("a.xlsx", 1_764_000_000_000, &[(Some(1), 100), (Some(2), 50), (None, 500)]))
        .await
        .unwrap();
    let ws = store.load().await.unwrap();
    assert_eq!(ws.plans.len(), 5, "both files stay loaded");
    assert_eq!(
        in_force(&ws),
        vec![(None, "b.csv", 600), (Some(1), "b.csv", 200), (Some(2), "a.xlsx", 50)]
    );
    let b = ws.plans.iter().find(|p| p.origin == "b.csv").unwrap();
    assert_eq!(b.imported_at.unwrap().timestamp_millis(), 1_764_000_000_001);

    // Re-importing b.csv replaces its own rows only, in one batch.
    store
        .write_batch(&import("b.csv", 1_764_000_100_000, &[(Some(1), 250)]))
        .await
        .unwrap();
    let ws = store.load().await.unwrap();
    assert_eq!(ws.plans.len(), 4);
    assert_eq!(
        in_force(&ws),
        vec![(None, "a.xlsx", 500), (Some(1), "b.csv", 250), (Some(2), "a.xlsx", 50)]
    );

    // Removing b.csv brings a.xlsx's plan for Anna back in force.
    store
        .write_batch(&Batch {
            replace_plan_origins: vec!["b.csv".into()],
            ..Batch::default()
        })
        .await
        .unwrap();
    let ws = store.load().await.unwrap();
    assert_eq!(
        in_force(&ws),
        vec![(None, "a.xlsx", 500), (Some(1), "a.xlsx", 100), (Some(2), "a.xlsx", 50)]
    );
    store.close().await;
}
