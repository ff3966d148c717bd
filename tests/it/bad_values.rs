//! One absurd number must not take Tsifra down: a deal budget and a margin of
//! 10^27 roubles arrive from amoCRM, a plan of i64::MAX kopecks from the
//! spreadsheet. The sync completes and names the values it could not use, and
//! every report, board, `/owner` and `/tv` still answers.

use tsifra_core::model::FieldValue;

use crate::support::{serve, tsifra};

/// The status code and body of `GET path`.
fn fetch(addr: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

#[test]
fn amounts_beyond_any_sum_are_reported_and_nothing_goes_down() {
    use tsifra_amocrm::fake::{FakeOptions, start};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now = chrono::Utc::now();
    let calendar = tsifra_core::Config::default().calendar();
    let mut ws = tsifra_demo::generate(
        &tsifra_demo::DemoOptions {
            seed: 11,
            deals: 150,
            as_of: now,
        },
        &calendar,
    );
    let margin_field = ws
        .field_defs
        .iter()
        .find(|f| f.name == "Маржа")
        .expect("the demo's margin field")
        .id;
    let won: Vec<i64> = ws
        .deals
        .iter()
        .filter(|d| d.stage_id == tsifra_core::AMOCRM_WON_STATUS)
        .map(|d| d.id)
        .take(2)
        .collect();
    let mut d = ws.deals.get(won[0]).unwrap().clone();
    d.fields.retain(|(id, _)| *id != margin_field);
    d.fields
        .push((margin_field, FieldValue::Number("1000000000000000000000000000".parse().unwrap())));
    ws.deals.upsert(d);
    let manager = ws.users.iter().next().unwrap().name.clone();
    let fake = rt
        .block_on(start(
            ws,
            FakeOptions {
                rate_limit: None,
                ..FakeOptions::default()
            },
        ))
        .unwrap();
    fake.set_raw_price(won[1], serde_json::json!(1e27));
    std::fs::write(
        dir.path().join("tsifra.toml"),
        format!(
            "[fields]\nmargin = \"Маржа\"\n\n{}sync_every = \"0 0 1 1 *\"\nnightly_reconcile_at = \"\"\n",
            fake.config_snippet()
        ),
    )
    .unwrap();

    let out = tsifra(dir.path(), &["sync"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("Значений, которые нельзя использовать: 2"), "{stdout}");
    assert!(
        stdout.contains(&format!("(#{}), поле «Маржа»: 1000000000000000000000000000", won[0])),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("(#{}), поле «Бюджет»: 1e+27", won[1])), "{stdout}");

    // A plan of i64::MAX kopecks for the team and for a manager: the totals saturate, never wrap.
    let month = now.format("%Y-%m").to_string();
    let plans = dir.path().join("plans.csv");
    let max = "92233720368547758.07";
    std::fs::write(
        &plans,
        format!("менеджер,период,показатель,план\nотдел,{month},выручка,{max}\n{manager},{month},выручка,{max}\n"),
    )
    .unwrap();
    let out = tsifra(dir.path(), &["import", "plans", plans.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    for id in ["plan-fact", "leaderboard", "hygiene", "call-priority", "receivables", "funnel"] {
        for format in ["table", "json", "csv"] {
            let files = dir.path().join("files");
            let mut args = vec!["report", id, "--format", format];
            if format == "csv" {
                args.extend(["--out", files.to_str().unwrap()]);
            }
            let out = tsifra(dir.path(), &args);
            assert!(out.status.success(), "{id} {format}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
    let out = tsifra(dir.path(), &["report", "plan-fact", "--format", "json"]);
    let pf: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let month_total = &pf["periods"][2]["total"];
    assert_eq!(month_total["plan"].as_i64(), Some(i64::MAX), "{month_total}");
    for period in pf["periods"].as_array().unwrap() {
        for row in period["rows"].as_array().unwrap().iter().chain([&period["total"]]) {
            assert!(row["plan"].as_i64().is_none_or(|p| p >= 0), "no wrapped plan: {row}");
        }
    }

    let (_server, addr) = serve(dir.path(), &[]);
    for path in [
        "/",
        "/boards/plan-fact",
        "/boards/leaderboard",
        "/boards/leaderboard?metric=margin",
        "/boards/hygiene",
        "/boards/call-priority",
        "/boards/receivables",
        "/boards/funnel",
        "/boards/explore?measure=margin&by=manager",
        "/boards/pareto",
        "/owner",
        "/tv",
        "/tv/slide/plan-fact",
        "/tv/slide/leaderboard",
        "/tv/slide/owner",
        "/api/reports/plan-fact",
        "/api/reports/leaderboard?metric=margin",
    ] {
        let (status, body) = fetch(&addr, path);
        assert_eq!(status, 200, "{path}: {body}");
    }
    rt.block_on(fake.shutdown());
}
