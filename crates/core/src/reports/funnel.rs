//! The funnel: per pipeline, the deals that entered it in a period followed
//! through its stages: how many reached each stage, stage-to-stage conversion
//! and conversion to won, days spent in each stage, where and why deals were
//! lost, and the deals handed over to another pipeline (the cold pipeline
//! passing leads to the hot one) with how many of those were won.
//!
//! The rules, all read from the deal's [`Timeline`](super::history::Timeline)
//! as it stood at the as-of instant:
//! - A deal entered a pipeline when it first stood in it: its creation, or the
//!   move into it from another pipeline. Only that first entry counts, and
//!   only the first stay in the pipeline (until the deal left it) is followed.
//! - Reaching an open stage means having passed every open stage before it in
//!   the pipeline's order (a skipped stage counts as passed); a won deal passed
//!   them all. Unsorted leads are a step of their own at the top: reaching
//!   a working stage does not imply having been unsorted.
//! - Won and lost are where the deal stands at the as-of instant (or stood
//!   when it left the pipeline): a deal won and reopened is not won.
//! - Days in a stage: from entering it to leaving it, summed per deal over
//!   its visits; a deal still in the stage at the as-of instant counts up to
//!   then. Skipped stages add no time.
//! - The manager (and team) is the one responsible when the deal entered.

use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;

use super::history::timeline;
use super::{Ctx, ReportParams, percent, round_to};
use crate::calendar::Instant;
use crate::i18n::{Language, text};
use crate::model::{Id, Pipeline, StageKind, Workspace};
use crate::query::Span;

/// The period the funnel covers when none is asked for.
pub const DEFAULT_PERIOD: &str = "last_90_days";

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Funnel {
    pub as_of: Instant,
    pub period: Span,
    pub period_label: String,
    pub manager_id: Option<Id>,
    pub team_id: Option<Id>,
    /// Who the figures are for: the team, the manager or the team chosen.
    pub who: String,
    pub pipelines: Vec<PipelineFunnel>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PipelineFunnel {
    pub pipeline_id: Id,
    pub pipeline: String,
    /// Deals that entered the pipeline in the period.
    pub entered: u32,
    /// Of those, the ones that came from another pipeline.
    pub from_other_pipelines: u32,
    pub won: u32,
    pub lost: u32,
    /// Left for another pipeline (see `handed_over_to`).
    pub handed_over: u32,
    /// Still in a working stage of this pipeline.
    pub in_work: u32,
    /// Won of entered, %.
    pub conversion_to_won: Option<f64>,
    pub stages: Vec<FunnelStage>,
    pub lost_by_stage: Vec<LossRow>,
    pub lost_by_reason: Vec<LossRow>,
    pub handed_over_to: Vec<HandOver>,
}

/// One step of the funnel: an unsorted, working or the won stage.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FunnelStage {
    /// The stage's id (the first won stage's for the won step).
    pub stage_id: Id,
    pub stage: String,
    pub kind: StageKind,
    /// Deals that reached the stage (or, for the won step, stand won).
    pub entered: u32,
    /// Of the deals that reached the step before, the share that reached this one, %.
    pub conversion_from_previous: Option<f64>,
    /// Of the deals that reached this step, the share won, %.
    pub conversion_to_won: Option<f64>,
    /// Days spent in the stage: median and 80th percentile, one decimal.
    pub days_median: Option<f64>,
    pub days_p80: Option<f64>,
    /// Deals behind the days (those that stood in the stage; skipped ones did not).
    pub timed: u32,
    /// Deals in the stage at the as-of instant.
    pub still_in: u32,
}

/// Lost deals under one stage or one loss reason.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LossRow {
    /// The stage or the loss reason; `None` when not known.
    pub id: Option<Id>,
    pub label: String,
    pub count: u32,
    /// Of the pipeline's lost deals, %.
    pub share: Option<f64>,
}

/// Deals that left the pipeline for another one.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HandOver {
    pub to_pipeline_id: Id,
    pub to_pipeline: String,
    pub count: u32,
    /// Of those, standing won at the as-of instant (in any pipeline).
    pub won: u32,
    pub lost: u32,
    pub conversion_to_won: Option<f64>,
}

/// Reads a period as the query layer writes it (`last_quarter`, `2026-11`,
/// `2026-01-01..2026-03-31`...), relative to the as-of day.
pub fn parse_period(text: &str, today: chrono::NaiveDate) -> Result<Span, crate::query::QueryError> {
    Span::parse(text, today).ok_or_else(|| crate::query::QueryError::UnknownPeriod(text.to_string()))
}

fn norm(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase().replace('ё', "е")
}

