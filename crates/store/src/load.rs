//! Reading the whole workspace into memory from one snapshot, streaming rows
//! straight into the model's tables so a million-deal load never holds the
//! rows twice. The SQL and the row decoding are written once; a row source
//! runs them through sqlx (PostgreSQL) or SQLite's C API (see sqlite_read).

use std::collections::HashMap;
use std::path::Path;

use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use tokio::runtime::Handle;
use tsifra_core::Instant;
use tsifra_core::model::*;
use tsifra_core::money::Money;

use crate::codec::*;
use crate::sqlite_read::{self, QueryError, SqliteError};
use crate::{Backend, Store, StoreError, table_of};

/// A row's columns, read left to right in SELECT order.
pub(crate) trait Cols {
    fn opt_i64(&self) -> Result<Option<i64>, String>;
    fn opt_str(&self) -> Result<Option<&str>, String>;

    fn i64(&self) -> Result<i64, String> {
        self.opt_i64()?.ok_or_else(|| "unexpected NULL".to_string())
    }
    fn i32(&self) -> Result<i32, String> {
        i32::try_from(self.i64()?).map_err(|e| e.to_string())
    }
    fn str(&self) -> Result<&str, String> {
        self.opt_str()?.ok_or_else(|| "unexpected NULL".to_string())
    }
    fn string(&self) -> Result<String, String> {
        self.str().map(str::to_owned)
    }
    fn opt_string(&self) -> Result<Option<String>, String> {
        Ok(self.opt_str()?.map(str::to_owned))
    }
    fn instant(&self) -> Result<Instant, String> {
        instant_from_db(self.i64()?)
    }
    fn opt_instant(&self) -> Result<Option<Instant>, String> {
        self.opt_i64()?.map(instant_from_db).transpose()
    }
    fn source(&self) -> Result<Source, String> {
        parse_enum(self.str()?, "record source", Source::parse)
    }
}

pub(crate) type OnRow<'f> = dyn FnMut(&dyn Cols) -> Result<(), String> + 'f;

/// Runs a SELECT and feeds each row to a callback, synchronously (loads run
/// on a blocking thread, never on the async runtime's workers).
pub(crate) trait RowSource {
    fn each(&mut self, table: &'static str, sql: &str, on_row: &mut OnRow<'_>) -> Result<(), StoreError>;

    fn count(&mut self, table: &'static str) -> Result<usize, StoreError> {
        let mut n = 0;
        let sql = format!("SELECT COUNT(*) FROM {table}");
        self.each(table, &sql, &mut |c| {
            n = c.i64()?.max(0) as usize;
            Ok(())
        })?;
        Ok(n)
    }

    fn version(&mut self) -> Result<u64, StoreError> {
        let mut text = String::new();
        self.each("meta", "SELECT value FROM meta WHERE key = 'version'", &mut |c| {
            text = c.string()?;
            Ok(())
        })?;
        text.parse()
            .map_err(|_| self.decode_error("meta", "version".into(), format!("{text:?} is not a number")))
    }

