//! Loads running while batches land see whole batches only, even though the
//! SQLite load reads its tables on several connections at once; a store in
//! memory (no file to read directly) behaves like a file.

use tsifra_core::model::{Batch, Workspace};
use tsifra_store::Store;

use crate::common::{TestDb, activity, assert_same_workspace, deal, sample_workspace};

crate::on_both_backends! {
    loads_during_writes_see_whole_batches => loads_during_writes;
    each_write_says_the_version_every_process_then_reads => versions_across_handles;
}

/// What a running server's store watch relies on: a write says the data
/// version it made, and another handle on the database (another process)
/// reads the same version, so either can tell the other has written.
async fn versions_across_handles(db: &TestDb) {
    let server = db.open().await;
    let other = Store::open(db.url()).await.unwrap();
    assert_eq!(server.version().await.unwrap(), 0);
    let v1 = server.write_batch(&Batch::from_workspace(&sample_workspace())).await.unwrap();
    assert_eq!((v1, other.version().await.unwrap()), (1, 1));
    let batch = Batch {
        deals: vec![deal(90_001, 1)],
        ..Batch::default()
    };
    let v2 = other.write_batch(&batch).await.unwrap();
    assert_eq!(v2, 2);
    assert_eq!(server.version().await.unwrap(), 2, "the server's handle sees the other's write");
    assert_eq!(server.load().await.unwrap().version, 2);
    other.close().await;
    server.close().await;
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
