//! amoCRM's webhooks (AMOCRM.md §8): form-encoded bodies with PHP-style keys
//! (`leads[status][0][id]=...`) parsed into the list of entities to re-read.
//! Webhooks are only a change signal: the sync engine re-reads every entity by
//! id through the API (see `SyncEngine::apply_webhook`) before trusting anything.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use tsifra_core::model::{EntityKind, EntityRef, Id};

use crate::de;

/// What happened to an entity, as the webhook's action key says.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Add,
    Update,
    Delete,
    Restore,
    Status,
    Responsible,
    Note,
    Other(String),
}

impl Action {
    fn parse(s: &str) -> Action {
        match s {
            "add" => Action::Add,
            "update" => Action::Update,
            "delete" => Action::Delete,
            "restore" => Action::Restore,
            "status" => Action::Status,
            "responsible" => Action::Responsible,
            "note" => Action::Note,
            other => Action::Other(other.to_string()),
        }
    }
}

/// One changed entity: a deal, contact, company or task by id, or a note
/// (an activity) with the entity it hangs on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub kind: EntityKind,
    pub id: Id,
    pub action: Action,
    /// For notes: the deal, contact or company the note belongs to.
    pub parent: Option<EntityRef>,
}

/// A parsed webhook body.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payload {
    pub subdomain: Option<String>,
    pub account_id: Option<Id>,
    pub changes: Vec<Change>,
    /// Items of entities we do not read (customers, chats, catalogs...), counted for logs.
    pub ignored: usize,
    /// Keys that were not `name[..][..]` shaped (one trailing broken key is common), counted for logs.
    pub malformed_keys: usize,
}

impl Payload {
    /// Changes with duplicates (same entity, several actions) collapsed, in the
    /// order each entity first appears; a deletion wins over other actions only
    /// when it is the last one in the body. Linear: a bulk edit names tens of
    /// thousands of entities.
    pub fn unique_targets(&self) -> Vec<Change> {
        let mut out: Vec<Change> = Vec::new();
        let mut at: HashMap<(EntityKind, Id), usize> = HashMap::with_capacity(self.changes.len());
        for c in &self.changes {
            merge(&mut out, &mut at, c.clone());
        }
        out
    }
}

/// Puts `c` in `out` once per entity: a later action replaces an earlier one in place.
fn merge(out: &mut Vec<Change>, at: &mut HashMap<(EntityKind, Id), usize>, c: Change) -> bool {
    match at.entry((c.kind, c.id)) {
        std::collections::hash_map::Entry::Occupied(e) => {
            out[*e.get()] = c;
            false
        }
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(out.len());
            out.push(c);
            true
        }
    }
}

/// Entities named by webhooks and not re-read yet, merged across webhooks (one
/// entry per entity, its latest action) and bounded: past `capacity` entities
/// more are dropped and [`Backlog::take`] says so, for the next sync to read them.
/// A burst of webhooks thus costs one re-read of what they name, not one each.
#[derive(Debug)]
pub struct Backlog {
    capacity: usize,
    changes: Vec<Change>,
    at: HashMap<(EntityKind, Id), usize>,
    overflowed: bool,
}

impl Backlog {
    pub fn new(capacity: usize) -> Backlog {
        Backlog {
            capacity: capacity.max(1),
            changes: Vec::new(),
            at: HashMap::new(),
            overflowed: false,
        }
    }

    /// Adds a webhook's changes; returns how many were dropped for want of room.
    pub fn push(&mut self, payload: Payload) -> usize {
        let mut dropped = 0;
        for c in payload.changes {
            if self.changes.len() >= self.capacity && !self.at.contains_key(&(c.kind, c.id)) {
                dropped += 1;
                continue;
            }
            merge(&mut self.changes, &mut self.at, c);
        }
        if dropped > 0 {
            self.overflowed = true;
        }
        dropped
    }

    /// Everything waiting, as one payload, and whether some was dropped since
    /// the last take; `None` when nothing waits.
    pub fn take(&mut self) -> Option<(Payload, bool)> {
        if self.changes.is_empty() && !self.overflowed {
            return None;
        }
        self.at.clear();
        let payload = Payload {
            changes: std::mem::take(&mut self.changes),
            ..Payload::default()
        };
        Some((payload, std::mem::take(&mut self.overflowed)))
    }

