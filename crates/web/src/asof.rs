//! The instant a request is answered "as of": `?as_of=` when given, else the
//! clock. Every board computes its numbers for this instant, so the same URL
//! with the same `as_of` always shows the same figures.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use tsifra_core::{BusinessCalendar, Instant, Language};

use crate::error::AppError;
use crate::state::AppState;
use crate::texts::t_with;

/// The as-of instant of a request, extracted from `?as_of=` or the state's clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsOf {
    pub at: Instant,
    /// The `as_of` text as the user wrote it, when given: links to other
    /// boards carry it on, so the whole session stays on the same moment.
    pub requested: Option<String>,
}

/// Why an `as_of` value was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AsOfError {
    /// Not one of the accepted spellings.
    Malformed { value: String },
    /// A local time skipped by a daylight-saving switch in the business zone.
    NoSuchLocalTime { value: String, tz: String },
    /// `as_of` appeared twice; picking one silently could show the wrong day.
    Repeated,
}

impl AsOfError {
    pub fn message(&self, lang: Language) -> String {
        match self {
            AsOfError::Malformed { value } => t_with(lang, "web.as_of.malformed", &[("value", value)]),
            AsOfError::NoSuchLocalTime { value, tz } => t_with(lang, "web.as_of.no_such_time", &[("value", value), ("tz", tz)]),
            AsOfError::Repeated => t_with(lang, "web.as_of.repeated", &[]),
        }
    }
}

/// Reads an `as_of` value. The accepted forms, from most to least explicit:
///
/// * RFC 3339 with a zone, `2026-11-20T12:00:00Z` or `2026-11-20T15:00:00+03:00`:
///   exactly that instant. A `+` that form decoding turned into a space is put back,
///   so an unescaped offset in a hand-typed URL still works.
/// * A local date and time without a zone, `2026-11-20T15:00` or `2026-11-20T15:00:30`
///   (a space may replace the `T`): that wall-clock time in the business time zone.
///   When the autumn switch makes the time happen twice, the first one is meant;
///   a time the spring switch skips is refused rather than silently moved.
/// * A plain date, `2026-11-20`: the end of that business day, i.e. the last
///   nanosecond before the next local midnight. A board "as of the 20th" then
///   includes everything that happened on the 20th and nothing after it.
pub fn parse_as_of(raw: &str, calendar: &BusinessCalendar) -> Result<Instant, AsOfError> {
    let value = raw.trim();
    let malformed = || AsOfError::Malformed { value: value.to_string() };

    // Exactly ten characters: chrono would otherwise accept `2026-1-5` and friends.
    if value.len() == 10 {
        let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| malformed())?;
        let next = date.succ_opt().ok_or_else(malformed)?;
        return Ok(calendar.start_of_day(next) - Duration::nanoseconds(1));
    }

    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Ok(at.with_timezone(&Utc));
    }
    // "…T15:00:00+03:00" arrives as "…T15:00:00 03:00" when the `+` was not escaped.
    if let Some((head, offset)) = value.rsplit_once(' ')
        && head.contains(['T', 't'])
        && let Ok(at) = DateTime::parse_from_rfc3339(&format!("{head}+{offset}"))
    {
        return Ok(at.with_timezone(&Utc));
    }

    let local = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())
        .ok_or_else(malformed)?;
    match calendar.tz().from_local_datetime(&local) {
        LocalResult::Single(at) => Ok(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
        LocalResult::None => Err(AsOfError::NoSuchLocalTime {
            value: value.to_string(),
            tz: calendar.tz().name().to_string(),
        }),
    }
}

