//! Wire types -> the canonical model (SPEC §2). Pure functions: a
//! [`MapContext`] carries what mapping needs from the dictionaries (field
//! definitions, task types, the account's time zone), nothing here does I/O.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::Value;
use tsifra_core::config::FieldMapping;
use tsifra_core::model::{
    AMOCRM_LOST_STATUS, AMOCRM_WON_STATUS, Account, Activity, ActivityKind, BadValue, BadValueProblem, Company, Contact, Deal, EntityKind,
    EntityRef, FieldDef, FieldType, FieldValue, Id, LossReason, Payment, Pipeline, ResponsibleChange, Source, Stage, StageKind, StageMove,
    Task, TaskKind, Team, User,
};
use tsifra_core::{Instant, Money};

use crate::de;
use crate::wire;

/// What mapping needs besides the record itself.
#[derive(Clone, Debug)]
pub struct MapContext {
    /// Our configured base URL (card links use it; `_links` may name a shard host instead).
    pub base_url: String,
    /// The account's time zone, for date-only custom field values.
    pub tz: Tz,
    /// Field definitions of leads, contacts and companies by id (ids are unique per account).
    pub field_defs: HashMap<Id, FieldDef>,
    /// Task type id -> kind, from the account's `task_types`.
    pub task_types: HashMap<Id, TaskKind>,
    /// Currency when the account does not say.
    pub default_currency: String,
    /// Deal fields with payment terms; empty: no payments are derived.
    pub payment_fields: PaymentFields,
}

impl MapContext {
    pub fn new(base_url: &str) -> Self {
        MapContext {
            base_url: base_url.trim_end_matches('/').to_string(),
            tz: chrono_tz::Europe::Moscow,
            field_defs: HashMap::new(),
            task_types: HashMap::new(),
            default_currency: "RUB".into(),
            payment_fields: PaymentFields::default(),
        }
    }

    pub fn with_field_defs(mut self, defs: impl IntoIterator<Item = FieldDef>) -> Self {
        self.field_defs.extend(defs.into_iter().map(|d| (d.id, d)));
        self
    }
}

/// Unix seconds -> instant; nonsense gives the epoch rather than an error.
pub fn instant(ts: i64) -> Instant {
    DateTime::<Utc>::from_timestamp(ts, 0).unwrap_or_default()
}

fn opt_instant(ts: Option<i64>) -> Option<Instant> {
    ts.filter(|&t| t > 0).map(instant)
}

/// A stable numeric id for amoCRM's string ids (events, chat messages): the
/// number itself when the string is one, else a 62-bit FNV-1a hash with bit 62
/// set, which keeps it clear of amoCRM's own (much smaller) integer ids.
pub fn string_id(s: &str) -> Id {
    if let Ok(n) = s.trim().parse::<i64>() {
        return n;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    ((h & ((1 << 62) - 1)) | (1 << 62)) as Id
}

pub fn map_account(a: &wire::Account, ctx: &MapContext) -> (Account, Vec<Team>) {
    let tz = a
        .embedded
        .datetime_settings
        .as_ref()
        .and_then(|d| d.timezone.clone())
        .unwrap_or_else(|| ctx.tz.name().to_string());
    let account = Account {
        name: a.name.clone(),
        base_url: ctx.base_url.clone(),
        time_zone: tz,
        currency: a
            .currency
            .clone()
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| ctx.default_currency.clone()),
    };
    let teams = a
        .embedded
        .users_groups
        .iter()
        .map(|g| Team {
            id: g.id,
            name: g.name.clone(),
        })
        .collect();
    (account, teams)
}

/// The account's time zone, falling back to Moscow when it is missing or unknown.
pub fn account_tz(a: &wire::Account) -> Tz {
    a.embedded
        .datetime_settings
        .as_ref()
        .and_then(|d| d.timezone.as_deref())
        .and_then(|t| t.parse::<Tz>().ok())
        .unwrap_or(chrono_tz::Europe::Moscow)
}

/// Task type ids -> kinds. Standard types have codes (FOLLOW_UP "Связаться" is a call,
/// MEETING a meeting); custom types are told by their names.
pub fn task_kinds(a: &wire::Account) -> HashMap<Id, TaskKind> {
    a.embedded
        .task_types
        .iter()
        .map(|t| (t.id, task_kind(t.code.as_deref(), &t.name)))
        .collect()
}