/// Finds a pipeline by id or name (case-insensitive, ё = е), for `--pipeline` and `?pipeline=`.
pub fn resolve_pipeline(ws: &Workspace, text: &str) -> Result<Id, String> {
    resolve(text, ws.pipelines.iter().map(|p| (p.id, p.name.as_str())), "pipeline")
}

/// Finds a team (amoCRM's group) by id or name, for `--team` and `?team=`.
pub fn resolve_team(ws: &Workspace, text: &str) -> Result<Id, String> {
    resolve(text, ws.teams.iter().map(|t| (t.id, t.name.as_str())), "team")
}

fn resolve<'a>(text: &str, all: impl Iterator<Item = (Id, &'a str)>, what: &str) -> Result<Id, String> {
    let all: Vec<(Id, &str)> = all.collect();
    let wanted = norm(text);
    if let Ok(id) = wanted.parse::<Id>()
        && all.iter().any(|(i, _)| *i == id)
    {
        return Ok(id);
    }
    let found: Vec<Id> = all.iter().filter(|(_, n)| norm(n) == wanted).map(|(i, _)| *i).collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => {
            let mut names: Vec<&str> = all.iter().map(|(_, n)| *n).collect();
            names.sort();
            Err(format!("no {what} {text:?}; known: {}", names.join(", ")))
        }
        _ => Err(format!("{text:?} matches {} of them; use the id", found.len())),
    }
}

/// A pipeline's steps in order: unsorted stages, working stages, then won.
struct Steps<'a> {
    pipeline: &'a Pipeline,
    /// (stage id, kind) per step; the last is the won step.
    steps: Vec<(Id, StageKind, String)>,
    index: HashMap<Id, usize>,
    won: usize,
}

impl<'a> Steps<'a> {
    fn new(pipeline: &'a Pipeline, lang: Language) -> Steps<'a> {
        let mut stages: Vec<_> = pipeline.stages.iter().collect();
        stages.sort_by_key(|s| (s.sort, s.id));
        let mut steps = Vec::new();
        for kind in [StageKind::Unsorted, StageKind::Open] {
            steps.extend(stages.iter().filter(|s| s.kind == kind).map(|s| (s.id, kind, s.name.clone())));
        }
        let won_stage = stages.iter().find(|s| s.kind == StageKind::Won);
        steps.push(match won_stage {
            Some(s) => (s.id, StageKind::Won, s.name.clone()),
            None => (
                crate::model::AMOCRM_WON_STATUS,
                StageKind::Won,
                text(lang, "funnel.won").to_string(),
            ),
        });
        let won = steps.len() - 1;
        let mut index: HashMap<Id, usize> = steps[..won].iter().enumerate().map(|(i, s)| (s.0, i)).collect();
        for s in stages.iter().filter(|s| s.kind == StageKind::Won) {
            index.insert(s.id, won);
        }
        Steps {
            pipeline,
            steps,
            index,
            won,
        }
    }
}

/// A stretch in one (pipeline, stage), consecutive moves into the same stage merged.
#[derive(Clone, Copy, Debug)]
struct Stay {
    pipeline: Id,
    stage: Id,
    from: Instant,
    /// When it left; `None` when it still stood there at the as-of instant.
    until: Option<Instant>,
}

/// The deal's stays up to `as_of`; empty if it did not exist yet.
fn stays(ws: &Workspace, deal: &crate::model::Deal, as_of: Instant, out: &mut Vec<Stay>) {
    out.clear();
    if deal.created_at > as_of {
        return;
    }
    for (i, s) in timeline(ws, deal).stints().enumerate() {
        // Before its first recorded move a deal stood where that move says, since creation.
        let from = if i == 0 { deal.created_at } else { s.at.max(deal.created_at) };
        if from > as_of {
            break;
        }
        match out.last_mut() {
            Some(last) if last.pipeline == s.pipeline_id && last.stage == s.stage_id => {}
            last => {
                if let Some(last) = last {
                    last.until = Some(from);
                }
                out.push(Stay {
                    pipeline: s.pipeline_id,
                    stage: s.stage_id,
                    from,
                    until: None,
                });
            }
        }
    }
}

/// What one pipeline's figures are summed from.
#[derive(Default)]
struct Tally {
    entered: u32,
    from_other: u32,
    won: u32,
    lost: u32,
    handed: u32,
    /// Per step: reached, reached and the step before, reached and won.
    reached: Vec<u32>,
    reached_after_previous: Vec<u32>,
    reached_won: Vec<u32>,
    days: Vec<Vec<f64>>,
    still_in: Vec<u32>,
    /// Lost deals by the step they were lost at (`None`: not known).
    lost_at: HashMap<Option<usize>, u32>,
    lost_reason: HashMap<Option<Id>, u32>,
    /// Per destination pipeline: handed, won, lost.
    handed_to: HashMap<Id, (u32, u32, u32)>,
}

/// The `q` quantile (0..1) of sorted values, interpolated between ranks.
fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let v = sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64);
    Some(round_to(v, 1))
}

