//! The query layer's fact tables: built from every row once, then kept up to
//! date by change sets. A webhook that moves one deal costs that deal's
//! events (found by binary search on their instant and id), not a pass over a
//! million deals and four million communications.
//!
//! When a deal comes, goes or changes company (or a contact its first
//! company), the communications and tasks on it take the change: they are
//! found in a list kept per deal and contact ([`Layer`]'s `on`), as are those
//! of the deal a deletion moves into the deleted one's row. A change of
//! pipelines or field definitions (every deal's meaning) builds the layer again. A property test holds updated and built layers equal.

use chrono::NaiveDate;
use chrono_tz::Tz;
use rustc_hash::FxHashMap as HashMap;

use super::{ActivityEvent, DealEvent, DealWhat, Layer, TaskEvent};
use crate::calendar::Instant;
use crate::config::Config;
use crate::model::{Activity, ActivityKind, Changes, Deal, EntityKind, EntityRef, Id, StageKind, Task, Workspace};
use crate::reports::history;

/// What building an event reads besides its record.
struct Ctx<'a> {
    ws: &'a Workspace,
    tz: Tz,
    margin_field: Option<Id>,
    default_margin_percent: u32,
}

impl<'a> Ctx<'a> {
    fn new(ws: &'a Workspace, config: &Config) -> Self {
        Ctx {
            ws,
            // Only the zone is read (never the holidays), so an imported calendar needs no rebuild.
            tz: config.time_zone().unwrap_or(chrono_tz::Europe::Moscow),
            margin_field: crate::reports::facts::resolve_field(ws, EntityKind::Deal, &config.fields.margin),
            default_margin_percent: config.reports.default_margin_percent,
        }
    }

    fn day(&self, at: Instant) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
    }

    /// A deal's events: its creation, then each closing stretch (entering a
    /// won or lost stage, until it left one).
    fn deal_events(&self, deal: &Deal, row: u32, out: &mut Vec<DealEvent>) {
        let ws = self.ws;
        let t = history::timeline(ws, deal);
        let first = t.stints().next().expect("a timeline is never empty");
        let (margin, _) = crate::reports::facts::deal_margin(deal, self.margin_field, self.default_margin_percent);
        let base = DealEvent {
            at: deal.created_at,
            day: self.day(deal.created_at),
            until: None,
            what: DealWhat::Created,
            deal_row: row,
            deal_id: deal.id,
            company: deal.company_id,
            loss_reason: deal.loss_reason_id,
            manager: deal.responsible_at(deal.created_at),
            pipeline: first.pipeline_id,
            stage: first.stage_id,
            amount: deal.amount.minor(),
            margin: margin.minor(),
            cycle_days: 0.0,
        };
        out.push(base);
        let mut open: Option<(DealWhat, usize)> = None;
        for s in t.stints() {
            let what = match ws.stage_kind(s.pipeline_id, s.stage_id) {
                StageKind::Won => Some(DealWhat::Won),
                StageKind::Lost => Some(DealWhat::Lost),
                _ => None,
            };
            if let Some((was, i)) = open
                && Some(was) != what
            {
                out[i].until = Some(s.at);
                open = None;
            }
            if let Some(what) = what
                && open.is_none()
            {
                open = Some((what, out.len()));
                out.push(DealEvent {
                    at: s.at,
                    day: self.day(s.at),
                    what,
                    manager: deal.responsible_at(s.at),
                    pipeline: s.pipeline_id,
                    stage: s.stage_id,
                    cycle_days: ((s.at - deal.created_at).num_seconds().max(0) as f64 / 86_400.0) as f32,
                    ..base
                });
            }
        }
    }

    /// The deal row, company and contact a task or communication on `entity` counts for.
    fn linked(&self, entity: Option<EntityRef>) -> (Option<u32>, Option<Id>, Option<Id>) {
        let ws = self.ws;
        match entity {
            Some(EntityRef::Deal(d)) => match ws.deals.position(d) {
                Some(row) => (Some(row as u32), ws.deals.as_slice()[row].company_id, None),
                None => (None, None, None),
            },
            Some(EntityRef::Company(c)) => (None, Some(c), None),
            Some(EntityRef::Contact(c)) => (None, ws.contacts.get(c).and_then(|c| c.company_ids.first().copied()), Some(c)),
            None => (None, None, None),
        }
    }

    fn activity_event(&self, a: &Activity) -> ActivityEvent {
        let (deal_row, company, contact) = self.linked(a.entity);
        ActivityEvent {
            at: a.at,
            day: self.day(a.at),
            id: a.id,
            manager: a.manager_id,
            connected_call_out: a.kind == ActivityKind::CallOut && a.connected,
            communication: a.kind != ActivityKind::Note,
            deal_row,
            company,
            contact,
        }
    }

    /// A task's completion, and its due time if it was not done by then.
    fn task_events(&self, t: &Task, out: &mut Vec<TaskEvent>) {
        let (deal_row, company, contact) = self.linked(t.entity);
        let event = |at, done| TaskEvent {
            at,
            day: self.day(at),
            id: t.id,
            manager: t.responsible_id,
            done,
            deal_row,
            company,
            contact,
        };
        if let Some(done) = t.completed_at {
            out.push(event(done, true));
        }
        if t.completed_at.is_none_or(|c| c > t.due_at) {
            out.push(event(t.due_at, false));
        }
    }
}

