//! Faults at random points of a sync and an import, as an unlucky
//! administrator meets them: the process killed (`kill -9`), the network cut
//! mid-answer or gone for good, the disk full. After each the store opens and
//! the reports run on what it holds; and once the faults stop, a sync leaves
//! exactly what a clean run leaves, and an import exactly its plans or the old.
//!
//! The points are drawn from a seeded generator (`TSIFRA_FAULT_SEED` to replay
//! one, `TSIFRA_FAULT_TRIALS` for more of them) and printed on failure.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::rngs::Xoshiro256PlusPlus as Rng;
use rand::{RngExt, SeedableRng};
use tsifra_core::Workspace;

use crate::support::{TinyDisk, serve_fake, tsifra};

const AS_OF: &str = "2026-11-20T15:00";

/// What a sync brings in, table by table, in id order: what must come out the same.
#[derive(Debug, PartialEq)]
struct Synced {
    teams: Vec<String>,
    users: Vec<String>,
    pipelines: Vec<String>,
    loss_reasons: Vec<String>,
    field_defs: Vec<String>,
    companies: Vec<String>,
    contacts: Vec<String>,
    deals: Vec<String>,
    tasks: Vec<String>,
    activities: Vec<String>,
}

fn rows<T: std::fmt::Debug>(table: impl Iterator<Item = T>) -> Vec<String> {
    let mut rows: Vec<String> = table.map(|r| format!("{r:?}")).collect();
    rows.sort();
    rows
}

fn load(dir: &Path) -> Workspace {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let store = tsifra_store::Store::open(&tsifra_store::Store::sqlite_url_for(dir))
            .await
            .unwrap_or_else(|e| panic!("the store in {} opens after the fault: {e}", dir.display()));
        let ws = store
            .load()
            .await
            .unwrap_or_else(|e| panic!("the store in {} loads: {e}", dir.display()));
        store.close().await;
        ws
    })
}

fn synced(dir: &Path) -> Synced {
    let ws = load(dir);
    Synced {
        teams: rows(ws.teams.iter()),
        users: rows(ws.users.iter()),
        pipelines: rows(ws.pipelines.iter()),
        loss_reasons: rows(ws.loss_reasons.iter()),
        field_defs: rows(ws.field_defs.iter()),
        companies: rows(ws.companies.iter()),
        contacts: rows(ws.contacts.iter()),
        deals: rows(ws.deals.iter()),
        tasks: rows(ws.tasks.iter()),
        activities: rows(ws.activities.iter()),
    }
}

fn assert_same(got: &Synced, want: &Synced, what: &str) {
    macro_rules! table {
        ($($t:ident),*) => {$(
            assert_eq!(got.$t.len(), want.$t.len(), "{what}: number of {}", stringify!($t));
            if let Some((g, w)) = got.$t.iter().zip(&want.$t).find(|(g, w)| g != w) {
                panic!("{what}: {} differ:\n got {g}\nwant {w}", stringify!($t));
            }
        )*};
    }
    table!(
        teams,
        users,
        pipelines,
        loss_reasons,
        field_defs,
        companies,
        contacts,
        deals,
        tasks,
        activities
    );
}

