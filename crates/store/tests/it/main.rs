//! Store integration tests, one binary. Every scenario runs on a fresh SQLite
//! file, and on a fresh PostgreSQL database when `TEST_DATABASE_URL` names a
//! server (e.g. the one scripts/start-test-postgres.sh prints).

mod apply;
mod atomicity;
mod calendar;
mod changes;
mod common;
mod concurrency;
mod foreign;
mod full_disk;
mod lease;
mod plans;
mod roundtrip;
mod sync_state;

/// Declares `NAME_sqlite` and `NAME_postgres` tests running `scenario(&TestDb)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident => $scenario:ident;)*) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    let db = $crate::common::TestDb::sqlite();
                    super::$scenario(&db).await;
                }

                #[tokio::test]
                async fn postgres() {
                    let Some(db) = $crate::common::TestDb::postgres().await else { return };
                    super::$scenario(&db).await;
                    db.drop_database().await;
                }
            }
        )*
    };
}