    fn decode_error(&self, table: &'static str, id: String, reason: String) -> StoreError;
}

/// The workspace's pieces, each loaded by one query (pipelines by two).
#[derive(Clone, Copy, Debug)]
pub(crate) enum Part {
    Account,
    Teams,
    Users,
    Pipelines,
    LossReasons,
    FieldDefs,
    Companies,
    Contacts,
    Deals,
    Tasks,
    Activities,
    Payments,
    Plans,
    HygieneHistory,
}

const ALL_PARTS: [Part; 14] = [
    Part::Account,
    Part::Teams,
    Part::Users,
    Part::Pipelines,
    Part::LossReasons,
    Part::FieldDefs,
    Part::Companies,
    Part::Contacts,
    Part::Deals,
    Part::Tasks,
    Part::Activities,
    Part::Payments,
    Part::Plans,
    Part::HygieneHistory,
];

/// How a load is shared between connections and threads: the three big
/// tables get one each, everything else rides with the smallest of them.
const GROUPS: [&[Part]; 3] = [
    &[Part::Activities],
    &[Part::Deals],
    &[
        Part::Tasks,
        Part::Account,
        Part::Teams,
        Part::Users,
        Part::Pipelines,
        Part::LossReasons,
        Part::FieldDefs,
        Part::Companies,
        Part::Contacts,
        Part::Payments,
        Part::Plans,
        Part::HygieneHistory,
    ],
];

pub(crate) async fn load(store: &Store) -> Result<Workspace, StoreError> {
    let in_memory = store.backend == Backend::Sqlite && store.sqlite_file.is_none();
    if in_memory {
        // One connection is all an in-memory database has.
        return load_group(store, &ALL_PARTS).await;
    }
    // Each connection sees its own snapshot; since every batch bumps
    // `version`, equal versions mean equal snapshots. A batch landing between
    // the connections' first reads makes them differ: then read again.
    for _ in 0..3 {
        let mut jobs = Vec::new();
        for parts in GROUPS {
            let store = store.clone();
            jobs.push(tokio::spawn(async move { load_group(&store, parts).await }));
        }
        let mut pieces = Vec::new();
        for job in jobs {
            pieces.push(job.await.expect("a load task does not panic")?);
        }
        let version = pieces[0].version;
        if pieces.iter().all(|p| p.version == version) {
            let mut ws = Workspace::default();
            for (mut piece, parts) in pieces.into_iter().zip(GROUPS) {
                for &part in parts {
                    move_part(part, &mut piece, &mut ws);
                }
            }
            ws.version = version;
            return Ok(ws);
        }
        tracing::debug!("a batch landed during the load; reading again");
    }
    // Writes keep landing: one connection, one snapshot, no race to lose.
    load_group(store, &ALL_PARTS).await
}

/// Reads some parts on one connection in one read transaction, on a blocking
/// thread: decoding a million rows must not stall the async runtime.
async fn load_group(store: &Store, parts: &'static [Part]) -> Result<Workspace, StoreError> {
    let store = store.clone();
    let handle = Handle::current();
    tokio::task::spawn_blocking(move || match &store.sqlite_file {
        Some(path) => load_group_sqlite(&store, path, parts),
        None => load_group_any(&store, handle, parts),
    })
    .await
    .expect("the load thread does not panic")
}

fn load_group_sqlite(store: &Store, path: &Path, parts: &[Part]) -> Result<Workspace, StoreError> {
    let conn = sqlite_read::Connection::open_read_only(path).map_err(|e| sqlite_error(store, "opening for reading", e))?;
    // The transaction holds one snapshot from the first read to the end.
    conn.execute("BEGIN")
        .map_err(|e| sqlite_error(store, "starting a read transaction", e))?;
    let mut source = RawSource { store, conn: &conn };
    read_parts(&mut source, parts)
}

/// Through sqlx: PostgreSQL, and SQLite in memory.
fn load_group_any(store: &Store, handle: Handle, parts: &[Part]) -> Result<Workspace, StoreError> {
    in_snapshot(store, handle, |source| read_parts(source, parts))
}

/// Runs `read` over one snapshot of the store: REPEATABLE READ pins one for all
/// the statements (PostgreSQL's default gives each statement its own); a SQLite
/// read transaction always does.
pub(crate) fn in_snapshot<T>(
    store: &Store,
    handle: Handle,
    read: impl FnOnce(&mut AnySource<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let begin = match store.backend {
        Backend::Sqlite => "BEGIN",
        Backend::Postgres => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    };
    let mut tx = handle
        .block_on(store.pool.begin_with(begin))
        .map_err(store.query_error("starting a read transaction"))?;
    let mut source = AnySource {
        store,
        conn: &mut tx,
        handle: handle.clone(),
    };
    let out = read(&mut source)?;
    handle
        .block_on(tx.commit())
        .map_err(store.query_error("ending the read transaction"))?;
    Ok(out)
}

/// Reads the given parts into a workspace (the others stay empty), version included.
fn read_parts(source: &mut dyn RowSource, parts: &[Part]) -> Result<Workspace, StoreError> {
    let mut ws = Workspace {
        version: source.version()?,
        ..Workspace::default()
    };
    for &part in parts {
        read_part(source, part, &mut ws)?;
    }
    Ok(ws)
}

fn move_part(part: Part, from: &mut Workspace, to: &mut Workspace) {
    use std::mem::take;
    match part {
        Part::Account => to.account = from.account.take(),
        Part::Teams => to.teams = take(&mut from.teams),
        Part::Users => to.users = take(&mut from.users),
        Part::Pipelines => to.pipelines = take(&mut from.pipelines),
        Part::LossReasons => to.loss_reasons = take(&mut from.loss_reasons),
        Part::FieldDefs => to.field_defs = take(&mut from.field_defs),
        Part::Companies => to.companies = take(&mut from.companies),
        Part::Contacts => to.contacts = take(&mut from.contacts),
        Part::Deals => to.deals = take(&mut from.deals),
        Part::Tasks => to.tasks = take(&mut from.tasks),
        Part::Activities => to.activities = take(&mut from.activities),
        Part::Payments => to.payments = take(&mut from.payments),
        Part::Plans => to.plans = take(&mut from.plans),
        Part::HygieneHistory => to.hygiene_history = take(&mut from.hygiene_history),
    }
}

fn table<T: Keyed>(
    source: &mut dyn RowSource,
    kind: EntityKind,
    sql: &str,
    decode: impl Fn(&dyn Cols) -> Result<T, String>,
) -> Result<Table<T>, StoreError> {
    let name = table_of(kind);
    let mut out = Table::with_capacity(source.count(name)?);
    source.each(name, sql, &mut |c| {
        out.upsert(decode(c)?);
        Ok(())
    })?;
    Ok(out)
}

fn rows<T>(
    source: &mut dyn RowSource,
    name: &'static str,
    sql: &str,
    decode: impl Fn(&dyn Cols) -> Result<T, String>,
) -> Result<Vec<T>, StoreError> {
    let mut out = Vec::new();
    source.each(name, sql, &mut |c| {
        out.push(decode(c)?);
        Ok(())
    })?;
    Ok(out)
}

pub(crate) fn read_part(source: &mut dyn RowSource, part: Part, ws: &mut Workspace) -> Result<(), StoreError> {
    match part {
        Part::Account => {
            ws.account = rows(
                source,
                "account",
                "SELECT name, base_url, time_zone, currency FROM account WHERE id = 1",
                |c| {
                    Ok(Account {
                        name: c.string()?,
                        base_url: c.string()?,
                        time_zone: c.string()?,
                        currency: c.string()?,
                    })
                },
            )?
            .pop();
        }
        Part::Teams => {
            ws.teams = table(source, EntityKind::Team, "SELECT id, name FROM teams", |c| {
                Ok(Team {
                    id: c.i64()?,
                    name: c.string()?,
                })
            })?;
        }
        Part::Users => {
            ws.users = table(
                source,
                EntityKind::User,
                "SELECT id, name, email, team_id, active, source FROM users",
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
            )?;
        }
        Part::Pipelines => ws.pipelines = read_pipelines(source)?,
        Part::LossReasons => {
            ws.loss_reasons = table(source, EntityKind::LossReason, "SELECT id, name FROM loss_reasons", |c| {
                Ok(LossReason {
                    id: c.i64()?,
                    name: c.string()?,
                })
            })?;
        }
        Part::FieldDefs => {
            ws.field_defs = table(
                source,
                EntityKind::FieldDef,
                "SELECT id, entity, name, code, field_type, options FROM field_defs",
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
            )?;
        }
        Part::Companies => {
            ws.companies = table(
                source,
                EntityKind::Company,
                "SELECT id, name, responsible_id, created_at, updated_at, tax_id, phones, emails, fields, source FROM companies",
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
            )?;
        }
        Part::Contacts => {
            ws.contacts = table(
                source,
                EntityKind::Contact,
                "SELECT id, name, responsible_id, company_ids, created_at, updated_at, phones, emails, fields, source FROM contacts",
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
            )?;
        }
        Part::Deals => {
            ws.deals = table(
                source,
                EntityKind::Deal,
                "SELECT id, name, pipeline_id, stage_id, amount, responsible_id, company_id, contact_ids, created_at, updated_at, \
                 closed_at, loss_reason_id, lead_source, tags, fields, history, responsible_changes, source FROM deals",
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
                        responsible_changes: responsible_changes_from_db(c.str()?)?,
                        source: c.source()?,
                    })
                },
            )?;
        }
        Part::Tasks => {
            ws.tasks = table(
                source,
                EntityKind::Task,
                "SELECT id, entity_kind, entity_id, responsible_id, kind, text, created_at, due_at, completed_at, result, source FROM tasks",
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
            )?;
        }
        Part::Activities => {
            ws.activities = table(
                source,
                EntityKind::Activity,
                "SELECT id, kind, manager_id, entity_kind, entity_id, at, duration_s, connected, source FROM activities",
                |c| {
                    Ok(Activity {
                        id: c.i64()?,
                        kind: parse_enum(c.str()?, "activity kind", ActivityKind::parse)?,
                        manager_id: c.opt_i64()?,
                        entity: entity_from_db(c.opt_str()?, c.opt_i64()?)?,
                        at: c.instant()?,
                        duration_s: u32::try_from(c.i64()?).map_err(|_| "call duration out of range".to_string())?,
                        connected: bool_from_db(c.i64()?)?,
                        source: c.source()?,
                    })
                },
            )?;
        }
        Part::Payments => {
            ws.payments = table(
                source,
                EntityKind::Payment,
                "SELECT id, deal_id, company_id, amount_due, due_date, amount_paid, paid_date, source FROM payments",
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
            )?;
        }
        Part::Plans => {
            ws.plans = rows(
                source,
                "plans",
                "SELECT manager_id, period_kind, period_start, period_end, metric, target, origin, imported_at FROM plans \
                 ORDER BY origin, whose, period_key, metric",
                |c| {
                    Ok(Plan {
                        manager_id: c.opt_i64()?,
                        period: period_from_db(c.str()?, c.str()?, c.str()?)?,
                        metric: metric_from_db(c.str()?)?,
                        target: c.i64()?,
                        origin: c.string()?,
                        imported_at: c.opt_i64()?.map(import_time_from_db).transpose()?,
                    })
                },
            )?;
        }
        Part::HygieneHistory => ws.hygiene_history = read_hygiene_history(source)?,
    }
    Ok(())
}

