//! A full disk under a SQLite store: the failed write leaves nothing behind,
//! and once there is room again the same open store writes, without a restart.
//! Runs on a real tiny filesystem (tmpfs), so it needs root; skipped otherwise.

use std::path::{Path, PathBuf};
use std::process::Command;

use tsifra_core::model::Batch;
use tsifra_store::{Store, StoreError};

use crate::common::{deal, sample_workspace};

/// A tmpfs of `size` mounted on a temp dir, unmounted on drop.
pub struct TinyDisk {
    dir: tempfile::TempDir,
}

impl TinyDisk {
    pub fn mount(size: &str) -> Option<TinyDisk> {
        let dir = tempfile::tempdir().expect("temp dir");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match mounted {
            Ok(out) if out.status.success() => Some(TinyDisk { dir }),
            Ok(out) => {
                eprintln!(
                    "note: cannot mount a tmpfs ({}); skipping the full-disk test (run as root to include it)",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("note: cannot run mount ({e}); skipping the full-disk test");
                None
            }
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Fills what is left of the disk with one file, whose removal makes room again.
    pub fn fill(&self) -> PathBuf {
        use std::io::Write;
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).expect("filler");
        let block = vec![0u8; 4096];
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
        path
    }
}

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
    }
}

/// A webhook's re-read: a few deals and the sync checkpoint, in one transaction.
fn webhook_batch(round: i64, deals: i64) -> (Batch, Vec<(String, String)>) {
    let batch = Batch {
        deals: (0..deals).map(|k| deal(300_000 + round * 1_000 + k, 1)).collect(),
        ..Batch::default()
    };
    (batch, vec![("amocrm.events.cursor".to_string(), round.to_string())])
}

/// The server's state after "disk full": several webhook writes failed at
/// commit. Once room is made, every connection of the same open store writes
/// again (batches and leases alike), while another process wrote in between.
/// Without closing the connections those failures left inside a transaction,
/// the writes after room was made fail with "database is locked".
#[tokio::test]
async fn writes_resume_without_restart_once_the_full_disk_has_room() {
    let Some(disk) = TinyDisk::mount("3m") else { return };
    let url = Store::sqlite_url_for(disk.path());
    let store = Store::open(&url).await.unwrap();
    store.write_batch(&Batch::from_workspace(&sample_workspace())).await.unwrap();
    let before = store.load().await.unwrap();

    let filler = disk.fill();
    for round in 0..6 {
        let (batch, checkpoints) = webhook_batch(round, 1 + round * 300);
        let err = store.write_batch_with_checkpoints(&batch, &checkpoints).await.unwrap_err();
        assert!(err.is_disk_full(), "round {round}: {err}");
        assert!(err.to_string().contains("full"), "{err}");
    }
    assert_eq!(store.version().await.unwrap(), before.version, "the failed batches left no trace");
    assert_eq!(store.checkpoint("amocrm.events.cursor").await.unwrap(), None);

    std::fs::remove_file(&filler).unwrap();
    // Another process writes first, as in the report: its snapshot moves the database on.
    let other = Store::open(&url).await.unwrap();
    let (batch, _) = webhook_batch(90, 1);
    assert_eq!(other.write_batch(&batch).await.unwrap(), before.version + 1);
    other.close().await;

    let mut version = before.version + 1;
    for round in 10..22 {
        let (batch, checkpoints) = webhook_batch(round, 1);
        version = store
            .write_batch_with_checkpoints(&batch, &checkpoints)
            .await
            .unwrap_or_else(|e| panic!("webhook write {round} after room was made: {e}"));
        store
            .take_lease("amocrm", "server", std::time::Duration::from_secs(30))
            .await
            .unwrap_or_else(|e| panic!("lease {round} after room was made: {e}"));
    }
    assert_eq!(version, before.version + 13);
    assert_eq!(store.checkpoint("amocrm.events.cursor").await.unwrap().as_deref(), Some("21"));
    assert_eq!(store.load().await.unwrap().deals.len(), before.deals.len() + 13);
    store.close().await;
}

