//! Landing a [`Batch`]: every upsert, deletion and plan replacement in one
//! transaction, as multi-row statements (one round trip per few thousand
//! rows rather than per row, which is what makes a million-deal write fast).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sqlx::any::AnyArguments;
use sqlx::{Any, AnyConnection, Arguments, AssertSqlSafe};
use tsifra_core::model::{Batch, EntityKind, Id, Keyed, Pipeline, Plan, Stage};

use crate::codec::*;
use crate::{Backend, Store, StoreError, table_of};

/// Bind variables per statement: below SQLite's limit of 32766 (PostgreSQL
/// allows 65535). Big statements amortise parsing and round trips; past a
/// few thousand rows there is nothing left to gain.
const MAX_BINDS: usize = 32_000;

/// Returns the store's data version after the batch (see [`Store::version`]).
pub(crate) async fn write_batch(store: &Store, batch: &Batch, checkpoints: &[(String, String)]) -> Result<u64, StoreError> {
    store.writable()?;
    validate(batch)?;
    let mut tx = store.pool.begin().await.map_err(store.query_error("starting a transaction"))?;
    let conn: &mut AnyConnection = &mut tx;

    // Writing first makes SQLite take the write lock at once (waiting out
    // busy_timeout) instead of failing to upgrade a read snapshot later.
    let version: String =
        sqlx::query_scalar("UPDATE meta SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) WHERE key = 'version' RETURNING value")
            .fetch_one(&mut *conn)
            .await
            .map_err(store.query_error("counting the batch"))?;
    let version: u64 = version.parse().unwrap_or_default();

    if let Some(account) = &batch.account {
        let rows = [account];
        Writer::new(store, "account", &["id", "name", "base_url", "time_zone", "currency"], Some("id"))
            .run(conn, &rows, |b, a| {
                b.push_bind(1i64)
                    .push_bind(&a.name)
                    .push_bind(&a.base_url)
                    .push_bind(&a.time_zone)
                    .push_bind(&a.currency);
            })
            .await?;
    }

    Writer::new(store, "teams", &["id", "name"], Some("id"))
        .run(conn, &last_wins(&batch.teams), |b, t| {
            b.push_bind(t.id).push_bind(&t.name);
        })
        .await?;

    Writer::new(store, "users", &["id", "name", "email", "team_id", "active", "source"], Some("id"))
        .run(conn, &last_wins(&batch.users), |b, u| {
            b.push_bind(u.id)
                .push_bind(&u.name)
                .push_bind(u.email.as_deref())
                .push_bind(u.team_id)
                .push_bind(bool_to_db(u.active))
                .push_bind(u.source.as_str());
        })
        .await?;

    write_pipelines(store, conn, &last_wins(&batch.pipelines)).await?;

    Writer::new(store, "loss_reasons", &["id", "name"], Some("id"))
        .run(conn, &last_wins(&batch.loss_reasons), |b, r| {
            b.push_bind(r.id).push_bind(&r.name);
        })
        .await?;

    Writer::new(
        store,
        "field_defs",
        &["id", "entity", "name", "code", "field_type", "options"],
        Some("id"),
    )
    .run(conn, &last_wins(&batch.field_defs), |b, f| {
        b.push_bind(f.id)
            .push_bind(f.entity.as_str())
            .push_bind(&f.name)
            .push_bind(f.code.as_deref())
            .push_bind(f.field_type.as_str())
            .push_bind(json_to_db(&f.options));
    })
    .await?;

    Writer::new(
        store,
        "companies",
        &[
            "id",
            "name",
            "responsible_id",
            "created_at",
            "updated_at",
            "tax_id",
            "phones",
            "emails",
            "fields",
            "source",
        ],
        Some("id"),
    )
    .run(conn, &last_wins(&batch.companies), |b, c| {
        b.push_bind(c.id)
            .push_bind(&c.name)
            .push_bind(c.responsible_id)
            .push_bind(instant_to_db(c.created_at))
            .push_bind(instant_to_db(c.updated_at))
            .push_bind(c.tax_id.as_deref())
            .push_bind(json_to_db(&c.phones))
            .push_bind(json_to_db(&c.emails))
            .push_bind(json_to_db(&c.fields))
            .push_bind(c.source.as_str());
    })
    .await?;

    Writer::new(
        store,
        "contacts",
        &[
            "id",
            "name",
            "responsible_id",
            "company_ids",
            "created_at",
            "updated_at",
            "phones",
            "emails",
            "fields",
            "source",
        ],
        Some("id"),
    )
    .run(conn, &last_wins(&batch.contacts), |b, c| {
        b.push_bind(c.id)
            .push_bind(&c.name)
            .push_bind(c.responsible_id)
            .push_bind(json_to_db(&c.company_ids))
            .push_bind(instant_to_db(c.created_at))
            .push_bind(instant_to_db(c.updated_at))
            .push_bind(json_to_db(&c.phones))
            .push_bind(json_to_db(&c.emails))
            .push_bind(json_to_db(&c.fields))
            .push_bind(c.source.as_str());
    })
    .await?;

    Writer::new(store, "deals", DEAL_COLUMNS, Some("id"))
        .run(conn, &last_wins(&batch.deals), |b, d| {
            b.push_bind(d.id)
                .push_bind(&d.name)
                .push_bind(d.pipeline_id)
                .push_bind(d.stage_id)
                .push_bind(d.amount.minor())
                .push_bind(d.responsible_id)
                .push_bind(d.company_id)
                .push_bind(json_to_db(&d.contact_ids))
                .push_bind(instant_to_db(d.created_at))
                .push_bind(instant_to_db(d.updated_at))
                .push_bind(d.closed_at.map(instant_to_db))
                .push_bind(d.loss_reason_id)
                .push_bind(d.lead_source.as_deref())
                .push_bind(json_to_db(&d.tags))
                .push_bind(json_to_db(&d.fields))
                .push_bind(history_to_db(&d.history))
                .push_bind(responsible_changes_to_db(&d.responsible_changes))
                .push_bind(d.source.as_str());
        })
        .await?;

    Writer::new(store, "tasks", TASK_COLUMNS, Some("id"))
        .run(conn, &last_wins(&batch.tasks), |b, t| {
            let (entity_kind, entity_id) = entity_to_db(t.entity);
            b.push_bind(t.id)
                .push_bind(entity_kind)
                .push_bind(entity_id)
                .push_bind(t.responsible_id)
                .push_bind(t.kind.as_str())
                .push_bind(&t.text)
                .push_bind(instant_to_db(t.created_at))
                .push_bind(instant_to_db(t.due_at))
                .push_bind(t.completed_at.map(instant_to_db))
                .push_bind(t.result.as_deref())
                .push_bind(t.source.as_str());
        })
        .await?;

    Writer::new(store, "activities", ACTIVITY_COLUMNS, Some("id"))
        .run(conn, &last_wins(&batch.activities), |b, a| {
            let (entity_kind, entity_id) = entity_to_db(a.entity);
            b.push_bind(a.id)
                .push_bind(a.kind.as_str())
                .push_bind(a.manager_id)
                .push_bind(entity_kind)
                .push_bind(entity_id)
                .push_bind(instant_to_db(a.at))
                .push_bind(i64::from(a.duration_s))
                .push_bind(bool_to_db(a.connected))
                .push_bind(a.source.as_str());
        })
        .await?;

    Writer::new(
        store,
        "payments",
        &[
            "id",
            "deal_id",
            "company_id",
            "amount_due",
            "due_date",
            "amount_paid",
            "paid_date",
            "source",
        ],
        Some("id"),
    )
    .run(conn, &last_wins(&batch.payments), |b, p| {
        b.push_bind(p.id)
            .push_bind(p.deal_id)
            .push_bind(p.company_id)
            .push_bind(p.amount_due.minor())
            .push_bind(p.due_date.map(date_to_db))
            .push_bind(p.amount_paid.minor())
            .push_bind(p.paid_date.map(date_to_db))
            .push_bind(p.source.as_str());
    })
    .await?;

    delete_records(store, conn, &batch.deletions).await?;
    write_plans(store, conn, batch).await?;
    write_hygiene_history(store, conn, batch).await?;
    log_changes(store, conn, batch, version).await?;
    // The checkpoint lands with the batch it describes: a run killed after this
    // commit resumes after the batch, one killed before it redoes the batch.
    Writer::new(store, "sync_state", &["key", "value"], Some("key"))
        .run(conn, &checkpoints.iter().collect::<Vec<_>>(), |b, (k, v)| {
            b.push_bind(k).push_bind(v);
        })
        .await?;

    tx.commit().await.map_err(store.query_error("committing the batch"))?;
    Ok(version)
}