pub fn task_kind(code: Option<&str>, name: &str) -> TaskKind {
    match code.map(str::to_ascii_uppercase).as_deref() {
        Some("FOLLOW_UP") | Some("CALL") => return TaskKind::Call,
        Some("MEETING") => return TaskKind::Meeting,
        Some("EMAIL") | Some("LETTER") => return TaskKind::Email,
        _ => {}
    }
    let n = name.to_lowercase();
    if n.contains("звон") || n.contains("call") || n.contains("связат") {
        TaskKind::Call
    } else if n.contains("встреч") || n.contains("meet") {
        TaskKind::Meeting
    } else if n.contains("письм") || n.contains("mail") || n.contains("почт") {
        TaskKind::Email
    } else {
        TaskKind::Other
    }
}

pub fn map_user(u: &wire::User) -> User {
    let rights = u.rights.clone().unwrap_or_default();
    User {
        id: u.id,
        name: u.name.clone(),
        email: u.email.clone().filter(|e| !e.trim().is_empty()),
        team_id: rights.group_id.or_else(|| u.embedded.groups.first().map(|g| g.id)),
        active: rights.is_active.unwrap_or(true),
        source: Source::Amocrm,
    }
}

/// A status's kind: won (142) and lost (143) by id, the same in every pipeline;
/// incoming leads ("Неразобранное") by `type` 1; every other status is worked.
pub fn stage_kind(status_id: Id, status_type: Option<i64>) -> StageKind {
    match (status_id, status_type) {
        (AMOCRM_WON_STATUS, _) => StageKind::Won,
        (AMOCRM_LOST_STATUS, _) => StageKind::Lost,
        (_, Some(1)) => StageKind::Unsorted,
        _ => StageKind::Open,
    }
}

pub fn map_pipeline(p: &wire::Pipeline) -> Pipeline {
    let mut stages: Vec<Stage> = p
        .embedded
        .statuses
        .iter()
        .map(|s| Stage {
            id: s.id,
            name: s.name.clone(),
            sort: s.sort.unwrap_or(0) as i32,
            kind: stage_kind(s.id, s.kind),
        })
        .collect();
    stages.sort_by_key(|s| s.sort);
    Pipeline {
        id: p.id,
        name: p.name.clone(),
        sort: p.sort.unwrap_or(0) as i32,
        is_main: p.is_main,
        stages,
    }
}

pub fn map_loss_reason(r: &wire::LossReason) -> LossReason {
    LossReason {
        id: r.id,
        name: r.name.clone(),
    }
}

/// amoCRM field type name -> our type. Phones and e-mails are `multitext` fields
/// told apart by their code.
pub fn field_type(amo_type: &str, code: Option<&str>) -> FieldType {
    match amo_type {
        "numeric" => FieldType::Number,
        "price" | "monetary" => FieldType::Money,
        "date" | "birthday" => FieldType::Date,
        "date_time" => FieldType::DateTime,
        "checkbox" => FieldType::Checkbox,
        "select" | "radiobutton" | "category" => FieldType::Select,
        "multiselect" => FieldType::MultiSelect,
        "url" => FieldType::Url,
        "multitext" => match code.map(str::to_ascii_uppercase).as_deref() {
            Some("PHONE") => FieldType::Phone,
            Some("EMAIL") => FieldType::Email,
            _ => FieldType::Text,
        },
        _ => FieldType::Text,
    }
}

pub fn map_field_def(f: &wire::CustomField, entity: EntityKind) -> FieldDef {
    let mut enums = f.enums.clone();
    enums.sort_by_key(|e| (e.sort.unwrap_or(0), e.id));
    FieldDef {
        id: f.id,
        entity,
        name: f.name.clone(),
        code: f.code.clone().filter(|c| !c.is_empty()),
        field_type: field_type(&f.field_type, f.code.as_deref()),
        options: enums.into_iter().map(|e| e.value).collect(),
    }
}

/// A field whose values are the company's tax number (ИНН) rather than a custom value.
pub fn is_tax_id_field(name: &str, code: Option<&str>) -> bool {
    let n = name.trim().to_lowercase();
    matches!(code.map(str::to_ascii_uppercase).as_deref(), Some("INN") | Some("TAX_ID")) || n == "инн" || n == "inn"
}

/// Text of one value item: scalars as text; objects (legal entity, linked entity,
/// file, items) by their most telling member.
fn item_text(v: &Value) -> Option<String> {
    match v {
        Value::Object(map) => ["name", "file_name", "description", "sku", "text", "value"]
            .iter()
            .find_map(|k| map.get(*k).and_then(de::value_to_string))
            .or_else(|| map.get("vat_id").and_then(de::value_to_string)),
        other => de::value_to_string(other),
    }
}

