//! The business calendar: which local day, week, month or quarter an instant
//! belongs to in the business's time zone, and which days are working days.
//! Every report asks this module and nothing else about dates.

use std::collections::{BTreeMap, BTreeSet};
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

    /// The period as people say it, for every screen, file and message: "неделя
    /// 30.11–06.12", "ноябрь 2026", "IV квартал 2026", "30.11.2026",
    /// "01.09.2026–30.11.2026" ("week 30 Nov–6 Dec", "November 2026", "Q4 2026").
    /// [`Period::key`] is for machines (URLs, JSON ids, plan files).
    pub fn label(&self, lang: crate::i18n::Language) -> String {
        use crate::i18n::{Language, format_date, format_days};
        match (self.kind, lang) {
            (PeriodKind::Day, _) => format_date(lang, self.start),
            (PeriodKind::Week, Language::Ru) => format!("неделя {}", format_days(lang, self)),
            (PeriodKind::Week, Language::En) => {
                let (first, last) = (self.start, self.last_day());
                let first = match first.month() == last.month() {
                    true => first.format("%-d").to_string(),
                    false => first.format("%-d %b").to_string(),
                };
                format!("week {first}–{}", last.format("%-d %b"))
            }
            (PeriodKind::Month, _) => crate::query::span::month_label(lang, self.start),
            (PeriodKind::Quarter, Language::Ru) => {
                format!(
                    "{} квартал {}",
                    ["I", "II", "III", "IV"][self.start.month0() as usize / 3],
                    self.start.year()
                )
            }
            (PeriodKind::Quarter, Language::En) => format!("Q{} {}", self.start.month0() / 3 + 1, self.start.year()),
            (PeriodKind::LastDays(_), _) => format!("{}–{}", format_date(lang, self.start), format_date(lang, self.last_day())),
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

    /// The years [`HolidayPreset::days`] covers, each with its decree's number and date.
    pub fn decree_years(self) -> &'static [(i32, &'static str, &'static str)] {
        match self {
            HolidayPreset::None => &[],
            HolidayPreset::Ru => &[(2025, "1335", "2024-10-04"), (2026, "1466", "2025-09-24")],
        }
    }
}

/// Art. 112 of the Russian Labour Code: the non-working holidays fixed by law,
/// as (month, day). 1–6 and 8 January are the New Year holidays, 7 January Christmas.
const LABOUR_CODE_HOLIDAYS: [(u32, u32); 14] = [
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (1, 6),
    (1, 7),
    (1, 8),
    (2, 23),
    (3, 8),
    (5, 1),
    (5, 9),
    (6, 12),
    (11, 4),
];

fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

fn is_labour_code_holiday(date: NaiveDate) -> bool {
    LABOUR_CODE_HOLIDAYS.contains(&(date.month(), date.day()))
}

/// The holidays art. 112 fixes in `year`, on whatever day of the week they fall.
fn labour_code_holidays(year: i32) -> impl Iterator<Item = NaiveDate> {
    LABOUR_CODE_HOLIDAYS
        .iter()
        .filter_map(move |&(m, d)| NaiveDate::from_ymd_opt(year, m, d))
}

/// The weekdays a holiday falling on a weekend moves to in `year`, by art. 112
/// part 2: the next working day. The January holidays do not move that way
/// (the government spreads two of them over the year by decree, which only an
/// official calendar knows). At most six; no allocation, since
/// [`BusinessCalendar::is_working_day`] asks this for every weekday of a year without a decree.
fn labour_code_transfers(year: i32) -> impl Iterator<Item = NaiveDate> {
    let mut taken: [Option<NaiveDate>; 6] = [None; 6];
    let mut n = 0;
    for &(month, day) in LABOUR_CODE_HOLIDAYS.iter().filter(|(m, _)| *m != 1) {
        let Some(holiday) = NaiveDate::from_ymd_opt(year, month, day) else {
            continue;
        };
        if !is_weekend(holiday) {
            continue;
        }
        let mut to = holiday + Days::new(1);
        while is_weekend(to) || is_labour_code_holiday(to) || taken.contains(&Some(to)) {
            to = to + Days::new(1);
        }
        taken[n] = Some(to);
        n += 1;
    }
    taken.into_iter().flatten()
}

/// A day off by the Labour Code alone, for a year without a decree or an
/// imported calendar. Weekends are not counted here.
fn labour_code_day_off(date: NaiveDate) -> bool {
    is_labour_code_holiday(date) || (!is_weekend(date) && labour_code_transfers(date.year()).any(|to| to == date))
}

