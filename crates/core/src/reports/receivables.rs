//! Receivables: payments past due and not fully paid, per company, with aging
//! buckets, what falls due in the next days, and the payments that have no
//! due date at all (listed apart, never silently dropped).

use rustc_hash::FxHashMap;

use chrono::{Days, NaiveDate};
use serde::Serialize;

use super::{Ctx, ReportParams};
use crate::calendar::Instant;
use crate::model::{Company, Deal, EntityRef, Id, Payment};
use crate::money::sum_minor;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Receivables {
    pub as_of: Instant,
    /// The local date overdue days are counted to.
    pub today: NaiveDate,
    /// "amount" (owed, largest first) or "days" (longest overdue first).
    pub sort: &'static str,
    pub unit: &'static str,
    pub total_overdue: i64,
    pub companies: Vec<Debtor>,
    pub buckets: Vec<AgingBucket>,
    pub overdue: Vec<PaymentRow>,
    pub due_soon_days: u32,
    pub due_soon: Vec<PaymentRow>,
    pub without_due_date: Vec<PaymentRow>,
}

/// Who owes: a company's payments under one manager, or, for payments with no
/// company, one deal's (each with its own manager and card): "no company" is
/// never one debtor lumping different deals and managers together.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Debtor {
    pub company_id: Option<Id>,
    pub company: String,
    pub company_url: Option<String>,
    /// The deal, for a debtor without a company.
    pub deal_id: Option<Id>,
    pub deal: Option<String>,
    pub deal_url: Option<String>,
    pub manager_id: Option<Id>,
    pub manager: String,
    pub owed: i64,
    pub max_days_overdue: i64,
    pub count: u32,
}

impl Debtor {
    /// The name to show: the company's, or "no company · the deal's".
    pub fn label(&self) -> String {
        match &self.deal {
            Some(deal) if self.company_id.is_none() => format!("{} · {deal}", self.company),
            _ => self.company.clone(),
        }
    }

    /// The CRM card to open: the company's, else the deal's.
    pub fn url(&self) -> Option<&str> {
        self.company_url.as_deref().or(self.deal_url.as_deref())
    }
}

/// What overdue payments are grouped by.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum DebtorKey {
    Company {
        company: Id,
        manager: Option<Id>,
    },
    Deal(Id),
    /// Neither a company nor a deal: the payment stands alone.
    Payment(Id),
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AgingBucket {
    pub label: &'static str,
    pub from_days: i64,
    pub to_days: Option<i64>,
    pub amount: i64,
    pub count: u32,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PaymentRow {
    pub payment_id: Id,
    pub deal_id: Option<Id>,
    pub deal_url: Option<String>,
    pub company_id: Option<Id>,
    pub company: String,
    pub manager_id: Option<Id>,
    pub manager: String,
    pub amount_due: i64,
    pub amount_paid: i64,
    pub outstanding: i64,
    pub due_date: Option<NaiveDate>,
    /// Days past the due date; 0 or negative when not yet due.
    pub days_overdue: i64,
}

const BUCKETS: [(&str, i64, Option<i64>); 4] = [
    ("1-30", 1, Some(30)),
    ("31-60", 31, Some(60)),
    ("61-90", 61, Some(90)),
    ("90+", 91, None),
];

/// A payment outstanding on the day, before anything is named: the report
/// sorts and sums these, and writes names and links only into the rows it returns.
#[derive(Clone, Copy)]
struct Owed<'a> {
    p: &'a Payment,
    deal: Option<&'a Deal>,
    company_id: Option<Id>,
    company: Option<&'a Company>,
    manager_id: Option<Id>,
    paid: i64,
    outstanding: i64,
    days: i64,
}

impl Owed<'_> {
    fn debtor(&self) -> DebtorKey {
        match (self.company_id, self.p.deal_id) {
            (Some(company), _) => DebtorKey::Company {
                company,
                manager: self.manager_id,
            },
            (None, Some(deal)) => DebtorKey::Deal(deal),
            (None, None) => DebtorKey::Payment(self.p.id),
        }
    }
}

/// A debtor's figures, summed before it is named.
struct Owing {
    /// Its first overdue payment, which names it.
    first: usize,
    owed: i64,
    max_days_overdue: i64,
    count: u32,
}

