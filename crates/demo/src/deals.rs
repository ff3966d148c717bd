//! The life of each deal before it becomes a record: who opened it when, with
//! which client, for how much, which stages it went through and how it ended
//! (won, lost, stalled, still open at "now", reopened, passed from cold to hot sales).

use crate::clients::{Clients, skewed_index};
use crate::ctx::Ctx;
use crate::grid::DAY;
use crate::parallel::in_chunks;
use crate::sample::{DemoRng, Stream, below, between, chance, exponential, lognormal, rng_for, unit, weighted};
use crate::setup::{
    COLD, HOT, LOSS_WEIGHTS_EARLY, LOSS_WEIGHTS_LATE, PRODUCT_WEIGHTS, PipeMeta, QUALITY, TRANSFER_FROM_COLD_STAGE, TRANSFER_TO_HOT_STAGE,
};
use tsifra_core::StageKind;

/// One stage move on the working-time line; `stage` indexes the pipeline's stages (open ones, won, lost).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Move {
    pub w: u32,
    pub pipe: u8,
    pub stage: u8,
}

/// Enough for the longest path: a cold deal passed to hot sales, won, reopened and won again.
const MAX_MOVES: usize = 12;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Skeleton {
    /// The draw index: the deal's random streams hang on it.
    pub seq: u32,
    /// Persona index of the manager who opened it.
    pub manager: u8,
    /// The company on the card (None when the manager did not link one).
    pub company: Option<u32>,
    contacts: [u32; 2],
    n_contacts: u8,
    /// Kopecks.
    pub amount: i64,
    pub product: Option<u8>,
    pub loss_reason: Option<u8>,
    pub stalled: bool,
    pub reopened: bool,
    moves: [Move; MAX_MOVES],
    n_moves: u8,
}

impl Skeleton {
    pub(crate) fn moves(&self) -> &[Move] {
        &self.moves[..self.n_moves as usize]
    }
    pub(crate) fn contacts(&self) -> &[u32] {
        &self.contacts[..self.n_contacts as usize]
    }
    pub(crate) fn created_w(&self) -> u32 {
        self.moves[0].w
    }
    pub(crate) fn last(&self) -> Move {
        self.moves[self.n_moves as usize - 1]
    }
    pub(crate) fn push(&mut self, mv: Move) {
        self.moves[self.n_moves as usize] = mv;
        self.n_moves += 1;
    }
    pub(crate) fn replace_last(&mut self, mv: Move) {
        self.moves[self.n_moves as usize - 1] = mv;
    }
    pub(crate) fn kind(&self, pipes: &[PipeMeta]) -> StageKind {
        let last = self.last();
        pipes[last.pipe as usize].kind(last.stage)
    }
    /// The manager responsible at the end: whoever held the deal when it closed, or holds it now.
    pub(crate) fn responsible(&self, ctx: &Ctx) -> usize {
        let at = if self.kind(&ctx.pipes) == StageKind::Open {
            ctx.grid.asof_w
        } else {
            self.last().w
        };
        ctx.author(self.manager as usize, at)
    }
}

/// Every deal of the year, oldest first (so ids grow with creation, as in amoCRM).
pub(crate) fn generate(ctx: &Ctx, clients: &Clients) -> Vec<Skeleton> {
    let parts = in_chunks(ctx.threads, ctx.deals, |range| {
        range.map(|i| draw(ctx, clients, i as u32)).collect::<Vec<_>>()
    });
    // Sorting small keys and copying each deal once beats sorting the deals themselves.
    let mut order: Vec<(u32, u32)> = parts.iter().flatten().map(|s| (s.created_w(), s.seq)).collect();
    order.sort_unstable();
    // Parts are consecutive runs of draw indices, all but the last of the same length.
    let run = parts[0].len().max(1);
    order
        .into_iter()
        .map(|(_, seq)| parts[seq as usize / run][seq as usize % run])
        .collect()
}

