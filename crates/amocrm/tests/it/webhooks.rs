//! Webhook bodies in amoCRM's shapes, and webhook -> re-read -> visible in the store.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use tsifra_amocrm::fake::Faults;
use tsifra_amocrm::sync::no_progress;
use tsifra_amocrm::webhook::{self, Action, Change};
use tsifra_amocrm::{MemoryStore, Secret, SyncEngine, SyncMode};
use tsifra_core::model::{EntityKind, EntityRef};

use crate::common::*;

/// Bodies written for this repo in the shapes of amoCRM's recorded webhooks (form-encoded, PHP keys,
/// legacy field names, companies under `contacts` with `[type]=company`, a broken trailing key).
const LEAD_STATUS: &str = "leads%5Bstatus%5D%5B0%5D%5Bid%5D=40001&leads%5Bstatus%5D%5B0%5D%5Bname%5D=%D0%A1%D0%B4%D0%B5%D0%BB%D0%BA%D0%B0&leads%5Bstatus%5D%5B0%5D%5Bstatus_id%5D=142&leads%5Bstatus%5D%5B0%5D%5Bold_status_id%5D=10012&leads%5Bstatus%5D%5B0%5D%5Bprice%5D=15000&leads%5Bstatus%5D%5B0%5D%5Bresponsible_user_id%5D=101&leads%5Bstatus%5D%5B0%5D%5Blast_modified%5D=1767225600&leads%5Bstatus%5D%5B0%5D%5Bpipeline_id%5D=1001&leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bid%5D=7002&leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bvalues%5D%5B0%5D%5Bvalue%5D=%D0%A1%D0%B5%D1%80%D0%B2%D0%B8%D1%81&leads%5Bstatus%5D%5B1%5D%5Bid%5D=40002&leads%5Bstatus%5D%5B1%5D%5Bstatus_id%5D=143&leads%5Bstatus%5D%5B1%5D%5B&account%5Bsubdomain%5D=test&account%5Bid%5D=31337";
const COMPANY_DELETE: &str =
    "contacts%5Bdelete%5D%5B0%5D%5Bid%5D=20003&contacts%5Bdelete%5D%5B0%5D%5Btype%5D=company&account%5Bsubdomain%5D=test";
const CONTACT_ADD: &str = "contacts%5Badd%5D%5B0%5D%5Bid%5D=30001&contacts%5Badd%5D%5B0%5D%5Bname%5D=%D0%98%D0%B2%D0%B0%D0%BD&contacts%5Badd%5D%5B0%5D%5Bresponsible_user_id%5D=101&contacts%5Badd%5D%5B0%5D%5Bdate_create%5D=1767225600&contacts%5Badd%5D%5B0%5D%5Btype%5D=contact&account%5Bsubdomain%5D=test";
const TASK_UPDATE: &str = "task%5Bupdate%5D%5B0%5D%5Bid%5D=50002&task%5Bupdate%5D%5B0%5D%5Belement_id%5D=40002&task%5Bupdate%5D%5B0%5D%5Belement_type%5D=2&task%5Bupdate%5D%5B0%5D%5Bstatus%5D=1&task%5Bupdate%5D%5B0%5D%5Baction_close%5D=1&task%5Bupdate%5D%5B0%5D%5Bresult%5D%5Btext%5D=OK&account%5Bsubdomain%5D=test";
const LEAD_NOTE: &str = "leads%5Bnote%5D%5B0%5D%5Bnote%5D%5Bid%5D=60000&leads%5Bnote%5D%5B0%5D%5Bnote%5D%5Belement_id%5D=40000&leads%5Bnote%5D%5B0%5D%5Bnote%5D%5Bnote_type%5D=10&account%5Bsubdomain%5D=test";

