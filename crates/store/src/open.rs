//! Opening a store: telling SQLite from PostgreSQL by the URL, refusing a file
//! or database that is not ours before anything writes to it, connection
//! set-up and migrations.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AnyConnection, AnyPool, Connection, Row};

use crate::error::{Location, scrub};
use crate::{Backend, Store, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Stamped into the SQLite file header (`PRAGMA application_id`), so our files
/// are recognised from their first 100 bytes without asking SQLite: "TSFR".
const SQLITE_APPLICATION_ID: u32 = u32::from_be_bytes(*b"TSFR");
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// The value of `meta.application` in every Tsifra database.
const APPLICATION: &str = "tsifra";
/// sqlx's own bookkeeping table: its presence alone does not make a database foreign.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Run on every new SQLite connection. WAL lets the web server read while a
/// sync writes; NORMAL is crash-safe in WAL mode (a power cut may lose the
/// last commits, never corrupt); foreign keys cascade pipeline stages. A
/// first full write grows the log to the size of the data; the size limit
/// hands that disk space back after the next checkpoint.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                              PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                              PRAGMA journal_size_limit = 67108864;";

pub(crate) fn sqlite_url_for(data_dir: &Path) -> String {
    format!("{}?mode=rwc", sqlite_url_for_file(&data_dir.join("tsifra.db")))
}

fn backend_of(url: &str) -> Option<Backend> {
    let scheme = url.split_once(':')?.0.to_ascii_lowercase();
    match scheme.as_str() {
        "sqlite" => Some(Backend::Sqlite),
        "postgres" | "postgresql" => Some(Backend::Postgres),
        _ => None,
    }
}

/// What the pre-flight check found at a SQLite URL: a file that is missing,
/// empty or ours, or a private in-memory database (tests).
enum SqliteTarget {
    File(PathBuf),
    Memory,
}

pub(crate) async fn open(url: &str) -> Result<Store, StoreError> {
    install_default_drivers();
    let location = Location::from_url(url);
    let backend = backend_of(url).ok_or_else(|| StoreError::UnsupportedUrl { url: location.clone() })?;
    let target = match backend {
        Backend::Sqlite => Some(sqlite_preflight(url, &location).await?),
        Backend::Postgres => None,
    };
    let in_memory = matches!(target, Some(SqliteTarget::Memory));
    let open_error = |e: sqlx::Error| match (backend, sqlite_damage(&e)) {
        (Backend::Sqlite, Some(reason)) => StoreError::Corrupt {
            path: location.to_string(),
            reason,
        },
        (Backend::Sqlite, None) if sqlite_cannot_write(&e) => StoreError::Unwritable {
            location: location.clone(),
            message: e.to_string(),
        },
        _ => StoreError::Open {
            location: location.clone(),
            message: scrub(e.to_string(), url),
        },
    };
    if !in_memory {
        // The pool retries failed connections (and a failing after_connect)
        // for 30 s; one plain connection first turns a wrong address, a
        // refused password or a broken file into an instant error.
        let mut probe = AnyConnection::connect(url).await.map_err(open_error)?;
        let checked = match backend {
            Backend::Sqlite => sqlx::raw_sql(SQLITE_PRAGMAS).execute(&mut probe).await.map(drop),
            Backend::Postgres => Ok(()),
        };
        probe.close().await.ok();
        checked.map_err(open_error)?;
    }
    let pool = connect(url, backend, in_memory).await.map_err(open_error)?;
    let sqlite_file = match &target {
        // Absolute, so the fast read path finds it whatever the working directory becomes.
        Some(SqliteTarget::File(path)) => Some(std::path::absolute(path).unwrap_or_else(|_| path.clone())),
        _ => None,
    };
    let store = Store {
        pool,
        backend,
        location,
        sqlite_file,
        read_only: false,
        reopen: None,
    };
    let result = prepare(&store, target).await;
    if let Err(e) = result {
        store.pool.close().await;
        return Err(e);
    }
    Ok(store)
}

pub(crate) async fn open_read_only(url: &str) -> Result<Store, StoreError> {
    install_default_drivers();
    let reopen_url = url.to_string();
    let location = Location::from_url(url);
    let open_error = |message: String| StoreError::Open {
        location: location.clone(),
        message,
    };
    if backend_of(url) != Some(Backend::Sqlite) || url.contains(":memory:") || url.contains("mode=memory") {
        return Err(open_error("only a SQLite file can be opened read-only".into()));
    }
    let options = SqliteConnectOptions::from_str(url).map_err(|e| open_error(e.to_string()))?;
    let path = options.get_filename().to_path_buf();
    if !path.is_file() {
        return Err(open_error(format!("there is no database file at {}", path.display())));
    }
    // Reading a WAL database normally maps its index (the -shm file), which
    // must be written, and on a full disk cannot be. With an empty log the
    // database file alone is the whole truth: read it as immutable (no locks,
    // no index). A log with commits in it (the last run did not close the
    // store) is read in SQLite's exclusive locking mode, which keeps the
    // index in memory; SQLite allows that mode only on a read-write handle,
    // so the file is opened so, and Tsifra's writes are refused before any
    // statement runs (SQLite may still fold the log into the file on close,
    // if there is room by then).
    let mut wal = path.clone().into_os_string();
    wal.push("-wal");
    let log_is_empty = std::fs::metadata(&wal).map_or(true, |m| m.len() == 0);
    let file_url = sqlite_url_for_file(&path);
    let url = if log_is_empty {
        format!("{file_url}?mode=ro&immutable=true")
    } else {
        format!("{file_url}?mode=rw")
    };
    let pool = AnyPoolOptions::new()
        // One connection: in exclusive locking mode it holds the lock for its life.
        .max_connections(1)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if !log_is_empty {
                    sqlx::raw_sql("PRAGMA locking_mode = EXCLUSIVE").execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
        .connect(&url)
        .await
        .map_err(|e| match sqlite_damage(&e) {
            Some(reason) => StoreError::Corrupt {
                path: location.to_string(),
                reason,
            },
            None => open_error(e.to_string()),
        })?;
    let store = Store {
        pool,
        backend: Backend::Sqlite,
        location,
        // The fast load path opens the file its own way; this one must go through the pool.
        sqlite_file: None,
        read_only: true,
        reopen: Some(std::sync::Arc::new(crate::Reopen {
            url: reopen_url,
            writable: std::sync::OnceLock::new(),
            trying: tokio::sync::Mutex::new(()),
        })),
    };
    // Nothing can be migrated: a schema this version does not know is refused.
    let applied: Result<Vec<i64>, sqlx::Error> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
        .fetch_all(&store.pool)
        .await;
    let shipped: Vec<i64> = SQLITE_MIGRATIONS.iter().map(|m| m.version).collect();
    match applied {
        Ok(applied) if applied == shipped => Ok(store),
        Ok(applied) => {
            store.pool.close().await;
            Err(StoreError::Migrate {
                location: store.location.clone(),
                message: format!(
                    "it is at schema version {}, this Tsifra needs {}, and it cannot be brought there read-only",
                    applied.last().copied().unwrap_or(0),
                    shipped.last().copied().unwrap_or(0)
                ),
            })
        }
        Err(e) => {
            store.pool.close().await;
            Err(classify_error(
                Backend::Sqlite,
                &store.location,
                "reading the schema version".into(),
                e,
            ))
        }
    }
}

/// The database file a SQLite URL names, if it names one.
pub(crate) fn sqlite_file_of(url: &str) -> Option<PathBuf> {
    if backend_of(url) != Some(Backend::Sqlite) || url.contains(":memory:") || url.contains("mode=memory") {
        return None;
    }
    SqliteConnectOptions::from_str(url).ok().map(|o| o.get_filename().to_path_buf())
}

/// Whether the disk under `file` has room to write again: a megabyte written
/// (and removed) beside it, enough for SQLite's log index and a few pages.
pub(crate) fn room_for_writing(file: &Path) -> bool {
    use std::io::Write;
    let mut probe = file.as_os_str().to_owned();
    probe.push(".room-check");
    let probe = PathBuf::from(probe);
    let written = std::fs::File::create(&probe).and_then(|mut f| {
        f.write_all(&vec![0u8; 1 << 20])?;
        f.sync_all()
    });
    let _ = std::fs::remove_file(&probe);
    written.is_ok()
}

/// A `sqlite://` URL for a file path: sqlx percent-decodes the path, so the
/// characters that would end or escape it must be encoded.
fn sqlite_url_for_file(path: &Path) -> String {
    let path = path.to_string_lossy().replace('%', "%25").replace('?', "%3F").replace('#', "%23");
    format!("sqlite://{path}")
}

async fn prepare(store: &Store, target: Option<SqliteTarget>) -> Result<(), StoreError> {
    if store.backend == Backend::Postgres {
        postgres_preflight(store).await?;
    }
    let migrator = match store.backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    };
    migrator.run(&store.pool).await.map_err(|e| migrate_error(store, e))?;
    if let Some(SqliteTarget::File(_)) = target {
        let id: i64 = sqlx::query_scalar("PRAGMA application_id")
            .fetch_one(&store.pool)
            .await
            .map_err(store.query_error("reading the application id"))?;
        if id != i64::from(SQLITE_APPLICATION_ID) {
            sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA application_id = {SQLITE_APPLICATION_ID}")))
                .execute(&store.pool)
                .await
                .map_err(store.query_error("stamping the application id"))?;
        }
    }
    Ok(())
}

async fn connect(url: &str, backend: Backend, in_memory: bool) -> Result<AnyPool, sqlx::Error> {
    let options = AnyPoolOptions::new();
    let options = match (backend, in_memory) {
        // Every Any connection parses the URL anew and so gets its own private
        // in-memory database: keep exactly one, forever.
        (Backend::Sqlite, true) => options.max_connections(1).min_connections(1).idle_timeout(None).max_lifetime(None),
        // One writer at a time anyway; the rest serve parallel reads.
        (Backend::Sqlite, false) => options.max_connections(6),
        (Backend::Postgres, _) => options.max_connections(8),
    };
    let sqlite = backend == Backend::Sqlite;
    options
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if sqlite {
                    sqlx::raw_sql(SQLITE_PRAGMAS).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
        .after_release(move |conn, _meta| {
            Box::pin(async move {
                // An in-memory database lives only as long as its one connection: kept whatever happens.
                if !sqlite || in_memory {
                    return Ok(true);
                }
                // A write that fails with "database or disk is full" may make
                // SQLite roll the whole transaction back by itself; sqlx's
                // ROLLBACK then fails and sqlx still counts the transaction as
                // open, so the connection's next BEGIN becomes a SAVEPOINT and
                // its next failure a ROLLBACK TO, which leaves a real
                // transaction open on an old snapshot: every later write on
                // the connection fails with "database is locked" (517,
                // SQLITE_BUSY_SNAPSHOT) until a restart. Such a connection is
                // closed instead of being reused; the pool opens a fresh one.
                // The ping lets the rollback a dropped transaction queued run first.
                conn.ping().await?;
                let clean = !conn.is_in_transaction();
                if !clean {
                    tracing::warn!("a database connection was left inside a failed transaction: closed it");
                }
                Ok(clean)
            })
        })
        .connect(url)
        .await
}

/// A new empty file readable and writable by its owner only (0600 on Unix).
fn create_private(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        // Another process made it a moment ago: theirs stands.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Decides, without writing a byte other than an empty new file, whether the SQLite file at the URL's path
/// may be opened read-write: it must be missing, empty, or a Tsifra database.
async fn sqlite_preflight(url: &str, location: &Location) -> Result<SqliteTarget, StoreError> {
    let open_error = |message: String| StoreError::Open {
        location: location.clone(),
        message,
    };
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(SqliteTarget::Memory);
    }
    let options = SqliteConnectOptions::from_str(url).map_err(|e| open_error(e.to_string()))?;
    let path = options.get_filename().to_path_buf();
    let shown = path.display().to_string();
    let foreign = |reason: String| StoreError::Foreign {
        path: shown.clone(),
        reason,
    };
    let corrupt = |reason: String| StoreError::Corrupt {
        path: shown.clone(),
        reason,
    };
    let meta = match std::fs::metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| open_error(format!("cannot create the directory {}: {e}", dir.display())))?;
            }
            // Created empty here, owner-only (it holds the CRM's clients and deals);
            // SQLite gives its -wal and -shm files the same mode.
            if url.contains("mode=rwc") {
                create_private(&path).map_err(|e| open_error(format!("cannot create {shown}: {e}")))?;
            }
            return Ok(SqliteTarget::File(path));
        }
        Err(e) => return Err(open_error(format!("cannot read {shown}: {e}"))),
    };
    if meta.is_dir() {
        return Err(open_error(format!(
            "{shown} is a directory; name a file, such as {shown}/tsifra.db"
        )));
    }
    if meta.len() == 0 {
        return Ok(SqliteTarget::File(path));
    }
    let mut header = [0u8; 100];
    let read = read_prefix(&path, &mut header).map_err(|e| open_error(format!("cannot read {shown}: {e}")))?;
    if read < header.len() || &header[..16] != SQLITE_MAGIC {
        return Err(foreign("it is not a SQLite database file".into()));
    }
    let application_id = u32::from_be_bytes([header[68], header[69], header[70], header[71]]);
    if application_id == SQLITE_APPLICATION_ID {
        return Ok(SqliteTarget::File(path));
    }
    if application_id != 0 {
        return Err(foreign(format!(
            "it is another program's SQLite database (application id {application_id:#010x})"
        )));
    }
    // An unstamped SQLite file: empty, ours before the stamp was checkpointed
    // out of the write-ahead log, or somebody else's. Look inside, read-only.
    let inspect = async {
        let mut conn = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&path).read_only(true)).await?;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
        )
        .fetch_all(&mut conn)
        .await?;
        let application: Option<String> = if tables.iter().any(|t| t == "meta") {
            sqlx::query("SELECT value FROM meta WHERE key = 'application'")
                .fetch_optional(&mut conn)
                .await
                .ok()
                .flatten()
                .and_then(|row| row.try_get::<String, _>(0).ok())
        } else {
            None
        };
        conn.close().await?;
        Ok::<_, sqlx::Error>((tables, application))
    };
    let (tables, application) = inspect.await.map_err(|e| match sqlite_damage(&e) {
        Some(reason) => corrupt(reason),
        None if sqlite_cannot_write(&e) => StoreError::Unwritable {
            location: location.clone(),
            message: e.to_string(),
        },
        None => open_error(e.to_string()),
    })?;
    judge_tables(&tables, application.as_deref(), foreign).map(|()| SqliteTarget::File(path.clone()))
}

