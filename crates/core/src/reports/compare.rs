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
