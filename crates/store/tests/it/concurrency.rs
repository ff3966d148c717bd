//! Loads running while batches land see whole batches only, even though the
//! SQLite load reads its tables on several connections at once; a store in
//! memory (no file to read directly) behaves like a file.

use tsifra_core::model::{Batch, Workspace};
use tsifra_store::Store;

use crate::common::{TestDb, activity, assert_same_workspace, deal, sample_workspace};

crate::on_both_backends! {
    loads_during_writes_see_whole_batches => loads_during_writes;
}

async fn loads_during_writes(db: &TestDb) {
    let store = db.open().await;
    // Each batch adds one deal and one activity, which different load threads read.
    let base = Batch {
        deals: (1..=5_000).map(|id| deal(id, 1)).collect(),
        activities: (1..=5_000).map(activity).collect(),
        ..Batch::default()
    };
    store.write_batch(&base).await.unwrap();
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for id in 5_001..=5_040 {
                let batch = Batch {
                    deals: vec![deal(id, 1)],
                    activities: vec![activity(id)],
                    ..Batch::default()
                };
                store.write_batch(&batch).await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(3)).await;
            }
        })
    };
    let mut seen = Vec::new();
    for _ in 0..12 {
        let ws = store.load().await.unwrap();
        let landed = ws.version as usize - 1;
        assert_eq!(ws.deals.len(), 5_000 + landed, "deals at version {}", ws.version);
        assert_eq!(ws.activities.len(), 5_000 + landed, "activities at version {}", ws.version);
        seen.push(ws.version);
    }
    writer.await.unwrap();
    let ws = store.load().await.unwrap();
    assert_eq!(
        (ws.version, ws.deals.len(), ws.activities.len()),
        (41, 5_040, 5_040),
        "loads seen: {seen:?}"
    );
    store.close().await;
}

#[tokio::test]
async fn in_memory_store_round_trips() {
    let store = Store::open("sqlite::memory:").await.unwrap();
    let mut expected = sample_workspace();
    store.write_batch(&Batch::from_workspace(&expected)).await.unwrap();
    expected.version = 1;
    assert_same_workspace(&store.load().await.unwrap(), &expected);
    store.close().await;
    let again = Store::open("sqlite::memory:").await.unwrap();
    assert_same_workspace(&again.load().await.unwrap(), &Workspace::default());
    again.close().await;
}