fn read_prefix(path: &Path, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

/// Fine for an empty database or one of ours; the `foreign` error otherwise.
fn judge_tables(tables: &[String], application: Option<&str>, foreign: impl Fn(String) -> StoreError) -> Result<(), StoreError> {
    let others: Vec<&str> = tables.iter().map(String::as_str).filter(|t| *t != MIGRATIONS_TABLE).collect();
    if others.is_empty() {
        return Ok(());
    }
    if others.contains(&"meta") {
        return match application {
            Some(APPLICATION) => Ok(()),
            _ => Err(foreign("it has a `meta` table, but not Tsifra's".into())),
        };
    }
    let mut listed = others.iter().take(5).copied().collect::<Vec<_>>().join(", ");
    if others.len() > 5 {
        listed.push_str(", …");
    }
    Err(foreign(format!("it already holds other tables: {listed}")))
}

async fn postgres_preflight(store: &Store) -> Result<(), StoreError> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(tablename AS TEXT) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() ORDER BY tablename",
    )
    .fetch_all(&store.pool)
    .await
    .map_err(store.query_error("listing tables"))?;
    let application: Option<String> = if tables.iter().any(|t| t == "meta") {
        sqlx::query_scalar("SELECT value FROM meta WHERE key = 'application'")
            .fetch_optional(&store.pool)
            .await
            .ok()
            .flatten()
    } else {
        None
    };
    let foreign = |reason: String| StoreError::Foreign {
        path: store.location.to_string(),
        reason,
    };
    judge_tables(&tables, application.as_deref(), foreign)
}

