//! The canonical, CRM-neutral sales model (SPEC §2). Connectors map their
//! source into these types; reports read nothing else.
//!
//! Ids are the source system's own numeric ids (amoCRM ids are integers);
//! importers of text ids map them to numbers once and keep the mapping.

use rustc_hash::FxHashMap as HashMap;
use std::hash::Hash;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::calendar::{Instant, Period};
use crate::money::Money;

pub type Id = i64;

/// Where a record came from; decides how its CRM card link is built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// amoCRM / Kommo (the demo department is generated in amoCRM's shapes, so it says this too).
    #[default]
    Amocrm,
    /// A CSV or spreadsheet import.
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Amocrm => "amocrm",
            Source::Import => "import",
        }
    }
    pub fn parse(s: &str) -> Option<Source> {
        match s {
            "amocrm" => Some(Source::Amocrm),
            "import" => Some(Source::Import),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    User,
    Team,
    Pipeline,
    LossReason,
    FieldDef,
    Company,
    Contact,
    Deal,
    Task,
    Activity,
    Payment,
}

impl EntityKind {
    pub const ALL: [EntityKind; 11] = [
        EntityKind::User,
        EntityKind::Team,
        EntityKind::Pipeline,
        EntityKind::LossReason,
        EntityKind::FieldDef,
        EntityKind::Company,
        EntityKind::Contact,
        EntityKind::Deal,
        EntityKind::Task,
        EntityKind::Activity,
        EntityKind::Payment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Team => "team",
            EntityKind::Pipeline => "pipeline",
            EntityKind::LossReason => "loss_reason",
            EntityKind::FieldDef => "field_def",
            EntityKind::Company => "company",
            EntityKind::Contact => "contact",
            EntityKind::Deal => "deal",
            EntityKind::Task => "task",
            EntityKind::Activity => "activity",
            EntityKind::Payment => "payment",
        }
    }

    pub fn parse(s: &str) -> Option<EntityKind> {
        EntityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A reference to a deal, company or contact (what tasks and activities hang on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum EntityRef {
    Deal(Id),
    Company(Id),
    Contact(Id),
}

impl EntityRef {
    pub fn kind(self) -> EntityKind {
        match self {
            EntityRef::Deal(_) => EntityKind::Deal,
            EntityRef::Company(_) => EntityKind::Company,
            EntityRef::Contact(_) => EntityKind::Contact,
        }
    }
    pub fn id(self) -> Id {
        match self {
            EntityRef::Deal(id) | EntityRef::Company(id) | EntityRef::Contact(id) => id,
        }
    }
    pub fn new(kind: EntityKind, id: Id) -> Option<EntityRef> {
        match kind {
            EntityKind::Deal => Some(EntityRef::Deal(id)),
            EntityKind::Company => Some(EntityRef::Company(id)),
            EntityKind::Contact => Some(EntityRef::Contact(id)),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub name: String,
    /// The CRM's base URL, for card links: `https://SUBDOMAIN.amocrm.ru`.
    pub base_url: String,
    pub time_zone: String,
    pub currency: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Team {
    pub id: Id,
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: Id,
    pub name: String,
    pub email: Option<String>,
    pub team_id: Option<Id>,
    pub active: bool,
    pub source: Source,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// A stage the floor works deals in.
    Open,
    Won,
    Lost,
    /// amoCRM's incoming leads ("Неразобранное", status `type` 1): not yet taken
    /// into work, so no hygiene rule, funnel or plan treats them as worked deals.
    Unsorted,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Open => "open",
            StageKind::Won => "won",
            StageKind::Lost => "lost",
            StageKind::Unsorted => "unsorted",
        }
    }
    pub fn parse(s: &str) -> Option<StageKind> {
        match s {
            "open" => Some(StageKind::Open),
            "won" => Some(StageKind::Won),
            "lost" => Some(StageKind::Lost),
            "unsorted" => Some(StageKind::Unsorted),
            _ => None,
        }
    }
}

/// amoCRM's won and lost statuses, the same ids in every pipeline.
pub const AMOCRM_WON_STATUS: Id = 142;
pub const AMOCRM_LOST_STATUS: Id = 143;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stage {
    /// Unique within its pipeline only (amoCRM reuses 142 and 143 everywhere).
    pub id: Id,
    pub name: String,
    pub sort: i32,
    pub kind: StageKind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    pub id: Id,
    pub name: String,
    pub sort: i32,
    pub is_main: bool,
    /// Ordered by `sort`.
    pub stages: Vec<Stage>,
}

impl Pipeline {
    pub fn stage(&self, stage_id: Id) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == stage_id)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LossReason {
    pub id: Id,
    pub name: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Number,
    Money,
    Date,
    DateTime,
    Checkbox,
    Select,
    MultiSelect,
    Url,
    Phone,
    Email,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Number => "number",
            FieldType::Money => "money",
            FieldType::Date => "date",
            FieldType::DateTime => "date_time",
            FieldType::Checkbox => "checkbox",
            FieldType::Select => "select",
            FieldType::MultiSelect => "multi_select",
            FieldType::Url => "url",
            FieldType::Phone => "phone",
            FieldType::Email => "email",
        }
    }
    pub fn parse(s: &str) -> Option<FieldType> {
        use FieldType::*;
        [
            Text,
            Number,
            Money,
            Date,
            DateTime,
            Checkbox,
            Select,
            MultiSelect,
            Url,
            Phone,
            Email,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// A custom field definition on deals, companies or contacts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldDef {
    pub id: Id,
    pub entity: EntityKind,
    pub name: String,
    /// The CRM's machine code, when it has one (amoCRM `code`).
    pub code: Option<String>,
    pub field_type: FieldType,
    /// Choices for select fields.
    pub options: Vec<String>,
}

/// A typed custom field value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum FieldValue {
    Text(String),
    Number(Decimal),
    Money(Money),
    Date(NaiveDate),
    Instant(Instant),
    Bool(bool),
    Options(Vec<String>),
}

impl FieldValue {
    /// Empty strings and empty option lists count as "not filled in".
    pub fn is_empty(&self) -> bool {
        match self {
            FieldValue::Text(s) => s.trim().is_empty(),
            FieldValue::Options(v) => v.is_empty(),
            _ => false,
        }
    }
}

/// Custom field values of one record: (field id, value), few per record.
pub type FieldValues = Vec<(Id, FieldValue)>;

pub fn field_value(values: &FieldValues, field_id: Id) -> Option<&FieldValue> {
    values.iter().find(|(id, _)| *id == field_id).map(|(_, v)| v)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Company {
    pub id: Id,
    pub name: String,
    pub responsible_id: Option<Id>,
    pub created_at: Instant,
    pub updated_at: Instant,
    /// Tax number (ИНН), for finding duplicates.
    pub tax_id: Option<String>,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub fields: FieldValues,
    pub source: Source,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: Id,
    pub name: String,
    pub responsible_id: Option<Id>,
    pub company_ids: Vec<Id>,
    pub created_at: Instant,
    pub updated_at: Instant,
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub fields: FieldValues,
    pub source: Source,
}

/// One change of a deal's responsible manager (amoCRM's `entity_responsible_changed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponsibleChange {
    pub at: Instant,
    pub from: Option<Id>,
    pub to: Option<Id>,
}

/// One move of a deal into a stage (the first entry is where it was created).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageMove {
    pub at: Instant,
    pub pipeline_id: Id,
    pub stage_id: Id,
    pub author_id: Option<Id>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deal {
    pub id: Id,
    pub name: String,
    pub pipeline_id: Id,
    pub stage_id: Id,
    pub amount: Money,
    pub responsible_id: Option<Id>,
    pub company_id: Option<Id>,
    pub contact_ids: Vec<Id>,
    pub created_at: Instant,
    pub updated_at: Instant,
    /// When the CRM says it closed; the stage history is preferred where present.
    pub closed_at: Option<Instant>,
    pub loss_reason_id: Option<Id>,
    /// Lead source / channel.
    pub lead_source: Option<String>,
    pub tags: Vec<String>,
    pub fields: FieldValues,
    /// Stage moves, oldest first. It may stop short of the current stage (an
    /// events page that never came) or be empty (a lead without status events):
    /// reports read it through `reports::history`, which says how gaps count.
    pub history: Vec<StageMove>,
    /// Changes of the responsible manager, oldest first; empty when none are known.
    pub responsible_changes: Vec<ResponsibleChange>,
    pub source: Source,
}

impl Deal {
    /// Who was responsible for the deal at `at`: the last change at or before it
    /// says so, or the first change after it says who it was taken from; with
    /// no changes known, the current responsible.
    pub fn responsible_at(&self, at: Instant) -> Option<Id> {
        let n = self.responsible_changes.partition_point(|c| c.at <= at);
        match (n.checked_sub(1), self.responsible_changes.get(n)) {
            (Some(i), _) => self.responsible_changes[i].to,
            (None, Some(next)) => next.from,
            (None, None) => self.responsible_id,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    Call,
    Meeting,
    Email,
    Other,
}

impl TaskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::Call => "call",
            TaskKind::Meeting => "meeting",
            TaskKind::Email => "email",
            TaskKind::Other => "other",
        }
    }
    pub fn parse(s: &str) -> Option<TaskKind> {
        [TaskKind::Call, TaskKind::Meeting, TaskKind::Email, TaskKind::Other]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: Id,
    pub entity: Option<EntityRef>,
    pub responsible_id: Option<Id>,
    pub kind: TaskKind,
    pub text: String,
    pub created_at: Instant,
    pub due_at: Instant,
    pub completed_at: Option<Instant>,
    pub result: Option<String>,
    pub source: Source,
}

impl Task {
    pub fn is_open_at(&self, at: Instant) -> bool {
        self.created_at <= at && self.completed_at.is_none_or(|c| c > at)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    CallIn,
    CallOut,
    EmailIn,
    EmailOut,
    ChatIn,
    ChatOut,
    Meeting,
    Note,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 8] = [
        ActivityKind::CallIn,
        ActivityKind::CallOut,
        ActivityKind::EmailIn,
        ActivityKind::EmailOut,
        ActivityKind::ChatIn,
        ActivityKind::ChatOut,
        ActivityKind::Meeting,
        ActivityKind::Note,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::CallIn => "call_in",
            ActivityKind::CallOut => "call_out",
            ActivityKind::EmailIn => "email_in",
            ActivityKind::EmailOut => "email_out",
            ActivityKind::ChatIn => "chat_in",
            ActivityKind::ChatOut => "chat_out",
            ActivityKind::Meeting => "meeting",
            ActivityKind::Note => "note",
        }
    }
    pub fn parse(s: &str) -> Option<ActivityKind> {
        ActivityKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn is_call(self) -> bool {
        matches!(self, ActivityKind::CallIn | ActivityKind::CallOut)
    }
    /// Calls, e-mails, chats and meetings; a note is not a communication.
    pub fn is_communication(self) -> bool {
        self != ActivityKind::Note
    }
}

/// A communication: call, e-mail, chat, meeting, or a note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub id: Id,
    pub kind: ActivityKind,
    pub manager_id: Option<Id>,
    pub entity: Option<EntityRef>,
    pub at: Instant,
    /// Call length in seconds (0 for other kinds).
    pub duration_s: u32,
    /// Whether a call connected (always true for other kinds).
    pub connected: bool,
    pub source: Source,
}

/// Money owed by a client: an invoice or a deal's payment terms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub id: Id,
    pub deal_id: Option<Id>,
    pub company_id: Option<Id>,
    pub amount_due: Money,
    pub due_date: Option<NaiveDate>,
    pub amount_paid: Money,
    pub paid_date: Option<NaiveDate>,
    pub source: Source,
}

/// What a plan counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Sum of won deals' amounts (money).
    Revenue,
    /// Sum of won deals' margin (money).
    Margin,
    /// Number of won deals.
    WonDeals,
    /// Number of connected outgoing calls.
    Calls,
}

