//! What can be counted: each measure defined once, with the fact it counts
//! and the instant that places it in a period.

use serde::Serialize;

/// A measure, defined once and evaluated the same way wherever it appears.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Amount of deals won in the period (by the instant they were won).
    Revenue,
    /// Margin of deals won in the period (the mapped field, else the default rate).
    Margin,
    WonDeals,
    /// Deals lost in the period (by the instant they moved into a lost stage).
    LostDeals,
    /// Deals created in the period.
    NewDeals,
    /// Won / (won + lost) among deals closed in the period, in percent.
    WinRate,
    /// Revenue per won deal.
    AverageCheck,
    /// Days from creation to the win, median over deals won in the period.
    CycleMedian,
    /// Days from creation to the win, mean over deals won in the period.
    CycleMean,
    /// Connected outgoing calls (what plan/fact's calls count).
    Calls,
    /// Calls, e-mails, chats and meetings, both ways (notes are not communication).
    Communications,
    /// Tasks completed in the period.
    TasksDone,
    /// Tasks due in the period and not completed by their due time.
    TasksOverdue,
}

/// The fact table a measure reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactKind {
    /// Won, lost and created deal events.
    Deals,
    Activities,
    Tasks,
}

/// How a measure's value reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Minor units of the workspace currency.
    Money,
    Count,
    Percent,
    Days,
}

impl Measure {
    pub const ALL: [Measure; 13] = [
        Measure::Revenue,
        Measure::Margin,
        Measure::WonDeals,
        Measure::LostDeals,
        Measure::NewDeals,
        Measure::WinRate,
        Measure::AverageCheck,
        Measure::CycleMedian,
        Measure::CycleMean,
        Measure::Calls,
        Measure::Communications,
        Measure::TasksDone,
        Measure::TasksOverdue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Measure::Revenue => "revenue",
            Measure::Margin => "margin",
            Measure::WonDeals => "won_deals",
            Measure::LostDeals => "lost_deals",
            Measure::NewDeals => "new_deals",
            Measure::WinRate => "win_rate",
            Measure::AverageCheck => "average_check",
            Measure::CycleMedian => "cycle_median",
            Measure::CycleMean => "cycle_mean",
            Measure::Calls => "calls",
            Measure::Communications => "communications",
            Measure::TasksDone => "tasks_done",
            Measure::TasksOverdue => "tasks_overdue",
        }
    }

    pub fn parse(s: &str) -> Option<Measure> {
        let s = s.trim().to_lowercase().replace('-', "_");
        Measure::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Every measure's name, for "expected one of" messages.
    pub fn names() -> String {
        Measure::ALL.map(Measure::as_str).join(", ")
    }

    pub fn fact(self) -> FactKind {
        match self {
            Measure::Calls | Measure::Communications => FactKind::Activities,
            Measure::TasksDone | Measure::TasksOverdue => FactKind::Tasks,
            _ => FactKind::Deals,
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Measure::Revenue | Measure::Margin | Measure::AverageCheck => Unit::Money,
            Measure::WinRate => Unit::Percent,
            Measure::CycleMedian | Measure::CycleMean => Unit::Days,
            _ => Unit::Count,
        }
    }

    /// The measure's name in [`crate::i18n::TEXTS`].
    pub fn title_key(self) -> String {
        format!("measure.{}", self.as_str())
    }
}
