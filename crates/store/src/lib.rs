//! Tsifra's persistence: one [`Store`] over a SQLite file (the default) or a
//! PostgreSQL database, through sqlx's `Any` driver with runtime-checked SQL.
//! The core never sees SQL: it hands over [`Batch`]es and gets [`Workspace`]s.
//!
//! One exception to "everything through Any": whole-workspace loads from a
//! SQLite file read it through SQLite's C API (module `sqlite_read`), ten
//! times faster than sqlx's row-at-a-time hand-off; same SQL, same decoding.

mod calendar;
mod changes;
mod codec;
mod error;
mod lease;
mod load;
mod open;
mod sqlite_read;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sqlx::AnyPool;
use tsifra_core::model::{Batch, EntityKind, Workspace};

pub use changes::{MAX_RECORDS as MAX_CHANGED_RECORDS, ReloadWhy, StoreChanges};
pub use error::{Location, StoreError, redact_url};
pub use lease::LeaseTake;

/// Which database is behind a [`Store`]; SQL that differs lives behind a `match` on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// An open database holding one workspace. Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    location: Location,
    /// The database file when it is one: loads read it directly (see sqlite_read).
    sqlite_file: Option<PathBuf>,
    /// Opened by [`Store::open_read_only`]: every write is refused up front.
    read_only: bool,
    /// A read-only store's way back: the URL, and the read-write store every
    /// clone uses once [`Store::reopen_writable`] has opened it.
    reopen: Option<Arc<Reopen>>,
}

struct Reopen {
    url: String,
    writable: std::sync::OnceLock<Store>,
    trying: tokio::sync::Mutex<()>,
}

/// Shows where the store is, never the pool's connection options (which hold the URL).
impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("location", &self.location)
            .finish()
    }
}

