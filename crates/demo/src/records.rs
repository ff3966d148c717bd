//! Turns each deal's life into records: the deal card with its stage history
//! and fields, the tasks and communications around it, and the payments of a
//! won deal (on time, late, partial or overdue at "now").

use chrono::{Days, NaiveDate};
use tsifra_core::{Activity, ActivityKind, Deal, EntityRef, FieldValue, Id, Money, Payment, Source, StageKind, StageMove, Task, TaskKind};

use crate::clients::{COMPANY_BASE, CONTACT_BASE, Clients, call_outcome};
use crate::ctx::{Ctx, MONTHS};
use crate::deals::Skeleton;
use crate::grid::DAY;
use crate::parallel::in_chunks;
use crate::sample::{DemoRng, Stream, between, chance, exponential, pick, poisson, rng_for, uniform, unit, weighted};
use crate::setup::{
    FIELD_MARGIN, FIELD_PAID_AMOUNT, FIELD_PAID_DATE, FIELD_PAYMENT_DUE, FIELD_PRODUCT_TYPE, FIELD_PROPOSAL_SENT, HOT, LEAD_SOURCES,
    LOSS_REASON_BASE, PRODUCT_MARGIN, PRODUCTS, TAGS,
};
use crate::tasks::{TaskSpec, random_kind, task};

pub(crate) const DEAL_BASE: Id = 20_000_001;

pub(crate) struct Records {
    pub deals: Vec<Deal>,
    pub tasks: Vec<Task>,
    pub activities: Vec<Activity>,
    pub payments: Vec<Payment>,
    /// Connected outgoing calls per manager and month, for the calls plan.
    pub calls: Vec<[u32; MONTHS]>,
}

/// The records of every deal, in deal order, as one part per thread (joining them
/// would copy gigabytes at a million deals; the tables are built from the parts).
pub(crate) fn materialize(ctx: &Ctx, clients: &Clients, skeletons: &[Skeleton]) -> Vec<Records> {
    in_chunks(ctx.threads, skeletons.len(), |range| {
        let n = range.len();
        let mut out = Records {
            deals: Vec::with_capacity(n),
            tasks: Vec::with_capacity(n * 3 / 2),
            activities: Vec::with_capacity(n * 4),
            payments: Vec::with_capacity(n / 3),
            calls: vec![[0; MONTHS]; ctx.staff.len()],
        };
        for index in range {
            build(ctx, clients, index, &skeletons[index], &mut out);
        }
        out
    })
}