    pub fn len(&self) -> usize {
        self.changes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookError {
    #[error("empty webhook body")]
    Empty,
    #[error("webhook body is not valid JSON: {0}")]
    Json(String),
    #[error("webhook body has no amoCRM entity changes (expected keys such as leads[status][0][id])")]
    NoChanges,
}

/// Parses a webhook body: `application/x-www-form-urlencoded` as amoCRM sends it,
/// or the same structure as JSON (digital pipeline docs show it that way).
/// Never panics; an error means "answer 400".
pub fn parse(body: &[u8]) -> Result<Payload, WebhookError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => Err(WebhookError::Empty),
        Some(b'{') => {
            let v: Value = serde_json::from_slice(body).map_err(|e| WebhookError::Json(e.to_string()))?;
            parse_json(&v)
        }
        Some(_) => parse_form(body),
    }
}

/// Items keyed by (root, action, index) with their fields as flat dotted paths.
type Items = BTreeMap<(String, String, String), HashMap<String, String>>;

fn parse_form(body: &[u8]) -> Result<Payload, WebhookError> {
    let mut payload = Payload::default();
    let mut items: Items = BTreeMap::new();
    for (key, value) in form_urlencoded::parse(body) {
        let Some(segments) = split_key(&key) else {
            payload.malformed_keys += 1;
            continue;
        };
        if segments[0] == "account" {
            account_field(&mut payload, segments.get(1).map(String::as_str), &value);
            continue;
        }
        if segments.len() < 4 {
            payload.malformed_keys += 1;
            continue;
        }
        let path = segments[3..].join(".");
        items
            .entry((segments[0].clone(), segments[1].clone(), segments[2].clone()))
            .or_default()
            .insert(path, value.into_owned());
    }
    finish(payload, items)
}

fn account_field(payload: &mut Payload, field: Option<&str>, value: &str) {
    match field {
        Some("subdomain") => payload.subdomain = Some(value.to_string()),
        Some("id") => payload.account_id = value.trim().parse().ok(),
        _ => {}
    }
}

/// `leads[status][0][custom_fields][0][id]` -> ["leads", "status", "0", "custom_fields", "0", "id"];
/// `None` when brackets do not pair up or a segment is empty.
fn split_key(key: &str) -> Option<Vec<String>> {
    let (root, mut rest) = match key.find('[') {
        Some(i) => (&key[..i], &key[i..]),
        None => (key, ""),
    };
    if root.is_empty() {
        return None;
    }
    let mut segments = vec![root.to_string()];
    while !rest.is_empty() {
        let inner = rest.strip_prefix('[')?;
        let close = inner.find(']')?;
        let segment = &inner[..close];
        if segment.is_empty() {
            return None;
        }
        segments.push(segment.to_string());
        rest = &inner[close + 1..];
    }
    Some(segments)
}

fn parse_json(v: &Value) -> Result<Payload, WebhookError> {
    let mut payload = Payload::default();
    let mut items: Items = BTreeMap::new();
    let Value::Object(roots) = v else {
        return Err(WebhookError::NoChanges);
    };
    for (root, actions) in roots {
        if root == "account" {
            if let Value::Object(fields) = actions {
                for (k, v) in fields {
                    account_field(&mut payload, Some(k), &de::value_to_string(v).unwrap_or_default());
                }
            }
            continue;
        }
        let Value::Object(actions) = actions else { continue };
        for (action, list) in actions {
            let mut index = 0usize;
            for item in de::list_from_value::<Value>(list.clone()) {
                // The task example nests each item once more under "0".
                let inner: Vec<Value> = if item.get("id").is_none() {
                    de::list_from_value(item.clone())
                } else {
                    vec![item]
                };
                for item in inner {
                    let mut fields = HashMap::new();
                    flatten("", &item, &mut fields);
                    items.insert((root.clone(), action.clone(), index.to_string()), fields);
                    index += 1;
                }
            }
        }
    }
    finish(payload, items)
}

fn flatten(prefix: &str, v: &Value, out: &mut HashMap<String, String>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}.{i}"), v, out);
            }
        }
        other => {
            if let Some(s) = de::value_to_string(other) {
                out.insert(prefix.to_string(), s);
            }
        }
    }
}

