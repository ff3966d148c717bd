//! The workspace as it stands now, prepared once per workspace version for the
//! live view. It holds for any as-of at or after [`Facts::settled_at`], the
//! latest instant anything in the workspace happened: from then on every deal
//! stands in its current stage, every task is open or done for good and no
//! record or communication is yet to appear. The live reports read these short
//! lists instead of scanning the tables (60 thousand open deals rather than a
//! million); for an earlier as-of they scan, and a test holds the two equal.
//!
//! [`Facts::settled_at`]: super::Facts::settled_at

use rustc_hash::FxHashMap as HashMap;

use crate::calendar::Instant;
use crate::config::Config;
use crate::model::{EntityRef, Id, StageKind, TaskKind, Workspace};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Now {
    /// Deals in an open stage, in table order.
    pub open_deals: Vec<OpenDeal>,
    /// Tasks not completed, in table order.
    pub open_tasks: Vec<OpenTask>,
    /// The call-priority report's candidates, made on its first live run after a
    /// change (they hang on every company, so a webhook does not pay for them).
    pub(super) candidates: std::sync::OnceLock<CallCandidates>,
}

/// Companies with a responsible manager that are not already in play (as
/// `[call_priority]` defines it), grouped by manager.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallCandidates {
    pub call_candidates: Vec<CallCandidate>,
    /// The instants the candidates' `recent_deals` and `recent_comms` point into.
    pub recent: Vec<Instant>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpenDeal {
    pub row: u32,
    pub manager: Option<Id>,
    pub state: DealState,
}

/// What the hygiene rules ask of a deal's tasks and communications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DealState {
    pub has_open_task: bool,
    /// When its last task was completed.
    pub last_task_done: Option<Instant>,
    /// Its last stage move or communication, whichever came later.
    pub last_touch: Instant,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpenTask {
    pub row: u32,
    pub responsible_id: Option<Id>,
    pub due_at: Instant,
}

/// A company the call-priority report ranks, with its standing figures; the
/// ones that move with the as-of (recent deals and communications) are kept
/// as instants in [`Now::recent`], only those within the look-back of now.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CallCandidate {
    pub manager: Id,
    pub row: u32,
    pub company_id: Id,
    pub created_at: Instant,
    pub won_revenue: i64,
    /// Its won deals, ever: a client has bought at least once, a prospect never.
    pub won_deals: u32,
    pub last_contact: Option<Instant>,
    pub last_call: Option<Instant>,
    /// Creation instants of its deals, sorted: a range of [`Now::recent`].
    pub recent_deals: (u32, u32),
    /// Its communications, sorted: a range of [`Now::recent`].
    pub recent_comms: (u32, u32),
}

impl CallCandidates {
    pub fn recent(&self, range: (u32, u32)) -> &[Instant] {
        &self.recent[range.0 as usize..range.1 as usize]
    }
}

/// What [`build`] reads from the rest of the index.
pub(super) struct Parts<'a> {
    /// Rows of the deals in an open stage, in table order (read by [`build`] only).
    pub settled_at: Option<Instant>,
    pub open_deal_rows: &'a [u32],
    pub tasks_by_entity: &'a HashMap<EntityRef, Vec<u32>>,
    pub deals_by_company: &'a HashMap<Id, Vec<u32>>,
    pub comms_by_company: &'a HashMap<Id, Vec<Instant>>,
    pub calls_by_company: &'a HashMap<Id, Vec<Instant>>,
    pub comms_by_deal: &'a HashMap<Id, Vec<Instant>>,
}

pub(super) fn build(ws: &Workspace, parts: Parts) -> Now {
    let deals = ws.deals.as_slice();
    let open_deals = parts
        .open_deal_rows
        .iter()
        .map(|&row| open_deal(ws, &deals[row as usize], row, parts.tasks_by_entity, parts.comms_by_deal))
        .collect();
    let open_tasks = ws
        .tasks
        .iter()
        .enumerate()
        .filter(|(_, t)| t.completed_at.is_none())
        .map(|(row, t)| open_task(row as u32, t))
        .collect();
    Now {
        open_deals,
        open_tasks,
        candidates: Default::default(),
    }
}

