//! The demo department served by the fake amoCRM, pulled with `tsifra sync`:
//! every report on the synced copy equals the report on the demo itself.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const AS_OF: &str = "2026-11-20T15:00";

fn tsifra(data_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tsifra"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "error")
        .output()
        .unwrap()
}

fn report(dir: &Path, id: &str) -> serde_json::Value {
    let out = tsifra(dir, &["report", id, "--as-of", AS_OF, "--format", "json"]);
    assert!(out.status.success(), "{id}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

struct Killed(std::process::Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if line.starts_with("[amocrm]") || !snippet.is_empty() {
            snippet.push_str(&line);
            snippet.push('\n');
            if line.starts_with("long_lived_token") {
                break;
            }
        }
    }
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
        String::from_utf8_lossy(&out.stdout).contains("Full sync"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = tsifra(synced.path(), &["import", "plans", demo.path().join("plans.csv").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // A second run is incremental and changes nothing.
    let out = tsifra(synced.path(), &["sync"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Incremental sync"),
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
        }
        assert_eq!(a, b, "{id} differs after the round trip");
    }
}
