//! Whether the floor is getting cleaner: hygiene violations per day over the
//! last [`TREND_DAYS`] days and today. Days with stored tallies (the hourly
//! job keeps them; the report carries them in `trend`) are taken as stored.
//! Days before the tallies began (a fresh install) are recounted: the hygiene
//! report as of that day's end, a pure function of as-of, run on all cores and
//! kept as counts only. A recount is an estimate from today's data anyway, so
//! it is made once a day, not again after every sync (30 runs on a million
//! deals take seconds); the page says how many days are recounted.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{Days, NaiveDate};
use tsifra_core::reports::hygiene::{self, Hygiene, TREND_DAYS};
use tsifra_core::reports::{Ctx, ReportParams};
use tsifra_core::{Id, Instant};

use crate::cache::{CacheKey, Memo};
use crate::error::AppError;
use crate::state::AppState;

/// One day of the trend, for the team or the manager a page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendPoint {
    pub day: NaiveDate,
    pub violations: u64,
    pub score: Option<f64>,
    /// Recounted from today's data, as no tally was stored that day.
    pub recounted: bool,
}

/// A recounted day: the team's and each manager's (violations, score).
#[derive(Clone, Debug, PartialEq)]
pub struct Recount {
    day: NaiveDate,
    team: (u64, Option<f64>),
    managers: HashMap<Option<Id>, (u64, Option<f64>)>,
}

impl Recount {
    fn of(day: NaiveDate, report: &Hygiene) -> Recount {
        Recount {
            day,
            team: (report.team.violations as u64, report.team.score),
            managers: report
                .managers
                .iter()
                .map(|m| (m.manager_id, (m.violations as u64, m.score)))
                .collect(),
        }
    }

    fn count(&self, manager: Option<Id>) -> (u64, Option<f64>) {
        match manager {
            None => self.team,
            Some(m) => self.managers.get(&Some(m)).copied().unwrap_or((0, None)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TrendKey {
    today: NaiveDate,
}

impl CacheKey for TrendKey {
    fn supersedes(&self, older: &TrendKey) -> bool {
        self.today > older.today
    }
}

/// Recounted days, per business day.
pub type TrendCache = Memo<TrendKey, Arc<Vec<Recount>>>;

/// The trend a page shows: `viewed` is the report on the page (one manager's when
/// `manager` is set), `team` the unfiltered one for the same instant.
pub async fn hygiene_trend(
    state: &AppState,
    as_of: Instant,
    team: &Hygiene,
    viewed: &Hygiene,
    manager: Option<Id>,
) -> Result<Vec<TrendPoint>, AppError> {
    let today = state.calendar().local_date(as_of);
    let past: Vec<NaiveDate> = (1..=TREND_DAYS as u64)
        .rev()
        .filter_map(|back| today.checked_sub_days(Days::new(back)))
        .collect();
    // A day the team has a tally for is a stored day, for every manager.
    let stored: BTreeSet<NaiveDate> = team.trend.iter().filter(|d| d.stored).map(|d| d.day).collect();
    let missing: Vec<NaiveDate> = past.iter().copied().filter(|d| !stored.contains(d)).collect();
    let recounts = if missing.is_empty() {
        Arc::new(Vec::new())
    } else {
        state
            .trend_cache()
            .get_or_try_init(TrendKey { today }, || async {
                let ws = state.workspace().await;
                let state = state.clone();
                tokio::task::spawn_blocking(move || Arc::new(recount(&state, &ws, &missing)))
                    .await
                    .map_err(|e| AppError::Internal(format!("hygiene trend task failed: {e}")))
            })
            .await?
    };
    let mut points: Vec<TrendPoint> = past
        .iter()
        .filter_map(|&day| {
            if stored.contains(&day) {
                let d = viewed.trend.iter().find(|d| d.stored && d.day == day);
                return Some(TrendPoint {
                    day,
                    violations: d.map_or(0, |d| d.violations),
                    score: d.and_then(|d| d.score),
                    recounted: false,
                });
            }
            recounts.iter().find(|r| r.day == day).map(|r| {
                let (violations, score) = r.count(manager);
                TrendPoint {
                    day,
                    violations,
                    score,
                    recounted: true,
                }
            })
        })
        .collect();
    points.push(TrendPoint {
        day: today,
        violations: viewed.team.violations as u64,
        score: viewed.team.score,
        recounted: false,
    });
    Ok(points)
}

/// The hygiene report as of the last instant of each day, spread over the cores.
fn recount(state: &AppState, ws: &tsifra_core::Workspace, days: &[NaiveDate]) -> Vec<Recount> {
    let calendar = &*state.calendar();
    let config = state.config();
    let facts = state.report_cache().facts(ws, config);
    let run = |day: NaiveDate| {
        let end = calendar.start_of_day(day + Days::new(1)) - chrono::Duration::nanoseconds(1);
        let ctx = Ctx {
            ws,
            facts: &facts,
            config,
            calendar,
            as_of: end,
        };
        Recount::of(day, &hygiene::hygiene(&ctx, &ReportParams::default()))
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(days.len().max(1));
    let mut out: Vec<Recount> = std::thread::scope(|scope| {
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
    out.sort_by_key(|r| r.day);
    out
}
