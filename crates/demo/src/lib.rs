//! The demo sales department: a year of a realistic amoCRM-shaped department
//! (three pipelines, a dozen managers with telling habits, clients, deals,
//! tasks, calls, payments and plans), generated from a seed up to an "as of" instant.
//!
//! The same seed, `as_of` and deal count give the same workspace on every machine.

mod clients;
mod ctx;
mod deals;
mod grid;
mod names;
mod parallel;
mod plans;
mod records;
mod sample;
mod setup;
mod tasks;

use chrono::{DurationRound, TimeDelta, Utc};
use tsifra_core::{BusinessCalendar, Id, Instant, Table, Workspace};

pub use plans::{PLAN_ORIGIN, plans_csv};
pub use setup::{
    DEMO_BASE_URL, FIELD_CLIENT_TYPE, FIELD_INDUSTRY, FIELD_MARGIN, FIELD_PAID_AMOUNT, FIELD_PAID_DATE, FIELD_PAYMENT_DUE, FIELD_POSITION,
    FIELD_PRODUCT_TYPE, FIELD_PROPOSAL_SENT, FIELD_QUALIFICATION, Habit, MAX_MANAGERS, MIN_MANAGERS, field_mapping, manager_with, managers,
    managers_of,
};

/// First ids of each kind, amoCRM-like integers.
pub const FIRST_DEAL_ID: Id = records::DEAL_BASE;
pub const FIRST_COMPANY_ID: Id = clients::COMPANY_BASE;
pub const FIRST_CONTACT_ID: Id = clients::CONTACT_BASE;
const TASK_BASE: Id = 60_000_001;
const ACTIVITY_BASE: Id = 100_000_001;
const PAYMENT_BASE: Id = 300_000_001;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoOptions {
    pub seed: u64,
    /// Exactly this many deals, spread over the twelve months before `as_of` and the current one.
    pub deals: usize,
    /// "Now" for the department: nothing happened after it, open tasks fall due around it.
    pub as_of: Instant,
}

impl DemoOptions {
    pub const DEFAULT_SEED: u64 = 2026;
    pub const DEFAULT_DEALS: usize = 6_000;

    /// The default department at a given "now".
    pub fn at(as_of: Instant) -> DemoOptions {
        DemoOptions {
            seed: Self::DEFAULT_SEED,
            deals: Self::DEFAULT_DEALS,
            as_of,
        }
    }
}

impl Default for DemoOptions {
    /// About 6,000 deals up to the current minute.
    fn default() -> Self {
        let now = Utc::now();
        DemoOptions::at(now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now))
    }
}

/// Generates the whole department: account, teams, users, pipelines, loss reasons,
/// field definitions, companies, contacts, deals, tasks, activities, payments and plans.
pub fn generate(opts: &DemoOptions, calendar: &BusinessCalendar) -> Workspace {
    generate_on(opts, calendar, parallel::cores(), MIN_MANAGERS)
}

/// [`generate`] with a floor of `managers` (12 to 40): the twelve with habits and
/// ordinary ones after them, sharing the same number of deals (a 20-person floor for the TV).
pub fn generate_with_managers(opts: &DemoOptions, calendar: &BusinessCalendar, managers: usize) -> Workspace {
    generate_on(opts, calendar, parallel::cores(), managers)
}

