//! Client companies and their contacts: names, ИНН (with a few duplicates on
//! purpose), phones, e-mails and card fields, each company in one manager's
//! portfolio; plus the calls, letters and tasks managers spend on clients outside deals.

use std::ops::Range;

use tsifra_core::{Activity, ActivityKind, Company, Contact, EntityRef, FieldValue, Id, Source, Task, TaskKind};

use crate::ctx::{Ctx, MONTHS};
use crate::deals::Skeleton;
use crate::grid::DAY;
use crate::names::{
    FREE_MAIL, LegalForm, POSITIONS, Person, company_name, mobile_phone, name_variant, office_phone, random_region, tax_id,
};
use crate::sample::{DemoRng, Stream, below, between, chance, lognormal, mix, pick, poisson, rng_for, unit, weighted};
use crate::setup::{
    CLIENT_TYPES, FIELD_CLIENT_TYPE, FIELD_INDUSTRY, FIELD_POSITION, FIELD_QUALIFICATION, Habit, INDUSTRIES, QUALIFICATIONS,
};
use crate::tasks::{TaskSpec, task};

pub(crate) const COMPANY_BASE: Id = 40_000_001;
pub(crate) const CONTACT_BASE: Id = 50_000_001;

/// Companies per 1,000 deals, and the least a demo has.
const COMPANIES_PER_1000_DEALS: usize = 170;
const MIN_COMPANIES: usize = 1_000;

pub(crate) fn company_count(deals: usize) -> usize {
    (deals * COMPANIES_PER_1000_DEALS / 1_000).max(MIN_COMPANIES)
}

pub(crate) struct Clients {
    pub companies: Vec<Company>,
    pub contacts: Vec<Contact>,
    /// The manager (persona index) who worked each company during the year.
    pub owner: Vec<u8>,
    /// Contacts of company `c` are `contact_start[c]..contact_start[c + 1]`.
    contact_start: Vec<u32>,
    /// Contacts that belong to no company (private buyers).
    pub private_contacts: Range<u32>,
    /// Companies of each manager, for drawing who a new deal is with.
    pub portfolios: Vec<Vec<u32>>,
    company_w: Vec<u32>,
    contact_w: Vec<u32>,
}

impl Clients {
    pub(crate) fn contacts_of(&self, company: u32) -> Range<u32> {
        self.contact_start[company as usize]..self.contact_start[company as usize + 1]
    }
}