fn days_between(from: Instant, to: Instant) -> f64 {
    (to - from).num_seconds().max(0) as f64 / 86_400.0
}

pub fn funnel(ctx: &Ctx, params: &ReportParams) -> Funnel {
    let lang = ctx.config.business.language;
    let ws = ctx.ws;
    let today = ctx.calendar.local_date(ctx.as_of);
    let period = params
        .period
        .as_deref()
        .and_then(|p| Span::parse(p, today))
        .or_else(|| Span::parse(DEFAULT_PERIOD, today))
        .expect("the default period parses");
    let from = ctx.calendar.start_of_day(period.start);
    let to = ctx.calendar.start_of_day(period.end);

    let mut pipelines: Vec<&Pipeline> = ws
        .pipelines
        .iter()
        .filter(|p| params.pipeline.is_none_or(|only| p.id == only))
        .collect();
    pipelines.sort_by_key(|p| (p.sort, p.id));
    let steps: Vec<Steps> = pipelines.iter().map(|p| Steps::new(p, lang)).collect();
    let slot: HashMap<Id, usize> = pipelines.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    let mut tallies: Vec<Tally> = steps
        .iter()
        .map(|s| {
            let n = s.steps.len();
            Tally {
                reached: vec![0; n],
                reached_after_previous: vec![0; n],
                reached_won: vec![0; n],
                days: vec![Vec::new(); n],
                still_in: vec![0; n],
                ..Tally::default()
            }
        })
        .collect();

    let wanted = |manager: Option<Id>| -> bool {
        if params.manager.is_some() && manager != params.manager {
            return false;
        }
        match params.team {
            Some(team) => manager.and_then(|m| ws.users.get(m)).and_then(|u| u.team_id) == Some(team),
            None => true,
        }
    };

    let mut all = Vec::new();
    let mut seen: Vec<Id> = Vec::new();
    let mut reached = Vec::new();
    let mut days: HashMap<usize, f64> = HashMap::default();
    // With the index, only the deals that entered a pipeline in the period (the rest skip below).
    let entered = ctx.facts.past(ctx.ws).map(|p| p.entered_between(from, to));
    let deals: Box<dyn Iterator<Item = &crate::model::Deal>> = match &entered {
        Some(rows) => Box::new(rows.iter().map(|&r| &ws.deals.as_slice()[r as usize])),
        None => Box::new(ws.deals.iter()),
    };
    for deal in deals {
        // A deal enters a pipeline at its creation or later.
        if deal.created_at >= to || deal.created_at > ctx.as_of {
            continue;
        }
        // Nor can one whose every move came before the period (most of a year's deals).
        if deal.created_at < from && timeline(ws, deal).last().at < from {
            continue;
        }
        stays(ws, deal, ctx.as_of, &mut all);
        seen.clear();
        for (i0, first) in all.iter().enumerate() {
            if seen.contains(&first.pipeline) {
                continue;
            }
            seen.push(first.pipeline);
            let Some(&p) = slot.get(&first.pipeline) else { continue };
            if first.from < from || first.from >= to || !wanted(deal.responsible_at(first.from)) {
                continue;
            }
            let (st, tally) = (&steps[p], &mut tallies[p]);
            let end = all[i0..]
                .iter()
                .position(|s| s.pipeline != first.pipeline)
                .map_or(all.len(), |n| i0 + n);
            let stay = &all[i0..end];
            tally.entered += 1;
            tally.from_other += (i0 > 0) as u32;

            // The steps reached: unsorted ones as visited, working ones up to the furthest.
            reached.clear();
            reached.resize(st.steps.len(), false);
            days.clear();
            let mut furthest: Option<usize> = None;
            for s in stay {
                let Some(&k) = st.index.get(&s.stage) else { continue };
                match st.steps[k].1 {
                    StageKind::Unsorted => reached[k] = true,
                    _ => furthest = furthest.max(Some(k)),
                }
                if k != st.won {
                    *days.entry(k).or_default() += days_between(s.from, s.until.unwrap_or(ctx.as_of));
                    if s.until.is_none() {
                        tally.still_in[k] += 1;
                    }
                }
            }
            if let Some(furthest) = furthest {
                for (r, step) in reached.iter_mut().zip(&st.steps).take(st.won.min(furthest + 1)) {
                    *r |= step.1 == StageKind::Open;
                }
            }
            for (&k, &d) in &days {
                tally.days[k].push(d);
            }

            let last = stay.last().expect("a stay has a stint");
            let handed_to = all.get(end).map(|s| s.pipeline);
            let final_kind = ws.stage_kind(first.pipeline, last.stage);
            let won_here = handed_to.is_none() && final_kind == StageKind::Won;
            reached[st.won] = won_here;
            for k in 0..reached.len() {
                if reached[k] {
                    tally.reached[k] += 1;
                    tally.reached_won[k] += won_here as u32;
                    tally.reached_after_previous[k] += (k > 0 && reached[k - 1]) as u32;
                }
            }
            match handed_to {
                Some(to_pipeline) => {
                    tally.handed += 1;
                    // Where the deal stands now, in whichever pipeline.
                    let now = all.last().expect("stays");
                    let kind = ws.stage_kind(now.pipeline, now.stage);
                    let e = tally.handed_to.entry(to_pipeline).or_default();
                    e.0 += 1;
                    e.1 += (kind == StageKind::Won) as u32;
                    e.2 += (kind == StageKind::Lost) as u32;
                }
                None if won_here => tally.won += 1,
                None if final_kind == StageKind::Lost => {
                    tally.lost += 1;
                    // The stage it stood in when lost: the stay before the loss, in this pipeline.
                    let before = stay.len().checked_sub(2).map(|i| stay[i]);
                    let at = before
                        .filter(|b| !matches!(ws.stage_kind(b.pipeline, b.stage), StageKind::Won | StageKind::Lost))
                        .and_then(|b| st.index.get(&b.stage).copied());
                    *tally.lost_at.entry(at).or_default() += 1;
                    *tally.lost_reason.entry(deal.loss_reason_id).or_default() += 1;
                }
                None => {}
            }
        }
    }

    let pipelines = steps.iter().zip(tallies).map(|(st, t)| pipeline_funnel(ws, lang, st, t)).collect();
    let who = match (params.manager, params.team) {
        (Some(m), _) => ctx.manager_name(Some(m)),
        (None, Some(team)) => ws.teams.get(team).map_or_else(|| format!("#{team}"), |t| t.name.clone()),
        (None, None) => text(lang, "report.team_total").to_string(),
    };
    Funnel {
        as_of: ctx.as_of,
        period,
        period_label: period.label(lang),
        manager_id: params.manager,
        team_id: params.team,
        who,
        pipelines,
    }
}