fn finish(mut payload: Payload, items: Items) -> Result<Payload, WebhookError> {
    let recognised = !items.is_empty() || payload.subdomain.is_some() || payload.account_id.is_some();
    for ((root, action, _), fields) in items {
        let action = Action::parse(&action);
        let get_id = |k: &str| fields.get(k).and_then(|s| s.trim().parse::<Id>().ok());
        let kind = match root.as_str() {
            "leads" => Some(EntityKind::Deal),
            // Companies arrive under `contacts` with `[type]=company`.
            "contacts" if fields.get("type").map(String::as_str) == Some("company") => Some(EntityKind::Company),
            "contacts" => Some(EntityKind::Contact),
            "companies" => Some(EntityKind::Company),
            "task" | "tasks" => Some(EntityKind::Task),
            _ => None,
        };
        let Some(kind) = kind else {
            payload.ignored += 1;
            continue;
        };
        if action == Action::Note {
            let note_id = get_id("note.id").or_else(|| get_id("id"));
            let parent_id = get_id("note.element_id").or_else(|| get_id("element_id"));
            match (note_id, parent_id.and_then(|p| EntityRef::new(kind, p))) {
                (Some(id), Some(parent)) => payload.changes.push(Change {
                    kind: EntityKind::Activity,
                    id,
                    action,
                    parent: Some(parent),
                }),
                _ => payload.ignored += 1,
            }
            continue;
        }
        match get_id("id") {
            Some(id) => payload.changes.push(Change {
                kind,
                id,
                action,
                parent: None,
            }),
            None => payload.ignored += 1,
        }
    }
    if payload.changes.is_empty() && !recognised {
        return Err(WebhookError::NoChanges);
    }
    Ok(payload)
}