/// A communication or task on a deal or contact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum OnRecord {
    Activity(Id),
    Task(Id),
}

/// The deal or contact a record on `entity` is listed by (companies need no
/// list: a company's records never take another link).
fn listed(entity: Option<EntityRef>) -> Option<EntityRef> {
    entity.filter(|e| matches!(e, EntityRef::Deal(_) | EntityRef::Contact(_)))
}

fn add_on(on: &mut HashMap<EntityRef, Vec<OnRecord>>, entity: Option<EntityRef>, o: OnRecord) {
    let Some(entity) = listed(entity) else { return };
    let list = on.entry(entity).or_default();
    if let Err(i) = list.binary_search(&o) {
        list.insert(i, o);
    }
}

fn remove_on(on: &mut HashMap<EntityRef, Vec<OnRecord>>, entity: Option<EntityRef>, o: OnRecord) {
    let Some(entity) = listed(entity) else { return };
    let Some(list) = on.get_mut(&entity) else { return };
    if let Ok(i) = list.binary_search(&o) {
        list.remove(i);
    }
    if list.is_empty() {
        on.remove(&entity);
    }
}

fn deal_edits<'a>(
    what: DealWhat,
    won: &'a mut Edits<DealEvent>,
    lost: &'a mut Edits<DealEvent>,
    created: &'a mut Edits<DealEvent>,
) -> &'a mut Edits<DealEvent> {
    match what {
        DealWhat::Won => won,
        DealWhat::Lost => lost,
        DealWhat::Created => created,
    }
}

fn deal_key(e: &DealEvent) -> (Instant, Id) {
    (e.at, e.deal_id)
}

fn activity_key(e: &ActivityEvent) -> (Instant, Id) {
    (e.at, e.id)
}

fn task_key(e: &TaskEvent) -> (Instant, Id) {
    (e.at, e.id)
}

/// `list` with room to grow by a few percent: the first webhook after a build
/// must not pay for copying a hundred-megabyte list into a bigger one.
pub(crate) fn with_headroom<E>(mut list: Vec<E>) -> Vec<E> {
    list.reserve_exact(list.len() / 32 + 1024);
    list
}

