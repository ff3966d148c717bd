//! Measures the store at demo scale: generates a synthetic department of N
//! deals (with the demo's proportions of companies, contacts, tasks,
//! activities and stage moves), writes it as one batch, then loads it back in
//! a fresh process so the load's peak memory is its own.
//!
//!     cargo run --release -p tsifra-store --example store_speed -- 1000000 [DB_URL]
//!     cargo run --release -p tsifra-store --example store_speed -- load DB_URL

use std::time::Instant as Clock;

use chrono::DateTime;
use rust_decimal::Decimal;
use tsifra_core::model::*;
use tsifra_core::{Instant, Money};
use tsifra_store::Store;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("load") => load(args.get(1).expect("load needs a database URL")).await,
        first => {
            let deals: usize = first.map_or(100_000, |n| n.replace('_', "").parse().expect("N must be a number"));
            let url = match args.get(1) {
                Some(url) => url.clone(),
                None => {
                    let dir = std::path::Path::new("target/store_speed");
                    std::fs::create_dir_all(dir).unwrap();
                    for name in ["tsifra.db", "tsifra.db-wal", "tsifra.db-shm"] {
                        let _ = std::fs::remove_file(dir.join(name));
                    }
                    Store::sqlite_url_for(dir)
                }
            };
            write(deals, &url).await;
            let status = std::process::Command::new(std::env::current_exe().unwrap())
                .args(["load", &url])
                .status()
                .unwrap();
            assert!(status.success());
        }
    }
}

async fn write(deals: usize, url: &str) {
    let started = Clock::now();
    let batch = synthetic_batch(deals);
    let rows = batch.companies.len() + batch.contacts.len() + batch.deals.len() + batch.tasks.len() + batch.activities.len();
    let moves: usize = batch.deals.iter().map(|d| d.history.len()).sum();
    println!(
        "generated {} deals, {} companies, {} contacts, {} tasks, {} activities, {moves} stage moves ({rows} rows) in {:.1} s",
        batch.deals.len(),
        batch.companies.len(),
        batch.contacts.len(),
        batch.tasks.len(),
        batch.activities.len(),
        started.elapsed().as_secs_f64()
    );
    let store = Store::open(url).await.unwrap();
    let started = Clock::now();
    store.write_batch(&batch).await.unwrap();
    let written = started.elapsed().as_secs_f64();
    store.close().await;
    let closed = started.elapsed().as_secs_f64();
    println!(
        "write_batch: {written:.1} s ({:.0} rows/s); with close: {closed:.1} s; peak RSS of the writer {} MB; {}",
        rows as f64 / written,
        peak_rss_mb(),
        load_average()
    );
}

async fn load(url: &str) {
    let store = Store::open(url).await.unwrap();
    let started = Clock::now();
    let ws = store.load().await.unwrap();
    let loaded = started.elapsed().as_secs_f64();
    println!(
        "load: {loaded:.1} s for {} deals, {} activities; peak RSS {} MB; {}",
        ws.deals.len(),
        ws.activities.len(),
        peak_rss_mb(),
        load_average()
    );
    store.close().await;
}

fn peak_rss_mb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

