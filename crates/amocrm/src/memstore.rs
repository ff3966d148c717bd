//! An in-memory [`SyncStore`]: a [`Workspace`] and a checkpoint map behind one
//! mutex, so a commit is atomic exactly like the real store's transaction.
//! For tests and for trying the sync without a database; it can be told to
//! fail after N commits to simulate a sync killed half-way. Its lease works
//! like the real store's, so engines sharing one stand for processes sharing a database.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tsifra_core::model::{Batch, Deal, EntityKind, Id, Workspace};

use crate::error::{Error, Result};
use crate::sync::{LeaseTake, SyncStore};

#[derive(Debug)]
pub struct MemoryStore {
    state: Mutex<(Workspace, HashMap<String, String>)>,
    commits: AtomicU64,
    /// Commits allowed before every further one fails (`u64::MAX`: never).
    fail_after: AtomicU64,
    /// Commits allowed before every further one never completes (a process killed mid-commit).
    hang_after: AtomicU64,
    /// Leases by name: holder, expiry.
    leases: Mutex<HashMap<String, (String, Instant)>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        MemoryStore {
            state: Mutex::new((Workspace::default(), HashMap::new())),
            commits: AtomicU64::new(0),
            fail_after: AtomicU64::new(u64::MAX),
            hang_after: AtomicU64::new(u64::MAX),
            leases: Mutex::new(HashMap::new()),
        }
    }

    /// A copy of the workspace as committed so far.
    pub fn workspace(&self) -> Workspace {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).0.clone()
    }

    pub fn checkpoints(&self) -> HashMap<String, String> {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).1.clone()
    }

    /// Successful commits so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::SeqCst)
    }

    /// After `n` more successful commits, every commit fails (and changes nothing).
    pub fn fail_after(&self, n: u64) {
        self.fail_after.store(self.commits() + n, Ordering::SeqCst);
    }

    /// After `n` more successful commits, every commit waits forever without applying
    /// anything, so the caller can drop the sync future as a kill would.
    pub fn hang_after(&self, n: u64) {
        self.hang_after.store(self.commits() + n, Ordering::SeqCst);
    }

    /// Commits succeed again.
    pub fn heal(&self) {
        self.fail_after.store(u64::MAX, Ordering::SeqCst);
        self.hang_after.store(u64::MAX, Ordering::SeqCst);
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore::new()
    }
}

impl SyncStore for MemoryStore {
    async fn checkpoint(&self, key: &str) -> Result<Option<String>> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        Ok(state.1.get(key).filter(|v| !v.is_empty()).cloned())
    }

    async fn commit(&self, batch: &Batch, checkpoints: &[(String, String)]) -> Result<()> {
        if self.commits.load(Ordering::SeqCst) >= self.hang_after.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if self.commits.load(Ordering::SeqCst) >= self.fail_after.load(Ordering::SeqCst) {
            return Err(Error::Store("injected failure: the store is down".into()));
        }
        state.0.apply(batch);
        for (k, v) in checkpoints {
            state.1.insert(k.clone(), v.clone());
        }
        self.commits.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }

    async fn deals(&self, ids: &[Id]) -> Result<Vec<Deal>> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        Ok(ids.iter().filter_map(|id| state.0.deals.get(*id).cloned()).collect())
    }

    async fn dictionary_ids(&self) -> Result<Vec<(EntityKind, Id)>> {
        Ok(crate::sync::dictionary_ids(&self.state.lock().unwrap_or_else(|e| e.into_inner()).0))
    }

    async fn take_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<LeaseTake> {
        let mut leases = self.leases.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let quiet_for = match leases.get(name) {
            Some((other, until)) if other != holder && *until > now => {
                return Ok(LeaseTake::Held {
                    holder: other.clone(),
                    expires_in: *until - now,
                });
            }
            Some((other, until)) if other != holder => Some(now - *until),
            _ => None,
        };
        leases.insert(name.to_string(), (holder.to_string(), now + ttl));
        Ok(LeaseTake::Taken { quiet_for })
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        let mut leases = self.leases.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if let Some((_, until)) = leases.get_mut(name).filter(|(h, _)| h == holder) {
            *until = (*until).min(now);
        }
        Ok(())
    }
}