/// A date-only value: amoCRM sends a Unix timestamp; midnight UTC is read as that
/// date, anything else as the date in the account's time zone.
pub fn date_of(ts: i64, tz: Tz) -> NaiveDate {
    let at = instant(ts);
    if ts.rem_euclid(86_400) == 0 {
        at.date_naive()
    } else {
        at.with_timezone(&tz).date_naive()
    }
}

/// An amount as amoCRM sends it (a price, a money or number field's value):
/// `Ok(None)` when blank, `Ok(Some)` when usable, and the problem when it is
/// there but no amount of money can hold it (10^27, `"1e30"`) or it is no number.
pub fn amount(v: &Value) -> Result<Option<Money>, BadValueProblem> {
    let blank = match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    };
    if blank {
        return Ok(None);
    }
    match de::value_to_decimal(v) {
        Some(d) => Money::from_decimal(d).map(Some).ok_or(BadValueProblem::TooLarge),
        // A JSON number Decimal cannot hold (past 7.9·10²⁸) is still a number.
        None if v.is_number() => Err(BadValueProblem::TooLarge),
        None if de::value_to_string(v).is_some_and(|s| tsifra_core::money::looks_numeric(&s)) => Err(BadValueProblem::TooLarge),
        None => Err(BadValueProblem::NotAnAmount),
    }
}

/// The first filled value of a field.
fn first_value(fv: &wire::FieldValues) -> Option<&Value> {
    fv.values.iter().map(|i| &i.value).find(|v| !v.is_null())
}

/// Types one field's values by the field's type. `None` when nothing usable is
/// filled: a number or amount beyond any sum of money counts as not filled
/// ([`bad_values`] says which).
pub fn field_value(ft: FieldType, fv: &wire::FieldValues, tz: Tz) -> Option<FieldValue> {
    let first = first_value(fv);
    let value = match ft {
        FieldType::Number => FieldValue::Number(de::value_to_decimal(first?).filter(|d| Money::from_decimal(*d).is_some())?),
        FieldType::Money => FieldValue::Money(amount(first?).ok()??),
        FieldType::Date => FieldValue::Date(date_of(de::value_to_i64(first?)?, tz)),
        FieldType::DateTime => FieldValue::Instant(instant(de::value_to_i64(first?)?)),
        FieldType::Checkbox => FieldValue::Bool(de::value_to_bool(first?)?),
        FieldType::Select | FieldType::MultiSelect => {
            let options: Vec<String> = fv.values.iter().filter_map(|i| item_text(&i.value)).collect();
            if options.is_empty() {
                return None;
            }
            FieldValue::Options(options)
        }
        FieldType::Text | FieldType::Url | FieldType::Phone | FieldType::Email => {
            let texts: Vec<String> = fv.values.iter().filter_map(|i| item_text(&i.value)).collect();
            if texts.is_empty() {
                return None;
            }
            FieldValue::Text(texts.join(", "))
        }
    };
    Some(value)
}

/// The type of a value's field: its definition when known, else the type name the value carries.
fn value_type(fv: &wire::FieldValues, ctx: &MapContext) -> (FieldType, Option<String>, String) {
    match ctx.field_defs.get(&fv.field_id) {
        Some(def) => (def.field_type, def.code.clone(), def.name.clone()),
        None => (
            field_type(fv.field_type.as_deref().unwrap_or("text"), fv.field_code.as_deref()),
            fv.field_code.clone(),
            fv.field_name.clone().unwrap_or_default(),
        ),
    }
}

/// Custom fields of a contact or company, split into phones, e-mails, the tax id and the rest.
struct Party {
    phones: Vec<String>,
    emails: Vec<String>,
    tax_id: Option<String>,
    fields: Vec<(Id, FieldValue)>,
}

fn split_party_fields(values: &[wire::FieldValues], ctx: &MapContext) -> Party {
    let mut party = Party {
        phones: Vec::new(),
        emails: Vec::new(),
        tax_id: None,
        fields: Vec::new(),
    };
    for fv in values {
        let (ft, code, name) = value_type(fv, ctx);
        let texts = || {
            fv.values
                .iter()
                .filter_map(|i| item_text(&i.value))
                .filter(|t| !t.trim().is_empty())
        };
        match ft {
            FieldType::Phone => party.phones.extend(texts()),
            FieldType::Email => party.emails.extend(texts()),
            _ if is_tax_id_field(&name, code.as_deref()) => party.tax_id = texts().next(),
            _ => {
                if let Some(v) = field_value(ft, fv, ctx.tz) {
                    party.fields.push((fv.field_id, v));
                }
            }
        }
    }
    party
}