fn load_average() -> String {
    let avg = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    format!("load average {}", avg.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}

/// A tiny deterministic generator: the numbers only need to look varied.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const START: i64 = 1_732_000_000;
const YEAR: u64 = 365 * 86_400;

fn at(secs: i64) -> Instant {
    DateTime::from_timestamp(secs, 0).unwrap()
}

fn synthetic_batch(deals: usize) -> Batch {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let managers = 12i64;
    let companies = deals * 17 / 100;
    let contacts = deals / 4;
    let tasks = deals * 3 / 2;
    let activities = deals * 4;
    let source = |i: usize| if i.is_multiple_of(10) { Source::Import } else { Source::Amocrm };

    let pipelines: Vec<Pipeline> = (1..=3)
        .map(|p| Pipeline {
            id: p,
            name: format!("Воронка {p}"),
            sort: p as i32,
            is_main: p == 1,
            stages: (1..=6)
                .map(|s| Stage {
                    id: p * 100 + s,
                    name: format!("Этап {s}"),
                    sort: s as i32 * 10,
                    kind: StageKind::Open,
                })
                .chain([
                    Stage {
                        id: AMOCRM_WON_STATUS,
                        name: "Успешно реализовано".into(),
                        sort: 10_000,
                        kind: StageKind::Won,
                    },
                    Stage {
                        id: AMOCRM_LOST_STATUS,
                        name: "Закрыто и не реализовано".into(),
                        sort: 11_000,
                        kind: StageKind::Lost,
                    },
                ])
                .collect(),
        })
        .collect();

    let company_rows = (0..companies)
        .map(|i| {
            let created = START + rng.below(YEAR) as i64;
            Company {
                id: i as Id + 1,
                name: format!("ООО «Компания {i}»"),
                responsible_id: Some(1 + rng.below(managers as u64) as Id),
                created_at: at(created),
                updated_at: at(created + rng.below(86_400 * 30) as i64),
                tax_id: (i % 3 == 0).then(|| format!("77{:08}", i)),
                phones: vec![format!("+7 495 {:03}-{:02}-{:02}", i % 1000, i % 100, (i / 100) % 100)],
                emails: if i % 2 == 0 { vec![format!("info{i}@example.ru")] } else { vec![] },
                fields: vec![],
                source: source(i),
            }
        })
        .collect();

    let contact_rows = (0..contacts)
        .map(|i| {
            let created = START + rng.below(YEAR) as i64;
            Contact {
                id: i as Id + 1,
                name: format!("Контакт Иванович {i}"),
                responsible_id: Some(1 + rng.below(managers as u64) as Id),
                company_ids: vec![1 + rng.below(companies as u64) as Id],
                created_at: at(created),
                updated_at: at(created + 3600),
                phones: vec![format!("+7999{:07}", i)],
                emails: vec![],
                fields: vec![],
                source: source(i),
            }
        })
        .collect();

    let deal_rows = (0..deals)
        .map(|i| {
            let pipeline_id = 1 + (i % 3) as Id;
            let created = START + rng.below(YEAR) as i64;
            let author = Some(1 + rng.below(managers as u64) as Id);
            let mut history = vec![StageMove {
                at: at(created),
                pipeline_id,
                stage_id: pipeline_id * 100 + 1,
                author_id: author,
            }];
            let mut t = created;
            for s in 2..=3 {
                t += rng.below(86_400 * 10) as i64;
                history.push(StageMove {
                    at: at(t),
                    pipeline_id,
                    stage_id: pipeline_id * 100 + s,
                    author_id: author,
                });
            }
            let outcome = rng.below(3);
            let (stage_id, closed_at) = match outcome {
                0 => (pipeline_id * 100 + 3, None),
                1 => (AMOCRM_WON_STATUS, Some(t + 86_400)),
                _ => (AMOCRM_LOST_STATUS, Some(t + 86_400)),
            };
            if let Some(closed) = closed_at {
                history.push(StageMove {
                    at: at(closed),
                    pipeline_id,
                    stage_id,
                    author_id: author,
                });
            }
            Deal {
                id: i as Id + 1,
                name: format!("Сделка #{}", i + 1),
                pipeline_id,
                stage_id,
                amount: Money(rng.below(50_000_000) as i64 * 100),
                responsible_id: author,
                company_id: (i % 4 != 0).then(|| 1 + rng.below(companies as u64) as Id),
                contact_ids: vec![1 + rng.below(contacts as u64) as Id],
                created_at: at(created),
                updated_at: at(t),
                closed_at: closed_at.map(at),
                loss_reason_id: (outcome == 2).then_some(1),
                lead_source: Some(["Сайт", "Звонок", "Реклама", "Рекомендация"][i % 4].to_string()),
                tags: if i % 5 == 0 { vec!["VIP".into()] } else { vec![] },
                fields: if i % 2 == 0 {
                    vec![(100, FieldValue::Money(Money(rng.below(10_000_000) as i64)))]
                } else {
                    vec![(101, FieldValue::Number(Decimal::new(rng.below(1000) as i64, 1)))]
                },
                responsible_changes: Vec::new(),
                history,
                source: source(i),
            }
        })
        .collect();

    let task_rows = (0..tasks)
        .map(|i| {
            let created = START + rng.below(YEAR) as i64;
            Task {
                id: i as Id + 1,
                entity: Some(EntityRef::Deal(1 + rng.below(deals as u64) as Id)),
                responsible_id: Some(1 + rng.below(managers as u64) as Id),
                kind: [TaskKind::Call, TaskKind::Meeting, TaskKind::Email, TaskKind::Other][i % 4],
                text: "Связаться с клиентом".into(),
                created_at: at(created),
                due_at: at(created + 86_400),
                completed_at: (i % 3 != 0).then(|| at(created + 3600)),
                result: (i % 3 == 1).then(|| "Готово".to_string()),
                source: source(i),
            }
        })
        .collect();

    let activity_rows = (0..activities)
        .map(|i| {
            let kind = ActivityKind::ALL[rng.below(8) as usize];
            Activity {
                id: i as Id + 1,
                kind,
                manager_id: Some(1 + rng.below(managers as u64) as Id),
                entity: Some(EntityRef::Deal(1 + rng.below(deals as u64) as Id)),
                at: at(START + rng.below(YEAR) as i64),
                duration_s: if kind.is_call() { rng.below(600) as u32 } else { 0 },
                connected: !kind.is_call() || rng.below(3) != 0,
                source: source(i),
            }
        })
        .collect();

    Batch {
        account: Some(Account {
            name: "Демо".into(),
            base_url: "https://demo.amocrm.ru".into(),
            time_zone: "Europe/Moscow".into(),
            currency: "RUB".into(),
        }),
        teams: vec![Team {
            id: 1,
            name: "Отдел продаж".into(),
        }],
        users: (1..=managers)
            .map(|id| User {
                id,
                name: format!("Менеджер {id}"),
                email: None,
                team_id: Some(1),
                active: true,
                source: Source::Amocrm,
            })
            .collect(),
        pipelines,
        loss_reasons: vec![LossReason {
            id: 1,
            name: "Дорого".into(),
        }],
        companies: company_rows,
        contacts: contact_rows,
        deals: deal_rows,
        tasks: task_rows,
        activities: activity_rows,
        ..Batch::default()
    }
}