impl FromRequestParts<AppState> for AsOf {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<AsOf, AppError> {
        let Query(pairs) =
            Query::<Vec<(String, String)>>::try_from_uri(&parts.uri).map_err(|rejection| AppError::BadRequest(rejection.body_text()))?;
        let mut values = pairs.into_iter().filter(|(key, _)| key == "as_of").map(|(_, value)| value);
        let first = values.next();
        if values.next().is_some() {
            return Err(AppError::InvalidAsOf(AsOfError::Repeated));
        }
        match first {
            // An empty field (a form submitted without a date) means "now", like no field at all.
            Some(value) if !value.trim().is_empty() => {
                let at = parse_as_of(&value, &state.calendar()).map_err(AppError::InvalidAsOf)?;
                Ok(AsOf {
                    at,
                    requested: Some(value.trim().to_string()),
                })
            }
            _ => Ok(AsOf {
                at: state.now(),
                requested: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsifra_core::Config;

    fn utc(s: &str) -> Instant {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn calendar(zone: &str) -> BusinessCalendar {
        let mut config = Config::default();
        config.business.time_zone = zone.into();
        config.calendar()
    }

    #[test]
    fn instants_with_a_zone_are_taken_as_they_are() {
        let cal = calendar("Europe/Moscow");
        assert_eq!(parse_as_of("2026-11-20T12:00:00Z", &cal), Ok(utc("2026-11-20T12:00:00Z")));
        assert_eq!(parse_as_of("2026-11-20T15:00:00+03:00", &cal), Ok(utc("2026-11-20T12:00:00Z")));
        assert_eq!(parse_as_of(" 2026-11-20T15:00:00 03:00 ", &cal), Ok(utc("2026-11-20T12:00:00Z")));
        assert_eq!(parse_as_of("2026-11-20T12:00:00.5Z", &cal), Ok(utc("2026-11-20T12:00:00.5Z")));
    }

    #[test]
    fn local_times_are_in_the_business_zone() {
        let cal = calendar("Europe/Moscow");
        assert_eq!(parse_as_of("2026-11-20T15:00", &cal), Ok(utc("2026-11-20T12:00:00Z")));
        assert_eq!(parse_as_of("2026-11-20 15:00:30", &cal), Ok(utc("2026-11-20T12:00:30Z")));
        let berlin = calendar("Europe/Berlin");
        assert_eq!(parse_as_of("2026-11-20T15:00", &berlin), Ok(utc("2026-11-20T14:00:00Z")));
    }

    #[test]
    fn a_date_means_the_end_of_that_local_day() {
        let cal = calendar("Europe/Moscow");
        let at = parse_as_of("2026-11-20", &cal).unwrap();
        assert_eq!(at, utc("2026-11-20T20:59:59.999999999Z"));
        assert_eq!(cal.local_date(at), NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
        assert_eq!(
            cal.local_date(at + Duration::nanoseconds(1)),
            NaiveDate::from_ymd_opt(2026, 11, 21).unwrap()
        );
    }

    #[test]
    fn daylight_saving_switches() {
        let berlin = calendar("Europe/Berlin");
        // 02:30 happens twice on 25 October 2026: the first (CEST, UTC+2) is meant.
        assert_eq!(parse_as_of("2026-10-25T02:30", &berlin), Ok(utc("2026-10-25T00:30:00Z")));
        // 02:30 never happens on 29 March 2026.
        assert_eq!(
            parse_as_of("2026-03-29T02:30", &berlin),
            Err(AsOfError::NoSuchLocalTime {
                value: "2026-03-29T02:30".into(),
                tz: "Europe/Berlin".into()
            })
        );
        // The spring day is 23 hours long; its end is still the last instant before the next midnight.
        assert_eq!(parse_as_of("2026-03-29", &berlin), Ok(utc("2026-03-29T21:59:59.999999999Z")));
    }

    #[test]
    fn malformed_values_are_refused_with_the_value_named() {
        let cal = calendar("Europe/Moscow");
        for bad in [
            "yesterday",
            "2026-13-01",
            "2026-02-30",
            "2026-1-5",
            "2026-11-20T25:00",
            "20.11.2026",
            "2026-11-20T15",
            "1",
        ] {
            let err = parse_as_of(bad, &cal).unwrap_err();
            assert_eq!(err, AsOfError::Malformed { value: bad.into() }, "{bad}");
            assert!(err.message(Language::En).contains(bad), "{bad}");
            assert!(err.message(Language::Ru).contains(bad), "{bad}");
        }
    }
}
