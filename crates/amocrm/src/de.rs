//! Lenient deserializers for amoCRM's quirks: numbers that arrive as strings,
//! `null` where an array is expected, `[]` where an object is expected, and
//! ids that are sometimes strings. Each accepts every spelling seen in the
//! docs or in the wild and turns anything unusable into "absent", not an error.

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};
use serde_json::Value;

/// An integer from a JSON number or a numeric string ("123", "123.0").
pub fn value_to_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18).map(|f| f as i64)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                    .map(|f| f as i64)
            })
        }
        Value::Bool(b) => Some(*b as i64),
        _ => None,
    }
}

/// Text from a string or a number; `None` for null, objects and arrays.
pub fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A boolean from true/false, 0/1, "0"/"1", "true"/"false", "Y"/"N".
pub fn value_to_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|f| f != 0.0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "y" | "yes" | "on" => Some(true),
            "0" | "false" | "n" | "no" | "off" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A required id: a number or a numeric string.
pub fn id<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let v = Value::deserialize(d)?;
    value_to_i64(&v).ok_or_else(|| serde::de::Error::custom(format!("expected an id (number or numeric string), got {}", kind(&v))))
}

/// An optional integer; null, "", objects and garbage give `None`.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(value_to_i64(&Value::deserialize(d)?))
}

/// An optional user or group reference: `0` means "nobody" (system, robot, integration).
pub fn opt_ref<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(value_to_i64(&Value::deserialize(d)?).filter(|&n| n != 0))
}

pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(value_to_string(&Value::deserialize(d)?))
}

/// A string that may be missing, null or a number; absent reads as "".
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(value_to_string(&Value::deserialize(d)?).unwrap_or_default())
}

pub fn bool_<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(value_to_bool(&Value::deserialize(d)?).unwrap_or(false))
}

pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    Ok(value_to_bool(&Value::deserialize(d)?))
}

/// A list that may be `null` (custom_fields_values), a single object
/// (`_embedded.loss_reason` is documented as an object and shown as an array),
/// or an object keyed "0", "1", ... (PHP arrays). Items that do not parse are dropped.
pub fn list<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(list_from_value(Value::deserialize(d)?))
}

pub fn list_from_value<T: DeserializeOwned>(v: Value) -> Vec<T> {
    let items: Vec<Value> = match v {
        Value::Array(a) => a,
        Value::Object(map) if !map.is_empty() && map.keys().all(|k| k.parse::<u32>().is_ok()) => {
            // serde_json sorts keys as text ("10" < "2"); PHP's order is numeric.
            let mut keyed: Vec<(u32, Value)> = map.into_iter().map(|(k, v)| (k.parse().unwrap_or(0), v)).collect();
            keyed.sort_by_key(|(k, _)| *k);
            keyed.into_iter().map(|(_, v)| v).collect()
        }
        Value::Object(map) if map.is_empty() => Vec::new(),
        obj @ Value::Object(_) => vec![obj],
        _ => Vec::new(),
    };
    items.into_iter().filter_map(|item| serde_json::from_value(item).ok()).collect()
}

/// An object that may arrive as `[]` (PHP's empty array), `null` or `false`: all mean absent.
pub fn opt_object<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Option<T>, D::Error> {
    match Value::deserialize(d)? {
        v @ Value::Object(_) => Ok(serde_json::from_value(v).ok()),
        Value::Array(a) if !a.is_empty() => Ok(a.into_iter().next().and_then(|v| serde_json::from_value(v).ok())),
        _ => Ok(None),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a non-integer number",
        Value::String(_) => "a non-numeric string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A decimal from a number or a string ("1.5", "100", "1 234,50"); anything else is absent.
pub fn value_to_decimal(v: &Value) -> Option<rust_decimal::Decimal> {
    use std::str::FromStr;
    match v {
        Value::Number(n) => {
            let text = n.to_string();
            rust_decimal::Decimal::from_str(&text)
                .ok()
                .or_else(|| rust_decimal::Decimal::from_scientific(&text).ok())
        }
        Value::String(s) => {
            let cleaned: String = s
                .trim()
                .chars()
                .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
                .map(|c| if c == ',' { '.' } else { c })
                .collect();
            rust_decimal::Decimal::from_str(&cleaned).ok()
        }
        _ => None,
    }
}

pub fn opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Option<rust_decimal::Decimal>, D::Error> {
    Ok(value_to_decimal(&Value::deserialize(d)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_in_every_spelling() {
        assert_eq!(value_to_i64(&json!(5)), Some(5));
        assert_eq!(value_to_i64(&json!("5")), Some(5));
        assert_eq!(value_to_i64(&json!(" 7 ")), Some(7));
        assert_eq!(value_to_i64(&json!(5.0)), Some(5));
        assert_eq!(value_to_i64(&json!("5.5")), None);
        assert_eq!(value_to_i64(&json!(null)), None);
        assert_eq!(value_to_bool(&json!("1")), Some(true));
        assert_eq!(value_to_bool(&json!(0)), Some(false));
    }

    #[test]
    fn lists_in_every_shape() {
        assert_eq!(list_from_value::<i64>(json!(null)), Vec::<i64>::new());
        assert_eq!(list_from_value::<i64>(json!([1, 2])), vec![1, 2]);
        assert_eq!(list_from_value::<i64>(json!({"0": 1, "1": 2})), vec![1, 2]);
        assert_eq!(list_from_value::<serde_json::Map<String, Value>>(json!({"id": 1})).len(), 1);
    }
}