pub(crate) const DEAL_COLUMNS: &[&str] = &[
    "id",
    "name",
    "pipeline_id",
    "stage_id",
    "amount",
    "responsible_id",
    "company_id",
    "contact_ids",
    "created_at",
    "updated_at",
    "closed_at",
    "loss_reason_id",
    "lead_source",
    "tags",
    "fields",
    "history",
    "responsible_changes",
    "source",
];

pub(crate) const TASK_COLUMNS: &[&str] = &[
    "id",
    "entity_kind",
    "entity_id",
    "responsible_id",
    "kind",
    "text",
    "created_at",
    "due_at",
    "completed_at",
    "result",
    "source",
];

pub(crate) const ACTIVITY_COLUMNS: &[&str] = &[
    "id",
    "kind",
    "manager_id",
    "entity_kind",
    "entity_id",
    "at",
    "duration_s",
    "connected",
    "source",
];

/// A multi-row `INSERT`, optionally an upsert on a key, cut into statements
/// that stay under the bind-variable limit. The SQL is built once per
/// statement shape, so every full chunk reuses one prepared statement.
struct Writer<'s> {
    store: &'s Store,
    table: &'static str,
    columns: usize,
    head: String,
    tail: String,
    rows_per_statement: usize,
}

impl<'s> Writer<'s> {
    fn new(store: &'s Store, table: &'static str, columns: &[&str], upsert_key: Option<&str>) -> Self {
        let head = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let tail = match upsert_key {
            Some(key) => {
                let keys: Vec<&str> = key.split(',').map(str::trim).collect();
                let set: Vec<String> = columns
                    .iter()
                    .filter(|c| !keys.contains(c))
                    .map(|c| format!("{c} = excluded.{c}"))
                    .collect();
                format!(" ON CONFLICT ({key}) DO UPDATE SET {}", set.join(", "))
            }
            None => String::new(),
        };
        Writer {
            store,
            table,
            columns: columns.len(),
            head,
            tail,
            rows_per_statement: (MAX_BINDS / columns.len()).max(1),
        }
    }

