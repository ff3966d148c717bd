//! The demo department served by the fake amoCRM, pulled with `tsifra sync`:
//! every report on the synced copy equals the report on the demo itself.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::DurationRound;

use crate::support::{Killed, http_get, serve, tsifra};

const AS_OF: &str = "2026-11-20T15:00";

fn report(dir: &Path, id: &str) -> serde_json::Value {
    let out = tsifra(dir, &["report", id, "--as-of", AS_OF, "--format", "json"]);
    assert!(out.status.success(), "{id}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn demo_through_the_fake_amocrm_gives_the_same_reports() {
    let demo = tempfile::tempdir().unwrap();
    let synced = tempfile::tempdir().unwrap();
    let out = tsifra(
        demo.path(),
        &["demo", "--no-serve", "--deals", "300", "--seed", "5", "--as-of", AS_OF],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let mut fake = Command::new(env!("CARGO_BIN_EXE_tsifra"))
        .arg("--data-dir")
        .arg(demo.path())
        .args(["dev", "fake-amocrm", "--bind", "127.0.0.1:0", "--rate-limit", "0"])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = fake.stdout.take().unwrap();
    let _fake = Killed(fake);
    let mut snippet = String::new();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if line.starts_with("[amocrm]") || !snippet.is_empty() {
            snippet.push_str(&line);
            snippet.push('\n');
            if line.starts_with("long_lived_token") {
                break;
            }
        }
    }
    // Keep reading what the fake prints, so its stdout never sees a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    let base_url = snippet
        .lines()
        .find_map(|l| l.strip_prefix("base_url = "))
        .unwrap()
        .trim_matches('"')
        .to_string();

    // The synced copy maps the same custom fields; plans come from the same spreadsheet.
    let demo_config = std::fs::read_to_string(demo.path().join("tsifra.toml")).unwrap();
    std::fs::write(synced.path().join("tsifra.toml"), format!("{demo_config}\n{snippet}")).unwrap();
    let out = tsifra(synced.path(), &["sync"]);
    assert!(out.status.success(), "sync: {}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Полная синхронизация: сохранен"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = tsifra(synced.path(), &["import", "plans", demo.path().join("plans.csv").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // A second run is incremental and changes nothing.
    let out = tsifra(synced.path(), &["sync"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Синхронизация изменений: сохранен"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    for id in ["plan-fact", "leaderboard", "hygiene", "call-priority"] {
        let mut a = report(demo.path(), id);
        let b: serde_json::Value = serde_json::from_str(
            &report(synced.path(), id)
                .to_string()
                .replace(&base_url, "https://tsifra-demo.amocrm.ru"),
        )
        .unwrap();
        if id == "hygiene" {
            // The demo's stored month of hygiene history is its own, not the CRM's.
            a["trend"] = b["trend"].clone();
            // So are the changes since yesterday and this week's fixes, counted from it.
            for key in ["yesterday", "week_baseline", "most_fixed"] {
                a[key] = b[key].clone();
            }
            let whom =
                std::iter::once(("team", None)).chain((0..b["managers"].as_array().map_or(0, Vec::len)).map(|i| ("managers", Some(i))));
            for (list, i) in whom {
                for key in ["since_yesterday", "fixed_this_week"] {
                    let value = match i {
                        None => b[list][key].clone(),
                        Some(i) => b[list][i][key].clone(),
                    };
                    match i {
                        None => a[list][key] = value,
                        Some(i) => a[list][i][key] = value,
                    }
                }
            }
        }
        assert_eq!(a, b, "{id} differs after the round trip");
    }
}

/// A running `tsifra serve` with amoCRM configured: a deal won in the CRM
/// reaches the board through the webhook, and bad webhook calls get 404/400.
#[test]
fn webhook_moves_the_board_of_a_running_server() {
    use tsifra_amocrm::fake::{FakeOptions, start};
    use tsifra_core::model::{EntityKind, StageKind, StageMove};

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now();
    let calendar = tsifra_core::Config::default().calendar();
    let ws = tsifra_demo::generate(
        &tsifra_demo::DemoOptions {
            seed: 3,
            deals: 200,
            as_of: now,
        },
        &calendar,
    );
    let fake = rt
        .block_on(start(
            ws.clone(),
            FakeOptions {
                rate_limit: None,
                ..FakeOptions::default()
            },
        ))
        .unwrap();
    std::fs::write(
        dir.path().join("tsifra.toml"),
        format!(
            "{}webhook_secret = \"s3cret\"\nsync_every = \"0 0 1 1 *\"\nnightly_reconcile_at = \"\"\n",
            fake.config_snippet()
        ),
    )
    .unwrap();
    let out = tsifra(dir.path(), &["sync"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (_server, addr) = serve(dir.path(), &[]);
    let won_today = || -> i64 {
        let body = reqwest_get(&format!("http://{addr}/api/reports/plan-fact?metric=won_deals"));
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["periods"][0]["total"]["fact"].as_i64().unwrap()
    };
    let before = won_today();

    // A manager wins an open deal in the CRM; amoCRM posts the webhook.
    let open = ws
        .deals
        .iter()
        .find(|d| ws.stage_kind(d.pipeline_id, d.stage_id) == StageKind::Open)
        .unwrap()
        .id;
    let when = chrono::Utc::now()
        .with_timezone(&chrono::Utc)
        .duration_trunc(chrono::TimeDelta::seconds(1))
        .unwrap();
    fake.mutate(|w| {
        let mut d = w.deals.get(open).unwrap().clone();
        d.stage_id = tsifra_core::AMOCRM_WON_STATUS;
        d.closed_at = Some(when);
        d.updated_at = when;
        d.history.push(StageMove {
            at: when,
            pipeline_id: d.pipeline_id,
            stage_id: d.stage_id,
            author_id: d.responsible_id,
        });
        w.deals.upsert(d);
    });
    let hooks = format!("http://{addr}/hooks/amocrm");
    let started = std::time::Instant::now();
    assert_eq!(
        rt.block_on(fake.post_webhook(&format!("{hooks}/s3cret"), &[(EntityKind::Deal, "status", open)]))
            .unwrap(),
        200
    );
    let mut after = before;
    while started.elapsed() < std::time::Duration::from_secs(120) && after == before {
        std::thread::sleep(std::time::Duration::from_millis(50));
        after = won_today();
    }
    assert_eq!(after, before + 1, "the won deal reached the board");
    eprintln!("webhook to board: {:?}", started.elapsed());

    assert_eq!(
        rt.block_on(fake.post_webhook(&format!("{hooks}/wrong"), &[(EntityKind::Deal, "status", open)]))
            .unwrap(),
        404
    );
    let bad = post_raw(&addr, "/hooks/amocrm/s3cret", "garbage");
    assert!(bad.starts_with("HTTP/1.1 400"), "{bad}");

    // The home page says when the start-up sync ran and how it went; its button starts another.
    let status = || -> serde_json::Value { serde_json::from_str(&reqwest_get(&format!("http://{addr}/api/sync"))).unwrap() };
    let settle = || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let s = status();
            if (s["running"] == false && !s["last_outcome"].is_null()) || std::time::Instant::now() > deadline {
                return s;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    let first = settle();
    assert_eq!(first["last_outcome"], "ok", "{first}");
    let home = reqwest_get(&format!("http://{addr}/"));
    assert!(home.contains("<p data-state=\"ok\">"), "the home page shows the last sync");
    assert!(home.contains("action=\"/sync\""), "and the button");
    let reply = post_raw(&addr, "/sync", "");
    assert!(reply.starts_with("HTTP/1.1 303"), "{reply}");
    assert!(reply.contains("location: /\r\n"), "back to the home page: {reply}");
    // The run is marked started before the redirect goes out, so the page it lands on says so.
    let again = status();
    assert_ne!(again["last_started"], first["last_started"], "the button started a sync: {again}");
    let again = settle();
    assert_eq!(again["last_outcome"], "ok", "{again}");
    assert_ne!(again["last_finished"], first["last_finished"], "and it finished: {again}");
    rt.block_on(fake.shutdown());
}

fn reqwest_get(url: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    let (addr, path) = rest.split_once('/').unwrap();
    http_get(addr, &format!("/{path}"))
}

fn post_raw(addr: &str, path: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}
