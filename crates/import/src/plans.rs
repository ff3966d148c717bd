//! The plan spreadsheet: one row per (manager, period, metric, target).
//! Headers may be English or Russian; periods are `2026-11`, `2026-W48`,
//! `2026-11-26` or `2026-Q4`; the team's own plan uses the manager "team"
//! (or «отдел»). Any bad cell rejects the whole file, so nothing half-lands.

use std::fmt;

use calamine::{Data, Reader};
use tsifra_core::calendar::Period;
use tsifra_core::model::{Metric, Plan, Table, User};
use tsifra_core::money::Money;

/// What was wrong with a plan file, cell by cell (at most [`MAX_PROBLEMS`]).
#[derive(Debug, thiserror::Error)]
pub struct PlanImportError {
    pub file: String,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The spreadsheet's own row number (the header is row 1); 0 for the file as a whole.
    pub row: usize,
    pub column: String,
    pub message: String,
}

pub const MAX_PROBLEMS: usize = 20;

impl fmt::Display for PlanImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: nothing imported, ", self.file)?;
        match self.problems.len() {
            1 => write!(f, "1 problem:")?,
            n => write!(f, "{n} problems:")?,
        }
        for p in &self.problems {
            if p.row == 0 {
                write!(f, "\n  {}", p.message)?;
            } else {
                write!(f, "\n  row {}, column \"{}\": {}", p.row, p.column, p.message)?;
            }
        }
        Ok(())
    }
}

/// The raw plan file: CSV text or an XLSX (or XLS/ODS) workbook's bytes.
pub enum PlanSource<'a> {
    Csv(&'a [u8]),
    Spreadsheet(&'a [u8]),
}

impl<'a> PlanSource<'a> {
    /// Picks the format by the file name's extension, falling back to sniffing the ZIP magic.
    pub fn detect(file_name: &str, bytes: &'a [u8]) -> PlanSource<'a> {
        let lower = file_name.to_lowercase();
        if lower.ends_with(".xlsx") || lower.ends_with(".xls") || lower.ends_with(".ods") || bytes.starts_with(b"PK\x03\x04") {
            PlanSource::Spreadsheet(bytes)
        } else {
            PlanSource::Csv(bytes)
        }
    }
}

const COLUMNS: [(&str, &[&str]); 4] = [
    ("manager", &["manager", "менеджер", "сотрудник", "employee"]),
    ("period", &["period", "период", "месяц", "month"]),
    ("metric", &["metric", "показатель", "метрика"]),
    ("target", &["target", "план", "цель", "plan", "value", "значение"]),
];

/// Parses a plan file into plans with `origin` set to `origin` (the file name or URL),
/// matching managers by name, e-mail or id among `users`.
pub fn parse_plans(origin: &str, source: PlanSource, users: &Table<User>) -> Result<Vec<Plan>, PlanImportError> {
    let fail = |message: String| PlanImportError {
        file: origin.to_string(),
        problems: vec![Problem {
            row: 0,
            column: String::new(),
            message,
        }],
    };
    let rows = match source {
        PlanSource::Csv(bytes) => read_csv(bytes).map_err(fail)?,
        PlanSource::Spreadsheet(bytes) => read_sheet(bytes).map_err(fail)?,
    };
    let Some((header, body)) = rows.split_first() else {
        return Err(fail(
            "the file is empty; expected a header row: manager,period,metric,target".into(),
        ));
    };
    let mut index = [usize::MAX; 4];
    for (slot, (_, names)) in index.iter_mut().zip(COLUMNS) {
        if let Some(i) = header
            .iter()
            .position(|h| names.contains(&h.trim().trim_start_matches('\u{feff}').to_lowercase().as_str()))
        {
            *slot = i;
        }
    }
    let missing: Vec<&str> = COLUMNS
        .iter()
        .zip(index)
        .filter(|(_, i)| *i == usize::MAX)
        .map(|((n, _), _)| *n)
        .collect();
    if !missing.is_empty() {
        return Err(fail(format!(
            "missing column(s) {}; expected a header row: manager,period,metric,target (found: {})",
            missing.join(", "),
            header.join(",")
        )));
    }

    let mut plans: Vec<(usize, Plan)> = Vec::new();
    let mut problems = Vec::new();
    for (n, row) in body.iter().enumerate() {
        let row_no = n + 2;
        let cell = |i: usize| row.get(index[i]).map(|s| s.trim()).unwrap_or("");
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut problem = |column: &str, message: String| {
            if problems.len() < MAX_PROBLEMS {
                problems.push(Problem {
                    row: row_no,
                    column: column.to_string(),
                    message,
                });
            }
        };
        let manager = match find_manager(cell(0), users) {
            Ok(m) => Some(m),
            Err(e) => {
                problem("manager", e);
                None
            }
        };
        let period = Period::parse_key(cell(1));
        if period.is_none() {
            problem(
                "period",
                format!(
                    "expected a period such as 2026-11, 2026-W48, 2026-11-26 or 2026-Q4, got {:?}",
                    cell(1)
                ),
            );
        }
        let metric = parse_metric(cell(2));
        if metric.is_none() {
            problem(
                "metric",
                format!("expected one of revenue, margin, won_deals, calls, got {:?}", cell(2)),
            );
        }
        let target = metric.map(|m| parse_target(m, cell(3)));
        if let Some(Err(e)) = &target {
            problem("target", e.clone());
        }
        if let (Some(manager_id), Some(period), Some(metric), Some(Ok(target))) = (manager, period, metric, target) {
            plans.push((
                row_no,
                Plan {
                    manager_id,
                    period,
                    metric,
                    target,
                    origin: origin.to_string(),
                    // The caller stamps the import when it lands.
                    imported_at: None,
                },
            ));
        }
    }
    // The same plan twice in one file is a mistake the head of sales wants to hear about.
    for (i, (row, p)) in plans.iter().enumerate() {
        let same = |(_, q): &&(usize, Plan)| q.manager_id == p.manager_id && q.period == p.period && q.metric == p.metric;
        if let Some((first, _)) = plans[..i].iter().find(same)
            && problems.len() < MAX_PROBLEMS
        {
            problems.push(Problem {
                row: *row,
                column: "manager".into(),
                message: format!("repeats row {first} (same manager, period and metric)"),
            });
        }
    }
    if problems.is_empty() {
        Ok(plans.into_iter().map(|(_, p)| p).collect())
    } else {
        Err(PlanImportError {
            file: origin.to_string(),
            problems,
        })
    }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text (byte {}); save the CSV as UTF-8", e.valid_up_to()))?;
    // Excel in Russian locales writes ';'-separated CSV.
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            r.map(|rec| rec.iter().map(String::from).collect())
                .map_err(|e| format!("not valid CSV: {e}"))
        })
        .collect()
}

