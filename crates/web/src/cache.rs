//! A small bounded memo shared by the report, page and trend caches: one
//! computation per key however many requests ask at once (a wall of TVs, or
//! wrk's hundred connections, must not start a hundred hygiene runs), the
//! oldest entries dropped first, and entries a newer key supersedes (an older
//! workspace version, last minute's "now") dropped as soon as it lands.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

/// What a cache key knows about the keys it makes useless.
pub trait CacheKey: Clone + Eq + Hash {
    /// Whether `self`, once computed, makes `older` worth nothing: a newer workspace
    /// version, or the live view of the same board at a later minute.
    fn supersedes(&self, older: &Self) -> bool;
}

pub struct Memo<K, V> {
    capacity: usize,
    inner: Mutex<Entries<K, V>>,
    /// Values computed so far (a cache hit computes none).
    computed: std::sync::atomic::AtomicU64,
}

struct Entries<K, V> {
    map: HashMap<K, Arc<OnceCell<V>>>,
    /// Insertion order, for dropping the oldest first.
    order: VecDeque<K>,
}

impl<K: CacheKey, V: Clone> Memo<K, V> {
    pub fn new(capacity: usize) -> Self {
        Memo {
            capacity: capacity.max(1),
            inner: Mutex::new(Entries {
                map: HashMap::new(),
                order: VecDeque::new(),
            }),
            computed: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How many values have been computed (not found) since the memo was made.
    pub fn computed(&self) -> u64 {
        self.computed.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Keeps only the entries whose key `keep` accepts (what a change did not touch).
    pub fn retain(&self, keep: impl Fn(&K) -> bool) {
        let mut entries = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        entries.map.retain(|k, _| keep(k));
        let Entries { map, order } = &mut *entries;
        order.retain(|k| map.contains_key(k));
    }

    /// The value for `key`, computing it with `init` if nobody has; concurrent
    /// callers for the same key wait for the one computation. A failed
    /// computation is not kept, so the next request tries again.
    pub async fn get_or_try_init<E, F, Fut>(&self, key: K, init: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        let cell = self.cell(&key);
        let init = || {
            self.computed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            init()
        };
        match cell.get_or_try_init(init).await {
            Ok(value) => {
                let value = value.clone();
                self.landed(&key);
                Ok(value)
            }
            Err(e) => {
                // Nothing was kept: drop the empty entry, so it does not read as "being computed".
                let mut entries = self.inner.lock().unwrap_or_else(|p| p.into_inner());
                if entries.map.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell) && !c.initialized()) {
                    entries.map.remove(&key);
                    entries.order.retain(|k| k != &key);
                }
                Err(e)
            }
        }
    }

    /// Whether `key` is being computed right now (asked for, not there yet).
    pub fn in_flight(&self, key: &K) -> bool {
        let entries = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        entries.map.get(key).is_some_and(|cell| !cell.initialized())
    }

    /// The computed value of the highest-ranked key `like` accepts: an older copy
    /// of a page to show while its new one is being made.
    pub fn newest<R: Ord>(&self, like: impl Fn(&K) -> bool, rank: impl Fn(&K) -> R) -> Option<V> {
        let entries = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .map
            .iter()
            .filter(|(k, cell)| like(k) && cell.initialized())
            .max_by_key(|(k, _)| rank(k))
            .and_then(|(_, cell)| cell.get().cloned())
    }

    /// The value for `key` if it is already computed.
    pub fn peek(&self, key: &K) -> Option<V> {
        let entries = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        entries.map.get(key).and_then(|cell| cell.get().cloned())
    }

    /// The keys whose values are computed.
    pub fn keys(&self) -> Vec<K> {
        let entries = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .map
            .iter()
            .filter(|(_, cell)| cell.initialized())
            .map(|(k, _)| k.clone())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn cell(&self, key: &K) -> Arc<OnceCell<V>> {
        let mut entries = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(cell) = entries.map.get(key) {
            return cell.clone();
        }
        while entries.map.len() >= self.capacity {
            let Some(oldest) = entries.order.pop_front() else { break };
            entries.map.remove(&oldest);
        }
        let cell = Arc::new(OnceCell::new());
        entries.map.insert(key.clone(), cell.clone());
        entries.order.push_back(key.clone());
        cell
    }

    /// Drops what `key` supersedes, once its value exists (not before: until
    /// then the older entry may still be all a waiting page has).
    fn landed(&self, key: &K) {
        let mut entries = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let before = entries.map.len();
        entries.map.retain(|k, _| !key.supersedes(k));
        if entries.map.len() != before {
            let Entries { map, order } = &mut *entries;
            order.retain(|k| map.contains_key(k));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Clone, PartialEq, Eq, Hash, Debug)]
    struct K(u32, u64);
    impl CacheKey for K {
        fn supersedes(&self, older: &K) -> bool {
            self.0 == older.0 && self.1 > older.1
        }
    }

    #[tokio::test]
    async fn one_computation_per_key_however_many_ask() {
        let memo = Arc::new(Memo::<K, u32>::new(8));
        let runs = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (memo, runs) = (memo.clone(), runs.clone());
                tokio::spawn(async move {
                    memo.get_or_try_init(K(1, 1), || async {
                        runs.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                        Ok::<_, ()>(7)
                    })
                    .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(7));
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn bounded_superseded_and_failures_not_kept() {
        let memo = Memo::<K, u32>::new(3);
        for i in 0..5 {
            memo.get_or_try_init(K(i, 0), || async { Ok::<_, ()>(i) }).await.unwrap();
        }
        assert_eq!(memo.len(), 3);
        assert_eq!(memo.peek(&K(0, 0)), None, "the oldest went first");
        assert_eq!(memo.peek(&K(4, 0)), Some(4));
        memo.get_or_try_init(K(4, 9), || async { Ok::<_, ()>(49) }).await.unwrap();
        assert_eq!(memo.peek(&K(4, 0)), None, "superseded");
        assert_eq!(memo.get_or_try_init(K(7, 0), || async { Err::<u32, _>("no") }).await, Err("no"));
        assert!(!memo.in_flight(&K(7, 0)), "a failure leaves nothing behind");
        assert_eq!(memo.get_or_try_init(K(7, 0), || async { Ok::<_, &str>(70) }).await, Ok(70));
        assert_eq!(memo.newest(|k| k.0 >= 4, |k| (k.0, k.1)), Some(70));
        assert_eq!(memo.newest(|k| k.0 == 99, |k| k.1), None);
    }
}