/// The weekdays off in `year` by the Labour Code alone: its holidays that
/// fall on weekdays and the days weekend holidays move to.
pub fn labour_code_days_off(year: i32) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = labour_code_holidays(year)
        .filter(|d| !is_weekend(*d))
        .chain(labour_code_transfers(year))
        .collect();
    days.sort();
    days
}

/// What an official production calendar says about one day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A day off: a holiday, or a weekend day off moved onto a weekday.
    Holiday,
    /// A Saturday or Sunday worked in exchange for a moved day off.
    Working,
    /// A pre-holiday day one hour shorter: still a whole working day for plans.
    Short,
}

impl DayKind {
    /// The word the store keeps and `tsifra calendar import` reads in English.
    pub fn key(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Working => "working",
            DayKind::Short => "short",
        }
    }

    pub fn parse_key(key: &str) -> Option<DayKind> {
        match key {
            "holiday" => Some(DayKind::Holiday),
            "working" => Some(DayKind::Working),
            "short" => Some(DayKind::Short),
            _ => None,
        }
    }
}

/// One special day of an imported calendar.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImportedDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// The weekend day a day off was moved from, when the file says.
    pub moved_from: Option<NaiveDate>,
}

/// A year's official production calendar loaded with `tsifra calendar import`.
/// It replaces the built-in decree or the Labour Code fallback for that year:
/// a day it does not list is a working day Monday to Friday and a day off at
/// the weekend, except the Labour Code's own holidays (1-8 January, 23
/// February...), which stay days off under the Russian preset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedYear {
    pub year: i32,
    /// The file it came from (its name), shown by `tsifra calendar list`.
    pub source: String,
    /// Sorted by date, one entry per date, all in `year`.
    pub days: Vec<ImportedDay>,
}

/// Where a year's working days come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum YearSource {
    /// A government decree built into Tsifra.
    Decree { number: &'static str, signed: &'static str },
    /// An official calendar imported from this file.
    Imported(String),
    /// No decree and no import: the Labour Code's holidays and weekend rule,
    /// without the year's transfers. Pages and reports warn about it.
    LabourCode,
    /// No holiday preset: Monday to Friday, every week.
    Weekdays,
}

/// The warning pages and reports show while `years` follow the Labour Code
/// fallback ([`BusinessCalendar::fallback_years_near`]); `None` when none do.
pub fn fallback_notice(lang: crate::i18n::Language, years: &[i32]) -> Option<String> {
    if years.is_empty() {
        return None;
    }
    let years = years.iter().map(i32::to_string).collect::<Vec<_>>().join(", ");
    Some(crate::i18n::text(lang, "calendar.fallback").replace("{years}", &years))
}

impl YearSource {
    /// Where the year's days come from, in words: for `tsifra calendar list`.
    pub fn describe(&self, lang: crate::i18n::Language) -> String {
        use crate::i18n::text;
        match self {
            YearSource::Decree { number, signed } => {
                let signed =
                    NaiveDate::parse_from_str(signed, "%Y-%m-%d").map_or(signed.to_string(), |d| crate::i18n::format_date(lang, d));
                text(lang, "calendar.source.decree")
                    .replace("{number}", number)
                    .replace("{signed}", &signed)
            }
            YearSource::Imported(file) => text(lang, "calendar.source.imported").replace("{file}", file),
            YearSource::LabourCode => text(lang, "calendar.source.labour_code").to_string(),
            YearSource::Weekdays => text(lang, "calendar.source.weekdays").to_string(),
        }
    }
}

/// The business's zone and working days. Cheap to clone; built once from config.
#[derive(Clone, Debug)]
pub struct BusinessCalendar {
    tz: Tz,
    holidays: BTreeSet<NaiveDate>,
    working_weekends: BTreeSet<NaiveDate>,
    /// Pre-holiday shortened days of imported calendars; working days, kept for showing.
    short_days: BTreeSet<NaiveDate>,
    /// Years whose days the sets above describe in full (a decree or an import).
    years: BTreeMap<i32, YearSource>,
    /// Every other year: the Labour Code (Russian preset) or plain weekdays.
    other_years: YearSource,
}

impl BusinessCalendar {
    /// A calendar of weekends plus the given days, in every year alike (no
    /// Labour Code fallback): for tests, the demo and other countries.
    pub fn new(tz: Tz, holidays: impl IntoIterator<Item = NaiveDate>, working_weekends: impl IntoIterator<Item = NaiveDate>) -> Self {
        BusinessCalendar {
            tz,
            holidays: holidays.into_iter().collect(),
            working_weekends: working_weekends.into_iter().collect(),
            short_days: BTreeSet::new(),
            years: BTreeMap::new(),
            other_years: YearSource::Weekdays,
        }
    }

