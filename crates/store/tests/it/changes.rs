//! The change log: a second handle on the same database (another process, as
//! `tsifra serve` sees a `tsifra sync` run from a shell) brings a workspace
//! loaded earlier up to date from what the log names, and ends up equal to a
//! fresh full load; and it is told to load whole when the log cannot say.

use chrono::NaiveDate;
use tsifra_core::calendar::{Period, PeriodKind};
use tsifra_core::model::*;
use tsifra_core::{Money, Workspace};
use tsifra_store::{ReloadWhy, Store, StoreChanges};

use crate::apply::second_batch_of_changes;
use crate::common::{TestDb, activity, assert_same_workspace, at, date, deal, plan, sample_workspace};

crate::on_both_backends! {
    a_watcher_catches_up_from_the_log_to_a_fresh_load => catches_up;
    a_pruned_log_or_a_huge_batch_asks_for_a_full_load => full_load_when_the_log_cannot_say;
}

/// What the watching handle does: reads the changes after `ws`'s store
/// version and applies them; returns the store version it reached.
async fn catch_up(reader: &Store, ws: &mut Workspace, seen: u64) -> u64 {
    match reader.changes_since(seen).await.unwrap() {
        StoreChanges::Changed { version, batch, .. } => {
            ws.apply(&batch);
            version
        }
        other => panic!("expected changes after version {seen}, got {other:?}"),
    }
}

fn hygiene(day: NaiveDate, manager_id: Option<Id>, rule: &str, violations: u32) -> HygieneCount {
    HygieneCount {
        day,
        manager_id,
        rule: rule.into(),
        violations,
        checked: 10,
    }
}

/// Equal to a fresh load of the store (hygiene tallies too), the version aside:
/// the watcher applies many store versions as one batch.
async fn assert_equals_fresh_load(ws: &Workspace, store: &Store) {
    let mut fresh = store.load().await.unwrap();
    let mut mine = ws.clone();
    mine.version = fresh.version;
    assert_same_workspace(&mine, &fresh);
    fresh
        .hygiene_history
        .sort_by(|a, b| (a.day, a.manager_id, &a.rule).cmp(&(b.day, b.manager_id, &b.rule)));
    assert_eq!(mine.hygiene_history, fresh.hygiene_history, "hygiene history");
}

