//! Answers as the typed tables every screen and file is drawn from (the CLI's
//! table and CSV, XLSX, the pages), so they show the same numbers.

use super::pareto::{Class, Pareto};
use super::{Answer, Row, Unit, Value};
use crate::i18n::{Language, text};
use crate::reports::tabular::{Cell, Table};

fn value_cell(unit: Unit, v: Option<Value>) -> Cell {
    match (unit, v) {
        (_, None) => Cell::Empty,
        (Unit::Money, Some(Value::Int(i))) => Cell::Money(i),
        (Unit::Percent, Some(v)) => Cell::Percent(v.as_f64()),
        (_, Some(Value::Int(i))) => Cell::Int(i),
        (_, Some(Value::Dec(d))) => Cell::Decimal(d),
    }
}

/// The answer as one table: a column per dimension, the measure, the
/// comparison when asked, and how many records stand behind each figure.
pub fn answer_table(a: &Answer, lang: Language) -> Table {
    let comparing = a.compare.is_some();
    let mut columns = a.by_titles.clone();
    columns.push(text(lang, &a.measure.title_key()).to_string());
    if comparing {
        columns.push(format!(
            "{}: {}",
            text(lang, "explore.compared"),
            a.compare_label.clone().unwrap_or_default()
        ));
        columns.push(text(lang, "explore.change").to_string());
        columns.push(text(lang, "explore.change_percent").to_string());
    }
    columns.push(text(lang, "explore.records").to_string());
    let line = |r: &Row, labels: Vec<String>| {
        let mut cells: Vec<Cell> = labels.into_iter().map(Cell::Text).collect();
        cells.push(value_cell(a.unit, r.value));
        if comparing {
            cells.push(value_cell(a.unit, r.compare_value));
            let change_unit = if a.unit == Unit::Percent { Unit::Days } else { a.unit };
            cells.push(value_cell(change_unit, r.change));
            cells.push(r.change_percent.map_or(Cell::Empty, Cell::Percent));
        }
        cells.push(Cell::Int(r.records as i64));
        cells
    };
    let width = a.by.len().max(1);
    let pad = |first: String| {
        let mut labels = vec![first];
        labels.resize(width, String::new());
        labels
    };
    let mut rows: Vec<Vec<Cell>> = a.rows.iter().map(|r| line(r, r.labels.clone())).collect();
    if let Some(o) = &a.others {
        rows.push(line(o, pad(o.labels[0].clone())));
    }
    rows.push(line(&a.total, pad(text(lang, "col.total").to_string())));
    if a.by.is_empty() {
        // No slices: the total is the one row, under the period's name.
        rows = vec![line(&a.total, vec![a.period_label.clone()])];
        columns.insert(0, text(lang, "explore.period").to_string());
    }
    let mut notes = vec![format!("{}: {}", text(lang, "explore.period"), a.period_label)];
    if a.others.is_some() {
        notes.push(text(lang, "explore.others_note").to_string());
    }
    Table {
        id: "explore".into(),
        title: format!("{} · {}", text(lang, &a.measure.title_key()), a.period_label),
        columns,
        rows,
        notes,
    }
}

/// The Pareto view as a table: each value's contribution, share, running share and class.
pub fn pareto_table(p: &Pareto, unit: Unit, lang: Language, currency: &str, dimension_title: &str) -> Table {
    let rows = p
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.label.clone()),
                value_cell(unit, Some(Value::Int(r.value))),
                Cell::Percent(r.share),
                Cell::Percent(r.cumulative),
                Cell::Text(
                    match r.class {
                        Class::A => "A",
                        Class::B => "B",
                        Class::C => "C",
                    }
                    .into(),
                ),
            ]
        })
        .collect();
    Table {
        id: "pareto".into(),
        title: format!(
            "{} · {} · {}",
            text(lang, "explore.pareto"),
            text(lang, &p.measure.title_key()),
            p.period_label
        ),
        columns: vec![
            dimension_title.to_string(),
            text(lang, &p.measure.title_key()).to_string(),
            text(lang, "explore.share").to_string(),
            text(lang, "explore.cumulative").to_string(),
            text(lang, "explore.class").to_string(),
        ],
        rows,
        notes: std::iter::once(p.headline.clone())
            .chain((p.not_set != 0).then(|| {
                let amount = match unit {
                    Unit::Money => crate::i18n::format_money(lang, currency, crate::money::Money(p.not_set)),
                    _ => crate::i18n::format_int(lang, p.not_set),
                };
                crate::i18n::text_with(lang, "explore.not_ranked", &[("value", &amount)])
            }))
            .collect(),
    }
}
