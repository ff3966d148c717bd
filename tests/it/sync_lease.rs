//! Two `tsifra sync` processes on one data dir: the second says, in Russian by
//! default, that another sync of the account is running, names it, and exits
//! non-zero; the first finishes, and a sync after it runs.

use std::process::Command;
use std::time::Duration;

use tsifra_amocrm::fake::{self, FakeOptions, Faults};

fn sync(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tsifra"));
    cmd.arg("--data-dir").arg(data_dir).arg("sync").env("RUST_LOG", "error");
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_of_the_account_is_refused_while_one_runs() {
    let crm = fake::start(
        tsifra_core::model::Workspace::default(),
        FakeOptions {
            rate_limit: None,
            ..FakeOptions::default()
        },
    )
    .await
    .unwrap();
    // Slow answers: the first sync takes seconds, long enough to meet the second.
    crm.set_faults(Faults {
        delay: Duration::from_millis(300),
        ..Faults::default()
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tsifra.toml"), crm.config_snippet()).unwrap();

    let mut first = sync(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Requests arriving mean the first holds the lease.
    for _ in 0..600 {
        if crm.stats().requests > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(crm.stats().requests > 0, "the first sync never started");

    let second = tokio::task::spawn_blocking({
        let mut cmd = sync(dir.path());
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("другая синхронизация этого аккаунта amoCRM уже идёт"), "{stderr}");
    assert!(
        stderr.contains(&format!("процесс {} на ", first.id())),
        "names the process that syncs: {stderr}"
    );

    let first_status = tokio::task::spawn_blocking(move || {
        let status = first.wait().unwrap();
        let mut out = String::new();
        std::io::Read::read_to_string(first.stdout.as_mut().unwrap(), &mut out).unwrap();
        (status, out)
    })
    .await
    .unwrap();
    assert!(first_status.0.success(), "{}", first_status.1);
    assert!(first_status.1.contains("Полная синхронизация: сохранен"), "{}", first_status.1);

    // Let go at the end: the next sync runs at once, no waiting for an expiry.
    let third = tokio::task::spawn_blocking({
        let mut cmd = sync(dir.path());
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    assert!(third.status.success(), "{}", String::from_utf8_lossy(&third.stderr));
    crm.shutdown().await;
}