#[test]
fn own_webhook_bodies_parse() {
    let p = webhook::parse(LEAD_STATUS.as_bytes()).unwrap();
    assert_eq!(p.subdomain.as_deref(), Some("test"));
    assert_eq!(p.account_id, Some(31337));
    assert_eq!(p.malformed_keys, 1);
    let ids: Vec<_> = p.changes.iter().map(|c| (c.kind, c.id, c.action.clone())).collect();
    assert_eq!(
        ids,
        vec![(EntityKind::Deal, 40001, Action::Status), (EntityKind::Deal, 40002, Action::Status)]
    );

    let p = webhook::parse(COMPANY_DELETE.as_bytes()).unwrap();
    assert_eq!(
        p.changes,
        vec![Change {
            kind: EntityKind::Company,
            id: 20003,
            action: Action::Delete,
            parent: None
        }]
    );
    let p = webhook::parse(CONTACT_ADD.as_bytes()).unwrap();
    assert_eq!(p.changes[0].kind, EntityKind::Contact);
    let p = webhook::parse(TASK_UPDATE.as_bytes()).unwrap();
    assert_eq!((p.changes[0].kind, p.changes[0].id), (EntityKind::Task, 50002));
    let p = webhook::parse(LEAD_NOTE.as_bytes()).unwrap();
    assert_eq!(p.changes[0].parent, Some(EntityRef::Deal(40000)));
    // Truncated and random bodies are errors (HTTP 400), never panics.
    for bad in ["", "&&&", "leads%5B", "%ZZ%5B%5D=1", "{\"leads\": "] {
        assert!(webhook::parse(bad.as_bytes()).is_err(), "{bad:?}");
    }
    for cut in 0..LEAD_STATUS.len() {
        let _ = webhook::parse(&LEAD_STATUS.as_bytes()[..cut]);
    }
}

type Hooked = (Arc<SyncEngine<MemoryStore>>, Secret);

/// What the web crate does: 404 on a wrong secret, 400 on a malformed body, else
/// answer 200 at once and re-read in the background.
async fn hook(State((engine, secret)): State<Hooked>, Path(got): Path<String>, body: axum::body::Bytes) -> StatusCode {
    if !secret.matches(&got) {
        return StatusCode::NOT_FOUND;
    }
    match webhook::parse(&body) {
        Err(_) => StatusCode::BAD_REQUEST,
        Ok(payload) => {
            tokio::spawn(async move {
                if let Err(e) = engine.apply_webhook(&payload).await {
                    eprintln!("webhook re-read failed: {e}");
                }
            });
            StatusCode::OK
        }
    }
}

