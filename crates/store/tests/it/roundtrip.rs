//! What goes in comes back out: every entity kind and value shape survives a
//! write, a load, and closing and reopening the store.

use tsifra_core::model::{Batch, EntityKind, Workspace};

use crate::common::{TestDb, assert_same_workspace, sample_workspace};

crate::on_both_backends! {
    round_trip_of_every_kind_of_value => round_trip;
    fresh_store_is_empty => fresh_store;
}

async fn round_trip(db: &TestDb) {
    let store = db.open().await;
    let mut expected = sample_workspace();
    store.write_batch(&Batch::from_workspace(&expected)).await.unwrap();
    expected.version = 1;
    assert_same_workspace(&store.load().await.unwrap(), &expected);

    let counts = store.counts().await.unwrap();
    let count = |kind| counts.iter().find(|(k, _)| *k == kind).unwrap().1;
    assert_eq!(count(EntityKind::Deal), 4);
    assert_eq!(count(EntityKind::Activity), 16);
    assert_eq!(count(EntityKind::Pipeline), 3);

    // Writing the same data again changes nothing but the batch counter.
    store.write_batch(&Batch::from_workspace(&expected)).await.unwrap();
    expected.version = 2;
    store.close().await;

    let reopened = db.open().await;
    assert_eq!(reopened.version().await.unwrap(), 2);
    assert_same_workspace(&reopened.load().await.unwrap(), &expected);
    reopened.close().await;
}

async fn fresh_store(db: &TestDb) {
    let store = db.open().await;
    assert_same_workspace(&store.load().await.unwrap(), &Workspace::default());
    assert!(store.counts().await.unwrap().iter().all(|(_, n)| *n == 0));
    // An empty batch still lands (and counts), like Workspace::apply.
    store.write_batch(&Batch::default()).await.unwrap();
    assert_eq!(store.load().await.unwrap().version, 1);
    store.close().await;
}
