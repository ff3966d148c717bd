//! Periods a question can be asked over: the named ones (today, this week, last
//! quarter, the last 90 days...) relative to the as-of day, or any date range,
//! all in the business's zone; and the period a comparison shifts to.

use chrono::{Datelike, Days, Months, NaiveDate};
use serde::Serialize;

use crate::calendar::{Period, PeriodKind};
use crate::i18n::{Language, format_date};

/// A run of whole local days `[start, end)` and how it was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Span {
    pub start: NaiveDate,
    /// The first day after the span.
    pub end: NaiveDate,
    /// The calendar unit it is, when it is one (a month, a week...): a
    /// comparison with the previous period then moves by that unit.
    pub unit: Option<SpanUnit>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpanUnit {
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

/// What the answer is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Compare {
    /// The period right before, of the same length (the previous month for a month).
    Previous,
    /// The same days a year earlier.
    YearAgo,
}

impl Compare {
    pub fn parse(s: &str) -> Option<Compare> {
        match s.trim().to_lowercase().replace('-', "_").as_str() {
            "previous" | "prev" | "previous_period" => Some(Compare::Previous),
            "year_ago" | "year" | "last_year" | "yoy" => Some(Compare::YearAgo),
            _ => None,
        }
    }
}

fn unit_start(unit: SpanUnit, day: NaiveDate) -> NaiveDate {
    match unit {
        SpanUnit::Day => day,
        SpanUnit::Week => Period::containing(PeriodKind::Week, day).start,
        SpanUnit::Month => Period::containing(PeriodKind::Month, day).start,
        SpanUnit::Quarter => Period::containing(PeriodKind::Quarter, day).start,
        SpanUnit::Year => NaiveDate::from_ymd_opt(day.year(), 1, 1).expect("1 January exists"),
    }
}

fn unit_end(unit: SpanUnit, start: NaiveDate) -> NaiveDate {
    match unit {
        SpanUnit::Day => start + Days::new(1),
        SpanUnit::Week => start + Days::new(7),
        SpanUnit::Month => start + Months::new(1),
        SpanUnit::Quarter => start + Months::new(3),
        SpanUnit::Year => start + Months::new(12),
    }
}

impl Span {
    /// The unit holding `day`: its day, week, month, quarter or year.
    pub fn of(unit: SpanUnit, day: NaiveDate) -> Span {
        let start = unit_start(unit, day);
        Span {
            start,
            end: unit_end(unit, start),
            unit: Some(unit),
        }
    }

    /// Parses a period relative to `today` (the as-of day): `today`, `yesterday`,
    /// `this_week`, `last_week`, `this_month`, `last_month`, `this_quarter`,
    /// `last_quarter`, `this_year`, `last_year`, `last_90_days`, a month `2026-11`,
    /// a quarter `2026-Q4`, a year `2026`, a day `2026-11-20`, or a range
    /// `2026-01-01..2026-03-31` (both days included).
    pub fn parse(text: &str, today: NaiveDate) -> Option<Span> {
        let t = text.trim().to_lowercase().replace('-', "_");
        let named = |unit, back: u32| {
            let mut s = Span::of(unit, today);
            for _ in 0..back {
                s = s.previous();
            }
            Some(s)
        };
        match t.as_str() {
            "today" => return named(SpanUnit::Day, 0),
            "yesterday" => return named(SpanUnit::Day, 1),
            "this_week" | "week" => return named(SpanUnit::Week, 0),
            "last_week" => return named(SpanUnit::Week, 1),
            "this_month" | "month" => return named(SpanUnit::Month, 0),
            "last_month" => return named(SpanUnit::Month, 1),
            "this_quarter" | "quarter" => return named(SpanUnit::Quarter, 0),
            "last_quarter" => return named(SpanUnit::Quarter, 1),
            "this_year" | "year" => return named(SpanUnit::Year, 0),
            "last_year" => return named(SpanUnit::Year, 1),
            _ => {}
        }
        if let Some(n) = t.strip_prefix("last_").and_then(|r| r.strip_suffix("_days")) {
            let n: u64 = n.parse().ok().filter(|n| (1..=3660).contains(n))?;
            let end = today + Days::new(1);
            return Some(Span {
                start: end - Days::new(n),
                end,
                unit: None,
            });
        }
        let raw = text.trim();
        if let Some((a, b)) = raw.split_once("..") {
            let start = parse_day(a)?;
            let last = parse_day(b)?;
            return (start <= last).then(|| Span {
                start,
                end: last + Days::new(1),
                unit: None,
            });
        }
        if let Ok(year) = raw.parse::<i32>()
            && (1900..=2200).contains(&year)
        {
            return Some(Span::of(SpanUnit::Year, NaiveDate::from_ymd_opt(year, 1, 1)?));
        }
        let period = Period::parse_key(raw)?;
        let unit = match period.kind {
            PeriodKind::Day => SpanUnit::Day,
            PeriodKind::Week => SpanUnit::Week,
            PeriodKind::Month => SpanUnit::Month,
            PeriodKind::Quarter => SpanUnit::Quarter,
            PeriodKind::LastDays(_) => return None,
        };
        Some(Span::of(unit, period.start))
    }