fn pipeline_funnel(ws: &Workspace, lang: Language, st: &Steps, t: Tally) -> PipelineFunnel {
    let stages = st
        .steps
        .iter()
        .enumerate()
        .map(|(k, (id, kind, name))| {
            let mut days = t.days[k].clone();
            days.sort_by(f64::total_cmp);
            FunnelStage {
                stage_id: *id,
                stage: name.clone(),
                kind: *kind,
                entered: t.reached[k],
                conversion_from_previous: (k > 0)
                    .then(|| percent(t.reached_after_previous[k] as i64, t.reached[k - 1] as i64))
                    .flatten(),
                conversion_to_won: percent(t.reached_won[k] as i64, t.reached[k] as i64),
                days_median: quantile(&days, 0.5),
                days_p80: quantile(&days, 0.8),
                timed: days.len() as u32,
                still_in: t.still_in[k],
            }
        })
        .collect();
    let share = |n: u32| percent(n as i64, t.lost as i64);
    let mut lost_by_stage: Vec<(Option<usize>, u32)> = t.lost_at.into_iter().collect();
    // In the funnel's order, "not known" last.
    lost_by_stage.sort_by_key(|(k, _)| k.map_or(usize::MAX, |k| k));
    let lost_by_stage = lost_by_stage
        .into_iter()
        .map(|(k, count)| LossRow {
            id: k.map(|k| st.steps[k].0),
            label: match k {
                Some(k) => st.steps[k].2.clone(),
                None => text(lang, "funnel.stage_unknown").to_string(),
            },
            count,
            share: share(count),
        })
        .collect();
    let mut lost_by_reason: Vec<LossRow> = t
        .lost_reason
        .into_iter()
        .map(|(id, count)| LossRow {
            id,
            label: match id {
                Some(id) => ws.loss_reasons.get(id).map_or_else(|| format!("#{id}"), |r| r.name.clone()),
                None => text(lang, "funnel.no_reason").to_string(),
            },
            count,
            share: share(count),
        })
        .collect();
    lost_by_reason.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.id.is_none().cmp(&b.id.is_none()))
            .then_with(|| a.label.cmp(&b.label))
    });
    let mut handed_over_to: Vec<HandOver> = t
        .handed_to
        .into_iter()
        .map(|(to, (count, won, lost))| HandOver {
            to_pipeline_id: to,
            to_pipeline: ws.pipelines.get(to).map_or_else(|| format!("#{to}"), |p| p.name.clone()),
            count,
            won,
            lost,
            conversion_to_won: percent(won as i64, count as i64),
        })
        .collect();
    handed_over_to.sort_by(|a, b| b.count.cmp(&a.count).then(a.to_pipeline_id.cmp(&b.to_pipeline_id)));
    PipelineFunnel {
        pipeline_id: st.pipeline.id,
        pipeline: st.pipeline.name.clone(),
        entered: t.entered,
        from_other_pipelines: t.from_other,
        won: t.won,
        lost: t.lost,
        handed_over: t.handed,
        in_work: t.entered - t.won - t.lost - t.handed,
        conversion_to_won: percent(t.won as i64, t.entered as i64),
        stages,
        lost_by_stage,
        lost_by_reason,
        handed_over_to,
    }
}