pub(crate) fn generate(ctx: &Ctx) -> Clients {
    let n = company_count(ctx.deals);
    let salt = mix(ctx.seed);
    let grid = &ctx.grid;
    // Newcomers get a small handed-over portfolio; the one who left had a full one.
    let owner_weights: Vec<f64> = ctx
        .staff
        .iter()
        .map(|s| s.persona)
        .map(|p| if p.habit == Habit::Newcomer { 0.3 } else { p.volume })
        .collect();

    let mut companies = Vec::with_capacity(n);
    let mut owner = Vec::with_capacity(n);
    let mut company_w = Vec::with_capacity(n);
    let mut regions = Vec::with_capacity(n);
    let mut portfolios = vec![Vec::new(); ctx.staff.len()];
    let mut domains = Vec::with_capacity(n);
    for c in 0..n {
        let mut rng = rng_for(ctx.seed, Stream::Companies, c as u64);
        let m = weighted(&mut rng, &owner_weights);
        let form = LegalForm::random(&mut rng);
        let region = random_region(&mut rng);
        let (name, domain) = company_name(form, c as u64, salt);
        let lo = ctx.staff[m].start_w.min(grid.w_max);
        // Most clients are older than the year shown; the rest arrive during it.
        let w = if chance(&mut rng, 0.55) && lo < ctx.window_w {
            between(&mut rng, lo, ctx.window_w - 1)
        } else {
            between(&mut rng, lo.max(ctx.window_w), grid.w_max)
        };
        let persona = ctx.staff[m].persona;
        let empty = 0.08 + persona.empty_card_fields;
        let mut fields = Vec::with_capacity(3);
        if !chance(&mut rng, empty * 0.5) {
            let client_type = if w >= ctx.window_w {
                0
            } else if chance(&mut rng, 0.12) {
                2
            } else {
                1
            };
            fields.push((FIELD_CLIENT_TYPE, FieldValue::Options(vec![CLIENT_TYPES[client_type].into()])));
        }
        if !chance(&mut rng, empty * 0.7) {
            fields.push((FIELD_INDUSTRY, FieldValue::Options(vec![(*pick(&mut rng, &INDUSTRIES)).into()])));
        }
        if !chance(&mut rng, empty) {
            let q = weighted(&mut rng, &[0.2, 0.45, 0.35]);
            fields.push((FIELD_QUALIFICATION, FieldValue::Options(vec![QUALIFICATIONS[q].into()])));
        }
        let mut phones = Vec::new();
        if chance(&mut rng, 0.85) {
            phones.push(office_phone(&mut rng, region));
            if chance(&mut rng, 0.1) {
                phones.push(mobile_phone(&mut rng));
            }
        }
        let emails = if chance(&mut rng, 0.55) {
            vec![format!("info@{domain}")]
        } else {
            Vec::new()
        };
        let tax = chance(&mut rng, 0.93).then(|| tax_id(region, c as u64, salt, form == LegalForm::Ip));
        let at = grid.instant(w, 0);
        companies.push(Company {
            id: COMPANY_BASE + c as Id,
            name,
            responsible_id: Some(ctx.staff[ctx.author(m, grid.asof_w)].id),
            created_at: at,
            updated_at: at,
            tax_id: tax,
            phones,
            emails,
            fields,
            source: Source::Amocrm,
        });
        owner.push(m as u8);
        company_w.push(w);
        regions.push(region);
        domains.push(domain);
        portfolios[m].push(c as u32);
    }
    plant_duplicates(ctx, &mut companies);

    // Contacts, grouped by company so a deal can draw from its company's people.
    let mut contacts = Vec::with_capacity(n * 3 / 2 + n / 20 + 8);
    let mut contact_w = Vec::with_capacity(contacts.capacity());
    let mut contact_start = Vec::with_capacity(n + 1);
    for c in 0..n {
        contact_start.push(contacts.len() as u32);
        let mut rng = rng_for(ctx.seed, Stream::Contacts, c as u64);
        let count = 1 + chance(&mut rng, 0.4) as usize + chance(&mut rng, 0.1) as usize;
        for _ in 0..count {
            let w = (company_w[c] + between(&mut rng, 0, 3 * DAY)).min(grid.w_max);
            let mut company_ids = vec![COMPANY_BASE + c as Id];
            if chance(&mut rng, 0.03) {
                // The same person buys for a second company (a group of firms).
                let other = below(&mut rng, n) as Id;
                if other != c as Id {
                    company_ids.push(COMPANY_BASE + other);
                }
            }
            let contact = person_contact(
                &mut rng,
                contacts.len(),
                w,
                company_ids,
                companies[c].responsible_id,
                &domains[c],
                ctx,
            );
            contacts.push(contact);
            contact_w.push(w);
        }
    }
    contact_start.push(contacts.len() as u32);
    let private_from = contacts.len() as u32;
    for k in 0..n / 20 {
        let mut rng = rng_for(ctx.seed, Stream::Contacts, (n + k) as u64);
        let w = between(&mut rng, ctx.window_w, grid.w_max);
        let m = weighted(&mut rng, &owner_weights);
        let responsible = Some(ctx.staff[ctx.author(m, grid.asof_w)].id);
        let domain = *pick(&mut rng, FREE_MAIL);
        let contact = person_contact(&mut rng, contacts.len(), w, Vec::new(), responsible, domain, ctx);
        contacts.push(contact);
        contact_w.push(w);
    }
    let private_contacts = private_from..contacts.len() as u32;

    Clients {
        companies,
        contacts,
        owner,
        contact_start,
        private_contacts,
        portfolios,
        company_w,
        contact_w,
    }
}

fn person_contact(
    rng: &mut DemoRng,
    index: usize,
    w: u32,
    company_ids: Vec<Id>,
    responsible_id: Option<Id>,
    domain: &str,
    ctx: &Ctx,
) -> Contact {
    let person = Person::random(rng);
    let name = if chance(rng, 0.7) {
        person.full_name()
    } else {
        person.short_name()
    };
    let phones = if chance(rng, 0.88) { vec![mobile_phone(rng)] } else { Vec::new() };
    let emails = if chance(rng, 0.55) {
        let domain = if chance(rng, 0.7) { domain } else { *pick(rng, FREE_MAIL) };
        vec![person.email(domain)]
    } else {
        Vec::new()
    };
    let fields = if chance(rng, 0.55) {
        vec![(FIELD_POSITION, FieldValue::Text((*pick(rng, POSITIONS)).into()))]
    } else {
        Vec::new()
    };
    let at = ctx.grid.instant(w, 0);
    Contact {
        id: CONTACT_BASE + index as Id,
        name,
        responsible_id,
        company_ids,
        created_at: at,
        updated_at: at,
        phones,
        emails,
        fields,
        source: Source::Amocrm,
    }
}