    /// The calendar a config describes: the preset's decree years, replaced
    /// year by year by imported calendars; for the Russian preset, the Labour
    /// Code in every other year; then the config's own extra days off and
    /// working weekends on top of all that.
    pub fn build(
        tz: Tz,
        preset: HolidayPreset,
        imported: &[ImportedYear],
        extra_holidays: &[NaiveDate],
        extra_working: &[NaiveDate],
    ) -> Self {
        let mut years: BTreeMap<i32, YearSource> = preset
            .decree_years()
            .iter()
            .map(|&(y, number, signed)| (y, YearSource::Decree { number, signed }))
            .collect();
        for import in imported {
            years.insert(import.year, YearSource::Imported(import.source.clone()));
        }
        let from_preset = |date: &NaiveDate| matches!(years.get(&date.year()), Some(YearSource::Decree { .. }));
        let (preset_holidays, preset_working) = preset.days();
        let mut calendar = BusinessCalendar::new(
            tz,
            preset_holidays.into_iter().filter(from_preset),
            preset_working.into_iter().filter(from_preset),
        );
        if preset == HolidayPreset::Ru {
            // The law's own holidays are days off whatever a file lists, so a CSV
            // of just the year's transfers cannot turn 1-8 January into working
            // days. The Labour Code's weekend moves are not added: the decree
            // may place them elsewhere, and the file says where.
            for import in imported {
                let listed: BTreeSet<NaiveDate> = import.days.iter().map(|d| d.date).collect();
                calendar
                    .holidays
                    .extend(labour_code_holidays(import.year).filter(|d| !listed.contains(d)));
            }
        }
        for day in imported.iter().flat_map(|y| &y.days) {
            match day.kind {
                DayKind::Holiday => calendar.holidays.insert(day.date),
                DayKind::Working => calendar.working_weekends.insert(day.date),
                // A shortened Saturday is still worked: it counts like a working weekend.
                DayKind::Short if is_weekend(day.date) => {
                    calendar.short_days.insert(day.date);
                    calendar.working_weekends.insert(day.date)
                }
                DayKind::Short => calendar.short_days.insert(day.date),
            };
        }
        // The config's own days win over any calendar: a later extra day off
        // must not be undone by an import, nor an extra working day by a holiday.
        for date in extra_holidays {
            calendar.working_weekends.remove(date);
            calendar.holidays.insert(*date);
        }
        calendar.working_weekends.extend(extra_working.iter().copied());
        calendar.years = years;
        calendar.other_years = match preset {
            HolidayPreset::Ru => YearSource::LabourCode,
            HolidayPreset::None => YearSource::Weekdays,
        };
        calendar
    }

    /// Where the working days of `year` come from.
    pub fn year_source(&self, year: i32) -> &YearSource {
        self.years.get(&year).unwrap_or(&self.other_years)
    }

    /// Years whose working days follow the Labour Code alone, among those of
    /// `date` and of its week (a week at New Year counts days of both years):
    /// what pages and reports as of `date` warn about.
    pub fn fallback_years_near(&self, date: NaiveDate) -> Vec<i32> {
        let week = Period::containing(PeriodKind::Week, date);
        let mut years = vec![week.start.year(), date.year(), week.last_day().year()];
        years.dedup();
        years.retain(|y| *self.year_source(*y) == YearSource::LabourCode);
        years
    }

