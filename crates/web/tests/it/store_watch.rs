//! How the server takes in what another process wrote to the store
//! (`AppState::catch_up`, fed from the store's change log by `tsifra serve`'s
//! watch): applied in place with the index updated, not built again; and
//! refused when the store moved on meanwhile, since a newer write of this
//! process may then be in memory already and the batch would undo it.

use tsifra_core::{AMOCRM_WON_STATUS, Batch, Language, StageKind, StageMove};

use crate::support::{demo_state, get, utc};

#[tokio::test]
async fn another_processs_write_is_applied_in_place_unless_the_store_moved_on() {
    let state = demo_state(Language::Ru);
    let month_fact = |v: serde_json::Value| v["periods"][2]["total"]["fact"].as_i64().unwrap();
    let before = month_fact(get(&state, "/api/reports/plan-fact?metric=won_deals").await.json());
    let counts = state.index_counts();
    let seen = state.store_version();

    let ws = state.workspace().await.clone();
    let mut deal = ws
        .deals
        .iter()
        .find(|d| ws.stage_kind(d.pipeline_id, d.stage_id) == StageKind::Open)
        .unwrap()
        .clone();
    drop(ws);
    deal.stage_id = AMOCRM_WON_STATUS;
    deal.history.push(StageMove {
        at: utc("2026-11-20T11:00:00Z"),
        pipeline_id: deal.pipeline_id,
        stage_id: deal.stage_id,
        author_id: None,
    });
    let batch = Batch {
        deals: vec![deal.clone()],
        ..Batch::default()
    };

    // The store moved past the version read: nothing is applied, the mark stays.
    assert!(!state.catch_up(&batch, seen + 3, async { false }).await);
    assert_eq!(state.store_version(), seen);
    assert_ne!(state.workspace().await.deals.get(deal.id), Some(&deal));
    assert_eq!(
        month_fact(get(&state, "/api/reports/plan-fact?metric=won_deals").await.json()),
        before
    );

    // Still at it: applied, the mark moves to the store's version (three
    // writes of another process in one batch), the index is updated in place.
    assert!(state.catch_up(&batch, seen + 3, async { true }).await);
    assert_eq!(state.store_version(), seen + 3);
    assert_eq!(state.workspace().await.deals.get(deal.id), Some(&deal));
    assert_eq!(
        month_fact(get(&state, "/api/reports/plan-fact?metric=won_deals").await.json()),
        before + 1
    );
    let after = state.index_counts();
    assert_eq!(
        (after.facts_built, after.facts_updated),
        (counts.facts_built, counts.facts_updated + 1),
        "updated from the change set, not built again: {after:?}"
    );

    // A write of this process right after it moves the mark on, as before.
    state.stored(seen + 4);
    assert_eq!(state.store_version(), seen + 4);
    // One noted late (the watch already went past it) does not move it back.
    state.stored(seen + 2);
    assert_eq!(state.store_version(), seen + 4);
}
