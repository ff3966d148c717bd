//! The reports the sales floor acts on. Each is a pure function of the model,
//! the config and an "as of" instant; [`Facts`] is the index built once per
//! workspace version that lets them answer in milliseconds on a million deals.

pub mod call_priority;
pub mod compare;
pub mod facts;
pub mod funnel;
pub mod history;
pub mod hygiene;
pub mod leaderboard;
pub mod now;
pub mod plan_fact;
pub mod receivables;
pub mod registry;
pub mod tabular;

use crate::calendar::{BusinessCalendar, Instant};
use crate::config::Config;
use crate::model::{CrmLinks, Id, Workspace};

pub use facts::Facts;
pub use registry::{Report, ReportId, ReportKind, run};

/// Everything a report reads: the model, its index, the config and the moment.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub ws: &'a Workspace,
    pub facts: &'a Facts,
    pub config: &'a Config,
    pub calendar: &'a BusinessCalendar,
    pub as_of: Instant,
}

impl<'a> Ctx<'a> {
    pub fn manager_name(&self, id: Option<Id>) -> String {
        match id.and_then(|id| self.ws.users.get(id)) {
            Some(u) => u.name.clone(),
            None => match id {
                Some(id) => format!("#{id}"),
                None => crate::i18n::text(self.config.business.language, "report.no_manager").to_string(),
            },
        }
    }

    /// What the total row is called: the whole team's, or with one manager
    /// selected only that manager's, which is no "team total".
    pub fn total_label(&self, params: &ReportParams) -> String {
        let key = if params.manager.is_some() {
            "report.selected_total"
        } else {
            "report.team_total"
        };
        crate::i18n::text(self.config.business.language, key).to_string()
    }

    /// The unit money is written in, in JSON: the workspace currency's minor unit.
    pub fn money_unit(&self) -> &'static str {
        crate::money::minor_unit(&self.config.business.currency)
    }

    pub fn links(&self) -> CrmLinks {
        CrmLinks::new(self.ws.account.as_ref().map(|a| a.base_url.as_str()).unwrap_or(""))
    }
}

/// Options every report accepts; each report uses those its [`registry::Definition`] lists.
#[derive(Clone, Debug, Default)]
pub struct ReportParams {
    /// Only this manager's rows (by id).
    pub manager: Option<Id>,
    /// Sort order where a report offers one (receivables: "amount" or "days").
    pub sort: Option<String>,
    /// The metric, where the report counts one (plan-fact, leaderboard); else the config's.
    pub metric: Option<crate::model::Metric>,
    /// The period a report covers where it takes one (funnel), in the query
    /// layer's words (`last_quarter`, `2026-01-01..2026-03-31`), relative to the as-of day.
    pub period: Option<String>,
    /// What the period is compared with, where the report compares (plan-fact, leaderboard).
    pub compare: Option<crate::query::Compare>,
    /// Only this pipeline (funnel).
    pub pipeline: Option<Id>,
    /// Only this team's managers (funnel).
    pub team: Option<Id>,
    /// Only the violations of this rule (hygiene's list; counts stay whole).
    pub rule: Option<hygiene::Rule>,
    /// Only the violations open at least this many days (hygiene's list).
    pub min_days: Option<i64>,
    /// The companies that never bought rather than the clients (call priority).
    pub prospects: bool,
}

/// Why `--manager` / `?manager=` names nobody (or several).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ManagerError {
    /// No such manager; the active ones by name.
    NotFound {
        text: String,
        known: Vec<String>,
    },
    Ambiguous {
        text: String,
        n: usize,
    },
}

impl ManagerError {
    /// In the workspace's language, naming the managers there are.
    pub fn message(&self, lang: crate::i18n::Language) -> String {
        match self {
            ManagerError::NotFound { text, known } => {
                crate::i18n::text_with(lang, "manager.not_found", &[("value", text), ("names", &known.join(", "))])
            }
            ManagerError::Ambiguous { text, n } => {
                crate::i18n::text_with(lang, "manager.ambiguous", &[("value", text), ("n", &n.to_string())])
            }
        }
    }
}

impl std::fmt::Display for ManagerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(crate::i18n::Language::En))
    }
}

/// Finds a manager by id, exact name or e-mail (case-insensitive, ё = е), for `--manager` and `?manager=`.
pub fn resolve_manager(ws: &Workspace, text: &str) -> Result<Id, ManagerError> {
    let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase().replace('ё', "е");
    let wanted = norm(text);
    if let Ok(id) = wanted.parse::<Id>()
        && ws.users.contains(id)
    {
        return Ok(id);
    }
    let found: Vec<Id> = ws
        .users
        .iter()
        .filter(|u| norm(&u.name) == wanted || u.email.as_deref().is_some_and(|e| e.to_lowercase() == wanted))
        .map(|u| u.id)
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => {
            let mut names: Vec<String> = ws.users.iter().filter(|u| u.active).map(|u| u.name.clone()).collect();
            names.sort();
            Err(ManagerError::NotFound {
                text: text.to_string(),
                known: names,
            })
        }
        _ => Err(ManagerError::Ambiguous {
            text: text.to_string(),
            n: found.len(),
        }),
    }
}

/// Percentage `part / whole × 100` to one decimal (what every screen shows, so JSON
/// round-trips it exactly), or `None` where there is nothing to divide by.
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole != 0).then(|| round_to(part as f64 * 100.0 / whole as f64, 1))
}

/// `value` rounded to `decimals` places.
pub fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

/// A rounded ratio in the same unit as the inputs, `None` for zero division.
pub fn ratio(numerator: i64, denominator: i64) -> Option<i64> {
    if denominator == 0 {
        return None;
    }
    let (n, d) = (numerator as i128, denominator as i128);
    let q = if (n >= 0) == (d > 0) {
        (2 * n + d) / (2 * d)
    } else {
        (2 * n - d) / (2 * d)
    };
    Some(q as i64)
}

#[cfg(test)]
pub(crate) mod testkit;

#[cfg(test)]
pub(crate) mod live_equals_scan;

#[cfg(test)]
mod extreme_values;

#[cfg(test)]
mod updates_equal_builds;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_divisions_are_none() {
        assert_eq!(percent(5, 0), None);
        assert_eq!(percent(1, 4), Some(25.0));
        assert_eq!(ratio(10, 0), None);
        assert_eq!(ratio(10, 4), Some(3)); // 2.5 rounds half away from zero
        assert_eq!(ratio(-10, 4), Some(-3));
        assert_eq!(ratio(7, 7), Some(1));
    }

    #[test]
    fn managers_resolve_by_id_name_or_email() {
        let mut k = testkit::Kit::new();
        let anna = k.manager("Анна  Сёмина");
        assert_eq!(resolve_manager(&k.ws, "анна семина"), Ok(anna));
        assert_eq!(resolve_manager(&k.ws, &anna.to_string()), Ok(anna));
        let err = resolve_manager(&k.ws, "Борис").unwrap_err().message(crate::i18n::Language::Ru);
        assert!(err.starts_with("нет менеджера «Борис»; известные менеджеры:"), "{err}");
        assert!(err.contains("Анна  Сёмина"), "{err}");
    }
}