fn read_hygiene_history(source: &mut dyn RowSource) -> Result<Vec<tsifra_core::model::HygieneCount>, StoreError> {
    rows(
        source,
        "hygiene_history",
        "SELECT day, manager_id, rule, violations, checked FROM hygiene_history ORDER BY day, manager_id, rule",
        |c| {
            Ok(tsifra_core::model::HygieneCount {
                day: date_from_db(c.str()?)?,
                manager_id: Some(c.i64()?).filter(|id| *id != 0),
                rule: c.string()?,
                violations: u32::try_from(c.i64()?).map_err(|e| e.to_string())?,
                checked: u32::try_from(c.i64()?).map_err(|e| e.to_string())?,
            })
        },
    )
}

fn read_pipelines(source: &mut dyn RowSource) -> Result<Table<Pipeline>, StoreError> {
    let mut pipelines = rows(
        source,
        "pipelines",
        "SELECT id, name, sort, is_main FROM pipelines ORDER BY id",
        |c| {
            Ok(Pipeline {
                id: c.i64()?,
                name: c.string()?,
                sort: c.i32()?,
                is_main: bool_from_db(c.i64()?)?,
                stages: Vec::new(),
            })
        },
    )?;
    let stages = rows(
        source,
        "pipeline_stages",
        "SELECT pipeline_id, stage_id, name, sort, kind FROM pipeline_stages ORDER BY pipeline_id, position",
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
    )?;
    let index: HashMap<Id, usize> = pipelines.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    for (pipeline_id, stage) in stages {
        // Stages of a deleted pipeline are deleted with it; none can be orphaned.
        if let Some(&i) = index.get(&pipeline_id) {
            pipelines[i].stages.push(stage);
        }
    }
    Ok(pipelines.into_iter().collect())
}