fn read_sheet(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let mut book =
        calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| format!("not a readable spreadsheet: {e}"))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or("the workbook has no sheets")?
        .map_err(|e| format!("the first sheet cannot be read: {e}"))?;
    Ok(range
        .rows()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    Data::String(s) | Data::DateTimeIso(s) => s.clone(),
                    Data::Int(i) => i.to_string(),
                    Data::Float(f) => f.to_string(),
                    Data::Bool(b) => b.to_string(),
                    Data::DateTime(dt) => dt
                        .as_datetime()
                        .map(|d| d.date().format("%Y-%m-%d").to_string())
                        .unwrap_or_default(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect())
}

fn normalize(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .replace('ё', "е")
}

/// `Ok(None)` is the team's own plan.
fn find_manager(text: &str, users: &Table<User>) -> Result<Option<i64>, String> {
    let wanted = normalize(text);
    if wanted.is_empty() {
        return Err("empty; expected a manager's name as in the CRM, or \"team\"".into());
    }
    if ["team", "отдел", "команда", "все", "*"].contains(&wanted.as_str()) {
        return Ok(None);
    }
    let matches: Vec<&User> = users
        .iter()
        .filter(|u| {
            normalize(&u.name) == wanted
                || u.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(&wanted))
                || u.id.to_string() == wanted
        })
        .collect();
    match matches.as_slice() {
        [one] => Ok(Some(one.id)),
        [] => Err(format!(
            "unknown manager {text:?}; expected a name, e-mail or id of a CRM user, or \"team\""
        )),
        _ => Err(format!("{text:?} matches {} users; use the e-mail or id instead", matches.len())),
    }
}

fn parse_metric(text: &str) -> Option<Metric> {
    let t = text.trim().to_lowercase();
    Metric::parse(&t).or(match t.as_str() {
        "выручка" | "оборот" => Some(Metric::Revenue),
        "маржа" | "прибыль" => Some(Metric::Margin),
        "сделки" | "успешные сделки" | "won deals" | "deals" => Some(Metric::WonDeals),
        "звонки" => Some(Metric::Calls),
        _ => None,
    })
}

