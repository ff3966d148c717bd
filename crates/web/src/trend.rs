//! Whether the floor is getting cleaner: hygiene violations per day over the
//! last 30 days. Until the per-day history table lands, each past day is the
//! hygiene report computed as of that day's end (a pure function of as-of),
//! run once per workspace version on all cores and kept as counts only; today
//! is the report the page already shows.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Days, NaiveDate};
use tsifra_core::reports::hygiene::{self, Hygiene};
use tsifra_core::reports::{Ctx, ReportParams};
use tsifra_core::{Id, Instant};

use crate::cache::{CacheKey, Memo};
use crate::error::AppError;
use crate::state::AppState;

/// Days the trend spans, today included.
pub const TREND_DAYS: u64 = 30;

/// One day's counts, for the team and each manager.
#[derive(Clone, Debug, PartialEq)]
pub struct DayPoint {
    pub day: NaiveDate,
    pub team: Count,
    pub managers: HashMap<Option<Id>, Count>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Count {
    pub violations: usize,
    pub score: Option<f64>,
}

impl DayPoint {
    pub fn of(day: NaiveDate, report: &Hygiene) -> DayPoint {
        DayPoint {
            day,
            team: Count {
                violations: report.team.violations,
                score: report.team.score,
            },
            managers: report
                .managers
                .iter()
                .map(|m| {
                    (
                        m.manager_id,
                        Count {
                            violations: m.violations,
                            score: m.score,
                        },
                    )
                })
                .collect(),
        }
    }

    /// The team's count, or one manager's (zero if they had nothing to check that day).
    pub fn count(&self, manager: Option<Id>) -> Count {
        match manager {
            None => self.team,
            Some(m) => self.managers.get(&Some(m)).copied().unwrap_or(Count {
                violations: 0,
                score: None,
            }),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TrendKey {
    today: NaiveDate,
    version: u64,
}

impl CacheKey for TrendKey {
    fn supersedes(&self, older: &TrendKey) -> bool {
        self.version > older.version || self.today > older.today
    }
}

/// The past days of the trend (today excluded), per (today, version).
pub type TrendCache = Memo<TrendKey, Arc<Vec<DayPoint>>>;

/// The trend up to `today_report` (the whole team's hygiene as of the page's
/// instant): the 29 days before, each as of its end, then today.
pub async fn hygiene_trend(state: &AppState, as_of: Instant, today_report: &Hygiene) -> Result<Vec<DayPoint>, AppError> {
    let calendar = state.calendar();
    let today = calendar.local_date(as_of);
    let version = state.version().await;
    let past = state
        .trend_cache()
        .get_or_try_init(TrendKey { today, version }, || async {
            let ws = state.workspace().await;
            let state = state.clone();
            tokio::task::spawn_blocking(move || Arc::new(past_days(&state, &ws, today)))
                .await
                .map_err(|e| AppError::Internal(format!("hygiene trend task failed: {e}")))
        })
        .await?;
    let mut points = past.as_ref().clone();
    points.push(DayPoint::of(today, today_report));
    Ok(points)
}

/// The days before `today`, each as of the last instant of the day, spread over the cores.
fn past_days(state: &AppState, ws: &tsifra_core::Workspace, today: NaiveDate) -> Vec<DayPoint> {
    let calendar = state.calendar();
    let config = state.config();
    let facts = state.report_cache().facts(ws, config);
    let days: Vec<NaiveDate> = (1..TREND_DAYS)
        .rev()
        .filter_map(|back| today.checked_sub_days(Days::new(back)))
        .collect();
    let run = |day: NaiveDate| {
        let end = calendar.start_of_day(day + Days::new(1)) - chrono::Duration::nanoseconds(1);
        let ctx = Ctx {
            ws,
            facts: &facts,
            config,
            calendar,
            as_of: end,
        };
        DayPoint::of(day, &hygiene::hygiene(&ctx, &ReportParams::default()))
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(days.len().max(1));
    let mut points: Vec<DayPoint> = std::thread::scope(|scope| {
        let run = &run;
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let mine: Vec<NaiveDate> = days.iter().copied().skip(t).step_by(threads).collect();
                scope.spawn(move || mine.into_iter().map(run).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a hygiene run panicked"))
            .collect()
    });
    points.sort_by_key(|p| p.day);
    points
}
