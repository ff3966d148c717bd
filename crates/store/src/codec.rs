//! How model values become column values and back: instants, dates, enums,
//! JSON lists and the compact stage-history text. Kept apart from the SQL so
//! both backends and both directions share one spelling of every value.

use chrono::{DateTime, NaiveDate};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tsifra_core::calendar::{Period, PeriodKind};
use tsifra_core::model::{EntityKind, EntityRef, Id, ResponsibleChange, StageMove};
use tsifra_core::{Instant, Metric};

/// Instants are stored as whole unix seconds (the CRMs we read have no finer
/// resolution); a sub-second part is dropped on write.
pub(crate) fn instant_to_db(at: Instant) -> i64 {
    at.timestamp()
}

pub(crate) fn instant_from_db(secs: i64) -> Result<Instant, String> {
    DateTime::from_timestamp(secs, 0).ok_or_else(|| format!("{secs} is not a valid unix time"))
}

/// Plan import times keep milliseconds: two imports a second apart (a script,
/// a test) must still be told apart, since the later one is in force.
pub(crate) fn import_time_to_db(at: Instant) -> i64 {
    at.timestamp_millis()
}

pub(crate) fn import_time_from_db(millis: i64) -> Result<Instant, String> {
    DateTime::from_timestamp_millis(millis).ok_or_else(|| format!("{millis} is not a valid unix time in milliseconds"))
}

pub(crate) fn date_to_db(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

pub(crate) fn date_from_db(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| format!("{text:?} is not a YYYY-MM-DD date"))
}

pub(crate) fn bool_to_db(flag: bool) -> i32 {
    i32::from(flag)
}

pub(crate) fn bool_from_db(value: i64) -> Result<bool, String> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(format!("{other} is not a 0/1 flag")),
    }
}

pub(crate) fn entity_to_db(entity: Option<EntityRef>) -> (Option<&'static str>, Option<Id>) {
    match entity {
        Some(e) => (Some(e.kind().as_str()), Some(e.id())),
        None => (None, None),
    }
}

pub(crate) fn entity_from_db(kind: Option<&str>, id: Option<Id>) -> Result<Option<EntityRef>, String> {
    match (kind, id) {
        (None, None) => Ok(None),
        (Some(kind), Some(id)) => EntityKind::parse(kind)
            .and_then(|k| EntityRef::new(k, id))
            .map(Some)
            .ok_or_else(|| format!("{kind:?} is not a deal, company or contact")),
        _ => Err("entity kind and id must both be set or both be empty".into()),
    }
}

/// JSON text for a list column. Empty lists are by far the most common value,
/// so they skip serde both ways.
pub(crate) fn json_to_db<T: Serialize>(values: &[T]) -> String {
    if values.is_empty() {
        return "[]".to_string();
    }
    serde_json::to_string(values).expect("model values always serialise to JSON")
}

pub(crate) fn json_from_db<T: DeserializeOwned>(text: &str) -> Result<Vec<T>, String> {
    if text == "[]" {
        return Ok(Vec::new());
    }
    let mut list: Vec<T> = serde_json::from_str(text).map_err(|e| format!("bad JSON list: {e}"))?;
    // serde grows the list by doubling; a million deals' field lists would
    // keep ~100 MB of unused capacity for the life of the server.
    list.shrink_to_fit();
    Ok(list)
}

/// Stage history as `at,pipeline,stage,author;…` (author empty when unknown),
/// on the deal's own row rather than in a stage_moves table. A deal's history
/// is only ever written whole with its deal (an upsert replaces it) and read
/// whole into memory (reports run in Rust, not SQL), so a separate table would
/// add ~3 rows per deal to insert and to load, plus a delete-and-reinsert on
/// every deal update, for queries nobody makes. Plain text keeps it readable
/// from the sqlite3 / psql prompt and portable through the Any driver.
pub(crate) fn history_to_db(history: &[StageMove]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(history.len() * 28);
    for (i, m) in history.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        let _ = write!(out, "{},{},{},", instant_to_db(m.at), m.pipeline_id, m.stage_id);
        if let Some(author) = m.author_id {
            let _ = write!(out, "{author}");
        }
    }
    out
}

