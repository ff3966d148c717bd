//! Leaderboard, "best employee of the month": the month to date ranked by a
//! metric (margin of won deals by default), with won count, average check,
//! the gap to the place above, and last month's winner. Ties go to whoever
//! got there first.

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use super::plan_fact::unit;
use super::{Ctx, ReportParams, ratio};
use crate::calendar::{Instant, Period, PeriodKind};
use crate::model::{Id, Metric};
use crate::query::Span;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Leaderboard {
    pub as_of: Instant,
    pub metric: Metric,
    pub unit: &'static str,
    /// The period ranked: this month, or the one asked for (last month, a quarter, any days).
    pub month: Period,
    /// The period as a Russian screen writes it: "ноябрь 2026", "IV квартал 2026".
    pub period_label: String,
    pub rows: Vec<LeaderRow>,
    /// Some won deals had no margin, so the default rate was assumed for them.
    pub default_margin_used: bool,
    pub default_margin_percent: u32,
    /// Ranking by margin with `[fields] margin` naming a field the CRM lacks:
    /// what is wrong, in the workspace's language (every deal got the default rate).
    pub margin_field_problem: Option<String>,
    /// Ranking by margin: where the margin is read from, in the workspace's
    /// language ("маржа: поле «Маржа»; где оно пусто — 30 % от выручки по умолчанию").
    pub margin_basis: Option<String>,
    /// The period before (last month for this month, the quarter before for a quarter).
    pub last_month: Period,
    pub last_month_label: String,
    /// The first place of the period before, decided at its end.
    pub last_month_winner: Option<LeaderRow>,
    /// Per team (amoCRM's groups), its managers rolled up; empty with one manager selected or no teams.
    pub teams: Vec<LeaderTeamRow>,
    /// With `--compare`: the period beside the previous one or the one a year before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison: Option<super::compare::Comparison>,
}

/// A team's managers summed: the ranking metric, won deals, revenue.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LeaderTeamRow {
    pub team_id: Id,
    pub team: String,
    pub managers: u32,
    pub value: i64,
    pub won_count: u32,
    pub revenue: i64,
    pub average_check: Option<i64>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LeaderRow {
    pub place: u32,
    pub manager_id: Id,
    pub manager: String,
    /// The ranking metric's value.
    pub value: i64,
    pub won_count: u32,
    /// Revenue of won deals, kopecks.
    pub revenue: i64,
    /// Revenue per won deal, kopecks; `None` with no won deals.
    pub average_check: Option<i64>,
    /// How much more it takes to reach the place above; `None` for the leader.
    pub gap_to_next_place: Option<i64>,
    /// When the manager reached the value (ties go to the earlier).
    pub reached_at: Option<Instant>,
}

impl Leaderboard {
    /// The month's leader: the first place, once somebody has a result. On
    /// the 1st of the month everyone stands at zero, and nobody leads with
    /// nothing (the places are then only the order of the list).
    pub fn leader(&self) -> Option<&LeaderRow> {
        self.rows.first().filter(|r| r.has_result())
    }

    /// What the winner of the period before is called: last month's best
    /// employee, or the previous period's for a quarter or any days.
    pub fn last_winner_key(&self) -> &'static str {
        if self.month.kind == PeriodKind::Month {
            "leaderboard.last_winner"
        } else {
            "leaderboard.previous_winner"
        }
    }

    /// The podium: the first three places among those with a result.
    pub fn podium(&self) -> impl Iterator<Item = &LeaderRow> {
        self.rows.iter().filter(|r| r.place <= 3 && r.has_result())
    }
}

impl LeaderRow {
    /// Something counted in the ranking metric (a won deal worth 0 ₽ is no revenue).
    pub fn has_result(&self) -> bool {
        self.value > 0
    }
}

#[derive(Default)]
struct Tally {
    value: i64,
    won_count: u32,
    revenue: i64,
    reached_at: Option<Instant>,
}

