//! What a measure can be sliced and filtered by: the CRM's own attributes,
//! calendar buckets in the business zone, and every custom field (options as
//! categories, numbers and dates in buckets).

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use super::error::QueryError;
use super::span::{Span, SpanUnit, month_label};
use crate::config::Config;
use crate::i18n::{Language, format_int, text};
use crate::model::{EntityKind, FieldValue, Id, Workspace};
use crate::reports::facts::resolve_field;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "dimension", content = "of")]
pub enum Dimension {
    Manager,
    /// amoCRM's groups: the manager's team.
    Team,
    Pipeline,
    Stage,
    Company,
    Contact,
    LossReason,
    /// Where the lead came from (the deal's source).
    Source,
    Tag,
    Time(SpanUnit),
    /// A custom field of deals or companies (the deal's company).
    Field(Id),
}

/// One value of a dimension. `None` is "not set" (a deal without a company).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum Key {
    None,
    Id(Id),
    Text(String),
    /// A calendar bucket by its first day.
    Day(NaiveDate),
    /// A number bucket by its lower bound.
    Num(i64),
    Bool(bool),
}

/// The dimension names users type, for "expected one of" messages.
pub const NAMES: &str = "manager, team, pipeline, stage, company, contact, loss_reason, source, tag, day, week, month, quarter, year, product, client_type, industry, field:<name or id>";

impl Dimension {
    /// Parses `manager`, `month`, `field:Тип продукта`, `product` (the field mapped in `[fields]`)...
    pub fn parse(text: &str, ws: &Workspace, config: &Config) -> Result<Dimension, QueryError> {
        let t = text.trim();
        let lower = t.to_lowercase().replace('-', "_");
        let simple = match lower.as_str() {
            "manager" | "менеджер" => Some(Dimension::Manager),
            "team" | "group" | "отдел" => Some(Dimension::Team),
            "pipeline" | "воронка" => Some(Dimension::Pipeline),
            "stage" | "этап" => Some(Dimension::Stage),
            "company" | "компания" => Some(Dimension::Company),
            "contact" | "контакт" => Some(Dimension::Contact),
            "loss_reason" | "причина_отказа" => Some(Dimension::LossReason),
            "source" | "источник" => Some(Dimension::Source),
            "tag" | "тег" => Some(Dimension::Tag),
            "day" | "день" => Some(Dimension::Time(SpanUnit::Day)),
            "week" | "неделя" => Some(Dimension::Time(SpanUnit::Week)),
            "month" | "месяц" => Some(Dimension::Time(SpanUnit::Month)),
            "quarter" | "квартал" => Some(Dimension::Time(SpanUnit::Quarter)),
            "year" | "год" => Some(Dimension::Time(SpanUnit::Year)),
            _ => None,
        };
        if let Some(d) = simple {
            return Ok(d);
        }
        let mapped = match lower.as_str() {
            "product" | "product_type" => Some(("product_type", &config.fields.product_type)),
            "client_type" => Some(("client_type", &config.fields.client_type)),
            "industry" => Some(("industry", &config.fields.industry)),
            _ => None,
        };
        if let Some((key, name)) = mapped {
            return field(ws, name).ok_or_else(|| QueryError::Unmapped { text: t.to_string(), key });
        }
        if let Some(name) = t.strip_prefix("field:").or_else(|| t.strip_prefix("поле:")) {
            return field(ws, name).ok_or_else(|| QueryError::NoField(name.trim().to_string()));
        }
        Err(QueryError::UnknownDimension(t.to_string()))
    }

    /// The name to type back (`month`, `field:512`).
    pub fn key(&self) -> String {
        match self {
            Dimension::Manager => "manager".into(),
            Dimension::Team => "team".into(),
            Dimension::Pipeline => "pipeline".into(),
            Dimension::Stage => "stage".into(),
            Dimension::Company => "company".into(),
            Dimension::Contact => "contact".into(),
            Dimension::LossReason => "loss_reason".into(),
            Dimension::Source => "source".into(),
            Dimension::Tag => "tag".into(),
            Dimension::Time(SpanUnit::Day) => "day".into(),
            Dimension::Time(SpanUnit::Week) => "week".into(),
            Dimension::Time(SpanUnit::Month) => "month".into(),
            Dimension::Time(SpanUnit::Quarter) => "quarter".into(),
            Dimension::Time(SpanUnit::Year) => "year".into(),
            Dimension::Field(id) => format!("field:{id}"),
        }
    }

    /// The dimension's title on a screen.
    pub fn title(&self, ws: &Workspace, lang: Language) -> String {
        match self {
            Dimension::Field(id) => ws.field_defs.get(*id).map_or_else(|| format!("#{id}"), |f| f.name.clone()),
            other => text(lang, &format!("dim.{}", other.key())).to_string(),
        }
    }

