//! What every part of the generator shares: the working-time grid around "now",
//! the year's months and demand curve, and who worked when (the newcomer's
//! start, the fired manager's last day and who took over their deals).

use chrono::{Datelike, Days, Months};
use tsifra_core::{BusinessCalendar, Id, Period, PeriodKind};

use crate::DemoOptions;
use crate::grid::{DAY, WorkGrid};
use crate::sample::DemoRng;
use crate::setup::{FIRED_DAYS, Habit, NEWCOMER_DAYS, Persona, PipeMeta, USER_BASE, persona_index, personas, pipelines};

/// Relative demand by calendar month: the January and May holidays dip, autumn and December peak.
const SEASON: [f64; 12] = [0.62, 0.9, 1.0, 0.98, 0.8, 0.95, 0.85, 0.88, 1.08, 1.15, 1.2, 1.3];
/// Months of history: twelve whole ones and the current one.
pub(crate) const MONTHS: usize = 13;
const NO_MONTH: u8 = u8::MAX;

pub(crate) struct Staff {
    pub id: Id,
    pub persona: &'static Persona,
    /// First working minute they worked.
    pub start_w: u32,
    /// First working minute they no longer worked.
    pub end_w: Option<u32>,
    /// Who took over their deals and clients when they left.
    pub heir: usize,
}

pub(crate) struct Ctx<'a> {
    pub seed: u64,
    pub deals: usize,
    /// Threads to spread record generation over (the output does not depend on it).
    pub threads: usize,
    pub cal: &'a BusinessCalendar,
    pub grid: WorkGrid,
    /// The thirteen months of the year shown, oldest first; the last one is in progress.
    pub months: Vec<Period>,
    pub week: Period,
    /// The first working minute of the current week, or `asof_w` if none has passed yet.
    pub week_w: u32,
    /// The first working minute of the year shown.
    pub window_w: u32,
    pub staff: Vec<Staff>,
    pub pipes: Vec<PipeMeta>,
    month_of_day: Vec<u8>,
    /// Cumulative demand weight per working day of the year shown, up to "now".
    demand_cum: Vec<f64>,
    demand_first_day: usize,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(opts: &DemoOptions, cal: &'a BusinessCalendar, threads: usize, managers: usize) -> Ctx<'a> {
        let today = cal.local_date(opts.as_of);
        let current = Period::containing(PeriodKind::Month, today);
        let first_month = current.start - Months::new(MONTHS as u32 - 1);
        let months: Vec<Period> = (0..MONTHS)
            .map(|k| Period::containing(PeriodKind::Month, first_month + Months::new(k as u32)))
            .collect();
        // Two years before the window for old clients, half a year after "now" for due dates.
        let grid = WorkGrid::new(cal, first_month - Days::new(730), today + Days::new(200), opts.as_of);
        let week = Period::containing(PeriodKind::Week, today);
        let week_w = grid.first_w_on_or_after(week.start).min(grid.asof_w);
        let window_w = grid.first_w_on_or_after(first_month);

        let steady = persona_index(Habit::Steady);
        let staff = personas(managers)
            .enumerate()
            .map(|(i, p)| Staff {
                id: USER_BASE + i as Id,
                persona: p,
                start_w: if p.habit == Habit::Newcomer {
                    grid.first_w_on_or_after(today - Days::new(NEWCOMER_DAYS)).min(grid.w_max)
                } else {
                    0
                },
                end_w: (p.habit == Habit::Fired).then(|| grid.first_w_on_or_after(today - Days::new(FIRED_DAYS)).min(grid.w_max)),
                heir: if p.habit == Habit::Fired { steady } else { i },
            })
            .collect();

        let mut month_of_day = vec![NO_MONTH; grid.len_days()];
        for (d, slot) in month_of_day.iter_mut().enumerate() {
            if let Some(k) = months.iter().position(|m| m.contains_date(grid.day(d))) {
                *slot = k as u8;
            }
        }

        // Deals start six weeks before the year shown, so its first month closes deals like any other.
        let demand_first_day = grid.day_index(grid.first_w_on_or_after(first_month - Days::new(45)));
        let last_day = grid.day_index(grid.w_max);
        let span = (last_day + 1).saturating_sub(demand_first_day).max(1) as f64;
        let mut total = 0.0;
        let demand_cum = (demand_first_day..=last_day)
            .map(|d| {
                let trend = 0.88 + 0.24 * (d - demand_first_day) as f64 / span;
                let mut w = SEASON[grid.day(d).month0() as usize] * trend;
                if d == last_day {
                    w *= (grid.w_max % DAY + 1) as f64 / DAY as f64;
                }
                total += w;
                total
            })
            .collect();

        Ctx {
            seed: opts.seed,
            deals: opts.deals,
            threads,
            cal,
            grid,
            months,
            week,
            week_w,
            window_w,
            staff,
            pipes: pipelines().1,
            month_of_day,
            demand_cum,
            demand_first_day,
        }
    }

    /// A working minute of the year, drawn by demand (season and growth).
    pub(crate) fn demand_minute(&self, rng: &mut DemoRng) -> u32 {
        let total = *self.demand_cum.last().expect("at least one day");
        let target = crate::sample::unit(rng) * total;
        let k = self.demand_cum.partition_point(|c| *c <= target).min(self.demand_cum.len() - 1);
        let day = (self.demand_first_day + k) as u32;
        let last = if day * DAY + DAY > self.grid.w_max {
            self.grid.w_max % DAY
        } else {
            DAY - 1
        };
        day * DAY + crate::sample::between(rng, 0, last)
    }

    /// How much business month `k` (of the thirteen; -1 is the one before) can
    /// close: its season, its working days and the year's growth. Deals close a few
    /// weeks after they open, so part of the previous month's demand lands here.
    pub(crate) fn month_capacity(&self, k: usize) -> f64 {
        let own = |period: &Period, k: f64| {
            SEASON[period.start.month0() as usize] * self.cal.working_days(period) as f64 * (0.88 + 0.24 * k / 12.0)
        };
        let month = &self.months[k];
        0.55 * own(month, k as f64) + 0.45 * own(&month.previous(), k as f64 - 1.0)
    }

    /// Which of the thirteen months minute `w` falls in.
    pub(crate) fn month_of(&self, w: u32) -> Option<usize> {
        if w == self.grid.asof_w {
            return Some(MONTHS - 1);
        }
        match self.month_of_day.get(self.grid.day_index(w)) {
            Some(&k) if k != NO_MONTH => Some(k as usize),
            _ => None,
        }
    }

    pub(crate) fn active(&self, m: usize, w: u32) -> bool {
        let s = &self.staff[m];
        w >= s.start_w && s.end_w.is_none_or(|e| w < e)
    }

    /// Who acts for manager `m`'s deals and clients at minute `w` (the heir once `m` has left).
    pub(crate) fn author(&self, m: usize, w: u32) -> usize {
        match self.staff[m].end_w {
            Some(end) if w >= end => self.staff[m].heir,
            _ => m,
        }
    }

    /// The share of month `k`'s working days manager `m` worked.
    pub(crate) fn worked_share(&self, m: usize, k: usize) -> f64 {
        let month = &self.months[k];
        let total = self.cal.working_days(month).max(1);
        let s = &self.staff[m];
        let worked = month
            .days()
            .filter(|d| self.cal.is_working_day(*d))
            .filter(|d| {
                let w = self.grid.first_w_on_or_after(*d);
                w >= s.start_w && s.end_w.is_none_or(|e| w < e)
            })
            .count();
        worked as f64 / total as f64
    }
}