fn parse_target(metric: Metric, text: &str) -> Result<i64, String> {
    if metric.is_money() {
        match Money::parse(text) {
            Some(m) if m.minor() >= 0 => Ok(m.minor()),
            Some(_) => Err(format!("expected an amount of zero or more, got {text:?}")),
            None => Err(format!("expected an amount such as 1500000 or 1 500 000,50, got {text:?}")),
        }
    } else {
        let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let cleaned = cleaned.strip_suffix(".0").unwrap_or(&cleaned);
        match cleaned.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n),
            _ => Err(format!("expected a whole number of zero or more, got {text:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsifra_core::calendar::PeriodKind;
    use tsifra_core::model::Source;

    fn users() -> Table<User> {
        [
            (1, "Анна Смирнова", "anna@example.ru"),
            (2, "Борис Ёлкин", "boris@example.ru"),
            (3, "Вера Ким", "vera@example.ru"),
        ]
        .into_iter()
        .map(|(id, name, email)| User {
            id,
            name: name.into(),
            email: Some(email.into()),
            team_id: None,
            active: true,
            source: Source::Amocrm,
        })
        .collect()
    }

    #[test]
    fn reads_csv_with_russian_headers_and_spellings() {
        let csv = "Менеджер;Период;Показатель;План\nАнна Смирнова;2026-11;выручка;1 500 000,50\nборис елкин;2026-W48;won_deals;12\nteam;2026-11;margin;900000\n\n";
        let plans = parse_plans("plans.csv", PlanSource::Csv(csv.as_bytes()), &users()).unwrap();
        assert_eq!(plans.len(), 3);
        assert_eq!(
            (plans[0].manager_id, plans[0].metric, plans[0].target),
            (Some(1), Metric::Revenue, 150_000_050)
        );
        assert_eq!(plans[0].period.kind, PeriodKind::Month);
        assert_eq!(
            (plans[1].manager_id, plans[1].period.key(), plans[1].target),
            (Some(2), "2026-W48".to_string(), 12)
        );
        assert_eq!((plans[2].manager_id, plans[2].target), (None, 90_000_000));
        assert!(plans.iter().all(|p| p.origin == "plans.csv"));
    }

    #[test]
    fn every_bad_cell_is_named_and_nothing_is_returned() {
        let csv = "manager,period,metric,target\nАнна Смирнова,2026-11,revenue,100\nДмитрий,2026-11,revenue,100\nВера Ким,2026-13,revenue,100\nВера Ким,2026-11,profit,100\nВера Ким,2026-11,revenue,много\nВера Ким,2026-11,won_deals,1.5\n";
        let err = parse_plans("plans.csv", PlanSource::Csv(csv.as_bytes()), &users()).unwrap_err();
        let got: Vec<(usize, &str)> = err.problems.iter().map(|p| (p.row, p.column.as_str())).collect();
        assert_eq!(
            got,
            vec![(3, "manager"), (4, "period"), (5, "metric"), (6, "target"), (7, "target")]
        );
        let text = err.to_string();
        assert!(text.starts_with("plans.csv: nothing imported, 5 problems:"), "{text}");
        assert!(text.contains("row 3, column \"manager\": unknown manager \"Дмитрий\""), "{text}");
        assert!(text.contains("row 6, column \"target\": expected an amount"), "{text}");
    }

    #[test]
    fn missing_columns_and_empty_files() {
        let err = parse_plans("p.csv", PlanSource::Csv(b"manager,period,target\n"), &users()).unwrap_err();
        assert!(err.to_string().contains("missing column(s) metric"), "{err}");
        let err = parse_plans("p.csv", PlanSource::Csv(b""), &users()).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let err = parse_plans("p.csv", PlanSource::Csv(b"\xff\xfe"), &users()).unwrap_err();
        assert!(err.to_string().contains("UTF-8"), "{err}");
    }

    #[test]
    fn duplicates_within_a_file_are_refused() {
        let csv = "manager,period,metric,target\nАнна Смирнова,2026-11,revenue,1\nanna@example.ru,2026-11,revenue,2\n";
        let err = parse_plans("p.csv", PlanSource::Csv(csv.as_bytes()), &users()).unwrap_err();
        assert!(err.to_string().contains("row 3, column \"manager\": repeats row 2"), "{err}");
    }

    #[test]
    fn reads_xlsx_with_number_and_date_cells() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for (c, h) in ["manager", "period", "metric", "target"].iter().enumerate() {
            sheet.write_string(0, c as u16, *h).unwrap();
        }
        sheet.write_string(1, 0, "Вера Ким").unwrap();
        sheet.write_string(1, 1, "2026-12").unwrap();
        sheet.write_string(1, 2, "revenue").unwrap();
        sheet.write_number(1, 3, 2_000_000.0).unwrap();
        sheet.write_string(2, 0, "Вера Ким").unwrap();
        let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 12, 1).unwrap();
        sheet
            .write_datetime_with_format(2, 1, &date, &rust_xlsxwriter::Format::new().set_num_format("dd.mm.yyyy"))
            .unwrap();
        sheet.write_string(2, 2, "calls").unwrap();
        sheet.write_number(2, 3, 40.0).unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let plans = parse_plans("plans.xlsx", PlanSource::detect("plans.xlsx", &bytes), &users()).unwrap();
        assert_eq!(plans.len(), 2);
        assert_eq!((plans[0].period.key(), plans[0].target), ("2026-12".to_string(), 200_000_000));
        assert_eq!((plans[1].period.key(), plans[1].target), ("2026-12-01".to_string(), 40));
        let err = parse_plans("bad.xlsx", PlanSource::detect("bad.xlsx", b"PK\x03\x04garbage"), &users()).unwrap_err();
        assert!(err.to_string().contains("not a readable spreadsheet"), "{err}");
    }
}