impl Metric {
    pub const ALL: [Metric; 4] = [Metric::Revenue, Metric::Margin, Metric::WonDeals, Metric::Calls];
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Revenue => "revenue",
            Metric::Margin => "margin",
            Metric::WonDeals => "won_deals",
            Metric::Calls => "calls",
        }
    }
    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }
    /// Money metrics are kept in minor units; the others are counts.
    pub fn is_money(self) -> bool {
        matches!(self, Metric::Revenue | Metric::Margin)
    }
}

/// Whose plan: one manager, or the whole team (department) when `None`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub manager_id: Option<Id>,
    pub period: Period,
    pub metric: Metric,
    /// Minor units for money metrics, a count otherwise.
    pub target: i64,
    /// The file (or URL) the plan was imported from, so a re-import replaces it.
    pub origin: String,
    /// When its file was imported; `None` for plans stored before import times were
    /// kept. Of the plans for one manager, period and metric the latest import is in
    /// force (see [`Plan::outranks`]).
    pub imported_at: Option<Instant>,
}

impl Plan {
    /// Whether this plan and `other` are for the same manager (or the team), period and
    /// metric, so only one of them can be in force.
    pub fn same_target_as(&self, other: &Plan) -> bool {
        self.manager_id == other.manager_id && self.metric == other.metric && self.period == other.period
    }

