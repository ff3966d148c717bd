//! A running `tsifra serve` sees what other processes write to its store: a
//! plan imported from another shell reaches the board without a restart,
//! taken in from the store's change log (not by loading the store again).

use std::time::{Duration, Instant};

use crate::support::{http_get, serve_logged, tsifra};

const AS_OF: &str = "2026-11-20T15:00";

/// The team's plan for the month on the running server's plan-fact board, kopecks.
fn month_plan(addr: &str) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_str(&http_get(addr, "/api/reports/plan-fact")).unwrap();
    v["periods"][2]["total"]["plan"].as_i64()
}

/// Working days of the month on the board at `as_of`.
fn month_working_days(addr: &str, as_of: &str) -> Option<i64> {
    let v: serde_json::Value = serde_json::from_str(&http_get(addr, &format!("/api/reports/plan-fact?as_of={as_of}"))).unwrap();
    v["periods"][2]["working_days"].as_i64()
}

/// Waits (with a generous deadline, so a broken build fails instead of hanging) until `done`.
fn wait_for(mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn a_plan_imported_from_another_shell_reaches_the_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let out = tsifra(
        dir.path(),
        &["demo", "--no-serve", "--deals", "200", "--seed", "5", "--as-of", AS_OF],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (_server, addr, log) = serve_logged(dir.path(), &["--as-of", AS_OF], "info");
    let before = month_plan(&addr);
    assert!(before.is_some(), "the demo has plans");

    // The head of sales sets the department's own November plan from another shell.
    let file = dir.path().join("team-plan.csv");
    std::fs::write(&file, "manager,period,metric,target\nteam,2026-11,revenue,12345678\n").unwrap();
    let out = tsifra(dir.path(), &["import", "plans", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    // Wait for the board to show it (the server checks the store every few seconds).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut now = before;
    while now != Some(1_234_567_800) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        now = month_plan(&addr);
    }
    assert_eq!(now, Some(1_234_567_800), "the imported team plan is on the running server's board");
    // Taken in from the change log: the plans it names, not the whole store again.
    let said = |what: &str| log.lock().unwrap().iter().any(|l| l.contains(what));
    assert!(wait_for(|| said("took in what changed")), "{:?}", log.lock().unwrap());
    assert!(!said("reloaded whole"), "{:?}", log.lock().unwrap());

    // An official calendar imported from another shell changes the working days the board counts.
    assert_eq!(month_working_days(&addr, "2027-01-15"), Some(15), "January 2027 on the Labour Code");
    let days = dir.path().join("days.csv");
    std::fs::write(&days, "date;kind\n2027-01-11;holiday\n").unwrap();
    let out = tsifra(dir.path(), &["calendar", "import", days.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        wait_for(|| month_working_days(&addr, "2027-01-15") == Some(14)),
        "the imported calendar reaches the running server"
    );
}