fn deal_fields(values: &[wire::FieldValues], ctx: &MapContext) -> Vec<(Id, FieldValue)> {
    values
        .iter()
        .filter_map(|fv| {
            let (ft, _, _) = value_type(fv, ctx);
            field_value(ft, fv, ctx.tz).map(|v| (fv.field_id, v))
        })
        .collect()
}

pub fn map_company(c: &wire::Company, ctx: &MapContext) -> Company {
    let party = split_party_fields(&c.custom_fields_values, ctx);
    let created = c.created_at.unwrap_or(0);
    Company {
        id: c.id,
        name: c.name.clone(),
        responsible_id: c.responsible_user_id,
        created_at: instant(created),
        updated_at: instant(c.updated_at.unwrap_or(created)),
        tax_id: party.tax_id,
        phones: party.phones,
        emails: party.emails,
        fields: party.fields,
        source: Source::Amocrm,
    }
}

pub fn map_contact(c: &wire::Contact, ctx: &MapContext) -> Contact {
    let party = split_party_fields(&c.custom_fields_values, ctx);
    let created = c.created_at.unwrap_or(0);
    let name = if c.name.trim().is_empty() {
        [c.first_name.as_deref(), c.last_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        c.name.clone()
    };
    Contact {
        id: c.id,
        name,
        responsible_id: c.responsible_user_id,
        company_ids: c.embedded.companies.iter().map(|l| l.id).collect(),
        created_at: instant(created),
        updated_at: instant(c.updated_at.unwrap_or(created)),
        phones: party.phones,
        emails: party.emails,
        fields: party.fields,
        source: Source::Amocrm,
    }
}

/// A lead as a deal. The stage and responsible histories are carried over from
/// `existing` (the stored deal) because the list endpoints do not return them:
/// they come from events, see [`merge_history`] and [`merge_responsible`]. A lead
/// seen for the first time starts with one move: created (by its author) into its
/// current stage, until events say where it came from. For a won or lost lead that
/// first move is no close: the reports take the close at `closed_at` (see
/// `tsifra_core::reports::history`), never at the creation.
pub fn map_lead(l: &wire::Lead, ctx: &MapContext, existing: Option<&Deal>) -> Deal {
    let created = l.created_at.unwrap_or(0);
    let pipeline_id = l.pipeline_id.unwrap_or(0);
    let stage_id = l.status_id.unwrap_or(0);
    let history = match existing {
        Some(d) if !d.history.is_empty() => d.history.clone(),
        _ => vec![StageMove {
            at: instant(created),
            pipeline_id,
            stage_id,
            author_id: l.created_by,
        }],
    };
    let responsible_changes = existing.map(|d| d.responsible_changes.clone()).unwrap_or_default();
    let amount = l.price.as_ref().and_then(|p| amount(p).ok().flatten()).unwrap_or(Money::ZERO);
    Deal {
        id: l.id,
        name: l.name.clone(),
        pipeline_id,
        stage_id,
        amount,
        responsible_id: l.responsible_user_id,
        company_id: l.embedded.companies.first().map(|c| c.id),
        contact_ids: l.embedded.contacts.iter().map(|c| c.id).collect(),
        created_at: instant(created),
        updated_at: instant(l.updated_at.unwrap_or(created)),
        closed_at: opt_instant(l.closed_at),
        loss_reason_id: l.loss_reason_id.or_else(|| l.embedded.loss_reason.first().map(|r| r.id)),
        lead_source: l.embedded.source.as_ref().map(|s| s.name.clone()).filter(|s| !s.is_empty()),
        tags: l.embedded.tags.iter().map(|t| t.name.clone()).filter(|t| !t.is_empty()).collect(),
        fields: deal_fields(&l.custom_fields_values, ctx),
        history,
        responsible_changes,
        source: Source::Amocrm,
    }
}

/// The values of a record that cannot be used (see [`amount`]): its price and its
/// money and number fields. Mapping counts them as missing; the sync reports them.
pub fn bad_values(
    entity: EntityKind,
    id: Id,
    name: &str,
    price: Option<&Value>,
    fields: &[wire::FieldValues],
    ctx: &MapContext,
) -> Vec<BadValue> {
    let mut out = Vec::new();
    let mut check = |field: Option<&str>, v: &Value| {
        if let Err(problem) = amount(v) {
            let shown = de::value_to_string(v).unwrap_or_else(|| v.to_string());
            out.push(BadValue::new(entity, id, name, field, &shown, problem));
        }
    };
    if let Some(p) = price {
        check(None, p);
    }
    for fv in fields {
        let (ft, _, field) = value_type(fv, ctx);
        if matches!(ft, FieldType::Money | FieldType::Number)
            && let Some(v) = first_value(fv)
        {
            check(Some(&field), v);
        }
    }
    out
}

pub fn lead_bad_values(l: &wire::Lead, ctx: &MapContext) -> Vec<BadValue> {
    bad_values(EntityKind::Deal, l.id, &l.name, l.price.as_ref(), &l.custom_fields_values, ctx)
}

/// A contact's or (with `EntityKind::Company`) a company's unusable values.
pub fn party_bad_values(kind: EntityKind, c: &wire::Contact, ctx: &MapContext) -> Vec<BadValue> {
    bad_values(kind, c.id, &c.name, None, &c.custom_fields_values, ctx)
}

/// amoCRM's entity type names (plural in tasks and URLs, singular in events) -> ours.
pub fn entity_kind(amo: &str) -> Option<EntityKind> {
    match amo {
        "leads" | "lead" => Some(EntityKind::Deal),
        "contacts" | "contact" => Some(EntityKind::Contact),
        "companies" | "company" => Some(EntityKind::Company),
        "tasks" | "task" => Some(EntityKind::Task),
        _ => None,
    }
}

/// Our entity kind -> the path segment of its endpoints.
pub fn entity_path(kind: EntityKind) -> Option<&'static str> {
    match kind {
        EntityKind::Deal => Some("leads"),
        EntityKind::Contact => Some("contacts"),
        EntityKind::Company => Some("companies"),
        EntityKind::Task => Some("tasks"),
        _ => None,
    }
}

