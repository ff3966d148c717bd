//! What a report for an earlier moment (a month ago) reads instead of every
//! deal's history: when each deal stood in an open or a won stage, as
//! stretches of time, and when it first entered each pipeline. Hygiene and
//! call priority then visit the deals open or won at that moment, and the
//! funnel the deals that entered a pipeline in its period, rather than working
//! out a million timelines. Built once per workspace version beside the rest
//! of [`Facts`](super::Facts); a test (`live_equals_scan`) holds every report
//! equal with and without it.

use crate::calendar::Instant;
use crate::model::{StageKind, Workspace};

use crate::reports::history::timeline;

/// A stretch of time `[from, until)` a deal (by its row) stood in stages of
/// one kind, in nanoseconds since the epoch (`i64::MAX`: still there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stretch {
    from: i64,
    until: i64,
    row: u32,
}

#[derive(Clone, Debug, Default)]
pub struct Past {
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
        let mut seen = Vec::new();
        for (row, deal) in ws.deals.iter().enumerate() {
            let row = row as u32;
            let created = nanos(deal.created_at);
            stints.clear();
            stints.extend(timeline(ws, deal).stints().map(|s| (nanos(s.at), s)));
            // The stint `Timeline::at` gives for an instant `t >= created`: the one
            // before the first stint later than `t` (the first if none is earlier).
            // So stint k covers [max(created, the latest of stints 0..=k), start of
            // stint k + 1), stint 0 from `created`; together they cover every t.
            let mut latest = i64::MIN;
            for (k, &(at, s)) in stints.iter().enumerate() {
                latest = latest.max(at);
                let from = if k == 0 { created } else { latest.max(created) };
                let until = stints.get(k + 1).map_or(i64::MAX, |n| n.0);
                if from >= until {
                    continue;
                }
                let list = match ws.stage_kind(s.pipeline_id, s.stage_id) {
                    StageKind::Open => &mut open,
                    StageKind::Won => &mut won,
                    _ => continue,
                };
                match list.last_mut() {
                    // Stints that follow each other in one kind make one stretch.
                    Some(last) if last.row == row && last.until == from => last.until = until,
                    _ => list.push(Stretch { from, until, row }),
                }
            }
            // First entries into each pipeline, as the funnel reads them (its stays with no as-of bound).
            seen.clear();
            for (k, &(_, s)) in stints.iter().enumerate() {
                if seen.contains(&s.pipeline_id) {
                    continue;
                }
                seen.push(s.pipeline_id);
                let from = if k == 0 { deal.created_at } else { s.at.max(deal.created_at) };
                entries.push((nanos(from), row));
            }
        }
        open.sort_unstable_by_key(|s| (s.until, s.row));
        won.sort_unstable_by_key(|s| (s.until, s.row));
        entries.sort_unstable();
        // A task is open from its creation until it is completed (`Task::is_open_at`).
        let mut tasks: Vec<Stretch> = ws
            .tasks
            .iter()
            .enumerate()
            .map(|(row, t)| Stretch {
                from: nanos(t.created_at),
                until: t.completed_at.map_or(i64::MAX, nanos),
                row: row as u32,
            })
            .filter(|s| s.from < s.until)
            .collect();
        tasks.sort_unstable_by_key(|s| (s.until, s.row));
        let deals = ws.deals.iter().map(|d| (nanos(d.created_at), d.amount.minor())).collect();
        Past {
            open,
            won,
            entries,
            tasks,
            deals,
        }
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