    /// The one rule for plans that overlap: the latest import wins, so a corrected
    /// file loaded later takes over, and removing it brings the earlier one back.
    /// Equal times (plans stored before times were kept) fall back to the file whose
    /// name sorts first, as before.
    pub fn outranks(&self, other: &Plan) -> bool {
        match self.imported_at.cmp(&other.imported_at) {
            std::cmp::Ordering::Equal => self.origin < other.origin,
            order => order.is_gt(),
        }
    }

    /// Whether no other plan in `plans` for the same target outranks this one.
    pub fn in_force(&self, plans: &[Plan]) -> bool {
        !plans.iter().any(|p| p.same_target_as(self) && p.outranks(self))
    }
}

/// The plans in force: for each manager (or the team), period and metric, the one
/// from the latest import still loaded.
pub fn plans_in_force(plans: &[Plan]) -> Vec<&Plan> {
    let mut best: HashMap<(Option<Id>, Period, Metric), &Plan> = HashMap::default();
    for p in plans {
        best.entry((p.manager_id, p.period, p.metric))
            .and_modify(|b| {
                if p.outranks(b) {
                    *b = p;
                }
            })
            .or_insert(p);
    }
    plans
        .iter()
        .filter(|p| best.get(&(p.manager_id, p.period, p.metric)).is_some_and(|b| std::ptr::eq(*b, *p)))
        .collect()
}

/// One day's CRM-hygiene tally for one manager (`None`: records with no
/// responsible) and rule, kept so the trend survives later data changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HygieneCount {
    pub day: NaiveDate,
    pub manager_id: Option<Id>,
    /// The rule's id, e.g. `open_deal_without_task`.
    pub rule: String,
    pub violations: u32,
    pub checked: u32,
}

/// A record type that lives in a [`Table`] keyed by id.
pub trait Keyed {
    fn key(&self) -> Id;
}

macro_rules! keyed {
    ($($t:ty),*) => { $(impl Keyed for $t { fn key(&self) -> Id { self.id } })* };
}
keyed!(
    Team, User, Pipeline, LossReason, FieldDef, Company, Contact, Deal, Task, Activity, Payment
);

/// Rows in a vector with an id index: fast scans for reports, O(1) upserts
/// and deletions when a batch lands. Row order is not meaningful.
#[derive(Clone, Debug)]
pub struct Table<T> {
    rows: Vec<T>,
    index: HashMap<Id, u32>,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            rows: Vec::new(),
            index: HashMap::default(),
        }
    }
}

impl<T: Keyed> Table<T> {
    /// Room for `n` rows and a few percent more: a webhook's new record right
    /// after a million-row load must not pay for copying the whole table.
    pub fn with_capacity(n: usize) -> Self {
        Table {
            rows: Vec::with_capacity(n + n / 32),
            index: HashMap::with_capacity_and_hasher(n, Default::default()),
        }
    }
    pub fn len(&self) -> usize {
        self.rows.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.rows.iter()
    }
    pub fn as_slice(&self) -> &[T] {
        &self.rows
    }
    pub fn get(&self, id: Id) -> Option<&T> {
        self.index.get(&id).map(|&i| &self.rows[i as usize])
    }

    /// The row's position in [`Table::as_slice`] (valid until the table changes).
    pub fn position(&self, id: Id) -> Option<usize> {
        self.index.get(&id).map(|&i| i as usize)
    }
    pub fn contains(&self, id: Id) -> bool {
        self.index.contains_key(&id)
    }
    /// Inserts or replaces the row with the same id.
    pub fn upsert(&mut self, row: T) {
        let next = self.rows.len() as u32;
        match self.index.entry(row.key()) {
            std::collections::hash_map::Entry::Occupied(slot) => self.rows[*slot.get() as usize] = row,
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(next);
                self.rows.push(row);
            }
        }
    }
    pub fn remove(&mut self, id: Id) -> Option<T> {
        let i = self.index.remove(&id)? as usize;
        let row = self.rows.swap_remove(i);
        if i < self.rows.len() {
            let moved = self.rows[i].key();
            self.index.insert(moved, i as u32);
        }
        Some(row)
    }
}

impl<T: Keyed> FromIterator<T> for Table<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let iter = iter.into_iter();
        let mut table = Table::with_capacity(iter.size_hint().0);
        for row in iter {
            table.upsert(row);
        }
        table
    }
}

