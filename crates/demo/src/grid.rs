//! Working time as a number line: minute `w` of the department's working hours
//! (09:00–18:00 local on working days). The generator draws and orders events on
//! this line, so every generated instant falls in working hours and before "now".

use chrono::{Days, NaiveDate, NaiveTime, TimeDelta, TimeZone};
use tsifra_core::{BusinessCalendar, Instant};

/// Working minutes per day: 09:00 to 18:00.
pub(crate) const DAY: u32 = 540;

pub(crate) struct WorkGrid {
    days: Vec<NaiveDate>,
    /// 09:00 local of each working day.
    opens: Vec<Instant>,
    pub as_of: Instant,
    pub today: NaiveDate,
    /// The last minute whose instants (any second in it) are all at or before `as_of`.
    pub w_max: u32,
    /// One past `w_max`; stands for `as_of` itself, so even a Monday-morning
    /// "now" has a place for this week's events. Later minutes are in the future.
    pub asof_w: u32,
}

impl WorkGrid {
    /// Working days from `first` to `last`; `as_of` must fall after `first`'s first working day.
    pub(crate) fn new(cal: &BusinessCalendar, first: NaiveDate, last: NaiveDate, as_of: Instant) -> WorkGrid {
        let tz = cal.tz();
        let nine = NaiveTime::from_hms_opt(9, 0, 0).expect("09:00 exists");
        let mut days = Vec::with_capacity(((last - first).num_days().max(0) as usize) * 5 / 7 + 8);
        let mut opens = Vec::with_capacity(days.capacity());
        let mut day = first;
        while day <= last {
            if cal.is_working_day(day) {
                let open = match tz.from_local_datetime(&day.and_time(nine)) {
                    chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t.to_utc(),
                    // 09:00 skipped by a clock change: an hour later is a working time too.
                    chrono::LocalResult::None => cal.start_of_day(day) + TimeDelta::hours(10),
                };
                days.push(day);
                opens.push(open);
            }
            day = day + Days::new(1);
        }
        assert!(!days.is_empty() && opens[0] < as_of, "the grid must start before as_of");
        // The working day holding as_of (or the last one before it) and the minute in it.
        let mut d = opens.partition_point(|o| *o <= as_of) - 1;
        let secs = (as_of - opens[d]).num_seconds();
        let minute = if secs >= 59 {
            (((secs - 59) / 60) as u32).min(DAY - 1)
        } else {
            d = d.checked_sub(1).expect("the grid has a working day before as_of");
            DAY - 1
        };
        let w_max = d as u32 * DAY + minute;
        WorkGrid {
            days,
            opens,
            as_of,
            today: cal.local_date(as_of),
            w_max,
            asof_w: w_max + 1,
        }
    }

    /// The instant of minute `w`, `second` seconds in (0..60).
    pub(crate) fn instant(&self, w: u32, second: u32) -> Instant {
        if w == self.asof_w {
            return self.as_of;
        }
        let d = ((w / DAY) as usize).min(self.opens.len() - 1);
        self.opens[d] + TimeDelta::seconds(((w % DAY) * 60 + second.min(59)) as i64)
    }

    /// The local date of minute `w`.
    pub(crate) fn date(&self, w: u32) -> NaiveDate {
        if w == self.asof_w {
            return self.today;
        }
        self.days[((w / DAY) as usize).min(self.days.len() - 1)]
    }

    /// The first working minute on or after `date`.
    pub(crate) fn first_w_on_or_after(&self, date: NaiveDate) -> u32 {
        self.days.partition_point(|d| *d < date) as u32 * DAY
    }

    /// Index of the working day that minute `w` is in.
    pub(crate) fn day_index(&self, w: u32) -> usize {
        (w / DAY) as usize
    }

    pub(crate) fn day(&self, index: usize) -> NaiveDate {
        self.days[index]
    }

    pub(crate) fn len_days(&self) -> usize {
        self.days.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use tsifra_core::calendar::HolidayPreset;

    fn moscow() -> BusinessCalendar {
        let (h, w) = HolidayPreset::Ru.days();
        BusinessCalendar::new(chrono_tz::Europe::Moscow, h, w)
    }
    fn utc(s: &str) -> Instant {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn grid(at: &str) -> WorkGrid {
        let as_of = utc(at);
        WorkGrid::new(
            &moscow(),
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
            as_of,
        )
    }

    #[test]
    fn minutes_before_as_of_are_in_the_past_and_after_in_the_future() {
        for at in [
            "2026-11-26T11:30:00Z", // Thursday 14:30 Moscow
            "2026-11-23T05:00:00Z", // Monday 08:00, before work
            "2026-11-23T06:00:30Z", // Monday 09:00:30
            "2026-11-29T12:00:00Z", // Sunday
            "2026-11-27T20:00:00Z", // Friday 23:00
        ] {
            let g = grid(at);
            assert!(g.instant(g.w_max, 59) <= g.as_of, "{at}");
            assert_eq!(g.instant(g.asof_w, 0), g.as_of);
            assert!(g.instant(g.asof_w + 1, 0) > g.as_of, "{at}");
            let local = g.instant(g.w_max, 0).with_timezone(&chrono_tz::Europe::Moscow);
            assert!((9..18).contains(&chrono::Timelike::hour(&local)), "{at}: {local}");
        }
    }

    #[test]
    fn holidays_have_no_minutes() {
        let g = grid("2026-11-26T11:30:00Z");
        let w = g.first_w_on_or_after(NaiveDate::from_ymd_opt(2026, 11, 4).unwrap());
        assert_eq!(g.date(w), NaiveDate::from_ymd_opt(2026, 11, 5).unwrap());
    }
}