/// The report's registration (see [`super::registry`]).
pub struct FunnelReport;

impl super::ReportKind for FunnelReport {
    type Output = Funnel;
    const DEF: super::registry::Definition = super::registry::Definition {
        id: "funnel",
        title_key: "report.funnel",
        params: &[
            super::registry::Param::Manager,
            super::registry::Param::Period,
            super::registry::Param::Pipeline,
            super::registry::Param::Team,
        ],
        reads: super::registry::Definition::READS_DEALS,
    };
    fn run(ctx: &Ctx, params: &ReportParams) -> Funnel {
        funnel(ctx, params)
    }
    fn tables(output: &Funnel, lang: crate::i18n::Language, currency: &str) -> Vec<super::tabular::Table> {
        super::tabular::funnel(output, lang, currency)
    }
    fn as_of(output: &Funnel) -> Instant {
        output.as_of
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{AMOCRM_LOST_STATUS, AMOCRM_WON_STATUS, Deal, LossReason, ResponsibleChange, Stage, StageMove, Team};
    use crate::reports::testkit::*;
    use crate::reports::{Report, ReportId};

    const UNSORTED: Id = 9;

    fn run(k: &Kit, as_of: &str, params: ReportParams) -> Funnel {
        match k.report_with(ReportId::Funnel, as_of, params) {
            Report::Funnel(f) => f,
            _ => unreachable!(),
        }
    }

    fn period(p: &str) -> ReportParams {
        ReportParams {
            period: Some(p.into()),
            ..Default::default()
        }
    }

    fn pipeline(f: &Funnel, id: Id) -> &PipelineFunnel {
        f.pipelines.iter().find(|p| p.pipeline_id == id).expect("the pipeline is listed")
    }

    /// (stage name, entered) per step.
    fn entered(p: &PipelineFunnel) -> Vec<(&str, u32)> {
        p.stages.iter().map(|s| (s.stage.as_str(), s.entered)).collect()
    }

    fn stage(p: &PipelineFunnel, id: Id) -> &FunnelStage {
        p.stages.iter().find(|s| s.stage_id == id).unwrap()
    }

    /// Moves a deal as a CRM would record it.
    fn mv(k: &mut Kit, id: Id, when: &str, pipeline: Id, stage: Id) {
        let mut d = k.deal_mut(id);
        d.history.push(StageMove {
            at: at(when),
            pipeline_id: pipeline,
            stage_id: stage,
            author_id: d.responsible_id,
        });
        d.pipeline_id = pipeline;
        d.stage_id = stage;
        d.updated_at = at(when);
        d.closed_at = matches!(stage, AMOCRM_WON_STATUS | AMOCRM_LOST_STATUS).then(|| at(when));
        k.ws.deals.upsert(d);
    }

    /// A deal created straight into `stage` of the cold pipeline.
    fn created_in(k: &mut Kit, manager: Id, stage: Id, created: &str) -> Id {
        let id = k.open_deal(manager, 10_000, created);
        let mut d = k.deal_mut(id);
        d.stage_id = stage;
        d.history[0].stage_id = stage;
        k.ws.deals.upsert(d);
        id
    }

    fn lose(k: &mut Kit, id: Id, when: &str, reason: Option<Id>) {
        let pipeline = k.ws.deals.get(id).unwrap().pipeline_id;
        mv(k, id, when, pipeline, AMOCRM_LOST_STATUS);
        let mut d = k.deal_mut(id);
        d.loss_reason_id = reason;
        k.ws.deals.upsert(d);
    }

    fn reason(k: &mut Kit, name: &str) -> Id {
        let id = k.id();
        k.ws.loss_reasons.upsert(LossReason { id, name: name.into() });
        id
    }

    const AS_OF: &str = "2026-11-26T10:00:00+03:00";

    #[test]
    fn skipped_stages_count_as_passed_and_days_are_per_stage() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let expensive = reason(&mut k, "Дорого");
        // Won straight from the first stage: it passed negotiation too.
        let a = k.open_deal(anna, 10_000, "2026-11-01T10:00:00+03:00");
        k.win(a, "2026-11-03T10:00:00+03:00");
        // Created straight into negotiation: it passed the first stage, with no time in it.
        created_in(&mut k, anna, NEGOTIATION, "2026-11-10T10:00:00+03:00");
        let c = k.open_deal(anna, 10_000, "2026-11-01T10:00:00+03:00");
        k.advance(c, "2026-11-05T10:00:00+03:00");
        lose(&mut k, c, "2026-11-15T10:00:00+03:00", Some(expensive));
        k.open_deal(anna, 10_000, "2026-11-16T10:00:00+03:00");

        let f = run(&k, AS_OF, ReportParams::default());
        let cold = pipeline(&f, COLD);
        assert_eq!(
            entered(cold),
            vec![("Первичный контакт", 4), ("Переговоры", 3), ("Успешно реализовано", 1)]
        );
        assert_eq!((cold.entered, cold.won, cold.lost, cold.in_work), (4, 1, 1, 2));
        assert_eq!(cold.conversion_to_won, Some(25.0));
        let first = stage(cold, FIRST);
        assert_eq!((first.conversion_from_previous, first.conversion_to_won), (None, Some(25.0)));
        // 2, 4 and 10 days (the last still there, counted to the as-of).
        assert_eq!(
            (first.days_median, first.days_p80, first.timed, first.still_in),
            (Some(4.0), Some(7.6), 3, 1)
        );
        let negotiation = stage(cold, NEGOTIATION);
        assert_eq!(negotiation.conversion_from_previous, Some(75.0));
        // Lost after 10 days; created there 16 days ago; the won deal skipped it.
        assert_eq!(
            (negotiation.days_median, negotiation.days_p80, negotiation.timed),
            (Some(13.0), Some(14.8), 2)
        );
        let won = stage(cold, AMOCRM_WON_STATUS);
        assert_eq!((won.conversion_from_previous, won.days_median), (Some(33.3), None));
        assert_eq!(cold.lost_by_stage.len(), 1);
        assert_eq!(
            (cold.lost_by_stage[0].label.as_str(), cold.lost_by_stage[0].count),
            ("Переговоры", 1)
        );
        assert_eq!(
            (cold.lost_by_reason[0].label.as_str(), cold.lost_by_reason[0].share),
            ("Дорого", Some(100.0))
        );
        assert_eq!(f.period_label, "29.08.2026–26.11.2026", "the last 90 days by default");
        assert_eq!(pipeline(&f, HOT).entered, 0);
    }

