//! What a report for an earlier moment (a month ago) reads instead of every
//! deal's history: when each deal stood in an open or a won stage, as
//! stretches of time, and when it first entered each pipeline. Hygiene and
//! call priority then visit the deals open or won at that moment, and the
//! funnel the deals that entered a pipeline in its period, rather than working
//! out a million timelines. Made on the first past-as-of report beside the
//! rest of [`Facts`](super::Facts), then updated by change sets like it (a
//! webhook costs the changed deals' and tasks' stretches, not a rebuild); a
//! test (`live_equals_scan`) holds every report equal with and without it, and
//! `updates_equal_builds` an updated one equal to one built.

use rustc_hash::FxHashMap as HashMap;

use crate::calendar::Instant;
use crate::model::{Changes, Deal, Id, StageKind, Task, Workspace};
use crate::query::facts::Edits;

use crate::reports::history::timeline;

/// A stretch of time `[from, until)` a deal (by its row) stood in stages of
/// one kind, in nanoseconds since the epoch (`i64::MAX`: still there).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Stretch {
    from: i64,
    until: i64,
    row: u32,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Past {
    /// The workspace version this was made from.
    version: u64,
    /// Stretches in an open stage, by `until`.
    open: Vec<Stretch>,
    /// Stretches in a won stage, by `until`.
    won: Vec<Stretch>,
    /// A deal's first entry into a pipeline: (when, row), in time order; one per pipeline it entered.
    entries: Vec<(i64, u32)>,
    /// Tasks from creation to completion (rows of `ws.tasks`), by `until`.
    tasks: Vec<Stretch>,
    /// Per deal row, its creation (nanoseconds) and amount (minor units): a
    /// report visiting every company's deals reads these 16 bytes, not the deal's row.
    deals: Vec<(i64, i64)>,
    /// Deal and task ids by row, as this was made: a change finds the row a
    /// record stood in (its stretches' row) here.
    deal_ids: Vec<Id>,
    task_ids: Vec<Id>,
}

/// The order stretches are kept in: by `until` (then row, then start, so the
/// order is one whichever way the list was made).
fn stretch_key(s: &Stretch) -> (i64, u32, i64) {
    (s.until, s.row, s.from)
}

/// Where [`deal_parts`] puts a deal's stretches and entries, and its scratch list of stints.
struct Parts<'a> {
    open: &'a mut Vec<Stretch>,
    won: &'a mut Vec<Stretch>,
    entries: &'a mut Vec<(i64, u32)>,
    stints: &'a mut Vec<(i64, crate::reports::history::Stint)>,
}

/// One deal's stretches in open and won stages and its first entries into
/// each pipeline, for the deal at `row`.
fn deal_parts(ws: &Workspace, deal: &Deal, row: u32, parts: Parts<'_>) {
    let Parts {
        open,
        won,
        entries,
        stints,
    } = parts;
    let created = nanos(deal.created_at);
    stints.clear();
    stints.extend(timeline(ws, deal).stints().map(|s| (nanos(s.at), s)));
    // The stint `Timeline::at` gives for an instant `t >= created`: the one
    // before the first stint later than `t` (the first if none is earlier).
    // So stint k covers [max(created, the latest of stints 0..=k), start of
    // stint k + 1), stint 0 from `created`; together they cover every t.
    let (open_from, won_from) = (open.len(), won.len());
    let mut latest = i64::MIN;
    for (k, &(at, s)) in stints.iter().enumerate() {
        latest = latest.max(at);
        let from = if k == 0 { created } else { latest.max(created) };
        let until = stints.get(k + 1).map_or(i64::MAX, |n| n.0);
        if from >= until {
            continue;
        }
        let (list, mine) = match ws.stage_kind(s.pipeline_id, s.stage_id) {
            StageKind::Open => (&mut *open, open_from),
            StageKind::Won => (&mut *won, won_from),
            _ => continue,
        };
        match list[mine..].last_mut() {
            // Stints that follow each other in one kind make one stretch.
            Some(last) if last.until == from => last.until = until,
            _ => list.push(Stretch { from, until, row }),
        }
    }
    // First entries into each pipeline, as the funnel reads them (its stays with no as-of bound).
    let mut seen = Vec::new();
    for (k, &(_, s)) in stints.iter().enumerate() {
        if seen.contains(&s.pipeline_id) {
            continue;
        }
        seen.push(s.pipeline_id);
        let from = if k == 0 { deal.created_at } else { s.at.max(deal.created_at) };
        entries.push((nanos(from), row));
    }
}