    /// The calendar's period for these days: the same unit where it is one, else a run of days.
    pub fn to_period(&self) -> Period {
        let kind = match self.unit {
            Some(SpanUnit::Day) => PeriodKind::Day,
            Some(SpanUnit::Week) => PeriodKind::Week,
            Some(SpanUnit::Month) => PeriodKind::Month,
            Some(SpanUnit::Quarter) => PeriodKind::Quarter,
            Some(SpanUnit::Year) | None => PeriodKind::LastDays(self.days() as u32),
        };
        Period {
            kind,
            start: self.start,
            end: self.end,
        }
    }

    /// The span of a calendar period (a run of days for `LastDays`).
    pub fn from_period(p: &Period) -> Span {
        let unit = match p.kind {
            PeriodKind::Day => Some(SpanUnit::Day),
            PeriodKind::Week => Some(SpanUnit::Week),
            PeriodKind::Month => Some(SpanUnit::Month),
            PeriodKind::Quarter => Some(SpanUnit::Quarter),
            PeriodKind::LastDays(_) => None,
        };
        let unit = unit.or_else(|| {
            (Span::of(SpanUnit::Year, p.start)
                == Span {
                    start: p.start,
                    end: p.end,
                    unit: Some(SpanUnit::Year),
                })
            .then_some(SpanUnit::Year)
        });
        Span {
            start: p.start,
            end: p.end,
            unit,
        }
    }

    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }

    pub fn last_day(&self) -> NaiveDate {
        self.end - Days::new(1)
    }

    /// The period right before: the previous unit; for a range of whole
    /// calendar months (01.09–30.09, 01.07–30.09) as many whole months before
    /// (August, not 02.08–31.08); else as many days just before.
    pub fn previous(&self) -> Span {
        match self.unit {
            Some(unit) => Span::of(unit, self.start - Days::new(1)),
            None => match self.whole_months() {
                Some(n) => Span {
                    start: self.start - Months::new(n),
                    end: self.start,
                    unit: None,
                },
                None => Span {
                    start: self.start - Days::new(self.days() as u64),
                    end: self.start,
                    unit: None,
                },
            },
        }
    }

    /// How many calendar months the span covers, when it is whole months.
    fn whole_months(&self) -> Option<u32> {
        if self.start.day() != 1 || self.end.day() != 1 || self.end <= self.start {
            return None;
        }
        let months = |d: NaiveDate| d.year() as i64 * 12 + d.month0() as i64;
        u32::try_from(months(self.end) - months(self.start)).ok().filter(|&n| n > 0)
    }

    /// The same days a year earlier (29 February falls back to the 28th).
    pub fn year_ago(&self) -> Span {
        let back = |d: NaiveDate| d.checked_sub_months(Months::new(12)).unwrap_or(d);
        match self.unit {
            Some(unit) => Span::of(unit, back(self.start)),
            None => Span {
                start: back(self.start),
                end: back(self.end),
                unit: None,
            },
        }
    }

    pub fn compared(&self, compare: Compare) -> Span {
        match compare {
            Compare::Previous => self.previous(),
            Compare::YearAgo => self.year_ago(),
        }
    }

    /// As the period would be written on a Russian screen: "ноябрь 2026",
    /// "неделя 30.11–06.12", "IV квартал 2026", "01.09.2026–30.11.2026".
    pub fn label(&self, lang: Language) -> String {
        // A calendar unit is labelled as the calendar labels its period: one wording everywhere.
        let kind = match self.unit {
            Some(SpanUnit::Day) => Some(PeriodKind::Day),
            Some(SpanUnit::Week) => Some(PeriodKind::Week),
            Some(SpanUnit::Month) => Some(PeriodKind::Month),
            Some(SpanUnit::Quarter) => Some(PeriodKind::Quarter),
            Some(SpanUnit::Year) | None => None,
        };
        match (kind, self.unit) {
            (Some(kind), _) => Period::containing(kind, self.start).label(lang),
            (None, Some(SpanUnit::Year)) => match lang {
                Language::Ru => format!("{} год", self.start.year()),
                Language::En => self.start.year().to_string(),
            },
            // 01.09.2026–30.09.2026 is September: named as the month.
            _ if self.whole_months() == Some(1) => month_label(lang, self.start),
            _ => format!("{}–{}", format_date(lang, self.start), format_date(lang, self.last_day())),
        }
    }
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d.%m.%Y"))
        .ok()
}

