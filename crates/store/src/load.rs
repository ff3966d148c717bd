//! Reading the whole workspace into memory from one snapshot, streaming rows
//! straight into the model's tables so a million-deal load never holds the
//! rows twice.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use tsifra_core::Instant;
use tsifra_core::model::*;
use tsifra_core::money::Money;

use crate::codec::*;
use crate::{Backend, Store, StoreError, table_of};

pub(crate) async fn load(store: &Store) -> Result<Workspace, StoreError> {
    // A read transaction pins one snapshot for all the tables: a batch landing
    // mid-load is either wholly in the result or wholly absent. PostgreSQL
    // needs REPEATABLE READ for that; a SQLite read transaction always has it.
    let begin = match store.backend {
        Backend::Sqlite => "BEGIN",
        Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    };
    let mut tx = store
        .pool
        .begin_with(begin)
        .await
        .map_err(store.query_error("starting a read transaction"))?;
    let conn: &mut AnyConnection = &mut tx;
    let reader = Reader { store };

    let version = read_version(store, conn).await?;
    let counts: HashMap<EntityKind, u64> = count_rows(store, conn).await?.into_iter().collect();
    let capacity = |kind: EntityKind| counts.get(&kind).copied().unwrap_or(0) as usize;

    let account = reader
        .rows(
            conn,
            "account",
            "SELECT name, base_url, time_zone, currency FROM account WHERE id = 1",
            0,
            |c| {
                Ok(Account {
                    name: c.string()?,
                    base_url: c.string()?,
                    time_zone: c.string()?,
                    currency: c.string()?,
                })
            },
        )
        .await?
        .pop();

    let mut ws = Workspace {
        account,
        version,
        ..Workspace::default()
    };

    ws.teams = reader
        .table(conn, "teams", "SELECT id, name FROM teams", capacity(EntityKind::Team), |c| {
            Ok(Team {
                id: c.i64()?,
                name: c.string()?,
            })
        })
        .await?;

    ws.users = reader
        .table(
            conn,
            "users",
            "SELECT id, name, email, team_id, active, source FROM users",
            capacity(EntityKind::User),
            |c| {
                Ok(User {
                    id: c.i64()?,
                    name: c.string()?,
                    email: c.opt_string()?,
                    team_id: c.opt_i64()?,
                    active: bool_from_db(c.i64()?)?,
                    source: c.source()?,
                })
            },
        )
        .await?;

    ws.pipelines = load_pipelines(&reader, conn).await?;

    ws.loss_reasons = reader
        .table(
            conn,
            "loss_reasons",
            "SELECT id, name FROM loss_reasons",
            capacity(EntityKind::LossReason),
            |c| {
                Ok(LossReason {
                    id: c.i64()?,
                    name: c.string()?,
                })
            },
        )
        .await?;

    ws.field_defs = reader
        .table(
            conn,
            "field_defs",
            "SELECT id, entity, name, code, field_type, options FROM field_defs",
            capacity(EntityKind::FieldDef),
            |c| {
                Ok(FieldDef {
                    id: c.i64()?,
                    entity: parse_enum(c.str()?, "record kind", EntityKind::parse)?,
                    name: c.string()?,
                    code: c.opt_string()?,
                    field_type: parse_enum(c.str()?, "field type", FieldType::parse)?,
                    options: json_from_db(c.str()?)?,
                })
            },
        )
        .await?;

    ws.companies = reader
        .table(
            conn,
            "companies",
            "SELECT id, name, responsible_id, created_at, updated_at, tax_id, phones, emails, fields, source FROM companies",
            capacity(EntityKind::Company),
            |c| {
                Ok(Company {
                    id: c.i64()?,
                    name: c.string()?,
                    responsible_id: c.opt_i64()?,
                    created_at: c.instant()?,
                    updated_at: c.instant()?,
                    tax_id: c.opt_string()?,
                    phones: json_from_db(c.str()?)?,
                    emails: json_from_db(c.str()?)?,
                    fields: json_from_db(c.str()?)?,
                    source: c.source()?,
                })
            },
        )
        .await?;

    ws.contacts = reader
        .table(
            conn,
            "contacts",
            "SELECT id, name, responsible_id, company_ids, created_at, updated_at, phones, emails, fields, source FROM contacts",
            capacity(EntityKind::Contact),
            |c| {
                Ok(Contact {
                    id: c.i64()?,
                    name: c.string()?,
                    responsible_id: c.opt_i64()?,
                    company_ids: json_from_db(c.str()?)?,
                    created_at: c.instant()?,
                    updated_at: c.instant()?,
                    phones: json_from_db(c.str()?)?,
                    emails: json_from_db(c.str()?)?,
                    fields: json_from_db(c.str()?)?,
                    source: c.source()?,
                })
            },
        )
        .await?;

    ws.deals = reader
        .table(
            conn,
            "deals",
            "SELECT id, name, pipeline_id, stage_id, amount, responsible_id, company_id, contact_ids, created_at, updated_at, \
             closed_at, loss_reason_id, lead_source, tags, fields, history, source FROM deals",
            capacity(EntityKind::Deal),
            |c| {
                Ok(Deal {
                    id: c.i64()?,
                    name: c.string()?,
                    pipeline_id: c.i64()?,
                    stage_id: c.i64()?,
                    amount: Money(c.i64()?),
                    responsible_id: c.opt_i64()?,
                    company_id: c.opt_i64()?,
                    contact_ids: json_from_db(c.str()?)?,
                    created_at: c.instant()?,
                    updated_at: c.instant()?,
                    closed_at: c.opt_instant()?,
                    loss_reason_id: c.opt_i64()?,
                    lead_source: c.opt_string()?,
                    tags: json_from_db(c.str()?)?,
                    fields: json_from_db(c.str()?)?,
                    history: history_from_db(c.str()?)?,
                    source: c.source()?,
                })
            },
        )
        .await?;

    ws.tasks = reader
        .table(
            conn,
            "tasks",
            "SELECT id, entity_kind, entity_id, responsible_id, kind, text, created_at, due_at, completed_at, result, source FROM tasks",
            capacity(EntityKind::Task),
            |c| {
                Ok(Task {
                    id: c.i64()?,
                    entity: entity_from_db(c.opt_str()?, c.opt_i64()?)?,
                    responsible_id: c.opt_i64()?,
                    kind: parse_enum(c.str()?, "task kind", TaskKind::parse)?,
                    text: c.string()?,
                    created_at: c.instant()?,
                    due_at: c.instant()?,
                    completed_at: c.opt_instant()?,
                    result: c.opt_string()?,
                    source: c.source()?,
                })
            },
        )
        .await?;

    ws.activities = reader
        .table(
            conn,
            "activities",
            "SELECT id, kind, manager_id, entity_kind, entity_id, at, duration_s, connected, source FROM activities",
            capacity(EntityKind::Activity),
            |c| {
                Ok(Activity {
                    id: c.i64()?,
                    kind: parse_enum(c.str()?, "activity kind", ActivityKind::parse)?,
                    manager_id: c.opt_i64()?,
                    entity: entity_from_db(c.opt_str()?, c.opt_i64()?)?,
                    at: c.instant()?,
                    duration_s: u32::try_from(c.i64()?).map_err(|_| "duration out of range".to_string())?,
                    connected: bool_from_db(c.i64()?)?,
                    source: c.source()?,
                })
            },
        )
        .await?;

    ws.payments = reader
        .table(
            conn,
            "payments",
            "SELECT id, deal_id, company_id, amount_due, due_date, amount_paid, paid_date, source FROM payments",
            capacity(EntityKind::Payment),
            |c| {
                Ok(Payment {
                    id: c.i64()?,
                    deal_id: c.opt_i64()?,
                    company_id: c.opt_i64()?,
                    amount_due: Money(c.i64()?),
                    due_date: c.opt_str()?.map(date_from_db).transpose()?,
                    amount_paid: Money(c.i64()?),
                    paid_date: c.opt_str()?.map(date_from_db).transpose()?,
                    source: c.source()?,
                })
            },
        )
        .await?;

    ws.plans = reader
        .rows(
            conn,
            "plans",
            "SELECT manager_id, period_kind, period_start, period_end, metric, target, origin FROM plans \
             ORDER BY origin, whose, period_key, metric",
            0,
            |c| {
                Ok(Plan {
                    manager_id: c.opt_i64()?,
                    period: period_from_db(c.str()?, c.str()?, c.str()?)?,
                    metric: metric_from_db(c.str()?)?,
                    target: c.i64()?,
                    origin: c.string()?,
                })
            },
        )
        .await?;

    tx.commit().await.map_err(store.query_error("ending the read transaction"))?;
    Ok(ws)
}