/// A task is open from its creation until it is completed (`Task::is_open_at`).
fn task_stretch(t: &Task, row: u32) -> Option<Stretch> {
    let s = Stretch {
        from: nanos(t.created_at),
        until: t.completed_at.map_or(i64::MAX, nanos),
        row,
    };
    (s.from < s.until).then_some(s)
}

/// The rows `ids` stood in, by id, from a table's ids by row: where a record
/// stands now if it stood there (a change that moved no row), else by one
/// pass over the ids (a deletion, a record moved into a deleted one's row).
fn rows_of(by_row: &[Id], ids: &[Id], now: impl Fn(Id) -> Option<usize>) -> HashMap<Id, u32> {
    let mut found = HashMap::default();
    let mut wanted: rustc_hash::FxHashSet<Id> = Default::default();
    for &id in ids {
        match now(id) {
            Some(row) if by_row.get(row) == Some(&id) => drop(found.insert(id, row as u32)),
            _ => drop(wanted.insert(id)),
        }
    }
    if wanted.is_empty() {
        return found;
    }
    let wanted_len = wanted.len() + found.len();
    // A few ids are compared in a tight loop; more are looked up.
    let few: Vec<Id> = if wanted.len() <= 8 {
        wanted.iter().copied().collect()
    } else {
        Vec::new()
    };
    for (row, id) in by_row.iter().enumerate() {
        if if few.is_empty() { wanted.contains(id) } else { few.contains(id) } {
            found.insert(*id, row as u32);
            if found.len() == wanted_len {
                break;
            }
        }
    }
    found
}

/// The deals as they stood at an instant, by row (see [`Past::deals_at`]).
pub struct DealsAt<'a> {
    kinds: Vec<Option<StageKind>>,
    deals: &'a [(i64, i64)],
    at: i64,
}

impl DealsAt<'_> {
    /// `None` before the deal was created; else the kind of its stage (when
    /// open or won), its creation in nanoseconds (see [`nanos`]) and its amount.
    pub fn get(&self, row: u32) -> Option<(Option<StageKind>, i64, i64)> {
        let (created, amount) = self.deals[row as usize];
        (created <= self.at).then(|| (self.kinds[row as usize], created, amount))
    }
}

/// An instant as the index keeps it: nanoseconds since the epoch (saturating).
pub fn nanos(at: Instant) -> i64 {
    at.timestamp_nanos_opt()
        .unwrap_or(if at.timestamp() < 0 { i64::MIN } else { i64::MAX })
}

impl Past {
    pub fn build(ws: &Workspace) -> Past {
        let mut open: Vec<Stretch> = Vec::new();
        let mut won: Vec<Stretch> = Vec::new();
        let mut entries = Vec::new();
        let mut stints = Vec::new();
        for (row, deal) in ws.deals.iter().enumerate() {
            let parts = Parts {
                open: &mut open,
                won: &mut won,
                entries: &mut entries,
                stints: &mut stints,
            };
            deal_parts(ws, deal, row as u32, parts);
        }
        open.sort_unstable_by_key(stretch_key);
        won.sort_unstable_by_key(stretch_key);
        entries.sort_unstable();
        let mut tasks: Vec<Stretch> = ws
            .tasks
            .iter()
            .enumerate()
            .filter_map(|(row, t)| task_stretch(t, row as u32))
            .collect();
        tasks.sort_unstable_by_key(stretch_key);
        let deals = ws.deals.iter().map(|d| (nanos(d.created_at), d.amount.minor())).collect();
        Past {
            version: ws.version,
            open: crate::query::facts::with_headroom(open),
            won: crate::query::facts::with_headroom(won),
            entries: crate::query::facts::with_headroom(entries),
            tasks: crate::query::facts::with_headroom(tasks),
            // Room to grow, so the first new deal or task does not copy these lists whole.
            deals: crate::query::facts::with_headroom(deals),
            deal_ids: crate::query::facts::with_headroom(ws.deals.iter().map(|d| d.id).collect()),
            task_ids: crate::query::facts::with_headroom(ws.tasks.iter().map(|t| t.id).collect()),
        }
    }