const MONTHS_RU: [&str; 12] = [
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
];

/// "ноябрь 2026" / "November 2026".
pub fn month_label(lang: Language, day: NaiveDate) -> String {
    match lang {
        Language::Ru => format!("{} {}", MONTHS_RU[day.month0() as usize], day.year()),
        Language::En => day.format("%B %Y").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn named_periods_around_a_day() {
        let today = d("2026-12-02");
        let s = |t: &str| Span::parse(t, today).unwrap();
        assert_eq!((s("this_week").start, s("this_week").end), (d("2026-11-30"), d("2026-12-07")));
        assert_eq!(s("last_month").start, d("2026-11-01"));
        assert_eq!((s("last_quarter").start, s("last_quarter").end), (d("2026-07-01"), d("2026-10-01")));
        assert_eq!((s("last_90_days").start, s("last_90_days").end), (d("2026-09-04"), d("2026-12-03")));
        assert_eq!(s("this_year").start, d("2026-01-01"));
        assert_eq!(s("2026-01-01..2026-03-31").end, d("2026-04-01"));
        assert_eq!(s("2026-Q4").start, d("2026-10-01"));
        assert_eq!(s("2025").end, d("2026-01-01"));
        assert_eq!(Span::parse("2026-03-31..2026-01-01", today), None);
        assert_eq!(Span::parse("soon", today), None);
    }

    #[test]
    fn comparisons_shift_by_the_calendar() {
        let today = d("2026-03-15");
        let march = Span::parse("this_month", today).unwrap();
        assert_eq!((march.previous().start, march.previous().end), (d("2026-02-01"), d("2026-03-01")));
        assert_eq!(march.year_ago().start, d("2025-03-01"));
        let range = Span::parse("2026-03-01..2026-03-10", today).unwrap();
        assert_eq!((range.previous().start, range.previous().end), (d("2026-02-19"), d("2026-03-01")));
        // Whole calendar months picked as dates compare with whole months, as a
        // head of sales expects: September with August, a quarter with the one before.
        let prev = |t: &str| {
            let p = Span::parse(t, today).unwrap().previous();
            (p.start, p.last_day())
        };
        assert_eq!(prev("2026-09-01..2026-09-30"), (d("2026-08-01"), d("2026-08-31")));
        assert_eq!(prev("2026-03-01..2026-03-31"), (d("2026-02-01"), d("2026-02-28")));
        assert_eq!(prev("2026-07-01..2026-09-30"), (d("2026-04-01"), d("2026-06-30")));
        assert_eq!(prev("2026-01-01..2026-02-28"), (d("2025-11-01"), d("2025-12-31")));
        // Not whole months: as many days just before.
        assert_eq!(prev("2026-09-15..2026-09-30"), (d("2026-08-30"), d("2026-09-14")));
        assert_eq!(prev("2026-09-01..2026-09-29"), (d("2026-08-03"), d("2026-08-31")));
        // 29 February 2028 a year back is the 28th.
        let leap = Span::parse("2028-02-29", today).unwrap();
        assert_eq!(leap.year_ago().start, d("2027-02-28"));
        // Across the year's end.
        let jan = Span::parse("2027-01", today).unwrap();
        assert_eq!(jan.previous().start, d("2026-12-01"));
    }

    #[test]
    fn periods_as_a_russian_screen_writes_them() {
        let today = d("2026-12-02");
        let l = |t: &str| Span::parse(t, today).unwrap().label(Language::Ru);
        assert_eq!(l("this_week"), "неделя 30.11–06.12");
        assert_eq!(l("last_month"), "ноябрь 2026");
        assert_eq!(l("this_quarter"), "IV квартал 2026");
        assert_eq!(l("2026-01-01..2026-03-31"), "01.01.2026–31.03.2026");
        // One whole month typed as dates is that month; a day short of it is dates.
        assert_eq!(l("2026-09-01..2026-09-30"), "сентябрь 2026");
        assert_eq!(l("2026-02-01..2026-02-28"), "февраль 2026");
        assert_eq!(l("2026-09-01..2026-09-29"), "01.09.2026–29.09.2026");
        assert_eq!(Span::parse("last_month", today).unwrap().label(Language::En), "November 2026");
    }
}