async fn load_pipelines(reader: &Reader<'_>, conn: &mut AnyConnection) -> Result<Table<Pipeline>, StoreError> {
    let mut pipelines = reader
        .rows(
            conn,
            "pipelines",
            "SELECT id, name, sort, is_main FROM pipelines ORDER BY id",
            0,
            |c| {
                Ok(Pipeline {
                    id: c.i64()?,
                    name: c.string()?,
                    sort: c.i32()?,
                    is_main: bool_from_db(c.i64()?)?,
                    stages: Vec::new(),
                })
            },
        )
        .await?;
    let stages = reader
        .rows(
            conn,
            "pipeline_stages",
            "SELECT pipeline_id, stage_id, name, sort, kind FROM pipeline_stages ORDER BY pipeline_id, position",
            0,
            |c| {
                let pipeline_id = c.i64()?;
                let stage = Stage {
                    id: c.i64()?,
                    name: c.string()?,
                    sort: c.i32()?,
                    kind: parse_enum(c.str()?, "stage kind", StageKind::parse)?,
                };
                Ok((pipeline_id, stage))
            },
        )
        .await?;
    let index: HashMap<Id, usize> = pipelines.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    for (pipeline_id, stage) in stages {
        // A stage of a deleted pipeline cannot exist (the delete cascades), so skipping is safe.
        if let Some(&i) = index.get(&pipeline_id) {
            pipelines[i].stages.push(stage);
        }
    }
    Ok(pipelines.into_iter().collect())
}

