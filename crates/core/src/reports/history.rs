//! A deal's stage history as every report reads it, gaps and all.
//!
//! A CRM's history of a deal is often short of the truth: a lead created
//! straight into a won stage, imported, or synced while an events page never
//! came has no move into the stage it stands in, or no moves at all. Read
//! literally, such a deal was won when it was *created* (864 of 1,050
//! agent-months wrong on a real data set served without events). The rules:
//!
//! - The recorded moves are kept as they are, except that a first entry (the
//!   creation) into a won or lost stage is not taken as a close: amoCRM's
//!   lists only give the current stage, so a creation "into won" is what a
//!   lead without status events looks like.
//! - A deal with no recorded moves was created into its current stage, if that
//!   stage is open or unsorted; if it is won or lost, it was created into an
//!   unknown working stage (the pipeline's first one) and closed later.
//! - When the moves do not reach the stage the deal stands in, one more move
//!   into it is added: at `closed_at` for a won or lost stage (`updated_at`
//!   without it), at `updated_at` for an open one (the latest the CRM says the
//!   deal changed; when exactly it moved is unknown). Never at `created_at`.
//!
//! The live view (the deal as it stands now) and a scan at any past instant
//! read the same [`Timeline`], so the two can never disagree.

use crate::calendar::Instant;
use crate::model::{Deal, Id, StageKind, StageMove, Workspace};

/// A stage a deal stood in from an instant on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stint {
    pub at: Instant,
    pub pipeline_id: Id,
    pub stage_id: Id,
}

impl From<&StageMove> for Stint {
    fn from(m: &StageMove) -> Stint {
        Stint {
            at: m.at,
            pipeline_id: m.pipeline_id,
            stage_id: m.stage_id,
        }
    }
}

/// The deal's stages in time order, with the gaps filled as the module says.
#[derive(Clone, Copy, Debug)]
pub struct Timeline<'a> {
    deal: &'a Deal,
    /// Where it was created, when the recorded moves do not say.
    head: Option<Stint>,
    recorded: &'a [StageMove],
    /// The move into the current stage, when the recorded moves stop short of it.
    tail: Option<Stint>,
}

/// The first working (open) stage of a pipeline, or 0 for a pipeline not known.
fn first_working_stage(ws: &Workspace, pipeline_id: Id) -> Id {
    ws.pipelines
        .get(pipeline_id)
        .and_then(|p| p.stages.iter().filter(|s| s.kind == StageKind::Open).min_by_key(|s| s.sort))
        .map_or(0, |s| s.id)
}

fn is_closed(kind: StageKind) -> bool {
    matches!(kind, StageKind::Won | StageKind::Lost)
}

pub fn timeline<'a>(ws: &Workspace, deal: &'a Deal) -> Timeline<'a> {
    let mut recorded = deal.history.as_slice();
    if let Some(first) = recorded.first()
        && is_closed(ws.stage_kind(first.pipeline_id, first.stage_id))
    {
        recorded = &recorded[1..];
    }
    let current_kind = ws.stage_kind(deal.pipeline_id, deal.stage_id);
    let head = recorded.is_empty().then(|| Stint {
        at: deal.created_at,
        pipeline_id: deal.pipeline_id,
        stage_id: if is_closed(current_kind) {
            first_working_stage(ws, deal.pipeline_id)
        } else {
            deal.stage_id
        },
    });
    let last = recorded.last().map(Stint::from).or(head).expect("a head when nothing is recorded");
    let tail = (last.pipeline_id != deal.pipeline_id || last.stage_id != deal.stage_id).then(|| {
        let at = if is_closed(current_kind) {
            deal.closed_at.unwrap_or(deal.updated_at)
        } else {
            deal.updated_at
        };
        Stint {
            at: at.max(last.at),
            pipeline_id: deal.pipeline_id,
            stage_id: deal.stage_id,
        }
    });
    Timeline {
        deal,
        head,
        recorded,
        tail,
    }
}