    #[test]
    fn a_deal_handed_to_another_pipeline_is_followed_there() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let won_in_hot = k.open_deal(anna, 10_000, "2026-11-01T10:00:00+03:00");
        k.move_to_hot_pipeline(won_in_hot, "2026-11-05T10:00:00+03:00");
        k.win(won_in_hot, "2026-11-10T10:00:00+03:00");
        let open_in_hot = k.open_deal(anna, 10_000, "2026-11-01T10:00:00+03:00");
        k.move_to_hot_pipeline(open_in_hot, "2026-11-06T10:00:00+03:00");

        let f = run(&k, AS_OF, ReportParams::default());
        let cold = pipeline(&f, COLD);
        assert_eq!((cold.entered, cold.won, cold.handed_over, cold.in_work), (2, 0, 2, 0));
        assert_eq!(cold.handed_over_to.len(), 1);
        let h = &cold.handed_over_to[0];
        assert_eq!(
            (h.to_pipeline.as_str(), h.count, h.won, h.conversion_to_won),
            ("Горячие продажи", 2, 1, Some(50.0))
        );
        assert_eq!(stage(cold, FIRST).days_median, Some(4.5), "4 and 5 days before the hand-over");
        assert_eq!(stage(cold, FIRST).still_in, 0);
        let hot = pipeline(&f, HOT);
        assert_eq!((hot.entered, hot.from_other_pipelines, hot.won, hot.in_work), (2, 2, 1, 1));
        assert_eq!(
            entered(hot),
            vec![("Первичный контакт", 2), ("Переговоры", 1), ("Успешно реализовано", 1)]
        );