    fn sql(&self, rows: usize) -> Arc<String> {
        let mut sql = String::with_capacity(self.head.len() + self.tail.len() + rows * self.columns * 8);
        sql.push_str(&self.head);
        let mut n = 0;
        for row in 0..rows {
            sql.push_str(if row == 0 { "(" } else { ", (" });
            for col in 0..self.columns {
                n += 1;
                if col > 0 {
                    sql.push_str(", ");
                }
                push_placeholder(&mut sql, self.store.backend, n);
            }
            sql.push(')');
        }
        sql.push_str(&self.tail);
        Arc::new(sql)
    }

    async fn run<R>(self, conn: &mut AnyConnection, rows: &[R], mut bind: impl FnMut(&mut Binds, &R)) -> Result<(), StoreError> {
        let mut full: Option<Arc<String>> = None;
        for chunk in rows.chunks(self.rows_per_statement) {
            let sql = if chunk.len() == self.rows_per_statement {
                full.get_or_insert_with(|| self.sql(chunk.len())).clone()
            } else {
                self.sql(chunk.len())
            };
            let mut binds = Binds(AnyArguments::default());
            binds.0.reserve(chunk.len() * self.columns, 0);
            for row in chunk {
                bind(&mut binds, row);
            }
            debug_assert_eq!(binds.0.len(), chunk.len() * self.columns, "{}: bind count", self.table);
            sqlx::query_with(AssertSqlSafe(sql), binds.0)
                .execute(&mut *conn)
                .await
                .map_err(self.store.query_error(format!("writing {}", self.table)))?;
        }
        Ok(())
    }
}