    /// This index for `ws`, from the workspace as it was before `changes`
    /// (`None` when it was made from another version): each changed or moved
    /// deal's and task's stretches out (at the row it stood in), its new ones
    /// in (at the row it stands in), in time proportional to the change.
    pub fn update(mut self, ws: &Workspace, changes: &Changes) -> Option<Past> {
        if self.version != changes.from_version || changes.structural() {
            return None;
        }
        // Deals: those changed (came, went, moved on) and those that only moved row.
        let mut ids = changes.deals.ids();
        ids.extend(changes.deals.moved_only());
        // A record that came has no row it stood in.
        let stood: Vec<Id> = ids
            .iter()
            .copied()
            .filter(|id| changes.deals.before.get(id).is_none_or(Option::is_some))
            .collect();
        let rows = rows_of(&self.deal_ids, &stood, |id| ws.deals.position(id));
        let (mut open, mut won, mut entries) = (Edits::new(), Edits::new(), Edits::new());
        let mut stints = Vec::new();
        for &id in &ids {
            let before = match changes.deals.before.get(&id) {
                Some(before) => before.as_ref(),
                None => ws.deals.get(id),
            };
            if let (Some(deal), Some(&row)) = (before, rows.get(&id)) {
                let parts = Parts {
                    open: &mut open.out,
                    won: &mut won.out,
                    entries: &mut entries.out,
                    stints: &mut stints,
                };
                deal_parts(ws, deal, row, parts);
            }
            if let Some(row) = ws.deals.position(id) {
                let parts = Parts {
                    open: &mut open.into,
                    won: &mut won.into,
                    entries: &mut entries.into,
                    stints: &mut stints,
                };
                deal_parts(ws, &ws.deals.as_slice()[row], row as u32, parts);
            }
        }
        open.apply(&mut self.open, stretch_key);
        won.apply(&mut self.won, stretch_key);
        entries.apply(&mut self.entries, |e| *e);
        // A row whose deal is not among these holds the deal it held.
        let n = ws.deals.len();
        self.deals.resize(n, (0, 0));
        self.deal_ids.resize(n, 0);
        for id in ids {
            if let Some(row) = ws.deals.position(id) {
                let d = &ws.deals.as_slice()[row];
                self.deals[row] = (nanos(d.created_at), d.amount.minor());
                self.deal_ids[row] = id;
            }
        }

        // Tasks, the same way.
        let mut ids = changes.tasks.ids();
        ids.extend(changes.tasks.moved_only());
        let stood: Vec<Id> = ids
            .iter()
            .copied()
            .filter(|id| changes.tasks.before.get(id).is_none_or(Option::is_some))
            .collect();
        let rows = rows_of(&self.task_ids, &stood, |id| ws.tasks.position(id));
        let mut tasks = Edits::new();
        for &id in &ids {
            let before = match changes.tasks.before.get(&id) {
                Some(before) => before.as_ref(),
                None => ws.tasks.get(id),
            };
            if let (Some(t), Some(&row)) = (before, rows.get(&id)) {
                tasks.out.extend(task_stretch(t, row));
            }
            if let Some(row) = ws.tasks.position(id) {
                tasks.into.extend(task_stretch(&ws.tasks.as_slice()[row], row as u32));
            }
        }
        tasks.apply(&mut self.tasks, stretch_key);
        self.task_ids.resize(ws.tasks.len(), 0);
        for id in ids {
            if let Some(row) = ws.tasks.position(id) {
                self.task_ids[row] = id;
            }
        }
        self.version = changes.to_version;
        Some(self)
    }