/// A second card for an existing client: the same ИНН under a differently spelled
/// name, and a few look-alike names without the ИНН, for the duplicates report.
fn plant_duplicates(ctx: &Ctx, companies: &mut [Company]) {
    let n = companies.len();
    if n < 50 {
        return;
    }
    let mut rng = rng_for(ctx.seed, Stream::Companies, u64::MAX);
    let same_tax = (n * 12 / 1_000).max(6);
    let look_alike = (n * 5 / 1_000).max(3);
    for k in 0..same_tax + look_alike {
        let copy = 1 + below(&mut rng, n - 1);
        let original = below(&mut rng, copy);
        let name = name_variant(&companies[original].name, k);
        if k < same_tax {
            if companies[original].tax_id.is_none() {
                companies[original].tax_id = companies[copy].tax_id.clone();
            }
            companies[copy].tax_id = companies[original].tax_id.clone();
        } else {
            companies[copy].tax_id = None;
        }
        companies[copy].name = name;
    }
}

/// What managers did with clients outside deals: account calls, letters, follow-up tasks.
pub(crate) struct ClientWork {
    pub activities: Vec<Activity>,
    pub tasks: Vec<Task>,
    /// Connected outgoing calls per manager and month.
    pub calls: Vec<[u32; MONTHS]>,
    /// (first, last) working minute each company and contact was touched.
    company_touch: Vec<(u32, u32)>,
    contact_touch: Vec<(u32, u32)>,
}

const CALL_TASKS: &[&str] = &[
    "Плановый звонок клиенту",
    "Позвонить по допродаже",
    "Уточнить потребность на следующий квартал",
];
const CALL_RESULTS: &[&str] = &[
    "Поговорили, потребности пока нет",
    "Клиент планирует закупку весной",
    "Не дозвонился",
];

pub(crate) fn client_work(ctx: &Ctx, clients: &Clients) -> ClientWork {
    let n = clients.companies.len();
    let grid = &ctx.grid;
    let scale = ctx.deals as f64 / n.max(1) as f64;
    let mut activities = Vec::with_capacity(ctx.deals * 6 / 10 + 16);
    let mut tasks = Vec::with_capacity(ctx.deals / 7 + 16);
    let mut calls = vec![[0u32; MONTHS]; ctx.staff.len()];
    let mut company_touch = vec![(u32::MAX, 0u32); n];
    let mut contact_touch = vec![(u32::MAX, 0u32); clients.contacts.len()];
    let touch = |slot: &mut (u32, u32), w: u32| {
        slot.0 = slot.0.min(w);
        slot.1 = slot.1.max(w);
    };
    for (c, company_span) in company_touch.iter_mut().enumerate() {
        let mut rng = rng_for(ctx.seed, Stream::CompanyWork, c as u64);
        let m = clients.owner[c] as usize;
        let persona = ctx.staff[m].persona;
        let lo = ctx.window_w.max(ctx.staff[m].start_w);
        if lo > grid.w_max {
            continue;
        }
        let company = COMPANY_BASE + c as Id;
        let people = clients.contacts_of(c as u32);
        let acts = poisson(&mut rng, 0.45 * scale * persona.client_care);
        for _ in 0..acts {
            let w = between(&mut rng, lo, grid.w_max);
            let who = ctx.author(m, w);
            let kind = [
                ActivityKind::CallOut,
                ActivityKind::CallIn,
                ActivityKind::EmailOut,
                ActivityKind::EmailIn,
                ActivityKind::Meeting,
                ActivityKind::Note,
            ][weighted(&mut rng, &[0.55, 0.1, 0.2, 0.05, 0.04, 0.06])];
            let (connected, duration_s) = call_outcome(&mut rng, kind, ctx.staff[who].persona);
            let entity = if !people.is_empty() && chance(&mut rng, 0.2) {
                let k = people.start + below(&mut rng, people.len()) as u32;
                touch(&mut contact_touch[k as usize], w);
                EntityRef::Contact(CONTACT_BASE + k as Id)
            } else {
                touch(company_span, w);
                EntityRef::Company(company)
            };
            if kind == ActivityKind::CallOut
                && connected
                && let Some(k) = ctx.month_of(w)
            {
                calls[who][k] += 1;
            }
            activities.push(Activity {
                id: 0,
                kind,
                manager_id: Some(ctx.staff[who].id),
                entity: Some(entity),
                at: grid.instant(w, between(&mut rng, 0, 59)),
                duration_s,
                connected,
                source: Source::Amocrm,
            });
        }
        for _ in 0..poisson(&mut rng, 0.13 * scale) {
            let created = between(&mut rng, lo, grid.w_max);
            let due = created + between(&mut rng, DAY, 5 * DAY);
            let who = ctx.author(m, created);
            // Old follow-ups got done; some recent ones are still hanging, overdue or not yet due.
            let recent = created + 20 * DAY > grid.w_max;
            let forgotten = recent && chance(&mut rng, ctx.staff[who].persona.overdue);
            let done = (due <= grid.w_max && !forgotten).then(|| {
                let late = chance(&mut rng, ctx.staff[who].persona.late_done);
                let until = if late { due + DAY } else { due };
                between(&mut rng, created + 1, until.min(grid.w_max))
            });
            touch(company_span, done.unwrap_or(created));
            let kind = [TaskKind::Call, TaskKind::Meeting, TaskKind::Email, TaskKind::Other][weighted(&mut rng, &[0.7, 0.1, 0.1, 0.1])];
            let text = if kind == TaskKind::Call {
                Some(*pick(&mut rng, CALL_TASKS))
            } else {
                None
            };
            let result = if kind == TaskKind::Call && done.is_some() {
                Some(*pick(&mut rng, CALL_RESULTS))
            } else {
                None
            };
            tasks.push(task(
                ctx,
                &mut rng,
                TaskSpec {
                    entity: EntityRef::Company(company),
                    who,
                    kind,
                    text,
                    result,
                    created,
                    due,
                    done,
                },
            ));
        }
    }
    ClientWork {
        activities,
        tasks,
        calls,
        company_touch,
        contact_touch,
    }
}

