//! Sync checkpoints land with their batch, and daily hygiene tallies replace
//! their day: what a connector and the daily job rely on.

use tsifra_core::calendar::{Period, PeriodKind};
use tsifra_core::model::*;

use crate::common::{TestDb, date, deal, plan, sample_workspace};

crate::on_both_backends! {
    checkpoint_lands_with_its_batch_or_not_at_all => checkpoint_with_batch;
    hygiene_tallies_round_trip_and_replace_their_day => hygiene_days;
}

async fn checkpoint_with_batch(db: &TestDb) {
    let store = db.open().await;
    assert_eq!(store.checkpoint("amocrm.leads").await.unwrap(), None);
    let page = |n: &str| {
        vec![
            ("amocrm.leads".to_string(), n.to_string()),
            ("amocrm.run".to_string(), "full".to_string()),
        ]
    };
    store
        .write_batch_with_checkpoints(
            &Batch {
                deals: vec![deal(1, 1)],
                ..Batch::default()
            },
            &page("1"),
        )
        .await
        .unwrap();
    store
        .write_batch_with_checkpoints(
            &Batch {
                deals: vec![deal(2, 1)],
                ..Batch::default()
            },
            &page("2"),
        )
        .await
        .unwrap();
    assert_eq!(store.checkpoint("amocrm.leads").await.unwrap().as_deref(), Some("2"));
    assert_eq!(store.checkpoint("amocrm.run").await.unwrap().as_deref(), Some("full"));

    // A batch the database rejects leaves both the data and the checkpoint where they were.
    let stored = plan(
        "p.csv",
        None,
        Period::containing(PeriodKind::Month, date(2026, 1, 1)),
        Metric::Revenue,
        1,
    );
    store
        .write_batch(&Batch {
            plans: vec![stored.clone()],
            replace_plan_origins: vec!["p.csv".into()],
            ..Batch::default()
        })
        .await
        .unwrap();
    let clash = Batch {
        deals: vec![deal(3, 1)],
        plans: vec![stored],
        ..Batch::default()
    };
    assert!(store.write_batch_with_checkpoints(&clash, &page("3")).await.is_err());
    assert_eq!(store.checkpoint("amocrm.leads").await.unwrap().as_deref(), Some("2"));
    assert!(store.load().await.unwrap().deals.get(3).is_none());
}

async fn hygiene_days(db: &TestDb) {
    let store = db.open().await;
    store.write_batch(&Batch::from_workspace(&sample_workspace())).await.unwrap();
    let count = |day: (i32, u32, u32), manager: Option<Id>, rule: &str, violations: u32| HygieneCount {
        day: date(day.0, day.1, day.2),
        manager_id: manager,
        rule: rule.into(),
        violations,
        checked: 10,
    };
    // In the order a load returns them: day, then manager (none first), then rule.
    let first = vec![
        count((2026, 11, 20), None, "deal_without_company", 2),
        count((2026, 11, 20), Some(1), "overdue_task", 3),
        count((2026, 11, 21), Some(1), "overdue_task", 4),
    ];
    store
        .write_batch(&Batch {
            hygiene_history: first.clone(),
            ..Batch::default()
        })
        .await
        .unwrap();
    assert_eq!(store.load().await.unwrap().hygiene_history, first);

    // The 21st stored again replaces that whole day; the 20th stays.
    let again = vec![count((2026, 11, 21), Some(2), "stale_deal", 1)];
    store
        .write_batch(&Batch {
            hygiene_history: again.clone(),
            ..Batch::default()
        })
        .await
        .unwrap();
    let mut expected = sample_workspace();
    expected.apply(&Batch {
        hygiene_history: first,
        ..Batch::default()
    });
    expected.apply(&Batch {
        hygiene_history: again,
        ..Batch::default()
    });
    assert_eq!(store.load().await.unwrap().hygiene_history, expected.hygiene_history);
}