pub fn leaderboard(ctx: &Ctx, params: &ReportParams) -> Leaderboard {
    let metric = params.metric.unwrap_or(ctx.config.reports.leaderboard_metric);
    let lang = ctx.config.business.language;
    // This month, unless a period is asked for (an unknown one is refused where it is typed).
    let span = params
        .period
        .as_deref()
        .and_then(|p| Span::parse(p, ctx.calendar.local_date(ctx.as_of)))
        .unwrap_or_else(|| Span::from_period(&ctx.calendar.period_of(PeriodKind::Month, ctx.as_of)));
    let month = span.to_period();
    let (rows, estimated) = rank(ctx, metric, &month, ctx.as_of);
    let last_month = span.previous().to_period();
    let last_end = ctx.calendar.start_of_day(last_month.end) - chrono::Duration::nanoseconds(1);
    let (last_rows, _) = rank(ctx, metric, &last_month, last_end.min(ctx.as_of));
    let last_month_winner = last_rows.into_iter().next().filter(LeaderRow::has_result);
    let teams = if params.manager.is_none() { teams(ctx, &rows) } else { Vec::new() };
    let rows: Vec<LeaderRow> = match params.manager {
        Some(m) => rows.into_iter().filter(|r| r.manager_id == m).collect(),
        None => rows,
    };
    let comparison = params.compare.map(|c| compared(ctx, params, metric, &month, c, &rows, &teams));
    Leaderboard {
        as_of: ctx.as_of,
        metric,
        unit: unit(ctx, metric),
        month,
        period_label: span.label(lang),
        rows,
        default_margin_used: metric == Metric::Margin && estimated,
        default_margin_percent: ctx.config.reports.default_margin_percent,
        margin_basis: (metric == Metric::Margin).then(|| margin_basis(ctx)),
        margin_field_problem: (metric == Metric::Margin)
            .then(|| {
                crate::mapping::check(ctx.ws, ctx.config)
                    .into_iter()
                    .find(|p| p.affects == crate::mapping::Affects::Margin)
                    .map(|p| p.message(ctx.config.business.language))
            })
            .flatten(),
        last_month,
        last_month_label: span.previous().label(lang),
        last_month_winner,
        teams,
        comparison,
    }
}

/// Where the margin comes from: the deal field `[fields] margin` names (when the
/// CRM has it), and the default rate for deals where it is empty or when there is no field.
pub fn margin_basis(ctx: &Ctx) -> String {
    let lang = ctx.config.business.language;
    let rate = match lang {
        crate::i18n::Language::Ru => format!("{}\u{a0}%", ctx.config.reports.default_margin_percent),
        crate::i18n::Language::En => format!("{}%", ctx.config.reports.default_margin_percent),
    };
    let field = ctx
        .facts
        .margin_field
        .and_then(|id| ctx.ws.field_defs.get(id))
        .map(|f| f.name.clone());
    match field {
        Some(field) => crate::i18n::text_with(lang, "leaderboard.margin_basis_field", &[("field", &field), ("rate", &rate)]),
        None => crate::i18n::text_with(lang, "leaderboard.margin_basis_default", &[("rate", &rate)]),
    }
}

/// Teams roll their managers up, by the team each is in now; the best first.
fn teams(ctx: &Ctx, rows: &[LeaderRow]) -> Vec<LeaderTeamRow> {
    let mut by_team: std::collections::BTreeMap<Id, LeaderTeamRow> = std::collections::BTreeMap::new();
    for r in rows {
        let Some(team) = ctx.ws.users.get(r.manager_id).and_then(|u| u.team_id) else {
            continue;
        };
        let t = by_team.entry(team).or_insert_with(|| LeaderTeamRow {
            team_id: team,
            team: ctx.ws.teams.get(team).map_or_else(|| format!("#{team}"), |t| t.name.clone()),
            managers: 0,
            value: 0,
            won_count: 0,
            revenue: 0,
            average_check: None,
        });
        t.managers += 1;
        t.value += r.value;
        t.won_count += r.won_count;
        t.revenue += r.revenue;
    }
    let mut teams: Vec<LeaderTeamRow> = by_team
        .into_values()
        .map(|t| LeaderTeamRow {
            average_check: ratio(t.revenue, t.won_count as i64),
            ..t
        })
        .collect();
    teams.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.team.cmp(&b.team)));
    teams
}