fn build(ctx: &Ctx, clients: &Clients, index: usize, sk: &Skeleton, out: &mut Records) {
    let id = DEAL_BASE + index as Id;
    let mut rng = rng_for(ctx.seed, Stream::Records, sk.seq as u64);
    let rng = &mut rng;
    let grid = &ctx.grid;
    let m = sk.manager as usize;
    let persona = ctx.staff[m].persona;
    let moves = sk.moves();
    let last = sk.last();
    let kind = sk.kind(&ctx.pipes);
    let closed = kind != StageKind::Open;
    let end_w = if closed { last.w } else { grid.w_max };
    let user = |who: usize| Some(ctx.staff[who].id);

    let history: Vec<StageMove> = moves
        .iter()
        .map(|mv| {
            let pipe = &ctx.pipes[mv.pipe as usize];
            StageMove {
                at: grid.instant(mv.w, between(rng, 0, 59)),
                pipeline_id: pipe.id,
                stage_id: pipe.stage_ids[mv.stage as usize],
                author_id: user(ctx.author(m, mv.w)),
            }
        })
        .collect();
    let mut updated_w = last.w;
    let company_id = sk.company.map(|c| COMPANY_BASE + c as Id);
    let contact = sk.contacts().first().map(|&c| CONTACT_BASE + c as Id);

    // Tasks done on the way from stage to stage.
    for pair in moves.windows(2) {
        let (a, b) = (pair[0].w, pair[1].w);
        if b <= a + 1 || !chance(rng, 0.38) {
            continue;
        }
        let next = pair[1];
        let kind = if next.stage == ctx.pipes[next.pipe as usize].proposal {
            TaskKind::Email
        } else {
            random_kind(rng)
        };
        let created = between(rng, a, b - 1);
        let spec = done_task(ctx, rng, m, EntityRef::Deal(id), kind, created);
        updated_w = updated_w.max(spec.done.unwrap_or(created));
        out.tasks.push(task(ctx, rng, spec));
    }
    if !closed {
        // Work since the last move, then what is left to do at "now".
        if grid.w_max > last.w + 61 && chance(rng, 0.3) {
            let created = between(rng, last.w, grid.w_max - 61);
            let kind = random_kind(rng);
            let spec = done_task(ctx, rng, m, EntityRef::Deal(id), kind, created);
            updated_w = updated_w.max(spec.done.unwrap_or(created));
            out.tasks.push(task(ctx, rng, spec));
        }
        let who = ctx.author(m, grid.asof_w);
        let wanted = if chance(rng, ctx.staff[who].persona.forget_task) {
            0
        } else {
            1 + chance(rng, 0.03) as usize
        };
        for _ in 0..wanted {
            // A stalled deal's task has usually been left to go overdue.
            let overdue_rate = ctx.staff[who].persona.overdue;
            let overdue = chance(rng, if sk.stalled { (overdue_rate * 2.5).min(0.9) } else { overdue_rate });
            let (created, due) = if overdue && grid.w_max > last.w + 61 {
                let created = between(rng, last.w.max(grid.w_max.saturating_sub(20 * DAY)), grid.w_max - 61);
                (created, between(rng, created + 60, grid.w_max))
            } else {
                let created = between(rng, last.w.max(grid.w_max.saturating_sub(5 * DAY)), grid.w_max);
                (created, grid.asof_w + 1 + between(rng, 0, 5 * DAY))
            };
            updated_w = updated_w.max(created);
            let spec = TaskSpec {
                entity: EntityRef::Deal(id),
                who,
                kind: random_kind(rng),
                text: None,
                result: None,
                created,
                due,
                done: None,
            };
            out.tasks.push(task(ctx, rng, spec));
        }
    }

    // Communications while the deal lived.
    let lo = sk.created_w();
    let act = |rng: &mut DemoRng, kind: ActivityKind, w: u32, out: &mut Records| {
        let who = ctx.author(m, w);
        let (connected, duration_s) = call_outcome(rng, kind, ctx.staff[who].persona);
        let r = unit(rng);
        let entity = match (contact, company_id) {
            (Some(c), _) if (0.75..0.93).contains(&r) => EntityRef::Contact(c),
            (_, Some(c)) if r >= 0.93 => EntityRef::Company(c),
            _ => EntityRef::Deal(id),
        };
        if kind == ActivityKind::CallOut
            && connected
            && let Some(k) = ctx.month_of(w)
        {
            out.calls[who][k] += 1;
        }
        out.activities.push(Activity {
            id: 0,
            kind,
            manager_id: user(who),
            entity: Some(entity),
            at: grid.instant(w, between(rng, 0, 59)),
            duration_s,
            connected,
            source: Source::Amocrm,
        });
        w
    };
    let calls = poisson(rng, (0.4 + 0.28 * moves.len() as f64) * persona.calls);
    for k in 0..calls {
        let w = if k == 0 {
            // The first call after a new deal: how fast this manager reacts.
            (lo + exponential(rng, persona.response_minutes) as u32).min(end_w)
        } else {
            between(rng, lo, end_w)
        };
        updated_w = updated_w.max(act(rng, ActivityKind::CallOut, w, out));
    }
    let hot = moves.iter().any(|mv| mv.pipe as usize == HOT);
    let counts = [
        (ActivityKind::CallIn, 0.3),
        (ActivityKind::EmailOut, 0.5 * persona.emails),
        (ActivityKind::EmailIn, 0.35),
        (ActivityKind::Meeting, if hot { 0.3 } else { 0.08 } * persona.meetings),
        (ActivityKind::Note, 0.12),
    ];
    for (kind, mean) in counts {
        for _ in 0..poisson(rng, mean) {
            let w = between(rng, lo, end_w);
            updated_w = updated_w.max(act(rng, kind, w, out));
        }
    }
    if chance(rng, 0.1) {
        let w = between(rng, lo, end_w);
        act(rng, ActivityKind::ChatIn, w, out);
        let reply = (w + between(rng, 1, 30)).min(end_w);
        updated_w = updated_w.max(act(rng, ActivityKind::ChatOut, reply, out));
    }

    // Card fields, and the money side of a won deal.
    let mut fields = Vec::with_capacity(6);
    if let Some(p) = sk.product {
        fields.push((FIELD_PRODUCT_TYPE, FieldValue::Options(vec![PRODUCTS[p as usize].to_string()])));
    }
    let proposal_sent = moves
        .iter()
        .any(|mv| mv.stage == ctx.pipes[mv.pipe as usize].proposal && mv.stage < ctx.pipes[mv.pipe as usize].n_open);
    if proposal_sent && !chance(rng, 0.1) {
        fields.push((FIELD_PROPOSAL_SENT, FieldValue::Bool(true)));
    }
    if kind == StageKind::Won {
        if !chance(rng, ctx.staff[ctx.author(m, last.w)].persona.margin_missing) {
            let rate = sk.product.map_or(0.28, |p| PRODUCT_MARGIN[p as usize]) * uniform(rng, 0.85, 1.15);
            let margin = ((sk.amount as f64 * rate) / 100.0).round() as i64 * 100;
            fields.push((FIELD_MARGIN, FieldValue::Money(Money(margin))));
        }
        payments(ctx, rng, id, company_id, sk, &mut fields, out);
    }

    let name = match sk.company {
        Some(c) => {
            let product = sk.product.map_or("Заказ", |p| PRODUCTS[p as usize]);
            let company = &clients.companies[c as usize].name;
            let mut name = String::with_capacity(product.len() + company.len() + 5);
            name.push_str(product);
            name.push_str(" — ");
            name.push_str(company);
            name
        }
        None => format!("Сделка #{id}"),
    };
    let first_pipe = moves[0].pipe as usize;
    let lead_source = (!chance(rng, 0.05)).then(|| (*pick(rng, LEAD_SOURCES[first_pipe])).to_string());
    let tags = if chance(rng, 0.07) {
        vec![(*pick(rng, &TAGS)).to_string()]
    } else {
        Vec::new()
    };
    let created_at = history[0].at;
    let last_at = history[history.len() - 1].at;
    let updated_at = grid.instant(updated_w, 59).max(last_at).min(grid.as_of);
    out.deals.push(Deal {
        id,
        name,
        pipeline_id: ctx.pipes[last.pipe as usize].id,
        stage_id: ctx.pipes[last.pipe as usize].stage_ids[last.stage as usize],
        amount: Money(sk.amount),
        responsible_id: user(sk.responsible(ctx)),
        company_id,
        contact_ids: sk.contacts().iter().map(|&c| CONTACT_BASE + c as Id).collect(),
        created_at,
        updated_at,
        closed_at: closed.then_some(last_at),
        loss_reason_id: if kind == StageKind::Lost {
            sk.loss_reason.map(|r| LOSS_REASON_BASE + r as Id)
        } else {
            None
        },
        lead_source,
        tags,
        fields,
        responsible_changes: Vec::new(),
        history,
        source: Source::Amocrm,
    });
}