/// Starting on a full disk: the read-write open fails (SQLite cannot size
/// the log index), and the read-only open serves what was stored, both
/// after a clean shutdown (empty log) and after a crash (commits still in
/// the log), and refuses writes with a message saying what to do; once
/// there is room, the same store (and its clones) writes again.
#[tokio::test]
async fn a_full_disk_at_start_is_read_only_with_the_last_data() {
    let Some(disk) = TinyDisk::mount("4m") else { return };
    let clean = disk.path().join("clean");
    let crashed = disk.path().join("crashed");
    let ws = sample_workspace();

    let store = Store::open(&Store::sqlite_url_for(&clean)).await.unwrap();
    store.write_batch(&Batch::from_workspace(&ws)).await.unwrap();
    store.close().await;

    // A crash image: the files as they are while a server runs, log and all.
    let store = Store::open(&Store::sqlite_url_for(&crashed)).await.unwrap();
    store.write_batch(&Batch::from_workspace(&ws)).await.unwrap();
    let (batch, _) = webhook_batch(1, 3);
    store.write_batch(&batch).await.unwrap();
    let image = tempfile::tempdir().unwrap();
    for name in ["tsifra.db", "tsifra.db-wal"] {
        std::fs::copy(crashed.join(name), image.path().join(name)).unwrap();
    }
    store.close().await;
    for name in ["tsifra.db", "tsifra.db-wal"] {
        std::fs::copy(image.path().join(name), crashed.join(name)).unwrap();
    }
    assert!(std::fs::metadata(crashed.join("tsifra.db-wal")).unwrap().len() > 0);
    let _ = std::fs::remove_file(crashed.join("tsifra.db-shm"));

    let filler = disk.fill();
    let mut read_only = Vec::new();
    for (dir, deals, version) in [(&clean, ws.deals.len(), 1), (&crashed, ws.deals.len() + 3, 2)] {
        let url = Store::sqlite_url_for(dir);
        let err = Store::open(&url).await.unwrap_err();
        assert!(err.is_disk_full(), "{}: {err}", dir.display());
        let store = Store::open_read_only(&url)
            .await
            .unwrap_or_else(|e| panic!("read-only {}: {e}", dir.display()));
        assert!(store.is_read_only());
        let loaded = store.load().await.unwrap();
        assert_eq!((loaded.deals.len(), loaded.version), (deals, version), "{}", dir.display());
        assert_eq!(store.version().await.unwrap(), version);
        let err = store.write_batch(&batch).await.unwrap_err();
        assert!(matches!(err, StoreError::ReadOnly { .. }), "{err}");
        assert!(err.to_string().contains("free some space"), "{err}");
        assert!(!store.reopen_writable().await.unwrap(), "no room yet: nothing is tried");
        assert_eq!(store.version().await.unwrap(), version, "and reading goes on");
        read_only.push((store, version));
    }

    // Room again: each store becomes writable in place, and so does every clone of it
    // (the server's connector, jobs and store watch hold clones).
    std::fs::remove_file(&filler).unwrap();
    for (store, version) in read_only {
        let clone = store.clone();
        assert!(store.reopen_writable().await.unwrap());
        assert!(!clone.is_read_only());
        let (batch, checkpoints) = webhook_batch(7, 2);
        assert_eq!(clone.write_batch_with_checkpoints(&batch, &checkpoints).await.unwrap(), version + 1);
        assert_eq!(store.version().await.unwrap(), version + 1);
        assert_eq!(store.checkpoint("amocrm.events.cursor").await.unwrap().as_deref(), Some("7"));
        store
            .take_lease("amocrm", "server", std::time::Duration::from_secs(5))
            .await
            .unwrap();
        store.close().await;
    }
}
