//! What other processes wrote since a given data version, read from the
//! change log (migrations 0007) and the records it names, as one [`Batch`]
//! that brings a workspace loaded at that version up to the store's: what a
//! watching server applies instead of loading a million deals again.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use tokio::runtime::Handle;
use tsifra_core::model::*;

use crate::load::{AnySource, OnRow, Part, RowSource, decode_error, in_snapshot, read_part};
use crate::{Store, StoreError, table_of};

/// More changed records than this since the version asked about, and loading
/// the store whole is about as quick as reading them one by one.
pub const MAX_RECORDS: usize = 100_000;

/// What [`Store::changes_since`] found.
#[derive(Debug)]
pub enum StoreChanges {
    /// Nothing was written after the version asked about.
    UpToDate,
    /// Applied to a workspace loaded at the version asked about (with
    /// [`Workspace::apply`]), `batch` gives the store's data as of `version`.
    Changed { version: u64, batch: Box<Batch>, records: usize },
    /// The change log cannot say what changed: load the store whole.
    Reload { version: u64, why: ReloadWhy },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReloadWhy {
    /// The log's rows for some batch after the version asked about were pruned
    /// (or were never written: batches stored before migration 0007).
    Pruned,
    /// A batch too big to list (see `write::LOG_MAX_KEYS`), or more than
    /// [`MAX_RECORDS`] records changed in all.
    TooMany,
}

impl std::fmt::Display for ReloadWhy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ReloadWhy::Pruned => "the change log no longer reaches back to the served version",
            ReloadWhy::TooMany => "too many records changed to read them one by one",
        })
    }
}

pub(crate) async fn changes_since(store: &Store, seen: u64) -> Result<StoreChanges, StoreError> {
    let store = store.clone();
    let handle = Handle::current();
    tokio::task::spawn_blocking(move || read(&store, handle, seen))
        .await
        .expect("the change reader does not panic")
}

/// The keys the log names for versions after `seen`.
#[derive(Default)]
struct Logged {
    ids: BTreeMap<EntityKind, BTreeSet<Id>>,
    account: bool,
    plan_origins: BTreeSet<String>,
    hygiene_days: BTreeSet<String>,
    everything: bool,
}

impl Logged {
    fn records(&self) -> usize {
        self.ids.values().map(BTreeSet::len).sum::<usize>() + self.plan_origins.len() + self.hygiene_days.len()
    }
}

fn read(store: &Store, handle: Handle, seen: u64) -> Result<StoreChanges, StoreError> {
    // One snapshot for the version, the log and the records (as a load does).
    in_snapshot(store, handle, |source| read_in(source, seen))
}

fn read_in(source: &mut AnySource<'_>, seen: u64) -> Result<StoreChanges, StoreError> {
    let version = source.version()?;
    if version <= seen {
        return Ok(StoreChanges::UpToDate);
    }
    let mut kept_from = None;
    source.each("meta", "SELECT value FROM meta WHERE key = 'change_log_from'", &mut |c| {
        kept_from = Some(c.str()?.parse::<u64>().map_err(|_| "change_log_from is not a number".to_string())?);
        Ok(())
    })?;
    if kept_from.is_none_or(|from| from > seen + 1) {
        return Ok(StoreChanges::Reload {
            version,
            why: ReloadWhy::Pruned,
        });
    }
    let mut logged = Logged::default();
    // Both numbers are ours, not input.
    let sql = format!("SELECT kind, op, keys FROM change_log WHERE version > {seen} AND version <= {version}");
    source.each("change_log", &sql, &mut |c| {
        let kind = c.str()?;
        let _op = c.str()?;
        let keys = c.str()?;
        let bad = |e: serde_json::Error| format!("{kind} keys: {e}");
        match kind {
            "all" => logged.everything = true,
            "account" => logged.account = true,
            "plan_origin" => logged.plan_origins.extend(serde_json::from_str::<Vec<String>>(keys).map_err(bad)?),
            "hygiene_day" => {
                for day in serde_json::from_str::<Vec<String>>(keys).map_err(bad)? {
                    // Checked as a date: it is written into the SQL below.
                    crate::codec::date_from_db(&day)?;
                    logged.hygiene_days.insert(day);
                }
            }
            other => {
                let kind = EntityKind::parse(other).ok_or_else(|| format!("{other:?} is not a record kind"))?;
                logged
                    .ids
                    .entry(kind)
                    .or_default()
                    .extend(serde_json::from_str::<Vec<Id>>(keys).map_err(bad)?);
            }
        }
        Ok(())
    })?;
    let records = logged.records();
    if logged.everything || records > MAX_RECORDS {
        return Ok(StoreChanges::Reload {
            version,
            why: ReloadWhy::TooMany,
        });
    }

    // The named records as they stand now: those still there are upserts, the rest deletions.
    let mut filter = Filter::default();
    for (kind, ids) in &logged.ids {
        let list = ids.iter().map(Id::to_string).collect();
        filter.lists.insert(table_of(*kind), ("id", list));
        if *kind == EntityKind::Pipeline {
            filter
                .lists
                .insert("pipeline_stages", ("pipeline_id", ids.iter().map(Id::to_string).collect()));
        }
    }
    filter.lists.insert(
        "hygiene_history",
        ("day", logged.hygiene_days.iter().map(|d| format!("'{d}'")).collect()),
    );
    let mut got = Workspace::default();
    let mut parts: Vec<Part> = logged.ids.keys().map(|k| part_of(*k)).collect();
    if logged.account {
        parts.push(Part::Account);
    }
    if !logged.plan_origins.is_empty() {
        parts.push(Part::Plans);
    }
    if !logged.hygiene_days.is_empty() {
        parts.push(Part::HygieneHistory);
    }
    let mut filtered = Filtered { inner: source, filter };
    for part in parts {
        read_part(&mut filtered, part, &mut got)?;
    }

    let mut batch = Batch {
        account: got.account.take(),
        teams: got.teams.iter().cloned().collect(),
        users: got.users.iter().cloned().collect(),
        pipelines: got.pipelines.iter().cloned().collect(),
        loss_reasons: got.loss_reasons.iter().cloned().collect(),
        field_defs: got.field_defs.iter().cloned().collect(),
        companies: got.companies.iter().cloned().collect(),
        contacts: got.contacts.iter().cloned().collect(),
        deals: got.deals.iter().cloned().collect(),
        tasks: got.tasks.iter().cloned().collect(),
        activities: got.activities.iter().cloned().collect(),
        payments: got.payments.iter().cloned().collect(),
        replace_plan_origins: logged.plan_origins.iter().cloned().collect(),
        plans: got.plans.into_iter().filter(|p| logged.plan_origins.contains(&p.origin)).collect(),
        hygiene_history: got.hygiene_history,
        ..Batch::default()
    };
    for (kind, ids) in &logged.ids {
        let present = |id: Id| match kind {
            EntityKind::User => got.users.get(id).is_some(),
            EntityKind::Team => got.teams.get(id).is_some(),
            EntityKind::Pipeline => got.pipelines.get(id).is_some(),
            EntityKind::LossReason => got.loss_reasons.get(id).is_some(),
            EntityKind::FieldDef => got.field_defs.get(id).is_some(),
            EntityKind::Company => got.companies.get(id).is_some(),
            EntityKind::Contact => got.contacts.get(id).is_some(),
            EntityKind::Deal => got.deals.get(id).is_some(),
            EntityKind::Task => got.tasks.get(id).is_some(),
            EntityKind::Activity => got.activities.get(id).is_some(),
            EntityKind::Payment => got.payments.get(id).is_some(),
        };
        batch
            .deletions
            .extend(ids.iter().filter(|id| !present(**id)).map(|id| (*kind, *id)));
    }
    Ok(StoreChanges::Changed {
        version,
        batch: Box::new(batch),
        records,
    })
}