/// A task created at `created` and done by its owner, on time or late.
fn done_task(ctx: &Ctx, rng: &mut DemoRng, m: usize, entity: EntityRef, kind: TaskKind, created: u32) -> TaskSpec {
    let who = ctx.author(m, created);
    let w_max = ctx.grid.w_max;
    let due = created + between(rng, 60, 3 * DAY);
    let done = if chance(rng, ctx.staff[who].persona.late_done) {
        due + between(rng, 30, 2 * DAY)
    } else {
        between(rng, created + 1, due)
    };
    TaskSpec {
        entity,
        who,
        kind,
        text: None,
        result: None,
        created,
        due: due.min(w_max),
        done: Some(done.min(w_max)),
    }
}

/// Payment terms in days after the win, and how often each is agreed.
const TERMS: [(u64, f64); 8] = [
    (0, 0.1),
    (3, 0.1),
    (5, 0.15),
    (7, 0.15),
    (10, 0.15),
    (14, 0.15),
    (30, 0.15),
    (45, 0.05),
];

fn payments(
    ctx: &Ctx,
    rng: &mut DemoRng,
    deal_id: Id,
    company_id: Option<Id>,
    sk: &Skeleton,
    fields: &mut Vec<(Id, FieldValue)>,
    out: &mut Records,
) {
    let won_date = ctx.grid.date(sk.last().w);
    let today = ctx.grid.today;
    let amount = sk.amount;
    // Big orders are often paid half up front and half on delivery.
    let parts: [(i64, u64); 2] = if amount >= 100_000_000 && chance(rng, 0.3) {
        [(amount / 2, 3), (amount - amount / 2, 30)]
    } else {
        let terms = TERMS[weighted(rng, &TERMS.map(|t| t.1))].0;
        [(amount, terms), (0, 0)]
    };
    let mut first_due = None;
    let mut last_paid = None;
    let mut total_paid = 0;
    for (due_amount, terms) in parts {
        if due_amount == 0 {
            continue;
        }
        let due = (!chance(rng, 0.02)).then(|| won_date + Days::new(terms));
        let (paid, paid_date) = settle(rng, due_amount, won_date, due, today);
        first_due = first_due.or(due);
        if paid_date.is_some() {
            last_paid = paid_date.max(last_paid);
        }
        total_paid += paid;
        out.payments.push(Payment {
            id: 0,
            deal_id: Some(deal_id),
            company_id,
            amount_due: Money(due_amount),
            due_date: due,
            amount_paid: Money(paid),
            paid_date,
            source: Source::Amocrm,
        });
    }
    if let Some(due) = first_due {
        fields.push((FIELD_PAYMENT_DUE, FieldValue::Date(due)));
    }
    if let Some(paid) = last_paid {
        fields.push((FIELD_PAID_DATE, FieldValue::Date(paid)));
    }
    if total_paid > 0 {
        fields.push((FIELD_PAID_AMOUNT, FieldValue::Money(Money(total_paid))));
    }
}