/// PostgreSQL numbers its parameters `$1, $2, …`. SQLite accepts that too,
/// but takes `$N` for a *named* parameter and looks each name up in a list,
/// which makes preparing a 32,000-parameter statement quadratic (seconds);
/// its anonymous `?` is numbered as it is parsed. (sqlx's `QueryBuilder<Any>`
/// writes `?` for both, which PostgreSQL rejects.)
fn push_placeholder(sql: &mut String, backend: Backend, n: usize) {
    use std::fmt::Write;
    match backend {
        Backend::Sqlite => sql.push('?'),
        Backend::Postgres => {
            let _ = write!(sql, "${n}");
        }
    }
}

/// The values of one statement, pushed in column order.
struct Binds(AnyArguments);

impl Binds {
    fn push_bind<'q, T: sqlx::Encode<'q, Any> + sqlx::Type<Any>>(&mut self, value: T) -> &mut Self {
        // Encoding into Any's argument buffer only copies the value; it cannot fail.
        self.0.add(value).expect("values encode into Any arguments");
        self
    }
}

/// The rows to write, each id once: the last occurrence wins, as in
/// `Table::upsert`. PostgreSQL refuses one statement that upserts a key twice.
fn last_wins<T: Keyed>(rows: &[T]) -> Vec<&T> {
    // Generated and synced data usually comes in id order: skip the hashing.
    if rows.windows(2).all(|w| w[0].key() < w[1].key()) {
        return rows.iter().collect();
    }
    let mut last: HashMap<Id, usize> = HashMap::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        last.insert(row.key(), i);
    }
    if last.len() == rows.len() {
        return rows.iter().collect();
    }
    rows.iter()
        .enumerate()
        .filter(|(i, row)| last[&row.key()] == *i)
        .map(|(_, row)| row)
        .collect()
}

/// Pipelines are upserted; their stage lists are replaced whole.
async fn write_pipelines(store: &Store, conn: &mut AnyConnection, pipelines: &[&Pipeline]) -> Result<(), StoreError> {
    Writer::new(store, "pipelines", &["id", "name", "sort", "is_main"], Some("id"))
        .run(conn, pipelines, |b, p| {
            b.push_bind(p.id)
                .push_bind(&p.name)
                .push_bind(p.sort)
                .push_bind(bool_to_db(p.is_main));
        })
        .await?;
    let ids: Vec<Id> = pipelines.iter().map(|p| p.id).collect();
    delete_where_in(store, conn, "pipeline_stages", "pipeline_id", &ids).await?;
    let stages: Vec<(Id, i32, &Stage)> = pipelines
        .iter()
        .flat_map(|p| p.stages.iter().enumerate().map(|(i, s)| (p.id, i as i32, s)))
        .collect();
    Writer::new(
        store,
        "pipeline_stages",
        &["pipeline_id", "stage_id", "position", "name", "sort", "kind"],
        None,
    )
    .run(conn, &stages, |b, (pipeline_id, position, s)| {
        b.push_bind(*pipeline_id)
            .push_bind(s.id)
            .push_bind(*position)
            .push_bind(&s.name)
            .push_bind(s.sort)
            .push_bind(s.kind.as_str());
    })
    .await
}

async fn delete_records(store: &Store, conn: &mut AnyConnection, deletions: &[(EntityKind, Id)]) -> Result<(), StoreError> {
    for kind in EntityKind::ALL {
        let ids: Vec<Id> = deletions.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect();
        if ids.is_empty() {
            continue;
        }
        if kind == EntityKind::Pipeline {
            // Also cascaded by the foreign key; explicit so it never depends on a PRAGMA.
            delete_where_in(store, conn, "pipeline_stages", "pipeline_id", &ids).await?;
        }
        delete_where_in(store, conn, table_of(kind), "id", &ids).await?;
    }
    Ok(())
}

async fn delete_where_in<V>(store: &Store, conn: &mut AnyConnection, table: &str, column: &str, values: &[V]) -> Result<(), StoreError>
where
    V: for<'q> sqlx::Encode<'q, Any> + sqlx::Type<Any> + Clone,
{
    for chunk in values.chunks(MAX_BINDS) {
        let mut sql = format!("DELETE FROM {table} WHERE {column} IN (");
        for n in 1..=chunk.len() {
            if n > 1 {
                sql.push_str(", ");
            }
            push_placeholder(&mut sql, store.backend, n);
        }
        sql.push(')');
        let mut binds = Binds(AnyArguments::default());
        for value in chunk {
            binds.push_bind(value.clone());
        }
        sqlx::query_with(AssertSqlSafe(sql), binds.0)
            .execute(&mut *conn)
            .await
            .map_err(store.query_error(format!("deleting from {table}")))?;
    }
    Ok(())
}