fn generate_on(opts: &DemoOptions, calendar: &BusinessCalendar, threads: usize, managers: usize) -> Workspace {
    let ctx = ctx::Ctx::new(opts, calendar, threads, managers);
    let clients = clients::generate(&ctx);
    let mut skeletons = deals::generate(&ctx, &clients);
    let mut plans = plans::sales_plans(&ctx, &skeletons);
    plans::fit_week(&ctx, &mut skeletons, &plans);
    let parts = records::materialize(&ctx, &clients, &skeletons);
    let work = clients::client_work(&ctx, &clients);
    let mut calls = work.calls.clone();
    for part in &parts {
        for (sum, add) in calls.iter_mut().zip(&part.calls) {
            for (s, a) in sum.iter_mut().zip(add) {
                *s += a;
            }
        }
    }
    plans.extend(plans::call_plans(&ctx, &calls));
    let (companies, contacts) = clients.finish(&ctx, &skeletons, &work);
    drop(skeletons);

    let mut deal_parts = Vec::with_capacity(parts.len());
    let mut task_parts = Vec::with_capacity(parts.len() + 1);
    let mut activity_parts = Vec::with_capacity(parts.len() + 1);
    let mut payment_parts = Vec::with_capacity(parts.len());
    for part in parts {
        deal_parts.push(part.deals);
        task_parts.push(part.tasks);
        activity_parts.push(part.activities);
        payment_parts.push(part.payments);
    }
    task_parts.push(work.tasks);
    activity_parts.push(work.activities);
    let (pipelines, _) = setup::pipelines();

    // Indexing the big tables is hashing millions of ids: do it side by side.
    let (deals, activities, tasks, payments, companies, contacts) = std::thread::scope(|scope| {
        let activities = scope.spawn(move || {
            let mut next = ACTIVITY_BASE..;
            table_of(activity_parts, |a| a.id = next.next().expect("ids do not run out"))
        });
        let deals = scope.spawn(move || table_of(deal_parts, |_| {}));
        let mut next = TASK_BASE..;
        let tasks = table_of(task_parts, |t| t.id = next.next().expect("ids do not run out"));
        let mut next = PAYMENT_BASE..;
        let payments = table_of(payment_parts, |p| p.id = next.next().expect("ids do not run out"));
        let companies: Table<_> = companies.into_iter().collect();
        let contacts: Table<_> = contacts.into_iter().collect();
        let join = "an indexing thread panicked";
        (
            deals.join().expect(join),
            activities.join().expect(join),
            tasks,
            payments,
            companies,
            contacts,
        )
    });
    Workspace {
        account: Some(setup::account(calendar)),
        teams: setup::teams().into_iter().collect(),
        users: setup::users(ctx.staff.len()).into_iter().collect(),
        pipelines: pipelines.into_iter().collect(),
        loss_reasons: setup::loss_reasons().into_iter().collect(),
        field_defs: setup::field_defs().into_iter().collect(),
        companies,
        contacts,
        deals,
        tasks,
        activities,
        payments,
        plans,
        hygiene_history: Vec::new(),
        version: 0,
        generations: Default::default(),
    }
}

/// One table from per-thread parts, in order; `number` gives each row its id on the way
/// in (ids follow output order, so they do not depend on how the work was split).
fn table_of<T: tsifra_core::Keyed>(parts: Vec<Vec<T>>, mut number: impl FnMut(&mut T)) -> Table<T> {
    let mut table = Table::with_capacity(parts.iter().map(Vec::len).sum());
    for part in parts {
        for mut row in part {
            number(&mut row);
            table.upsert(row);
        }
    }
    table
}

/// How many companies a demo of `deals` deals has (about 170 per 1,000 deals, at least 1,000).
pub fn company_count(deals: usize) -> usize {
    clients::company_count(deals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsifra_core::calendar::HolidayPreset;

    #[test]
    fn thread_count_does_not_change_the_department() {
        let (h, w) = HolidayPreset::Ru.days();
        let cal = BusinessCalendar::new(chrono_tz::Europe::Moscow, h, w);
        let as_of = "2026-11-26T11:30:00Z".parse().unwrap();
        let opts = DemoOptions {
            seed: 5,
            deals: 45_000,
            as_of,
        };
        let one = generate_on(&opts, &cal, 1, MIN_MANAGERS);
        let three = generate_on(&opts, &cal, 3, MIN_MANAGERS);
        assert_eq!(one.deals.as_slice(), three.deals.as_slice());
        assert_eq!(one.tasks.as_slice(), three.tasks.as_slice());
        assert_eq!(one.activities.as_slice(), three.activities.as_slice());
        assert_eq!(one.payments.as_slice(), three.payments.as_slice());
        assert_eq!(one.plans, three.plans);
    }
}