pub(crate) fn history_from_db(text: &str) -> Result<Vec<StageMove>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let bad = || format!("bad stage history {text:?}");
    let mut moves = Vec::with_capacity(text.bytes().filter(|&b| b == b';').count() + 1);
    for item in text.split(';') {
        let mut parts = item.split(',');
        let mut next = || parts.next().ok_or_else(bad);
        let at = instant_from_db(parse_i64(next()?).ok_or_else(bad)?)?;
        let pipeline_id = parse_i64(next()?).ok_or_else(bad)?;
        let stage_id = parse_i64(next()?).ok_or_else(bad)?;
        let author = next()?;
        let author_id = if author.is_empty() {
            None
        } else {
            Some(parse_i64(author).ok_or_else(bad)?)
        };
        if parts.next().is_some() {
            return Err(bad());
        }
        moves.push(StageMove {
            at,
            pipeline_id,
            stage_id,
            author_id,
        });
    }
    Ok(moves)
}

/// Responsible-manager changes as `at,from,to;…` (an id empty when unknown),
/// beside the stage history for the same reasons.
pub(crate) fn responsible_changes_to_db(changes: &[ResponsibleChange]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(changes.len() * 24);
    for (i, c) in changes.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        let _ = write!(out, "{},", instant_to_db(c.at));
        if let Some(from) = c.from {
            let _ = write!(out, "{from}");
        }
        out.push(',');
        if let Some(to) = c.to {
            let _ = write!(out, "{to}");
        }
    }
    out
}

pub(crate) fn responsible_changes_from_db(text: &str) -> Result<Vec<ResponsibleChange>, String> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let bad = || format!("bad responsible changes {text:?}");
    let id = |s: &str| {
        if s.is_empty() {
            Ok(None)
        } else {
            parse_i64(s).map(Some).ok_or_else(bad)
        }
    };
    let mut changes = Vec::new();
    for item in text.split(';') {
        let mut parts = item.split(',');
        let (Some(at), Some(from), Some(to), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        changes.push(ResponsibleChange {
            at: instant_from_db(parse_i64(at).ok_or_else(bad)?)?,
            from: id(from)?,
            to: id(to)?,
        });
    }
    Ok(changes)
}

/// `str::parse::<i64>` without the error value's formatting machinery; this
/// runs a few million times on a full load.
fn parse_i64(s: &str) -> Option<i64> {
    let (negative, digits) = match s.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        rest => (false, rest),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        // Accumulate negatively so i64::MIN parses too.
        value = value.checked_mul(10)?.checked_sub(i64::from(d - b'0'))?;
    }
    if negative { Some(value) } else { value.checked_neg() }
}

pub(crate) fn period_kind_to_db(kind: PeriodKind) -> String {
    match kind {
        PeriodKind::Day => "day".into(),
        PeriodKind::Week => "week".into(),
        PeriodKind::Month => "month".into(),
        PeriodKind::Quarter => "quarter".into(),
        PeriodKind::LastDays(n) => format!("last_days:{n}"),
    }
}

pub(crate) fn period_from_db(kind: &str, start: &str, end: &str) -> Result<Period, String> {
    let kind = match kind {
        "day" => PeriodKind::Day,
        "week" => PeriodKind::Week,
        "month" => PeriodKind::Month,
        "quarter" => PeriodKind::Quarter,
        other => match other.strip_prefix("last_days:").and_then(|n| n.parse().ok()) {
            Some(n) => PeriodKind::LastDays(n),
            None => return Err(format!("{other:?} is not a period kind")),
        },
    };
    Ok(Period {
        kind,
        start: date_from_db(start)?,
        end: date_from_db(end)?,
    })
}