/// The ranked period beside the compared one, per manager, team and in total.
fn compared(
    ctx: &Ctx,
    params: &ReportParams,
    metric: Metric,
    period: &Period,
    compare: crate::query::Compare,
    rows: &[LeaderRow],
    teams: &[LeaderTeamRow],
) -> super::compare::Comparison {
    let current: Vec<super::compare::Current> = rows
        .iter()
        .map(|r| super::compare::Current {
            manager: Some(r.manager_id),
            name: &r.manager,
            fact: r.value,
        })
        .collect();
    let team_rows: Vec<(Id, &str, i64)> = teams.iter().map(|t| (t.team_id, t.team.as_str(), t.value)).collect();
    let total = rows.iter().map(|r| r.value).sum();
    super::compare::compare(
        ctx,
        metric,
        period,
        compare,
        &current,
        &team_rows,
        (&ctx.total_label(params), total),
        params.manager,
        false,
    )
}

/// Ranks managers on `metric` over `period` as of `as_of`; also says whether a default margin was used.
fn rank(ctx: &Ctx, metric: Metric, period: &Period, as_of: Instant) -> (Vec<LeaderRow>, bool) {
    let (from, to) = ctx.calendar.bounds(period);
    let mut tallies: HashMap<Id, Tally> = HashMap::new();
    let mut estimated = false;
    for e in ctx.facts.won_between(from, to, as_of) {
        let Some(m) = e.manager_id else { continue };
        let t = tallies.entry(m).or_default();
        t.won_count += 1;
        t.revenue = t.revenue.saturating_add(e.amount.minor());
        estimated |= e.margin_estimated;
        let add = match metric {
            Metric::Revenue => e.amount.minor(),
            Metric::Margin => e.margin.minor(),
            Metric::WonDeals => 1,
            Metric::Calls => 0,
        };
        if add != 0 {
            t.value = t.value.saturating_add(add);
            t.reached_at = Some(e.at);
        }
    }
    if metric == Metric::Calls {
        for c in ctx.facts.calls_between(from, to.min(as_of + chrono::Duration::nanoseconds(1))) {
            if let Some(m) = c.manager_id {
                let t = tallies.entry(m).or_default();
                t.value += 1;
                t.reached_at = Some(c.at);
            }
        }
    }
    let mut managers: BTreeSet<Id> = ctx.ws.users.iter().filter(|u| u.active).map(|u| u.id).collect();
    managers.extend(tallies.keys());
    let mut rows: Vec<LeaderRow> = managers
        .into_iter()
        .map(|m| {
            let t = tallies.remove(&m).unwrap_or_default();
            LeaderRow {
                place: 0,
                manager_id: m,
                manager: ctx.manager_name(Some(m)),
                value: t.value,
                won_count: t.won_count,
                revenue: t.revenue,
                average_check: ratio(t.revenue, t.won_count as i64),
                gap_to_next_place: None,
                reached_at: t.reached_at,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.value
            .cmp(&a.value)
            .then_with(|| match (a.reached_at, b.reached_at) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            })
            .then_with(|| a.manager.cmp(&b.manager))
    });
    let mut above: Option<i64> = None;
    for (i, row) in rows.iter_mut().enumerate() {
        row.place = i as u32 + 1;
        row.gap_to_next_place = above.map(|v| v.saturating_sub(row.value));
        above = Some(row.value);
    }
    (rows, estimated)
}

/// The report's registration (see [`super::registry`]).
pub struct LeaderboardReport;

