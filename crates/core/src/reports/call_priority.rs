//! Whom to call next: for each manager, the companies they own ranked for a
//! call now. Fewest recent deals first, then least recent communication, then
//! the longest silence (in whole months), then the largest past revenue.
//! Companies already in play (an open deal, a call task) are left out.

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
                    Some(StageKind::Won) => past_revenue = past_revenue.saturating_add(amount),
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
            });
        }
    }

    let currency = ctx.config.business.currency.as_str();
    let managers = per_manager
        .into_iter()
        .map(|(manager_id, mut rows)| {
            let key = |c: &Candidate| {
                (
                    c.deals_recent,
                    c.comms_recent,
                    std::cmp::Reverse(c.silence_days / 30),
                    std::cmp::Reverse(c.past_revenue),
                    std::cmp::Reverse(c.silence_days),
                    c.company_id,
                )
            };
            let candidates = rows.len();
            let limit = cfg.limit_per_manager.min(candidates);
            // Only the first `limit` need ordering: partition around the limit, then sort those.
            if limit > 0 && limit < candidates {
                rows.select_nth_unstable_by_key(limit - 1, key);
            }
            rows.truncate(limit);
            rows.sort_by_key(key);
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
        managers,
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

/// "2 сделки за 90 дней, 0 коммуникаций, последний контакт 71 день назад, выручка 1 200 000 ₽".
fn why(lang: Language, currency: &str, days: u32, r: &CallRow) -> String {
    let revenue = format_money(lang, currency, crate::money::Money(r.past_revenue));
    match lang {
        Language::Ru => {
            let deals = format!(
                "{} {} за {} {}",
                r.deals_recent,
                plural(r.deals_recent as i64, "сделка", "сделки", "сделок"),
                days,
                plural(days as i64, "день", "дня", "дней")
            );
            let comms = format!(
                "{} {}",
                r.comms_recent,
                plural(r.comms_recent as i64, "коммуникация", "коммуникации", "коммуникаций")
            );
            let last = if r.never_contacted {
                "контактов не было".to_string()
            } else {
                format!(
                    "последний контакт {} {} назад",
                    r.silence_days,
                    plural(r.silence_days, "день", "дня", "дней")
                )
            };
            format!("{deals}, {comms}, {last}, выручка {revenue}")
        }
        Language::En => {
            let s = |n: i64| if n == 1 { "" } else { "s" };
            let last = if r.never_contacted {
                "never contacted".to_string()
            } else {
                format!("last contact {} day{} ago", r.silence_days, s(r.silence_days))
            };
            format!(
                "{} deal{} in {} days, {} communication{}, {last}, revenue {revenue}",
                r.deals_recent,
                s(r.deals_recent as i64),
                days,
                r.comms_recent,
                s(r.comms_recent as i64)
            )
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
        params: &[super::registry::Param::Manager],
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
        match k.report(ReportId::CallPriority, as_of) {
            Report::CallPriority(r) => r,
            _ => unreachable!(),
        }
    }

    #[test]
    fn ranks_quiet_valuable_companies_first_and_skips_those_in_play() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let quiet_rich = k.company("Тихая богатая", anna);
        let quiet_poor = k.company("Тихая бедная", anna);
        let busy = k.company("Занятая", anna);
        let in_play = k.company("В работе", anna);
        let with_task = k.company("С задачей", anna);
        // Old wins give past revenue, outside the 90-day window.
        let d = k.won_deal(anna, 1_200_000, "2025-03-01T10:00:00Z", "2025-04-01T10:00:00Z");
        k.set_company(d, quiet_rich);
        let d = k.won_deal(anna, 10_000, "2025-03-01T10:00:00Z", "2025-04-01T10:00:00Z");
        k.set_company(d, quiet_poor);
        // Both last heard from over three months ago, in the same month of silence: revenue decides.
        k.activity(
            anna,
            ActivityKind::CallOut,
            Some(EntityRef::Company(quiet_rich)),
            "2026-08-18T09:00:00Z",
            true,
        );
        k.activity(
            anna,
            ActivityKind::EmailOut,
            Some(EntityRef::Company(quiet_poor)),
            "2026-08-23T09:00:00Z",
            true,
        );
        // Recent deal and calls: lower priority.
        let d = k.won_deal(anna, 50_000, "2026-10-01T10:00:00Z", "2026-10-20T10:00:00Z");
        k.set_company(d, busy);
        k.activity(anna, ActivityKind::CallOut, Some(EntityRef::Deal(d)), "2026-11-20T09:00:00Z", true);
        let d = k.open_deal(anna, 70_000, "2026-11-01T10:00:00Z");
        k.set_company(d, in_play);
        k.task(anna, EntityRef::Company(with_task), TaskKind::Call, "2026-11-30T09:00:00Z", None);

        let r = report(&k, "2026-11-26T12:00:00Z");
        assert_eq!(r.managers.len(), 1);
        let names: Vec<_> = r.managers[0].companies.iter().map(|c| c.company.as_str()).collect();
        assert_eq!(names, vec!["Тихая богатая", "Тихая бедная", "Занятая"]);
        let top = &r.managers[0].companies[0];
        assert_eq!(
            (top.deals_recent, top.comms_recent, top.silence_days, top.past_revenue),
            (0, 0, 100, 120_000_000)
        );
        assert_eq!(
            top.why,
            "0 сделок за 90 дней, 0 коммуникаций, последний контакт 100 дней назад, выручка 1\u{a0}200\u{a0}000\u{a0}₽"
        );
        assert_eq!(
            top.company_url.as_deref(),
            Some(format!("https://test.amocrm.ru/companies/detail/{quiet_rich}").as_str())
        );
        let busy_row = &r.managers[0].companies[2];
        assert_eq!((busy_row.deals_recent, busy_row.comms_recent), (1, 1));

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
        let r = report(&k2, "2026-11-26T12:00:00Z");
        assert_eq!(r.managers[0].companies[0].company_id, c);
        assert!(r.managers[0].companies[0].never_contacted);
    }

    #[test]
    fn english_reason() {
        let mut k = Kit::new();
        k.config.business.language = Language::En;
        let anna = k.manager("Anna");
        k.company("Acme", anna);
        let r = report(&k, "2026-11-26T12:00:00Z");
        assert_eq!(
            r.managers[0].companies[0].why,
            "0 deals in 90 days, 0 communications, never contacted, revenue ₽0"
        );
    }
}