impl<'a, T> IntoIterator for &'a Table<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

/// A whole sales department's data, in memory.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    pub account: Option<Account>,
    pub teams: Table<Team>,
    pub users: Table<User>,
    pub pipelines: Table<Pipeline>,
    pub loss_reasons: Table<LossReason>,
    pub field_defs: Table<FieldDef>,
    pub companies: Table<Company>,
    pub contacts: Table<Contact>,
    pub deals: Table<Deal>,
    pub tasks: Table<Task>,
    pub activities: Table<Activity>,
    pub payments: Table<Payment>,
    pub plans: Vec<Plan>,
    /// Daily hygiene tallies, oldest first.
    pub hygiene_history: Vec<HygieneCount>,
    /// Bumped by every batch applied, so caches of computed reports know when to drop.
    pub version: u64,
    /// Which parts changed, so an index rebuilds only those (see [`Generations`]).
    pub generations: Generations,
}

/// Counters of what the batches applied to a workspace touched, for an index to
/// keep the parts built from what did not change (a webhook re-reads one deal;
/// the index of four million communications need not be rebuilt for it).
/// `lineage` is unique to each workspace made in this process (a clone shares
/// it), so parts are only ever reused for the same workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Generations {
    pub lineage: u64,
    /// Tasks added, changed or removed.
    pub tasks: u64,
    /// Communications, contacts, or which company a deal belongs to.
    pub activities: u64,
    /// Companies added, changed or removed.
    pub companies: u64,
}

impl Default for Generations {
    fn default() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Generations {
            lineage: NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            tasks: 0,
            activities: 0,
            companies: 0,
        }
    }
}

/// A set of changes that lands whole or not at all: in the store as one
/// transaction, and in a loaded [`Workspace`] by [`Workspace::apply`].
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub account: Option<Account>,
    pub teams: Vec<Team>,
    pub users: Vec<User>,
    pub pipelines: Vec<Pipeline>,
    pub loss_reasons: Vec<LossReason>,
    pub field_defs: Vec<FieldDef>,
    pub companies: Vec<Company>,
    pub contacts: Vec<Contact>,
    pub deals: Vec<Deal>,
    pub tasks: Vec<Task>,
    pub activities: Vec<Activity>,
    pub payments: Vec<Payment>,
    /// Records removed at the source.
    pub deletions: Vec<(EntityKind, Id)>,
    /// Plan imports: every plan of each named origin is replaced by `plans` of that origin.
    pub replace_plan_origins: Vec<String>,
    pub plans: Vec<Plan>,
    /// Hygiene tallies; each day present replaces all stored tallies of that day.
    pub hygiene_history: Vec<HygieneCount>,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.account.is_none()
            && self.teams.is_empty()
            && self.users.is_empty()
            && self.pipelines.is_empty()
            && self.loss_reasons.is_empty()
            && self.field_defs.is_empty()
            && self.companies.is_empty()
            && self.contacts.is_empty()
            && self.deals.is_empty()
            && self.tasks.is_empty()
            && self.activities.is_empty()
            && self.payments.is_empty()
            && self.deletions.is_empty()
            && self.replace_plan_origins.is_empty()
            && self.plans.is_empty()
            && self.hygiene_history.is_empty()
    }

    /// Everything in a workspace as one batch (used to store a generated or imported workspace).
    pub fn from_workspace(ws: &Workspace) -> Batch {
        Batch {
            account: ws.account.clone(),
            teams: ws.teams.iter().cloned().collect(),
            users: ws.users.iter().cloned().collect(),
            pipelines: ws.pipelines.iter().cloned().collect(),
            loss_reasons: ws.loss_reasons.iter().cloned().collect(),
            field_defs: ws.field_defs.iter().cloned().collect(),
            companies: ws.companies.iter().cloned().collect(),
            contacts: ws.contacts.iter().cloned().collect(),
            deals: ws.deals.iter().cloned().collect(),
            tasks: ws.tasks.iter().cloned().collect(),
            activities: ws.activities.iter().cloned().collect(),
            payments: ws.payments.iter().cloned().collect(),
            deletions: Vec::new(),
            replace_plan_origins: {
                let mut o: Vec<String> = ws.plans.iter().map(|p| p.origin.clone()).collect();
                o.sort();
                o.dedup();
                o
            },
            plans: ws.plans.clone(),
            hygiene_history: ws.hygiene_history.clone(),
        }
    }
}

/// The records of one table a change set touched: each id with the record as
/// it stood before (`None`: it was not there). Whether it was inserted, changed
/// or deleted is that against the table now ([`Delta::inserted`] and so on).
#[derive(Clone, Debug)]
pub struct Delta<T> {
    pub before: HashMap<Id, Option<T>>,
    /// Records not changed whose row moved: a [`Table`] fills a deleted row's
    /// place with its last row, so an index of row positions updates those too.
    pub moved: Vec<Id>,
}

impl<T> Default for Delta<T> {
    fn default() -> Self {
        Delta {
            before: HashMap::default(),
            moved: Vec::new(),
        }
    }
}

impl<T: Keyed + Clone + PartialEq> Delta<T> {
    pub fn is_empty(&self) -> bool {
        self.before.is_empty() && self.moved.is_empty()
    }

    /// Upserts `row`, noting what stood before unless nothing changes.
    fn upsert(&mut self, table: &mut Table<T>, row: &T) {
        let id = row.key();
        let old = table.get(id);
        if old == Some(row) {
            return;
        }
        self.before.entry(id).or_insert_with(|| old.cloned());
        table.upsert(row.clone());
    }

    fn remove(&mut self, table: &mut Table<T>, id: Id) {
        let (Some(row), last) = (table.position(id), table.len().saturating_sub(1)) else {
            return;
        };
        let old = table.remove(id);
        self.before.entry(id).or_insert(old);
        if row < last {
            self.moved.push(table.as_slice()[row].key());
        }
    }

