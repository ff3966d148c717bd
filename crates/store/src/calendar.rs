//! Official production calendars loaded with `tsifra calendar import`: a row
//! per imported year and one per special day, replaced a whole year at a time
//! so a year is always exactly one file's.

use std::collections::BTreeMap;

use tsifra_core::Instant;
use tsifra_core::calendar::{DayKind, ImportedDay, ImportedYear};

use crate::codec::{date_from_db, date_to_db, instant_to_db};
use crate::{Store, StoreError};

impl Store {
    /// Every imported calendar year, by year, its days by date.
    pub async fn imported_calendars(&self) -> Result<Vec<ImportedYear>, StoreError> {
        let this = self.current();
        let years: Vec<(i64, String)> = sqlx::query_as("SELECT year, source FROM calendar_years ORDER BY year")
            .fetch_all(&this.pool)
            .await
            .map_err(this.query_error("reading imported calendars"))?;
        let days: Vec<(String, i64, String, String)> = sqlx::query_as("SELECT day, year, kind, moved_from FROM calendar_days ORDER BY day")
            .fetch_all(&this.pool)
            .await
            .map_err(this.query_error("reading imported calendar days"))?;
        let mut by_year: BTreeMap<i64, ImportedYear> = years
            .into_iter()
            .map(|(year, source)| {
                (
                    year,
                    ImportedYear {
                        year: year as i32,
                        source,
                        days: Vec::new(),
                    },
                )
            })
            .collect();
        for (day, year, kind, moved_from) in days {
            let bad = |reason: String| StoreError::Decode {
                location: this.location.clone(),
                table: "calendar_days",
                id: day.clone(),
                reason,
            };
            let date = date_from_db(&day).map_err(bad)?;
            let kind = DayKind::parse_key(&kind).ok_or_else(|| bad(format!("{kind:?} is not holiday, working or short")))?;
            let moved_from = match moved_from.as_str() {
                "" => None,
                text => Some(date_from_db(text).map_err(bad)?),
            };
            // The foreign key keeps every day's year present.
            if let Some(y) = by_year.get_mut(&year) {
                y.days.push(ImportedDay { date, kind, moved_from });
            }
        }
        Ok(by_year.into_values().collect())
    }

    /// Stores imported years in one transaction, each replacing whatever was
    /// stored for its year; on any error nothing changes.
    pub async fn import_calendars(&self, years: &[ImportedYear], imported_at: Instant) -> Result<(), StoreError> {
        let this = self.current();
        this.writable()?;
        let mut tx = this.pool.begin().await.map_err(this.query_error("starting a transaction"))?;
        for year in years {
            let doing = || format!("storing the {} calendar", year.year);
            // Days go first, explicitly: the cascade needs SQLite's foreign_keys pragma.
            sqlx::query("DELETE FROM calendar_days WHERE year = $1")
                .bind(i64::from(year.year))
                .execute(&mut *tx)
                .await
                .map_err(this.query_error(doing()))?;
            sqlx::query("DELETE FROM calendar_years WHERE year = $1")
                .bind(i64::from(year.year))
                .execute(&mut *tx)
                .await
                .map_err(this.query_error(doing()))?;
            sqlx::query("INSERT INTO calendar_years (year, source, imported_at) VALUES ($1, $2, $3)")
                .bind(i64::from(year.year))
                .bind(&year.source)
                .bind(instant_to_db(imported_at))
                .execute(&mut *tx)
                .await
                .map_err(this.query_error(doing()))?;
            // A year has a few dozen special days: a statement each is plenty.
            for day in &year.days {
                sqlx::query("INSERT INTO calendar_days (day, year, kind, moved_from) VALUES ($1, $2, $3, $4)")
                    .bind(date_to_db(day.date))
                    .bind(i64::from(year.year))
                    .bind(day.kind.key())
                    .bind(day.moved_from.map(date_to_db).unwrap_or_default())
                    .execute(&mut *tx)
                    .await
                    .map_err(this.query_error(doing()))?;
            }
        }
        tx.commit().await.map_err(this.query_error("committing imported calendars"))?;
        Ok(())
    }
}
