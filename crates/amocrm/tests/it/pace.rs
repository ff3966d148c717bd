//! One account, one limiter: requests counted where amoCRM counts them (as they
//! arrive), one process at a time per account (the lease), the account's last
//! second respected when another process takes over, and a summary that counts
//! requests sent and records stored.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tsifra_amocrm::fake::Faults;
use tsifra_amocrm::sync::no_progress;
use tsifra_amocrm::{Error, LeaseTake, MemoryStore, SyncEngine, SyncMode, SyncOptions, SyncStore, lease_name, webhook};
use tsifra_core::model::Workspace;

use crate::common::*;

/// The most requests that arrived within any one second.
fn busiest_second(arrivals: &[std::time::Instant]) -> usize {
    (0..arrivals.len())
        .map(|i| {
            arrivals[i..]
                .iter()
                .take_while(|t| **t < arrivals[i] + Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

fn engine_with_lease(
    client: Arc<tsifra_amocrm::Client>,
    store: Arc<MemoryStore>,
    page_size: u32,
    ttl: Duration,
) -> SyncEngine<MemoryStore> {
    SyncEngine::new(
        client,
        store,
        SyncOptions {
            page_size,
            events_page_size: page_size.min(100),
            lease_ttl: ttl,
            ..SyncOptions::default()
        },
    )
}

fn stored_records(ws: &Workspace) -> u64 {
    (ws.teams.len()
        + ws.users.len()
        + ws.pipelines.len()
        + ws.loss_reasons.len()
        + ws.field_defs.len()
        + ws.companies.len()
        + ws.contacts.len()
        + ws.deals.len()
        + ws.tasks.len()
        + ws.activities.len()
        + ws.payments.len()) as u64
}

/// New connections are slow (as over TLS to a distant amoCRM) and open ones
/// quick: requests sent a second apart can arrive closer. No second of
/// arrivals at the fake holds more than 7.
#[tokio::test]
async fn no_second_at_amocrm_holds_more_than_seven_requests() {
    let ws = workspace(40);
    let fake = fake_unlimited(ws.clone()).await;
    fake.set_faults(Faults {
        slow_new_connections: Duration::from_millis(300),
        ..Faults::default()
    });
    let store = Arc::new(MemoryStore::new());
    let report = engine(client(&fake.base_url(), long_lived(&fake), 7), store.clone(), 10)
        .run(SyncMode::Auto, &no_progress)
        .await
        .unwrap();
    assert_same(&store.workspace(), &ws);
    let arrivals = fake.arrivals();
    assert!(arrivals.len() > 30, "enough requests to fill several seconds: {}", arrivals.len());
    let busiest = busiest_second(&arrivals);
    assert!(busiest <= 7, "{busiest} requests reached amoCRM within one second");
    // Requests the summary counts are ones that went out: none more than arrived.
    assert!(
        report.requests <= arrivals.len() as u64,
        "{} counted, {} arrived",
        report.requests,
        arrivals.len()
    );
}

/// With one page per list nothing is fetched ahead and dropped: the summary's
/// requests are exactly the ones amoCRM got.
#[tokio::test]
async fn the_summary_counts_the_requests_amocrm_got() {
    let fake = fake_unlimited(workspace(12)).await;
    let store = Arc::new(MemoryStore::new());
    let report = engine(client(&fake.base_url(), long_lived(&fake), 50), store, 250)
        .run(SyncMode::Auto, &no_progress)
        .await
        .unwrap();
    assert_eq!(report.requests, fake.stats().requests, "{report:?}");
}

/// A request that never got through (nothing listens) was not sent.
#[tokio::test]
async fn requests_that_never_connected_are_not_counted() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let client = client(
        &format!("http://{addr}"),
        tsifra_amocrm::Auth::LongLived("t".to_string().into()),
        500,
    );
    let err = client.page::<serde_json::Value>("/api/v4/leads", &[]).await.unwrap_err();
    assert!(matches!(err, Error::RetriesExhausted { .. }), "{err}");
    assert_eq!(client.requests_sent(), 0);
}

/// A deal stored by the leads scan and again with each events page that
/// extends its history is one record; so is every other record.
#[tokio::test]
async fn the_summary_counts_distinct_records_stored() {
    let fake = fake_unlimited(workspace(30)).await;
    let store = Arc::new(MemoryStore::new());
    let report = engine(client(&fake.base_url(), long_lived(&fake), 500), store.clone(), 5)
        .run(SyncMode::Auto, &no_progress)
        .await
        .unwrap();
    assert_eq!(report.records, stored_records(&store.workspace()), "{report:?}");
}

/// Another process holds the account's lease: a run and a webhook re-read are
/// refused with its name, before any request.
#[tokio::test]
async fn a_held_lease_refuses_runs_and_webhooks_before_any_request() {
    let fake = fake_unlimited(workspace(5)).await;
    let store = Arc::new(MemoryStore::new());
    let other = "pid 4242 on elsewhere";
    let taken = store
        .take_lease(&lease_name(&fake.base_url()), other, Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(taken, LeaseTake::Taken { quiet_for: None });
    let engine = engine(client(&fake.base_url(), long_lived(&fake), 500), store.clone(), 50);
    match engine.run(SyncMode::Auto, &no_progress).await {
        Err(Error::LeaseHeld { holder, expires_in_s }) => {
            assert_eq!(holder, other);
            assert!(expires_in_s <= 60);
        }
        other => panic!("ran while another process held the lease: {other:?}"),
    }
    let payload = webhook::parse(b"leads[status][0][id]=40001&account[subdomain]=fake").unwrap();
    assert!(matches!(engine.apply_webhook(&payload).await, Err(Error::LeaseHeld { .. })));
    assert_eq!(fake.stats().requests, 0, "nothing requested");
    assert_eq!(store.commits(), 0, "nothing stored");
}

/// Two engines on one store (two processes on one database), both running
/// over and over: the other is refused while one runs, never running beside it;
/// each run renews a lease far shorter than itself; the pace holds across both.
#[tokio::test]
async fn two_engines_on_one_store_take_turns() {
    let ws = workspace(12);
    let fake = fake_unlimited(ws.clone()).await;
    let store = Arc::new(MemoryStore::new());
    let ttl = Duration::from_millis(300);
    // Each run's span from its first progress report to its last: inside the lease.
    let spans = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..2 {
        let e = engine_with_lease(client(&fake.base_url(), long_lived(&fake), 7), store.clone(), 10, ttl);
        let spans = spans.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ran, mut refused) = (0, 0);
            while ran < 2 {
                let span: Mutex<Option<(Instant, Instant)>> = Mutex::new(None);
                let progress = |_: &tsifra_amocrm::Progress| {
                    let now = Instant::now();
                    let mut s = span.lock().unwrap();
                    *s = Some((s.map_or(now, |(first, _)| first), now));
                };
                // Full runs, so each takes seconds: several lease lifetimes.
                match e.run(SyncMode::Full, &progress).await {
                    Ok(_) => {
                        ran += 1;
                        spans.lock().unwrap().push(span.lock().unwrap().expect("progress reported"));
                    }
                    Err(Error::LeaseHeld { .. }) => {
                        refused += 1;
                        tokio::time::sleep(Duration::from_millis(30)).await;
                    }
                    Err(other) => panic!("{other}"),
                }
            }
            refused
        }));
    }
    let mut refusals = 0;
    for t in tasks {
        refusals += t.await.unwrap();
    }
    assert!(refusals > 0, "the engines never met");
    let mut spans = spans.lock().unwrap().clone();
    spans.sort();
    assert_eq!(spans.len(), 4);
    for w in spans.windows(2) {
        assert!(w[0].1 < w[1].0, "two runs at once: {spans:?}");
    }
    let busiest = busiest_second(&fake.arrivals());
    assert!(busiest <= 7, "{busiest} requests within one second across the two engines");
    assert_same(&store.workspace(), &ws);
}

/// A holder killed without letting go: its lease is taken over once it expires.
#[tokio::test]
async fn a_killed_holders_lease_is_taken_over_after_it_expires() {
    let fake = fake_unlimited(workspace(5)).await;
    let store = Arc::new(MemoryStore::new());
    let ttl = Duration::from_millis(400);
    store.take_lease(&lease_name(&fake.base_url()), "killed", ttl).await.unwrap();
    let engine = engine_with_lease(client(&fake.base_url(), long_lived(&fake), 500), store.clone(), 50, ttl);
    let mut refused = 0;
    loop {
        match engine.run(SyncMode::Auto, &no_progress).await {
            Ok(_) => break,
            Err(Error::LeaseHeld { holder, .. }) => {
                assert_eq!(holder, "killed");
                refused += 1;
                assert!(refused < 1000, "never taken over");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(refused > 0, "taken over before it expired");
    // Let go at the end: the next process need not wait for the expiry.
    assert!(matches!(
        store.take_lease(&lease_name(&fake.base_url()), "next", ttl).await.unwrap(),
        LeaseTake::Taken { quiet_for: Some(_) }
    ));
}