impl super::ReportKind for LeaderboardReport {
    type Output = Leaderboard;
    const DEF: super::registry::Definition = super::registry::Definition {
        id: "leaderboard",
        title_key: "report.leaderboard",
        params: &[
            super::registry::Param::Manager,
            super::registry::Param::Metric,
            super::registry::Param::Period,
            super::registry::Param::Compare,
        ],
        reads: super::registry::Definition::READS_DEALS
            .with(crate::model::Tables::ACTIVITIES)
            .with(crate::model::Tables::PLANS),
    };
    fn run(ctx: &Ctx, params: &ReportParams) -> Leaderboard {
        leaderboard(ctx, params)
    }
    fn tables(output: &Leaderboard, lang: crate::i18n::Language, currency: &str) -> Vec<super::tabular::Table> {
        super::tabular::leaderboard(output, lang, currency)
    }
    fn as_of(output: &Leaderboard) -> Instant {
        output.as_of
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FieldValue, ResponsibleChange};
    use crate::reports::testkit::*;
    use crate::reports::{Report, ReportId};

    fn board(k: &Kit, as_of: &str, metric: Metric) -> Leaderboard {
        match k.report_with(
            ReportId::Leaderboard,
            as_of,
            ReportParams {
                metric: Some(metric),
                ..Default::default()
            },
        ) {
            Report::Leaderboard(l) => l,
            _ => unreachable!(),
        }
    }

    #[test]
    fn ranks_by_margin_with_default_rate_and_gaps() {
        let mut k = Kit::new();
        k.ws.field_defs.upsert(crate::model::FieldDef {
            id: 900,
            entity: crate::model::EntityKind::Deal,
            name: "Маржа".into(),
            code: None,
            field_type: crate::model::FieldType::Money,
            options: vec![],
        });
        k.config.fields.margin = "маржа".into();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        let vera = k.manager("Вера");
        // Anna: one big deal with a low mapped margin.
        let d = k.won_deal(anna, 1_000_000, "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z");
        let mut deal = k.deal_mut(d);
        deal.fields.push((900, FieldValue::Money(crate::money::Money::from_major(50_000))));
        k.ws.deals.upsert(deal);
        // Boris: two deals without a margin: 30% default of 300,000 = 90,000.
        k.won_deal(boris, 100_000, "2026-11-02T10:00:00Z", "2026-11-11T10:00:00Z");
        k.won_deal(boris, 200_000, "2026-11-02T10:00:00Z", "2026-11-12T10:00:00Z");
        let l = board(&k, "2026-11-26T12:00:00Z", Metric::Margin);
        assert!(l.default_margin_used);
        let order: Vec<_> = l.rows.iter().map(|r| (r.manager_id, r.value)).collect();
        assert_eq!(order, vec![(boris, 9_000_000), (anna, 5_000_000), (vera, 0)]);
        assert_eq!(l.rows[0].average_check, Some(15_000_000));
        assert_eq!(l.rows[0].gap_to_next_place, None);
        assert_eq!(l.rows[1].gap_to_next_place, Some(4_000_000));
        assert_eq!(l.rows[2].average_check, None, "no won deals: no average, no division by zero");
        // By revenue Anna leads.
        let l = board(&k, "2026-11-26T12:00:00Z", Metric::Revenue);
        assert_eq!(l.rows[0].manager_id, anna);
    }