        // Before the win, nothing was won on either side.
        let f = run(&k, "2026-11-08T10:00:00+03:00", ReportParams::default());
        assert_eq!(pipeline(&f, COLD).handed_over_to[0].won, 0);
        assert_eq!(pipeline(&f, HOT).won, 0);
        // Before the hand-over, the deals were the cold pipeline's own.
        let f = run(&k, "2026-11-04T10:00:00+03:00", ReportParams::default());
        assert_eq!((pipeline(&f, COLD).handed_over, pipeline(&f, COLD).in_work), (0, 2));
        assert_eq!(pipeline(&f, HOT).entered, 0);
        // One pipeline only.
        let f = run(
            &k,
            AS_OF,
            ReportParams {
                pipeline: Some(HOT),
                ..Default::default()
            },
        );
        assert_eq!(f.pipelines.len(), 1);
        assert_eq!(f.pipelines[0].pipeline_id, HOT);
    }

    #[test]
    fn a_reopened_deal_is_not_won_but_passed_every_stage() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let id = k.open_deal(anna, 10_000, "2026-11-01T10:00:00+03:00");
        k.win(id, "2026-11-05T10:00:00+03:00");
        k.reopen(id, "2026-11-10T10:00:00+03:00");

        let cold = run(&k, AS_OF, ReportParams::default()).pipelines.remove(0);
        assert_eq!((cold.won, cold.in_work), (0, 1));
        assert_eq!(
            entered(&cold),
            vec![("Первичный контакт", 1), ("Переговоры", 1), ("Успешно реализовано", 0)]
        );
        assert_eq!(stage(&cold, NEGOTIATION).days_median, Some(16.0), "since it was reopened");
        assert_eq!(stage(&cold, NEGOTIATION).still_in, 1);
        // While it stood won, it was won.
        let cold = run(&k, "2026-11-07T10:00:00+03:00", ReportParams::default()).pipelines.remove(0);
        assert_eq!((cold.won, cold.in_work), (1, 0));
        assert_eq!(stage(&cold, FIRST).days_median, Some(4.0));
    }

    #[test]
    fn deals_without_stage_events_read_from_created_and_closed() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        for (stage, closed) in [
            (AMOCRM_WON_STATUS, "2026-11-10T10:00:00+03:00"),
            (AMOCRM_LOST_STATUS, "2026-11-04T10:00:00+03:00"),
        ] {
            let id = k.open_deal(anna, 10_000, "2026-11-01T10:00:00+03:00");
            let d = k.deal_mut(id);
            k.ws.deals.upsert(Deal {
                stage_id: stage,
                history: vec![],
                closed_at: Some(at(closed)),
                updated_at: at("2026-11-20T10:00:00+03:00"),
                ..d
            });
        }
        let cold = run(&k, AS_OF, ReportParams::default()).pipelines.remove(0);
        assert_eq!((cold.entered, cold.won, cold.lost), (2, 1, 1));
        assert_eq!(
            entered(&cold),
            vec![("Первичный контакт", 2), ("Переговоры", 1), ("Успешно реализовано", 1)]
        );
        // In the first stage from creation until closed: 9 and 3 days.
        assert_eq!(stage(&cold, FIRST).days_median, Some(6.0));
        assert_eq!(
            (cold.lost_by_stage[0].label.as_str(), cold.lost_by_reason[0].label.as_str()),
            ("Первичный контакт", "Причина не указана")
        );
    }

    #[test]
    fn unsorted_leads_are_a_step_of_their_own_at_the_top() {
        let mut k = Kit::new();
        let mut cold = k.ws.pipelines.get(COLD).unwrap().clone();
        cold.stages.insert(
            0,
            Stage {
                id: UNSORTED,
                name: "Неразобранное".into(),
                sort: 5,
                kind: StageKind::Unsorted,
            },
        );
        k.ws.pipelines.upsert(cold);
        let anna = k.manager("Анна");
        let taken = created_in(&mut k, anna, UNSORTED, "2026-11-01T10:00:00+03:00");
        mv(&mut k, taken, "2026-11-02T10:00:00+03:00", COLD, FIRST);
        let rejected = created_in(&mut k, anna, UNSORTED, "2026-11-01T10:00:00+03:00");
        lose(&mut k, rejected, "2026-11-03T10:00:00+03:00", None);
        k.open_deal(anna, 10_000, "2026-11-01T10:00:00+03:00");

        let cold = run(&k, AS_OF, ReportParams::default()).pipelines.remove(0);
        assert_eq!(
            entered(&cold),
            vec![
                ("Неразобранное", 2),
                ("Первичный контакт", 2),
                ("Переговоры", 0),
                ("Успешно реализовано", 0)
            ]
        );
        let first = stage(&cold, FIRST);
        assert_eq!(
            first.conversion_from_previous,
            Some(50.0),
            "half the unsorted leads were taken into work"
        );
        assert_eq!(stage(&cold, UNSORTED).days_median, Some(1.5));
        assert_eq!(cold.lost_by_stage[0].label, "Неразобранное");
    }

    #[test]
    fn an_empty_period_lists_every_pipeline_with_nothing_in_it() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        k.won_deal(anna, 10_000, "2026-11-01T10:00:00+03:00", "2026-11-03T10:00:00+03:00");
        let f = run(&k, AS_OF, period("2026-01"));
        assert_eq!(f.period_label, "январь 2026");
        assert_eq!(f.pipelines.iter().map(|p| p.pipeline_id).collect::<Vec<_>>(), vec![COLD, HOT]);
        for p in &f.pipelines {
            assert_eq!((p.entered, p.conversion_to_won), (0, None));
            assert!(
                p.stages
                    .iter()
                    .all(|s| s.entered == 0 && s.conversion_from_previous.is_none() && s.days_median.is_none())
            );
            assert!(p.lost_by_stage.is_empty() && p.lost_by_reason.is_empty() && p.handed_over_to.is_empty());
        }
    }

    #[test]
    fn period_edges_are_local_days_in_the_business_zone() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        for created in [
            "2026-10-31T23:59:00+03:00",
            "2026-11-01T00:00:00+03:00",
            "2026-11-30T23:30:00+03:00",
            "2026-12-01T00:10:00+03:00",
        ] {
            k.open_deal(anna, 10_000, created);
        }
        // Created before the period, handed to the hot pipeline in it: it entered that one then.
        let moved = k.open_deal(anna, 10_000, "2026-10-20T10:00:00+03:00");
        k.move_to_hot_pipeline(moved, "2026-11-10T10:00:00+03:00");
        let f = run(&k, "2026-12-05T12:00:00+03:00", period("2026-11-01..2026-11-30"));
        assert_eq!(pipeline(&f, COLD).entered, 2);
        assert_eq!((pipeline(&f, HOT).entered, pipeline(&f, HOT).from_other_pipelines), (1, 1));
        // A range of one whole month is named as the month, as people say it.
        assert_eq!(f.period_label, "ноябрь 2026");
        // A period reaching past the as-of instant sees only what had happened by then.
        let f = run(&k, "2026-11-30T23:00:00+03:00", period("2026-11"));
        assert_eq!(pipeline(&f, COLD).entered, 1);
    }

    #[test]
    fn one_manager_or_one_team_is_who_was_responsible_at_entry() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        k.ws.teams.upsert(Team {
            id: 7,
            name: "Отдел Б".into(),
        });
        let mut b = k.ws.users.get(boris).unwrap().clone();
        b.team_id = Some(7);
        k.ws.users.upsert(b);
        k.won_deal(anna, 10_000, "2026-11-01T10:00:00+03:00", "2026-11-03T10:00:00+03:00");
        k.open_deal(boris, 10_000, "2026-11-01T10:00:00+03:00");
        // Boris's when it entered, Anna's since.
        let passed = k.open_deal(anna, 10_000, "2026-11-02T10:00:00+03:00");
        let mut d = k.deal_mut(passed);
        d.responsible_changes = vec![ResponsibleChange {
            at: at("2026-11-05T10:00:00+03:00"),
            from: Some(boris),
            to: Some(anna),
        }];
        k.ws.deals.upsert(d);

        let only = |manager, team| ReportParams {
            manager,
            team,
            ..Default::default()
        };
        let f = run(&k, AS_OF, only(Some(anna), None));
        assert_eq!((pipeline(&f, COLD).entered, pipeline(&f, COLD).won), (1, 1));
        assert_eq!(f.who, "Анна");
        let f = run(&k, AS_OF, only(Some(boris), None));
        assert_eq!((pipeline(&f, COLD).entered, pipeline(&f, COLD).won), (2, 0));
        let f = run(&k, AS_OF, only(None, Some(7)));
        assert_eq!((pipeline(&f, COLD).entered, f.who.as_str()), (2, "Отдел Б"));
        assert_eq!(pipeline(&run(&k, AS_OF, ReportParams::default()), COLD).entered, 3);
    }

    #[test]
    fn pipelines_teams_and_periods_are_read_from_what_users_type() {
        let mut k = Kit::new();
        k.ws.teams.upsert(Team {
            id: 7,
            name: "Отдел Б".into(),
        });
        assert_eq!(resolve_pipeline(&k.ws, "горячие  продажи"), Ok(HOT));
        assert_eq!(resolve_pipeline(&k.ws, "1"), Ok(COLD));
        let err = resolve_pipeline(&k.ws, "Тёплые").unwrap_err();
        assert!(err.contains("Холодные продажи"), "{err}");
        assert_eq!(resolve_team(&k.ws, "отдел б"), Ok(7));
        let today = date("2026-12-02");
        assert_eq!(parse_period("last_quarter", today).unwrap().start, date("2026-07-01"));
        assert!(parse_period("soon", today).unwrap_err().to_string().contains("last_quarter"));
    }

    #[test]
    fn quantiles_interpolate_between_ranks() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[3.0], 0.8), Some(3.0));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.8), Some(8.2));
    }
}
