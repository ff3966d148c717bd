//! Leases: one holder at a time across processes (two store handles stand for
//! two processes), renewed by their holder, let go on release, and taken over
//! once a holder that stopped renewing (killed) lets them expire.

use std::time::Duration;

use tsifra_store::LeaseTake;

use crate::common::TestDb;

crate::on_both_backends! {
    one_holder_at_a_time_and_released_leases_change_hands => hand_over;
    an_expired_lease_is_taken_over => expiry;
    racing_takers_get_one_lease => race;
    a_dead_holders_lease_is_taken_over_at_once => dead_holder;
}

const NAME: &str = "amocrm https://acme.amocrm.ru";
const LONG: Duration = Duration::from_secs(60);

async fn hand_over(db: &TestDb) {
    let (a, b) = (db.open().await, db.open().await);
    assert_eq!(a.take_lease(NAME, "a", LONG).await.unwrap(), LeaseTake::Taken { quiet_for: None });
    match b.take_lease(NAME, "b", LONG).await.unwrap() {
        LeaseTake::Held { holder, expires_in } => {
            assert_eq!(holder, "a");
            assert!(expires_in <= LONG, "{expires_in:?}");
        }
        other => panic!("b took a held lease: {other:?}"),
    }
    // Renewing is taking again; the holder's own earlier turn is no reason to wait.
    assert_eq!(a.take_lease(NAME, "a", LONG).await.unwrap(), LeaseTake::Taken { quiet_for: None });
    // Another account's lease is another row.
    assert_eq!(
        b.take_lease("amocrm https://other.amocrm.ru", "b", LONG).await.unwrap(),
        LeaseTake::Taken { quiet_for: None }
    );
    // Only the holder can let go.
    b.release_lease(NAME, "b").await.unwrap();
    assert!(matches!(b.take_lease(NAME, "b", LONG).await.unwrap(), LeaseTake::Held { .. }));
    a.release_lease(NAME, "a").await.unwrap();
    match b.take_lease(NAME, "b", LONG).await.unwrap() {
        LeaseTake::Taken { quiet_for: Some(q) } => assert!(q < LONG, "quiet since the release, not since the expiry: {q:?}"),
        other => panic!("b should have taken the released lease and been told when it was let go: {other:?}"),
    }
    assert!(matches!(a.take_lease(NAME, "a", LONG).await.unwrap(), LeaseTake::Held { .. }));
    a.close().await;
    b.close().await;
}

async fn expiry(db: &TestDb) {
    let (a, b) = (db.open().await, db.open().await);
    let short = Duration::from_millis(300);
    assert!(matches!(a.take_lease(NAME, "a", short).await.unwrap(), LeaseTake::Taken { .. }));
    // "a" was killed: it never renews nor releases. "b" gets the lease once it
    // expires, and not before (asked in a loop, as a waiting process would).
    let mut refusals = 0;
    let quiet = loop {
        match b.take_lease(NAME, "b", LONG).await.unwrap() {
            LeaseTake::Held { holder, .. } => {
                assert_eq!(holder, "a");
                refusals += 1;
                assert!(refusals < 500, "the lease never expired");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            LeaseTake::Taken { quiet_for } => break quiet_for,
        }
    };
    assert!(refusals > 0, "taken while still held");
    assert!(quiet.is_some(), "the new holder hears that another one had it");
    // The old holder, back from a pause, finds it gone instead of renewing it.
    assert!(matches!(a.take_lease(NAME, "a", short).await.unwrap(), LeaseTake::Held { holder, .. } if holder == "b"));
    a.close().await;
    b.close().await;
}

async fn race(db: &TestDb) {
    let stores = [db.open().await, db.open().await, db.open().await];
    let mut tasks = Vec::new();
    for i in 0..12 {
        let store = stores[i % stores.len()].clone();
        tasks.push(tokio::spawn(async move {
            store.take_lease(NAME, &format!("p{i}"), LONG).await.unwrap()
        }));
    }
    let mut taken = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), LeaseTake::Taken { .. }) {
            taken += 1;
        }
    }
    assert_eq!(taken, 1, "exactly one of the racing takers holds the lease");
    for s in stores {
        s.close().await;
    }
}

async fn dead_holder(db: &TestDb) {
    let (a, b, c) = (db.open().await, db.open().await, db.open().await);
    assert!(matches!(a.take_lease(NAME, "a", LONG).await.unwrap(), LeaseTake::Taken { .. }));
    // Naming a holder that is not the one in the row takes nothing.
    assert!(matches!(
        b.take_lease_over(NAME, "b", Some("z"), LONG).await.unwrap(),
        LeaseTake::Held { .. }
    ));
    // "a" was killed; "b" knows it and takes over without waiting for the expiry,
    // told to let a rate-limit window pass (a was working until it died).
    match b.take_lease_over(NAME, "b", Some("a"), LONG).await.unwrap() {
        LeaseTake::Taken { quiet_for: Some(q) } => assert_eq!(q, Duration::ZERO),
        other => panic!("b should have taken the dead holder's lease: {other:?}"),
    }
    // "b" is alive: naming "a" as dead no longer takes it from "b".
    match c.take_lease_over(NAME, "c", Some("a"), LONG).await.unwrap() {
        LeaseTake::Held { holder, .. } => assert_eq!(holder, "b"),
        other => panic!("c took b's lease: {other:?}"),
    }
    a.close().await;
    b.close().await;
    c.close().await;
}