/// Builds a form body in amoCRM's shape (for the fake server and tests):
/// `(entity, action, id)` per item, e.g. `(EntityKind::Deal, "status", 42)`.
pub fn form_body(subdomain: &str, items: &[(EntityKind, &str, Id)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    let mut counters: HashMap<(String, String), usize> = HashMap::new();
    for &(kind, action, id) in items {
        let (root, kind_name) = match kind {
            EntityKind::Deal => ("leads", "lead"),
            EntityKind::Contact => ("contacts", "contact"),
            EntityKind::Company => ("contacts", "company"),
            EntityKind::Task => ("task", "task"),
            _ => continue,
        };
        let counter = counters.entry((root.to_string(), action.to_string())).or_insert(0);
        let i = *counter;
        *counter += 1;
        out.append_pair(&format!("{root}[{action}][{i}][id]"), &id.to_string());
        if root == "contacts" || action == "delete" {
            out.append_pair(&format!("{root}[{action}][{i}][type]"), kind_name);
        }
    }
    out.append_pair("account[subdomain]", subdomain);
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_change_with_custom_fields_and_a_broken_trailing_key() {
        let body = "leads%5Bstatus%5D%5B0%5D%5Bid%5D=7&leads%5Bstatus%5D%5B0%5D%5Bstatus_id%5D=142\
                    &leads%5Bstatus%5D%5B0%5D%5Bcustom_fields%5D%5B0%5D%5Bid%5D=5&leads%5Bstatus%5D%5B0%5D%5B&account%5Bsubdomain%5D=acme";
        let p = parse(body.as_bytes()).unwrap();
        assert_eq!(p.subdomain.as_deref(), Some("acme"));
        assert_eq!(p.malformed_keys, 1);
        assert_eq!(
            p.changes,
            vec![Change {
                kind: EntityKind::Deal,
                id: 7,
                action: Action::Status,
                parent: None
            }]
        );
    }

    #[test]
    fn companies_come_under_contacts() {
        let p =
            parse(b"contacts[delete][0][id]=9&contacts[delete][0][type]=company&contacts[add][0][id]=10&contacts[add][0][type]=contact")
                .unwrap();
        let kinds: Vec<_> = p.changes.iter().map(|c| (c.kind, c.id, c.action.clone())).collect();
        assert!(kinds.contains(&(EntityKind::Company, 9, Action::Delete)));
        assert!(kinds.contains(&(EntityKind::Contact, 10, Action::Add)));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert_eq!(parse(b""), Err(WebhookError::Empty));
        assert_eq!(parse(b"hello"), Err(WebhookError::NoChanges));
        assert_eq!(parse(b"[[[=]]]&%%%"), Err(WebhookError::NoChanges));
        assert!(matches!(parse(b"{not json"), Err(WebhookError::Json(_))));
        assert_eq!(parse(b"leads[add][x"), Err(WebhookError::NoChanges));
        assert_eq!(parse(&[0xff, 0xfe, b'=', 0x80]), Err(WebhookError::NoChanges));
    }

    #[test]
    fn notes_and_tasks() {
        let p = parse(b"leads[note][0][note][id]=55&leads[note][0][note][element_id]=7&task[update][0][id]=3&account[id]=12").unwrap();
        assert_eq!(p.account_id, Some(12));
        assert!(p.changes.contains(&Change {
            kind: EntityKind::Activity,
            id: 55,
            action: Action::Note,
            parent: Some(EntityRef::Deal(7))
        }));
        assert!(p.changes.iter().any(|c| c.kind == EntityKind::Task && c.id == 3));
    }

    /// A bulk edit: 40,000 deals, each named twice (an update, then a deletion for
    /// every tenth). One entry each, in first-seen order, with the last action.
    #[test]
    fn duplicates_collapse_to_the_last_action_in_first_seen_order() {
        let mut changes = Vec::new();
        for round in 0..2 {
            for id in 1..=40_000 {
                let action = if round == 1 && id % 10 == 0 {
                    Action::Delete
                } else {
                    Action::Update
                };
                changes.push(Change {
                    kind: EntityKind::Deal,
                    id,
                    action,
                    parent: None,
                });
            }
        }
        changes.push(Change {
            kind: EntityKind::Company,
            id: 7,
            action: Action::Add,
            parent: None,
        });
        let payload = Payload {
            changes,
            ..Payload::default()
        };
        let unique = payload.unique_targets();
        assert_eq!(unique.len(), 40_001);
        assert!(
            unique[..40_000]
                .iter()
                .zip(1..)
                .all(|(c, id)| c.id == id && c.kind == EntityKind::Deal)
        );
        assert_eq!(unique[9].action, Action::Delete);
        assert_eq!(unique[10].action, Action::Update);
        assert_eq!((unique[40_000].kind, unique[40_000].id), (EntityKind::Company, 7));
    }

    #[test]
    fn the_backlog_merges_webhooks_and_drops_past_its_capacity() {
        let mut backlog = Backlog::new(3);
        assert_eq!(backlog.take(), None);
        let p = |body: &str| parse(body.as_bytes()).unwrap();
        assert_eq!(backlog.push(p("leads[update][0][id]=1&leads[update][1][id]=2")), 0);
        // The same deal again takes no room; a third fits, a fourth does not.
        assert_eq!(
            backlog.push(p("leads[delete][0][id]=1&leads[update][0][id]=3&leads[update][1][id]=4")),
            1
        );
        assert_eq!(backlog.len(), 3);
        let (payload, overflowed) = backlog.take().unwrap();
        assert!(overflowed);
        let got: Vec<_> = payload.changes.iter().map(|c| (c.id, c.action.clone())).collect();
        assert_eq!(got, vec![(1, Action::Delete), (2, Action::Update), (3, Action::Update)]);
        assert!(backlog.is_empty());
        assert_eq!(backlog.take(), None, "taken, and the overflow told once");
        assert_eq!(backlog.push(p("leads[update][0][id]=4")), 0, "room again");
    }

    #[test]
    fn built_bodies_round_trip() {
        let body = form_body(
            "acme",
            &[
                (EntityKind::Deal, "status", 1),
                (EntityKind::Company, "update", 2),
                (EntityKind::Deal, "delete", 3),
            ],
        );
        let p = parse(body.as_bytes()).unwrap();
        assert_eq!(p.changes.len(), 3);
        assert!(p.changes.iter().any(|c| c.kind == EntityKind::Company && c.id == 2));
        assert!(
            p.changes
                .iter()
                .any(|c| c.kind == EntityKind::Deal && c.id == 3 && c.action == Action::Delete)
        );
    }
}