fn entity_ref(amo_type: Option<&str>, id: Option<Id>) -> Option<EntityRef> {
    EntityRef::new(entity_kind(amo_type?)?, id?)
}

pub fn map_task(t: &wire::Task, ctx: &MapContext) -> Task {
    let created = t.created_at.unwrap_or(0);
    let kind = t
        .task_type_id
        .and_then(|id| ctx.task_types.get(&id).copied())
        .unwrap_or(match t.task_type_id {
            Some(1) => TaskKind::Call,
            Some(2) => TaskKind::Meeting,
            _ => TaskKind::Other,
        });
    Task {
        id: t.id,
        entity: entity_ref(t.entity_type.as_deref(), t.entity_id),
        responsible_id: t.responsible_user_id,
        kind,
        text: t.text.clone(),
        created_at: instant(created),
        due_at: instant(t.complete_till.unwrap_or(created)),
        // amoCRM keeps no completion time; the last update of a completed task is the closest thing.
        completed_at: t.is_completed.then(|| instant(t.updated_at.unwrap_or(created))),
        result: t.result.as_ref().and_then(|r| r.text.clone()).filter(|s| !s.trim().is_empty()),
        source: Source::Amocrm,
    }
}

/// amoCRM's call status 4 = "the talk took place" (calls-api).
pub const CALL_STATUS_TALKED: i64 = 4;

/// A note as an activity: calls (with duration and whether they connected),
/// e-mails, SMS, meetings logged by integrations, and plain notes. Other note types (service messages, files...) are not activities.
pub fn map_note(n: &wire::Note, entity: EntityKind) -> Option<Activity> {
    let (kind, is_call) = match n.note_type.as_str() {
        "call_in" => (ActivityKind::CallIn, true),
        "call_out" => (ActivityKind::CallOut, true),
        "amomail_message" | "amomail" => (
            if n.income().unwrap_or(true) {
                ActivityKind::EmailIn
            } else {
                ActivityKind::EmailOut
            },
            false,
        ),
        "sms_in" => (ActivityKind::ChatIn, false),
        "sms_out" => (ActivityKind::ChatOut, false),
        "common" => (ActivityKind::Note, false),
        // Calendar and meeting integrations log meetings as service messages.
        "service_message" | "extended_service_message" if n.mentions_meeting() => (ActivityKind::Meeting, false),
        _ => return None,
    };
    let duration = if is_call {
        n.duration().unwrap_or(0).clamp(0, u32::MAX as i64) as u32
    } else {
        0
    };
    let connected = if is_call {
        match n.call_status() {
            Some(status) => status == CALL_STATUS_TALKED,
            None => duration > 0,
        }
    } else {
        true
    };
    Some(Activity {
        id: n.id,
        kind,
        manager_id: if is_call { n.call_responsible() } else { None }
            .or(n.responsible_user_id)
            .or(n.created_by),
        entity: n.entity_id.and_then(|id| EntityRef::new(entity, id)),
        at: instant(n.created_at.unwrap_or(0)),
        duration_s: duration,
        connected,
        source: Source::Amocrm,
    })
}

