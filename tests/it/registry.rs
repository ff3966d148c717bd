//! Every registered report is reachable everywhere its registration promises:
//! `tsifra report ID` (and each of its options as a flag), `/api/reports/ID`
//! (and each option as a parameter), its board page, its tables as CSV and
//! XLSX, and a TV slide. A report added to the registry is checked here with
//! no change to this test.

use std::io::{Read, Write};
use std::path::Path;

use tsifra_core::reports::ReportId;
use tsifra_core::reports::registry::Param;

use crate::support::{serve, tsifra};

const AS_OF: &str = "2026-11-20T15:00";

/// The status code, the headers and the body of `GET path`.
fn get(addr: &str, path: &str) -> (u16, String, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("headers end");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, head.to_lowercase(), raw[split + 4..].to_vec())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A value each option refuses, and what the refusal names.
fn bad_value(param: Param) -> (&'static str, &'static str) {
    match param {
        Param::Manager => ("Никто Никтович", "Никто Никтович"),
        Param::Metric => ("profit", "revenue"),
        Param::Sort(keys) => ("sideways", keys[0]),
        Param::Period => ("someday", "last_quarter"),
        Param::Compare => ("tomorrow", "year_ago"),
        Param::Pipeline => ("Тёплые", "Холодные продажи"),
        Param::Team => ("Нет такой", "Нет такой"),
        Param::Rule => ("no_task", "stale_deal"),
        Param::MinDays => ("soon", "soon"),
        Param::Prospects => ("maybe", "maybe"),
    }
}

fn demo(dir: &Path) {
    let out = tsifra(dir, &["demo", "--no-serve", "--deals", "400", "--seed", "7", "--as-of", AS_OF]);
    assert!(out.status.success(), "demo failed: {}", text(&out.stderr));
}

#[test]
fn every_registered_report_is_reachable_from_cli_api_page_downloads_and_tv() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let (_server, addr) = serve(dir.path(), &["--as-of", AS_OF]);
    for id in ReportId::ALL {
        let name = id.as_str();
        let def = id.def();

        // The CLI: the report as JSON (tagged with its id) and as CSV.
        let out = tsifra(dir.path(), &["report", name, "--as-of", AS_OF, "--format", "json"]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["report"], name);
        // A CSV is one table: the report's first, or each to a file of its own.
        let files = dir.path().join("csv").join(name);
        let out = tsifra(
            dir.path(),
            &[
                "report",
                name,
                "--as-of",
                AS_OF,
                "--format",
                "csv",
                "--out",
                files.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        assert!(std::fs::read_dir(&files).unwrap().count() >= 1, "{name}: a file per table");
        // Each option it takes is a flag, checked against its valid values.
        for &param in def.params {
            let (value, named) = bad_value(param);
            // Flags spell words with dashes (`--min-days`), URLs with underscores (`min_days`).
            let flag = format!("--{}", param.name().replace('_', "-"));
            let out = tsifra(dir.path(), &["report", name, "--as-of", AS_OF, &flag, value]);
            let err = text(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{name} {flag}: {err}");
            assert!(err.contains(&flag) && err.contains(named), "{name} {flag}: {err}");
        }

        // The API: the same JSON; each option a parameter, refused the same way.
        let (status, _, body) = get(&addr, &format!("/api/reports/{name}"));
        assert_eq!(status, 200, "{name}");
        let api: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(api, json, "{name}: the API's numbers are the CLI's");
        for &param in def.params {
            let (value, named) = bad_value(param);
            let url = format!("/api/reports/{name}?{}={}", param.name(), tsifra_web::view::encode(value));
            let (status, _, body) = get(&addr, &url);
            assert_eq!(status, 400, "{url}");
            assert!(text(&body).contains(named), "{url}: {}", text(&body));
        }

        // The board page, with every table and its downloads.
        let (status, _, body) = get(&addr, &format!("/boards/{name}"));
        let page = text(&body);
        assert_eq!(status, 200, "{name}");
        let csv_links: Vec<String> = page
            .split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|href| href.starts_with(&format!("/boards/{name}/")) && href.contains(".csv"))
            .map(|href| href.replace("&#38;", "&"))
            .collect();
        assert!(!csv_links.is_empty(), "{name}: no CSV download on the page");
        for link in &csv_links {
            let (status, head, body) = get(&addr, link);
            assert_eq!(status, 200, "{link}");
            assert!(head.contains("content-type: text/csv"), "{link}: {head}");
            assert!(body.len() > 3, "{link}: a header row at least");
            let xlsx = link.replace(".csv", ".xlsx");
            let (status, head, body) = get(&addr, &xlsx);
            assert_eq!(status, 200, "{xlsx}");
            assert!(head.contains("spreadsheetml") && body.windows(2).any(|w| w == b"PK"), "{xlsx}");
        }
        let (status, _, body) = get(&addr, &format!("/boards/{name}.xlsx"));
        assert_eq!(status, 200, "{name}.xlsx");
        assert!(body.windows(2).any(|w| w == b"PK"));

        // The TV: a rotation of it alone, and its slide.
        let (status, _, body) = get(&addr, &format!("/tv?boards={name}"));
        assert_eq!(status, 200, "/tv?boards={name}");
        assert!(text(&body).contains(&format!("data-slug=\"{name}\"")), "{name}");
        let (status, _, body) = get(&addr, &format!("/tv/slide/{name}"));
        assert_eq!(status, 200, "/tv/slide/{name}");
        assert!(text(&body).contains(&format!("data-board=\"{name}\"")), "{name}");
    }
}

#[test]
fn an_option_a_report_does_not_take_is_refused_naming_those_it_takes() {
    let dir = tempfile::tempdir().unwrap();
    demo(dir.path());
    let out = tsifra(dir.path(), &["report", "funnel", "--as-of", AS_OF, "--sort", "days"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("--sort: отчёт funnel не принимает параметр sort; принимает: manager, period, pipeline, team"),
        "{err}"
    );
    // Plan-fact and the leaderboard compare, as a table and as CSV.
    let out = tsifra(
        dir.path(),
        &[
            "report",
            "leaderboard",
            "--as-of",
            AS_OF,
            "--metric",
            "revenue",
            "--compare",
            "previous",
            "--format",
            "csv",
            "--table",
            "leaderboard-teams",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert!(csv.contains(";Факт · октябрь 2026;Изменение;Изменение, %\n"), "{csv}");
    assert!(csv.contains("Отдел;"), "the teams' table: {csv}");
    let out = tsifra(
        dir.path(),
        &[
            "report",
            "plan-fact",
            "--as-of",
            AS_OF,
            "--period",
            "last_quarter",
            "--compare",
            "year_ago",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Факт · III квартал 2025"), "{}", text(&out.stdout));
}