    #[test]
    fn a_margin_field_the_crm_lacks_is_said_on_the_board() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        k.won_deal(anna, 100_000, "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z");
        k.config.fields.margin = "Маржинальность".into();
        let l = board(&k, "2026-11-26T12:00:00Z", Metric::Margin);
        assert!(l.default_margin_used);
        let problem = l.margin_field_problem.clone().expect("the unknown field is named");
        assert!(problem.contains("«Маржинальность»"), "{problem}");
        let tables = crate::reports::tabular::tables(&Report::Leaderboard(l), crate::i18n::Language::Ru, "RUB");
        assert!(tables[0].notes.iter().any(|n| n == &problem), "{:?}", tables[0].notes);
        // Ranked by revenue, the margin field does not matter.
        assert_eq!(board(&k, "2026-11-26T12:00:00Z", Metric::Revenue).margin_field_problem, None);
    }

    #[test]
    fn a_win_stays_with_who_won_it_when_the_deal_is_reassigned_later() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        let d = k.won_deal(anna, 300_000, "2026-10-02T10:00:00Z", "2026-10-20T10:00:00Z");
        // In November the head of sales hands Anna's old client to Boris.
        let mut deal = k.deal_mut(d);
        deal.responsible_id = Some(boris);
        deal.responsible_changes.push(ResponsibleChange {
            at: at("2026-11-05T10:00:00Z"),
            from: Some(anna),
            to: Some(boris),
        });
        k.ws.deals.upsert(deal);
        let l = board(&k, "2026-11-03T12:00:00Z", Metric::Revenue);
        assert_eq!(l.last_month_winner.as_ref().map(|w| w.manager_id), Some(anna));
        let l = board(&k, "2026-11-26T12:00:00Z", Metric::Revenue);
        assert_eq!(
            l.last_month_winner.as_ref().map(|w| w.manager_id),
            Some(anna),
            "October stays Anna's"
        );
        let october = k.plan_fact("2026-10-30T12:00:00Z", Metric::Revenue);
        let row = |m| october.periods[2].rows.iter().find(|r| r.manager_id == Some(m)).unwrap().fact;
        assert_eq!((row(anna), row(boris)), (30_000_000, 0));
    }

    #[test]
    fn any_period_ranks_with_the_one_before_it() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        k.won_deal(anna, 100_000, "2026-07-02T10:00:00Z", "2026-07-10T10:00:00Z");
        k.won_deal(boris, 300_000, "2026-10-02T10:00:00Z", "2026-10-20T10:00:00Z");
        k.won_deal(anna, 250_000, "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z");
        let ranked = |period: &str| match k.report_with(
            ReportId::Leaderboard,
            "2026-11-26T12:00:00Z",
            ReportParams {
                metric: Some(Metric::Revenue),
                period: Some(period.into()),
                ..Default::default()
            },
        ) {
            Report::Leaderboard(l) => l,
            _ => unreachable!(),
        };
        let last = ranked("last_month");
        assert_eq!(
            (last.period_label.as_str(), last.leader().map(|r| r.manager_id)),
            ("октябрь 2026", Some(boris))
        );
        let q = ranked("this_quarter");
        assert_eq!(q.period_label, "IV квартал 2026");
        assert_eq!(
            q.rows.iter().map(|r| (r.manager_id, r.value)).collect::<Vec<_>>(),
            vec![(boris, 30_000_000), (anna, 25_000_000)]
        );
        assert_eq!(
            (q.last_month_label.as_str(), q.last_month_winner.as_ref().map(|w| w.manager_id)),
            ("III квартал 2026", Some(anna))
        );
        // Without a period: this month, as the floor sees it.
        let m = board(&k, "2026-11-26T12:00:00Z", Metric::Revenue);
        assert_eq!(
            (m.period_label.as_str(), m.last_month_label.as_str()),
            ("ноябрь 2026", "октябрь 2026")
        );
    }

    #[test]
    fn tie_goes_to_who_got_there_first() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        k.won_deal(anna, 100_000, "2026-11-02T10:00:00Z", "2026-11-20T10:00:00Z");
        k.won_deal(boris, 100_000, "2026-11-02T10:00:00Z", "2026-11-19T10:00:00Z");
        let l = board(&k, "2026-11-26T12:00:00Z", Metric::Revenue);
        assert_eq!((l.rows[0].manager_id, l.rows[1].manager_id), (boris, anna));
        assert_eq!(l.rows[1].gap_to_next_place, Some(0));
    }

    #[test]
    fn last_months_winner_is_decided_at_its_end() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        k.won_deal(anna, 500_000, "2026-10-02T10:00:00Z", "2026-10-20T10:00:00Z");
        // Won at 21:30 UTC on 31 Oct = 00:30 on 1 Nov in Moscow: November, not October.
        k.won_deal(boris, 900_000, "2026-10-02T10:00:00Z", "2026-10-31T21:30:00Z");
        let l = board(&k, "2026-11-03T12:00:00Z", Metric::Revenue);
        assert_eq!(l.last_month.key(), "2026-10");
        assert_eq!(l.last_month_winner.as_ref().map(|w| w.manager_id), Some(anna));
        assert_eq!(l.rows[0].manager_id, boris);
        // A month with no sales has no winner.
        let l = board(&k, "2026-10-03T12:00:00Z", Metric::Revenue);
        assert_eq!(l.last_month_winner, None);
    }

    #[test]
    fn nobody_leads_with_nothing_on_the_first_of_the_month() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        k.won_deal(anna, 500_000, "2026-11-02T10:00:00Z", "2026-11-20T10:00:00Z");
        // 1 December, 09:00 Moscow: nobody has sold anything yet this month.
        let l = board(&k, "2026-12-01T06:00:00Z", Metric::Revenue);
        assert_eq!(l.rows.len(), 2, "everyone is listed");
        assert!(l.rows.iter().all(|r| r.value == 0));
        assert_eq!(l.leader(), None, "no leader with 0 ₽ and 0 deals");
        assert_eq!(l.podium().count(), 0);
        assert_eq!(l.last_month_winner.as_ref().map(|w| w.manager_id), Some(anna));
        // A won deal of 0 ₽ is no result in revenue either.
        k.won_deal(boris, 0, "2026-11-25T10:00:00Z", "2026-12-01T07:00:00Z");
        let l = board(&k, "2026-12-01T09:00:00Z", Metric::Revenue);
        assert_eq!(l.leader(), None);
        // The first real sale makes a leader, and only its maker stands on the podium.
        k.won_deal(anna, 10_000, "2026-11-25T10:00:00Z", "2026-12-01T08:00:00Z");
        let l = board(&k, "2026-12-01T09:00:00Z", Metric::Revenue);
        assert_eq!(l.leader().map(|r| r.manager_id), Some(anna));
        assert_eq!(l.podium().map(|r| r.manager_id).collect::<Vec<_>>(), vec![anna]);
    }

    #[test]
    fn the_month_turns_at_midnight_in_the_business_zone() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        let boris = k.manager("Борис");
        let vera = k.manager("Вера");
        k.won_deal(anna, 300_000, "2026-11-02T10:00:00Z", "2026-11-20T10:00:00Z");
        k.won_deal(boris, 200_000, "2026-11-02T10:00:00Z", "2026-11-30T20:00:00Z");
        // 1 December 00:30 in Moscow, still 30 November 21:30 in UTC: December has begun, with no sales.
        let l = board(&k, "2026-11-30T21:30:00Z", Metric::Revenue);
        assert_eq!((l.month.key().as_str(), l.period_label.as_str()), ("2026-12", "декабрь 2026"));
        assert_eq!(l.leader(), None, "nobody leads December with nothing");
        assert_eq!(l.podium().count(), 0);
        assert_eq!(l.rows.len(), 3, "everyone is listed, at zero");
        assert!(l.rows.iter().all(|r| r.value == 0 && r.won_count == 0 && r.average_check.is_none()));
        // November's best from November's full figures, Boris's late sale included.
        assert_eq!(l.last_month_label, "ноябрь 2026");
        let w = l.last_month_winner.as_ref().expect("November had sales");
        assert_eq!((w.manager_id, w.value), (anna, 30_000_000));
        // A minute before local midnight it is still November, led by Anna; Vera, with no sales, last.
        let l = board(&k, "2026-11-30T20:59:00Z", Metric::Revenue);
        assert_eq!(l.month.key(), "2026-11");
        assert_eq!(l.leader().map(|r| r.manager_id), Some(anna));
        let order: Vec<_> = l.rows.iter().map(|r| (r.manager_id, r.value)).collect();
        assert_eq!(order, vec![(anna, 30_000_000), (boris, 20_000_000), (vera, 0)]);
        assert_eq!(l.podium().map(|r| r.manager_id).collect::<Vec<_>>(), vec![anna, boris]);

        // The reverse, west of Greenwich: 31 October 21:00 in New York is already 1 November in UTC.
        let mut k = Kit::new();
        k.config.business.time_zone = "America/New_York".into();
        let anna = k.manager("Anna");
        let boris = k.manager("Boris");
        k.won_deal(anna, 100_000, "2026-10-02T10:00:00Z", "2026-10-10T10:00:00Z");
        // 1 November 00:30 UTC = 31 October 20:30 in New York: an October sale.
        k.won_deal(boris, 150_000, "2026-10-02T10:00:00Z", "2026-11-01T00:30:00Z");
        let l = board(&k, "2026-11-01T01:00:00Z", Metric::Revenue);
        assert_eq!(l.month.key(), "2026-10", "still October in the business zone");
        assert_eq!(l.leader().map(|r| r.manager_id), Some(boris));
        assert_eq!(l.last_month.key(), "2026-09");
        assert_eq!(l.last_month_winner, None, "September had no sales");
        // The next morning in New York: November, nobody has sold yet; October's best is Boris.
        let l = board(&k, "2026-11-01T13:00:00Z", Metric::Revenue);
        assert_eq!(l.month.key(), "2026-11");
        assert_eq!(l.leader(), None);
        assert_eq!(
            l.last_month_winner.as_ref().map(|w| (w.manager_id, w.value)),
            Some((boris, 15_000_000))
        );
    }

    #[test]
    fn the_margin_basis_is_said() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        k.won_deal(anna, 100_000, "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z");
        // No margin field set up: the default rate, said as such.
        let l = board(&k, "2026-11-26T12:00:00Z", Metric::Margin);
        assert_eq!(
            l.margin_basis.as_deref(),
            Some("Маржа: 30\u{a0}% от выручки по умолчанию (поле маржи в настройках не задано или не найдено)")
        );
        assert_eq!(l.rows[0].value, 3_000_000);
        // A field the CRM has: named as the CRM names it, with the rate where it is empty.
        k.ws.field_defs.upsert(crate::model::FieldDef {
            id: 900,
            entity: crate::model::EntityKind::Deal,
            name: "Маржа, ₽".into(),
            code: None,
            field_type: crate::model::FieldType::Money,
            options: vec![],
        });
        k.config.fields.margin = "маржа, ₽".into();
        k.config.reports.default_margin_percent = 25;
        let l = board(&k, "2026-11-26T12:00:00Z", Metric::Margin);
        let basis = l.margin_basis.clone().unwrap();
        assert_eq!(basis, "Маржа: поле «Маржа, ₽»; где оно пусто — 25\u{a0}% от выручки (по умолчанию)");
        let tables = crate::reports::tabular::tables(&Report::Leaderboard(l), crate::i18n::Language::Ru, "RUB");
        assert!(tables[0].notes.contains(&basis), "{:?}", tables[0].notes);
        // Ranked by revenue there is no margin to explain.
        assert_eq!(board(&k, "2026-11-26T12:00:00Z", Metric::Revenue).margin_basis, None);
    }

    #[test]
    fn a_whole_month_asked_as_dates_is_named_as_the_month() {
        let mut k = Kit::new();
        let anna = k.manager("Анна");
        k.won_deal(anna, 100_000, "2026-09-02T10:00:00Z", "2026-09-10T10:00:00Z");
        let ranked = |period: &str| match k.report_with(
            ReportId::Leaderboard,
            "2026-11-26T12:00:00Z",
            ReportParams {
                period: Some(period.into()),
                ..Default::default()
            },
        ) {
            Report::Leaderboard(l) => l,
            _ => unreachable!(),
        };
        let l = ranked("2026-09-01..2026-09-30");
        assert_eq!(
            (l.period_label.as_str(), l.last_month_label.as_str()),
            ("сентябрь 2026", "август 2026")
        );
        assert_eq!(l.leader().map(|r| r.manager_id), Some(anna));
        let tables = crate::reports::tabular::tables(&Report::Leaderboard(l), crate::i18n::Language::Ru, "RUB");
        assert_eq!(tables[0].title, "Лучший сотрудник месяца · сентябрь 2026");
        // Not a whole month: the dates.
        assert_eq!(ranked("2026-09-02..2026-09-30").period_label, "02.09.2026–30.09.2026");
        assert_eq!(ranked("2026-09-01..2026-10-31").period_label, "01.09.2026–31.10.2026");
    }
}