pub fn receivables(ctx: &Ctx, params: &ReportParams) -> Receivables {
    let today = ctx.calendar.local_date(ctx.as_of);
    let soon_days = ctx.config.receivables.due_soon_days;
    let soon_end = today + Days::new(soon_days as u64);
    let links = ctx.links();
    let lang = ctx.config.business.language;

    let mut overdue: Vec<Owed> = Vec::new();
    let mut due_soon: Vec<Owed> = Vec::new();
    let mut without_due_date: Vec<Owed> = Vec::new();
    // Only payments not paid in full, and those paid in full after `today`, can be outstanding.
    let payments = ctx.ws.payments.as_slice();
    let paid_later = &ctx.facts.paid_payments[ctx.facts.paid_payments.partition_point(|(paid, _)| *paid <= today)..];
    let candidates = ctx.facts.unpaid_payments.iter().chain(paid_later.iter().map(|(_, row)| row));
    for p in candidates.map(|&row| &payments[row as usize]) {
        // Payments due later than the "soon" window are in no list: skip before looking them up.
        if p.due_date.is_some_and(|due| due > soon_end) {
            continue;
        }
        let Some(owed) = owed(ctx, p, today, params.manager) else {
            continue;
        };
        match p.due_date {
            None => without_due_date.push(owed),
            Some(due) if due < today => overdue.push(owed),
            Some(due) if due <= soon_end => due_soon.push(owed),
            Some(_) => {}
        }
    }

    let mut buckets: Vec<AgingBucket> = BUCKETS
        .iter()
        .map(|&(label, from_days, to_days)| AgingBucket {
            label,
            from_days,
            to_days,
            amount: 0,
            count: 0,
        })
        .collect();
    let mut by_debtor: FxHashMap<DebtorKey, Owing> = FxHashMap::default();
    for (i, o) in overdue.iter().enumerate() {
        if let Some(b) = buckets
            .iter_mut()
            .find(|b| o.days >= b.from_days && b.to_days.is_none_or(|t| o.days <= t))
        {
            b.amount = b.amount.saturating_add(o.outstanding);
            b.count += 1;
        }
        let d = by_debtor.entry(o.debtor()).or_insert(Owing {
            first: i,
            owed: 0,
            max_days_overdue: 0,
            count: 0,
        });
        d.owed = d.owed.saturating_add(o.outstanding);
        d.max_days_overdue = d.max_days_overdue.max(o.days);
        d.count += 1;
    }

    // Names once per manager, not once per payment.
    let mut managers: FxHashMap<Option<Id>, String> = FxHashMap::default();
    let mut manager = |id: Option<Id>| managers.entry(id).or_insert_with(|| ctx.manager_name(id)).clone();
    let no_company = crate::i18n::text(lang, "report.no_company");
    let company_name = |o: &Owed| o.company.map_or_else(|| no_company.to_string(), |c| c.name.clone());
    let deal_url = |o: &Owed| o.deal.and_then(|d| links.card_url(d.source, EntityRef::Deal(d.id)));
    let mut companies: Vec<Debtor> = by_debtor
        .into_values()
        .map(|d| {
            let o = &overdue[d.first];
            let alone = o.company_id.is_none();
            Debtor {
                company_id: o.company_id,
                company: company_name(o),
                company_url: o.company.and_then(|c| links.card_url(c.source, EntityRef::Company(c.id))),
                deal_id: if alone { o.p.deal_id } else { None },
                deal: if alone {
                    o.p.deal_id.and_then(|id| ctx.ws.deals.get(id)).map(|d| d.name.clone())
                } else {
                    None
                },
                deal_url: if alone { deal_url(o) } else { None },
                manager_id: o.manager_id,
                manager: manager(o.manager_id),
                owed: d.owed,
                max_days_overdue: d.max_days_overdue,
                count: d.count,
            }
        })
        .collect();

    let by_days = params.sort.as_deref() == Some("days");
    if by_days {
        companies.sort_by(|a, b| {
            b.max_days_overdue
                .cmp(&a.max_days_overdue)
                .then(b.owed.cmp(&a.owed))
                .then_with(|| a.company.cmp(&b.company))
                .then(a.company_id.cmp(&b.company_id))
                .then(a.deal_id.cmp(&b.deal_id))
                .then(a.manager_id.cmp(&b.manager_id))
        });
        overdue.sort_unstable_by(|a, b| {
            b.days
                .cmp(&a.days)
                .then(b.outstanding.cmp(&a.outstanding))
                .then(a.p.id.cmp(&b.p.id))
        });
    } else {
        companies.sort_by(|a, b| {
            b.owed
                .cmp(&a.owed)
                .then(b.max_days_overdue.cmp(&a.max_days_overdue))
                .then_with(|| a.company.cmp(&b.company))
                .then(a.company_id.cmp(&b.company_id))
                .then(a.deal_id.cmp(&b.deal_id))
                .then(a.manager_id.cmp(&b.manager_id))
        });
        overdue.sort_unstable_by(|a, b| {
            b.outstanding
                .cmp(&a.outstanding)
                .then(b.days.cmp(&a.days))
                .then(a.p.id.cmp(&b.p.id))
        });
    }
    due_soon.sort_unstable_by(|a, b| {
        a.p.due_date
            .cmp(&b.p.due_date)
            .then(b.outstanding.cmp(&a.outstanding))
            .then(a.p.id.cmp(&b.p.id))
    });
    without_due_date.sort_unstable_by(|a, b| b.outstanding.cmp(&a.outstanding).then(a.p.id.cmp(&b.p.id)));

    let mut rows = |list: Vec<Owed>| -> Vec<PaymentRow> {
        list.iter()
            .map(|o| PaymentRow {
                payment_id: o.p.id,
                deal_id: o.p.deal_id,
                deal_url: deal_url(o),
                company_id: o.company_id,
                company: company_name(o),
                manager_id: o.manager_id,
                manager: manager(o.manager_id),
                amount_due: o.p.amount_due.minor(),
                amount_paid: o.paid,
                outstanding: o.outstanding,
                due_date: o.p.due_date,
                days_overdue: o.days,
            })
            .collect()
    };
    Receivables {
        as_of: ctx.as_of,
        today,
        sort: if by_days { "days" } else { "amount" },
        unit: ctx.money_unit(),
        total_overdue: sum_minor(overdue.iter().map(|o| o.outstanding)),
        companies,
        buckets,
        overdue: rows(overdue),
        due_soon_days: soon_days,
        due_soon: rows(due_soon),
        without_due_date: rows(without_due_date),
    }
}