pub(crate) async fn counts(store: &Store) -> Result<Vec<(EntityKind, u64)>, StoreError> {
    let mut conn = store.pool.acquire().await.map_err(store.query_error("connecting"))?;
    count_rows(store, &mut conn).await
}

pub(crate) async fn version(store: &Store) -> Result<u64, StoreError> {
    let mut conn = store.pool.acquire().await.map_err(store.query_error("connecting"))?;
    read_version(store, &mut conn).await
}

async fn count_rows(store: &Store, conn: &mut AnyConnection) -> Result<Vec<(EntityKind, u64)>, StoreError> {
    let selects: Vec<String> = EntityKind::ALL
        .iter()
        .map(|k| format!("(SELECT COUNT(*) FROM {})", table_of(*k)))
        .collect();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {}", selects.join(", "))))
        .fetch_one(&mut *conn)
        .await
        .map_err(store.query_error("counting rows"))?;
    EntityKind::ALL
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let n: i64 = row.try_get(i).map_err(store.query_error("counting rows"))?;
            Ok((*k, n.max(0) as u64))
        })
        .collect()
}

async fn read_version(store: &Store, conn: &mut AnyConnection) -> Result<u64, StoreError> {
    let text: String = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'version'")
        .fetch_one(&mut *conn)
        .await
        .map_err(store.query_error("reading the batch counter"))?;
    text.parse().map_err(|_| StoreError::Decode {
        location: store.location.clone(),
        table: "meta",
        id: "version".into(),
        reason: format!("{text:?} is not a number"),
    })
}

/// Runs one SELECT and decodes each row as it arrives.
struct Reader<'s> {
    store: &'s Store,
}

impl Reader<'_> {
    async fn rows<T>(
        &self,
        conn: &mut AnyConnection,
        table: &'static str,
        sql: &'static str,
        capacity: usize,
        mut decode: impl FnMut(&mut Columns<'_>) -> Result<T, String>,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::with_capacity(capacity);
        self.each(conn, table, sql, |row| {
            out.push(decode(row)?);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    async fn table<T: Keyed>(
        &self,
        conn: &mut AnyConnection,
        table: &'static str,
        sql: &'static str,
        capacity: usize,
        mut decode: impl FnMut(&mut Columns<'_>) -> Result<T, String>,
    ) -> Result<Table<T>, StoreError> {
        let mut out = Table::with_capacity(capacity);
        self.each(conn, table, sql, |row| {
            out.upsert(decode(row)?);
            Ok(())
        })
        .await?;
        Ok(out)
    }

    async fn each(
        &self,
        conn: &mut AnyConnection,
        table: &'static str,
        sql: &'static str,
        mut on_row: impl FnMut(&mut Columns<'_>) -> Result<(), String>,
    ) -> Result<(), StoreError> {
        let store = self.store;
        let mut stream = sqlx::query(sql).fetch(&mut *conn);
        while let Some(row) = stream.try_next().await.map_err(store.query_error(format!("reading {table}")))? {
            let mut columns = Columns { row: &row, next: 0 };
            on_row(&mut columns).map_err(|reason| StoreError::Decode {
                location: store.location.clone(),
                table,
                id: row_label(&row),
                reason,
            })?;
        }
        Ok(())
    }
}

/// The first column, which is the id for every entity table: names the bad row.
fn row_label(row: &AnyRow) -> String {
    match row.try_get::<Option<i64>, _>(0) {
        Ok(Some(id)) => id.to_string(),
        _ => row.try_get::<Option<String>, _>(0).ok().flatten().unwrap_or_else(|| "?".into()),
    }
}

/// Reads a row's columns left to right, in SELECT order.
struct Columns<'r> {
    row: &'r AnyRow,
    next: usize,
}

impl<'r> Columns<'r> {
    fn get<T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>>(&mut self) -> Result<T, String> {
        let i = self.next;
        self.next += 1;
        self.row.try_get(i).map_err(|e| format!("column {}: {e}", i + 1))
    }
    fn i64(&mut self) -> Result<i64, String> {
        self.get()
    }
    fn opt_i64(&mut self) -> Result<Option<i64>, String> {
        self.get()
    }
    fn i32(&mut self) -> Result<i32, String> {
        self.get()
    }
    fn str(&mut self) -> Result<&'r str, String> {
        self.get()
    }
    fn opt_str(&mut self) -> Result<Option<&'r str>, String> {
        self.get()
    }
    fn string(&mut self) -> Result<String, String> {
        self.str().map(str::to_owned)
    }
    fn opt_string(&mut self) -> Result<Option<String>, String> {
        Ok(self.opt_str()?.map(str::to_owned))
    }
    fn instant(&mut self) -> Result<Instant, String> {
        instant_from_db(self.i64()?)
    }
    fn opt_instant(&mut self) -> Result<Option<Instant>, String> {
        self.opt_i64()?.map(instant_from_db).transpose()
    }
    fn source(&mut self) -> Result<Source, String> {
        parse_enum(self.str()?, "record source", Source::parse)
    }
}