    /// Every deal's standing at `at`, read by row.
    pub fn deals_at(&self, at: Instant) -> DealsAt<'_> {
        DealsAt {
            kinds: self.kinds_at(at, self.deals.len()),
            deals: &self.deals,
            at: nanos(at),
        }
    }

    /// Rows of the tasks open at `at`, in table order.
    pub fn tasks_open_at(&self, at: Instant) -> Vec<u32> {
        rows_at(&self.tasks, nanos(at))
    }

    /// Per deal row, the kind of stage it stood in at `at` where that is open or
    /// won (`None`: another kind, or not yet created).
    pub fn kinds_at(&self, at: Instant, deals: usize) -> Vec<Option<StageKind>> {
        let mut kinds = vec![None; deals];
        for (list, kind) in [(&self.open, StageKind::Open), (&self.won, StageKind::Won)] {
            for row in rows_at(list, nanos(at)) {
                kinds[row as usize] = Some(kind);
            }
        }
        kinds
    }

    /// Rows of the deals standing in an open stage at `at`, in table order.
    pub fn open_at(&self, at: Instant) -> Vec<u32> {
        rows_at(&self.open, nanos(at))
    }

    /// Rows of the deals standing in a won stage at `at`, in table order.
    pub fn won_at(&self, at: Instant) -> Vec<u32> {
        rows_at(&self.won, nanos(at))
    }

    /// Rows of the deals that first entered some pipeline in `[from, to)`, in table order.
    pub fn entered_between(&self, from: Instant, to: Instant) -> Vec<u32> {
        let (from, to) = (nanos(from), nanos(to));
        let lo = self.entries.partition_point(|e| e.0 < from);
        let hi = self.entries.partition_point(|e| e.0 < to);
        let mut rows: Vec<u32> = self.entries[lo..hi.max(lo)].iter().map(|e| e.1).collect();
        rows.sort_unstable();
        rows.dedup();
        rows
    }
}

fn rows_at(list: &[Stretch], t: i64) -> Vec<u32> {
    let lo = list.partition_point(|s| s.until <= t);
    // A deal stands in one stretch at a time: no row twice.
    let mut rows: Vec<u32> = list[lo..].iter().filter(|s| s.from <= t).map(|s| s.row).collect();
    rows.sort_unstable();
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::testkit::*;

    #[test]
    fn a_deal_is_open_until_won_and_won_until_reopened() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let won = k.won_deal(anna, 1_000, "2026-11-01T10:00:00Z", "2026-11-10T10:00:00Z");
        let open = k.open_deal(anna, 1_000, "2026-11-05T10:00:00Z");
        let row = |k: &Kit, id| k.ws.deals.position(id).unwrap() as u32;
        let (w, o) = (row(&k, won), row(&k, open));
        let past = Past::build(&k.ws);
        assert_eq!(
            past.open_at(at("2026-10-31T10:00:00Z")),
            Vec::<u32>::new(),
            "nothing before creation"
        );
        assert_eq!(past.open_at(at("2026-11-06T10:00:00Z")), vec![w, o]);
        assert_eq!(past.open_at(at("2026-11-10T10:00:00Z")), vec![o], "won at that instant");
        assert_eq!(past.won_at(at("2026-11-10T09:59:59Z")), Vec::<u32>::new());
        assert_eq!(past.won_at(at("2026-11-20T10:00:00Z")), vec![w]);
        assert_eq!(
            past.entered_between(at("2026-11-02T00:00:00Z"), at("2026-11-06T00:00:00Z")),
            vec![o]
        );

        // Reopened: open again from the reopening on, no longer won.
        k.reopen(won, "2026-11-15T10:00:00Z");
        let past = Past::build(&k.ws);
        assert_eq!(past.won_at(at("2026-11-12T10:00:00Z")), vec![w]);
        assert_eq!(past.won_at(at("2026-11-16T10:00:00Z")), Vec::<u32>::new());
        assert_eq!(past.open_at(at("2026-11-16T10:00:00Z")), vec![w, o]);
        // Every instant agrees with the deals' timelines.
        for t in [
            "2026-11-01T10:00:00Z",
            "2026-11-09T00:00:00Z",
            "2026-11-10T10:00:00Z",
            "2026-11-15T10:00:00Z",
        ] {
            let kind_at = |kind| -> Vec<u32> {
                (0..k.ws.deals.len() as u32)
                    .filter(|&r| {
                        let d = &k.ws.deals.as_slice()[r as usize];
                        timeline(&k.ws, d)
                            .stage_at(at(t))
                            .is_some_and(|(p, s)| k.ws.stage_kind(p, s) == kind)
                    })
                    .collect()
            };
            assert_eq!(past.open_at(at(t)), kind_at(StageKind::Open), "{t}");
            assert_eq!(past.won_at(at(t)), kind_at(StageKind::Won), "{t}");
        }
    }
}
