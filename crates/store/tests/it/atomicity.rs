//! A batch lands whole or not at all: a failure after thousands of rows were
//! already written inside the transaction leaves the store exactly as it was.

use tsifra_core::calendar::{Period, PeriodKind};
use tsifra_core::model::*;
use tsifra_store::StoreError;

use crate::common::{TestDb, activity, assert_same_workspace, date, deal, plan, sample_workspace};

crate::on_both_backends! {
    batch_rejected_by_the_database_half_way_leaves_no_trace => rejected_half_way;
    contradictory_batch_is_refused_before_writing => refused_up_front;
}

/// Big enough to span several multi-row statements per table.
fn heavy_batch() -> Batch {
    let mut renamed = sample_workspace().deals.get(30).unwrap().clone();
    renamed.name = "должно откатиться".into();
    Batch {
        deals: (1000..6000).map(|id| deal(id, 1)).chain([renamed]).collect(),
        activities: (1000..21_000).map(activity).collect(),
        deletions: vec![(EntityKind::Company, 10), (EntityKind::Pipeline, 1), (EntityKind::Activity, 1)],
        replace_plan_origins: vec!["https://docs.example/sheet".into()],
        ..Batch::default()
    }
}

async fn rejected_half_way(db: &TestDb) {
    let store = db.open().await;
    store.write_batch(&Batch::from_workspace(&sample_workspace())).await.unwrap();
    let before = store.load().await.unwrap();

    // Everything above lands inside the transaction first; then this plan
    // collides with a stored one of an origin the batch does not replace,
    // and the database's primary key rejects it.
    let mut batch = heavy_batch();
    let stored = before.plans.iter().find(|p| p.origin == "plans-2026.csv").unwrap().clone();
    batch.plans = vec![
        plan(
            "https://docs.example/sheet",
            None,
            Period::containing(PeriodKind::Day, date(2026, 1, 1)),
            Metric::Calls,
            1,
        ),
        stored,
    ];
    let err = store.write_batch(&batch).await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidBatch(_)), "{err}");
    assert_same_workspace(&store.load().await.unwrap(), &before);

    if !db.is_sqlite() {
        // PostgreSQL refuses NUL in text: a failure in the middle of the
        // entity upserts rather than at the very end.
        let mut batch = heavy_batch();
        let mut bad = sample_workspace().payments.get(50).unwrap().clone();
        bad.id = 77;
        bad.source = Source::Import;
        batch.payments = vec![bad];
        batch.tasks = vec![Task {
            text: "nul \0 byte".into(),
            ..sample_workspace().tasks.get(40).unwrap().clone()
        }];
        let err = store.write_batch(&batch).await.unwrap_err();
        assert!(matches!(err, StoreError::Query { .. }), "{err}");
        assert_same_workspace(&store.load().await.unwrap(), &before);
    }

    // The store is still usable after the rollback.
    store.write_batch(&heavy_batch()).await.unwrap();
    let after = store.load().await.unwrap();
    assert_eq!(after.version, before.version + 1);
    assert_eq!(after.activities.len(), before.activities.len() - 1 + 20_000);
    store.close().await;
}

async fn refused_up_front(db: &TestDb) {
    let store = db.open().await;
    store.write_batch(&Batch::from_workspace(&sample_workspace())).await.unwrap();
    let before = store.load().await.unwrap();

    let month = Period::containing(PeriodKind::Month, date(2026, 3, 1));
    let mut twice = heavy_batch();
    twice.plans = vec![
        plan("march.csv", Some(1), month, Metric::Revenue, 10),
        plan("march.csv", Some(1), month, Metric::Revenue, 20),
    ];
    let err = store.write_batch(&twice).await.unwrap_err();
    assert!(err.to_string().contains("march.csv"), "{err}");

    let mut stages = heavy_batch();
    let mut p = sample_workspace().pipelines.get(1).unwrap().clone();
    p.stages.push(p.stages[0].clone());
    stages.pipelines = vec![p];
    let err = store.write_batch(&stages).await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidBatch(_)), "{err}");

    assert_same_workspace(&store.load().await.unwrap(), &before);
    store.close().await;
}