    /// Parses a filter value typed for this dimension: an id or a name for the
    /// CRM's records (case-insensitive, ё = е), a date or period for time
    /// buckets, an option's text for fields. `-` or `none` is "not set".
    pub fn parse_value(&self, text: &str, ws: &Workspace, today: NaiveDate) -> Result<Key, QueryError> {
        let t = text.trim();
        if t == "-" || t.eq_ignore_ascii_case("none") {
            return Ok(Key::None);
        }
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase().replace('ё', "е");
        let wanted = norm(t);
        let by_name = |names: &mut dyn Iterator<Item = (Id, &str)>| -> Result<Key, QueryError> {
            let all: Vec<(Id, &str)> = names.collect();
            if let Ok(id) = t.parse::<Id>()
                && all.iter().any(|(i, _)| *i == id)
            {
                return Ok(Key::Id(id));
            }
            let found: Vec<Id> = all.iter().filter(|(_, n)| norm(n) == wanted).map(|(i, _)| *i).collect();
            match found.as_slice() {
                [one] => Ok(Key::Id(*one)),
                [] => Err(QueryError::NoValue {
                    dim: self.key(),
                    value: t.to_string(),
                }),
                _ => Err(QueryError::Ambiguous {
                    dim: self.key(),
                    value: t.to_string(),
                    n: found.len(),
                }),
            }
        };
        match self {
            Dimension::Manager => by_name(&mut ws.users.iter().map(|u| (u.id, u.name.as_str()))),
            Dimension::Team => by_name(&mut ws.teams.iter().map(|x| (x.id, x.name.as_str()))),
            Dimension::Pipeline => by_name(&mut ws.pipelines.iter().map(|p| (p.id, p.name.as_str()))),
            Dimension::Stage => by_name(&mut ws.pipelines.iter().flat_map(|p| p.stages.iter().map(|s| (s.id, s.name.as_str())))),
            Dimension::Company => by_name(&mut ws.companies.iter().map(|c| (c.id, c.name.as_str()))),
            Dimension::Contact => by_name(&mut ws.contacts.iter().map(|c| (c.id, c.name.as_str()))),
            Dimension::LossReason => by_name(&mut ws.loss_reasons.iter().map(|r| (r.id, r.name.as_str()))),
            Dimension::Source | Dimension::Tag => Ok(Key::Text(t.to_string())),
            Dimension::Time(unit) => Span::parse(t, today)
                .map(|s| Key::Day(Span::of(*unit, s.start).start))
                .ok_or_else(|| QueryError::NotADate {
                    dim: self.key(),
                    value: t.to_string(),
                }),
            Dimension::Field(_) => Ok(match wanted.as_str() {
                "да" | "yes" | "true" => Key::Bool(true),
                "нет" | "no" | "false" => Key::Bool(false),
                _ => t.parse::<i64>().map(Key::Num).unwrap_or_else(|_| Key::Text(t.to_string())),
            }),
        }
    }

    /// A value as a screen shows it.
    pub fn label(&self, key: &Key, ws: &Workspace, lang: Language) -> String {
        let id_name = |id: Id| -> String {
            match self {
                Dimension::Manager => ws.users.get(id).map(|u| u.name.clone()),
                Dimension::Team => ws.teams.get(id).map(|t| t.name.clone()),
                Dimension::Pipeline => ws.pipelines.get(id).map(|p| p.name.clone()),
                Dimension::Stage => ws.pipelines.iter().find_map(|p| p.stage(id)).map(|s| s.name.clone()),
                Dimension::Company => ws.companies.get(id).map(|c| c.name.clone()),
                Dimension::Contact => ws.contacts.get(id).map(|c| c.name.clone()),
                Dimension::LossReason => ws.loss_reasons.get(id).map(|r| r.name.clone()),
                _ => None,
            }
            .unwrap_or_else(|| format!("#{id}"))
        };
        match key {
            Key::None => text(lang, "dim.not_set").to_string(),
            Key::Id(id) => id_name(*id),
            Key::Text(s) => s.clone(),
            Key::Day(day) => match self {
                Dimension::Time(unit) => Span::of(*unit, *day).label(lang),
                _ => month_label(lang, *day),
            },
            Key::Num(lo) => format!("{} {}", text(lang, "dim.from"), format_int(lang, *lo)),
            Key::Bool(b) => text(lang, if *b { "dim.yes" } else { "dim.no" }).to_string(),
        }
    }
}

fn field(ws: &Workspace, name: &str) -> Option<Dimension> {
    resolve_field(ws, EntityKind::Deal, name)
        .or_else(|| resolve_field(ws, EntityKind::Company, name))
        .map(Dimension::Field)
}

/// The keys a custom field's value falls under: each chosen option, the text,
/// a number's bucket (1–2–5 steps), a date's month.
pub fn field_keys(value: Option<&FieldValue>, out: &mut Vec<Key>) {
    match value {
        None => out.push(Key::None),
        Some(v) if v.is_empty() => out.push(Key::None),
        Some(FieldValue::Options(options)) => out.extend(options.iter().map(|o| Key::Text(o.clone()))),
        Some(FieldValue::Text(s)) => out.push(Key::Text(s.trim().to_string())),
        Some(FieldValue::Bool(b)) => out.push(Key::Bool(*b)),
        Some(FieldValue::Number(n)) => out.push(Key::Num(bucket(n.to_f64().unwrap_or(0.0)))),
        Some(FieldValue::Money(m)) => out.push(Key::Num(bucket(m.minor() as f64 / 100.0))),
        Some(FieldValue::Date(d)) => out.push(Key::Day(first_of_month(*d))),
        Some(FieldValue::Instant(i)) => out.push(Key::Day(first_of_month(i.date_naive()))),
    }
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).expect("day 1 exists")
}

/// The lower bound of `v`'s bucket in steps of 1, 2 and 5 times a power of ten.
fn bucket(v: f64) -> i64 {
    if !v.is_finite() || v.abs() < 1.0 {
        return 0;
    }
    let sign = v.signum();
    let a = v.abs();
    let p = 10f64.powi(a.log10().floor() as i32);
    let step = [5.0, 2.0, 1.0].into_iter().find(|s| a >= s * p).unwrap_or(1.0);
    (sign * step * p) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_fall_in_one_two_five_buckets() {
        assert_eq!(
            [
                bucket(0.5),
                bucket(7.0),
                bucket(15.0),
                bucket(49_999.0),
                bucket(50_000.0),
                bucket(-300.0)
            ],
            [0, 5, 10, 20_000, 50_000, -200]
        );
    }
}
