//! Deals whose stage history a CRM does not give: the demo department served by
//! the fake amoCRM without any stage-change events (as an account whose leads
//! were imported) must give the same month-by-month won figures as the demo.

use std::collections::BTreeMap;
use std::path::Path;

use tsifra_core::reports::Facts;
use tsifra_core::{Config, Instant};

use crate::support::{serve_fake, tsifra};

const AS_OF: &str = "2026-11-20T15:00";

/// Won deals and revenue per (manager, month in the business zone), as they count now.
fn won_by_month(dir: &Path, as_of: Instant) -> BTreeMap<(Option<i64>, String), (u32, i64)> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let ws = rt.block_on(async {
        let store = tsifra_store::Store::open(&tsifra_store::Store::sqlite_url_for(dir)).await.unwrap();
        let ws = store.load().await.unwrap();
        store.close().await;
        ws
    });
    let config = Config::default();
    let calendar = config.calendar();
    let facts = Facts::build(&ws, &config);
    let mut out = BTreeMap::new();
    for e in facts.won.iter().filter(|e| e.counts_at(as_of)) {
        let month = calendar.local_time(e.at).format("%Y-%m").to_string();
        let entry = out.entry((e.manager_id, month)).or_insert((0, 0));
        entry.0 += 1;
        entry.1 += e.amount.minor();
    }
    out
}

#[test]
fn leads_without_stage_events_give_the_same_won_figures_month_by_month() {
    let demo = tempfile::tempdir().unwrap();
    let out = tsifra(
        demo.path(),
        &["demo", "--no-serve", "--deals", "400", "--seed", "11", "--as-of", AS_OF],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let calendar = Config::default().calendar();
    let as_of = tsifra_web::parse_as_of(AS_OF, &calendar).unwrap();
    let expected = won_by_month(demo.path(), as_of);
    let months: std::collections::BTreeSet<&String> = expected.keys().map(|(_, m)| m).collect();
    assert!(months.len() >= 10, "a year of wins to compare: {months:?}");

    for flags in [&[][..], &["--no-stage-events"][..]] {
        let (_fake, snippet) = serve_fake(demo.path(), flags);
        let synced = tempfile::tempdir().unwrap();
        std::fs::write(synced.path().join("tsifra.toml"), &snippet).unwrap();
        let out = tsifra(synced.path(), &["sync"]);
        assert!(out.status.success(), "sync {flags:?}: {}", String::from_utf8_lossy(&out.stderr));
        let got = won_by_month(synced.path(), as_of);
        assert_eq!(got, expected, "won per manager and month, synced with {flags:?}");
    }
}