fn pick_manager(ctx: &Ctx, rng: &mut DemoRng, w: u32) -> usize {
    let mut weights = [0.0; crate::setup::MAX_MANAGERS];
    for (m, weight) in weights.iter_mut().enumerate().take(ctx.staff.len()) {
        if ctx.active(m, w) {
            let s = &ctx.staff[m];
            // A newcomer gets leads slowly during the first three weeks.
            let ramp = ((w - s.start_w.min(w)) as f64 / (15 * DAY) as f64).clamp(0.2, 1.0);
            *weight = s.persona.volume * if s.start_w > 0 { ramp } else { 1.0 };
        }
    }
    weighted(rng, &weights[..ctx.staff.len()])
}

fn draw(ctx: &Ctx, clients: &Clients, seq: u32) -> Skeleton {
    let mut rng = rng_for(ctx.seed, Stream::Deals, seq as u64);
    let rng = &mut rng;
    let created = ctx.demand_minute(rng);
    let m = pick_manager(ctx, rng, created);
    let persona = ctx.staff[m].persona;
    let pipe = weighted(rng, &[0.5, 0.35, 0.15]);

    let portfolio = &clients.portfolios[m];
    let client = (!portfolio.is_empty()).then(|| portfolio[skewed_index(rng, portfolio.len())]);
    let mut contacts = [0u32; 2];
    let mut n_contacts = 0u8;
    if let Some(c) = client {
        let people = clients.contacts_of(c);
        if !people.is_empty() && !chance(rng, persona.no_contact) {
            contacts[0] = people.start + below(rng, people.len()) as u32;
            n_contacts = 1;
            if people.len() >= 2 && chance(rng, 0.15) {
                contacts[1] = if contacts[0] + 1 < people.end {
                    contacts[0] + 1
                } else {
                    people.start
                };
                n_contacts = 2;
            }
        }
    } else if !clients.private_contacts.is_empty() && chance(rng, 0.7) {
        let private = &clients.private_contacts;
        contacts[0] = private.start + below(rng, private.len()) as u32;
        n_contacts = 1;
    }
    // Repeat sales in quality control almost always keep the client on the card.
    let unlinked = chance(rng, persona.no_company * if pipe == QUALITY { 0.3 } else { 1.0 });
    let company = if unlinked { None } else { client };

    let mut amount = amount_kopecks(rng, ctx.pipes[pipe].median_amount * persona.amount);

    // The stages the deal would pass on its way to a win.
    let mut path = [(0u8, 0u8); 12];
    let mut len = 0;
    let mut add = |p: usize, s: u8| {
        path[len] = (p as u8, s);
        len += 1;
    };
    if pipe == COLD && chance(rng, 0.06) {
        for s in 0..=TRANSFER_FROM_COLD_STAGE {
            add(COLD, s);
        }
        for s in TRANSFER_TO_HOT_STAGE..ctx.pipes[HOT].n_open {
            add(HOT, s);
        }
    } else {
        for s in 0..ctx.pipes[pipe].n_open {
            add(pipe, s);
        }
    }
    // Managers skip stages: this one the proposal, anyone now and then a middle stage.
    let mut kept = 1;
    for k in 1..len {
        let (p, s) = path[k];
        let last = k == len - 1;
        let skip = !last
            && if s == ctx.pipes[p as usize].proposal {
                chance(rng, persona.skip_proposal)
            } else {
                chance(rng, 0.06)
            };
        if !skip {
            path[kept] = path[k];
            kept += 1;
        }
    }
    let len = kept;
    let end_pipe = path[len - 1].0 as usize;
    let meta = &ctx.pipes[end_pipe];

    let stalled = chance(rng, 0.015 * persona.stall);
    let won = !stalled && chance(rng, (meta.win_rate * persona.win).clamp(0.03, 0.9));
    let reached = if won {
        len
    } else if stalled {
        1 + below(rng, len)
    } else {
        let mut k = 1;
        while k < len && chance(rng, 0.55) {
            k += 1;
        }
        k
    };
    let closes = !stalled;
    let lost_pipe = path[reached - 1].0 as usize;

    // Time from creation to close, longer for big deals, spread over the moves at random.
    let roubles = (amount as f64 / 100.0).max(10_000.0);
    let median = meta.cycle_days * DAY as f64 * (roubles / 150_000.0).powf(0.3) * persona.cycle * if won { 1.0 } else { 0.7 };
    let total = lognormal(rng, median, 0.75).clamp(20.0, 220.0 * DAY as f64);
    let gaps = reached - 1 + closes as usize;
    let mut cumulative = [0.0f64; 13];
    for g in 1..=gaps {
        cumulative[g] = cumulative[g - 1] + exponential(rng, 1.0);
    }
    let sum = cumulative[gaps].max(f64::MIN_POSITIVE);

    let mut sk = Skeleton {
        seq,
        manager: m as u8,
        company,
        contacts,
        n_contacts,
        amount: 0,
        product: chance(rng, 0.92).then(|| weighted(rng, &PRODUCT_WEIGHTS) as u8),
        loss_reason: None,
        stalled,
        reopened: false,
        moves: [Move::default(); MAX_MOVES],
        n_moves: 0,
    };
    let w_max = ctx.grid.w_max;
    let mut prev = created;
    for k in 0..reached + closes as usize {
        let w = if k == 0 {
            created
        } else {
            (created + (total * cumulative[k] / sum) as u32).max(prev + 1)
        };
        if w > w_max {
            break; // Not there yet at "now": the deal is open at its last stage.
        }
        let (p, s) = if k < reached {
            path[k]
        } else if won {
            (end_pipe as u8, meta.won())
        } else {
            (lost_pipe as u8, ctx.pipes[lost_pipe].lost())
        };
        sk.push(Move { w, pipe: p, stage: s });
        prev = w;
    }

    let kind = sk.kind(&ctx.pipes);
    if kind == StageKind::Won && chance(rng, 0.012) {
        reopen(ctx, rng, &mut sk);
    }
    let kind = sk.kind(&ctx.pipes);
    if kind == StageKind::Lost && sk.loss_reason.is_none() && !chance(rng, persona.no_loss_reason) {
        let weights = if sk.moves().len() >= 4 {
            &LOSS_WEIGHTS_LATE
        } else {
            &LOSS_WEIGHTS_EARLY
        };
        sk.loss_reason = Some(weighted(rng, weights) as u8);
    }
    // Amounts left at zero happen on deals that are not won yet.
    if kind != StageKind::Won && chance(rng, persona.zero_amount) {
        amount = 0;
    }
    sk.amount = amount;
    sk
}