/// A lead's move between stages, from a `lead_status_changed` event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusChange {
    pub deal_id: Id,
    pub at: Instant,
    /// (pipeline id, status id) before the move, when the event says.
    pub from: Option<(Id, Id)>,
    pub to: (Id, Id),
    pub author_id: Option<Id>,
}

/// What one event means for the model.
#[derive(Clone, Debug, PartialEq)]
pub enum EventEffect {
    StatusChange(StatusChange),
    /// `entity_responsible_changed` on a lead: who held the deal from when.
    ResponsibleChange {
        deal_id: Id,
        change: ResponsibleChange,
    },
    /// `lead_added`: when and by whom the lead was created (its first stage is in the lead itself).
    LeadAdded {
        deal_id: Id,
        at: Instant,
        author_id: Option<Id>,
    },
    /// Chat messages are activities by themselves.
    Activity(Activity),
    /// Calls carry only a note id: the note holds duration and status.
    CallNote {
        entity: EntityRef,
        note_id: Id,
    },
    Deleted {
        kind: EntityKind,
        id: Id,
        at: Instant,
    },
    Restored {
        kind: EntityKind,
        id: Id,
        at: Instant,
    },
    Ignored,
}

/// Event types the sync asks for (the feed has dozens).
pub const HISTORY_EVENT_TYPES: &[&str] = &[
    "lead_status_changed",
    "entity_responsible_changed",
    "incoming_chat_message",
    "outgoing_chat_message",
    "incoming_call",
    "outgoing_call",
];
pub const DELETION_EVENT_TYPES: &[&str] = &[
    "lead_deleted",
    "lead_restored",
    "contact_deleted",
    "contact_restored",
    "company_deleted",
    "company_restored",
    "task_deleted",
];

pub fn map_event(e: &wire::Event) -> EventEffect {
    let at = instant(e.created_at.unwrap_or(0));
    let entity = entity_ref(e.entity_type.as_deref(), e.entity_id);
    let id = e.entity_id;
    match e.event_type.as_str() {
        "lead_status_changed" => match (id, wire::Event::lead_status(&e.value_after)) {
            (Some(deal_id), Some(to)) => EventEffect::StatusChange(StatusChange {
                deal_id,
                at,
                from: wire::Event::lead_status(&e.value_before),
                to,
                author_id: e.created_by,
            }),
            _ => EventEffect::Ignored,
        },
        "entity_responsible_changed" => match (entity, wire::Event::responsible_user(&e.value_after)) {
            (Some(EntityRef::Deal(deal_id)), Some(to)) => EventEffect::ResponsibleChange {
                deal_id,
                change: ResponsibleChange {
                    at,
                    from: wire::Event::responsible_user(&e.value_before).flatten(),
                    to,
                },
            },
            _ => EventEffect::Ignored,
        },
        "lead_added" => match id {
            Some(deal_id) => EventEffect::LeadAdded {
                deal_id,
                at,
                author_id: e.created_by,
            },
            None => EventEffect::Ignored,
        },
        "incoming_chat_message" | "outgoing_chat_message" => EventEffect::Activity(Activity {
            id: string_id(&e.id),
            kind: if e.event_type.starts_with("incoming") {
                ActivityKind::ChatIn
            } else {
                ActivityKind::ChatOut
            },
            manager_id: e.created_by,
            entity,
            at,
            duration_s: 0,
            connected: true,
            source: Source::Amocrm,
        }),
        "incoming_call" | "outgoing_call" => match (entity, e.note_id()) {
            (Some(entity), Some(note_id)) => EventEffect::CallNote { entity, note_id },
            _ => EventEffect::Ignored,
        },
        t if t.ends_with("_deleted") || t.ends_with("_restored") => {
            let kind = t.rsplit_once('_').and_then(|(k, _)| entity_kind(k));
            match (kind, id) {
                (Some(kind), Some(id)) if t.ends_with("_deleted") => EventEffect::Deleted { kind, id, at },
                (Some(kind), Some(id)) => EventEffect::Restored { kind, id, at },
                _ => EventEffect::Ignored,
            }
        }
        _ => EventEffect::Ignored,
    }
}