fn part_of(kind: EntityKind) -> Part {
    match kind {
        EntityKind::User => Part::Users,
        EntityKind::Team => Part::Teams,
        EntityKind::Pipeline => Part::Pipelines,
        EntityKind::LossReason => Part::LossReasons,
        EntityKind::FieldDef => Part::FieldDefs,
        EntityKind::Company => Part::Companies,
        EntityKind::Contact => Part::Contacts,
        EntityKind::Deal => Part::Deals,
        EntityKind::Task => Part::Tasks,
        EntityKind::Activity => Part::Activities,
        EntityKind::Payment => Part::Payments,
    }
}

/// Per table, the key column and the SQL literals of the rows to read.
#[derive(Default)]
struct Filter {
    lists: HashMap<&'static str, (&'static str, Vec<String>)>,
}

/// Values per `IN (…)` list: statements stay well under SQLite's length limit.
const PER_STATEMENT: usize = 5_000;

/// Runs the load's own SELECTs, narrowed to the rows a [`Filter`] names: a
/// `WHERE key IN (…)` goes right after `FROM table` (no load query of a
/// filtered table has a WHERE of its own), in statements of [`PER_STATEMENT`] keys.
struct Filtered<'a, 'b> {
    inner: &'a mut AnySource<'b>,
    filter: Filter,
}

impl RowSource for Filtered<'_, '_> {
    fn each(&mut self, table: &'static str, sql: &str, on_row: &mut OnRow<'_>) -> Result<(), StoreError> {
        let Some((column, values)) = self.filter.lists.get(table) else {
            return self.inner.each(table, sql, on_row);
        };
        let from = format!(" FROM {table}");
        let at = sql
            .match_indices(&from)
            .map(|(i, _)| i + from.len())
            .find(|&end| sql[end..].is_empty() || sql[end..].starts_with(' '));
        let Some(at) = at else {
            return self.inner.each(table, sql, on_row);
        };
        if sql[at..].trim_start().starts_with("WHERE") {
            return Err(self.decode_error(table, String::new(), "a filtered read met a WHERE of its own".into()));
        }
        for chunk in values.chunks(PER_STATEMENT) {
            let narrowed = format!("{} WHERE {column} IN ({}){}", &sql[..at], chunk.join(", "), &sql[at..]);
            self.inner.each(table, &narrowed, on_row)?;
        }
        Ok(())
    }

    fn count(&mut self, table: &'static str) -> Result<usize, StoreError> {
        Ok(self.filter.lists.get(table).map_or(0, |(_, values)| values.len()))
    }

    fn decode_error(&self, table: &'static str, id: String, reason: String) -> StoreError {
        decode_error(self.inner.store, table, id, reason)
    }
}