impl Store {
    /// Opens (creating and migrating if new) the database at `url`:
    /// `sqlite://PATH?mode=rwc` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`.
    /// A file or database that is not Tsifra's is reported and left untouched.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        open::open(url).await
    }

    /// Opens an existing SQLite database for reading only, writing nothing at
    /// all (no write-ahead-log index, no migrations): what `tsifra serve` falls
    /// back on when the read-write open fails because the disk is full, so
    /// the last data stored is still served. Writes return [`StoreError::ReadOnly`].
    pub async fn open_read_only(url: &str) -> Result<Store, StoreError> {
        open::open_read_only(url).await
    }

    /// Whether this store is read-only: opened by [`Store::open_read_only`]
    /// and not yet reopened by [`Store::reopen_writable`].
    pub fn is_read_only(&self) -> bool {
        self.current().read_only
    }

    /// For a read-only store: once its disk has room again, opens the database
    /// read-write, and from then on this store and every clone of it read and
    /// write through that. `Ok(false)` while there is still no room (nothing is
    /// tried then); `Ok(true)` once writable (at once for a store that always was).
    pub async fn reopen_writable(&self) -> Result<bool, StoreError> {
        let Some(reopen) = &self.reopen else {
            return Ok(!self.read_only);
        };
        let _one_at_a_time = reopen.trying.lock().await;
        if reopen.writable.get().is_some() {
            return Ok(true);
        }
        if let Some(file) = open::sqlite_file_of(&reopen.url)
            && !open::room_for_writing(&file)
        {
            return Ok(false);
        }
        // The read-only handle may hold SQLite's exclusive lock (a log left by a
        // crash): let go first. The served workspace is in memory meanwhile.
        self.pool.close().await;
        let store = Store::open(&reopen.url).await?;
        let _ = reopen.writable.set(store);
        Ok(true)
    }

    /// The store that answers: the read-write one a read-only store was reopened as, else this one.
    fn current(&self) -> &Store {
        match self.reopen.as_ref().and_then(|r| r.writable.get()) {
            Some(writable) => writable,
            None => self,
        }
    }

    /// The default store URL for a data directory: `DATA_DIR/tsifra.db`.
    pub fn sqlite_url_for(data_dir: &Path) -> String {
        open::sqlite_url_for(data_dir)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Where the data lives, with any password redacted: fit for logs and screens.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// Lands a batch in one transaction: upserts, then deletions, then plan
    /// replacement, in the order [`Workspace::apply`] uses. On any error
    /// nothing of the batch is stored. Returns the data version after it
    /// (what [`Store::version`] then says, unless another writer came next).
    pub async fn write_batch(&self, batch: &Batch) -> Result<u64, StoreError> {
        write::write_batch(self.current(), batch, &[]).await
    }

    /// Lands a batch and sets sync checkpoints (`key -> value`) in the same
    /// transaction, so a sync killed at any moment resumes exactly after the
    /// last batch that landed: nothing lost, nothing applied twice.
    pub async fn write_batch_with_checkpoints(&self, batch: &Batch, checkpoints: &[(String, String)]) -> Result<u64, StoreError> {
        write::write_batch(self.current(), batch, checkpoints).await
    }

    /// The value of a sync checkpoint set by [`Store::write_batch_with_checkpoints`].
    pub async fn checkpoint(&self, key: &str) -> Result<Option<String>, StoreError> {
        let this = self.current();
        let sql = match this.backend {
            Backend::Sqlite => "SELECT value FROM sync_state WHERE key = ?",
            Backend::Postgres => "SELECT value FROM sync_state WHERE key = $1",
        };
        let row: Option<(String,)> = sqlx::query_as(sql)
            .bind(key)
            .fetch_optional(&this.pool)
            .await
            .map_err(this.query_error("reading a sync checkpoint"))?;
        Ok(row.map(|r| r.0))
    }

    /// Reads the whole workspace into memory, from one consistent snapshot.
    pub async fn load(&self) -> Result<Workspace, StoreError> {
        load::load(self.current()).await
    }

    /// What was written after data version `seen` (a workspace loaded or
    /// brought up to date at `seen`), read from the change log and the records
    /// it names in one snapshot: a batch to [`Workspace::apply`], or word that
    /// the store must be loaded whole (the log was pruned past `seen`, or too
    /// much changed). The log keeps the last 1,000 batches.
    pub async fn changes_since(&self, seen: u64) -> Result<StoreChanges, StoreError> {
        changes::changes_since(self.current(), seen).await
    }

    /// Rows of each entity kind, without loading them.
    pub async fn counts(&self) -> Result<Vec<(EntityKind, u64)>, StoreError> {
        load::counts(self.current()).await
    }

    /// How many batches have landed; a loaded workspace carries the same number
    /// as [`Workspace::version`].
    pub async fn version(&self) -> Result<u64, StoreError> {
        load::version(self.current()).await
    }

    /// Waits for running queries and closes every connection. For SQLite this
    /// also folds the write-ahead log back into the database file.
    pub async fn close(self) {
        if let Some(writable) = self.reopen.as_ref().and_then(|r| r.writable.get()) {
            writable.pool.close().await;
        }
        self.pool.close().await;
    }

    /// Refuses a write on a store opened read-only, before any statement runs.
    fn writable(&self) -> Result<(), StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly {
                location: self.location.clone(),
            });
        }
        Ok(())
    }

    fn query_error(&self, doing: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
        let doing = doing.into();
        move |source| open::classify_error(self.backend, &self.location, doing, source)
    }
}

/// The SQL table holding each entity kind.
pub(crate) fn table_of(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::User => "users",
        EntityKind::Team => "teams",
        EntityKind::Pipeline => "pipelines",
        EntityKind::LossReason => "loss_reasons",
        EntityKind::FieldDef => "field_defs",
        EntityKind::Company => "companies",
        EntityKind::Contact => "contacts",
        EntityKind::Deal => "deals",
        EntityKind::Task => "tasks",
        EntityKind::Activity => "activities",
        EntityKind::Payment => "payments",
    }
}