    /// Folds a later change set into this one: the earliest "before" stands.
    pub fn merge(&mut self, later: Delta<T>) {
        for (id, old) in later.before {
            self.before.entry(id).or_insert(old);
        }
        self.moved.extend(later.moved);
    }

    /// Ids changed, in a fixed order (so what is built from them is too).
    pub fn ids(&self) -> Vec<Id> {
        let mut ids: Vec<Id> = self.before.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Records not changed that moved row, once each, changed ones left out.
    pub fn moved_only(&self) -> Vec<Id> {
        let mut ids: Vec<Id> = self.moved.iter().copied().filter(|id| !self.before.contains_key(id)).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// What one or more batches changed, record by record: what an index reads to
/// update itself in time proportional to the change (see `Facts::update` and
/// `query::Layer::update`) instead of being built again from every row.
#[derive(Clone, Debug, Default)]
pub struct Changes {
    /// The workspace version before the first batch and after the last.
    pub from_version: u64,
    pub to_version: u64,
    pub companies: Delta<Company>,
    pub contacts: Delta<Contact>,
    pub deals: Delta<Deal>,
    pub tasks: Delta<Task>,
    pub activities: Delta<Activity>,
    pub payments: Delta<Payment>,
    pub users: Delta<User>,
    /// Tables an index reads whole (few rows, but every deal's meaning may hang
    /// on them): any change here and an index is built again.
    pub pipelines: bool,
    pub teams: bool,
    pub loss_reasons: bool,
    pub field_defs: bool,
    pub account: bool,
    pub plans: bool,
    pub hygiene_history: bool,
}

impl Changes {
    /// Folds the change set of the batch applied right after this one's last.
    pub fn merge(&mut self, later: Changes) {
        debug_assert_eq!(self.to_version, later.from_version, "change sets merge in order");
        self.to_version = later.to_version;
        self.companies.merge(later.companies);
        self.contacts.merge(later.contacts);
        self.deals.merge(later.deals);
        self.tasks.merge(later.tasks);
        self.activities.merge(later.activities);
        self.payments.merge(later.payments);
        self.users.merge(later.users);
        self.pipelines |= later.pipelines;
        self.teams |= later.teams;
        self.loss_reasons |= later.loss_reasons;
        self.field_defs |= later.field_defs;
        self.account |= later.account;
        self.plans |= later.plans;
        self.hygiene_history |= later.hygiene_history;
    }

    /// How many records of the big tables changed.
    pub fn records(&self) -> usize {
        self.companies.before.len()
            + self.contacts.before.len()
            + self.deals.before.len()
            + self.tasks.before.len()
            + self.activities.before.len()
            + self.payments.before.len()
    }

    /// Whether a table every record's meaning hangs on changed (pipelines'
    /// stage kinds, the margin field's definition).
    pub fn structural(&self) -> bool {
        self.pipelines || self.field_defs
    }

    /// What tables changed, as a set of [`Tables`] bits.
    pub fn tables(&self) -> Tables {
        let mut t = Tables::NONE;
        let mut set = |on: bool, bit: Tables| {
            if on {
                t = t.with(bit);
            }
        };
        set(!self.companies.is_empty(), Tables::COMPANIES);
        set(!self.contacts.is_empty(), Tables::CONTACTS);
        set(!self.deals.is_empty(), Tables::DEALS);
        set(!self.tasks.is_empty(), Tables::TASKS);
        set(!self.activities.is_empty(), Tables::ACTIVITIES);
        set(!self.payments.is_empty(), Tables::PAYMENTS);
        set(!self.users.is_empty() || self.teams, Tables::USERS);
        set(
            self.pipelines || self.loss_reasons || self.field_defs || self.account,
            Tables::SETUP,
        );
        set(self.plans, Tables::PLANS);
        set(self.hygiene_history, Tables::HYGIENE_HISTORY);
        t
    }
}

/// A set of the workspace's tables, as bits: what an answer read, or what a change set touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Tables(pub u16);

impl Tables {
    pub const NONE: Tables = Tables(0);
    pub const COMPANIES: Tables = Tables(1);
    pub const CONTACTS: Tables = Tables(1 << 1);
    pub const DEALS: Tables = Tables(1 << 2);
    pub const TASKS: Tables = Tables(1 << 3);
    pub const ACTIVITIES: Tables = Tables(1 << 4);
    pub const PAYMENTS: Tables = Tables(1 << 5);
    /// Users and teams.
    pub const USERS: Tables = Tables(1 << 6);
    /// Pipelines, loss reasons, field definitions and the account.
    pub const SETUP: Tables = Tables(1 << 7);
    pub const PLANS: Tables = Tables(1 << 8);
    pub const HYGIENE_HISTORY: Tables = Tables(1 << 9);
    pub const ALL: Tables = Tables((1 << 10) - 1);

    pub const fn with(self, other: Tables) -> Tables {
        Tables(self.0 | other.0)
    }
    pub const fn meets(self, other: Tables) -> bool {
        self.0 & other.0 != 0
    }
}

/// The workspace version at which each table last changed: an answer that
/// read `tables` stands while [`TableVersions::stamp`] of them does not move.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TableVersions([u64; 10]);

impl TableVersions {
    /// Every table as of `version` (a workspace loaded whole, or a new calendar).
    pub fn all_at(version: u64) -> TableVersions {
        TableVersions([version; 10])
    }

    /// Marks `tables` changed at `version`.
    pub fn touch(&mut self, tables: Tables, version: u64) {
        for (bit, v) in self.0.iter_mut().enumerate() {
            if tables.meets(Tables(1 << bit)) {
                *v = version;
            }
        }
    }

    /// The latest version at which any of `tables` changed.
    pub fn stamp(&self, tables: Tables) -> u64 {
        self.0
            .iter()
            .enumerate()
            .filter(|(bit, _)| tables.meets(Tables(1 << bit)))
            .map(|(_, v)| *v)
            .max()
            .unwrap_or(0)
    }
}

impl Workspace {
    /// Applies a landed batch in place: upserts, then deletions, then plan
    /// replacements. Returns what changed, record by record (a record upserted
    /// as it already stood is not a change).
    pub fn apply(&mut self, batch: &Batch) -> Changes {
        let deleted = |kinds: &[EntityKind]| batch.deletions.iter().any(|(k, _)| kinds.contains(k));
        // A deal new here, or moved to another company, moves its communications between companies.
        let deal_links_changed = batch
            .deals
            .iter()
            .any(|d| self.deals.get(d.id).is_none_or(|old| old.company_id != d.company_id));
        let g = &mut self.generations;
        if !batch.tasks.is_empty() || deleted(&[EntityKind::Task]) {
            g.tasks += 1;
        }
        if !batch.activities.is_empty()
            || !batch.contacts.is_empty()
            || deal_links_changed
            || deleted(&[EntityKind::Activity, EntityKind::Contact, EntityKind::Deal])
        {
            g.activities += 1;
        }
        if !batch.companies.is_empty() || deleted(&[EntityKind::Company]) {
            g.companies += 1;
        }
        let mut c = Changes {
            from_version: self.version,
            to_version: self.version + 1,
            ..Changes::default()
        };
        if let Some(account) = &batch.account {
            c.account = self.account.as_ref() != Some(account);
            self.account = Some(account.clone());
        }
        /// Upserts rows of a table an index reads whole; says whether any differed.
        fn up<T: Keyed + Clone + PartialEq>(table: &mut Table<T>, rows: &[T]) -> bool {
            let mut changed = false;
            for row in rows {
                if table.get(row.key()) != Some(row) {
                    changed = true;
                    table.upsert(row.clone());
                }
            }
            changed
        }
        c.teams = up(&mut self.teams, &batch.teams);
        for u in &batch.users {
            c.users.upsert(&mut self.users, u);
        }
        c.pipelines = up(&mut self.pipelines, &batch.pipelines);
        c.loss_reasons = up(&mut self.loss_reasons, &batch.loss_reasons);
        c.field_defs = up(&mut self.field_defs, &batch.field_defs);
        for r in &batch.companies {
            c.companies.upsert(&mut self.companies, r);
        }
        for r in &batch.contacts {
            c.contacts.upsert(&mut self.contacts, r);
        }
        for r in &batch.deals {
            c.deals.upsert(&mut self.deals, r);
        }
        for r in &batch.tasks {
            c.tasks.upsert(&mut self.tasks, r);
        }
        for r in &batch.activities {
            c.activities.upsert(&mut self.activities, r);
        }
        for r in &batch.payments {
            c.payments.upsert(&mut self.payments, r);
        }
        for &(kind, id) in &batch.deletions {
            match kind {
                EntityKind::User => c.users.remove(&mut self.users, id),
                EntityKind::Company => c.companies.remove(&mut self.companies, id),
                EntityKind::Contact => c.contacts.remove(&mut self.contacts, id),
                EntityKind::Deal => c.deals.remove(&mut self.deals, id),
                EntityKind::Task => c.tasks.remove(&mut self.tasks, id),
                EntityKind::Activity => c.activities.remove(&mut self.activities, id),
                EntityKind::Payment => c.payments.remove(&mut self.payments, id),
                EntityKind::Team => c.teams |= self.teams.remove(id).is_some(),
                EntityKind::Pipeline => c.pipelines |= self.pipelines.remove(id).is_some(),
                EntityKind::LossReason => c.loss_reasons |= self.loss_reasons.remove(id).is_some(),
                EntityKind::FieldDef => c.field_defs |= self.field_defs.remove(id).is_some(),
            }
        }
        if !batch.replace_plan_origins.is_empty() {
            let before = self.plans.len();
            self.plans.retain(|p| !batch.replace_plan_origins.contains(&p.origin));
            c.plans |= self.plans.len() != before;
        }
        c.plans |= !batch.plans.is_empty();
        self.plans.extend(batch.plans.iter().cloned());
        if !batch.hygiene_history.is_empty() {
            c.hygiene_history = true;
            let days: std::collections::BTreeSet<NaiveDate> = batch.hygiene_history.iter().map(|h| h.day).collect();
            self.hygiene_history.retain(|h| !days.contains(&h.day));
            self.hygiene_history.extend(batch.hygiene_history.iter().cloned());
            self.hygiene_history
                .sort_by(|a, b| (a.day, a.manager_id, &a.rule).cmp(&(b.day, b.manager_id, &b.rule)));
        }
        self.version += 1;
        c
    }

    /// How many records of each kind, for the home page and `tsifra` output.
    pub fn counts(&self) -> Vec<(EntityKind, usize)> {
        EntityKind::ALL
            .into_iter()
            .map(|k| {
                let n = match k {
                    EntityKind::User => self.users.len(),
                    EntityKind::Team => self.teams.len(),
                    EntityKind::Pipeline => self.pipelines.len(),
                    EntityKind::LossReason => self.loss_reasons.len(),
                    EntityKind::FieldDef => self.field_defs.len(),
                    EntityKind::Company => self.companies.len(),
                    EntityKind::Contact => self.contacts.len(),
                    EntityKind::Deal => self.deals.len(),
                    EntityKind::Task => self.tasks.len(),
                    EntityKind::Activity => self.activities.len(),
                    EntityKind::Payment => self.payments.len(),
                };
                (k, n)
            })
            .collect()
    }

    /// What kind of stage a deal in (pipeline, stage) stands in: as the loaded
    /// pipeline says; else by amoCRM's won (142) and lost (143) statuses, the
    /// same in every pipeline; else an open stage of a pipeline not (yet) known
    /// (archived, deleted, or not read yet), so its deals stay visible.
    pub fn stage_kind(&self, pipeline_id: Id, stage_id: Id) -> StageKind {
        if let Some(stage) = self.pipelines.get(pipeline_id).and_then(|p| p.stage(stage_id)) {
            return stage.kind;
        }
        match stage_id {
            AMOCRM_WON_STATUS => StageKind::Won,
            AMOCRM_LOST_STATUS => StageKind::Lost,
            _ => StageKind::Open,
        }
    }
}

/// Builds links to a record's card in the CRM it came from.
#[derive(Clone, Debug)]
pub struct CrmLinks {
    base_url: std::sync::Arc<str>,
}

/// A link to a record's card, kept as its parts (the account's address is
/// shared) and written out when shown: a report with a hundred thousand rows
/// makes no string for it until it is rendered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardUrl {
    base_url: std::sync::Arc<str>,
    entity: EntityRef,
}

impl CardUrl {
    fn section(&self) -> &'static str {
        match self.entity {
            EntityRef::Deal(_) => "leads",
            EntityRef::Company(_) => "companies",
            EntityRef::Contact(_) => "contacts",
        }
    }
}

impl std::fmt::Display for CardUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/detail/{}", self.base_url, self.section(), self.entity.id())
    }
}

