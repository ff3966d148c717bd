//! Engines on the real store, as two processes on one database: a SQLite file,
//! and PostgreSQL when `TEST_DATABASE_URL` names a server. Only one runs at a
//! time; the other is refused before it requests anything; the account's pace
//! holds across both.

use std::sync::Arc;
use std::time::Duration;

use sqlx::Connection;
use tsifra_amocrm::sync::no_progress;
use tsifra_amocrm::{Error, LeaseTake, Result, SyncEngine, SyncMode, SyncOptions, SyncStore};
use tsifra_core::model::{Batch, Deal, EntityKind, Id};
use tsifra_store::Store;

use crate::common::*;

/// The store as a connector's `SyncStore`, each handle one "process".
struct StoreSink(Store);

fn store_error(e: tsifra_store::StoreError) -> Error {
    Error::Store(e.to_string())
}

impl SyncStore for StoreSink {
    async fn checkpoint(&self, key: &str) -> Result<Option<String>> {
        Ok(self.0.checkpoint(key).await.map_err(store_error)?.filter(|v| !v.is_empty()))
    }

    async fn commit(&self, batch: &Batch, checkpoints: &[(String, String)]) -> Result<()> {
        self.0
            .write_batch_with_checkpoints(batch, checkpoints)
            .await
            .map(drop)
            .map_err(store_error)
    }

    async fn deals(&self, ids: &[Id]) -> Result<Vec<Deal>> {
        let ws = self.0.load().await.map_err(store_error)?;
        Ok(ids.iter().filter_map(|id| ws.deals.get(*id).cloned()).collect())
    }

    async fn dictionary_ids(&self) -> Result<Vec<(EntityKind, Id)>> {
        Ok(tsifra_amocrm::sync::dictionary_ids(&self.0.load().await.map_err(store_error)?))
    }

    async fn take_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<LeaseTake> {
        Ok(match self.0.take_lease(name, holder, ttl).await.map_err(store_error)? {
            tsifra_store::LeaseTake::Taken { quiet_for } => LeaseTake::Taken { quiet_for },
            tsifra_store::LeaseTake::Held { holder, expires_in } => LeaseTake::Held { holder, expires_in },
        })
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        self.0.release_lease(name, holder).await.map_err(store_error)
    }
}

async fn admin(url: &str, sql: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.ok();
}

/// The server URL with its database name replaced.
fn with_database(server_url: &str, name: &str) -> String {
    let after_scheme = server_url.find("://").map_or(0, |i| i + 3);
    let rest = &server_url[after_scheme..];
    let path_start = rest.find(['/', '?']).unwrap_or(rest.len());
    let path_end = rest.find('?').unwrap_or(rest.len()).max(path_start);
    format!("{}{}/{name}{}", &server_url[..after_scheme], &rest[..path_start], &rest[path_end..])
}

/// Two engines, each with its own client (its own limiter) and store handle,
/// start full runs together on one database, then keep trying until each has
/// run once: the loser is refused while the winner runs (its short lease
/// renewed throughout), then runs itself.
async fn two_engines_take_turns(url: &str) {
    let ws = workspace(12);
    let fake = fake_unlimited(ws.clone()).await;
    let ttl = Duration::from_millis(400);
    let mut engines = Vec::new();
    for _ in 0..2 {
        let store = Store::open(url).await.unwrap();
        engines.push(Arc::new(SyncEngine::new(
            client(&fake.base_url(), long_lived(&fake), 7),
            Arc::new(StoreSink(store)),
            SyncOptions {
                page_size: 10,
                events_page_size: 10,
                lease_ttl: ttl,
                ..SyncOptions::default()
            },
        )));
    }
    let first: Vec<_> = engines
        .iter()
        .map(|e| {
            let e = e.clone();
            tokio::spawn(async move { e.run(SyncMode::Full, &no_progress).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in first {
        outcomes.push(t.await.unwrap());
    }
    let ran: Vec<usize> = (0..2).filter(|&i| outcomes[i].is_ok()).collect();
    assert_eq!(ran.len(), 1, "exactly one of two simultaneous runs goes ahead: {outcomes:?}");
    let loser = 1 - ran[0];
    match &outcomes[loser] {
        Err(Error::LeaseHeld { holder, .. }) => assert_eq!(holder, engines[ran[0]].holder()),
        other => panic!("{other:?}"),
    }
    // The winner let go at the end: the other runs now, after the account's last second.
    engines[loser].run(SyncMode::Full, &no_progress).await.unwrap();
    let arrivals = fake.arrivals();
    let busiest = (0..arrivals.len())
        .map(|i| {
            arrivals[i..]
                .iter()
                .take_while(|t| **t < arrivals[i] + Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(busiest <= 7, "{busiest} requests within one second across the two processes");
    let stored = Store::open(url).await.unwrap().load().await.unwrap();
    assert_same(&stored, &ws);
}

#[tokio::test]
async fn two_engines_on_one_sqlite_file_take_turns() {
    let dir = tempfile::tempdir().unwrap();
    two_engines_take_turns(&Store::sqlite_url_for(dir.path())).await;
}

#[tokio::test]
async fn two_engines_on_one_postgres_database_take_turns() {
    let Ok(server) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("note: TEST_DATABASE_URL is not set; skipping the PostgreSQL run of this test");
        return;
    };
    let name = format!(
        "tsifra_lease_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_subsec_nanos()
    );
    admin(&server, &format!("CREATE DATABASE {name}")).await;
    two_engines_take_turns(&with_database(&server, &name)).await;
    admin(&server, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
}
