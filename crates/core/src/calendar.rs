//! The business calendar: which local day, week, month or quarter an instant
//! belongs to in the business's time zone, and which days are working days.
//! Every report asks this module and nothing else about dates.

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// A moment in time. Stored and compared in UTC; shown in the business zone.
pub type Instant = DateTime<Utc>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    Day,
    /// ISO week, Monday to Sunday.
    Week,
    Month,
    Quarter,
    /// The last N days up to and including a day.
    LastDays(u32),
}

/// A half-open range of local dates `[start, end)` in the business zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Period {
    pub kind: PeriodKind,
    pub start: NaiveDate,
    /// The first day after the period.
    pub end: NaiveDate,
}

impl Period {
    /// The day, week, month or quarter holding `date`; for `LastDays(n)`, the n days ending with `date`.
    pub fn containing(kind: PeriodKind, date: NaiveDate) -> Period {
        let (start, end) = match kind {
            PeriodKind::Day => (date, date + Days::new(1)),
            PeriodKind::Week => {
                let start = date - Days::new(date.weekday().num_days_from_monday() as u64);
                (start, start + Days::new(7))
            }
            PeriodKind::Month => {
                let start = date.with_day(1).expect("day 1 exists");
                (start, start + Months::new(1))
            }
            PeriodKind::Quarter => {
                let first_month = (date.month0() / 3) * 3 + 1;
                let start = NaiveDate::from_ymd_opt(date.year(), first_month, 1).expect("quarter start exists");
                (start, start + Months::new(3))
            }
            PeriodKind::LastDays(n) => {
                let end = date + Days::new(1);
                (end - Days::new(n.max(1) as u64), end)
            }
        };
        Period { kind, start, end }
    }

    /// The period of the same kind right before this one.
    pub fn previous(&self) -> Period {
        Period::containing(self.kind, self.start - Days::new(1))
    }

    pub fn next(&self) -> Period {
        match self.kind {
            PeriodKind::LastDays(n) => Period::containing(self.kind, self.end - Days::new(1) + Days::new(n as u64)),
            kind => Period::containing(kind, self.end),
        }
    }

    pub fn contains_date(&self, date: NaiveDate) -> bool {
        self.start <= date && date < self.end
    }

