//! Whom to call next: for each manager, the companies they own ranked for a
//! call now. Companies already in play (an open deal, a call task) are left out.
//!
//! Two lists. By default the clients, companies that have bought at least once:
//! when the warm leads run out a good manager goes back to old clients, so what
//! they bought raises them and every recent deal or contact lowers them (see
//! [`client_score`]). With `prospects` the companies that never bought: fewest
//! recent deals, then fewest recent contacts, then the longest silence.

use serde::Serialize;

use super::facts::count_and_last;
use super::history;
use super::{Ctx, ReportParams};
use crate::calendar::Instant;
use crate::i18n::{Language, format_money, plural};
use crate::model::{EntityRef, Id, StageKind, TaskKind};

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CallPriority {
    pub as_of: Instant,
    pub lookback_days: u32,
    /// Which list this is: the companies that never bought (`true`) or the clients.
    pub prospects: bool,
    /// Companies that qualified in each list (for the selected manager, if any), before the per-manager limit.
    pub clients_total: usize,
    pub prospects_total: usize,
    pub managers: Vec<ManagerCalls>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ManagerCalls {
    pub manager_id: Id,
    pub manager: String,
    /// Companies of this manager that qualified, before the per-manager limit.
    pub candidates: usize,
    pub companies: Vec<CallRow>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CallRow {
    pub rank: u32,
    pub company_id: Id,
    pub company: String,
    pub company_url: Option<String>,
    pub deals_recent: u32,
    pub comms_recent: u32,
    pub last_contact: Option<Instant>,
    pub last_call: Option<Instant>,
    /// Days since the last communication, or since the company was created if never.
    pub silence_days: i64,
    pub never_contacted: bool,
    /// Won revenue of the company's deals up to the as-of instant, kopecks.
    pub past_revenue: i64,
    /// Its won deals up to the as-of instant: 0 for a prospect.
    pub won_deals: u32,
    /// One line, what makes the call worth it: "покупал на 327 500 ₽, последний контакт 94 дня назад".
    pub why: String,
}

pub fn call_priority(ctx: &Ctx, params: &ReportParams) -> CallPriority {
    let cfg = &ctx.config.call_priority;
    let lang = ctx.config.business.language;
    let window_start = ctx.as_of - chrono::Duration::days(cfg.lookback_days as i64);
    let until = ctx.as_of + chrono::Duration::nanoseconds(1);
    let today = ctx.calendar.local_date(ctx.as_of);
    let links = ctx.links();

    // Numbers first for every company; names, links and reasons only for the rows shown.
    struct Candidate {
        row: u32,
        company_id: Id,
        deals_recent: u32,
        comms_recent: u32,
        last_contact: Option<Instant>,
        last_call: Option<Instant>,
        silence_days: i64,
        past_revenue: i64,
        won_deals: u32,
    }
    let mut per_manager: std::collections::BTreeMap<Id, Vec<Candidate>> = std::collections::BTreeMap::new();
    let long_ago = ctx.as_of - chrono::Duration::days(36_500);
    let silence_days = |last_contact: Option<Instant>, created_at: Instant| {
        (today - ctx.calendar.local_date(last_contact.unwrap_or(created_at))).num_days()
    };
    if ctx.facts.settled(ctx.as_of) {
        // The workspace as it stands now: its candidates are prepared, only the window moves.
        let now = ctx.facts.call_candidates(ctx.ws, ctx.config);
        for c in &now.call_candidates {
            if params.manager.is_some_and(|m| m != c.manager) {
                continue;
            }
            let in_window = |list: &[Instant]| (list.len() - list.partition_point(|t| *t < window_start)) as u32;
            per_manager.entry(c.manager).or_default().push(Candidate {
                row: c.row,
                company_id: c.company_id,
                deals_recent: in_window(now.recent(c.recent_deals)),
                comms_recent: in_window(now.recent(c.recent_comms)),
                last_contact: c.last_contact,
                last_call: c.last_call,
                silence_days: silence_days(c.last_contact, c.created_at),
                past_revenue: c.won_revenue,
                won_deals: c.won_deals,
            });
        }
    } else {
        // An earlier as-of: every company's deals in the stage they stood in then
        // (open or won, from the index where there is one).
        let standing = ctx.facts.past(ctx.ws).map(|p| p.deals_at(ctx.as_of));
        let window_from = super::facts::past::nanos(window_start);
        for (row, company) in ctx.ws.companies.iter().enumerate() {
            let Some(manager) = company.responsible_id else { continue };
            if params.manager.is_some_and(|m| m != manager) || company.created_at > ctx.as_of {
                continue;
            }
            let mut deals_recent = 0;
            let mut past_revenue = 0i64;
            let mut won_deals = 0u32;
            let mut in_play = false;
            let mut has_call_task = cfg.exclude_with_call_task && has_open_call_task(ctx, EntityRef::Company(company.id));
            let deal_rows = ctx.facts.deals_by_company.get(&company.id).map(Vec::as_slice).unwrap_or(&[]);
            for &deal_row in deal_rows {
                let deal = || &ctx.ws.deals.as_slice()[deal_row as usize];
                // With the index, the deal's row is read only for an open one (its tasks).
                let (kind, recent, amount) = match &standing {
                    Some(standing) => {
                        // `None`: not created yet, as `stage_at` says.
                        let Some((kind, created, amount)) = standing.get(deal_row) else {
                            continue;
                        };
                        (kind, created >= window_from, amount)
                    }
                    None => {
                        let Some((pipeline, stage)) = history::timeline(ctx.ws, deal()).stage_at(ctx.as_of) else {
                            continue;
                        };
                        let deal = deal();
                        (
                            Some(ctx.ws.stage_kind(pipeline, stage)),
                            deal.created_at >= window_start,
                            deal.amount.minor(),
                        )
                    }
                };
                if recent {
                    deals_recent += 1;
                }
                match kind {
                    Some(StageKind::Won) => {
                        past_revenue = past_revenue.saturating_add(amount);
                        won_deals += 1;
                    }
                    Some(StageKind::Open) => {
                        in_play = true;
                        has_call_task |= cfg.exclude_with_call_task && has_open_call_task(ctx, EntityRef::Deal(deal().id));
                    }
                    _ => {}
                }
            }
            if (cfg.exclude_with_open_deal && in_play) || has_call_task {
                continue;
            }
            let comms = ctx.facts.comms_by_company.get(&company.id).map(Vec::as_slice).unwrap_or(&[]);
            let (comms_recent, _) = count_and_last(comms, window_start, until);
            let (_, last_contact) = count_and_last(comms, long_ago, until);
            let calls = ctx.facts.calls_by_company.get(&company.id).map(Vec::as_slice).unwrap_or(&[]);
            let (_, last_call) = count_and_last(calls, long_ago, until);
            per_manager.entry(manager).or_default().push(Candidate {
                row: row as u32,
                company_id: company.id,
                deals_recent,
                comms_recent: comms_recent as u32,
                last_contact,
                last_call,
                silence_days: silence_days(last_contact, company.created_at),
                past_revenue,
                won_deals,
            });
        }
    }

    // One list at a time: the clients (bought at least once) or the prospects.
    let (mut clients_total, mut prospects_total) = (0, 0);
    for rows in per_manager.values_mut() {
        let clients = rows.iter().filter(|c| c.won_deals > 0).count();
        clients_total += clients;
        prospects_total += rows.len() - clients;
        rows.retain(|c| (c.won_deals == 0) == params.prospects);
    }
    per_manager.retain(|_, rows| !rows.is_empty());

    let currency = ctx.config.business.currency.as_str();
    let order = |a: &Candidate, b: &Candidate| {
        if params.prospects {
            let key = |c: &Candidate| (c.deals_recent, c.comms_recent, std::cmp::Reverse(c.silence_days), c.company_id);
            key(a).cmp(&key(b))
        } else {
            let score = |c: &Candidate| client_score(c.past_revenue, c.silence_days, c.deals_recent, c.comms_recent);
            score(b)
                .cmp(&score(a))
                .then_with(|| b.past_revenue.cmp(&a.past_revenue))
                .then_with(|| b.silence_days.cmp(&a.silence_days))
                .then_with(|| a.company_id.cmp(&b.company_id))
        }
    };
    let managers = per_manager
        .into_iter()
        .map(|(manager_id, mut rows)| {
            let candidates = rows.len();
            let limit = cfg.limit_per_manager.min(candidates);
            // Only the first `limit` need ordering: partition around the limit, then sort those.
            if limit > 0 && limit < candidates {
                rows.select_nth_unstable_by(limit - 1, order);
            }
            rows.truncate(limit);
            rows.sort_by(order);
            let companies = rows
                .into_iter()
                .enumerate()
                .map(|(i, c)| {
                    let company = &ctx.ws.companies.as_slice()[c.row as usize];
                    let mut row = CallRow {
                        rank: i as u32 + 1,
                        company_id: company.id,
                        company: company.name.clone(),
                        company_url: links.card_url(company.source, EntityRef::Company(company.id)),
                        deals_recent: c.deals_recent,
                        comms_recent: c.comms_recent,
                        last_contact: c.last_contact,
                        last_call: c.last_call,
                        silence_days: c.silence_days,
                        never_contacted: c.last_contact.is_none(),
                        past_revenue: c.past_revenue,
                        won_deals: c.won_deals,
                        why: String::new(),
                    };
                    row.why = why(lang, currency, cfg.lookback_days, &row);
                    row
                })
                .collect();
            ManagerCalls {
                manager_id,
                manager: ctx.manager_name(Some(manager_id)),
                candidates,
                companies,
            }
        })
        .collect();
    CallPriority {
        as_of: ctx.as_of,
        lookback_days: cfg.lookback_days,
        prospects: params.prospects,
        clients_total,
        prospects_total,
        managers,
    }
}

/// Silence counts up to a year: a client silent for three years is no more
/// urgent than one silent for one, and what they bought decides between them.
pub const SILENCE_CAP_DAYS: i64 = 365;

/// How much a client is worth a call now: what they bought (won revenue) times
/// the days since the last contact (up to [`SILENCE_CAP_DAYS`]), divided by
/// (1 + deals in the look-back) × (1 + contacts in the look-back). A client
/// contacted yesterday scores next to nothing; one who bought for 327 500 ₽
/// and has been silent for 94 days scores high. An exact fraction, compared
/// without rounding (counts above 10 000 in the look-back count as 10 000).
pub fn client_score(revenue: i64, silence_days: i64, deals_recent: u32, comms_recent: u32) -> Score {
    let n = |v: u32| 1 + v.min(10_000) as u128;
    Score {
        num: revenue.max(0) as u128 * silence_days.clamp(0, SILENCE_CAP_DAYS) as u128,
        den: n(deals_recent) * n(comms_recent),
    }
}

/// A non-negative fraction `num / den`, ordered exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Score {
    pub num: u128,
    pub den: u128,
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.num * other.den).cmp(&(other.num * self.den))
    }
}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