/// Merges status changes into a deal's history: the moves already known plus the
/// new ones, deduplicated by (instant, pipeline, stage) so re-reading the same
/// events (overlap windows, resumed runs) changes nothing. The first move (the
/// creation) takes the stage the earliest known change moved *from*.
pub fn merge_history(deal: &mut Deal, changes: &[StatusChange]) {
    if changes.is_empty() {
        return;
    }
    let first = deal.history.first().copied().unwrap_or(StageMove {
        at: deal.created_at,
        pipeline_id: deal.pipeline_id,
        stage_id: deal.stage_id,
        author_id: None,
    });
    let mut moves: Vec<StageMove> = deal.history.iter().skip(1).copied().collect();
    moves.extend(changes.iter().map(|c| StageMove {
        at: c.at,
        pipeline_id: c.to.0,
        stage_id: c.to.1,
        author_id: c.author_id,
    }));
    moves.sort_by_key(|m| m.at);
    let mut seen = std::collections::HashSet::new();
    moves.retain(|m| seen.insert((m.at, m.pipeline_id, m.stage_id)));
    let earliest_existing = deal.history.get(1).map(|m| m.at);
    let earliest_change = changes.iter().filter(|c| c.from.is_some()).min_by_key(|c| c.at);
    let mut first = first;
    if let Some(c) = earliest_change
        && earliest_existing.is_none_or(|e| c.at <= e)
        && let Some((p, s)) = c.from
    {
        first.pipeline_id = p;
        first.stage_id = s;
    }
    deal.history = std::iter::once(first).chain(moves).collect();
}

/// Merges responsible-manager changes into a deal's, deduplicated by
/// (instant, from, to) so re-reading the same events changes nothing.
pub fn merge_responsible(deal: &mut Deal, changes: &[ResponsibleChange]) {
    if changes.is_empty() {
        return;
    }
    deal.responsible_changes.extend_from_slice(changes);
    deal.responsible_changes.sort_by_key(|c| (c.at, c.from, c.to));
    deal.responsible_changes.dedup();
}

/// The deal fields that carry payment terms, resolved from the config's `[fields]`
/// mapping (`payment_due_date`, `paid_date`, `paid_amount`: a field id or an exact name).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PaymentFields {
    pub due_date: Option<Id>,
    pub paid_date: Option<Id>,
    pub paid_amount: Option<Id>,
}

impl PaymentFields {
    pub fn resolve<'a>(mapping: &FieldMapping, defs: impl IntoIterator<Item = &'a FieldDef>) -> PaymentFields {
        let deal_defs: Vec<&FieldDef> = defs.into_iter().filter(|d| d.entity == EntityKind::Deal).collect();
        let find = |key: &str| -> Option<Id> {
            let key = key.trim();
            if key.is_empty() {
                return None;
            }
            match key.parse::<Id>() {
                Ok(id) => Some(id),
                Err(_) => deal_defs.iter().find(|d| d.name.trim() == key).map(|d| d.id),
            }
        };
        PaymentFields {
            due_date: find(&mapping.payment_due_date),
            paid_date: find(&mapping.paid_date),
            paid_amount: find(&mapping.paid_amount),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.due_date.is_none() && self.paid_date.is_none() && self.paid_amount.is_none()
    }
}

fn field_date(deal: &Deal, id: Option<Id>, tz: Tz) -> Option<NaiveDate> {
    match tsifra_core::model::field_value(&deal.fields, id?)? {
        FieldValue::Date(d) => Some(*d),
        FieldValue::Instant(t) => Some(t.with_timezone(&tz).date_naive()),
        _ => None,
    }
}

/// A won deal's payment as its mapped fields describe it (one payment per deal, with the
/// deal's id): due the mapped due date, the deal's amount, paid the mapped amount (or in
/// full when only a paid date is mapped). `None` for deals not won or without payment fields.
pub fn payment_from_deal(deal: &Deal, fields: &PaymentFields, tz: Tz) -> Option<Payment> {
    if fields.is_empty() || deal.stage_id != AMOCRM_WON_STATUS {
        return None;
    }
    let due_date = field_date(deal, fields.due_date, tz);
    let paid_date = field_date(deal, fields.paid_date, tz);
    let paid = fields
        .paid_amount
        .and_then(|id| match tsifra_core::model::field_value(&deal.fields, id)? {
            FieldValue::Money(m) => Some(*m),
            FieldValue::Number(n) => Money::from_decimal(*n),
            _ => None,
        });
    if due_date.is_none() && paid_date.is_none() && paid.is_none() {
        return None;
    }
    let amount_paid = match (paid, paid_date, fields.paid_amount) {
        (Some(p), _, _) => p,
        (None, Some(_), None) => deal.amount,
        _ => Money::ZERO,
    };
    Some(Payment {
        id: deal.id,
        deal_id: Some(deal.id),
        company_id: deal.company_id,
        amount_due: deal.amount,
        due_date,
        amount_paid,
        paid_date,
        source: Source::Amocrm,
    })
}