/// The store is usable after a fault: it loads, and a report runs on it.
fn assert_usable(dir: &Path, what: &str) {
    load(dir);
    let out = tsifra(dir, &["report", "plan-fact", "--as-of", AS_OF, "--format", "json"]);
    assert!(
        out.status.success(),
        "{what}: report after the fault: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn seed() -> u64 {
    std::env::var("TSIFRA_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

fn trials(default: usize) -> usize {
    std::env::var("TSIFRA_FAULT_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A TCP relay between the syncing process and the fake amoCRM that can cut
/// the line after a number of bytes, and either come back at once (a dropped
/// connection) or stay down (the network gone).
struct Relay {
    addr: String,
    /// Bytes relayed from the fake so far.
    bytes: Arc<AtomicU64>,
    /// Cut every connection once `bytes` passes this.
    cut_at: Arc<AtomicU64>,
    /// After a cut: refuse everything until [`Relay::restore`].
    stay_down: Arc<AtomicBool>,
    down: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn start(upstream: String) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let relay = Relay {
            addr: listener.local_addr().unwrap().to_string(),
            bytes: Arc::default(),
            cut_at: Arc::new(AtomicU64::new(u64::MAX)),
            stay_down: Arc::default(),
            down: Arc::default(),
            open: Arc::default(),
        };
        let (bytes, cut_at, stay_down, down, open) = (
            relay.bytes.clone(),
            relay.cut_at.clone(),
            relay.stay_down.clone(),
            relay.down.clone(),
            relay.open.clone(),
        );
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if down.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else { continue };
                open.lock()
                    .unwrap()
                    .extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || pipe(c2, s2, None));
                let (bytes, cut_at, stay_down, down, open) = (bytes.clone(), cut_at.clone(), stay_down.clone(), down.clone(), open.clone());
                std::thread::spawn(move || {
                    let cut = move |n: u64| {
                        let total = bytes.fetch_add(n, Ordering::SeqCst) + n;
                        if total < cut_at.load(Ordering::SeqCst) {
                            return false;
                        }
                        cut_at.store(u64::MAX, Ordering::SeqCst);
                        if stay_down.load(Ordering::SeqCst) {
                            down.store(true, Ordering::SeqCst);
                        }
                        for s in open.lock().unwrap().drain(..) {
                            let _ = s.shutdown(Shutdown::Both);
                        }
                        true
                    };
                    pipe(server, client, Some(Box::new(cut)));
                });
            }
        });
        relay
    }

    /// Cut the line once `after` more bytes have come from the fake.
    fn cut_after(&self, after: u64, stay_down: bool) {
        self.stay_down.store(stay_down, Ordering::SeqCst);
        self.cut_at.store(self.bytes.load(Ordering::SeqCst) + after, Ordering::SeqCst);
    }

    fn restore(&self) {
        self.cut_at.store(u64::MAX, Ordering::SeqCst);
        self.down.store(false, Ordering::SeqCst);
    }
}

type CutCheck = Box<dyn FnMut(u64) -> bool + Send>;