/// An open deal (at `row`) with what the hygiene rules ask of its tasks and communications.
pub(super) fn open_deal(
    ws: &Workspace,
    deal: &crate::model::Deal,
    row: u32,
    tasks_by_entity: &HashMap<EntityRef, Vec<u32>>,
    comms_by_deal: &HashMap<Id, Vec<Instant>>,
) -> OpenDeal {
    let tasks = ws.tasks.as_slice();
    let mut has_open_task = false;
    let mut last_task_done = None;
    for &t in tasks_by_entity.get(&EntityRef::Deal(deal.id)).map(Vec::as_slice).unwrap_or(&[]) {
        match tasks[t as usize].completed_at {
            None => has_open_task = true,
            done => last_task_done = last_task_done.max(done),
        }
    }
    let moved = super::history::timeline(ws, deal).last().at;
    let last_comm = comms_by_deal.get(&deal.id).and_then(|c| c.last().copied());
    OpenDeal {
        row,
        manager: deal.responsible_id,
        state: DealState {
            has_open_task,
            last_task_done,
            last_touch: last_comm.map_or(moved, |c| c.max(moved)),
        },
    }
}

/// A task not completed, at `row`.
pub(super) fn open_task(row: u32, t: &crate::model::Task) -> OpenTask {
    OpenTask {
        row,
        responsible_id: t.responsible_id,
        due_at: t.due_at,
    }
}

/// The call-priority report's candidates and the instants their ranges point into.
pub(super) fn call_candidates(ws: &Workspace, config: &Config, parts: &Parts) -> CallCandidates {
    let tasks = ws.tasks.as_slice();
    let deals = ws.deals.as_slice();
    let tasks_of = |entity: EntityRef| parts.tasks_by_entity.get(&entity).map(Vec::as_slice).unwrap_or(&[]);
    let open_call_task = |entity: EntityRef| {
        tasks_of(entity)
            .iter()
            .any(|&r| tasks[r as usize].kind == TaskKind::Call && tasks[r as usize].completed_at.is_none())
    };
    // Call candidates: everything about a company that does not move with the
    // as-of, and its instants recent enough to fall in some live look-back window.
    let cfg = &config.call_priority;
    let recent_from = parts.settled_at.map(|t| t - chrono::Duration::days(cfg.lookback_days as i64));
    let mut recent = Vec::new();
    let mut push_recent = |list: &mut dyn Iterator<Item = Instant>| {
        let start = recent.len() as u32;
        recent.extend(list.filter(|t| recent_from.is_none_or(|from| *t >= from)));
        (start, recent.len() as u32)
    };
    let mut call_candidates = Vec::new();
    for (row, company) in ws.companies.iter().enumerate() {
        let Some(manager) = company.responsible_id else { continue };
        let company_deals = parts.deals_by_company.get(&company.id).map(Vec::as_slice).unwrap_or(&[]);
        let mut won_revenue = 0i64;
        let mut won_deals = 0u32;
        let mut in_play = false;
        let mut call_task = cfg.exclude_with_call_task && open_call_task(EntityRef::Company(company.id));
        for &d in company_deals {
            let deal = &deals[d as usize];
            match ws.stage_kind(deal.pipeline_id, deal.stage_id) {
                StageKind::Won => {
                    won_revenue = deal.amount.minor().saturating_add(won_revenue);
                    won_deals += 1;
                }
                StageKind::Open => {
                    in_play = true;
                    call_task |= cfg.exclude_with_call_task && open_call_task(EntityRef::Deal(deal.id));
                }
                _ => {}
            }
        }
        if (cfg.exclude_with_open_deal && in_play) || call_task {
            continue;
        }
        let mut created: Vec<Instant> = company_deals.iter().map(|&d| deals[d as usize].created_at).collect();
        created.sort_unstable();
        let comms = parts.comms_by_company.get(&company.id).map(Vec::as_slice).unwrap_or(&[]);
        call_candidates.push(CallCandidate {
            manager,
            row: row as u32,
            company_id: company.id,
            created_at: company.created_at,
            won_revenue,
            won_deals,
            last_contact: comms.last().copied(),
            last_call: parts.calls_by_company.get(&company.id).and_then(|c| c.last().copied()),
            recent_deals: push_recent(&mut created.into_iter()),
            recent_comms: push_recent(&mut comms.iter().copied()),
        });
    }
    call_candidates.sort_by_key(|c| (c.manager, c.row));
    CallCandidates { call_candidates, recent }
}