/// Payments of re-read deals: upserts for won deals with payment fields, and deletions of
/// the derived payment of deals that are no longer won (reopened, lost).
pub fn deal_payments(deals: &[Deal], ctx: &MapContext) -> (Vec<Payment>, Vec<(EntityKind, Id)>) {
    let mut payments = Vec::new();
    let mut gone = Vec::new();
    if ctx.payment_fields.is_empty() {
        return (payments, gone);
    }
    for d in deals {
        match payment_from_deal(d, &ctx.payment_fields, ctx.tz) {
            Some(p) => payments.push(p),
            None => gone.push((EntityKind::Payment, d.id)),
        }
    }
    (payments, gone)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deal() -> Deal {
        let lead = wire::Lead {
            id: 1,
            status_id: Some(30),
            pipeline_id: Some(9),
            created_at: Some(100),
            created_by: Some(5),
            ..wire::Lead::default()
        };
        map_lead(&lead, &MapContext::new("https://x.amocrm.ru"), None)
    }

    fn change(at: i64, from: Id, to: Id) -> StatusChange {
        StatusChange {
            deal_id: 1,
            at: instant(at),
            from: Some((9, from)),
            to: (9, to),
            author_id: Some(6),
        }
    }

    #[test]
    fn history_from_events_in_any_order_and_any_number_of_times() {
        let mut d = deal();
        assert_eq!(d.history.len(), 1, "created into its current stage until events say otherwise");
        // Newest page first (the feed's order), then the older page, then the newest again (overlap).
        merge_history(&mut d, &[change(300, 20, 30)]);
        merge_history(&mut d, &[change(200, 10, 20)]);
        merge_history(&mut d, &[change(300, 20, 30), change(200, 10, 20)]);
        let stages: Vec<(i64, Id)> = d.history.iter().map(|m| (m.at.timestamp(), m.stage_id)).collect();
        assert_eq!(stages, vec![(100, 10), (200, 20), (300, 30)]);
        assert_eq!(d.history[0].author_id, Some(5));
        // A re-read lead keeps the history it had.
        let again = map_lead(
            &wire::Lead {
                id: 1,
                status_id: Some(30),
                pipeline_id: Some(9),
                created_at: Some(100),
                ..wire::Lead::default()
            },
            &MapContext::new(""),
            Some(&d),
        );
        assert_eq!(again.history, d.history);
    }

    #[test]
    fn calls_connect_by_status_or_duration() {
        let note = |params: serde_json::Value| wire::Note {
            id: 1,
            entity_id: Some(2),
            note_type: "call_out".into(),
            params,
            created_by: Some(7),
            ..wire::Note::default()
        };
        let a = map_note(
            &note(serde_json::json!({"duration": "45", "call_status": 4, "call_responsible": 9})),
            EntityKind::Contact,
        )
        .unwrap();
        assert_eq!(
            (a.kind, a.duration_s, a.connected, a.manager_id),
            (ActivityKind::CallOut, 45, true, Some(9))
        );
        let a = map_note(&note(serde_json::json!({"duration": 30, "call_status": "6"})), EntityKind::Contact).unwrap();
        assert!(!a.connected, "no answer, whatever the duration");
        let a = map_note(
            &note(serde_json::json!({"duration": 0, "call_responsible": "Василий"})),
            EntityKind::Contact,
        )
        .unwrap();
        assert_eq!((a.connected, a.manager_id), (false, Some(7)));
        let a = map_note(&note(serde_json::json!({"duration": 12})), EntityKind::Contact).unwrap();
        assert!(a.connected);
    }

    #[test]
    fn string_ids_are_stable_and_numeric_ones_kept() {
        assert_eq!(string_id("123"), 123);
        assert_eq!(string_id("01pz58t6p04ymgsgfbmfyfy1mf"), string_id("01pz58t6p04ymgsgfbmfyfy1mf"));
        assert!(string_id("01pz58t6p04ymgsgfbmfyfy1mf") > 1 << 62);
    }
}