fn pipe(mut from: TcpStream, mut to: TcpStream, mut cut: Option<CutCheck>) {
    let mut buf = [0u8; 4096];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        if cut.as_mut().is_some_and(|cut| cut(n as u64)) {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// A demo department, served by a fake amoCRM behind a [`Relay`].
struct Account {
    _demo: tempfile::TempDir,
    _fake: crate::support::Killed,
    relay: Relay,
    snippet: String,
}

fn account(deals: &str) -> Account {
    let demo = tempfile::tempdir().unwrap();
    let out = tsifra(
        demo.path(),
        &["demo", "--no-serve", "--deals", deals, "--seed", "5", "--as-of", AS_OF],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (fake, snippet) = serve_fake(demo.path(), &[]);
    let upstream = snippet
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split(['"', '/']).next())
        .unwrap_or_else(|| panic!("the fake's address in {snippet}"))
        .to_string();
    let relay = Relay::start(upstream.clone());
    let snippet = snippet.replace(&upstream, &relay.addr);
    Account {
        _demo: demo,
        _fake: fake,
        relay,
        snippet,
    }
}

/// A directory configured to sync from `account`.
fn client(account: &Account) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tsifra.toml"), &account.snippet).unwrap();
    dir
}

fn sync_process(dir: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_tsifra"))
        .arg("--data-dir")
        .arg(dir)
        .arg("sync")
        .env_remove("TSIFRA_DATA_DIR")
        .env_remove("TSIFRA_CONFIG")
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn finish(child: std::process::Child, what: &str) -> (bool, String) {
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{what}: the sync panicked: {stderr}");
    (out.status.success(), stderr)
}

#[derive(Clone, Copy, Debug)]
enum Fault {
    /// `kill -9` this long after the start.
    Kill(Duration),
    /// Every connection dropped after this many bytes from amoCRM; the line comes back at once.
    Drop(u64),
    /// The network gone after this many bytes, until the sync gives up.
    Down(u64),
}

#[test]
fn a_sync_killed_or_cut_off_at_random_points_loses_and_corrupts_nothing() {
    let account = account("300");

    // The clean run: what every faulty run must end at, how long it takes and how much it reads.
    let clean = client(&account);
    let started = Instant::now();
    let (ok, err) = finish(sync_process(clean.path()), "clean run");
    assert!(ok, "clean sync: {err}");
    let clean_time = started.elapsed();
    let clean_bytes = account.relay.bytes.load(Ordering::SeqCst);
    let want = synced(clean.path());
    assert!(want.deals.len() >= 300, "the demo's deals came in: {}", want.deals.len());

    let seed = seed();
    let mut rng = Rng::seed_from_u64(seed);
    let faulty = client(&account);
    let mut log = Vec::new();
    for trial in 0..trials(6) {
        let fault = match rng.random_range(0..3) {
            0 => Fault::Kill(clean_time.mul_f64(rng.random_range(0.0..1.0))),
            1 => Fault::Drop(rng.random_range(0..clean_bytes)),
            _ => Fault::Down(rng.random_range(0..clean_bytes)),
        };
        log.push(fault);
        let what = format!("seed {seed}, faults so far {log:?}");
        let child = match fault {
            Fault::Kill(after) => {
                let mut child = sync_process(faulty.path());
                std::thread::sleep(after);
                child.kill().unwrap();
                child
            }
            Fault::Drop(after) | Fault::Down(after) => {
                account.relay.cut_after(after, matches!(fault, Fault::Down(_)));
                sync_process(faulty.path())
            }
        };
        let (ok, err) = finish(child, &what);
        account.relay.restore();
        match fault {
            // A dropped connection is retried: the sync ends as a clean one.
            Fault::Drop(_) => {
                assert!(ok, "{what}: a sync whose connection dropped once retries and completes: {err}");
                assert_same(&synced(faulty.path()), &want, &what);
            }
            // A network that stays down fails the sync with its reason, never silently.
            Fault::Down(_) if !ok => assert!(!err.trim().is_empty(), "{what}: a failed sync says why"),
            _ => {}
        }
        assert_usable(faulty.path(), &format!("{what} (trial {trial})"));
    }

    let (ok, err) = finish(sync_process(faulty.path()), "the sync after the faults");
    assert!(ok, "seed {seed}: the sync after {log:?}: {err}");
    assert_same(&synced(faulty.path()), &want, &format!("seed {seed}, after {log:?}"));
}

#[test]
fn a_sync_on_a_full_disk_fails_cleanly_and_completes_once_there_is_room() {
    let account = account("300");
    let clean = client(&account);
    let (ok, err) = finish(sync_process(clean.path()), "clean run");
    assert!(ok, "clean sync: {err}");
    let want = synced(clean.path());
    let db_size: u64 = std::fs::read_dir(clean.path())
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();

    // Room for about half the data: the first load runs out of it part way.
    let Some(disk) = TinyDisk::mount(&format!("{}k", db_size / 2 / 1024)) else {
        return;
    };
    let dir = disk.path();
    std::fs::write(dir.join("tsifra.toml"), &account.snippet).unwrap();
    let (ok, err) = finish(sync_process(dir), "full disk");
    assert!(!ok, "a sync that cannot fit fails");
    assert!(!err.trim().is_empty(), "and says why");
    assert_usable(dir, "full disk");

    disk.resize(&format!("{}k", db_size * 4 / 1024 + 4096));
    let (ok, err) = finish(sync_process(dir), "after freeing room");
    assert!(ok, "with room again the sync completes: {err}");
    assert_same(&synced(dir), &want, "after the disk had been full");
}

fn plans(dir: &Path) -> Vec<String> {
    rows(
        load(dir)
            .plans
            .iter()
            .map(|p| (p.manager_id, p.period, p.metric, p.target, p.origin.clone())),
    )
}

/// A demo workspace in `d` and, in `beside`, a big plan file for its managers:
/// every manager's monthly revenue plan over a century.
fn big_plan_file(d: &Path, beside: &Path) -> std::path::PathBuf {
    let out = tsifra(d, &["demo", "--no-serve", "--deals", "200", "--seed", "3", "--as-of", AS_OF]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let demo_csv = std::fs::read_to_string(d.join("plans.csv")).unwrap();
    let mut managers: Vec<&str> = demo_csv.lines().skip(1).filter_map(|l| l.split(',').next()).collect();
    managers.sort();
    managers.dedup();
    managers.retain(|m| *m != "team");
    let mut file = String::from("manager,period,metric,target\n");
    for m in &managers {
        for year in 2000..2100 {
            for month in 1..=12 {
                file.push_str(&format!("{m},{year}-{month:02},revenue,{}\n", year * 100 + month));
            }
        }
    }
    let path = beside.join("big-plans.csv");
    std::fs::write(&path, &file).unwrap();
    path
}

#[test]
fn an_import_onto_a_full_disk_changes_nothing_and_goes_through_once_there_is_room() {
    let Some(disk) = TinyDisk::mount("64m") else {
        return;
    };
    let d = disk.path();
    let outside = tempfile::tempdir().unwrap();
    let path = big_plan_file(d, outside.path());
    let old = plans(d);
    let seed = seed();
    let mut rng = Rng::seed_from_u64(seed);
    for _ in 0..trials(3) {
        // The disk full but for at most 256 KB (the file's plans take megabytes): the import runs out part way.
        let filler = disk.fill();
        let len = std::fs::metadata(&filler).unwrap().len();
        let free = rng.random_range(0..256 * 1024u64).min(len);
        std::fs::OpenOptions::new()
            .write(true)
            .open(&filler)
            .unwrap()
            .set_len(len - free)
            .unwrap();
        let out = tsifra(d, &["import", "plans", path.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!err.contains("panicked"), "seed {seed}: {err}");
        assert!(!out.status.success(), "seed {seed}: {free} bytes free were enough for the import?");
        std::fs::remove_file(&filler).unwrap();
        assert_eq!(
            plans(d),
            old,
            "seed {seed}: a failed import ({free} bytes free) changed the plans: {err}"
        );
        assert_usable(d, &format!("seed {seed}: import onto a full disk"));
    }
    let out = tsifra(d, &["import", "plans", path.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "with room the import goes through: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(plans(d), old);
}

#[test]
fn an_import_killed_at_random_points_leaves_the_old_plans_or_the_new() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let path = big_plan_file(d, d);

    // What the import leaves when it runs through, in a copy of the workspace.
    let copy = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(d).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), copy.path().join(entry.file_name())).unwrap();
        }
    }
    let old = plans(d);
    let started = Instant::now();
    let out = tsifra(copy.path(), &["import", "plans", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let took = started.elapsed();
    let new = plans(copy.path());
    assert_ne!(old, new, "the import changes the plans");

    let seed = seed();
    let mut rng = Rng::seed_from_u64(seed);
    for _ in 0..trials(6) {
        let after = took.mul_f64(rng.random_range(0.0..1.2));
        let mut child = Command::new(env!("CARGO_BIN_EXE_tsifra"))
            .arg("--data-dir")
            .arg(d)
            .args(["import", "plans"])
            .arg(&path)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(after);
        let _ = child.kill();
        let _ = child.wait();
        let now = plans(d);
        assert!(now == old || now == new, "seed {seed}: killed {after:?} in, the plans are a mix");
        assert_usable(d, &format!("seed {seed}: import killed {after:?} in"));
        if now == new {
            // Back to the old plans for the next try.
            let out = tsifra(d, &["plans", "remove", path.to_str().unwrap()]);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(plans(d), old, "removing the file restores the plans");
        }
    }
}