fn migrate_error(store: &Store, error: MigrateError) -> StoreError {
    let message = match &error {
        MigrateError::VersionMissing(v) => {
            format!("it has schema version {v}, which this Tsifra does not know: a newer Tsifra wrote it")
        }
        MigrateError::VersionMismatch(v) => format!("schema version {v} differs from the one this Tsifra ships"),
        MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) => {
            if let Some(reason) = (store.backend == Backend::Sqlite).then(|| sqlite_damage(e)).flatten() {
                return StoreError::Corrupt {
                    path: store.location.to_string(),
                    reason,
                };
            }
            if store.backend == Backend::Sqlite && sqlite_cannot_write(e) {
                return StoreError::Unwritable {
                    location: store.location.clone(),
                    message: e.to_string(),
                };
            }
            error.to_string()
        }
        _ => error.to_string(),
    };
    StoreError::Migrate {
        location: store.location.clone(),
        message,
    }
}

/// SQLite's "this is not a database" and "database disk image is malformed".
fn sqlite_damage(error: &sqlx::Error) -> Option<String> {
    const SQLITE_CORRUPT: i64 = 11;
    const SQLITE_NOTADB: i64 = 26;
    let db = error.as_database_error()?;
    let code: i64 = db.code()?.parse().ok()?;
    matches!(code & 0xff, SQLITE_CORRUPT | SQLITE_NOTADB).then(|| db.message().to_string())
}

