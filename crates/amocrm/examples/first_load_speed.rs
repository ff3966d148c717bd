//! Measures a first full load against the fake amoCRM at amoCRM's real pace
//! (7 requests per second, enforced by the fake with 429s): records per
//! second against the bound of 7 x 250 = 1750, and requests per second against 7.
//!
//! `cargo run --release -p tsifra-amocrm --features fake --example first_load_speed -- [DEALS] [LATENCY_MS]`
//! (LATENCY_MS adds that much server time to every answer, as a real amoCRM has).

use std::sync::Arc;
use std::time::Instant;

use tsifra_amocrm::fake::{self, FakeOptions};
use tsifra_amocrm::{Auth, Client, ClientOptions, MemoryStore, SyncEngine, SyncMode, SyncOptions};

#[tokio::main]
async fn main() {
    let deals: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let cal = tsifra_core::BusinessCalendar::plain(chrono_tz::Europe::Moscow);
    let ws = tsifra_demo::generate(
        &tsifra_demo::DemoOptions {
            seed: 1,
            deals,
            as_of: "2026-11-20T09:00:00Z".parse().unwrap(),
        },
        &cal,
    );
    let fake = fake::start(
        ws,
        FakeOptions {
            rate_limit: Some(7),
            ..FakeOptions::default()
        },
    )
    .await
    .unwrap();
    let latency: u64 = std::env::args().nth(2).and_then(|a| a.parse().ok()).unwrap_or(0);
    fake.set_faults(fake::Faults {
        delay: std::time::Duration::from_millis(latency),
        ..Default::default()
    });
    let client = Arc::new(
        Client::new(
            &fake.base_url(),
            Auth::LongLived(fake.options().long_lived_token.clone().unwrap().into()),
            ClientOptions::default(),
        )
        .unwrap(),
    );
    let store = Arc::new(MemoryStore::new());
    let engine = SyncEngine::new(client, store.clone(), SyncOptions::default());
    // Per phase: (first and last progress instant, records, requests at start and end).
    type Phase = (Instant, Instant, u64, u64, u64);
    let phases = std::sync::Mutex::new(Vec::<(String, Phase)>::new());
    let started = Instant::now();
    let progress = |p: &tsifra_amocrm::Progress| {
        let now = Instant::now();
        let mut phases = phases.lock().unwrap();
        match phases.last_mut() {
            Some((name, ph)) if name == p.phase => {
                ph.1 = now;
                ph.2 = p.done;
                ph.4 = p.requests;
            }
            _ => {
                // The phase began when the previous one ended.
                let (begun, requests_before) = phases.last().map_or((started, 0), |(_, ph)| (ph.1, ph.4));
                phases.push((p.phase.to_string(), (begun, now, p.done, requests_before, p.requests)));
            }
        }
    };
    let report = engine.run(SyncMode::Auto, &progress).await.unwrap();
    let secs = started.elapsed().as_secs_f64();
    let synced = store.workspace();
    let list_records = synced.companies.len() + synced.contacts.len() + synced.deals.len() + synced.tasks.len() + synced.activities.len();
    let stats = fake.stats();
    println!("first load of the demo with {deals} deals at 7 requests/s, {latency} ms per answer:");
    println!(
        "  {:.1} s, {} requests ({} answered 429), {:.2} requests/s = {:.0}% of 7",
        secs,
        report.requests,
        stats.over_limit,
        report.requests as f64 / secs,
        report.requests as f64 / secs / 7.0 * 100.0
    );
    println!(
        "  {} records ({} companies, {} contacts, {} deals, {} tasks, {} activities) = {:.0} records/s = {:.0}% of the 1750/s bound",
        list_records,
        synced.companies.len(),
        synced.contacts.len(),
        synced.deals.len(),
        synced.tasks.len(),
        synced.activities.len(),
        list_records as f64 / secs,
        list_records as f64 / secs / 1750.0 * 100.0
    );
    println!("  per phase (records/s against 7 requests/s x the page size of that endpoint):");
    for (name, (begun, ended, records, req_before, req_after)) in phases.lock().unwrap().iter() {
        let page = match name.as_str() {
            "events" => 100.0,
            "dictionaries" | "deletions" => continue,
            _ => 250.0,
        };
        let secs = ended.duration_since(*begun).as_secs_f64().max(0.001);
        println!(
            "    {name:<16} {records:>6} records in {:>5.1} s, {:>3} requests: {:>5.0} records/s = {:>3.0}% of {:.0}/s; {:>3.0} per request",
            secs,
            req_after - req_before,
            *records as f64 / secs,
            *records as f64 / secs / (7.0 * page) * 100.0,
            7.0 * page,
            *records as f64 / (req_after - req_before).max(1) as f64
        );
    }
    let events: usize = synced.deals.iter().map(|d| d.history.len().saturating_sub(1)).sum();
    let all = list_records + events;
    println!(
        "  plus {events} stage moves from the events feed (at most 100 per request): {:.0} records/s, {:.0} per request",
        all as f64 / secs,
        all as f64 / report.requests as f64
    );
}