fn has_open_call_task(ctx: &Ctx, entity: EntityRef) -> bool {
    ctx.facts.tasks_by_entity.get(&entity).is_some_and(|rows| {
        rows.iter().any(|&r| {
            let t = &ctx.ws.tasks.as_slice()[r as usize];
            t.kind == TaskKind::Call && t.is_open_at(ctx.as_of)
        })
    })
}

/// One line (60 characters at most for the terminal's column), not repeating
/// the columns but saying why: a client "покупал на 327 500 ₽, последний контакт
/// 94 дня назад" or "3 покупки на 327 500 ₽, ..."; a prospect "контактов
/// не было, в базе 420 дней" or "последний контакт 40 дней назад, 2 сделки за 90 дней".
fn why(lang: Language, currency: &str, days: u32, r: &CallRow) -> String {
    let revenue = format_money(lang, currency, crate::money::Money(r.past_revenue));
    let n = r.silence_days;
    match lang {
        Language::Ru => {
            let ago = |n: i64| match n {
                0 => "сегодня".to_string(),
                1 => "вчера".to_string(),
                _ => format!("{n} {} назад", plural(n, "день", "дня", "дней")),
            };
            let mut parts = Vec::new();
            if r.won_deals > 1 {
                let times = plural(r.won_deals as i64, "покупка", "покупки", "покупок");
                parts.push(format!("{} {times} на {revenue}", r.won_deals));
            } else if r.won_deals == 1 {
                parts.push(format!("покупал на {revenue}"));
            }
            if r.never_contacted {
                parts.push("контактов не было".to_string());
                if r.won_deals == 0 {
                    parts.push(format!("в базе {n} {}", plural(n, "день", "дня", "дней")));
                }
            } else {
                parts.push(format!("последний контакт {}", ago(n)));
            }
            if r.won_deals == 0 && r.deals_recent > 0 {
                let d = r.deals_recent as i64;
                parts.push(format!(
                    "{d} {} за {days} {}",
                    plural(d, "сделка", "сделки", "сделок"),
                    plural(days as i64, "день", "дня", "дней")
                ));
            }
            parts.join(", ")
        }
        Language::En => {
            let s = |n: i64| if n == 1 { "" } else { "s" };
            let ago = |n: i64| match n {
                0 => "today".to_string(),
                1 => "yesterday".to_string(),
                _ => format!("{n} days ago"),
            };
            let mut parts = Vec::new();
            if r.won_deals > 1 {
                parts.push(format!("{} purchases for {revenue}", r.won_deals));
            } else if r.won_deals == 1 {
                parts.push(format!("bought for {revenue}"));
            }
            if r.never_contacted {
                parts.push("never contacted".to_string());
                if r.won_deals == 0 {
                    parts.push(format!("on file for {n} day{}", s(n)));
                }
            } else {
                parts.push(format!("last contact {}", ago(n)));
            }
            if r.won_deals == 0 && r.deals_recent > 0 {
                let d = r.deals_recent as i64;
                parts.push(format!("{d} deal{} in {days} days", s(d)));
            }
            parts.join(", ")
        }
    }
}

