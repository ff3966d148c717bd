//! A floor board's period beside the period it is compared with (`--compare
//! previous|year_ago`, the query layer's [`Compare`]): per manager, per team and
//! in total, the fact then, the change in units (money or count) and in %.
//! The compared period is the whole period the query layer shifts to (last
//! month for this month, the same quarter a year before), counted as of the
//! report's moment, exactly as plan-fact and the leaderboard count their facts.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::tabular::Cell;
use super::{Ctx, percent};
use crate::calendar::Period;
use crate::i18n::{Language, text};
use crate::model::{Id, Metric};
use crate::query::{Compare, Span};

/// The comparison of one period.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Comparison {
    pub compare: Compare,
    /// The compared period.
    pub period: Period,
    /// It as a Russian screen writes it: "октябрь 2026", "IV квартал 2025".
    pub label: String,
    /// Per manager, in the order of the report's rows.
    pub rows: Vec<ComparedRow>,
    /// Per team, in the order of the report's team rows.
    pub teams: Vec<ComparedRow>,
    pub total: ComparedRow,
}

/// A manager's (team's, the total's) fact now and in the compared period.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ComparedRow {
    /// The manager's (or the team's) id; `None` for the total.
    pub id: Option<Id>,
    pub name: String,
    pub fact: i64,
    /// The fact in the compared period.
    pub compared: i64,
    /// `fact − compared`.
    pub change: i64,
    /// The change in % of the compared fact; `None` when that was zero (nothing to divide by).
    pub change_percent: Option<f64>,
}

impl ComparedRow {
    fn new(id: Option<Id>, name: String, fact: i64, compared: i64) -> ComparedRow {
        ComparedRow {
            id,
            name,
            fact,
            compared,
            change: fact - compared,
            change_percent: percent(fact - compared, compared.abs()),
        }
    }

    /// The three cells a table adds when comparing: the compared fact, the change, the change in %.
    pub fn cells(&self, metric: Metric) -> [Cell; 3] {
        let value = |v: i64| if metric.is_money() { Cell::Money(v) } else { Cell::Int(v) };
        [
            value(self.compared),
            value(self.change),
            self.change_percent.map_or(Cell::Empty, Cell::Percent),
        ]
    }
}

impl Comparison {
    /// The headers of [`ComparedRow::cells`]: "Факт · октябрь 2026", "Изменение", "Изменение, %".
    pub fn columns(&self, lang: Language) -> [String; 3] {
        [
            format!("{} · {}", text(lang, "col.fact"), self.label),
            text(lang, "explore.change").to_string(),
            text(lang, "explore.change_percent").to_string(),
        ]
    }

    /// The compared row of a manager (`Some(id)`) or of the total (`None`).
    pub fn row(&self, manager: Option<Id>) -> Option<&ComparedRow> {
        match manager {
            Some(id) => self.rows.iter().find(|r| r.id == Some(id)),
            None => Some(&self.total),
        }
    }

    pub fn team(&self, team: Id) -> Option<&ComparedRow> {
        self.teams.iter().find(|r| r.id == Some(team))
    }

    /// A team's compared row by its name, for tables whose team rows carry only names.
    pub fn team_named(&self, name: &str) -> Option<&ComparedRow> {
        self.teams.iter().find(|r| r.name == name)
    }
}

/// A report's row to compare: whose it is and its fact in the report's period.
pub struct Current<'a> {
    pub manager: Option<Id>,
    pub name: &'a str,
    pub fact: i64,
}

