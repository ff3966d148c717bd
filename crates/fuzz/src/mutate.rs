//! Mutations of a valid input: byte flips, cuts, repeats, splices with another
//! input, and tokens from the format's dictionary (the delimiters, huge and
//! odd numbers, dates at the calendar's edges). For JSON, also a value-level
//! change: a random leaf replaced by a value of another kind or out of range,
//! so that decoders see well-formed bodies with hostile values.

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus as Rng;
use serde_json::Value;

use crate::Target;

/// Tokens worth inserting for `target`'s format.
pub fn dictionary(target: Target) -> &'static [&'static str] {
    const NUMBERS: &[&str] = &[
        "0",
        "-1",
        "9223372036854775807",
        "-9223372036854775808",
        "18446744073709551616",
        "800000000000000000000000000",
        "1e308",
        "1e400",
        "-0",
        "NaN",
        "0.000000000000000000000000001",
        "79228162514264337593543950335",
    ];
    match target {
        Target::PlansCsv | Target::PlansXlsx => &[
            ",",
            ";",
            "\t",
            "\n",
            "\r\n",
            "\"",
            "\"\"",
            "team",
            "Анна Смирнова",
            "2026-11",
            "0000-01",
            "-2026-11",
            "2026-W53",
            "2026-Q5",
            "2026-13",
            "декабрь 2026",
            "12.2026",
            "revenue",
            "margin",
            "won_deals",
            "1 500 000,50",
            "9223372036854775807",
            "800000000000000000000000000",
            "-1",
            "1e400",
            "\u{feff}",
            "PK\u{3}\u{4}",
        ],
        Target::Calendar => &[
            "<",
            ">",
            "/>",
            "<calendar year=\"2026\">",
            "<day d=\"01.01\" t=\"1\"/>",
            "d=\"31.02\"",
            "t=\"9\"",
            "year=\"-1\"",
            "year=\"99999\"",
            ",",
            "\n",
            "2026-02-29",
            "2026-12-31",
            "holiday",
            "work",
            "\u{feff}",
        ],
        Target::Webhook => &[
            "&",
            "=",
            "[",
            "]",
            "%5B",
            "%5D",
            "leads[status][0][id]",
            "leads[update][0][id]",
            "leads[delete][0][id]",
            "contacts[add][0][id]",
            "account[subdomain]",
            "account[id]",
            "9223372036854775807",
            "-1",
            "%",
            "%ZZ",
            "+",
        ],
        Target::Amocrm | Target::Config | Target::Explore => NUMBERS,
    }
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> Option<&'a T> {
    (!items.is_empty()).then(|| &items[rng.random_range(0..items.len())])
}

/// One to four mutations of `base` (with `other` for splices).
pub fn mutate(base: &[u8], other: &[u8], dictionary: &[&str], rng: &mut Rng) -> Vec<u8> {
    let mut out = base.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        if rng.random_range(0..4) == 0
            && let Some(changed) = mutate_json(&out, dictionary, rng)
        {
            out = changed;
            continue;
        }
        mutate_bytes(&mut out, other, dictionary, rng);
    }
    out.truncate(1 << 20);
    out
}

fn mutate_bytes(out: &mut Vec<u8>, other: &[u8], dictionary: &[&str], rng: &mut Rng) {
    let at = |rng: &mut Rng, len: usize| if len == 0 { 0 } else { rng.random_range(0..=len) };
    match rng.random_range(0..8) {
        0 if !out.is_empty() => {
            let i = rng.random_range(0..out.len());
            out[i] ^= 1 << rng.random_range(0..8);
        }
        1 if !out.is_empty() => {
            let i = rng.random_range(0..out.len());
            out[i] = rng.random();
        }
        2 if !out.is_empty() => {
            let start = rng.random_range(0..out.len());
            let end = (start + rng.random_range(1..=16.min(out.len() - start))).min(out.len());
            out.drain(start..end);
        }
        3 if !out.is_empty() => {
            // A piece repeated: long lines, deep nesting, many rows.
            let start = rng.random_range(0..out.len());
            let end = (start + rng.random_range(1..=64)).min(out.len());
            let piece = out[start..end].to_vec();
            let times = rng.random_range(1..=32);
            let i = at(rng, out.len());
            for _ in 0..times {
                out.splice(i..i, piece.iter().copied());
            }
        }
        4 if !other.is_empty() => {
            let start = rng.random_range(0..other.len());
            let end = (start + rng.random_range(1..=256)).min(other.len());
            let i = at(rng, out.len());
            out.splice(i..i, other[start..end].iter().copied());
        }
        5 => out.truncate(at(rng, out.len())),
        _ => {
            if let Some(token) = pick(rng, dictionary) {
                let i = at(rng, out.len());
                // Replace a short run or insert.
                let end = if rng.random_range(0..2) == 0 {
                    (i + token.len()).min(out.len())
                } else {
                    i
                };
                out.splice(i..end, token.bytes());
            }
        }
    }
}

/// A leaf of the JSON document in `data` replaced; `None` when it is not JSON.
fn mutate_json(data: &[u8], dictionary: &[&str], rng: &mut Rng) -> Option<Vec<u8>> {
    let mut doc: Value = serde_json::from_slice(data).ok()?;
    let mut leaves = 0usize;
    count_leaves(&doc, &mut leaves);
    if leaves == 0 {
        return None;
    }
    let target = rng.random_range(0..leaves);
    let replacement = match rng.random_range(0..7) {
        0 => Value::Null,
        1 => Value::Bool(rng.random()),
        2 => Value::String(pick(rng, dictionary).copied().unwrap_or("").to_string()),
        3 => serde_json::from_str(pick(rng, dictionary).copied().unwrap_or("0")).unwrap_or(Value::Null),
        4 => Value::Array(vec![]),
        5 => Value::Object(Default::default()),
        _ => Value::from(rng.random::<i64>()),
    };
    let mut seen = 0usize;
    replace_leaf(&mut doc, target, &mut seen, replacement);
    serde_json::to_vec(&doc).ok()
}

fn count_leaves(v: &Value, n: &mut usize) {
    match v {
        Value::Array(items) => items.iter().for_each(|v| count_leaves(v, n)),
        Value::Object(map) => map.values().for_each(|v| count_leaves(v, n)),
        _ => *n += 1,
    }
}

fn replace_leaf(v: &mut Value, target: usize, seen: &mut usize, with: Value) -> bool {
    match v {
        Value::Array(items) => items.iter_mut().any(|v| replace_leaf(v, target, seen, with.clone())),
        Value::Object(map) => map.values_mut().any(|v| replace_leaf(v, target, seen, with.clone())),
        leaf => {
            if *seen == target {
                *leaf = with;
                return true;
            }
            *seen += 1;
            false
        }
    }
}
