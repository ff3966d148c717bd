//! Leases: which process may talk to a CRM account's API right now. amoCRM
//! limits requests per account, not per process, so two processes syncing one
//! account (`tsifra sync` while `tsifra serve` syncs) must not run at once, and
//! the one that comes next must let the account's last second of requests pass.
//!
//! A lease is a row (name, holder, expiry) taken or renewed by one upsert in a
//! transaction, which both SQLite and PostgreSQL make atomic: the row changes
//! hands only when it is the caller's already or has expired. A holder renews
//! well before expiry; one that was killed is taken over once it expires.

use std::time::Duration;

use crate::{Backend, Store, StoreError};

/// What [`Store::take_lease`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseTake {
    /// The caller holds the lease for the requested time (taken, or renewed).
    /// `quiet_for`: another holder had it before and let go (or stopped
    /// renewing) this long ago; `None` when the caller held it last or nobody did.
    Taken { quiet_for: Option<Duration> },
    /// Another holder has it, for `expires_in` more unless it renews.
    Held { holder: String, expires_in: Duration },
}

impl Store {
    /// Takes the lease `name` for `holder` for `ttl`, or renews it when `holder`
    /// has it already. Never waits for another holder: says who has it instead.
    pub async fn take_lease(&self, name: &str, holder: &str, ttl: Duration) -> Result<LeaseTake, StoreError> {
        self.take_lease_over(name, holder, None, ttl).await
    }

    /// [`Store::take_lease`], also taking it from `dead` (a holder the caller
    /// knows was killed: a process of this machine that is gone) before it expires.
    pub async fn take_lease_over(&self, name: &str, holder: &str, dead: Option<&str>, ttl: Duration) -> Result<LeaseTake, StoreError> {
        let this = self.current();
        this.writable()?;
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 4);
        let mut tx = this.pool.begin().await.map_err(this.query_error("starting a lease transaction"))?;
        let now = this.now_ms(&mut tx).await?;
        // SET reads the old row on both dialects, so the previous holder and its
        // expiry survive the hand-over for the new holder to see.
        let upsert = match this.backend {
            Backend::Sqlite => {
                "INSERT INTO sync_lease (name, holder, expires_at, taken_at) VALUES (?, ?, ?, ?) \
                 ON CONFLICT (name) DO UPDATE SET previous_holder = sync_lease.holder, \
                 previous_expires_at = sync_lease.expires_at, holder = excluded.holder, \
                 expires_at = excluded.expires_at, \
                 taken_at = CASE WHEN sync_lease.holder = excluded.holder THEN sync_lease.taken_at ELSE excluded.taken_at END \
                 WHERE sync_lease.holder = excluded.holder OR sync_lease.expires_at <= excluded.taken_at \
                 OR sync_lease.holder = ? \
                 RETURNING previous_holder, previous_expires_at"
            }
            Backend::Postgres => {
                "INSERT INTO sync_lease (name, holder, expires_at, taken_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (name) DO UPDATE SET previous_holder = sync_lease.holder, \
                 previous_expires_at = sync_lease.expires_at, holder = excluded.holder, \
                 expires_at = excluded.expires_at, \
                 taken_at = CASE WHEN sync_lease.holder = excluded.holder THEN sync_lease.taken_at ELSE excluded.taken_at END \
                 WHERE sync_lease.holder = excluded.holder OR sync_lease.expires_at <= excluded.taken_at \
                 OR sync_lease.holder = $5 \
                 RETURNING previous_holder, previous_expires_at"
            }
        };
        let taken: Option<(Option<String>, Option<i64>)> = sqlx::query_as(upsert)
            .bind(name)
            .bind(holder)
            .bind(now.saturating_add(ttl_ms))
            .bind(now)
            .bind(dead.unwrap_or(holder))
            .fetch_optional(&mut *tx)
            .await
            .map_err(this.query_error("taking a lease"))?;
        let outcome = match taken {
            Some((previous, previous_expiry)) => LeaseTake::Taken {
                quiet_for: match (previous, previous_expiry) {
                    (Some(p), Some(until)) if p != holder => Some(ms(now - until)),
                    _ => None,
                },
            },
            None => {
                let sql = match this.backend {
                    Backend::Sqlite => "SELECT holder, expires_at FROM sync_lease WHERE name = ?",
                    Backend::Postgres => "SELECT holder, expires_at FROM sync_lease WHERE name = $1",
                };
                let (other, until): (String, i64) = sqlx::query_as(sql)
                    .bind(name)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(this.query_error("reading a lease"))?;
                LeaseTake::Held {
                    holder: other,
                    expires_in: ms(until - now),
                }
            }
        };
        tx.commit().await.map_err(this.query_error("committing a lease"))?;
        Ok(outcome)
    }

    /// Lets go of the lease if `holder` has it: it expires now, so the next
    /// taker need not wait for the expiry and knows when the account went quiet.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        let this = self.current();
        this.writable()?;
        let mut tx = this.pool.begin().await.map_err(this.query_error("starting a lease transaction"))?;
        let now = this.now_ms(&mut tx).await?;
        let sql = match this.backend {
            Backend::Sqlite => {
                "UPDATE sync_lease SET expires_at = CASE WHEN expires_at < ? THEN expires_at ELSE ? END \
                 WHERE name = ? AND holder = ?"
            }
            Backend::Postgres => {
                "UPDATE sync_lease SET expires_at = CASE WHEN expires_at < $1 THEN expires_at ELSE $2 END \
                 WHERE name = $3 AND holder = $4"
            }
        };
        sqlx::query(sql)
            .bind(now)
            .bind(now)
            .bind(name)
            .bind(holder)
            .execute(&mut *tx)
            .await
            .map_err(this.query_error("releasing a lease"))?;
        tx.commit().await.map_err(this.query_error("committing a lease"))?;
        Ok(())
    }

    /// The time leases are measured in, Unix milliseconds. PostgreSQL's own
    /// clock, so processes on several machines agree; a SQLite file is shared
    /// by processes of one machine only, and asking SQLite for the time first
    /// would make the transaction a reader that must then upgrade to a writer
    /// (which SQLite refuses instead of waiting when another process writes).
    async fn now_ms(&self, tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<i64, StoreError> {
        match self.backend {
            Backend::Sqlite => Ok(chrono::Utc::now().timestamp_millis()),
            Backend::Postgres => sqlx::query_scalar("SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)")
                .fetch_one(&mut **tx)
                .await
                .map_err(self.query_error("reading the database clock")),
        }
    }
}

fn ms(v: i64) -> Duration {
    Duration::from_millis(v.max(0) as u64)
}