/// SQLite could not write while opening: the disk is full (SQLITE_FULL), or an
/// I/O error writing or sizing a file (the log index cannot grow on a full disk).
fn sqlite_cannot_write(error: &sqlx::Error) -> bool {
    const SQLITE_IOERR: i64 = 10;
    const SQLITE_FULL: i64 = 13;
    let Some(code) = error
        .as_database_error()
        .and_then(|db| db.code())
        .and_then(|c| c.parse::<i64>().ok())
    else {
        return false;
    };
    matches!(code & 0xff, SQLITE_IOERR | SQLITE_FULL)
}

/// Wraps a failed statement; SQLite damage found mid-way gets its own error.
pub(crate) fn classify_error(backend: Backend, location: &Location, doing: String, source: sqlx::Error) -> StoreError {
    if backend == Backend::Sqlite
        && let Some(reason) = sqlite_damage(&source)
    {
        return StoreError::Corrupt {
            path: location.to_string(),
            reason,
        };
    }
    StoreError::Query {
        location: location.clone(),
        doing,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_dialects_ship_the_same_migrations() {
        let names = |dir: &str| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(dir);
            let mut names: Vec<String> = std::fs::read_dir(&dir)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        let sqlite = names("sqlite");
        assert!(!sqlite.is_empty());
        assert_eq!(sqlite, names("postgres"));
        let versions = |m: &Migrator| m.iter().map(|m| (m.version, m.description.to_string())).collect::<Vec<_>>();
        assert_eq!(versions(&SQLITE_MIGRATIONS), versions(&POSTGRES_MIGRATIONS));
    }

    #[test]
    fn url_schemes() {
        assert_eq!(backend_of("sqlite://x.db?mode=rwc"), Some(Backend::Sqlite));
        assert_eq!(backend_of("sqlite::memory:"), Some(Backend::Sqlite));
        assert_eq!(backend_of("postgres://u@h/db"), Some(Backend::Postgres));
        assert_eq!(backend_of("PostgreSQL://u@h/db"), Some(Backend::Postgres));
        assert_eq!(backend_of("mysql://u@h/db"), None);
        assert_eq!(backend_of("/var/lib/tsifra.db"), None);
    }

    #[test]
    fn data_dir_url_survives_odd_characters() {
        let url = sqlite_url_for(Path::new("/srv/sales 100%?#/data"));
        assert_eq!(url, "sqlite:///srv/sales 100%25%3F%23/data/tsifra.db?mode=rwc");
        let options = SqliteConnectOptions::from_str(&url).unwrap();
        assert_eq!(options.get_filename(), Path::new("/srv/sales 100%?#/data/tsifra.db"));
    }
}
