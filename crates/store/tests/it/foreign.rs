//! Opening something that is not a Tsifra database is an error naming it, and
//! the thing is left byte for byte as it was; empty or missing targets are
//! initialised; passwords never show up in errors.

use std::path::Path;

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use tsifra_core::model::Batch;
use tsifra_store::{Store, StoreError};

use crate::common::{TestDb, sample_workspace};

fn url_for(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Opens `path`, expects `Foreign`, and checks that neither the file nor its
/// directory changed.
async fn assert_refused(path: &Path) -> StoreError {
    let bytes = std::fs::read(path).unwrap();
    let listing = |dir: &Path| {
        let mut names: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        names.sort();
        names
    };
    let dir = path.parent().unwrap();
    let files = listing(dir);
    let err = Store::open(&url_for(path)).await.unwrap_err();
    assert_eq!(std::fs::read(path).unwrap(), bytes, "{} was modified", path.display());
    assert_eq!(listing(dir), files, "files appeared next to {}", path.display());
    let message = err.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "error does not name the file: {message}"
    );
    err
}

async fn sqlite_file_with(path: &Path, sql: &str) {
    let options = SqliteConnectOptions::new().filename(path).create_if_missing(true);
    let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn text_file_named_like_the_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tsifra.db");
    std::fs::write(&path, "name,amount\nВектор,100\n".repeat(50)).unwrap();
    let err = assert_refused(&path).await;
    assert!(matches!(err, StoreError::Foreign { .. }), "{err}");
    assert!(err.to_string().contains("not a SQLite database"), "{err}");

    std::fs::write(&path, "short").unwrap();
    assert!(matches!(assert_refused(&path).await, StoreError::Foreign { .. }));
}

#[tokio::test]
async fn another_programs_sqlite_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();

    let tables = dir.path().join("crm.db");
    sqlite_file_with(
        &tables,
        "CREATE TABLE leads (id INTEGER PRIMARY KEY, title TEXT); INSERT INTO leads VALUES (1, 'x');",
    )
    .await;
    let err = assert_refused(&tables).await;
    assert!(
        matches!(err, StoreError::Foreign { .. }) && err.to_string().contains("leads"),
        "{err}"
    );

    let stamped = dir.path().join("stamped.db");
    sqlite_file_with(&stamped, "PRAGMA application_id = 1234; CREATE TABLE t (x);").await;
    assert!(matches!(assert_refused(&stamped).await, StoreError::Foreign { .. }));

    let meta = dir.path().join("meta.db");
    sqlite_file_with(
        &meta,
        "CREATE TABLE meta (key TEXT, value TEXT); INSERT INTO meta VALUES ('application', 'other');",
    )
    .await;
    assert!(matches!(assert_refused(&meta).await, StoreError::Foreign { .. }));
}

#[tokio::test]
async fn empty_file_empty_database_and_missing_directories_are_initialised() {
    let dir = tempfile::tempdir().unwrap();

    let empty_file = dir.path().join("empty.db");
    std::fs::write(&empty_file, b"").unwrap();
    let empty_db = dir.path().join("empty-sqlite.db");
    sqlite_file_with(&empty_db, "PRAGMA user_version = 0;").await;
    let nested = dir.path().join("a/b/tsifra.db");

    for path in [empty_file, empty_db, nested] {
        let store = Store::open(&url_for(&path))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        store.write_batch(&Batch::from_workspace(&sample_workspace())).await.unwrap();
        store.close().await;
        // Ours now, from the header stamp alone.
        let header = std::fs::read(&path).unwrap();
        assert_eq!(&header[68..72], b"TSFR", "{}", path.display());
        let store = Store::open(&url_for(&path)).await.unwrap();
        assert_eq!(store.load().await.unwrap().deals.len(), 4);
        store.close().await;
    }
}

#[tokio::test]
async fn damaged_database_is_reported_as_corrupt() {
    let db = TestDb::sqlite();
    let store = db.open().await;
    store.write_batch(&Batch::from_workspace(&sample_workspace())).await.unwrap();
    store.close().await;
    let path = db.url().trim_start_matches("sqlite://").trim_end_matches("?mode=rwc").to_string();
    let path = Path::new(&path);

    // Keep the header page (so it is still recognisably ours) and lose the rest.
    let mut bytes = std::fs::read(path).unwrap();
    bytes.truncate(4096);
    std::fs::write(path, &bytes).unwrap();
    let err = Store::open(&url_for(path)).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains(&path.display().to_string()), "{err}");
    assert_eq!(std::fs::read(path).unwrap(), bytes, "a damaged file must not be written to");
}

#[tokio::test]
async fn postgres_database_with_other_tables_is_refused() {
    let Some(db) = TestDb::postgres().await else { return };
    db.execute("CREATE TABLE leads (id BIGINT PRIMARY KEY); INSERT INTO leads VALUES (1)")
        .await;
    let err = Store::open(db.url()).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Foreign { .. }) && err.to_string().contains("leads"),
        "{err}"
    );
    // Nothing of ours was created next to the stranger's table.
    db.execute("DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_tables WHERE tablename IN ('meta', '_sqlx_migrations')) THEN RAISE 'touched'; END IF; END $$")
        .await;
    db.drop_database().await;
}

#[tokio::test]
async fn passwords_stay_out_of_error_messages() {
    // Nothing listens on port 1: the connection fails fast.
    let err = Store::open("postgres://tsifra:hunter2@127.0.0.1:1/sales").await.unwrap_err();
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("tsifra:***@127.0.0.1:1/sales"), "{text}");
    }
    let err = Store::open("mysql://root:hunter2@db/sales").await.unwrap_err();
    assert!(matches!(err, StoreError::UnsupportedUrl { .. }));
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[tokio::test]
async fn an_open_store_shows_no_password() {
    let Some(db) = TestDb::postgres().await else { return };
    // The test cluster trusts local connections, so any password gets in.
    let url = db.url().replacen("://postgres@", "://postgres:hunter2@", 1);
    assert!(url.contains("hunter2"), "expected a postgres@ URL, got {url}");
    let store = Store::open(&url).await.unwrap();
    for shown in [format!("{store:?}"), store.location().to_string()] {
        assert!(!shown.contains("hunter2") && shown.contains("postgres:***@"), "{shown}");
    }
    store.close().await;
    db.drop_database().await;
}