/// The payment as it stood on `today`: `None` if nothing was outstanding, or if
/// only one manager's payments are wanted and it is someone else's.
fn owed<'a>(ctx: &Ctx<'a>, p: &'a Payment, today: NaiveDate, only: Option<Id>) -> Option<Owed<'a>> {
    // A payment made after the as-of date had not been made yet then.
    let paid = if p.paid_date.is_some_and(|d| d > today) {
        0
    } else {
        p.amount_paid.minor()
    };
    let outstanding = p.amount_due.minor().saturating_sub(paid);
    if outstanding <= 0 {
        return None;
    }
    let deal = p.deal_id.and_then(|d| ctx.ws.deals.get(d));
    let company_id = p.company_id.or(deal.and_then(|d| d.company_id));
    let company = company_id.and_then(|c| ctx.ws.companies.get(c));
    let manager_id = deal.and_then(|d| d.responsible_id).or(company.and_then(|c| c.responsible_id));
    if only.is_some() && manager_id != only {
        return None;
    }
    Some(Owed {
        p,
        deal,
        company_id,
        company,
        manager_id,
        paid,
        outstanding,
        days: p.due_date.map(|d| (today - d).num_days()).unwrap_or(0),
    })
}

/// The report's registration (see [`super::registry`]).
pub struct ReceivablesReport;