impl<'a> Timeline<'a> {
    pub fn deal(&self) -> &'a Deal {
        self.deal
    }

    /// Every stint, oldest first.
    pub fn stints(&self) -> impl Iterator<Item = Stint> + '_ {
        self.head.into_iter().chain(self.recorded.iter().map(Stint::from)).chain(self.tail)
    }

    /// The last move: when the deal came into the stage it stands in.
    pub fn last(&self) -> Stint {
        self.tail
            .or_else(|| self.recorded.last().map(Stint::from))
            .or(self.head)
            .expect("a timeline is never empty")
    }

    /// The stint the deal was in at `at`; `None` before it was created. Before
    /// its first recorded move, a deal stood where that move came from as far as
    /// we know: its first stint.
    pub fn at(&self, at: Instant) -> Option<Stint> {
        if self.deal.created_at > at {
            return None;
        }
        let mut found = None;
        for s in self.stints() {
            if s.at > at {
                break;
            }
            found = Some(s);
        }
        found.or_else(|| self.stints().next())
    }

    /// The (pipeline, stage) at `at`; `None` before the deal existed.
    pub fn stage_at(&self, at: Instant) -> Option<(Id, Id)> {
        self.at(at).map(|s| (s.pipeline_id, s.stage_id))
    }

    /// When the deal last moved stage at or before `at` (its creation if never).
    pub fn last_move_at(&self, at: Instant) -> Instant {
        self.stints()
            .take_while(|s| s.at <= at)
            .last()
            .map_or(self.deal.created_at, |s| s.at.max(self.deal.created_at))
    }

    /// When the deal entered the stage it was in at `at`: the first of the
    /// consecutive stints in that stage ending with the one at `at`.
    pub fn entered_at(&self, at: Instant) -> Instant {
        let mut entered = self.deal.created_at;
        let mut current: Option<(Id, Id)> = None;
        for s in self.stints().take_while(|s| s.at <= at) {
            if current != Some((s.pipeline_id, s.stage_id)) {
                current = Some((s.pipeline_id, s.stage_id));
                entered = s.at.max(self.deal.created_at);
            }
        }
        entered
    }

    /// Calls `emit(won_at, left_at)` for every stretch the deal spent in a won stage.
    pub fn won_stretches(&self, ws: &Workspace, mut emit: impl FnMut(Instant, Option<Instant>)) {
        let mut won_since: Option<Instant> = None;
        for s in self.stints() {
            let is_won = ws.stage_kind(s.pipeline_id, s.stage_id) == StageKind::Won;
            match (won_since, is_won) {
                (None, true) => won_since = Some(s.at),
                (Some(since), false) => {
                    emit(since, Some(s.at));
                    won_since = None;
                }
                _ => {}
            }
        }
        if let Some(since) = won_since {
            emit(since, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AMOCRM_LOST_STATUS, AMOCRM_WON_STATUS};
    use crate::reports::testkit::*;

    fn mv(at_: &str, pipeline_id: Id, stage_id: Id) -> StageMove {
        StageMove {
            at: at(at_),
            pipeline_id,
            stage_id,
            author_id: None,
        }
    }

    fn won_stretches(k: &Kit, id: Id) -> Vec<(Instant, Option<Instant>)> {
        let mut out = Vec::new();
        timeline(&k.ws, k.ws.deals.get(id).unwrap()).won_stretches(&k.ws, |a, b| out.push((a, b)));
        out
    }

    /// A deal built by the kit, then given the history and close that a CRM gave.
    fn deal(k: &mut Kit, stage: Id, history: Vec<StageMove>, closed_at: Option<&str>) -> Id {
        let m = k.manager("Иванов");
        let id = k.open_deal(m, 100_000, "2026-09-01T10:00:00+03:00");
        let d = k.deal_mut(id);
        k.ws.deals.upsert(Deal {
            stage_id: stage,
            history,
            closed_at: closed_at.map(at),
            updated_at: at("2026-11-25T12:00:00+03:00"),
            ..d
        });
        id
    }

    #[test]
    fn a_won_deal_without_events_is_won_when_it_closed_never_when_created() {
        let mut k = Kit::new();
        let no_history = deal(&mut k, AMOCRM_WON_STATUS, vec![], Some("2026-11-10T15:00:00+03:00"));
        // What amoCRM's lists give: the creation "into" the current stage.
        let created_into_won = deal(
            &mut k,
            AMOCRM_WON_STATUS,
            vec![mv("2026-09-01T10:00:00+03:00", COLD, AMOCRM_WON_STATUS)],
            Some("2026-11-10T15:00:00+03:00"),
        );
        for id in [no_history, created_into_won] {
            assert_eq!(won_stretches(&k, id), vec![(at("2026-11-10T15:00:00+03:00"), None)]);
            let d = k.ws.deals.get(id).unwrap();
            let t = timeline(&k.ws, d);
            // Open in the pipeline's first working stage until it closed.
            assert_eq!(t.stage_at(at("2026-10-01T00:00:00+03:00")), Some((COLD, FIRST)));
            assert_eq!(t.stage_at(at("2026-11-10T15:00:00+03:00")), Some((COLD, AMOCRM_WON_STATUS)));
            assert_eq!(t.last().at, at("2026-11-10T15:00:00+03:00"));
        }
        // Without closed_at the last change the CRM knows of stands in.
        let unknown_close = deal(&mut k, AMOCRM_WON_STATUS, vec![], None);
        assert_eq!(won_stretches(&k, unknown_close), vec![(at("2026-11-25T12:00:00+03:00"), None)]);
    }

    #[test]
    fn a_history_that_stops_short_of_the_current_stage_gets_the_move_into_it() {
        let mut k = Kit::new();
        let moves = vec![
            mv("2026-09-01T10:00:00+03:00", COLD, FIRST),
            mv("2026-09-15T10:00:00+03:00", COLD, NEGOTIATION),
        ];
        let won = deal(&mut k, AMOCRM_WON_STATUS, moves.clone(), Some("2026-11-10T15:00:00+03:00"));
        assert_eq!(won_stretches(&k, won), vec![(at("2026-11-10T15:00:00+03:00"), None)]);
        let t = timeline(&k.ws, k.ws.deals.get(won).unwrap());
        assert_eq!(t.stage_at(at("2026-11-01T00:00:00+03:00")), Some((COLD, NEGOTIATION)));
        assert_eq!(t.entered_at(at("2026-11-01T00:00:00+03:00")), at("2026-09-15T10:00:00+03:00"));

        // Back to an open stage after a recorded win: it stopped counting when the CRM last changed it.
        let mut reopened = moves.clone();
        reopened.push(mv("2026-10-01T10:00:00+03:00", COLD, AMOCRM_WON_STATUS));
        let id = deal(&mut k, FIRST, reopened, None);
        assert_eq!(
            won_stretches(&k, id),
            vec![(at("2026-10-01T10:00:00+03:00"), Some(at("2026-11-25T12:00:00+03:00")))]
        );
        assert_eq!(
            timeline(&k.ws, k.ws.deals.get(id).unwrap()).last().at,
            at("2026-11-25T12:00:00+03:00")
        );

        // A history that does reach the current stage is read as it is.
        let mut full = moves;
        full.push(mv("2026-10-20T10:00:00+03:00", COLD, AMOCRM_LOST_STATUS));
        let lost = deal(&mut k, AMOCRM_LOST_STATUS, full, Some("2026-11-10T15:00:00+03:00"));
        let t = timeline(&k.ws, k.ws.deals.get(lost).unwrap());
        assert_eq!(t.last().at, at("2026-10-20T10:00:00+03:00"));
        assert_eq!(t.stints().count(), 3);
    }

    #[test]
    fn an_open_deal_without_events_stands_in_its_stage_since_creation() {
        let mut k = Kit::new();
        let id = deal(&mut k, NEGOTIATION, vec![], None);
        let t = timeline(&k.ws, k.ws.deals.get(id).unwrap());
        assert_eq!(t.stage_at(at("2026-09-01T09:00:00+03:00")), None, "before it existed");
        assert_eq!(t.stage_at(at("2026-09-02T00:00:00+03:00")), Some((COLD, NEGOTIATION)));
        assert_eq!(t.last_move_at(at("2026-12-01T00:00:00+03:00")), at("2026-09-01T10:00:00+03:00"));
        assert!(won_stretches(&k, id).is_empty());
    }

    #[test]
    fn won_and_lost_are_known_in_pipelines_that_are_not() {
        let mut k = Kit::new();
        let m = k.manager("Петров");
        let id = k.open_deal(m, 50_000, "2026-09-01T10:00:00+03:00");
        let mut d = k.deal_mut(id);
        d.pipeline_id = 999_999;
        d.stage_id = AMOCRM_WON_STATUS;
        d.history = vec![
            mv("2026-09-01T10:00:00+03:00", 999_999, 77),
            mv("2026-10-05T10:00:00+03:00", 999_999, AMOCRM_WON_STATUS),
        ];
        k.ws.deals.upsert(d);
        assert_eq!(k.ws.stage_kind(999_999, AMOCRM_WON_STATUS), StageKind::Won);
        assert_eq!(k.ws.stage_kind(999_999, AMOCRM_LOST_STATUS), StageKind::Lost);
        assert_eq!(k.ws.stage_kind(999_999, 77), StageKind::Open);
        assert_eq!(won_stretches(&k, id), vec![(at("2026-10-05T10:00:00+03:00"), None)]);
    }
}