pub(crate) struct AnySource<'a> {
    pub(crate) store: &'a Store,
    pub(crate) conn: &'a mut AnyConnection,
    pub(crate) handle: Handle,
}

impl RowSource for AnySource<'_> {
    fn each(&mut self, table: &'static str, sql: &str, on_row: &mut OnRow<'_>) -> Result<(), StoreError> {
        let store = self.store;
        let conn = &mut *self.conn;
        self.handle.block_on(async {
            let mut stream = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).fetch(&mut *conn);
            while let Some(row) = stream.try_next().await.map_err(store.query_error(format!("reading {table}")))? {
                let cols = AnyCols {
                    row: &row,
                    next: std::cell::Cell::new(0),
                };
                on_row(&cols).map_err(|reason| decode_error(store, table, any_row_label(&row), reason))?;
            }
            Ok(())
        })
    }

    fn decode_error(&self, table: &'static str, id: String, reason: String) -> StoreError {
        decode_error(self.store, table, id, reason)
    }
}

struct AnyCols<'r> {
    row: &'r AnyRow,
    next: std::cell::Cell<usize>,
}

impl AnyCols<'_> {
    fn get<'r, T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>>(&'r self) -> Result<T, String> {
        let i = self.next.get();
        self.next.set(i + 1);
        self.row.try_get(i).map_err(|e| format!("column {}: {e}", i + 1))
    }
}