impl Serialize for CardUrl {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl CrmLinks {
    pub fn new(base_url: &str) -> Self {
        CrmLinks {
            base_url: base_url.trim_end_matches('/').into(),
        }
    }

    /// The card link as its parts, written out when shown (see [`CardUrl`]).
    pub fn card(&self, source: Source, entity: EntityRef) -> Option<CardUrl> {
        if source != Source::Amocrm || self.base_url.is_empty() {
            return None;
        }
        Some(CardUrl {
            base_url: self.base_url.clone(),
            entity,
        })
    }

    /// `https://SUBDOMAIN.amocrm.ru/leads/detail/ID` and the like; `None` for
    /// imported records, which have no card to open.
    pub fn card_url(&self, source: Source, entity: EntityRef) -> Option<String> {
        self.card(source, entity).map(|c| c.to_string())
    }
}

/// A value from the CRM that Tsifra cannot use (an amount larger than any sum
/// of money can be, text where an amount belongs): counted as missing, and said
/// with its record and field so someone can correct it in the CRM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadValue {
    pub entity: EntityKind,
    pub id: Id,
    /// The record's name (a deal's title, a company's name), as the CRM has it.
    pub record: String,
    /// The custom field's name; `None` for the deal's own budget (amoCRM's price).
    pub field: Option<String>,
    /// The value as it came, cut to a readable length.
    pub value: String,
    pub problem: BadValueProblem,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BadValueProblem {
    /// Larger than ±92 233 720 368 547 758 (i64 kopecks).
    TooLarge,
    NotAnAmount,
}

/// The lines that tell a user about a run's bad values: a header, the values
/// kept (`shown`), and how many more there were. Empty when there were none.
pub fn bad_value_lines(lang: crate::Language, shown: &[BadValue], count: u64) -> Vec<String> {
    use crate::i18n::{format_int, text_with};
    if count == 0 {
        return Vec::new();
    }
    let mut lines = vec![text_with(lang, "bad_value.header", &[("n", &format_int(lang, count as i64))])];
    lines.extend(shown.iter().map(|b| b.message(lang)));
    let more = count.saturating_sub(shown.len() as u64);
    if more > 0 {
        lines.push(text_with(lang, "bad_value.more", &[("n", &format_int(lang, more as i64))]));
    }
    lines
}

impl BadValue {
    /// Longest value kept, in characters: enough to recognise it, not a page of it.
    pub const VALUE_CHARS: usize = 40;