async fn catches_up(db: &TestDb) {
    let writer = db.open().await;
    let reader = db.open().await;
    let first = Batch {
        hygiene_history: vec![
            hygiene(date(2026, 11, 24), Some(1), "deal_without_task", 3),
            hygiene(date(2026, 11, 25), Some(1), "deal_without_task", 4),
        ],
        ..Batch::from_workspace(&sample_workspace())
    };
    writer.write_batch(&first).await.unwrap();

    // The watcher loads the store, as `tsifra serve` does at start.
    let mut ws = reader.load().await.unwrap();
    let mut seen = ws.version;
    assert_eq!(seen, 1);
    assert!(matches!(reader.changes_since(seen).await.unwrap(), StoreChanges::UpToDate));

    // One deal changed, from another handle.
    let mut changed = ws.deals.get(33).unwrap().clone();
    changed.amount = Money::from_major(777);
    changed.stage_id = AMOCRM_WON_STATUS;
    changed.closed_at = Some(at(1_764_500_000));
    writer
        .write_batch(&Batch {
            deals: vec![changed.clone()],
            ..Batch::default()
        })
        .await
        .unwrap();
    match reader.changes_since(seen).await.unwrap() {
        StoreChanges::Changed { version, batch, records } => {
            assert_eq!((version, records), (2, 1), "one batch, one record");
            assert_eq!(batch.deals, vec![changed.clone()], "just the changed deal is read");
            assert!(batch.deletions.is_empty() && batch.tasks.is_empty() && batch.plans.is_empty());
            ws.apply(&batch);
            seen = version;
        }
        other => panic!("expected one changed deal, got {other:?}"),
    }
    assert_equals_fresh_load(&ws, &reader).await;

    // Several batches before the watcher looks again: records added, changed
    // and deleted (deals, tasks, pipelines, users…), plans replaced, the account renamed.
    writer.write_batch(&second_batch_of_changes()).await.unwrap();
    let mut reopened = ws.tasks.get(40).unwrap().clone();
    reopened.completed_at = None;
    writer
        .write_batch(&Batch {
            deals: vec![deal(36, 1), deal(37, 2)],
            tasks: vec![
                reopened,
                Task {
                    id: 44,
                    entity: Some(EntityRef::Deal(36)),
                    responsible_id: Some(1),
                    kind: TaskKind::Call,
                    text: "Новая".into(),
                    created_at: at(1_764_400_000),
                    due_at: at(1_764_500_000),
                    completed_at: None,
                    result: None,
                    source: Source::Amocrm,
                },
            ],
            activities: vec![activity(200)],
            // Deleted the batch after it was added; and one added two batches ago.
            deletions: vec![(EntityKind::Deal, 34), (EntityKind::Task, 42), (EntityKind::Activity, 100)],
            // A plan file removed (none of its plans left), another replaced.
            replace_plan_origins: vec!["https://docs.example/sheet".into(), "plans-2027.csv".into()],
            plans: vec![plan(
                "plans-2027.csv",
                Some(1),
                Period::containing(PeriodKind::Month, date(2027, 1, 10)),
                Metric::Revenue,
                5,
            )],
            // A day's tallies replaced; a new day.
            hygiene_history: vec![
                hygiene(date(2026, 11, 25), Some(2), "deal_without_task", 1),
                hygiene(date(2026, 11, 26), None, "company_without_inn", 9),
            ],
            ..Batch::default()
        })
        .await
        .unwrap();
    // An empty batch moves the version and logs nothing.
    writer.write_batch(&Batch::default()).await.unwrap();
    seen = catch_up(&reader, &mut ws, seen).await;
    assert_eq!(seen, 5);
    assert!(ws.deals.get(34).is_none() && ws.deals.get(36).is_some() && ws.tasks.get(42).is_none());
    assert!(ws.plans.iter().all(|p| p.origin != "https://docs.example/sheet"));
    assert_equals_fresh_load(&ws, &reader).await;

    // A deal deleted and added back between two looks is there, as stored.
    writer
        .write_batch(&Batch {
            deletions: vec![(EntityKind::Deal, 36)],
            ..Batch::default()
        })
        .await
        .unwrap();
    let mut back = deal(36, 2);
    back.name = "Вернулась".into();
    writer
        .write_batch(&Batch {
            deals: vec![back.clone()],
            ..Batch::default()
        })
        .await
        .unwrap();
    seen = catch_up(&reader, &mut ws, seen).await;
    assert_eq!(ws.deals.get(36), Some(&back));
    assert_equals_fresh_load(&ws, &reader).await;
    assert!(matches!(reader.changes_since(seen).await.unwrap(), StoreChanges::UpToDate));

    writer.close().await;
    reader.close().await;
}

async fn full_load_when_the_log_cannot_say(db: &TestDb) {
    let writer = db.open().await;
    let reader = db.open().await;
    writer.write_batch(&Batch::from_workspace(&sample_workspace())).await.unwrap();
    let mut ws = reader.load().await.unwrap();
    let seen = ws.version;

    // A batch too big to list record by record (a whole import).
    let many = Batch {
        activities: (1_000..61_000).map(activity).collect(),
        ..Batch::default()
    };
    let version = writer.write_batch(&many).await.unwrap();
    match reader.changes_since(seen).await.unwrap() {
        StoreChanges::Reload { version: v, why } => assert_eq!((v, why), (version, ReloadWhy::TooMany)),
        other => panic!("expected a full load for 60,000 records, got {other:?}"),
    }
    ws = reader.load().await.unwrap();
    let mut seen = ws.version;

    // More than the log keeps (1,000 batches, pruned every 16): the oldest
    // looks are answered with a full load, recent ones still from the log.
    let old = seen;
    for i in 0..1_020 {
        let mut d = deal(50_000 + i % 7, 1);
        d.amount = Money::from_major(i);
        writer
            .write_batch(&Batch {
                deals: vec![d],
                ..Batch::default()
            })
            .await
            .unwrap();
    }
    let now = writer.version().await.unwrap();
    match reader.changes_since(old).await.unwrap() {
        StoreChanges::Reload { version, why } => assert_eq!((version, why), (now, ReloadWhy::Pruned)),
        other => panic!("expected a full load past the pruned log, got {other:?}"),
    }
    let recent = now - 900;
    let mut recent_ws = ws.clone();
    for v in seen + 1..=recent {
        // Bring a copy to `recent` from what was written (deals 50_000.. with amounts).
        let i = (v - seen - 1) as i64;
        let mut d = deal(50_000 + i % 7, 1);
        d.amount = Money::from_major(i);
        recent_ws.apply(&Batch {
            deals: vec![d],
            ..Batch::default()
        });
    }
    seen = catch_up(&reader, &mut recent_ws, recent).await;
    assert_eq!(seen, now);
    assert_equals_fresh_load(&recent_ws, &reader).await;

    writer.close().await;
    reader.close().await;
}