/// The plan key's "whose" part: a key column cannot be NULL in PostgreSQL.
pub(crate) fn whose_to_db(manager_id: Option<Id>) -> String {
    match manager_id {
        Some(id) => format!("manager:{id}"),
        None => "team".into(),
    }
}

pub(crate) fn metric_from_db(text: &str) -> Result<Metric, String> {
    Metric::parse(text).ok_or_else(|| format!("{text:?} is not a plan metric"))
}

/// Turns a missing enum spelling into a message naming the value.
pub(crate) fn parse_enum<T>(text: &str, what: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, String> {
    parse(text).ok_or_else(|| format!("{text:?} is not a {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Instant {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn history_round_trips_including_empty_and_missing_authors() {
        let history = vec![
            StageMove {
                at: at(1_700_000_000),
                pipeline_id: 7,
                stage_id: 142,
                author_id: Some(-3),
            },
            StageMove {
                at: at(-5),
                pipeline_id: i64::MAX,
                stage_id: i64::MIN,
                author_id: None,
            },
        ];
        let text = history_to_db(&history);
        assert_eq!(text, format!("1700000000,7,142,-3;-5,{},{},", i64::MAX, i64::MIN));
        assert_eq!(history_from_db(&text).unwrap(), history);
        assert_eq!(history_from_db(&history_to_db(&[])).unwrap(), vec![]);
    }

    #[test]
    fn responsible_changes_round_trip() {
        let changes = vec![
            ResponsibleChange {
                at: at(1_700_000_000),
                from: Some(5),
                to: Some(7),
            },
            ResponsibleChange {
                at: at(1_700_086_400),
                from: None,
                to: Some(5),
            },
        ];
        assert_eq!(responsible_changes_from_db(&responsible_changes_to_db(&changes)).unwrap(), changes);
        assert_eq!(responsible_changes_from_db("").unwrap(), vec![]);
        for text in ["1", "1,2", "1,2,3,4", "x,1,2", "1,a,2"] {
            assert!(responsible_changes_from_db(text).is_err(), "{text:?} accepted");
        }
    }

    #[test]
    fn broken_history_is_an_error_not_a_panic() {
        for text in ["1,2", "1,2,3", "1,2,3,4,5", "x,2,3,", "1,2,3,;", ";", "1,,3,", "-,1,2,"] {
            assert!(history_from_db(text).is_err(), "{text:?} accepted");
        }
    }

    #[test]
    fn parse_i64_matches_std() {
        for s in ["0", "-0", "42", "-42", "9223372036854775807", "-9223372036854775808"] {
            assert_eq!(parse_i64(s), s.parse().ok(), "{s}");
        }
        for s in ["", "-", "+1", "9223372036854775808", "1a", " 1"] {
            assert_eq!(parse_i64(s), None, "{s}");
        }
    }

    #[test]
    fn every_period_kind_round_trips() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        for kind in [
            PeriodKind::Day,
            PeriodKind::Week,
            PeriodKind::Month,
            PeriodKind::Quarter,
            PeriodKind::LastDays(90),
            PeriodKind::LastDays(0),
        ] {
            let p = Period::containing(kind, day);
            let back = period_from_db(&period_kind_to_db(p.kind), &date_to_db(p.start), &date_to_db(p.end)).unwrap();
            assert_eq!(back, p);
        }
        assert!(period_from_db("fortnight", "2026-01-01", "2026-01-15").is_err());
    }

    #[test]
    fn entity_refs_need_both_halves() {
        assert_eq!(entity_from_db(None, None), Ok(None));
        assert_eq!(entity_from_db(Some("deal"), Some(5)), Ok(Some(EntityRef::Deal(5))));
        assert!(entity_from_db(Some("user"), Some(5)).is_err());
        assert!(entity_from_db(Some("deal"), None).is_err());
        assert_eq!(entity_to_db(Some(EntityRef::Contact(9))), (Some("contact"), Some(9)));
    }
}