    pub fn new(entity: EntityKind, id: Id, record: &str, field: Option<&str>, value: &str, problem: BadValueProblem) -> BadValue {
        let clip = |s: &str, n: usize| match s.char_indices().nth(n) {
            Some((at, _)) => format!("{}…", &s[..at]),
            None => s.to_string(),
        };
        BadValue {
            entity,
            id,
            record: clip(record.trim(), 80),
            field: field.map(|f| f.trim().to_string()),
            value: clip(value.trim(), Self::VALUE_CHARS),
            problem,
        }
    }

    /// "Сделка «Поставка» (#123), поле «Бюджет»: 1e27 — больше любой суммы, считается незаполненным".
    pub fn message(&self, lang: crate::Language) -> String {
        use crate::i18n::{printable, text, text_with};
        let kind = match self.entity {
            EntityKind::Deal => "bad_value.deal",
            EntityKind::Company => "bad_value.company",
            EntityKind::Contact => "bad_value.contact",
            _ => "bad_value.record",
        };
        let problem = match self.problem {
            BadValueProblem::TooLarge => "bad_value.too_large",
            BadValueProblem::NotAnAmount => "bad_value.not_an_amount",
        };
        text_with(
            lang,
            "bad_value.message",
            &[
                (
                    "record",
                    &text_with(lang, kind, &[("name", &printable(&self.record)), ("id", &self.id.to_string())]),
                ),
                ("field", &printable(self.field.as_deref().unwrap_or(text(lang, "bad_value.price")))),
                ("value", &printable(&self.value)),
                ("problem", text(lang, problem)),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(id: Id) -> Team {
        Team {
            id,
            name: format!("t{id}"),
        }
    }

    #[test]
    fn table_upsert_remove_keeps_index_consistent() {
        let mut t: Table<Team> = (1..=5).map(team).collect();
        t.upsert(Team {
            id: 3,
            name: "renamed".into(),
        });
        assert_eq!(t.len(), 5);
        assert_eq!(t.get(3).unwrap().name, "renamed");
        assert_eq!(t.remove(1).unwrap().id, 1);
        assert!(t.remove(1).is_none());
        for id in 2..=5 {
            assert_eq!(t.get(id).unwrap().id, id, "row {id} still found after swap_remove");
        }
        t.remove(5);
        t.upsert(team(9));
        assert_eq!(t.iter().map(|x| x.id).sum::<Id>(), 2 + 3 + 4 + 9);
    }

    #[test]
    fn apply_upserts_deletes_and_replaces_plans() {
        let mut ws = Workspace::default();
        let period = Period::containing(crate::calendar::PeriodKind::Month, NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
        let plan = |m: Id, origin: &str| Plan {
            manager_id: Some(m),
            period,
            metric: Metric::Revenue,
            target: 100,
            origin: origin.into(),
            imported_at: None,
        };
        ws.apply(&Batch {
            teams: vec![team(1), team(2)],
            plans: vec![plan(1, "a.csv"), plan(2, "b.csv")],
            ..Batch::default()
        });
        ws.apply(&Batch {
            deletions: vec![(EntityKind::Team, 1)],
            replace_plan_origins: vec!["a.csv".into()],
            plans: vec![plan(7, "a.csv")],
            ..Batch::default()
        });
        assert!(ws.teams.get(1).is_none() && ws.teams.get(2).is_some());
        let mut managers: Vec<_> = ws.plans.iter().map(|p| p.manager_id.unwrap()).collect();
        managers.sort();
        assert_eq!(managers, vec![2, 7]);
        assert_eq!(ws.version, 2);
    }

    #[test]
    fn the_latest_import_is_in_force_and_removing_it_restores_the_earlier() {
        let month = Period::containing(crate::calendar::PeriodKind::Month, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        let at = |secs: i64| chrono::DateTime::from_timestamp(secs, 0);
        let plan = |m: Option<Id>, origin: &str, target: i64, imported_at| Plan {
            manager_id: m,
            period: month,
            metric: Metric::Revenue,
            target,
            origin: origin.into(),
            imported_at,
        };
        let mut ws = Workspace::default();
        // "b.csv" sorts after "a.csv" but was imported later: it wins, and so does its team plan.
        ws.apply(&Batch {
            plans: vec![plan(Some(1), "a.csv", 100, at(1000)), plan(None, "a.csv", 500, at(1000))],
            ..Batch::default()
        });
        ws.apply(&Batch {
            replace_plan_origins: vec!["b.csv".into()],
            plans: vec![plan(Some(1), "b.csv", 200, at(2000)), plan(None, "b.csv", 600, at(2000))],
            ..Batch::default()
        });
        let in_force: Vec<(&str, i64)> = plans_in_force(&ws.plans).iter().map(|p| (p.origin.as_str(), p.target)).collect();
        assert_eq!(in_force, vec![("b.csv", 200), ("b.csv", 600)]);
        assert!(!ws.plans[0].in_force(&ws.plans) && ws.plans[2].in_force(&ws.plans));
        ws.apply(&Batch {
            replace_plan_origins: vec!["b.csv".into()],
            ..Batch::default()
        });
        let in_force: Vec<i64> = plans_in_force(&ws.plans).iter().map(|p| p.target).collect();
        assert_eq!(in_force, vec![100, 500]);
        // Without import times (stored before they were kept) the first file by name wins, as before.
        let old = [plan(Some(1), "z.csv", 1, None), plan(Some(1), "m.csv", 2, None)];
        assert_eq!(plans_in_force(&old)[0].origin, "m.csv");
        assert!(plan(Some(1), "z.csv", 1, at(1)).outranks(&old[1]));
    }

    #[test]
    fn a_change_set_says_what_changed_and_moves_only_the_stamps_of_its_tables() {
        let mut ws = Workspace::default();
        let c = ws.apply(&Batch {
            teams: vec![team(1)],
            ..Batch::default()
        });
        assert!(c.teams && c.tables() == Tables::USERS, "{c:?}");
        // The same row again is no change at all.
        let c = ws.apply(&Batch {
            teams: vec![team(1)],
            ..Batch::default()
        });
        assert_eq!(c.tables(), Tables::NONE);
        assert_eq!((c.from_version, c.to_version), (1, 2));
        let mut versions = TableVersions::all_at(0);
        versions.touch(Tables::DEALS.with(Tables::TASKS), 5);
        assert_eq!(versions.stamp(Tables::DEALS), 5);
        assert_eq!(versions.stamp(Tables::ACTIVITIES.with(Tables::USERS)), 0);
        assert_eq!(versions.stamp(Tables::ACTIVITIES.with(Tables::TASKS)), 5);
    }

    #[test]
    fn a_deletion_notes_the_row_that_took_its_place() {
        let mut ws = Workspace::default();
        let task = |id: Id| Task {
            id,
            entity: None,
            responsible_id: None,
            kind: TaskKind::Call,
            text: String::new(),
            created_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            due_at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            completed_at: None,
            result: None,
            source: Source::Amocrm,
        };
        ws.apply(&Batch {
            tasks: (1..=4).map(task).collect(),
            ..Batch::default()
        });
        let c = ws.apply(&Batch {
            deletions: vec![(EntityKind::Task, 2), (EntityKind::Task, 3)],
            ..Batch::default()
        });
        // 4 took 2's row, then 3 was the last row: nothing moved for it.
        assert_eq!(c.tasks.moved, vec![4]);
        assert_eq!(c.tasks.ids(), vec![2, 3]);
        assert!(c.tasks.before[&2].is_some() && ws.tasks.get(2).is_none());
        assert_eq!(ws.tasks.position(4), Some(1));
    }

    #[test]
    fn card_links() {
        let links = CrmLinks::new("https://acme.amocrm.ru/");
        assert_eq!(
            links.card_url(Source::Amocrm, EntityRef::Deal(42)).as_deref(),
            Some("https://acme.amocrm.ru/leads/detail/42")
        );
        assert_eq!(
            links.card_url(Source::Amocrm, EntityRef::Company(7)).as_deref(),
            Some("https://acme.amocrm.ru/companies/detail/7")
        );
        assert_eq!(
            links.card_url(Source::Amocrm, EntityRef::Contact(8)).as_deref(),
            Some("https://acme.amocrm.ru/contacts/detail/8")
        );
        assert_eq!(links.card_url(Source::Import, EntityRef::Deal(42)), None);
    }
}