/// The report's registration (see [`super::registry`]).
pub struct CallPriorityReport;

impl super::ReportKind for CallPriorityReport {
    type Output = CallPriority;
    const DEF: super::registry::Definition = super::registry::Definition {
        id: "call-priority",
        title_key: "report.call_priority",
        params: &[super::registry::Param::Manager, super::registry::Param::Prospects],
        reads: super::registry::Definition::READS_DEALS
            .with(crate::model::Tables::COMPANIES)
            .with(crate::model::Tables::CONTACTS)
            .with(crate::model::Tables::TASKS)
            .with(crate::model::Tables::ACTIVITIES),
    };
    fn run(ctx: &Ctx, params: &ReportParams) -> CallPriority {
        call_priority(ctx, params)
    }
    fn tables(output: &CallPriority, lang: crate::i18n::Language, currency: &str) -> Vec<super::tabular::Table> {
        super::tabular::call_priority(output, lang, currency)
    }
    fn as_of(output: &CallPriority) -> Instant {
        output.as_of
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ActivityKind;
    use crate::reports::testkit::*;
    use crate::reports::{Report, ReportId};

    fn report(k: &Kit, as_of: &str) -> CallPriority {
        list(k, as_of, false)
    }

    fn list(k: &Kit, as_of: &str, prospects: bool) -> CallPriority {
        match k.report_with(
            ReportId::CallPriority,
            as_of,
            ReportParams {
                prospects,
                ..Default::default()
            },
        ) {
            Report::CallPriority(r) => r,
            _ => unreachable!(),
        }
    }

    fn names(r: &CallPriority) -> Vec<&str> {
        r.managers.iter().flat_map(|m| &m.companies).map(|c| c.company.as_str()).collect()
    }

    /// A company of `manager` that bought once for `amount` (won long before the look-back).
    fn client(k: &mut Kit, name: &str, manager: Id, amount: i64) -> Id {
        let c = k.company(name, manager);
        let d = k.won_deal(manager, amount, "2025-03-01T10:00:00Z", "2025-04-01T10:00:00Z");
        k.set_company(d, c);
        c
    }

    fn contact(k: &mut Kit, manager: Id, company: Id, when: &str) {
        k.activity(manager, ActivityKind::CallOut, Some(EntityRef::Company(company)), when, true);
    }

    #[test]
    fn old_clients_come_before_companies_that_never_bought() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        // The case: two never-contacted companies with nothing bought were ranked above these.
        k.company("Новая пустая", anna);
        k.company("Ещё одна пустая", anna);
        let big = client(&mut k, "Старый клиент 327", anna, 327_500);
        let small = client(&mut k, "Старый клиент 139", anna, 139_000);
        contact(&mut k, anna, big, "2026-08-24T09:00:00Z");
        contact(&mut k, anna, small, "2026-08-24T09:00:00Z");
        let r = report(&k, "2026-11-26T12:00:00Z");
        assert!(!r.prospects);
        assert_eq!(names(&r), vec!["Старый клиент 327", "Старый клиент 139"]);
        assert_eq!((r.clients_total, r.prospects_total), (2, 2));
        let top = &r.managers[0].companies[0];
        assert_eq!((top.won_deals, top.past_revenue, top.silence_days), (1, 32_750_000, 94));
        assert_eq!(top.why, "покупал на 327\u{a0}500\u{a0}₽, последний контакт 94 дня назад");
        assert_eq!(r.managers[0].candidates, 2, "the prospects are not this list's candidates");

        // The never-contacted, never-bought companies are in their own list, and only there.
        let p = list(&k, "2026-11-26T12:00:00Z", true);
        assert!(p.prospects);
        assert_eq!(names(&p), vec!["Новая пустая", "Ещё одна пустая"], "equal: the older id first");
        assert_eq!((p.clients_total, p.prospects_total), (2, 2));
        assert!(p.managers[0].companies.iter().all(|c| c.won_deals == 0 && c.past_revenue == 0));
        assert_eq!(p.managers[0].companies[0].why, "контактов не было, в базе 694 дня");
    }