    /// A pre-holiday shortened day of an imported calendar (a working day).
    pub fn is_short_day(&self, date: NaiveDate) -> bool {
        self.short_days.contains(&date)
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
        if is_weekend(date) || self.holidays.contains(&date) {
            return false;
        }
        !(self.other_years == YearSource::LabourCode && !self.years.contains_key(&date.year()) && labour_code_day_off(date))
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
        crate::money::saturate(target as i128 * num as i128 / den as i128)
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
                let upto = crate::money::saturate(target as i128 * cumulative_num as i128 / den as i128);
                let value = upto.saturating_sub(assigned);
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
    fn periods_are_labelled_as_people_say_them() {
        use crate::i18n::Language::{En, Ru};
        let week = Period::containing(PeriodKind::Week, date("2026-12-02"));
        assert_eq!(week.key(), "2026-W49", "machines keep the ISO key");
        assert_eq!(week.label(Ru), "неделя 30.11–06.12");
        assert_eq!(week.label(En), "week 30 Nov–6 Dec");
        let inside = Period::containing(PeriodKind::Week, date("2026-12-09"));
        assert_eq!(inside.label(En), "week 7–13 Dec");
        // A week across the year's end.
        assert_eq!(
            Period::containing(PeriodKind::Week, date("2027-01-01")).label(Ru),
            "неделя 28.12–03.01"
        );
        let month = Period::containing(PeriodKind::Month, date("2026-11-30"));
        assert_eq!((month.label(Ru), month.label(En)), ("ноябрь 2026".into(), "November 2026".into()));
        let quarter = Period::containing(PeriodKind::Quarter, date("2026-09-30"));
        assert_eq!(
            (quarter.label(Ru), quarter.label(En)),
            ("III квартал 2026".into(), "Q3 2026".into())
        );
        assert_eq!(Period::containing(PeriodKind::Day, date("2026-11-30")).label(Ru), "30.11.2026");
        let last = Period::containing(PeriodKind::LastDays(90), date("2026-11-30"));
        assert_eq!(last.label(Ru), "02.09.2026–30.11.2026");
        for p in [week, month, quarter] {
            assert!(!p.label(Ru).contains("-W") && !p.label(Ru).contains("2026-"), "{}", p.label(Ru));
        }
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

    /// The config's default calendar: the Russian preset, nothing imported.
    fn russian(imported: &[ImportedYear]) -> BusinessCalendar {
        BusinessCalendar::build(chrono_tz::Europe::Moscow, HolidayPreset::Ru, imported, &[], &[])
    }

    fn month(s: &str) -> Period {
        Period::containing(PeriodKind::Month, date(s))
    }

    #[test]
    fn a_year_without_a_decree_keeps_the_labour_code_new_year_holidays() {
        let cal = russian(&[]);
        assert_eq!(*cal.year_source(2027), YearSource::LabourCode);
        // 1 January 2027 is a Friday; 4-8 January are Monday to Friday: six weekdays off.
        assert_eq!(cal.working_days(&month("2027-01-01")), 15);
        for day in ["2027-01-01", "2027-01-04", "2027-01-07", "2027-01-08"] {
            assert!(!cal.is_working_day(date(day)), "{day}");
        }
        assert!(cal.is_working_day(date("2027-01-11")));
        assert!(!cal.is_working_day(date("2027-02-23")) && !cal.is_working_day(date("2027-03-08")));
        assert!(!cal.is_working_day(date("2027-11-04")) && cal.is_working_day(date("2027-11-05")));
    }

    #[test]
    fn a_holiday_on_a_weekend_moves_to_the_next_working_day() {
        let cal = russian(&[]);
        // 12 June 2027 is a Saturday: Monday the 14th is off, Tuesday is not.
        assert!(!cal.is_working_day(date("2027-06-14")));
        assert!(cal.is_working_day(date("2027-06-15")));
        // 1 May (Saturday) and 9 May (Sunday) 2027: Monday 3 May and Monday 10 May.
        assert!(!cal.is_working_day(date("2027-05-03")) && !cal.is_working_day(date("2027-05-10")));
        assert!(cal.is_working_day(date("2027-05-04")) && cal.is_working_day(date("2027-05-11")));
        // 4 November on a Saturday (2028) and on a Sunday (2029).
        assert!(!cal.is_working_day(date("2028-11-06")) && cal.is_working_day(date("2028-11-07")));
        assert!(!cal.is_working_day(date("2029-11-05")) && cal.is_working_day(date("2029-11-06")));
        assert_eq!(
            labour_code_days_off(2027)
                .iter()
                .filter(|d| d.month() > 1)
                .map(|d| d.to_string())
                .collect::<Vec<_>>(),
            ["2027-02-23", "2027-03-08", "2027-05-03", "2027-05-10", "2027-06-14", "2027-11-04"]
        );
    }

    #[test]
    fn january_holidays_on_a_weekend_do_not_move() {
        let cal = russian(&[]);
        // 1 and 2 January 2028 are Saturday and Sunday; 3-7 January (Monday to
        // Friday) are off anyway, 8 January is a Saturday, and Monday the 10th works.
        assert!(cal.is_working_day(date("2028-01-10")));
        assert_eq!(cal.working_days(&month("2028-01-01")), 16);
        // 2 and 3 January 2027 (Saturday, Sunday): Monday 11 January still works.
        assert!(cal.is_working_day(date("2027-01-11")));
        assert!(labour_code_days_off(2028).iter().all(|d| !is_weekend(*d)));
    }

    #[test]
    fn decree_years_are_not_touched_by_the_fallback() {
        let cal = russian(&[]);
        assert_eq!(
            *cal.year_source(2026),
            YearSource::Decree {
                number: "1466",
                signed: "2025-09-24"
            }
        );
        assert_eq!(cal.working_days(&month("2026-01-01")), 15);
        assert_eq!(cal.working_days(&month("2026-11-01")), 20);
        assert!(cal.is_working_day(date("2025-11-01")), "the 2025 decree's working Saturday");
        // Without a preset nothing is a holiday in any year, and nothing warns.
        let plain = BusinessCalendar::build(chrono_tz::UTC, HolidayPreset::None, &[], &[], &[]);
        assert_eq!(plain.working_days(&month("2027-01-01")), 21);
        assert!(plain.fallback_years_near(date("2027-01-15")).is_empty());
    }

    #[test]
    fn fallback_years_are_named_until_a_calendar_is_imported() {
        use crate::i18n::Language;
        let cal = russian(&[]);
        assert_eq!(cal.fallback_years_near(date("2027-01-15")), [2027]);
        assert!(cal.fallback_years_near(date("2026-11-20")).is_empty());
        // The week of 28 December 2026 runs into 2027.
        assert_eq!(cal.fallback_years_near(date("2026-12-29")), [2027]);
        let ru = fallback_notice(Language::Ru, &[2027]).unwrap();
        assert!(ru.contains("2027") && ru.contains("tsifra calendar import"), "{ru}");
        let en = fallback_notice(Language::En, &[2027]).unwrap();
        assert!(en.contains("2027") && en.contains("not loaded"), "{en}");
        assert_eq!(fallback_notice(Language::En, &[]), None);

        let imported = ImportedYear {
            year: 2027,
            source: "calendar2027.xml".into(),
            days: vec![ImportedDay {
                date: date("2027-01-11"),
                kind: DayKind::Holiday,
                moved_from: Some(date("2027-01-02")),
            }],
        };
        let cal = russian(&[imported]);
        assert!(cal.fallback_years_near(date("2027-01-15")).is_empty());
        assert_eq!(*cal.year_source(2027), YearSource::Imported("calendar2027.xml".into()));
        // An imported year keeps the law's fixed holidays even where the file
        // leaves them out, but not the Labour Code's own guess at the transfers.
        assert!(!cal.is_working_day(date("2027-01-11")));
        assert!(!cal.is_working_day(date("2027-01-04")) && !cal.is_working_day(date("2027-06-12")));
        assert!(
            cal.is_working_day(date("2027-06-14")),
            "the fallback's move of 12 June is the file's to make"
        );
        assert_eq!(cal.working_days(&month("2027-01-01")), 14);
    }

    #[test]
    fn an_import_replaces_the_decree_and_the_config_has_the_last_word() {
        let import = ImportedYear {
            year: 2026,
            source: "2026.csv".into(),
            days: vec![
                ImportedDay {
                    date: date("2026-11-04"),
                    kind: DayKind::Holiday,
                    moved_from: None,
                },
                ImportedDay {
                    date: date("2026-11-07"),
                    kind: DayKind::Working,
                    moved_from: None,
                },
                ImportedDay {
                    date: date("2026-11-03"),
                    kind: DayKind::Short,
                    moved_from: None,
                },
                ImportedDay {
                    date: date("2026-11-14"),
                    kind: DayKind::Short,
                    moved_from: None,
                },
            ],
        };
        let cal = BusinessCalendar::build(
            chrono_tz::Europe::Moscow,
            HolidayPreset::Ru,
            std::slice::from_ref(&import),
            &[date("2026-11-05")],
            &[],
        );
        assert!(
            cal.is_working_day(date("2026-01-09")),
            "the decree's 9 January is gone with the import"
        );
        assert!(cal.is_working_day(date("2026-11-07")) && cal.is_working_day(date("2026-11-03")));
        assert!(cal.is_working_day(date("2026-11-14")), "a shortened Saturday is worked");
        assert!(cal.is_short_day(date("2026-11-03")));
        assert!(!cal.is_working_day(date("2026-11-05")), "the config's extra day off");
        // Without the Russian preset a file is all there is (another country's calendar).
        let other = BusinessCalendar::build(chrono_tz::Asia::Almaty, HolidayPreset::None, &[import], &[], &[]);
        assert!(other.is_working_day(date("2026-01-02")) && !other.is_working_day(date("2026-11-04")));
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