#[cfg(test)]
thread_local! {
    /// How many times this thread built the layer from every row: a test proves an update took a change in place.
    pub(crate) static BUILDS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The heap a map of lists takes: its table (keys, list headers, a control
/// byte per slot) and each list's room.
pub fn map_of_lists_bytes<K, V>(map: &HashMap<K, Vec<V>>) -> usize {
    let slot = std::mem::size_of::<(K, Vec<V>)>() + 1;
    map.capacity() * slot + map.values().map(|v| v.capacity() * std::mem::size_of::<V>()).sum::<usize>()
}

impl Layer {
    /// The heap the lists of communications and tasks by deal and contact take (for the bench).
    pub fn record_lists_bytes(&self) -> usize {
        map_of_lists_bytes(&self.on)
    }
}

/// Builds the fact tables from every row.
pub fn build(ws: &Workspace, config: &Config) -> Layer {
    #[cfg(test)]
    BUILDS.with(|n| n.set(n.get() + 1));
    let cx = Ctx::new(ws, config);
    let mut deals = Vec::new();
    for (row, deal) in ws.deals.iter().enumerate() {
        cx.deal_events(deal, row as u32, &mut deals);
    }
    let by_kind = |what: DealWhat| {
        let mut v: Vec<DealEvent> = deals.iter().filter(|e| e.what == what).copied().collect();
        v.sort_by_key(deal_key);
        with_headroom(v)
    };
    let (won, lost, created) = (by_kind(DealWhat::Won), by_kind(DealWhat::Lost), by_kind(DealWhat::Created));
    drop(deals);
    let mut activities: Vec<ActivityEvent> = ws.activities.iter().map(|a| cx.activity_event(a)).collect();
    activities.sort_by_key(activity_key);
    let activities = with_headroom(activities);
    let mut tasks = Vec::new();
    for t in ws.tasks.iter() {
        cx.task_events(t, &mut tasks);
    }
    tasks.sort_by_key(task_key);
    let tasks = with_headroom(tasks);
    let mut on: HashMap<EntityRef, Vec<OnRecord>> = HashMap::default();
    for a in ws.activities.iter() {
        if let Some(e) = listed(a.entity) {
            on.entry(e).or_default().push(OnRecord::Activity(a.id));
        }
    }
    for t in ws.tasks.iter() {
        if let Some(e) = listed(t.entity) {
            on.entry(e).or_default().push(OnRecord::Task(t.id));
        }
    }
    for list in on.values_mut() {
        list.sort_unstable();
    }
    Layer {
        version: ws.version,
        won,
        lost,
        created,
        activities,
        tasks,
        on,
    }
}

/// The fact tables of `ws`, from `layer` (built from the workspace as it was
/// before `changes`): each changed record's old events out, its new ones in.
/// Falls back to [`build`] when the change set does not start at the layer's
/// version or changed what every deal's meaning hangs on.
pub fn update(mut layer: Layer, ws: &Workspace, config: &Config, changes: &Changes) -> Layer {
    if changes.from_version != layer.version || changes.structural() {
        return build(ws, config);
    }
    let cx = Ctx::new(ws, config);

    // Deals and contacts whose records must take new links: those that came,
    // went, moved row or changed company (their records are listed in `on`).
    let mut relinked: std::collections::BTreeSet<EntityRef> = Default::default();
    let (mut old, mut new) = (Vec::new(), Vec::new());
    let (mut won, mut lost, mut created) = (Edits::new(), Edits::new(), Edits::new());
    let (mut activities, mut tasks) = (Edits::new(), Edits::new());
    for id in changes.deals.ids() {
        let before = changes.deals.before[&id].as_ref();
        let now = ws.deals.position(id).map(|row| (row as u32, &ws.deals.as_slice()[row]));
        // A deal that came, went, changed company or row: the records on it take the change.
        match (before, now) {
            (Some(b), Some((_, d))) if b.company_id == d.company_id && !changes.deals.moved.contains(&id) => {}
            (None, None) => {}
            _ => drop(relinked.insert(EntityRef::Deal(id))),
        }
        old.clear();
        new.clear();
        if let Some(d) = before {
            cx.deal_events(d, 0, &mut old);
        }
        if let Some((row, d)) = now {
            cx.deal_events(d, row, &mut new);
        }
        for e in &old {
            deal_edits(e.what, &mut won, &mut lost, &mut created).out.push(*e);
        }
        for e in &new {
            deal_edits(e.what, &mut won, &mut lost, &mut created).into.push(*e);
        }
    }
    // Deals that only moved row (into a deleted one's place): their events point at the new row.
    for id in changes.deals.moved_only() {
        let Some(row) = ws.deals.position(id) else { continue };
        old.clear();
        cx.deal_events(&ws.deals.as_slice()[row], row as u32, &mut old);
        for e in &old {
            let edits = deal_edits(e.what, &mut won, &mut lost, &mut created);
            edits.out.push(*e);
            edits.into.push(*e);
        }
        relinked.insert(EntityRef::Deal(id));
    }
    for id in changes.contacts.ids() {
        let first = |c: &crate::model::Contact| c.company_ids.first().copied();
        match (changes.contacts.before[&id].as_ref(), ws.contacts.get(id)) {
            (Some(b), Some(c)) if first(b) == first(c) => {}
            (None, None) => {}
            _ => drop(relinked.insert(EntityRef::Contact(id))),
        }
    }

    let on = &mut layer.on;
    for id in changes.activities.ids() {
        let (before, now) = (changes.activities.before[&id].as_ref(), ws.activities.get(id));
        activities.out.extend(before.map(|a| cx.activity_event(a)));
        activities.into.extend(now.map(|a| cx.activity_event(a)));
        remove_on(on, before.and_then(|a| a.entity), OnRecord::Activity(id));
        add_on(on, now.and_then(|a| a.entity), OnRecord::Activity(id));
    }
    for id in changes.tasks.ids() {
        let (before, now) = (changes.tasks.before[&id].as_ref(), ws.tasks.get(id));
        if let Some(t) = before {
            cx.task_events(t, &mut tasks.out);
        }
        if let Some(t) = now {
            cx.task_events(t, &mut tasks.into);
        }
        remove_on(on, before.and_then(|t| t.entity), OnRecord::Task(id));
        add_on(on, now.and_then(|t| t.entity), OnRecord::Task(id));
    }
    // The unchanged records on a deal or contact that came, went, moved row or
    // changed company: their events keep their place and take the new links.
    for entity in relinked {
        for &o in on.get(&entity).map(Vec::as_slice).unwrap_or(&[]) {
            match o {
                OnRecord::Activity(id) if !changes.activities.before.contains_key(&id) => {
                    if let Some(a) = ws.activities.get(id) {
                        let e = cx.activity_event(a);
                        activities.out.push(e);
                        activities.into.push(e);
                    }
                }
                OnRecord::Task(id) if !changes.tasks.before.contains_key(&id) => {
                    if let Some(t) = ws.tasks.get(id) {
                        let from = tasks.into.len();
                        cx.task_events(t, &mut tasks.into);
                        let events: Vec<TaskEvent> = tasks.into[from..].to_vec();
                        tasks.out.extend(events);
                    }
                }
                _ => {}
            }
        }
    }
    won.apply(&mut layer.won, deal_key);
    lost.apply(&mut layer.lost, deal_key);
    created.apply(&mut layer.created, deal_key);
    activities.apply(&mut layer.activities, activity_key);
    tasks.apply(&mut layer.tasks, task_key);
    layer.version = changes.to_version;
    layer
}

/// Events out of and into one sorted list, gathered over a change set and
/// applied at once: a few in place ([`patch`]), many by one merge pass (a
/// sync batch of a thousand communications must not shift a four-million-row
/// list a thousand times).
pub(crate) struct Edits<E> {
    pub out: Vec<E>,
    pub into: Vec<E>,
}

impl<E: Copy> Edits<E> {
    pub fn new() -> Self {
        Edits {
            out: Vec::new(),
            into: Vec::new(),
        }
    }

    pub fn apply<K: Ord + std::hash::Hash>(self, list: &mut Vec<E>, key: impl Fn(&E) -> K) {
        // Low in tests, so the property test takes both ways.
        const FEW: usize = if cfg!(test) { 3 } else { 64 };
        if self.out.len() + self.into.len() <= FEW {
            return patch(list, &self.out, &self.into, key);
        }
        let mut gone: rustc_hash::FxHashMap<K, usize> = Default::default();
        for o in &self.out {
            *gone.entry(key(o)).or_default() += 1;
        }
        list.retain(|e| match gone.get_mut(&key(e)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        });
        let mut into = self.into;
        into.sort_by_key(&key);
        let old = std::mem::take(list);
        list.reserve(old.len() + into.len());
        let mut new = into.into_iter().peekable();
        for e in old {
            while let Some(n) = new.next_if(|n| key(n) < key(&e)) {
                list.push(n);
            }
            list.push(e);
        }
        list.extend(new);
    }
}

/// Replaces one record's events in a list sorted by `key`: `old` (as built
/// before the change) out, `new` in; an event whose key stays is overwritten
/// where it stands, so a change that moves no instant moves no memory.
pub(crate) fn patch<E: Copy, K: Ord>(list: &mut Vec<E>, old: &[E], new: &[E], key: impl Fn(&E) -> K) {
    let mut fresh: Vec<Option<E>> = new.iter().copied().map(Some).collect();
    for o in old {
        let k = key(o);
        let pos = list.partition_point(|e| key(e) < k);
        if list.get(pos).is_none_or(|e| key(e) != k) {
            debug_assert!(false, "an event of the record as it was is in the list");
            continue;
        }
        match fresh.iter_mut().find(|n| n.as_ref().is_some_and(|n| key(n) == k)) {
            Some(slot) => list[pos] = slot.take().expect("matched"),
            None => {
                list.remove(pos);
            }
        }
    }
    for n in fresh.into_iter().flatten() {
        let k = key(&n);
        let pos = list.partition_point(|e| key(e) <= k);
        list.insert(pos, n);
    }
}
