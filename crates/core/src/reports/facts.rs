//! The index the reports read instead of scanning a million rows per request:
//! won events in time order, connected outgoing calls in time order, tasks by
//! the record they hang on, deals and communications by company. Built once
//! per workspace version (and config), in one pass over each table.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use crate::calendar::Instant;
use crate::config::Config;
use crate::model::{ActivityKind, Changes, Deal, EntityKind, EntityRef, FieldValue, Generations, Id, StageKind, Workspace, field_value};
use crate::money::Money;

use super::history;
use super::now::{self, Now};
use crate::query::facts::Edits;

pub mod past;

/// A deal entering a won stage. It counts as won at `at` for any as-of in
/// `[at, until)`: a deal won and then reopened stops counting when it left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WonEvent {
    pub at: Instant,
    pub until: Option<Instant>,
    pub deal_id: Id,
    /// Who was responsible for the deal when it was won (see [`Deal::responsible_at`]).
    pub manager_id: Option<Id>,
    pub amount: Money,
    pub margin: Money,
    /// The margin came from the configured default rate, not from the deal.
    pub margin_estimated: bool,
}

impl WonEvent {
    pub fn counts_at(&self, as_of: Instant) -> bool {
        self.at <= as_of && self.until.is_none_or(|u| u > as_of)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CallEvent {
    pub at: Instant,
    pub manager_id: Option<Id>,
}

#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The workspace version this index was built from.
    pub version: u64,
    /// Sorted by `at`.
    pub won: Vec<WonEvent>,
    /// What the workspace's batches had touched when this was built: the parts
    /// below behind an `Arc` are kept by [`Facts::rebuild`] while theirs did not move.
    pub generations: Generations,
    /// Connected outgoing calls, sorted by `at`.
    pub calls_out: Arc<Vec<CallEvent>>,
    /// Row positions in `ws.tasks` by the record the task is on.
    pub tasks_by_entity: Arc<HashMap<EntityRef, Vec<u32>>>,
    /// Row positions in `ws.deals` by company.
    pub deals_by_company: HashMap<Id, Vec<u32>>,
    /// Communication instants (calls, e-mails, chats, meetings) by company, sorted;
    /// an activity on a deal or contact counts for the deal's or contact's company.
    pub comms_by_company: Arc<HashMap<Id, Vec<Instant>>>,
    /// Last call instant by company, sorted list kept above; this is calls only.
    pub calls_by_company: Arc<HashMap<Id, Vec<Instant>>>,
    /// Last communication instant by deal (for "no activity for N days").
    pub comms_by_deal: Arc<HashMap<Id, Vec<Instant>>>,
    /// The calls among [`Facts::comms_by_deal`], sorted: a deal that goes or
    /// changes company moves its communications (calls apart) between
    /// companies' lists by these two, without a pass over the table.
    pub calls_by_deal: Arc<HashMap<Id, Vec<Instant>>>,
    /// Groups of companies sharing a tax id or a normalised name, oldest first.
    pub duplicate_companies: Arc<Vec<Vec<Id>>>,
    pub margin_field: Option<Id>,
    pub default_margin_percent: u32,
    /// The latest instant anything in the workspace happened: a deal created
    /// or moved, a task created or completed, a communication, a company or
    /// contact created. For an as-of at or after it the workspace stands as it
    /// is now, and the reports read [`Facts::now`] instead of the tables.
    pub settled_at: Option<Instant>,
    pub now: Now,
    /// The latest instants of each part (deal moves, tasks, communications,
    /// companies and contacts created), kept with their parts.
    deals_settled_at: Option<Instant>,
    tasks_settled_at: Option<Instant>,
    activities_settled_at: Option<Instant>,
    records_settled_at: Option<Instant>,
    /// The hygiene verdicts that stand as long as the data does (see
    /// [`super::hygiene::HygieneBase`]), made on the first live hygiene run
    /// after a change ([`Facts::hygiene_base`]): a burst of webhooks pays for
    /// them once, and only if someone looks.
    hygiene: std::sync::OnceLock<Option<super::hygiene::HygieneBase>>,
    /// Rows of the payments not paid in full: outstanding whatever the as-of.
    pub unpaid_payments: Vec<u32>,
    /// Rows of the payments paid in full, by the date they were paid: each was
    /// outstanding only as of a day before that. Sorted by date.
    pub paid_payments: Vec<(chrono::NaiveDate, u32)>,
    /// What a past as-of reads instead of every deal's history, made on the
    /// first past-as-of run ([`Facts::past`]), then updated by each change
    /// (a change too large to update in place drops it until asked for again).
    past: std::sync::OnceLock<Arc<past::Past>>,
    /// Reports at a past as-of scan the tables instead (tests hold the two equal).
    pub scan_past: bool,
}

#[cfg(test)]
thread_local! {
    /// How many times this thread built the index's lists (or its communication
    /// lists) from every row: a test proves an update took a change in place.
    pub(crate) static BUILDS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A change set this large is taken in by building the index again (keeping
/// the parts no batch touched): one pass beats shifting long lists per record.
const MANY_CHANGES: usize = if cfg!(test) { 6 } else { 20_000 };

/// More changed tasks (or open-deal entries to make again) than this, and the
/// open-task (open-deal) list is made again in one pass rather than patched.
const MANY_ENTRIES: usize = if cfg!(test) { 2 } else { 256 };

impl Facts {
    /// True when `as_of` sees the workspace as it is now.
    pub fn settled(&self, as_of: Instant) -> bool {
        self.settled_at.is_none_or(|t| as_of >= t)
    }
}

/// Makes `list` (rows of `table` that are `wanted`, sorted) right again after
/// the records `changed` moved: rows that are no longer wanted go, the changed
/// records that now are come in. Time in the list's length and the change's.
fn relist<'a, T: crate::model::Keyed>(
    list: &mut Vec<u32>,
    table: &crate::model::Table<T>,
    changed: impl Iterator<Item = &'a Id>,
    wanted: impl Fn(&T) -> bool,
) {
    let rows = table.as_slice();
    list.retain(|&r| rows.get(r as usize).is_some_and(&wanted));
    for id in changed {
        if let Some(row) = table.position(*id)
            && wanted(&rows[row])
        {
            list.push(row as u32);
        }
    }
    list.sort_unstable();
    list.dedup();
}

/// Finds the custom field a config value names: an id ("512345") or an exact name (case-insensitive).
pub fn resolve_field(ws: &Workspace, entity: EntityKind, name_or_id: &str) -> Option<Id> {
    let wanted = name_or_id.trim();
    if wanted.is_empty() {
        return None;
    }
    if let Ok(id) = wanted.parse::<Id>()
        && ws.field_defs.get(id).is_some_and(|f| f.entity == entity)
    {
        return Some(id);
    }
    let wanted = wanted.to_lowercase();
    ws.field_defs
        .iter()
        .find(|f| f.entity == entity && f.name.to_lowercase() == wanted)
        .map(|f| f.id)
}

impl Facts {
    /// Builds the index; its four independent parts (deals, tasks, activities,
    /// duplicate companies) are built on parallel threads, then the live view's
    /// standing hygiene verdicts from them.
    pub fn build(ws: &Workspace, config: &Config) -> Facts {
        Facts::rebuild(None, ws, config)
    }

    /// [`Facts::build`], keeping the parts of `previous` (an index of an earlier
    /// version of the same workspace, with the same config) whose data no batch
    /// has touched since: after a webhook that re-read a few deals, only the
    /// deal lists are built again.
    pub fn rebuild(previous: Option<&Facts>, ws: &Workspace, config: &Config) -> Facts {
        Facts::build_lists(previous.filter(|p| p.generations.lineage == ws.generations.lineage), ws, config)
    }

    /// The call-priority candidates of the workspace as it stands now, made once per index.
    pub fn call_candidates(&self, ws: &Workspace, config: &Config) -> &now::CallCandidates {
        self.now.candidates.get_or_init(|| {
            now::call_candidates(
                ws,
                config,
                &now::Parts {
                    settled_at: self.settled_at,
                    open_deal_rows: &[],
                    tasks_by_entity: &self.tasks_by_entity,
                    deals_by_company: &self.deals_by_company,
                    comms_by_company: &self.comms_by_company,
                    calls_by_company: &self.calls_by_company,
                    comms_by_deal: &self.comms_by_deal,
                },
            )
        })
    }

    /// When each deal stood open or won, entered each pipeline, and each task
    /// was open, for reports at a past as-of; made once per index. `None`
    /// where the reports are told to scan ([`Facts::scan_past`]).
    pub fn past(&self, ws: &Workspace) -> Option<&past::Past> {
        (!self.scan_past).then(|| &**self.past.get_or_init(|| Arc::new(past::Past::build(ws))))
    }

    /// The past-as-of part if it was made (tests compare an updated one with one built).
    #[cfg(test)]
    pub(crate) fn past_made(&self) -> Option<&past::Past> {
        self.past.get().map(|p| &**p)
    }

    /// The standing hygiene verdicts of the workspace as it stands now, made
    /// once per index (`ctx` is the report's context, with this index).
    pub fn hygiene_base(&self, ctx: &super::Ctx) -> Option<&super::hygiene::HygieneBase> {
        let at = self.settled_at?;
        self.hygiene
            .get_or_init(|| super::hygiene::base(&super::Ctx { as_of: at, ..*ctx }))
            .as_ref()
    }

    fn build_lists(previous: Option<&Facts>, ws: &Workspace, config: &Config) -> Facts {
        #[cfg(test)]
        BUILDS.with(|n| n.set(n.get() + 1));
        let g = ws.generations;
        let kept_tasks = previous.filter(|p| p.generations.tasks == g.tasks);
        let kept_activities = previous.filter(|p| p.generations.activities == g.activities);
        let kept_duplicates = previous.filter(|p| p.generations.companies == g.companies);
        let margin_field = resolve_field(ws, EntityKind::Deal, &config.fields.margin);
        let default_margin_percent = config.reports.default_margin_percent;
        std::thread::scope(|scope| {
            let tasks = scope.spawn(|| match kept_tasks {
                Some(p) => (p.tasks_by_entity.clone(), p.tasks_settled_at),
                None => {
                    let (by_entity, settled_at) = tasks_by_entity(ws);
                    (Arc::new(by_entity), settled_at)
                }
            });
            let activities = scope.spawn(|| match kept_activities {
                Some(p) => ActivityIndexes {
                    calls_out: p.calls_out.clone(),
                    comms_by_company: p.comms_by_company.clone(),
                    calls_by_company: p.calls_by_company.clone(),
                    comms_by_deal: p.comms_by_deal.clone(),
                    calls_by_deal: p.calls_by_deal.clone(),
                    settled_at: p.activities_settled_at,
                },
                None => activity_indexes(ws),
            });
            let duplicates = scope.spawn(|| match kept_duplicates {
                Some(p) => p.duplicate_companies.clone(),
                None => Arc::new(duplicate_companies(ws)),
            });
            let deals = deal_indexes(ws, margin_field, default_margin_percent);
            let (unpaid_payments, paid_payments) = payment_indexes(ws);
            let records_settled_at = ws
                .companies
                .iter()
                .map(|c| c.created_at)
                .chain(ws.contacts.iter().map(|c| c.created_at))
                .max();
            let (tasks_by_entity, tasks_settled_at) = tasks.join().expect("index thread");
            let activities = activities.join().expect("index thread");
            let settled_at = [deals.settled_at, tasks_settled_at, activities.settled_at, records_settled_at]
                .into_iter()
                .flatten()
                .max();
            let now = now::build(
                ws,
                now::Parts {
                    settled_at,
                    open_deal_rows: &deals.open,
                    tasks_by_entity: &tasks_by_entity,
                    deals_by_company: &deals.by_company,
                    comms_by_company: &activities.comms_by_company,
                    calls_by_company: &activities.calls_by_company,
                    comms_by_deal: &activities.comms_by_deal,
                },
            );
            Facts {
                version: ws.version,
                generations: g,
                deals_settled_at: deals.settled_at,
                records_settled_at,
                tasks_settled_at,
                activities_settled_at: activities.settled_at,
                won: deals.won,
                calls_out: activities.calls_out,
                tasks_by_entity,
                deals_by_company: deals.by_company,
                comms_by_company: activities.comms_by_company,
                calls_by_company: activities.calls_by_company,
                comms_by_deal: activities.comms_by_deal,
                calls_by_deal: activities.calls_by_deal,
                duplicate_companies: duplicates.join().expect("index thread"),
                margin_field,
                default_margin_percent,
                settled_at,
                now,
                unpaid_payments,
                paid_payments,
                hygiene: Default::default(),
                past: Default::default(),
                scan_past: false,
            }
        })
    }

    /// The index of `ws` from this one (built from the workspace as it was
    /// before `changes`), in time proportional to the change for what a
    /// webhook moves: a deal's won events, its company's and its open-deal
    /// entries, a task's or communication's places. What hangs on the whole
    /// (the call candidates' look-back window, the standing hygiene verdicts)
    /// is made again from the updated lists. Built again instead when the
    /// change set does not start at this version, changed pipelines or field
    /// definitions, or touched more records than patching beats a pass. A
    /// deleted row that was not its table's last takes the last row into its
    /// place ([`crate::model::Delta::moved`]): the moved record's entries (its
    /// company's deal list, its record's task list, the open lists) are made
    /// again like a changed record's, so a deletion costs what a change does.
    pub fn update(mut self, ws: &Workspace, config: &Config, changes: &Changes) -> Facts {
        let margin_field = resolve_field(ws, EntityKind::Deal, &config.fields.margin);
        if changes.from_version != self.version
            || self.generations.lineage != ws.generations.lineage
            || changes.structural()
            || margin_field != self.margin_field
            || config.reports.default_margin_percent != self.default_margin_percent
            || changes.records() > MANY_CHANGES
        {
            return Facts::rebuild(Some(&self), ws, config);
        }
        let pct = self.default_margin_percent;
        // Open-deal entries to make again: the changed deals and those whose tasks or communications changed.
        let mut refresh: std::collections::BTreeSet<Id> = Default::default();

        // Deals: won events, lists by company, the latest move.
        let deals = ws.deals.as_slice();
        let mut companies: std::collections::BTreeSet<Id> = Default::default();
        let mut rebuild_activities = false;
        // Deals that came, went or changed company, with communications: by the company they had.
        let mut relinked: HashMap<Id, Option<Id>> = HashMap::default();
        let mut deals_settled_may_fall = false;
        let (mut old, mut new) = (Vec::new(), Vec::new());
        let mut won = Edits::new();
        for id in changes.deals.ids() {
            let before = changes.deals.before[&id].as_ref();
            let now = ws.deals.get(id);
            old.clear();
            new.clear();
            let last_move = |d: &Deal| history::timeline(ws, d).last().at;
            let (was, is) = (before.map(last_move), now.map(last_move));
            deals_settled_may_fall |= falls(was, is, self.deals_settled_at);
            self.deals_settled_at = self.deals_settled_at.max(is);
            if let Some(d) = before {
                won_events(ws, d, margin_field, pct, &mut old);
            }
            if let Some(d) = now {
                won_events(ws, d, margin_field, pct, &mut new);
            }
            won.out.append(&mut old);
            won.into.append(&mut new);
            companies.extend(before.and_then(|d| d.company_id));
            companies.extend(now.and_then(|d| d.company_id));
            // Its communications count for its company: a deal that came, went or changed company moves them.
            if before.map(|d| d.company_id) != now.map(|d| d.company_id) && self.comms_by_deal.contains_key(&id) {
                relinked.insert(id, before.and_then(|d| d.company_id));
            }
            refresh.insert(id);
        }
        // Deals that only moved row (into a deleted one's place): their company's list and open entry point at the new row.
        let deals_moved = changes.deals.moved_only();
        for &id in &deals_moved {
            companies.extend(ws.deals.get(id).and_then(|d| d.company_id));
            refresh.insert(id);
        }
        won.apply(&mut self.won, won_key);
        if deals_settled_may_fall {
            self.deals_settled_at = deals.iter().map(|d| history::timeline(ws, d).last().at).max();
        }
        let rows = deals.len();
        for company in companies {
            let list = self.deals_by_company.entry(company).or_default();
            let changed = changes.deals.before.keys().chain(&deals_moved);
            relist(list, &ws.deals, changed, |d| d.company_id == Some(company));
            if list.is_empty() {
                self.deals_by_company.remove(&company);
            }
        }

        // Tasks: their places by record, the latest instant, the open ones.
        if !changes.tasks.is_empty() {
            let tasks = ws.tasks.as_slice();
            let by_entity = Arc::make_mut(&mut self.tasks_by_entity);
            let mut entities: std::collections::BTreeSet<EntityRef> = Default::default();
            let mut settled_may_fall = false;
            let settled = |t: &crate::model::Task| Some(t.created_at).max(t.completed_at);
            for id in changes.tasks.ids() {
                let before = changes.tasks.before[&id].as_ref();
                let now = ws.tasks.get(id);
                entities.extend(before.and_then(|t| t.entity));
                entities.extend(now.and_then(|t| t.entity));
                let (was, is) = (before.and_then(settled), now.and_then(settled));
                settled_may_fall |= falls(was, is, self.tasks_settled_at);
                self.tasks_settled_at = self.tasks_settled_at.max(is);
            }
            if settled_may_fall {
                self.tasks_settled_at = tasks.iter().filter_map(settled).max();
            }
            // Tasks that only moved row (into a deleted one's place): their record's list and open entry take the new row.
            let moved = changes.tasks.moved_only();
            entities.extend(moved.iter().filter_map(|id| ws.tasks.get(*id).and_then(|t| t.entity)));
            for entity in entities {
                if let EntityRef::Deal(id) = entity {
                    refresh.insert(id);
                }
                let list = by_entity.entry(entity).or_default();
                relist(list, &ws.tasks, changes.tasks.before.keys().chain(&moved), |t| {
                    t.entity == Some(entity)
                });
                if list.is_empty() {
                    by_entity.remove(&entity);
                }
            }
            let open = &mut self.now.open_tasks;
            if changes.tasks.before.len() + moved.len() > MANY_ENTRIES {
                *open = tasks
                    .iter()
                    .enumerate()
                    .filter(|(_, t)| t.completed_at.is_none())
                    .map(|(row, t)| now::open_task(row as u32, t))
                    .collect();
            } else {
                // Rows at or past the table's end were deleted or moved into a deleted one's place.
                open.truncate(open.partition_point(|t| (t.row as usize) < tasks.len()));
                for id in changes.tasks.before.keys().chain(&moved) {
                    let Some(row) = ws.tasks.position(*id) else { continue };
                    let at = open.partition_point(|t| (t.row as usize) < row);
                    let there = open.get(at).is_some_and(|t| t.row as usize == row);
                    match (there, tasks[row].completed_at.is_none()) {
                        (true, true) => open[at] = now::open_task(row as u32, &tasks[row]),
                        (true, false) => drop(open.remove(at)),
                        (false, true) => open.insert(at, now::open_task(row as u32, &tasks[row])),
                        (false, false) => {}
                    }
                }
            }
        }

        // Communications: a contact's company is not indexed, so a contact that came,
        // went or changed company builds them again. A deal's (above) moves its
        // communications between companies: found by one pass over the table.
        let first_company = |c: Option<&crate::model::Contact>| c.and_then(|c| c.company_ids.first().copied());
        rebuild_activities |= changes
            .contacts
            .before
            .iter()
            .any(|(id, before)| first_company(before.as_ref()) != first_company(ws.contacts.get(*id)) || before.is_none());
        if rebuild_activities {
            let a = activity_indexes(ws);
            self.calls_out = a.calls_out;
            self.comms_by_company = a.comms_by_company;
            self.calls_by_company = a.calls_by_company;
            self.comms_by_deal = a.comms_by_deal;
            self.calls_by_deal = a.calls_by_deal;
            self.activities_settled_at = a.settled_at;
            // Every open deal's last touch may have moved.
            self.now.open_deals = deals
                .iter()
                .enumerate()
                .filter(|(_, d)| ws.stage_kind(d.pipeline_id, d.stage_id) == StageKind::Open)
                .map(|(row, d)| now::open_deal(ws, d, row as u32, &self.tasks_by_entity, &self.comms_by_deal))
                .collect();
            refresh.clear();
        } else if !changes.activities.is_empty() || !relinked.is_empty() {
            let calls_out = Arc::make_mut(&mut self.calls_out);
            let comms_by_company = Arc::make_mut(&mut self.comms_by_company);
            let calls_by_company = Arc::make_mut(&mut self.calls_by_company);
            // The communications on a deal that went or changed company (as the
            // lists stood before this change, changed ones too) move from the
            // company it had to the one it has: a changed one is then taken
            // out below from the company its deal has now, like any other.
            for (&deal, &was) in &relinked {
                let comms = self.comms_by_deal.get(&deal).map(Vec::as_slice).unwrap_or(&[]);
                let calls = self.calls_by_deal.get(&deal).map(Vec::as_slice).unwrap_or(&[]);
                let is = ws.deals.get(deal).and_then(|d| d.company_id);
                for (list, by_company) in [(comms, &mut *comms_by_company), (calls, &mut *calls_by_company)] {
                    if let Some(company) = was {
                        remove_all_sorted(by_company, company, list);
                    }
                    if let Some(company) = is {
                        insert_all_sorted(by_company, company, list);
                    }
                }
            }
            let comms_by_deal = Arc::make_mut(&mut self.comms_by_deal);
            let calls_by_deal = Arc::make_mut(&mut self.calls_by_deal);
            let mut settled_may_fall = false;
            let mut calls = Edits::new();
            for id in changes.activities.ids() {
                let (was, is) = (changes.activities.before[&id].map(|a| a.at), ws.activities.get(id).map(|a| a.at));
                settled_may_fall |= falls(was, is, self.activities_settled_at);
                if let Some(a) = changes.activities.before[&id].as_ref() {
                    let p = activity_part(ws, a);
                    if let Some(c) = p.call_out {
                        calls.out.push(c);
                    }
                    if let Some(deal) = p.deal {
                        remove_sorted(comms_by_deal, deal, p.at);
                        if p.call {
                            remove_sorted(calls_by_deal, deal, p.at);
                        }
                        refresh.insert(deal);
                    }
                    if let Some(company) = p.company {
                        remove_sorted(comms_by_company, company, p.at);
                        if p.call {
                            remove_sorted(calls_by_company, company, p.at);
                        }
                    }
                }
                if let Some(a) = ws.activities.get(id) {
                    let p = activity_part(ws, a);
                    self.activities_settled_at = self.activities_settled_at.max(Some(p.at));
                    if let Some(c) = p.call_out {
                        calls.into.push(c);
                    }
                    if !p.communication {
                        continue;
                    }
                    if let Some(deal) = p.deal {
                        insert_sorted(comms_by_deal, deal, p.at);
                        if p.call {
                            insert_sorted(calls_by_deal, deal, p.at);
                        }
                        refresh.insert(deal);
                    }
                    if let Some(company) = p.company {
                        insert_sorted(comms_by_company, company, p.at);
                        if p.call {
                            insert_sorted(calls_by_company, company, p.at);
                        }
                    }
                }
            }
            calls.apply(calls_out, call_key);
            if settled_may_fall {
                self.activities_settled_at = ws.activities.iter().map(|a| a.at).max();
            }
        }

        // Companies: duplicates when a name, tax id or creation changed; the latest record created.
        let same_for_duplicates = |id: &Id, before: &Option<crate::model::Company>| match (before, ws.companies.get(*id)) {
            (Some(b), Some(n)) => b.name == n.name && b.tax_id == n.tax_id && b.created_at == n.created_at,
            _ => false,
        };
        if !changes.companies.before.iter().all(|(id, b)| same_for_duplicates(id, b)) {
            self.duplicate_companies = Arc::new(duplicate_companies(ws));
        }
        let created = |c: &Option<crate::model::Company>| c.as_ref().map(|c| c.created_at);
        let contact_created = |c: &Option<crate::model::Contact>| c.as_ref().map(|c| c.created_at);
        let records_may_fall = changes
            .companies
            .before
            .iter()
            .any(|(id, c)| falls(created(c), ws.companies.get(*id).map(|c| c.created_at), self.records_settled_at))
            || changes.contacts.before.iter().any(|(id, c)| {
                falls(
                    contact_created(c),
                    ws.contacts.get(*id).map(|c| c.created_at),
                    self.records_settled_at,
                )
            });
        if records_may_fall {
            self.records_settled_at = ws
                .companies
                .iter()
                .map(|c| c.created_at)
                .chain(ws.contacts.iter().map(|c| c.created_at))
                .max();
        } else {
            for id in changes.companies.before.keys() {
                self.records_settled_at = self.records_settled_at.max(ws.companies.get(*id).map(|c| c.created_at));
            }
            for id in changes.contacts.before.keys() {
                self.records_settled_at = self.records_settled_at.max(ws.contacts.get(*id).map(|c| c.created_at));
            }
        }
        if !changes.payments.is_empty() {
            (self.unpaid_payments, self.paid_payments) = payment_indexes(ws);
        }
        self.settled_at = [
            self.deals_settled_at,
            self.tasks_settled_at,
            self.activities_settled_at,
            self.records_settled_at,
        ]
        .into_iter()
        .flatten()
        .max();

        // Open deals, in table order: entries past the table's end were deleted deals or moved ones (in `refresh`).
        let open = &mut self.now.open_deals;
        open.truncate(open.partition_point(|o| (o.row as usize) < rows));
        if refresh.len() > MANY_ENTRIES {
            *open = deals
                .iter()
                .enumerate()
                .filter(|(_, d)| ws.stage_kind(d.pipeline_id, d.stage_id) == StageKind::Open)
                .map(|(row, d)| now::open_deal(ws, d, row as u32, &self.tasks_by_entity, &self.comms_by_deal))
                .collect();
            refresh.clear();
        }
        for id in refresh {
            let Some(row) = ws.deals.position(id) else { continue };
            let deal = &deals[row];
            let at = open.partition_point(|o| (o.row as usize) < row);
            let there = open.get(at).is_some_and(|o| o.row as usize == row);
            let entry = (ws.stage_kind(deal.pipeline_id, deal.stage_id) == StageKind::Open)
                .then(|| now::open_deal(ws, deal, row as u32, &self.tasks_by_entity, &self.comms_by_deal));
            match (there, entry) {
                (true, Some(e)) => open[at] = e,
                (true, None) => drop(open.remove(at)),
                (false, Some(e)) => open.insert(at, e),
                (false, None) => {}
            }
        }
        self.now.candidates = Default::default();
        self.version = changes.to_version;
        self.generations = ws.generations;
        self.hygiene = Default::default();
        // The past-as-of part, if made, takes the change too (else it is made when first asked for).
        if let Some(past) = self.past.take() {
            let past = Arc::try_unwrap(past).unwrap_or_else(|shared| (*shared).clone());
            if let Some(past) = past.update(ws, changes) {
                self.past = std::sync::OnceLock::from(Arc::new(past));
            }
        }
        self
    }

    /// Won events with `from <= at < to` that still count at `as_of`.
    pub fn won_between(&self, from: Instant, to: Instant, as_of: Instant) -> impl Iterator<Item = &WonEvent> {
        let start = self.won.partition_point(|e| e.at < from);
        let end = self.won.partition_point(|e| e.at < to);
        self.won[start..end].iter().filter(move |e| e.counts_at(as_of))
    }

    pub fn calls_between(&self, from: Instant, to: Instant) -> &[CallEvent] {
        let start = self.calls_out.partition_point(|e| e.at < from);
        let end = self.calls_out.partition_point(|e| e.at < to);
        &self.calls_out[start..end]
    }
}

struct DealIndexes {
    won: Vec<WonEvent>,
    by_company: HashMap<Id, Vec<u32>>,
    settled_at: Option<Instant>,
    open: Vec<u32>,
}

fn deal_indexes(ws: &Workspace, margin_field: Option<Id>, default_margin_percent: u32) -> DealIndexes {
    let mut out = DealIndexes {
        won: Vec::new(),
        by_company: HashMap::default(),
        settled_at: None,
        open: Vec::new(),
    };
    for (row, deal) in ws.deals.iter().enumerate() {
        let timeline = history::timeline(ws, deal);
        out.settled_at = out.settled_at.max(Some(timeline.last().at));
        if ws.stage_kind(deal.pipeline_id, deal.stage_id) == StageKind::Open {
            out.open.push(row as u32);
        }
        if let Some(company) = deal.company_id {
            out.by_company.entry(company).or_default().push(row as u32);
        }
        won_events(ws, deal, margin_field, default_margin_percent, &mut out.won);
    }
    out.won.sort_by_key(won_key);
    out.won = crate::query::facts::with_headroom(out.won);
    out
}

fn won_key(e: &WonEvent) -> (Instant, Id) {
    (e.at, e.deal_id)
}

/// A deal's stretches in a won stage, as won events.
fn won_events(ws: &Workspace, deal: &Deal, margin_field: Option<Id>, default_margin_percent: u32, out: &mut Vec<WonEvent>) {
    let (margin, estimated) = deal_margin(deal, margin_field, default_margin_percent);
    history::timeline(ws, deal).won_stretches(ws, |at, until| {
        out.push(WonEvent {
            at,
            until,
            deal_id: deal.id,
            manager_id: deal.responsible_at(at),
            amount: deal.amount,
            margin,
            margin_estimated: estimated,
        })
    });
}

fn payment_indexes(ws: &Workspace) -> (Vec<u32>, Vec<(chrono::NaiveDate, u32)>) {
    let mut unpaid = Vec::new();
    let mut paid = Vec::new();
    for (row, p) in ws.payments.iter().enumerate() {
        if p.amount_paid < p.amount_due {
            unpaid.push(row as u32);
        } else if let Some(date) = p.paid_date {
            paid.push((date, row as u32));
        }
    }
    paid.sort_unstable();
    (unpaid, paid)
}

/// Task rows by the record they are on, and the latest instant a task was created or completed.
fn tasks_by_entity(ws: &Workspace) -> (HashMap<EntityRef, Vec<u32>>, Option<Instant>) {
    let mut by_entity: HashMap<EntityRef, Vec<u32>> = HashMap::default();
    let mut settled_at = None;
    for (row, task) in ws.tasks.iter().enumerate() {
        settled_at = settled_at.max(Some(task.created_at)).max(task.completed_at);
        if let Some(entity) = task.entity {
            by_entity.entry(entity).or_default().push(row as u32);
        }
    }
    (by_entity, settled_at)
}

struct ActivityIndexes {
    calls_out: Arc<Vec<CallEvent>>,
    comms_by_company: Arc<HashMap<Id, Vec<Instant>>>,
    calls_by_company: Arc<HashMap<Id, Vec<Instant>>>,
    comms_by_deal: Arc<HashMap<Id, Vec<Instant>>>,
    calls_by_deal: Arc<HashMap<Id, Vec<Instant>>>,
    settled_at: Option<Instant>,
}

/// Connected outgoing calls in time order, and communications by company (calls apart) and by deal.
fn activity_indexes(ws: &Workspace) -> ActivityIndexes {
    #[cfg(test)]
    BUILDS.with(|n| n.set(n.get() + 1));
    let mut calls_out = Vec::new();
    let mut comms_by_company: HashMap<Id, Vec<Instant>> = HashMap::default();
    let mut calls_by_company: HashMap<Id, Vec<Instant>> = HashMap::default();
    let mut comms_by_deal: HashMap<Id, Vec<Instant>> = HashMap::default();
    let mut calls_by_deal: HashMap<Id, Vec<Instant>> = HashMap::default();
    let mut settled_at = None;
    for a in ws.activities.iter() {
        settled_at = settled_at.max(Some(a.at));
        if a.kind == ActivityKind::CallOut && a.connected {
            calls_out.push(CallEvent {
                at: a.at,
                manager_id: a.manager_id,
            });
        }
        if !a.kind.is_communication() {
            continue;
        }
        let company = match a.entity {
            Some(EntityRef::Company(id)) => Some(id),
            Some(EntityRef::Deal(id)) => {
                comms_by_deal.entry(id).or_default().push(a.at);
                if a.kind.is_call() {
                    calls_by_deal.entry(id).or_default().push(a.at);
                }
                ws.deals.get(id).and_then(|d| d.company_id)
            }
            Some(EntityRef::Contact(id)) => ws.contacts.get(id).and_then(|c| c.company_ids.first().copied()),
            None => None,
        };
        if let Some(company) = company {
            comms_by_company.entry(company).or_default().push(a.at);
            if a.kind.is_call() {
                calls_by_company.entry(company).or_default().push(a.at);
            }
        }
    }
    calls_out.sort_by_key(call_key);
    for list in comms_by_company
        .values_mut()
        .chain(calls_by_company.values_mut())
        .chain(comms_by_deal.values_mut())
        .chain(calls_by_deal.values_mut())
    {
        list.sort_unstable();
    }
    ActivityIndexes {
        calls_out: Arc::new(calls_out),
        comms_by_company: Arc::new(comms_by_company),
        calls_by_company: Arc::new(calls_by_company),
        comms_by_deal: Arc::new(comms_by_deal),
        calls_by_deal: Arc::new(calls_by_deal),
        settled_at,
    }
}

fn call_key(c: &CallEvent) -> (Instant, Option<Id>) {
    (c.at, c.manager_id)
}

/// What one communication adds to the activity indexes: whether it is a
/// connected outgoing call, the deal it is on, the company it counts for.
struct ActivityPart {
    at: Instant,
    call_out: Option<CallEvent>,
    communication: bool,
    call: bool,
    deal: Option<Id>,
    company: Option<Id>,
}

fn activity_part(ws: &Workspace, a: &crate::model::Activity) -> ActivityPart {
    let communication = a.kind.is_communication();
    let deal = match a.entity {
        Some(EntityRef::Deal(id)) if communication => Some(id),
        _ => None,
    };
    let company = match a.entity {
        _ if !communication => None,
        Some(EntityRef::Company(id)) => Some(id),
        Some(EntityRef::Deal(id)) => ws.deals.get(id).and_then(|d| d.company_id),
        Some(EntityRef::Contact(id)) => ws.contacts.get(id).and_then(|c| c.company_ids.first().copied()),
        None => None,
    };
    ActivityPart {
        at: a.at,
        call_out: (a.kind == ActivityKind::CallOut && a.connected).then_some(CallEvent {
            at: a.at,
            manager_id: a.manager_id,
        }),
        communication,
        call: a.kind.is_call(),
        deal,
        company,
    }
}

/// Companies that look like one: the same tax id, or the same name once the
/// legal form and punctuation are stripped. Each group is ordered oldest first.
fn duplicate_companies(ws: &Workspace) -> Vec<Vec<Id>> {
    let mut by_key: HashMap<String, Vec<Id>> = HashMap::default();
    for c in ws.companies.iter() {
        if let Some(tax) = c.tax_id.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            by_key.entry(format!("tax:{tax}")).or_default().push(c.id);
        }
        let name = super::hygiene::normalize_company_name(&c.name);
        if !name.is_empty() {
            by_key.entry(format!("name:{name}")).or_default().push(c.id);
        }
    }
    // A pair found by both tax id and name is one group, not two.
    let mut seen: std::collections::HashSet<Vec<Id>> = std::collections::HashSet::new();
    let mut groups: Vec<Vec<Id>> = by_key
        .into_values()
        .filter(|g| g.len() > 1)
        .filter_map(|mut g| {
            g.sort_by_key(|id| ws.companies.get(*id).map(|c| (c.created_at, c.id)));
            seen.insert(g.clone()).then_some(g)
        })
        .collect();
    groups.sort();
    groups
}

/// Whether a record whose latest instant went from `was` to `is` may have
/// lowered `max`, the latest over its table (it held it and went earlier, or went).
fn falls(was: Option<Instant>, is: Option<Instant>, max: Option<Instant>) -> bool {
    was.is_some() && was == max && is < was
}

/// Inserts `at` into `key`'s sorted list.
fn insert_sorted(map: &mut HashMap<Id, Vec<Instant>>, key: Id, at: Instant) {
    let list = map.entry(key).or_default();
    let i = list.partition_point(|t| *t <= at);
    list.insert(i, at);
}

/// Removes one `at` from `key`'s sorted list, and the list once empty.
fn remove_sorted(map: &mut HashMap<Id, Vec<Instant>>, key: Id, at: Instant) {
    let Some(list) = map.get_mut(&key) else { return };
    let i = list.partition_point(|t| *t < at);
    if list.get(i) == Some(&at) {
        list.remove(i);
    }
    if list.is_empty() {
        map.remove(&key);
    }
}

/// Removes each of `gone` (sorted) once from `key`'s sorted list, and the list once empty.
fn remove_all_sorted(map: &mut HashMap<Id, Vec<Instant>>, key: Id, gone: &[Instant]) {
    if gone.is_empty() {
        return;
    }
    let Some(list) = map.get_mut(&key) else { return };
    let mut gone = gone.iter().peekable();
    list.retain(|t| {
        while gone.next_if(|g| *g < t).is_some() {}
        gone.next_if(|g| *g == t).is_none()
    });
    if list.is_empty() {
        map.remove(&key);
    }
}

/// Merges `more` (sorted) into `key`'s sorted list.
fn insert_all_sorted(map: &mut HashMap<Id, Vec<Instant>>, key: Id, more: &[Instant]) {
    if more.is_empty() {
        return;
    }
    let list = map.entry(key).or_default();
    let old = std::mem::take(list);
    list.reserve(old.len() + more.len());
    let mut more = more.iter().copied().peekable();
    for t in old {
        while let Some(m) = more.next_if(|m| *m <= t) {
            list.push(m);
        }
        list.push(t);
    }
    list.extend(more);
}

/// How many sorted instants fall in `[from, to)`, and the last one before `to`.
pub fn count_and_last(sorted: &[Instant], from: Instant, to: Instant) -> (usize, Option<Instant>) {
    let start = sorted.partition_point(|t| *t < from);
    let end = sorted.partition_point(|t| *t < to);
    (end - start, end.checked_sub(1).map(|i| sorted[i]))
}

/// The deal's margin: the mapped field if filled, else the default rate times the amount.
pub fn deal_margin(deal: &Deal, margin_field: Option<Id>, default_margin_percent: u32) -> (Money, bool) {
    let mapped = margin_field.and_then(|f| field_value(&deal.fields, f)).and_then(|v| match v {
        FieldValue::Money(m) => Some(*m),
        FieldValue::Number(n) => Money::from_decimal(*n),
        FieldValue::Text(t) => Money::parse(t),
        _ => None,
    });
    match mapped {
        Some(m) => (m, false),
        None => (deal.amount.apply_rate_bp(default_margin_percent as i64 * 100), true),
    }
}