impl Cols for AnyCols<'_> {
    fn opt_i64(&self) -> Result<Option<i64>, String> {
        self.get()
    }
    fn opt_str(&self) -> Result<Option<&str>, String> {
        self.get()
    }
}

fn any_row_label(row: &AnyRow) -> String {
    match row.try_get::<Option<i64>, _>(0) {
        Ok(Some(id)) => id.to_string(),
        _ => row.try_get::<Option<String>, _>(0).ok().flatten().unwrap_or_else(|| "?".into()),
    }
}

struct RawSource<'a> {
    store: &'a Store,
    conn: &'a sqlite_read::Connection,
}

impl RowSource for RawSource<'_> {
    fn each(&mut self, table: &'static str, sql: &str, on_row: &mut OnRow<'_>) -> Result<(), StoreError> {
        self.conn.query(sql, |row| on_row(row)).map_err(|e| match e {
            QueryError::Sqlite(e) => sqlite_error(self.store, &format!("reading {table}"), e),
            QueryError::Row(id, reason) => decode_error(self.store, table, id, reason),
        })
    }

    fn decode_error(&self, table: &'static str, id: String, reason: String) -> StoreError {
        decode_error(self.store, table, id, reason)
    }
}

pub(crate) fn decode_error(store: &Store, table: &'static str, id: String, reason: String) -> StoreError {
    StoreError::Decode {
        location: store.location.clone(),
        table,
        id,
        reason,
    }
}

fn sqlite_error(store: &Store, doing: &str, e: SqliteError) -> StoreError {
    if e.is_damage() {
        StoreError::Corrupt {
            path: store
                .sqlite_file
                .as_deref()
                .map_or_else(|| store.location.to_string(), |p| p.display().to_string()),
            reason: e.message,
        }
    } else {
        StoreError::Read {
            location: store.location.clone(),
            doing: doing.to_string(),
            message: e.message,
        }
    }
}

pub(crate) async fn counts(store: &Store) -> Result<Vec<(EntityKind, u64)>, StoreError> {
    let selects: Vec<String> = EntityKind::ALL
        .iter()
        .map(|k| format!("(SELECT COUNT(*) FROM {})", table_of(*k)))
        .collect();
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {}", selects.join(", "))))
        .fetch_one(&store.pool)
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

pub(crate) async fn version(store: &Store) -> Result<u64, StoreError> {
    let text: String = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'version'")
        .fetch_one(&store.pool)
        .await
        .map_err(store.query_error("reading the batch counter"))?;
    text.parse()
        .map_err(|_| decode_error(store, "meta", "version".into(), format!("{text:?} is not a number")))
}