impl super::ReportKind for ReceivablesReport {
    type Output = Receivables;
    const DEF: super::registry::Definition = super::registry::Definition {
        id: "receivables",
        title_key: "report.receivables",
        params: &[super::registry::Param::Manager, super::registry::Param::Sort(&["amount", "days"])],
        reads: super::registry::Definition::READS_DEALS
            .with(crate::model::Tables::PAYMENTS)
            .with(crate::model::Tables::COMPANIES),
    };
    fn run(ctx: &Ctx, params: &ReportParams) -> Receivables {
        receivables(ctx, params)
    }
    fn tables(output: &Receivables, lang: crate::i18n::Language, currency: &str) -> Vec<super::tabular::Table> {
        super::tabular::receivables(output, lang, currency)
    }
    fn as_of(output: &Receivables) -> Instant {
        output.as_of
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Source;
    use crate::money::Money;
    use crate::reports::testkit::*;
    use crate::reports::{Report, ReportId};

    fn pay(k: &mut Kit, deal: Option<Id>, company: Option<Id>, due: Option<&str>, amount: i64, paid: i64, paid_on: Option<&str>) {
        let id = k.id();
        k.ws.payments.upsert(Payment {
            id,
            deal_id: deal,
            company_id: company,
            amount_due: Money::from_major(amount),
            due_date: due.map(date),
            amount_paid: Money::from_major(paid),
            paid_date: paid_on.map(date),
            source: Source::Amocrm,
        });
    }

    fn report(k: &Kit, as_of: &str, sort: Option<&str>) -> Receivables {
        let params = ReportParams {
            sort: sort.map(String::from),
            ..Default::default()
        };
        match k.report_with(ReportId::Receivables, as_of, params) {
            Report::Receivables(r) => r,
            _ => unreachable!(),
        }
    }

    #[test]
    fn aging_partial_and_split_payments() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let romashka = k.company("Ромашка", anna);
        let vector = k.company("Вектор", anna);
        let deal = k.won_deal(anna, 300_000, "2026-08-01T10:00:00Z", "2026-08-10T10:00:00Z");
        k.set_company(deal, romashka);
        // One deal paid in two parts: the first half paid, the second 10 days overdue.
        pay(&mut k, Some(deal), None, Some("2026-09-01"), 150_000, 150_000, Some("2026-09-01"));
        pay(&mut k, Some(deal), None, Some("2026-11-16"), 150_000, 0, None);
        // Partial: 100,000 due 2026-08-27 (91 days ago), 40,000 paid.
        pay(&mut k, None, Some(vector), Some("2026-08-27"), 100_000, 40_000, Some("2026-09-01"));
        // Due today: not overdue, but due soon; due in 8 days: neither.
        pay(&mut k, None, Some(vector), Some("2026-11-26"), 5_000, 0, None);
        pay(&mut k, None, Some(vector), Some("2026-12-04"), 5_000, 0, None);
        // No due date: listed apart.
        pay(&mut k, None, Some(romashka), None, 7_000, 0, None);
        let r = report(&k, "2026-11-26T12:00:00Z", None);
        assert_eq!(r.total_overdue, 21_000_000);
        assert_eq!(r.companies.len(), 2);
        assert_eq!(
            (
                r.companies[0].company.as_str(),
                r.companies[0].owed,
                r.companies[0].max_days_overdue
            ),
            ("Ромашка", 15_000_000, 10)
        );
        assert_eq!(
            (
                r.companies[1].company.as_str(),
                r.companies[1].owed,
                r.companies[1].max_days_overdue
            ),
            ("Вектор", 6_000_000, 91)
        );
        assert_eq!(r.companies[0].manager_id, Some(anna), "the deal's manager");
        let amounts: Vec<_> = r.buckets.iter().map(|b| (b.label, b.amount, b.count)).collect();
        assert_eq!(
            amounts,
            vec![("1-30", 15_000_000, 1), ("31-60", 0, 0), ("61-90", 0, 0), ("90+", 6_000_000, 1)]
        );
        assert_eq!(r.due_soon.len(), 1);
        assert_eq!(r.due_soon[0].days_overdue, 0);
        assert_eq!(r.without_due_date.len(), 1);
        assert_eq!(r.without_due_date[0].outstanding, 700_000);
        assert_eq!(
            r.overdue[0].deal_url.as_deref(),
            Some(format!("https://test.amocrm.ru/leads/detail/{deal}").as_str())
        );
        let by_days = report(&k, "2026-11-26T12:00:00Z", Some("days"));
        assert_eq!(by_days.companies[0].company, "Вектор");
    }

