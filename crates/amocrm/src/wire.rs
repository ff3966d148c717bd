//! Serde types for amoCRM API v4 JSON as it really arrives (AMOCRM.md §4–§7):
//! the HAL envelope (`_page`, `_links`, `_embedded`) and every entity we read.
//! Every field but `id` is optional, unknown fields are ignored, and the
//! documented quirks go through the lenient helpers in [`crate::de`].

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::de;

/// One page of a list endpoint. `_embedded` holds one array under the
/// resource's name (`leads`, `custom_fields`, ...), taken whatever its name.
#[derive(Clone, Debug, Default)]
pub struct Page<T> {
    pub page: Option<i64>,
    /// `_links.next` is present: there is another page. Only a flag: the next
    /// request is built from our own base URL, because the link may name a shard host.
    pub has_next: bool,
    pub total_items: Option<u64>,
    pub page_count: Option<u64>,
    pub items: Vec<T>,
    /// Items that did not parse (skipped), with the first error, so a single odd
    /// record does not stop a sync but is still reported.
    pub skipped: usize,
    pub first_error: Option<String>,
}

impl<T: DeserializeOwned> Page<T> {
    /// Parses a page body. An empty body (HTTP 204) is an empty last page.
    pub fn parse(body: &[u8]) -> Result<Page<T>, serde_json::Error> {
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Page::empty());
        }
        let v: Value = serde_json::from_slice(body)?;
        Ok(Page::from_value(v))
    }

    pub fn empty() -> Page<T> {
        Page {
            page: None,
            has_next: false,
            total_items: None,
            page_count: None,
            items: Vec::new(),
            skipped: 0,
            first_error: None,
        }
    }

    pub fn from_value(mut v: Value) -> Page<T> {
        let mut page = Page::empty();
        page.page = v.get("_page").and_then(de::value_to_i64);
        page.has_next = v.pointer("/_links/next/href").is_some_and(|h| !h.is_null());
        page.total_items = v.get("_total_items").and_then(de::value_to_i64).and_then(|n| u64::try_from(n).ok());
        page.page_count = v.get("_page_count").and_then(de::value_to_i64).and_then(|n| u64::try_from(n).ok());
        let embedded = v.get_mut("_embedded").map(Value::take).unwrap_or(Value::Null);
        let list = match embedded {
            Value::Object(map) => map.into_iter().map(|(_, v)| v).find(|v| v.is_array()).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        if let Value::Array(items) = list {
            page.items.reserve(items.len());
            for item in items {
                match serde_json::from_value::<T>(item) {
                    Ok(t) => page.items.push(t),
                    Err(e) => {
                        page.skipped += 1;
                        page.first_error.get_or_insert_with(|| e.to_string());
                    }
                }
            }
        }
        page
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Account {
    #[serde(deserialize_with = "de::id")]
    pub id: i64,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
    #[serde(default, deserialize_with = "de::string")]
    pub subdomain: String,
    /// ISO code such as "RUB"; present on current accounts, absent in the docs' example.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub currency: Option<String>,
    /// Only with `with=is_api_filter_enabled`: the paid API filtering package is on.
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_api_filter_enabled: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_loss_reason_enabled: Option<bool>,
    #[serde(default, rename = "_embedded")]
    pub embedded: AccountEmbedded,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AccountEmbedded {
    #[serde(default, deserialize_with = "de::list")]
    pub users_groups: Vec<Group>,
    #[serde(default, deserialize_with = "de::list")]
    pub task_types: Vec<TaskType>,
    #[serde(default, deserialize_with = "de::opt_object")]
    pub datetime_settings: Option<DatetimeSettings>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct DatetimeSettings {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub timezone: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub timezone_offset: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Group {
    #[serde(deserialize_with = "de::id")]
    pub id: i64,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct TaskType {
    #[serde(deserialize_with = "de::id")]
    pub id: i64,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub code: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct User {
    #[serde(deserialize_with = "de::id")]
    pub id: i64,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "de::opt_object")]
    pub rights: Option<UserRights>,
    #[serde(default, rename = "_embedded")]
    pub embedded: UserEmbedded,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct UserRights {
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_active: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_admin: Option<bool>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub group_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub role_id: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct UserEmbedded {
    #[serde(default, deserialize_with = "de::list")]
    pub groups: Vec<Group>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Pipeline {
    #[serde(deserialize_with = "de::id")]
    pub id: i64,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub sort: Option<i64>,
    #[serde(default, deserialize_with = "de::bool_")]
    pub is_main: bool,
    #[serde(default, deserialize_with = "de::bool_")]
    pub is_archive: bool,
    #[serde(default, rename = "_embedded")]
    pub embedded: PipelineEmbedded,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PipelineEmbedded {
    #[serde(default, deserialize_with = "de::list")]
    pub statuses: Vec<Status>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Status {
    #[serde(deserialize_with = "de::id")]
    pub id: i64,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub sort: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub pipeline_id: Option<i64>,
    /// 1 = "unsorted" (Неразобранное), 0 = normal. Won/lost are told by id (142/143), not by type.
    #[serde(default, rename = "type", deserialize_with = "de::opt_i64")]
    pub kind: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_editable: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct LossReason {
    #[serde(deserialize_with = "de::id")]
    pub id: i64,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub sort: Option<i64>,
}

/// A custom field definition (`/api/v4/{entity}/custom_fields`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CustomField {
    #[serde(deserialize_with = "de::id")]
    pub id: i64,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub code: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub sort: Option<i64>,
    #[serde(default, rename = "type", deserialize_with = "de::string")]
    pub field_type: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub entity_type: Option<String>,
    #[serde(default, deserialize_with = "de::list")]
    pub enums: Vec<FieldEnum>,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_predefined: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct FieldEnum {
    #[serde(deserialize_with = "de::id")]
    pub id: i64,
    #[serde(default, deserialize_with = "de::string")]
    pub value: String,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub sort: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub code: Option<String>,
}

/// The values of one custom field inside an entity (`custom_fields_values[]`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct FieldValues {
    #[serde(deserialize_with = "de::id")]
    pub field_id: i64,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub field_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub field_code: Option<String>,
    /// The type name ("numeric", "multitext", ...); the definition is preferred when known.
    #[serde(default, deserialize_with = "de::opt_string")]
    pub field_type: Option<String>,
    #[serde(default, deserialize_with = "de::list")]
    pub values: Vec<FieldValueItem>,
}

/// One value: a string, number, boolean, timestamp or object depending on the field type.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct FieldValueItem {
    #[serde(default)]
    pub value: Value,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub enum_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub enum_code: Option<String>,
    /// Older spelling of `enum_code` seen in the contact example (`"enum": "WORK"`).
    #[serde(default, rename = "enum", deserialize_with = "de::opt_string")]
    pub enum_name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Tag {
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
}

/// `{id, is_main?}` references in `_embedded.companies|contacts|leads`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct EntityLink {
    #[serde(deserialize_with = "de::id")]
    pub id: i64,
    #[serde(default, deserialize_with = "de::opt_bool")]
    pub is_main: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct LeadSource {
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Lead {
    #[serde(deserialize_with = "de::id")]
    pub id: i64,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
    /// Budget in whole currency units, as sent: a number or a numeric string,
    /// read by [`crate::map::amount`] so an unusable one can be reported.
    #[serde(default)]
    pub price: Option<serde_json::Value>,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub responsible_user_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub group_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub status_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub pipeline_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub loss_reason_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub source_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub created_by: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub updated_by: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub created_at: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub updated_at: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub closed_at: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub closest_task_at: Option<i64>,
    #[serde(default, deserialize_with = "de::bool_")]
    pub is_deleted: bool,
    #[serde(default, deserialize_with = "de::list")]
    pub custom_fields_values: Vec<FieldValues>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub account_id: Option<i64>,
    #[serde(default, rename = "_embedded")]
    pub embedded: LeadEmbedded,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct LeadEmbedded {
    #[serde(default, deserialize_with = "de::list")]
    pub tags: Vec<Tag>,
    #[serde(default, deserialize_with = "de::list")]
    pub companies: Vec<EntityLink>,
    /// Only with `with=contacts`.
    #[serde(default, deserialize_with = "de::list")]
    pub contacts: Vec<EntityLink>,
    /// Documented as an object, shown as an array: both accepted.
    #[serde(default, deserialize_with = "de::list")]
    pub loss_reason: Vec<LossReason>,
    #[serde(default, deserialize_with = "de::opt_object")]
    pub source: Option<LeadSource>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Contact {
    #[serde(deserialize_with = "de::id")]
    pub id: i64,
    #[serde(default, deserialize_with = "de::string")]
    pub name: String,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub first_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub last_name: Option<String>,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub responsible_user_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub created_by: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub created_at: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub updated_at: Option<i64>,
    #[serde(default, deserialize_with = "de::bool_")]
    pub is_deleted: bool,
    #[serde(default, deserialize_with = "de::list")]
    pub custom_fields_values: Vec<FieldValues>,
    #[serde(default, rename = "_embedded")]
    pub embedded: PartyEmbedded,
}

/// A company has the same shape as a contact minus the first/last name.
pub type Company = Contact;

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PartyEmbedded {
    #[serde(default, deserialize_with = "de::list")]
    pub tags: Vec<Tag>,
    #[serde(default, deserialize_with = "de::list")]
    pub companies: Vec<EntityLink>,
    #[serde(default, deserialize_with = "de::list")]
    pub contacts: Vec<EntityLink>,
    #[serde(default, deserialize_with = "de::list")]
    pub leads: Vec<EntityLink>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Task {
    #[serde(deserialize_with = "de::id")]
    pub id: i64,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub created_by: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub updated_by: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub created_at: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub updated_at: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub responsible_user_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub entity_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub entity_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub duration: Option<i64>,
    #[serde(default, deserialize_with = "de::bool_")]
    pub is_completed: bool,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub task_type_id: Option<i64>,
    #[serde(default, deserialize_with = "de::string")]
    pub text: String,
    /// `[]` when empty, `{"text": ...}` when filled.
    #[serde(default, deserialize_with = "de::opt_object")]
    pub result: Option<TaskResult>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub complete_till: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct TaskResult {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub text: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Note {
    #[serde(deserialize_with = "de::id")]
    pub id: i64,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub entity_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub created_by: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub created_at: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub updated_at: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub responsible_user_id: Option<i64>,
    #[serde(default, deserialize_with = "de::string")]
    pub note_type: String,
    /// Type-specific; read through the accessors below.
    #[serde(default)]
    pub params: Value,
}

impl Note {
    /// Call length in seconds (`params.duration`, a number or a string).
    pub fn duration(&self) -> Option<i64> {
        self.params.get("duration").and_then(de::value_to_i64)
    }
    /// `params.call_status`: 4 means the talk took place (calls-api).
    pub fn call_status(&self) -> Option<i64> {
        self.params.get("call_status").and_then(de::value_to_i64)
    }
    /// `params.call_responsible`: a user id, or a name for calls from unknown numbers.
    pub fn call_responsible(&self) -> Option<i64> {
        self.params.get("call_responsible").and_then(de::value_to_i64).filter(|&n| n != 0)
    }
    /// `params.income` of e-mail notes: true for an incoming letter.
    pub fn income(&self) -> Option<bool> {
        self.params.get("income").and_then(de::value_to_bool)
    }
    /// A service message about a meeting ("Встреча ..." from a calendar integration).
    pub fn mentions_meeting(&self) -> bool {
        ["service", "text"]
            .iter()
            .filter_map(|k| self.params.get(*k).and_then(de::value_to_string))
            .any(|t| {
                let t = t.to_lowercase();
                t.contains("встреч") || t.contains("meeting")
            })
    }
    pub fn text(&self) -> Option<String> {
        self.params.get("text").and_then(de::value_to_string)
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Event {
    /// A string (ULID-like) in the API; numbers accepted too.
    #[serde(deserialize_with = "de::string")]
    pub id: String,
    #[serde(default, rename = "type", deserialize_with = "de::string")]
    pub event_type: String,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub entity_id: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub entity_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_ref")]
    pub created_by: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub created_at: Option<i64>,
    #[serde(default, deserialize_with = "de::list")]
    pub value_after: Vec<Value>,
    #[serde(default, deserialize_with = "de::list")]
    pub value_before: Vec<Value>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub account_id: Option<i64>,
}

impl Event {
    /// `lead_status` of `value_after` / `value_before`: (pipeline id, status id).
    pub fn lead_status(values: &[Value]) -> Option<(i64, i64)> {
        values.iter().find_map(|v| {
            let s = v.get("lead_status")?;
            Some((
                s.get("pipeline_id").and_then(de::value_to_i64)?,
                s.get("id").and_then(de::value_to_i64)?,
            ))
        })
    }
    /// `responsible_user.id` of `value_after` / `value_before`: `Some(None)` for
    /// "nobody" (id 0 or null), `None` when the values do not say.
    pub fn responsible_user(values: &[Value]) -> Option<Option<i64>> {
        values.iter().find_map(|v| {
            let u = v.get("responsible_user")?;
            Some(u.get("id").and_then(de::value_to_i64).filter(|id| *id != 0))
        })
    }
    /// `note.id` of `value_after` (calls, lead_added, common notes).
    pub fn note_id(&self) -> Option<i64> {
        self.value_after
            .iter()
            .find_map(|v| v.get("note")?.get("id").and_then(de::value_to_i64))
    }
    /// `message.id` of chat events (a UUID string).
    pub fn message_id(&self) -> Option<String> {
        self.value_after
            .iter()
            .find_map(|v| v.get("message")?.get("id").and_then(de::value_to_string))
    }
}

/// `POST /oauth2/access_token` answer.
#[derive(Clone, Deserialize)]
pub struct TokenResponse {
    #[serde(default, deserialize_with = "de::string")]
    pub token_type: String,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub expires_in: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub server_time: Option<i64>,
    pub access_token: crate::secret::Secret,
    pub refresh_token: crate::secret::Secret,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// An `application/problem+json` error body.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Problem {
    #[serde(default, deserialize_with = "de::opt_string")]
    pub title: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "de::opt_string")]
    pub problem_type: Option<String>,
    #[serde(default, deserialize_with = "de::opt_i64")]
    pub status: Option<i64>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub detail: Option<String>,
    #[serde(default, deserialize_with = "de::opt_string")]
    pub hint: Option<String>,
    #[serde(default, rename = "validation-errors")]
    pub validation_errors: Value,
}

impl Problem {
    /// "title: detail (hint)" plus the first validation error's path and detail.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(t) = &self.title {
            parts.push(t.clone());
        }
        if let Some(d) = &self.detail {
            parts.push(d.clone());
        }
        let mut text = parts.join(": ");
        if let Some(h) = &self.hint {
            text.push_str(&format!(" ({h})"));
        }
        if let Some(e) = self.validation_errors.pointer("/0/errors/0") {
            let path = e.get("path").and_then(de::value_to_string).unwrap_or_default();
            let detail = e.get("detail").and_then(de::value_to_string).unwrap_or_default();
            text.push_str(&format!("; {path}: {detail}"));
        }
        text
    }
}
