//! The store and the in-memory model agree: loading after a batch gives what
//! `Workspace::apply` gives for the same batch.

use tsifra_core::calendar::{Period, PeriodKind};
use tsifra_core::model::*;
use tsifra_core::{Money, Workspace};

use crate::common::{TestDb, activity, assert_same_workspace, at, date, deal, pipeline, plan, sample_workspace};

crate::on_both_backends! {
    second_batch_matches_workspace_apply => second_batch;
    duplicate_ids_in_one_batch_last_one_wins => duplicate_ids;
}

pub fn second_batch_of_changes() -> Batch {
    let base = sample_workspace();
    let mut won = base.deals.get(30).unwrap().clone();
    won.amount = Money::from_major(1);
    won.tags.clear();
    won.history.pop();
    won.closed_at = None;
    let mut renamed = base.companies.get(11).unwrap().clone();
    renamed.name = "ИП Сидоров и сыновья".into();
    renamed.tax_id = Some("500100732259".into());
    // Pipeline 2 loses a stage and gains one; its stage order changes.
    let mut hot = pipeline(2, "Горячие продажи (новая)", true);
    hot.stages.remove(1);
    hot.stages.insert(
        0,
        Stage {
            id: 299,
            name: "Квалификация".into(),
            sort: 5,
            kind: StageKind::Open,
        },
    );
    let day = date(2026, 12, 1);
    Batch {
        account: Some(Account {
            name: "ООО «Ромашка-2»".into(),
            base_url: "https://romashka2.kommo.com".into(),
            time_zone: "Asia/Yekaterinburg".into(),
            currency: "RUB".into(),
        }),
        teams: vec![Team {
            id: 3,
            name: "Новые".into(),
        }],
        pipelines: vec![hot],
        companies: vec![renamed],
        deals: vec![won, deal(34, 2), deal(35, 1)],
        tasks: vec![Task {
            completed_at: Some(at(1_770_000_000)),
            ..base.tasks.get(41).unwrap().clone()
        }],
        activities: (100..110).map(activity).collect(),
        deletions: vec![
            (EntityKind::Deal, 31),
            (EntityKind::Deal, 35), // upserted above and deleted: deletion wins, as in apply
            (EntityKind::Pipeline, 3),
            (EntityKind::Contact, 21),
            (EntityKind::Activity, 2),
            (EntityKind::Activity, 3),
            (EntityKind::Payment, 51),
            (EntityKind::User, 2),
            (EntityKind::Team, 2),
            (EntityKind::LossReason, 5),
            (EntityKind::FieldDef, 101),
            (EntityKind::Company, 999), // never existed
            (EntityKind::Task, 43),
        ],
        replace_plan_origins: vec!["plans-2026.csv".into(), "never-imported.csv".into()],
        plans: vec![
            plan(
                "plans-2026.csv",
                Some(1),
                Period::containing(PeriodKind::Month, day),
                Metric::Revenue,
                1,
            ),
            plan(
                "plans-2027.csv",
                None,
                Period::containing(PeriodKind::Quarter, day),
                Metric::WonDeals,
                10,
            ),
        ],
        ..Batch::default()
    }
}

async fn second_batch(db: &TestDb) {
    let store = db.open().await;
    let mut expected = Workspace::default();
    let first = Batch::from_workspace(&sample_workspace());
    store.write_batch(&first).await.unwrap();
    expected.apply(&first);
    let second = second_batch_of_changes();
    store.write_batch(&second).await.unwrap();
    expected.apply(&second);
    assert_eq!(expected.version, 2);
    assert!(expected.deals.get(35).is_none() && expected.pipelines.get(3).is_none());
    assert_same_workspace(&store.load().await.unwrap(), &expected);
    store.close().await;
}

async fn duplicate_ids(db: &TestDb) {
    let store = db.open().await;
    let mut renamed = deal(1, 1);
    renamed.name = "second".into();
    let batch = Batch {
        deals: vec![deal(2, 1), deal(1, 1), deal(3, 1), renamed],
        activities: vec![activity(5), activity(4), activity(5)],
        ..Batch::default()
    };
    store.write_batch(&batch).await.unwrap();
    let mut expected = Workspace::default();
    expected.apply(&batch);
    let loaded = store.load().await.unwrap();
    assert_eq!(loaded.deals.get(1).unwrap().name, "second");
    assert_same_workspace(&loaded, &expected);
    store.close().await;
}