/// How much of a payment came in by `today`, and when.
fn settle(rng: &mut DemoRng, amount: i64, won: NaiveDate, due: Option<NaiveDate>, today: NaiveDate) -> (i64, Option<NaiveDate>) {
    let day_between = |rng: &mut DemoRng, from: NaiveDate, to: NaiveDate| {
        let span = (to - from).num_days().max(0) as u32;
        from + Days::new(between(rng, 0, span) as u64)
    };
    let full = |rng: &mut DemoRng, to: NaiveDate| (amount, Some(day_between(rng, won, to.min(today))));
    match due {
        None => {
            if chance(rng, 0.6) {
                full(rng, won + Days::new(20))
            } else {
                (0, None)
            }
        }
        Some(due) if due > today => {
            if chance(rng, 0.35) {
                full(rng, today)
            } else {
                (0, None)
            }
        }
        Some(due) => {
            let r = unit(rng);
            let overdue_days = (today - due).num_days();
            if r < 0.7 {
                full(rng, due)
            } else if r < 0.82 {
                let paid = due + Days::new(between(rng, 1, 60) as u64);
                if paid <= today { (amount, Some(paid)) } else { (0, None) }
            } else if chance(rng, ((overdue_days - 30) as f64 / 150.0).clamp(0.0, 0.8)) {
                // The older a debt, the likelier it was collected in the end, months late.
                (amount, Some(due + Days::new(between(rng, 15, overdue_days as u32) as u64)))
            } else if r < 0.89 {
                let part = ((amount as f64 * uniform(rng, 0.2, 0.8)) / 100.0).round() as i64 * 100;
                (
                    if amount <= 100 { amount } else { part.clamp(100, amount) },
                    Some(day_between(rng, won, today)),
                )
            } else {
                (0, None)
            }
        }
    }
}