/// Whether a call connected and how long it lasted; other kinds always "connect".
pub(crate) fn call_outcome(rng: &mut DemoRng, kind: ActivityKind, persona: &crate::setup::Persona) -> (bool, u32) {
    match kind {
        ActivityKind::CallOut => {
            if chance(rng, persona.connect) {
                (true, lognormal(rng, persona.call_secs, 0.8).clamp(5.0, 3_600.0) as u32)
            } else {
                (false, 0)
            }
        }
        ActivityKind::CallIn => {
            // A missed inbound call: the client rang and nobody picked up.
            if chance(rng, 0.8) {
                (true, lognormal(rng, 170.0, 0.7).clamp(8.0, 2_400.0) as u32)
            } else {
                (false, 0)
            }
        }
        _ => (true, 0),
    }
}

impl Clients {
    /// Final created/updated instants: a card is at least as old as its first deal or touch,
    /// and was last updated by its latest one.
    pub(crate) fn finish(mut self, ctx: &Ctx, skeletons: &[Skeleton], work: &ClientWork) -> (Vec<Company>, Vec<Contact>) {
        let mut company_span: Vec<(u32, u32)> = self.company_w.iter().map(|&w| (w, w)).collect();
        let mut contact_span: Vec<(u32, u32)> = self.contact_w.iter().map(|&w| (w, w)).collect();
        let widen = |span: &mut (u32, u32), first: u32, last: u32| {
            span.0 = span.0.min(first);
            span.1 = span.1.max(last);
        };
        for sk in skeletons {
            let w = sk.created_w();
            if let Some(c) = sk.company {
                widen(&mut company_span[c as usize], w, w);
            }
            for &k in sk.contacts() {
                widen(&mut contact_span[k as usize], w, w);
            }
        }
        for (span, touch) in company_span.iter_mut().zip(&work.company_touch) {
            if touch.0 != u32::MAX {
                widen(span, touch.0, touch.1);
            }
        }
        for (span, touch) in contact_span.iter_mut().zip(&work.contact_touch) {
            if touch.0 != u32::MAX {
                widen(span, touch.0, touch.1);
            }
        }
        let grid = &ctx.grid;
        for (company, (first, last)) in self.companies.iter_mut().zip(company_span) {
            company.created_at = grid.instant(first, 0);
            company.updated_at = grid.instant(last, 59).max(company.created_at);
        }
        for (contact, (first, last)) in self.contacts.iter_mut().zip(contact_span) {
            contact.created_at = grid.instant(first, 0);
            contact.updated_at = grid.instant(last, 59).max(contact.created_at);
        }
        (self.companies, self.contacts)
    }
}

/// Draws what a unit interval `u` maps to when early items should come up far more often.
pub(crate) fn skewed_index(rng: &mut DemoRng, len: usize) -> usize {
    ((len as f64) * unit(rng).powf(2.2)) as usize % len.max(1)
}
