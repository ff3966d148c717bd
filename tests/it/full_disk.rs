//! `tsifra serve` on a full disk: the last stored data is served read-only,
//! with a warning on every page and in `/api/health`, instead of no server;
//! once there is room it writes again by itself.

use crate::support::{TinyDisk, http_get, serve, tsifra};

const AS_OF: &str = "2026-11-20T15:00";

#[test]
fn serve_on_a_full_disk_starts_read_only_with_a_warning_and_recovers_once_there_is_room() {
    let Some(disk) = TinyDisk::mount("24m") else { return };
    let data = disk.path().join("data");
    let out = tsifra(&data, &["demo", "--no-serve", "--deals", "200", "--seed", "5", "--as-of", AS_OF]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let _filler = disk.fill();

    let (_server, addr) = serve(&data, &["--as-of", AS_OF]);
    let warning = "Диск с базой данных заполнен";
    let home = http_get(&addr, "/");
    assert!(home.contains("id=\"store-warning\"") && home.contains(warning), "{home}");
    let board = http_get(&addr, "/boards/plan-fact");
    assert!(board.contains(warning), "the boards carry the warning too");
    let health = http_get(&addr, "/api/health");
    assert!(health.contains("\"read_only\":true"), "{health}");
    // The data is the demo's: its deals are counted on the health endpoint.
    let deals: serde_json::Value = serde_json::from_str(&health).unwrap();
    assert!(deals["deals"].as_u64().unwrap() >= 200, "{health}");

    // A plan import from another shell cannot store anything either, and says why.
    let file = disk.path().join("team-plan.csv");
    let _ = std::fs::write(&file, "manager,period,metric,target\nteam,2026-11,revenue,1\n");
    let out = tsifra(&data, &["import", "plans", file.to_str().unwrap()]);
    assert!(!out.status.success());

    // Room again: the same server writes again by itself, no restart.
    std::fs::remove_file(disk.path().join("filler")).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let health = loop {
        let health: serde_json::Value = serde_json::from_str(&http_get(&addr, "/api/health")).unwrap();
        if health["read_only"] == false || std::time::Instant::now() > deadline {
            break health;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    };
    assert_eq!(health["read_only"], false, "{health}");
    assert!(!http_get(&addr, "/").contains("store-warning"));
    // Another shell's import now lands, and the running server loads it.
    std::fs::write(&file, "manager,period,metric,target\nteam,2026-11,revenue,1\n").unwrap();
    let out = tsifra(&data, &["import", "plans", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let version = |h: &serde_json::Value| h["workspace_version"].as_u64().unwrap();
    let before = version(&health);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        let now: serde_json::Value = serde_json::from_str(&http_get(&addr, "/api/health")).unwrap();
        if version(&now) > before {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("the import from another shell did not reach the server once it could write");
}

#[test]
fn serve_with_room_has_no_warning() {
    let dir = tempfile::tempdir().unwrap();
    let out = tsifra(
        dir.path(),
        &["demo", "--no-serve", "--deals", "50", "--seed", "5", "--as-of", AS_OF],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_server, addr) = serve(dir.path(), &["--as-of", AS_OF]);
    assert!(!http_get(&addr, "/").contains("store-warning"));
    assert!(http_get(&addr, "/api/health").contains("\"read_only\":false"));
}