    /// The last day in the period.
    pub fn last_day(&self) -> NaiveDate {
        self.end - Days::new(1)
    }

    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let end = self.end;
        self.start.iter_days().take_while(move |d| *d < end)
    }

    pub fn len_days(&self) -> i64 {
        (self.end - self.start).num_days()
    }

    /// The overlap of two periods, if any. Keeps `self`'s kind.
    pub fn intersect(&self, other: &Period) -> Option<Period> {
        let start = self.start.max(other.start);
        let end = self.end.min(other.end);
        (start < end).then_some(Period {
            kind: self.kind,
            start,
            end,
        })
    }

    /// A stable key: `2026-11-26`, `2026-W48`, `2026-11`, `2026-Q4`, `2026-11-26-90d`.
    pub fn key(&self) -> String {
        match self.kind {
            PeriodKind::Day => self.start.format("%Y-%m-%d").to_string(),
            PeriodKind::Week => {
                let w = self.start.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
            PeriodKind::Month => self.start.format("%Y-%m").to_string(),
            PeriodKind::Quarter => format!("{}-Q{}", self.start.year(), self.start.month0() / 3 + 1),
            PeriodKind::LastDays(n) => format!("{}-{}d", self.last_day().format("%Y-%m-%d"), n),
        }
    }

    /// Parses a key made by [`Period::key`] (not the `LastDays` form).
    pub fn parse_key(key: &str) -> Option<Period> {
        let key = key.trim();
        if let Some((year, week)) = key.split_once("-W") {
            let date = NaiveDate::from_isoywd_opt(year.parse().ok()?, week.parse().ok()?, Weekday::Mon)?;
            return Some(Period::containing(PeriodKind::Week, date));
        }
        if let Some((year, q)) = key.split_once("-Q") {
            let q: u32 = q.parse().ok()?;
            if !(1..=4).contains(&q) {
                return None;
            }
            let date = NaiveDate::from_ymd_opt(year.parse().ok()?, (q - 1) * 3 + 1, 1)?;
            return Some(Period::containing(PeriodKind::Quarter, date));
        }
        if let Ok(date) = NaiveDate::parse_from_str(key, "%Y-%m-%d") {
            return Some(Period::containing(PeriodKind::Day, date));
        }
        let date = NaiveDate::parse_from_str(&format!("{key}-01"), "%Y-%m-%d").ok()?;
        Some(Period::containing(PeriodKind::Month, date))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// Holidays known in advance for a country, used when the config names a preset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum HolidayPreset {
    /// The Russian production calendar (non-working weekdays and working Saturdays).
    #[default]
    Ru,
    None,
}

impl HolidayPreset {
    /// (non-working weekdays, working weekend days), from the government decrees.
    pub fn days(self) -> (Vec<NaiveDate>, Vec<NaiveDate>) {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("preset dates are valid");
        match self {
            HolidayPreset::None => (Vec::new(), Vec::new()),
            HolidayPreset::Ru => (
                [
                    // 2025: decree of 4 October 2024 No. 1335.
                    "2025-01-01",
                    "2025-01-02",
                    "2025-01-03",
                    "2025-01-06",
                    "2025-01-07",
                    "2025-01-08",
                    "2025-05-01",
                    "2025-05-02",
                    "2025-05-08",
                    "2025-05-09",
                    "2025-06-12",
                    "2025-06-13",
                    "2025-11-03",
                    "2025-11-04",
                    "2025-12-31",
                    // 2026: decree of 24 September 2025 No. 1466.
                    "2026-01-01",
                    "2026-01-02",
                    "2026-01-05",
                    "2026-01-06",
                    "2026-01-07",
                    "2026-01-08",
                    "2026-01-09",
                    "2026-02-23",
                    "2026-03-09",
                    "2026-05-01",
                    "2026-05-11",
                    "2026-06-12",
                    "2026-11-04",
                    "2026-12-31",
                ]
                .iter()
                .map(|s| d(s))
                .collect(),
                vec![d("2025-11-01")],
            ),
        }
    }
}

/// The business's zone and working days. Cheap to clone; built once from config.
#[derive(Clone, Debug)]
pub struct BusinessCalendar {
    tz: Tz,
    holidays: BTreeSet<NaiveDate>,
    working_weekends: BTreeSet<NaiveDate>,
}

impl BusinessCalendar {
    pub fn new(tz: Tz, holidays: impl IntoIterator<Item = NaiveDate>, working_weekends: impl IntoIterator<Item = NaiveDate>) -> Self {
        BusinessCalendar {
            tz,
            holidays: holidays.into_iter().collect(),
            working_weekends: working_weekends.into_iter().collect(),
        }
    }

    /// Monday to Friday, no holidays, in `tz`.
    pub fn plain(tz: Tz) -> Self {
        Self::new(tz, [], [])
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The local date of an instant in the business zone.
    pub fn local_date(&self, at: Instant) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
    }

    pub fn local_time(&self, at: Instant) -> DateTime<Tz> {
        at.with_timezone(&self.tz)
    }

    /// The first instant of a local date: local midnight, or where a DST switch
    /// skips midnight (America/Santiago, Asia/Beirut), the first instant that exists.
    pub fn start_of_day(&self, date: NaiveDate) -> Instant {
        let mut local = date.and_time(NaiveTime::MIN);
        // A gap is at most a few hours; walk forward by minutes until the time exists.
        for _ in 0..(24 * 60) {
            match self.tz.from_local_datetime(&local) {
                LocalResult::Single(t) => return t.with_timezone(&Utc),
                LocalResult::Ambiguous(earliest, _) => return earliest.with_timezone(&Utc),
                LocalResult::None => local += chrono::Duration::minutes(1),
            }
        }
        unreachable!("no zone skips a whole day at midnight without the date existing")
    }

    /// The instants `[start, end)` a period covers.
    pub fn bounds(&self, period: &Period) -> (Instant, Instant) {
        (self.start_of_day(period.start), self.start_of_day(period.end))
    }

    pub fn contains(&self, period: &Period, at: Instant) -> bool {
        period.contains_date(self.local_date(at))
    }

    /// The period of `kind` the instant falls in.
    pub fn period_of(&self, kind: PeriodKind, at: Instant) -> Period {
        Period::containing(kind, self.local_date(at))
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        if self.working_weekends.contains(&date) {
            return true;
        }
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        !weekend && !self.holidays.contains(&date)
    }

    pub fn working_days(&self, period: &Period) -> u32 {
        period.days().filter(|d| self.is_working_day(*d)).count() as u32
    }

    /// Working days of `period` strictly before `date` plus, if `date` is a
    /// working day, the part of it already gone (for run-rate projections).
    pub fn working_days_elapsed(&self, period: &Period, at: Instant) -> f64 {
        let today = self.local_date(at);
        if today < period.start {
            return 0.0;
        }
        if today >= period.end {
            return self.working_days(period) as f64;
        }
        let before = Period {
            kind: period.kind,
            start: period.start,
            end: today,
        };
        let mut elapsed = self.working_days(&before) as f64;
        if self.is_working_day(today) {
            let (start, end) = (self.start_of_day(today), self.start_of_day(today + Days::new(1)));
            let day_len = (end - start).num_seconds().max(1) as f64;
            elapsed += ((at - start).num_seconds() as f64 / day_len).clamp(0.0, 1.0);
        }
        elapsed
    }

    /// The share of a target set for `whole` that falls on `part`, split by
    /// working days. Where `whole` has no working day at all it is split by
    /// calendar days, so a target is never lost or divided by zero.
    /// Integer arithmetic: the parts of a whole add up to it exactly when
    /// computed with [`BusinessCalendar::split`].
    pub fn prorate(&self, target: i64, whole: &Period, part: &Period) -> i64 {
        let Some(overlap) = part.intersect(whole) else { return 0 };
        let (num, den) = self.share(whole, &overlap);
        (target as i128 * num as i128 / den as i128) as i64
    }

    /// Splits `target` over the consecutive `parts` of `whole` by working days,
    /// assigning rounding remainders so that the parts sum to `target` exactly.
    pub fn split(&self, target: i64, whole: &Period, parts: &[Period]) -> Vec<i64> {
        let mut cumulative_num = 0i64;
        let mut assigned = 0i64;
        parts
            .iter()
            .map(|part| {
                let Some(overlap) = part.intersect(whole) else { return 0 };
                let (num, den) = self.share(whole, &overlap);
                cumulative_num += num;
                let upto = (target as i128 * cumulative_num as i128 / den as i128) as i64;
                let value = upto - assigned;
                assigned = upto;
                value
            })
            .collect()
    }

    fn share(&self, whole: &Period, overlap: &Period) -> (i64, i64) {
        let total = self.working_days(whole) as i64;
        if total > 0 {
            (self.working_days(overlap) as i64, total)
        } else {
            (overlap.len_days(), whole.len_days().max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn utc(s: &str) -> Instant {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn moscow() -> BusinessCalendar {
        let (h, w) = HolidayPreset::Ru.days();
        BusinessCalendar::new(chrono_tz::Europe::Moscow, h, w)
    }

    #[test]
    fn local_midnight_is_not_utc_midnight() {
        let cal = moscow();
        // 21:30 UTC on the 30th is already 00:30 on 1 December in Moscow (UTC+3).
        let at = utc("2026-11-30T21:30:00Z");
        assert_eq!(cal.local_date(at), date("2026-12-01"));
        assert_eq!(cal.period_of(PeriodKind::Month, at).key(), "2026-12");
        assert_eq!(cal.period_of(PeriodKind::Month, utc("2026-11-30T20:59:59Z")).key(), "2026-11");
        assert_eq!(cal.start_of_day(date("2026-12-01")), utc("2026-11-30T21:00:00Z"));
    }

    #[test]
    fn weeks_run_monday_to_sunday_across_months_and_years() {
        let w = Period::containing(PeriodKind::Week, date("2026-01-01"));
        assert_eq!((w.start, w.end), (date("2025-12-29"), date("2026-01-05")));
        assert_eq!(w.key(), "2026-W01");
        let sunday = Period::containing(PeriodKind::Week, date("2026-11-29"));
        assert_eq!(sunday.start, date("2026-11-23"));
        assert_eq!(Period::parse_key("2026-W01"), Some(w));
        // 2020 had 53 ISO weeks.
        assert_eq!(Period::containing(PeriodKind::Week, date("2021-01-03")).key(), "2020-W53");
    }

    #[test]
    fn february_29_and_quarters() {
        let feb = Period::containing(PeriodKind::Month, date("2024-02-29"));
        assert_eq!(feb.len_days(), 29);
        assert_eq!(Period::containing(PeriodKind::Month, date("2026-02-10")).len_days(), 28);
        assert_eq!(Period::containing(PeriodKind::Day, date("2024-02-29")).end, date("2024-03-01"));
        let q = Period::containing(PeriodKind::Quarter, date("2026-11-26"));
        assert_eq!(
            (q.start, q.end, q.key()),
            (date("2026-10-01"), date("2027-01-01"), "2026-Q4".to_string())
        );
        assert_eq!(Period::parse_key("2026-Q4"), Some(q));
        assert_eq!(Period::parse_key("2026-13"), None);
        assert_eq!(Period::parse_key("2026-02-30"), None);
    }

    #[test]
    fn last_days_include_the_day() {
        let p = Period::containing(PeriodKind::LastDays(90), date("2026-11-26"));
        assert_eq!(p.len_days(), 90);
        assert_eq!(p.last_day(), date("2026-11-26"));
        assert_eq!(p.start, date("2026-08-29"));
    }

    #[test]
    fn berlin_days_on_dst_switches_are_23_and_25_hours() {
        let cal = BusinessCalendar::plain(chrono_tz::Europe::Berlin);
        let spring = Period::containing(PeriodKind::Day, date("2026-03-29"));
        let (s, e) = cal.bounds(&spring);
        assert_eq!((e - s).num_hours(), 23);
        let autumn = Period::containing(PeriodKind::Day, date("2026-10-25"));
        let (s, e) = cal.bounds(&autumn);
        assert_eq!((e - s).num_hours(), 25);
        // 00:30 UTC on the autumn day is 02:30 CEST, the first of the two 02:30s.
        assert_eq!(cal.local_date(utc("2026-10-25T00:30:00Z")), date("2026-10-25"));
        assert_eq!(cal.local_date(utc("2026-10-24T21:59:59Z")), date("2026-10-24"));
    }

    #[test]
    fn new_york_week_across_the_spring_switch() {
        let cal = BusinessCalendar::plain(chrono_tz::America::New_York);
        let week = Period::containing(PeriodKind::Week, date("2026-03-08"));
        let (s, e) = cal.bounds(&week);
        assert_eq!(s, utc("2026-03-02T05:00:00Z"));
        assert_eq!(e, utc("2026-03-09T04:00:00Z"));
        assert_eq!((e - s).num_hours(), 7 * 24 - 1);
        // Sunday 23:59 local (EDT, UTC-4) is still in that week.
        assert!(cal.contains(&week, utc("2026-03-09T03:59:00Z")));
        assert!(!cal.contains(&week, utc("2026-03-09T04:00:00Z")));
    }

    #[test]
    fn midnight_that_does_not_exist_starts_at_the_first_real_instant() {
        // Chile springs forward at 24:00 local: 2026-09-06 00:00 does not exist in Santiago.
        let tz = chrono_tz::America::Santiago;
        let cal = BusinessCalendar::plain(tz);
        let day = date("2026-09-06");
        let start = cal.start_of_day(day);
        assert_eq!(cal.local_date(start), day);
        assert_eq!(cal.local_date(start - chrono::Duration::seconds(1)), date("2026-09-05"));
    }

    #[test]
    fn russian_production_calendar() {
        let cal = moscow();
        assert!(!cal.is_working_day(date("2026-01-09")));
        assert!(!cal.is_working_day(date("2026-11-04")));
        assert!(cal.is_working_day(date("2026-11-05")));
        assert!(cal.is_working_day(date("2025-11-01")), "a working Saturday");
        let nov = Period::containing(PeriodKind::Month, date("2026-11-01"));
        assert_eq!(cal.working_days(&nov), 20);
        let jan = Period::containing(PeriodKind::Month, date("2026-01-15"));
        assert_eq!(cal.working_days(&jan), 15);
    }

    #[test]
    fn month_plan_split_by_working_days_sums_exactly() {
        let cal = moscow();
        let nov = Period::containing(PeriodKind::Month, date("2026-11-01"));
        let days: Vec<Period> = nov.days().map(|d| Period::containing(PeriodKind::Day, d)).collect();
        let parts = cal.split(100_000_001, &nov, &days);
        assert_eq!(parts.iter().sum::<i64>(), 100_000_001);
        // Weekends and the 4 November holiday get nothing.
        assert_eq!(parts[0], 0); // Sunday 1 Nov
        assert_eq!(parts[3], 0); // Wednesday 4 Nov, holiday
        assert!(parts[1] > 0);
        // A week that straddles the month end gets only its November working days.
        let week = Period::containing(PeriodKind::Week, date("2026-11-30"));
        assert_eq!(cal.prorate(2_000, &nov, &week), 100); // 1 of 20 working days
    }

    #[test]
    fn a_month_without_working_days_splits_by_calendar_days() {
        let all_holidays: Vec<NaiveDate> = Period::containing(PeriodKind::Month, date("2026-02-01")).days().collect();
        let cal = BusinessCalendar::new(chrono_tz::UTC, all_holidays, []);
        let feb = Period::containing(PeriodKind::Month, date("2026-02-01"));
        let day = Period::containing(PeriodKind::Day, date("2026-02-10"));
        assert_eq!(cal.working_days(&feb), 0);
        assert_eq!(cal.prorate(2_800, &feb, &day), 100);
    }

    #[test]
    fn run_rate_elapsed_counts_part_of_today() {
        let cal = BusinessCalendar::plain(chrono_tz::UTC);
        let week = Period::containing(PeriodKind::Week, date("2026-11-23"));
        let at = chrono::Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        assert_eq!(cal.working_days_elapsed(&week, at), 2.5);
        let later = chrono::Utc.with_ymd_and_hms(2026, 12, 25, 12, 0, 0).unwrap();
        assert_eq!(cal.working_days_elapsed(&week, later), 5.0);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        const ZONES: [Tz; 6] = [
            chrono_tz::Europe::Moscow,
            chrono_tz::Europe::Berlin,
            chrono_tz::America::New_York,
            chrono_tz::America::Santiago,
            chrono_tz::Australia::Lord_Howe,
            chrono_tz::Asia::Kathmandu,
        ];

        proptest! {
            #[test]
            fn every_instant_is_in_exactly_one_period(secs in 946_684_800i64..2_524_608_000i64, zone in 0usize..ZONES.len()) {
                let cal = BusinessCalendar::plain(ZONES[zone]);
                let at = DateTime::from_timestamp(secs, 0).unwrap();
                prop_assert_eq!(cal.local_date(at), at.with_timezone(&ZONES[zone]).date_naive());
                for kind in [PeriodKind::Day, PeriodKind::Week, PeriodKind::Month, PeriodKind::Quarter] {
                    let p = cal.period_of(kind, at);
                    let (start, end) = cal.bounds(&p);
                    prop_assert!(start <= at && at < end, "{kind:?} {p} {start} {at} {end}");
                    let (prev_start, prev_end) = cal.bounds(&p.previous());
                    prop_assert!(prev_end == start && !(prev_start <= at && at < prev_end));
                    let (next_start, _) = cal.bounds(&p.next());
                    prop_assert_eq!(next_start, end);
                }
                let week = cal.period_of(PeriodKind::Week, at);
                prop_assert_eq!(week.start.weekday(), Weekday::Mon);
                prop_assert_eq!(week.start.iso_week(), week.last_day().iso_week());
            }

            #[test]
            fn split_parts_always_sum_to_the_target(target in -1_000_000_000i64..1_000_000_000i64, day in 0u32..365) {
                let (h, w) = HolidayPreset::Ru.days();
                let cal = BusinessCalendar::new(chrono_tz::Europe::Moscow, h, w);
                let date = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Days::new(day as u64);
                let month = Period::containing(PeriodKind::Month, date);
                let weeks: Vec<Period> = {
                    let mut v = vec![Period::containing(PeriodKind::Week, month.start)];
                    while v.last().unwrap().end < month.end { let n = v.last().unwrap().next(); v.push(n); }
                    v
                };
                prop_assert_eq!(cal.split(target, &month, &weeks).iter().sum::<i64>(), target);
            }
        }
    }
}