async fn write_plans(store: &Store, conn: &mut AnyConnection, batch: &Batch) -> Result<(), StoreError> {
    delete_where_in(store, conn, "plans", "origin", &batch.replace_plan_origins).await?;
    let plans: Vec<&Plan> = batch.plans.iter().collect();
    let columns = [
        "origin",
        "whose",
        "manager_id",
        "period_key",
        "period_kind",
        "period_start",
        "period_end",
        "metric",
        "target",
        "imported_at",
    ];
    let result = Writer::new(store, "plans", &columns, None)
        .run(conn, &plans, |b, p| {
            b.push_bind(&p.origin)
                .push_bind(whose_to_db(p.manager_id))
                .push_bind(p.manager_id)
                .push_bind(p.period.key())
                .push_bind(period_kind_to_db(p.period.kind))
                .push_bind(date_to_db(p.period.start))
                .push_bind(date_to_db(p.period.end))
                .push_bind(p.metric.as_str())
                .push_bind(p.target)
                .push_bind(p.imported_at.map(import_time_to_db));
        })
        .await;
    match result {
        Err(StoreError::Query { source, .. })
            if source
                .as_database_error()
                .is_some_and(|e| e.kind() == sqlx::error::ErrorKind::UniqueViolation) =>
        {
            Err(StoreError::InvalidBatch(
                "a plan has the same origin, manager, period and metric as a stored one; \
                 list its origin in replace_plan_origins to replace the stored plans"
                    .into(),
            ))
        }
        other => other,
    }
}

async fn write_hygiene_history(store: &Store, conn: &mut AnyConnection, batch: &Batch) -> Result<(), StoreError> {
    if batch.hygiene_history.is_empty() {
        return Ok(());
    }
    // A day's tallies are replaced whole, as `Workspace::apply` does.
    let mut days: Vec<String> = batch.hygiene_history.iter().map(|h| date_to_db(h.day)).collect();
    days.sort();
    days.dedup();
    delete_where_in(store, conn, "hygiene_history", "day", &days).await?;
    let rows: Vec<_> = batch.hygiene_history.iter().collect();
    Writer::new(
        store,
        "hygiene_history",
        &["day", "manager_id", "rule", "violations", "checked"],
        None,
    )
    .run(conn, &rows, |b, h| {
        b.push_bind(date_to_db(h.day))
            .push_bind(h.manager_id.unwrap_or(0))
            .push_bind(&h.rule)
            .push_bind(h.violations as i64)
            .push_bind(h.checked as i64);
    })
    .await
}

/// A batch listing more keys than this is logged as one `all` row: a reader
/// loads the store whole, which for that many records costs about what
/// reading them one by one would (and keeps the log small).
pub(crate) const LOG_MAX_KEYS: usize = 50_000;
/// The change log keeps the rows of at least this many last batches (a
/// watching server reads it every few seconds; one that fell further behind
/// loads the store whole). Pruned every [`PRUNE_EVERY`] batches.
pub(crate) const LOG_KEEP_BATCHES: u64 = 1_000;
const PRUNE_EVERY: u64 = 16;