    #[test]
    fn a_client_contacted_yesterday_ranks_below_one_silent_for_ninety_days() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        // The bigger client, but called yesterday; the smaller one silent for 90 days.
        let called = client(&mut k, "Звонили вчера", anna, 327_500);
        let silent = client(&mut k, "Молчит 90 дней", anna, 139_000);
        contact(&mut k, anna, called, "2026-11-25T09:00:00Z");
        contact(&mut k, anna, silent, "2026-08-28T09:00:00Z");
        let r = report(&k, "2026-11-26T12:00:00Z");
        assert_eq!(names(&r), vec!["Молчит 90 дней", "Звонили вчера"]);
        let rows = &r.managers[0].companies;
        assert_eq!((rows[0].silence_days, rows[1].silence_days), (90, 1));
        assert_eq!(rows[1].why, "покупал на 327\u{a0}500\u{a0}₽, последний контакт вчера");
        // The same two, the day before the call: the bigger client, silent as long, leads.
        let mut before = Kit::new();
        let anna = before.manager("Анна");
        let called = client(&mut before, "Звонили вчера", anna, 327_500);
        let silent = client(&mut before, "Молчит 90 дней", anna, 139_000);
        contact(&mut before, anna, called, "2026-08-28T09:00:00Z");
        contact(&mut before, anna, silent, "2026-08-28T09:00:00Z");
        assert_eq!(
            names(&report(&before, "2026-11-26T12:00:00Z")),
            vec!["Звонили вчера", "Молчит 90 дней"]
        );
    }

    #[test]
    fn recent_deals_and_contacts_move_a_client_down_and_revenue_up() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let quiet_rich = client(&mut k, "Тихая богатая", anna, 1_200_000);
        let quiet_poor = client(&mut k, "Тихая бедная", anna, 10_000);
        let busy = client(&mut k, "Занятая", anna, 1_200_000);
        let in_play = client(&mut k, "В работе", anna, 500_000);
        let with_task = client(&mut k, "С задачей", anna, 500_000);
        contact(&mut k, anna, quiet_rich, "2026-08-18T09:00:00Z");
        contact(&mut k, anna, quiet_poor, "2026-08-18T09:00:00Z");
        // As rich and as silent, but it bought again this autumn: lower.
        contact(&mut k, anna, busy, "2026-08-18T09:00:00Z");
        let d = k.won_deal(anna, 50_000, "2026-10-01T10:00:00Z", "2026-10-20T10:00:00Z");
        k.set_company(d, busy);
        let d = k.open_deal(anna, 70_000, "2026-11-01T10:00:00Z");
        k.set_company(d, in_play);
        k.task(anna, EntityRef::Company(with_task), TaskKind::Call, "2026-11-30T09:00:00Z", None);

        let r = report(&k, "2026-11-26T12:00:00Z");
        assert_eq!(names(&r), vec!["Тихая богатая", "Занятая", "Тихая бедная"]);
        let top = &r.managers[0].companies[0];
        assert_eq!(
            (top.deals_recent, top.comms_recent, top.silence_days, top.past_revenue),
            (0, 0, 100, 120_000_000)
        );
        assert_eq!(
            top.company_url.as_deref(),
            Some(format!("https://test.amocrm.ru/companies/detail/{quiet_rich}").as_str())
        );
        let busy_row = &r.managers[0].companies[1];
        assert_eq!((busy_row.deals_recent, busy_row.won_deals), (1, 2));
        assert_eq!(
            busy_row.why,
            "2 покупки на 1\u{a0}250\u{a0}000\u{a0}₽, последний контакт 100 дней назад"
        );

        // A completed call task no longer excludes the company.
        let mut k2 = Kit::new();
        let boris = k2.manager("Борис");
        let c = k2.company("Ромашка", boris);
        k2.task(
            boris,
            EntityRef::Company(c),
            TaskKind::Call,
            "2026-11-20T09:00:00Z",
            Some("2026-11-20T10:00:00Z"),
        );
        let r = list(&k2, "2026-11-26T12:00:00Z", true);
        assert_eq!(r.managers[0].companies[0].company_id, c);
        assert!(r.managers[0].companies[0].never_contacted);
        assert!(report(&k2, "2026-11-26T12:00:00Z").managers.is_empty(), "no clients: an empty list");
    }

    #[test]
    fn ties_keep_one_order_whatever_the_limit() {
        let build = |limit: usize| {
            let mut k = Kit::new();
            k.config.call_priority.limit_per_manager = limit;
            let anna = k.manager("Анна");
            let mut ids = Vec::new();
            for i in 0..30 {
                let c = client(&mut k, &format!("Клиент {i:02}"), anna, 100_000);
                contact(&mut k, anna, c, "2026-09-01T09:00:00Z");
                ids.push(c);
            }
            (k, ids)
        };
        let ranked = |k: &Kit| -> Vec<Id> {
            let r = report(k, "2026-11-26T12:00:00Z");
            assert!(r.managers[0].companies.iter().enumerate().all(|(i, c)| c.rank == i as u32 + 1));
            r.managers[0].companies.iter().map(|c| c.company_id).collect()
        };
        // Equal in everything: by id, whether the limit cuts the list (partly sorted) or not.
        let (k, ids) = build(20);
        assert_eq!(ranked(&k), ids[..20].to_vec());
        assert_eq!(ranked(&k), ranked(&k), "the same on every run");
        let (k, ids) = build(100);
        assert_eq!(ranked(&k), ids);
    }

    #[test]
    fn the_score_is_exact_and_capped() {
        // 100 ₽ silent 30 days against 300 ₽ silent 10 days: equal, not one ahead by rounding.
        assert_eq!(
            client_score(10_000, 30, 0, 0).cmp(&client_score(30_000, 10, 0, 0)),
            std::cmp::Ordering::Equal
        );
        // A contact in the look-back halves the score.
        assert_eq!(client_score(10_000, 30, 0, 1), Score { num: 300_000, den: 2 });
        // Two years of silence count as one.
        assert_eq!(client_score(10_000, 730, 0, 0), client_score(10_000, 365, 0, 0));
        // Nothing bought, nothing to score; huge values do not overflow.
        assert_eq!(client_score(0, 100, 0, 0).num, 0);
        assert!(client_score(i64::MAX, 365, u32::MAX, u32::MAX) > client_score(i64::MAX, 1, u32::MAX, u32::MAX));
    }

    #[test]
    fn english_reason() {
        let mut k = Kit::new();
        k.config.business.language = Language::En;
        let anna = k.manager("Anna");
        k.company("Acme", anna);
        let r = list(&k, "2026-11-26T12:00:00Z", true);
        assert_eq!(r.managers[0].companies[0].why, "never contacted, on file for 694 days");
        let c = client(&mut k, "Globex", anna, 327_500);
        contact(&mut k, anna, c, "2026-08-24T09:00:00Z");
        let r = report(&k, "2026-11-26T12:00:00Z");
        assert_eq!(r.managers[0].companies[0].why, "bought for ₽327,500, last contact 94 days ago");
        // Several purchases, and a contact yesterday.
        let d = k.won_deal(anna, 100_000, "2025-05-01T10:00:00Z", "2025-06-01T10:00:00Z");
        k.set_company(d, c);
        contact(&mut k, anna, c, "2026-11-25T09:00:00Z");
        let r = report(&k, "2026-11-26T12:00:00Z");
        assert_eq!(r.managers[0].companies[0].why, "2 purchases for ₽427,500, last contact yesterday");
    }
}