/// Compares `period`'s rows (managers, in the report's order; `teams` by team id)
/// with the period `compare` shifts it to. `total` is the report's total row (label
/// and fact); with `only` (one manager selected) the compared total is that
/// manager's alone, else everyone's, and deals with no responsible manager when
/// `unassigned` (plan-fact's total counts them, the leaderboard ranks only managers).
#[allow(clippy::too_many_arguments)]
pub fn compare(
    ctx: &Ctx,
    metric: Metric,
    period: &Period,
    compare: Compare,
    rows: &[Current],
    teams: &[(Id, &str, i64)],
    total: (&str, i64),
    only: Option<Id>,
    unassigned: bool,
) -> Comparison {
    let span = Span::from_period(period).compared(compare);
    let then_period = span.to_period();
    let then: HashMap<Option<Id>, i64> = super::plan_fact::facts_in(ctx, metric, &then_period);
    let then_of = |m: Option<Id>| then.get(&m).copied().unwrap_or(0);
    let rows: Vec<ComparedRow> = rows
        .iter()
        .map(|r| ComparedRow::new(r.manager, r.name.to_string(), r.fact, then_of(r.manager)))
        .collect();
    // A team's then is its managers' then, by the teams they are in now (as its fact now).
    let mut team_then: BTreeMap<Id, i64> = BTreeMap::new();
    for (m, v) in &then {
        if let Some(team) = m.and_then(|m| ctx.ws.users.get(m)).and_then(|u| u.team_id) {
            *team_then.entry(team).or_default() += v;
        }
    }
    let teams = teams
        .iter()
        .map(|(id, name, fact)| ComparedRow::new(Some(*id), name.to_string(), *fact, team_then.get(id).copied().unwrap_or(0)))
        .collect();
    let total_then = match only {
        Some(m) => then_of(Some(m)),
        None => then.iter().filter(|(m, _)| unassigned || m.is_some()).map(|(_, v)| v).sum(),
    };
    Comparison {
        compare,
        period: then_period,
        label: span.label(ctx.config.business.language),
        rows,
        teams,
        total: ComparedRow::new(None, total.0.to_string(), total.1, total_then),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::leaderboard::Leaderboard;
    use crate::reports::plan_fact::PlanFact;
    use crate::reports::tabular::Cell;
    use crate::reports::testkit::*;
    use crate::reports::{Report, ReportId, ReportParams};

    /// Анна and Борис in one team, Вера in another.
    fn floor() -> (Kit, [Id; 3]) {
        let mut k = Kit::new();
        let ids = [k.manager("Анна"), k.manager("Борис"), k.manager("Вера")];
        for (team, name) in [(1, "Опт"), (2, "Розница")] {
            k.ws.teams.upsert(crate::model::Team {
                id: team,
                name: name.into(),
            });
        }
        for (m, team) in ids.into_iter().zip([1, 1, 2]) {
            let mut u = k.ws.users.get(m).unwrap().clone();
            u.team_id = Some(team);
            k.ws.users.upsert(u);
        }
        (k, ids)
    }

    fn params(period: Option<&str>, compare: Compare, manager: Option<Id>) -> ReportParams {
        ReportParams {
            metric: Some(Metric::Revenue),
            period: period.map(String::from),
            compare: Some(compare),
            manager,
            ..Default::default()
        }
    }

    fn leaderboard(k: &Kit, as_of: &str, p: ReportParams) -> Leaderboard {
        match k.report_with(ReportId::Leaderboard, as_of, p) {
            Report::Leaderboard(l) => l,
            _ => unreachable!(),
        }
    }

    fn plan_fact(k: &Kit, as_of: &str, p: ReportParams) -> PlanFact {
        match k.report_with(ReportId::PlanFact, as_of, p) {
            Report::PlanFact(r) => r,
            _ => unreachable!(),
        }
    }

    fn row<'a>(c: &'a Comparison, name: &str) -> &'a ComparedRow {
        c.rows
            .iter()
            .chain(&c.teams)
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no row {name}"))
    }

    #[test]
    fn the_leaderboard_compares_each_manager_team_and_the_total() {
        let (mut k, [anna, boris, vera]) = floor();
        k.won_deal(anna, 100_000, "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z");
        k.won_deal(boris, 50_000, "2026-10-02T10:00:00Z", "2026-10-10T10:00:00Z");
        k.won_deal(vera, 30_000, "2026-10-02T10:00:00Z", "2026-10-12T10:00:00Z");
        k.won_deal(vera, 30_000, "2026-11-02T10:00:00Z", "2026-11-12T10:00:00Z");
        let l = leaderboard(&k, "2026-11-26T12:00:00Z", params(None, Compare::Previous, None));
        let c = l.comparison.as_ref().expect("comparing");
        assert_eq!((c.period.start, c.period.end), (date("2026-10-01"), date("2026-11-01")));
        assert_eq!(c.label, "октябрь 2026");
        // Nothing last month: the change is the fact, its % is none (no division by zero).
        let a = row(c, "Анна");
        assert_eq!((a.fact, a.compared, a.change, a.change_percent), (10_000_000, 0, 10_000_000, None));
        // Nothing this month: all of it lost.
        let b = row(c, "Борис");
        assert_eq!(
            (b.fact, b.compared, b.change, b.change_percent),
            (0, 5_000_000, -5_000_000, Some(-100.0))
        );
        let v = row(c, "Вера");
        assert_eq!((v.change, v.change_percent), (0, Some(0.0)));
        assert_eq!(
            (c.total.fact, c.total.compared, c.total.change, c.total.change_percent),
            (13_000_000, 8_000_000, 5_000_000, Some(62.5))
        );
        // Teams roll their managers up, now and then.
        assert_eq!(
            l.teams.iter().map(|t| (t.team.as_str(), t.managers, t.value)).collect::<Vec<_>>(),
            [("Опт", 2, 10_000_000), ("Розница", 1, 3_000_000)]
        );
        let opt = row(c, "Опт");
        assert_eq!((opt.fact, opt.compared, opt.change_percent), (10_000_000, 5_000_000, Some(100.0)));

        let tables = Report::Leaderboard(l.clone()).tables(crate::i18n::Language::Ru, "RUB");
        let main = &tables[0];
        assert_eq!(&main.columns[6..], ["Факт · октябрь 2026", "Изменение", "Изменение, %"]);
        let total = main.rows.last().unwrap();
        assert_eq!(total[1], Cell::Text("Весь отдел".into()));
        assert_eq!(&total[6..], [Cell::Money(8_000_000), Cell::Money(5_000_000), Cell::Percent(62.5)]);
        let anna_row = main.rows.iter().find(|r| r[1] == Cell::Text("Анна".into())).unwrap();
        assert_eq!(anna_row[8], Cell::Empty, "no % of nothing");
        let teams = tables.iter().find(|t| t.id == "leaderboard-teams").expect("a team table");
        assert_eq!(teams.rows[0][1], Cell::Text("Опт".into()));
        assert_eq!(
            &teams.rows[0][6..],
            [Cell::Money(5_000_000), Cell::Money(5_000_000), Cell::Percent(100.0)]
        );

        // One manager selected: the total is theirs, and no team rows.
        let one = leaderboard(&k, "2026-11-26T12:00:00Z", params(None, Compare::Previous, Some(boris)));
        let c = one.comparison.unwrap();
        assert_eq!((c.total.name.as_str(), c.total.fact, c.total.compared), ("Итого", 0, 5_000_000));
        assert!(one.teams.is_empty() && c.teams.is_empty());
        // Without --compare the report is as it was: no comparison in JSON, no extra columns.
        let plain = leaderboard(
            &k,
            "2026-11-26T12:00:00Z",
            ReportParams {
                metric: Some(Metric::Revenue),
                ..Default::default()
            },
        );
        assert!(plain.comparison.is_none());
        assert!(serde_json::to_value(&plain).unwrap().get("comparison").is_none());
        assert_eq!(
            Report::Leaderboard(plain).tables(crate::i18n::Language::Ru, "RUB")[0].columns.len(),
            6
        );
    }

    #[test]
    fn an_empty_comparison_period_compares_with_zero() {
        let (mut k, [anna, ..]) = floor();
        k.won_deal(anna, 100_000, "2026-11-02T10:00:00Z", "2026-11-10T10:00:00Z");
        // A year ago there was nothing at all.
        let l = leaderboard(&k, "2026-11-26T12:00:00Z", params(None, Compare::YearAgo, None));
        let c = l.comparison.unwrap();
        assert_eq!(c.label, "ноябрь 2025");
        assert!(
            c.rows
                .iter()
                .chain(&c.teams)
                .chain([&c.total])
                .all(|r| r.compared == 0 && r.change == r.fact)
        );
        assert!(c.rows.iter().chain([&c.total]).all(|r| r.change_percent.is_none()));
        // Nothing now and nothing then: a change of 0 and no %.
        let pf = plan_fact(&k, "2026-11-26T12:00:00Z", params(Some("2025-06"), Compare::Previous, None));
        let c = pf.periods[0].comparison.as_ref().unwrap();
        assert_eq!(c.label, "май 2025");
        assert_eq!(
            (c.total.fact, c.total.compared, c.total.change, c.total.change_percent),
            (0, 0, 0, None)
        );
        let tables = Report::PlanFact(pf.clone()).tables(crate::i18n::Language::Ru, "RUB");
        for t in &tables {
            assert!(t.rows.iter().all(|r| r.len() == t.columns.len()), "{}", t.id);
        }
    }

    #[test]
    fn a_period_across_the_year_end_compares_with_the_days_before() {
        let (mut k, [anna, boris, _]) = floor();
        k.won_deal(anna, 10_000, "2026-12-01T10:00:00Z", "2026-12-20T10:00:00Z"); // in the range
        k.won_deal(anna, 20_000, "2027-01-01T10:00:00Z", "2027-01-10T10:00:00Z"); // in the range, next year
        k.won_deal(boris, 40_000, "2026-11-01T10:00:00Z", "2026-11-20T10:00:00Z"); // in the 31 days before
        k.won_deal(boris, 99_000, "2026-11-01T10:00:00Z", "2026-11-10T10:00:00Z"); // before both
        let as_of = "2027-01-20T12:00:00Z";
        let pf = plan_fact(&k, as_of, params(Some("2026-12-15..2027-01-14"), Compare::Previous, None));
        assert_eq!(pf.periods.len(), 1);
        let c = pf.periods[0].comparison.as_ref().unwrap();
        assert_eq!((c.period.start, c.period.end), (date("2026-11-14"), date("2026-12-15")));
        assert_eq!(row(c, "Анна").fact, 3_000_000);
        assert_eq!((row(c, "Борис").fact, row(c, "Борис").compared), (0, 4_000_000));
        assert_eq!(
            (c.total.fact, c.total.compared, c.total.change_percent),
            (3_000_000, 4_000_000, Some(-25.0))
        );
        // This month in January compared with the previous one: December of the year before.
        let l = leaderboard(&k, as_of, params(Some("this_month"), Compare::Previous, None));
        let c = l.comparison.unwrap();
        assert_eq!(
            (c.label.as_str(), c.total.fact, c.total.compared),
            ("декабрь 2026", 2_000_000, 1_000_000)
        );
        // Last month a year ago: December 2025, empty.
        let l = leaderboard(&k, as_of, params(Some("last_month"), Compare::YearAgo, None));
        let c = l.comparison.unwrap();
        assert_eq!(
            (c.label.as_str(), c.total.fact, c.total.compared, c.total.change_percent),
            ("декабрь 2025", 1_000_000, 0, None)
        );
    }

    #[test]
    fn plan_fact_compares_today_this_week_and_this_month() {
        let (mut k, [anna, boris, _]) = floor();
        k.won_deal(anna, 10_000, "2026-11-01T10:00:00Z", "2026-11-26T10:00:00Z"); // today (Thursday)
        k.won_deal(anna, 20_000, "2026-11-01T10:00:00Z", "2026-11-25T10:00:00Z"); // yesterday
        k.won_deal(boris, 40_000, "2026-10-01T10:00:00Z", "2026-10-20T10:00:00Z"); // last month
        let pf = plan_fact(&k, "2026-11-26T12:00:00Z", params(None, Compare::Previous, None));
        let labels: Vec<&str> = pf.periods.iter().map(|p| p.comparison.as_ref().unwrap().label.as_str()).collect();
        assert_eq!(labels, ["25.11.2026", "неделя 16.11–22.11", "октябрь 2026"]);
        let [day, week, month] = [0, 1, 2].map(|i| pf.periods[i].comparison.clone().unwrap());
        assert_eq!(
            (day.total.fact, day.total.compared, day.total.change_percent),
            (1_000_000, 2_000_000, Some(-50.0))
        );
        assert_eq!((week.total.fact, week.total.compared), (3_000_000, 0));
        assert_eq!(
            (month.total.fact, month.total.compared, month.total.change),
            (3_000_000, 4_000_000, -1_000_000)
        );
        assert_eq!(row(&month, "Опт").compared, 4_000_000);
        let tables = Report::PlanFact(pf).tables(crate::i18n::Language::Ru, "RUB");
        let month_table = tables.iter().find(|t| t.id == "month").unwrap();
        assert_eq!(month_table.columns.len(), 9);
        assert_eq!(
            month_table.rows.last().unwrap()[6..],
            [Cell::Money(4_000_000), Cell::Money(-1_000_000), Cell::Percent(-25.0)]
        );
        let teams = tables.iter().find(|t| t.id == "month-teams").unwrap();
        assert!(teams.rows.iter().all(|r| r.len() == 9 && r[6] != Cell::Empty), "{teams:?}");
    }
}