/// The ids a batch upserts, per kind (sorted, once each).
fn upserted(batch: &Batch, kind: EntityKind) -> Vec<Id> {
    fn ids<T: Keyed>(rows: &[T]) -> Vec<Id> {
        let mut ids: Vec<Id> = rows.iter().map(Keyed::key).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
    match kind {
        EntityKind::User => ids(&batch.users),
        EntityKind::Team => ids(&batch.teams),
        EntityKind::Pipeline => ids(&batch.pipelines),
        EntityKind::LossReason => ids(&batch.loss_reasons),
        EntityKind::FieldDef => ids(&batch.field_defs),
        EntityKind::Company => ids(&batch.companies),
        EntityKind::Contact => ids(&batch.contacts),
        EntityKind::Deal => ids(&batch.deals),
        EntityKind::Task => ids(&batch.tasks),
        EntityKind::Activity => ids(&batch.activities),
        EntityKind::Payment => ids(&batch.payments),
    }
}

/// A list of keys as the change log keeps it: a JSON array.
fn json<T: serde::Serialize>(keys: &[T]) -> String {
    serde_json::to_string(keys).expect("ids and strings serialize")
}

/// Appends to the change log what the batch of data version `version`
/// touched (see migrations 0007), in the batch's own transaction, and now and
/// then drops the rows of batches older than [`LOG_KEEP_BATCHES`].
async fn log_changes(store: &Store, conn: &mut AnyConnection, batch: &Batch, version: u64) -> Result<(), StoreError> {
    let mut rows: Vec<(&'static str, &'static str, String)> = Vec::new();
    let mut keys = 0;
    for kind in EntityKind::ALL {
        let up = upserted(batch, kind);
        if !up.is_empty() {
            keys += up.len();
            rows.push((kind.as_str(), "upsert", json(&up)));
        }
        let mut gone: Vec<Id> = batch.deletions.iter().filter(|(k, _)| *k == kind).map(|(_, id)| *id).collect();
        gone.sort_unstable();
        gone.dedup();
        if !gone.is_empty() {
            keys += gone.len();
            rows.push((kind.as_str(), "delete", json(&gone)));
        }
    }
    if batch.account.is_some() {
        rows.push(("account", "upsert", "[1]".into()));
    }
    let mut origins: Vec<&str> = batch
        .replace_plan_origins
        .iter()
        .chain(batch.plans.iter().map(|p| &p.origin))
        .map(String::as_str)
        .collect();
    origins.sort_unstable();
    origins.dedup();
    if !origins.is_empty() {
        keys += origins.len();
        rows.push(("plan_origin", "upsert", json(&origins)));
    }
    let mut days: Vec<String> = batch.hygiene_history.iter().map(|h| date_to_db(h.day)).collect();
    days.sort_unstable();
    days.dedup();
    if !days.is_empty() {
        keys += days.len();
        rows.push(("hygiene_day", "upsert", json(&days)));
    }
    if keys > LOG_MAX_KEYS {
        rows = vec![("all", "upsert", "[]".into())];
    }
    let version_db = i64::try_from(version).unwrap_or(i64::MAX);
    Writer::new(store, "change_log", &["version", "kind", "op", "keys"], None)
        .run(conn, &rows, |b, (kind, op, keys)| {
            b.push_bind(version_db).push_bind(*kind).push_bind(*op).push_bind(keys.as_str());
        })
        .await?;
    if version.is_multiple_of(PRUNE_EVERY) && version > LOG_KEEP_BATCHES {
        // Integers of ours, not input: written into the SQL as they are.
        let cut = version - LOG_KEEP_BATCHES;
        sqlx::query(AssertSqlSafe(format!("DELETE FROM change_log WHERE version <= {cut}")))
            .execute(&mut *conn)
            .await
            .map_err(store.query_error("pruning the change log"))?;
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE meta SET value = '{}' WHERE key = 'change_log_from' AND CAST(value AS BIGINT) <= {cut}",
            cut + 1
        )))
        .execute(&mut *conn)
        .await
        .map_err(store.query_error("pruning the change log"))?;
    }
    Ok(())
}

/// Catches, before any write, what the database would reject with a less
/// helpful message.
fn validate(batch: &Batch) -> Result<(), StoreError> {
    let mut plan_keys = HashSet::new();
    for p in &batch.plans {
        if !plan_keys.insert((p.origin.as_str(), p.manager_id, p.period.key(), p.metric)) {
            let whose = p.manager_id.map_or("the team".to_string(), |id| format!("manager {id}"));
            return Err(StoreError::InvalidBatch(format!(
                "{} has two {} plans for {whose} in {}",
                p.origin,
                p.metric.as_str(),
                p.period.key()
            )));
        }
    }
    for pipeline in &batch.pipelines {
        let mut ids = HashSet::new();
        if let Some(stage) = pipeline.stages.iter().find(|s| !ids.insert(s.id)) {
            return Err(StoreError::InvalidBatch(format!(
                "pipeline {} lists stage {} twice",
                pipeline.id, stage.id
            )));
        }
    }
    Ok(())
}