    #[test]
    fn bucket_edges_and_as_of_in_the_past() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let c = k.company("Ромашка", anna);
        // 30, 31, 61 and 90 days overdue on 26 November.
        for due in ["2026-10-27", "2026-10-26", "2026-09-26", "2026-08-28"] {
            pay(&mut k, None, Some(c), Some(due), 1_000, 0, None);
        }
        // Paid on 20 November: still owed as of the 10th, not as of the 26th.
        pay(&mut k, None, Some(c), Some("2026-11-01"), 2_000, 2_000, Some("2026-11-20"));
        let r = report(&k, "2026-11-26T12:00:00Z", None);
        let counts: Vec<_> = r.buckets.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![1, 1, 2, 0]);
        let r = report(&k, "2026-11-10T12:00:00Z", None);
        assert!(r.overdue.iter().any(|p| p.amount_due == 200_000 && p.days_overdue == 9));
        // Local date in Moscow: 21:30 UTC on the 26th is already the 27th.
        let r = report(&k, "2026-11-26T21:30:00Z", None);
        assert_eq!(r.today, date("2026-11-27"));
    }

    #[test]
    fn debtors_are_a_company_under_one_manager_or_one_deal_without_a_company() {
        let mut k = Kit::new();
        let managers: Vec<Id> = ["Анна", "Борис", "Вера", "Глеб", "Дина"].map(|n| k.manager(n)).to_vec();
        let romashka = k.company("Ромашка", managers[0]);
        // Ten payments of five managers' deals without a company, two per deal.
        let mut deals = Vec::new();
        for (i, &m) in managers.iter().enumerate() {
            let deal = k.won_deal(m, 200_000, "2026-08-01T10:00:00Z", "2026-08-10T10:00:00Z");
            pay(&mut k, Some(deal), None, Some("2026-10-01"), 100_000 + i as i64, 0, None);
            pay(&mut k, Some(deal), None, Some("2026-11-01"), 50_000, 0, None);
            deals.push((deal, m));
        }
        // One company's deals under two managers: two debtors.
        for &m in &managers[..2] {
            let deal = k.won_deal(m, 10_000, "2026-08-01T10:00:00Z", "2026-08-10T10:00:00Z");
            k.set_company(deal, romashka);
            pay(&mut k, Some(deal), None, Some("2026-10-01"), 10_000, 0, None);
        }
        // Neither a deal nor a company: a debtor of its own.
        pay(&mut k, None, None, Some("2026-10-01"), 1_000, 0, None);

        let r = report(&k, "2026-11-26T12:00:00Z", None);
        assert_eq!(r.companies.len(), 5 + 2 + 1);
        for &(deal, m) in &deals {
            let d = r.companies.iter().find(|d| d.deal_id == Some(deal)).expect("a debtor per deal");
            assert_eq!((d.company_id, d.manager_id, d.count), (None, Some(m), 2));
            assert_eq!(d.url(), Some(format!("https://test.amocrm.ru/leads/detail/{deal}").as_str()));
            assert!(d.label().starts_with("Без компании · "), "{}", d.label());
        }
        // The biggest is one deal's debt, not all of them lumped under one manager.
        assert_eq!(r.companies[0].owed, 15_000_400);
        assert_eq!(r.companies[0].manager_id, Some(managers[4]));
        let romashka_rows: Vec<_> = r.companies.iter().filter(|d| d.company_id == Some(romashka)).collect();
        let mut their_managers: Vec<_> = romashka_rows.iter().map(|d| d.manager_id).collect();
        their_managers.sort();
        assert_eq!(their_managers, vec![Some(managers[0]), Some(managers[1])]);
        assert!(romashka_rows.iter().all(|d| d.deal_id.is_none() && d.count == 1));
        let alone = r.companies.iter().find(|d| d.company_id.is_none() && d.deal_id.is_none()).unwrap();
        assert_eq!((alone.owed, alone.url()), (100_000, None));
        // The team total is unchanged by the grouping.
        assert_eq!(r.total_overdue, r.companies.iter().map(|d| d.owed).sum::<i64>());
    }

    #[test]
    fn nothing_owed_is_an_empty_report() {
        let k = Kit::new();
        let r = report(&k, "2026-11-26T12:00:00Z", None);
        assert_eq!(r.total_overdue, 0);
        assert!(r.companies.is_empty() && r.overdue.is_empty() && r.due_soon.is_empty());
        assert!(r.buckets.iter().all(|b| b.amount == 0));
    }
}