#[tokio::test]
async fn webhook_change_is_visible_within_2_seconds() {
    let ws = workspace(60);
    let fake = fake_unlimited(ws.clone()).await;
    let store = Arc::new(MemoryStore::new());
    let engine = Arc::new(engine(client(&fake.base_url(), long_lived(&fake), 7), store.clone(), 250));
    fake.set_rate_limit(None);
    engine.run(SyncMode::Auto, &no_progress).await.unwrap();
    fake.set_rate_limit(Some(7));

    let app = axum::Router::new()
        .route("/hooks/amocrm/{secret}", axum::routing::post(hook))
        .with_state((engine.clone(), Secret::new("s3cret")));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/amocrm", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    // A manager wins a deal and deletes a company in the CRM; amoCRM posts the webhooks.
    let when = now();
    let mut moved = Vec::new();
    fake.mutate(|w| moved = move_deals(w, 1, when));
    fake.delete(EntityKind::Company, 20_002, when);
    // amoCRM gives a hook 2 s to answer: the answer must not wait for the re-read.
    // With the CRM slow to answer the re-reads, the 200 comes back while the
    // change is not in the store yet (ordering, not a stopwatch).
    fake.set_faults(Faults {
        delay: Duration::from_secs(5),
        ..Faults::default()
    });
    let started = std::time::Instant::now();
    let status = fake
        .post_webhook(
            &format!("{url}/s3cret"),
            &[(EntityKind::Deal, "status", moved[0]), (EntityKind::Company, "delete", 20_002)],
        )
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_ne!(
        store.workspace().deals.get(moved[0]).unwrap().stage_id,
        142,
        "answered before re-reading the deal"
    );
    fake.set_faults(Faults::default());
    // Then the change lands: wait for it (a deadline only so a broken build fails instead of hanging).
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let synced = store.workspace();
        let deal = synced.deals.get(moved[0]).unwrap();
        if deal.stage_id == 142 && synced.companies.get(20_002).is_none() {
            assert_eq!(deal.history.last().unwrap().at, when);
            assert_eq!(deal, fake.workspace().deals.get(moved[0]).unwrap());
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the webhook's change never reached the store");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("webhook to visible: {:?}", started.elapsed());

    assert_eq!(
        fake.post_webhook(&format!("{url}/wrong"), &[(EntityKind::Deal, "status", 1)])
            .await
            .unwrap(),
        404
    );
    let bad = reqwest::Client::new()
        .post(format!("{url}/s3cret"))
        .body("garbage")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
}

/// A bulk edit in amoCRM: one webhook naming 40,000 deals (the account's 300,
/// each twice, and 39,700 it no longer has). They are re-read 250 ids a request
/// (`filter[id][]`), their new stage moves from the events feed since the last
/// sync, and land as the CRM has them.
#[tokio::test]
async fn a_webhook_naming_40000_deals_is_reread_250_ids_a_request() {
    let ws = workspace(300);
    let fake = fake_unlimited(ws.clone()).await;
    let store = Arc::new(MemoryStore::new());
    let engine = engine(client(&fake.base_url(), long_lived(&fake), 1000), store.clone(), 250);
    engine.run(SyncMode::Auto, &no_progress).await.unwrap();

    let when = now();
    let mut moved = Vec::new();
    fake.mutate(|w| moved = move_deals(w, 300, when));
    assert!(moved.len() > 100, "{}", moved.len());
    let mut items: Vec<(EntityKind, &str, i64)> = Vec::new();
    for id in 1..=39_700 {
        items.push((EntityKind::Deal, "update", 1_000_000 + id));
    }
    for d in ws.deals.iter() {
        items.push((EntityKind::Deal, "update", d.id));
        items.push((EntityKind::Deal, "status", d.id));
    }
    let mut payload = webhook::parse(webhook::form_body("test", &items).as_bytes()).unwrap();
    assert_eq!(payload.unique_targets().len(), 40_000);
    // And notes: calls on deals, re-read in one request on the deals' notes.
    let calls: Vec<_> = ws
        .activities
        .iter()
        .filter(|a| a.kind.is_call() && matches!(a.entity, Some(EntityRef::Deal(_))))
        .take(5)
        .cloned()
        .collect();
    assert_eq!(calls.len(), 5);
    for a in &calls {
        payload.changes.push(Change {
            kind: EntityKind::Activity,
            id: a.id,
            action: Action::Note,
            parent: a.entity,
        });
    }
    // Gone from the store, so only the re-read can bring them back.
    let forget = tsifra_core::model::Batch {
        deletions: calls.iter().map(|a| (EntityKind::Activity, a.id)).collect(),
        ..Default::default()
    };
    tsifra_amocrm::SyncStore::commit(&*store, &forget, &[]).await.unwrap();
    assert!(store.workspace().activities.get(calls[0].id).is_none());
    let before = fake.stats();

    let report = engine.apply_webhook(&payload).await.unwrap();

    let stats = fake.stats();
    let asked = |path: &str| stats.by_path.get(path).copied().unwrap_or(0) - before.by_path.get(path).copied().unwrap_or(0);
    assert_eq!(asked("/api/v4/leads"), 40_000 / 250, "{:?}", stats.by_path);
    assert_eq!(stats.most_ids_filtered, 250);
    let single: u64 = stats
        .by_path
        .iter()
        .filter(|(p, _)| p.starts_with("/api/v4/leads/") && p[14..].chars().all(|c| c.is_ascii_digit()))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(single, 0, "no deal read one by one: {:?}", stats.by_path);
    // The stage moves since the last sync: a few pages of 100, not 4,000 requests of 10 deals.
    assert!(asked("/api/v4/events") <= 10, "{:?}", stats.by_path);
    assert_eq!(report.deleted, 39_700);
    let synced = store.workspace();
    let crm = fake.workspace();
    for id in &moved {
        assert_eq!(synced.deals.get(*id), crm.deals.get(*id), "deal {id}");
    }
    assert_eq!(synced.deals.get(moved[0]).unwrap().history.last().unwrap().at, when);
    assert_eq!(asked("/api/v4/leads/notes"), 1, "{:?}", stats.by_path);
    for a in &calls {
        assert_eq!(synced.activities.get(a.id), Some(a), "note {}", a.id);
    }
}