/// A won deal the client reopened (a changed order, a lost invoice): back to
/// "invoice sent", then won again or lost. Kept out of the current week, whose
/// wins are arranged against the plan.
fn reopen(ctx: &Ctx, rng: &mut DemoRng, sk: &mut Skeleton) {
    let won = sk.last();
    let meta = &ctx.pipes[won.pipe as usize];
    let back = won.w + between(rng, 60, 5 * DAY);
    let again = back + between(rng, 2 * DAY, 12 * DAY);
    if back >= ctx.week_w || back > ctx.grid.w_max {
        return;
    }
    sk.push(Move {
        w: back,
        pipe: won.pipe,
        stage: meta.n_open - 1,
    });
    sk.reopened = true;
    if again < ctx.week_w && again <= ctx.grid.w_max {
        if chance(rng, 0.75) {
            sk.push(Move { w: again, ..won });
        } else {
            sk.push(Move {
                w: again,
                pipe: won.pipe,
                stage: meta.lost(),
            });
            sk.loss_reason = Some(if chance(rng, 0.5) { 0 } else { 5 });
        }
    }
}

/// A log-normal amount rounded the way prices are: to 500 ₽, 1 000 ₽ or 10 000 ₽,
/// and now and then exact to the kopeck (from an invoice).
fn amount_kopecks(rng: &mut DemoRng, median_roubles: f64) -> i64 {
    let roubles = lognormal(rng, median_roubles, 0.9).clamp(3_000.0, 15_000_000.0);
    if unit(rng) < 0.1 {
        return (roubles * 100.0).round() as i64;
    }
    let step = if roubles < 100_000.0 {
        500.0
    } else if roubles < 1_000_000.0 {
        1_000.0
    } else {
        10_000.0
    };
    ((roubles / step).round().max(1.0) * step) as i64 * 100
}
