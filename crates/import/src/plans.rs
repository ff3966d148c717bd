//! The plan spreadsheet: one row per (manager, period, metric, target), or
//! managers down and months across as most heads of sales keep it. Headers may
//! be English or Russian; periods are `2026-11`, `12.2026`, `декабрь 2026`,
//! `2026-W48`, `2026-11-26` or `2026-Q4`, and a date Excel made of a month is
//! read by what the other rows use; the team's own plan uses the manager "team"
//! (or «отдел», «Итого»). Any bad cell rejects the whole file, so nothing half-lands.

use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

use calamine::{Data, Reader};
use chrono::{Datelike, NaiveDate};
use tsifra_core::Language;
use tsifra_core::calendar::{Period, PeriodKind};
use tsifra_core::model::{Metric, Plan, Table, User};
use tsifra_core::money::Money;

/// What was wrong with a plan file, cell by cell (at most [`MAX_PROBLEMS`]).
#[derive(Debug, thiserror::Error)]
pub struct PlanImportError {
    pub file: String,
    pub problems: Vec<Problem>,
    /// The language the problems are written in.
    pub lang: Language,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The spreadsheet's own row number (the header is row 1); 0 for the file as a whole.
    pub row: usize,
    /// The column's header as the file has it.
    pub column: String,
    pub message: String,
}

pub const MAX_PROBLEMS: usize = 20;

impl fmt::Display for PlanImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.lang, self.problems.len()) {
            (Language::Ru, n) => write!(f, "{}: ничего не загружено, ошибок: {n}:", self.file)?,
            (Language::En, 1) => write!(f, "{}: nothing imported, 1 problem:", self.file)?,
            (Language::En, n) => write!(f, "{}: nothing imported, {n} problems:", self.file)?,
        }
        for p in &self.problems {
            match (self.lang, p.row) {
                (_, 0) => write!(f, "\n  {}", p.message)?,
                (Language::Ru, row) => write!(f, "\n  строка {row}, столбец «{}»: {}", p.column, p.message)?,
                (Language::En, row) => write!(f, "\n  row {row}, column \"{}\": {}", p.column, p.message)?,
            }
        }
        Ok(())
    }
}

/// The raw plan file: CSV text or an XLSX (or XLS/ODS) workbook's bytes.
pub enum PlanSource<'a> {
    Csv(&'a [u8]),
    /// CSV read as it arrives (a file, wrapped in a progress bar by the caller):
    /// a file of any size is read once, row by row, and never held whole.
    CsvReader(Box<dyn Read + 'a>),
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

/// Header cells of the wide layout that hold no plan of their own: a year's total
/// beside the months is the months' sum, not a target to import.
const TOTAL_COLUMNS: [&str; 7] = ["итого", "всего", "total", "год", "year", "сумма", "sum"];

/// The text in the user's language.
fn say(lang: Language, ru: String, en: String) -> String {
    match lang {
        Language::Ru => ru,
        Language::En => en,
    }
}

fn expected_header(lang: Language) -> &'static str {
    match lang {
        Language::Ru => {
            "нужна строка заголовков: менеджер, период, показатель, план \
             (или менеджеры по строкам и месяцы по столбцам: Менеджер | янв 2027 | фев 2027 | …)"
        }
        Language::En => {
            "expected a header row: manager,period,metric,target \
             (or managers down and months across: Менеджер | янв 2027 | фев 2027 | …)"
        }
    }
}

/// A cell as the file holds it: CSV gives text; a spreadsheet also gives
/// numbers and the dates Excel made of what was typed.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    /// A date the sheet shows as a month and year only (`дек.26`, `mmmm yyyy`): that month.
    Month(NaiveDate),
}

impl Cell {
    fn is_empty(&self) -> bool {
        matches!(self, Cell::Text(t) if t.trim().is_empty())
    }

    /// As the user sees it in the sheet (a date as 01.12.2026).
    fn shown(&self) -> String {
        match self {
            Cell::Text(t) => t.trim().to_string(),
            Cell::Number(n) => n.to_string(),
            Cell::Date(d) => d.format("%d.%m.%Y").to_string(),
            Cell::Month(d) => d.format("%m.%Y").to_string(),
        }
    }
}

/// The rows of a file, one at a time, each with the sheet's own row number (a
/// sheet whose table starts lower down keeps its row numbers in messages); an
/// error ends the file.
type Rows<'a> = Box<dyn Iterator<Item = Result<(usize, Vec<Cell>), String>> + 'a>;

/// Plan years outside this are typing slips (`0000-01`, `-2026-11`, `20226-11`), not plans.
const PLAN_YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

/// A period cell before the other rows are consulted: spelt out, or a bare date
/// that may be a day or stand for the month (or week, quarter) it starts.
#[derive(Clone, Copy, Debug, PartialEq)]
enum PeriodCell {
    Known(Period),
    Date(NaiveDate),
}

/// Parses a plan file into plans with `origin` set to `origin` (the file name or URL),
/// matching managers by name, e-mail or id among `users`; problems are written in `lang`. Two layouts: one row per plan
/// (`manager, period, metric, target`), or managers down and periods across
/// (`Менеджер | янв 2027 | фев 2027 | …`, with an optional metric column, else revenue).
pub fn parse_plans(origin: &str, source: PlanSource, users: &Table<User>, lang: Language) -> Result<Vec<Plan>, PlanImportError> {
    let fail = |message: String| PlanImportError {
        file: origin.to_string(),
        problems: vec![Problem {
            row: 0,
            column: String::new(),
            message,
        }],
        lang,
    };
    let mut rows: Rows = match source {
        PlanSource::Csv(bytes) => read_csv(Box::new(bytes), lang).map_err(fail)?,
        PlanSource::CsvReader(reader) => read_csv(reader, lang).map_err(fail)?,
        PlanSource::Spreadsheet(bytes) => read_sheet(bytes, lang).map_err(fail)?,
    };
    let (header_row, header_cells) = match rows.next() {
        Some(row) => row.map_err(fail)?,
        None => {
            let expected = expected_header(lang);
            return Err(fail(say(
                lang,
                format!("файл пуст; {expected}"),
                format!("the file is empty; {expected}"),
            )));
        }
    };
    let header: Vec<String> = header_cells.iter().map(Cell::shown).collect();
    let mut index = [None; 4];
    for (slot, (_, names)) in index.iter_mut().zip(COLUMNS) {
        *slot = header
            .iter()
            .position(|h| names.contains(&h.trim_start_matches('\u{feff}').trim().to_lowercase().as_str()));
    }
    let mut problems = Problems::default();
    let ctx = Ctx {
        origin,
        managers: Managers::of(users),
        lang,
    };
    let plans = match index {
        [Some(manager), Some(period), Some(metric), Some(target)] => {
            let columns = [manager, period, metric, target];
            long_layout(&ctx, &header, rows, columns, &mut problems)
        }
        // Wide only when some header names a period: else the long layout's message says what is missing.
        [Some(manager), None, metric, _]
            if wide_columns(&header, manager, metric).any(|(i, _)| parse_period(&header_cells[i]).is_some()) =>
        {
            wide_layout(&ctx, (header_row, &header_cells), rows, manager, metric, &mut problems)
        }
        _ => {
            let missing: Vec<&str> = COLUMNS
                .iter()
                .zip(index)
                .filter(|(_, i)| i.is_none())
                .map(|((n, _), _)| *n)
                .collect();
            let (missing, found, expected) = (missing.join(", "), header.join(","), expected_header(lang));
            return Err(fail(say(
                lang,
                format!("нет столбцов {missing}; {expected} (найдены: {found})"),
                format!("missing column(s) {missing}; {expected} (found: {found})"),
            )));
        }
    };
    let plans = match plans {
        Ok(plans) => plans,
        Err(message) => return Err(fail(message)),
    };
    // The same plan twice in one file is a mistake the head of sales wants to
    // hear about. Sorting the plans' positions by (key, row) puts each repeat
    // right after the first row with its key: n log n time, four bytes a plan.
    let key = |i: u32| {
        let (row, _, p) = &plans[i as usize];
        (p.manager_id, p.period.start, p.period.end, p.metric, *row)
    };
    let mut order: Vec<u32> = (0..plans.len() as u32).collect();
    order.sort_unstable_by_key(|&i| key(i));
    let mut first: Option<(u32, usize)> = None;
    for &i in &order {
        let (row, column, p) = &plans[i as usize];
        match first {
            Some((f, first_row)) if plans[f as usize].2.same_target_as(p) => problems.push(
                *row,
                column,
                say(
                    lang,
                    format!("повторяет строку {first_row} (тот же менеджер, период и показатель)"),
                    format!("repeats row {first_row} (same manager, period and metric)"),
                ),
            ),
            _ => first = Some((i, *row)),
        }
    }
    let problems = problems.into_first();
    if problems.is_empty() {
        Ok(plans.into_iter().map(|(_, _, p)| p).collect())
    } else {
        Err(PlanImportError {
            file: origin.to_string(),
            problems,
            lang,
        })
    }
}

/// Problems so far: the first [`MAX_PROBLEMS`] in the file's order (by row;
/// within a row, as found), whatever order the rows were judged in, in
/// bounded memory however many rows are wrong.
#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn push(&mut self, row: usize, column: &str, message: String) {
        self.0.push(Problem {
            row,
            column: column.to_string(),
            message,
        });
        if self.0.len() >= 4 * MAX_PROBLEMS {
            self.keep_first();
        }
    }

    fn keep_first(&mut self) {
        // Stable: a row's problems keep the order they were found in.
        self.0.sort_by_key(|p| p.row);
        self.0.truncate(MAX_PROBLEMS);
    }

    fn into_first(mut self) -> Vec<Problem> {
        self.keep_first();
        self.0
    }
}

/// A parsed plan with its row and the column a repeat of it is reported at.
/// The column's name is shared by all the plans of a column, not copied into each.
type Found = (usize, Rc<str>, Plan);

fn plan(origin: &str, manager_id: Option<i64>, period: Period, metric: Metric, target: i64) -> Plan {
    Plan {
        manager_id,
        period,
        metric,
        target,
        origin: origin.to_string(),
        // The caller stamps the import when it lands.
        imported_at: None,
    }
}

/// What every row is read against: the file, the CRM's users, the user's language.
struct Ctx<'a> {
    origin: &'a str,
    managers: Managers,
    lang: Language,
}

impl Ctx<'_> {
    fn say(&self, ru: String, en: String) -> String {
        say(self.lang, ru, en)
    }

    fn bad_metric(&self, text: &str) -> String {
        self.say(
            format!("нужен показатель: выручка, маржа, сделки или звонки (revenue, margin, won_deals, calls), а здесь {text:?}"),
            format!("expected one of revenue, margin, won_deals, calls, got {text:?}"),
        )
    }
}

/// One row per plan: `manager, period, metric, target`, read as the rows
/// come. A bare date in the period column waits for the end of the file,
/// whose other rows decide whether it is that day or the month it starts.
fn long_layout(ctx: &Ctx, header: &[String], rows: Rows, index: [usize; 4], problems: &mut Problems) -> Result<Vec<Found>, String> {
    let empty = Cell::Text(String::new());
    // Problems name the column as the file's header does.
    let names: Vec<Rc<str>> = index
        .iter()
        .map(|&i| Rc::from(header[i].trim_start_matches('\u{feff}').trim()))
        .collect();
    let mut reading = DateReadingBuilder::default();
    let mut plans: Vec<Found> = Vec::new();
    // (row, its bare date, the index of its plan when the rest of the row was good)
    let mut waiting: Vec<(usize, NaiveDate, Option<usize>)> = Vec::new();
    for row in rows {
        let (row_no, row) = row?;
        if row.iter().all(Cell::is_empty) {
            continue;
        }
        let cell = |i: usize| row.get(index[i]).unwrap_or(&empty);
        let manager = ctx
            .managers
            .find(&cell(0).shown(), ctx.lang)
            .map_err(|e| problems.push(row_no, &names[0], e))
            .ok();
        let period_cell = parse_period(cell(1));
        if let Some(p) = &period_cell {
            reading.see(p);
        } else {
            let text = cell(1).shown();
            problems.push(
                row_no,
                &names[1],
                ctx.say(
                    format!(
                        "нужен период, например 2026-11, 12.2026, декабрь 2026, 2026-W48, 2026-11-26 или 2026-Q4 (год от {} до {}), а здесь {text:?}",
                        PLAN_YEARS.start(),
                        PLAN_YEARS.end()
                    ),
                    format!(
                        "expected a period such as 2026-11, 12.2026, декабрь 2026, 2026-W48, 2026-11-26 or 2026-Q4 (a year from {} to {}), got {text:?}",
                        PLAN_YEARS.start(),
                        PLAN_YEARS.end()
                    ),
                ),
            );
        }
        let metric_text = cell(2).shown();
        let metric = parse_metric(&metric_text);
        if metric.is_none() {
            problems.push(row_no, &names[2], ctx.bad_metric(&metric_text));
        }
        let target = metric.map(|m| parse_target(m, cell(3), ctx.lang));
        if let Some(Err(e)) = &target {
            problems.push(row_no, &names[3], e.clone());
        }
        let (Some(manager_id), Some(metric), Some(Ok(target))) = (manager, metric, target) else {
            if let Some(PeriodCell::Date(d)) = period_cell {
                waiting.push((row_no, d, None));
            }
            continue;
        };
        match period_cell {
            Some(PeriodCell::Known(period)) => plans.push((row_no, names[0].clone(), plan(ctx.origin, manager_id, period, metric, target))),
            Some(PeriodCell::Date(d)) => {
                // A stand-in period until the file's end says what the date means.
                waiting.push((row_no, d, Some(plans.len())));
                let period = Period::containing(PeriodKind::Day, d);
                plans.push((row_no, names[0].clone(), plan(ctx.origin, manager_id, period, metric, target)));
            }
            None => {}
        }
    }
    if waiting.is_empty() {
        return Ok(plans);
    }
    let reading = reading.finish();
    let mut unresolved = Vec::new();
    for (row_no, date, at) in waiting {
        match reading.resolve(PeriodCell::Date(date), Across::Rows, ctx.lang) {
            Ok(period) => {
                if let Some(at) = at {
                    plans[at].2.period = period;
                }
            }
            Err(e) => {
                problems.push(row_no, &names[1], e);
                unresolved.extend(at);
            }
        }
    }
    if !unresolved.is_empty() {
        let mut i = 0;
        plans.retain(|_| {
            i += 1;
            unresolved.binary_search(&(i - 1)).is_err()
        });
    }
    Ok(plans)
}

/// The header cells that name periods in the wide layout: all but the manager,
/// metric and total columns.
fn wide_columns(header: &[String], manager: usize, metric: Option<usize>) -> impl Iterator<Item = (usize, &String)> {
    header.iter().enumerate().filter(move |&(i, h)| {
        i != manager && Some(i) != metric && !h.trim().is_empty() && !TOTAL_COLUMNS.contains(&h.trim().to_lowercase().as_str())
    })
}

/// Managers down, periods across; the metric a column of its own or revenue.
/// An empty cell is a period without a plan.
fn wide_layout(
    ctx: &Ctx,
    (header_row, header): (usize, &[Cell]),
    rows: Rows,
    manager: usize,
    metric: Option<usize>,
    problems: &mut Problems,
) -> Result<Vec<Found>, String> {
    let shown: Vec<String> = header.iter().map(Cell::shown).collect();
    let columns: Vec<(usize, String)> = wide_columns(&shown, manager, metric).map(|(i, h)| (i, h.clone())).collect();
    let header_cells: Vec<Option<PeriodCell>> = columns.iter().map(|(i, _)| parse_period(&header[*i])).collect();
    let reading = DateReading::of(&header_cells);
    let mut periods = Vec::new();
    for ((i, name), cell) in columns.iter().zip(&header_cells) {
        let period = match cell {
            Some(p) => reading
                .resolve(*p, Across::Columns, ctx.lang)
                .map_err(|e| problems.push(header_row, name, e))
                .ok(),
            None => {
                problems.push(
                    header_row,
                    name,
                    ctx.say(
                        format!("в заголовке нужен период, например янв 2027, 01.2027 или 2027-01 (столбец «Итого» пропускается), а здесь {name:?}"),
                        format!("expected a period in the header, such as янв 2027, 01.2027 or 2027-01 (or «Итого», which is skipped), got {name:?}"),
                    ),
                );
                None
            }
        };
        periods.push((*i, Rc::<str>::from(name.as_str()), period));
    }

    let empty = Cell::Text(String::new());
    let mut plans = Vec::new();
    for row in rows {
        let (row_no, row) = row?;
        if row.iter().all(Cell::is_empty) {
            continue;
        }
        let cell = |i: usize| row.get(i).unwrap_or(&empty);
        let manager_id = ctx
            .managers
            .find(&cell(manager).shown(), ctx.lang)
            .map_err(|e| problems.push(row_no, &shown[manager], e))
            .ok();
        let metric = match metric {
            None => Some(Metric::Revenue),
            Some(i) => {
                let text = cell(i).shown();
                let m = parse_metric(&text);
                if m.is_none() {
                    problems.push(row_no, &shown[i], ctx.bad_metric(&text));
                }
                m
            }
        };
        for (i, name, period) in &periods {
            let (i, period) = (*i, *period);
            if cell(i).is_empty() {
                continue;
            }
            let Some(metric) = metric else { continue };
            match parse_target(metric, cell(i), ctx.lang) {
                Err(e) => problems.push(row_no, name, e),
                Ok(target) => {
                    if let (Some(manager_id), Some(period)) = (manager_id, period) {
                        plans.push((row_no, name.clone(), plan(ctx.origin, manager_id, period, metric, target)));
                    }
                }
            }
        }
    }
    Ok(plans)
}

/// How the bare dates of a period column (or header) are read: as the kinds of
/// period the cells written out around them use. A date on the 1st among months
/// is that month; among days, that day.
struct DateReading {
    /// The kinds written out; when every cell is a date, the kind the dates
    /// themselves show (the 1sts of several months: months; any other day: days).
    /// Empty when nothing tells.
    kinds: Vec<PeriodKind>,
}

/// Whether the cells around a date are rows (the long layout) or header columns (the wide one).
#[derive(Clone, Copy)]
enum Across {
    Rows,
    Columns,
}

/// What the period cells seen so far say about reading bare dates, in constant
/// memory: the kinds written out, and of the dates whether all are 1sts and
/// whether they span more than one month.
#[derive(Default)]
struct DateReadingBuilder {
    kinds: Vec<PeriodKind>,
    all_firsts: bool,
    first_month: Option<(i32, u32)>,
    several_months: bool,
}

impl DateReadingBuilder {
    fn see(&mut self, cell: &PeriodCell) {
        match cell {
            PeriodCell::Known(p) if !self.kinds.contains(&p.kind) => self.kinds.push(p.kind),
            PeriodCell::Known(_) => {}
            PeriodCell::Date(d) => {
                let month = (d.year(), d.month());
                match self.first_month {
                    None => {
                        self.first_month = Some(month);
                        self.all_firsts = d.day() == 1;
                    }
                    Some(first) => {
                        self.all_firsts &= d.day() == 1;
                        self.several_months |= first != month;
                    }
                }
            }
        }
    }

    fn finish(self) -> DateReading {
        if !self.kinds.is_empty() || self.first_month.is_none() {
            return DateReading { kinds: self.kinds };
        }
        let kinds = if !self.all_firsts {
            vec![PeriodKind::Day]
        } else if self.several_months {
            vec![PeriodKind::Month]
        } else {
            Vec::new()
        };
        DateReading { kinds }
    }
}

impl DateReading {
    fn of(cells: &[Option<PeriodCell>]) -> DateReading {
        let mut builder = DateReadingBuilder::default();
        for cell in cells.iter().flatten() {
            builder.see(cell);
        }
        builder.finish()
    }

    /// The period a cell stands for.
    fn resolve(&self, cell: PeriodCell, across: Across, lang: Language) -> Result<Period, String> {
        let date = match cell {
            PeriodCell::Known(p) => return Ok(p),
            PeriodCell::Date(d) => d,
        };
        let shown = date.format("%d.%m.%Y");
        let (how_ru, how_en) = (
            "месяц пишите как 12.2026 или декабрь 2026, день — как 2026-12-01 (или задайте ячейкам текстовый формат)",
            "write a month as 12.2026 or декабрь 2026, a day as 2026-12-01 (or format the cells as Text)",
        );
        let (others_ru, others_en) = match across {
            Across::Rows => ("строках", "rows"),
            Across::Columns => ("столбцах", "columns"),
        };
        if self.kinds.is_empty() {
            return Err(say(
                lang,
                format!("дата {shown}, и больше ничего в файле не говорит, этот ли это день или его месяц; {how_ru}"),
                format!("got the date {shown}, and nothing else in the file says whether it means that day or its month; {how_en}"),
            ));
        }
        let fits: Vec<PeriodKind> = self
            .kinds
            .iter()
            .copied()
            .filter(|k| Period::containing(*k, date).start == date)
            .collect();
        let list = |kinds: &[PeriodKind], word: fn(PeriodKind, Language) -> &'static str, join: &str| {
            kinds.iter().map(|k| word(*k, lang)).collect::<Vec<_>>().join(join)
        };
        match fits.as_slice() {
            [kind] => Ok(Period::containing(*kind, date)),
            [] => Err(say(
                lang,
                format!(
                    "дата {shown}, а в остальных {others_ru} {}: нужно {}; {how_ru}",
                    list(&self.kinds, kind_name, " и "),
                    list(&self.kinds, kind_start, " или ")
                ),
                format!(
                    "got the date {shown}, but the other {others_en} are {}: expected {}; {how_en}",
                    list(&self.kinds, kind_name, " and "),
                    list(&self.kinds, kind_start, " or ")
                ),
            )),
            _ => Err(say(
                lang,
                format!(
                    "дата {shown} может значить любой из периодов в остальных {others_ru} ({}); {how_ru}",
                    list(&fits, kind_name, ", ")
                ),
                format!(
                    "got the date {shown}, which could be any of the {} the other {others_en} hold; {how_en}",
                    list(&fits, kind_name, " and ")
                ),
            )),
        }
    }
}

fn kind_name(kind: PeriodKind, lang: Language) -> &'static str {
    match (kind, lang) {
        (PeriodKind::Day, Language::Ru) => "дни",
        (PeriodKind::Week, Language::Ru) => "недели",
        (PeriodKind::Month, Language::Ru) => "месяцы",
        (PeriodKind::Quarter, Language::Ru) => "кварталы",
        (PeriodKind::LastDays(_), Language::Ru) => "отрезки дней",
        (PeriodKind::Day, Language::En) => "days",
        (PeriodKind::Week, Language::En) => "weeks",
        (PeriodKind::Month, Language::En) => "months",
        (PeriodKind::Quarter, Language::En) => "quarters",
        (PeriodKind::LastDays(_), Language::En) => "spans of days",
    }
}

/// What a date must be to stand for a period of this kind.
fn kind_start(kind: PeriodKind, lang: Language) -> &'static str {
    match (kind, lang) {
        (PeriodKind::Day, Language::Ru) => "день",
        (PeriodKind::Week, Language::Ru) => "понедельник (начало недели)",
        (PeriodKind::Month, Language::Ru) => "1-е число месяца (оно читается как этот месяц)",
        (PeriodKind::Quarter, Language::Ru) => "первый день квартала",
        (PeriodKind::LastDays(_), Language::Ru) => "период",
        (PeriodKind::Day, Language::En) => "a day",
        (PeriodKind::Week, Language::En) => "a Monday (the start of its week)",
        (PeriodKind::Month, Language::En) => "the 1st of a month (read as that month)",
        (PeriodKind::Quarter, Language::En) => "the first day of a quarter",
        (PeriodKind::LastDays(_), Language::En) => "a period",
    }
}

/// Month names as a Russian or English sales floor writes them: full, in the
/// genitive ("декабря 2026"), or cut short ("дек", "Dec").
const MONTH_NAMES: [&[&str]; 12] = [
    &["январь", "января", "янв", "january", "jan"],
    &["февраль", "февраля", "фев", "февр", "february", "feb"],
    &["март", "марта", "мар", "march", "mar"],
    &["апрель", "апреля", "апр", "april", "apr"],
    &["май", "мая", "may"],
    &["июнь", "июня", "июн", "june", "jun"],
    &["июль", "июля", "июл", "july", "jul"],
    &["август", "августа", "авг", "august", "aug"],
    &["сентябрь", "сентября", "сен", "сент", "september", "sep", "sept"],
    &["октябрь", "октября", "окт", "october", "oct"],
    &["ноябрь", "ноября", "ноя", "нояб", "november", "nov"],
    &["декабрь", "декабря", "дек", "december", "dec"],
];

fn parse_period(cell: &Cell) -> Option<PeriodCell> {
    let found = match cell {
        Cell::Date(d) => Some(PeriodCell::Date(*d)),
        Cell::Month(d) => Some(PeriodCell::Known(Period::containing(PeriodKind::Month, *d))),
        // 12.2026 typed where the decimal point is a dot arrives as a number.
        Cell::Number(n) => parse_period_text(&n.to_string()),
        Cell::Text(t) => parse_period_text(t),
    }?;
    let start = match found {
        PeriodCell::Known(p) => p.start,
        PeriodCell::Date(d) => d,
    };
    PLAN_YEARS.contains(&start.year()).then_some(found)
}

/// `2026-12` and the other keys, `12.2026`, `декабрь 2026`, `Dec 2026`; `01.12.2026` is a bare date.
fn parse_period_text(text: &str) -> Option<PeriodCell> {
    let text = text.trim();
    if let Some(p) = Period::parse_key(text).or_else(|| Period::parse_key(&text.to_uppercase())) {
        return Some(PeriodCell::Known(p));
    }
    let lower = text.to_lowercase().replace('ё', "е");
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || matches!(c, '.' | '/' | '-' | ','))
        .filter(|w| !w.is_empty() && !matches!(*w, "г" | "год" | "года"))
        .collect();
    let number = |w: &str, digits: std::ops::RangeInclusive<usize>| {
        (digits.contains(&w.len()) && w.bytes().all(|b| b.is_ascii_digit()))
            .then(|| w.parse::<u32>().ok())
            .flatten()
    };
    let month_start = |year: u32, month: u32| {
        NaiveDate::from_ymd_opt(year as i32, month, 1).map(|d| PeriodCell::Known(Period::containing(PeriodKind::Month, d)))
    };
    match words.as_slice() {
        [month, year] => {
            let year = number(year, 4..=4)?;
            match number(month, 1..=2) {
                Some(m) => month_start(year, m),
                None => {
                    let m = MONTH_NAMES.iter().position(|names| names.contains(month))?;
                    month_start(year, m as u32 + 1)
                }
            }
        }
        [day, month, year] => {
            let date = NaiveDate::from_ymd_opt(number(year, 4..=4)? as i32, number(month, 1..=2)?, number(day, 1..=2)?)?;
            Some(PeriodCell::Date(date))
        }
        _ => None,
    }
}

/// The CSV's rows as they are read, in constant memory. The delimiter is
/// judged from the first line: Excel in Russian locales writes `;`.
fn read_csv<'a>(reader: Box<dyn Read + 'a>, lang: Language) -> Result<Rows<'a>, String> {
    let mut reader = BufReader::with_capacity(1 << 16, reader);
    let start = reader
        .fill_buf()
        .map_err(|e| say(lang, format!("файл не читается: {e}"), format!("cannot read the file: {e}")))?;
    let first_line = start.split(|&b| b == b'\n').next().unwrap_or(b"");
    let count = |c: u8| first_line.iter().filter(|&&b| b == c).count();
    let delimiter = if count(b';') > count(b',') { b';' } else { b',' };
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let mut row_no = 0;
    let mut failed = false;
    Ok(Box::new(std::iter::from_fn(move || {
        if failed {
            return None;
        }
        row_no += 1;
        let row = match csv.read_byte_record(&mut record) {
            Ok(false) => return None,
            Ok(true) => record
                .iter()
                .map(|field| match std::str::from_utf8(field) {
                    Ok(text) => Ok(Cell::Text(text.to_string())),
                    Err(e) => {
                        let at = record.position().map_or(0, |p| p.byte()) as usize + e.valid_up_to();
                        Err(say(
                            lang,
                            format!("строка {row_no} — не текст в UTF-8 (около байта {at}); сохраните CSV в кодировке UTF-8"),
                            format!("row {row_no} is not UTF-8 text (near byte {at}); save the CSV as UTF-8"),
                        ))
                    }
                })
                .collect::<Result<Vec<Cell>, String>>()
                .map(|cells| (row_no, cells)),
            Err(e) => Err(say(lang, format!("файл не читается как CSV: {e}"), format!("not valid CSV: {e}"))),
        };
        failed = row.is_err();
        Some(row)
    })))
}

/// The first sheet's rows. A workbook is read whole (it is compressed, and
/// its cells may sit anywhere in the file), then handed out row by row.
/// Reads the first sheet. The XLSX reader is a large parser of untrusted
/// ZIP and XML; a panic in it (fuzzing found an overflowing cell reference)
/// is a file that cannot be read, not a crash of the server or the command.
fn read_sheet<'a>(bytes: &[u8], lang: Language) -> Result<Rows<'a>, String> {
    std::panic::catch_unwind(|| read_sheet_unguarded(bytes, lang)).unwrap_or_else(|_| {
        Err(say(
            lang,
            "файл не читается как таблица: он повреждён".into(),
            "not a readable spreadsheet: the file is damaged".into(),
        ))
    })
}

fn read_sheet_unguarded<'a>(bytes: &[u8], lang: Language) -> Result<Rows<'a>, String> {
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| {
        say(
            lang,
            format!("файл не читается как таблица: {e}"),
            format!("not a readable spreadsheet: {e}"),
        )
    })?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| say(lang, "в книге нет листов".into(), "the workbook has no sheets".into()))?
        .map_err(|e| {
            say(
                lang,
                format!("первый лист не читается: {e}"),
                format!("the first sheet cannot be read: {e}"),
            )
        })?;
    let (top, left) = range.start().unwrap_or((0, 0));
    // Number formats tell a month Excel stored as its 1st (shown as дек.26) from a day.
    let styles = book.sheet_names().first().and_then(|name| book.worksheet_style(name).ok());
    let month_only = |r: usize, c: usize| {
        styles
            .as_ref()
            .and_then(|s| s.get((top + r as u32, left + c as u32)))
            .and_then(|style| style.number_format.as_ref())
            .is_some_and(|f| shows_month_not_day(&f.format_code))
    };
    let first_row = top as usize + 1;
    let rows: Vec<(usize, Vec<Cell>)> = range
        .rows()
        .enumerate()
        .map(|(r, row)| {
            let cells = row
                .iter()
                .enumerate()
                .map(|(c, cell)| match cell {
                    Data::DateTime(dt) if dt.is_datetime() && month_only(r, c) => dt
                        .as_datetime()
                        .map_or_else(|| Cell::Text(dt.to_string()), |d| Cell::Month(d.date())),
                    Data::Empty => Cell::Text(String::new()),
                    Data::String(s) => Cell::Text(s.clone()),
                    Data::Int(i) => Cell::Number(*i as f64),
                    Data::Float(f) => Cell::Number(*f),
                    Data::Bool(b) => Cell::Text(b.to_string()),
                    Data::DateTime(dt) if dt.is_datetime() => dt
                        .as_datetime()
                        .map_or_else(|| Cell::Text(dt.to_string()), |d| Cell::Date(d.date())),
                    Data::DateTimeIso(s) => chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
                        .map(|d| d.date())
                        .or_else(|_| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
                        .map_or_else(|_| Cell::Text(s.clone()), Cell::Date),
                    other => Cell::Text(other.to_string()),
                })
                .collect();
            (first_row + r, cells)
        })
        .collect();
    Ok(Box::new(rows.into_iter().map(Ok)))
}

/// Whether an Excel number format shows a month and year but no day (`mmm.yy`,
/// `[$-419]mmmm yyyy;@`); quoted text and `[...]` sections are not format letters.
fn shows_month_not_day(code: &str) -> bool {
    let first = code.split(';').next().unwrap_or("");
    let (mut quoted, mut bracket, mut escaped) = (false, false, false);
    let mut letters = String::new();
    for ch in first.chars() {
        match ch {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            _ if quoted || bracket => {}
            c => letters.push(c.to_ascii_lowercase()),
        }
    }
    letters.contains('m') && letters.contains('y') && !letters.contains('d') && !letters.contains('h')
}

fn normalize(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .replace('ё', "е")
}

/// The CRM's users by what a plan file may call them: name (spaces and case
/// and ё as typed do not matter), e-mail, id. Built once per file, so each
/// row is a lookup, not a pass over every user.
struct Managers {
    by_key: HashMap<String, Vec<i64>>,
}

impl Managers {
    fn of(users: &Table<User>) -> Managers {
        let mut by_key: HashMap<String, Vec<i64>> = HashMap::new();
        for u in users.iter() {
            let mut keys = vec![normalize(&u.name), u.id.to_string()];
            keys.extend(u.email.as_deref().map(str::to_lowercase));
            keys.sort();
            keys.dedup();
            for key in keys {
                by_key.entry(key).or_default().push(u.id);
            }
        }
        Managers { by_key }
    }

    /// `Ok(None)` is the team's own plan.
    fn find(&self, text: &str, lang: Language) -> Result<Option<i64>, String> {
        let wanted = normalize(text);
        if wanted.is_empty() {
            return Err(say(
                lang,
                "пусто; нужно имя менеджера как в CRM или «отдел»".into(),
                "empty; expected a manager's name as in the CRM, or \"team\"".into(),
            ));
        }
        // A wide sheet's bottom row «Итого» is the department's own plan.
        if ["team", "отдел", "команда", "все", "*", "итого", "всего", "total"].contains(&wanted.as_str()) {
            return Ok(None);
        }
        let matches = self.by_key.get(&wanted).map_or(&[][..], Vec::as_slice);
        match matches {
            [one] => Ok(Some(*one)),
            [] => Err(say(
                lang,
                format!("неизвестный менеджер {text:?}; нужно имя, e-mail или id пользователя CRM, или «отдел»"),
                format!("unknown manager {text:?}; expected a name, e-mail or id of a CRM user, or \"team\""),
            )),
            many => Err(say(
                lang,
                format!("{text:?} подходит нескольким пользователям ({}); укажите e-mail или id", many.len()),
                format!("{text:?} matches {} users; use the e-mail or id instead", many.len()),
            )),
        }
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

/// A target as typed: `1500000`, `1 500 000 ₽`, `1 500 000,50 руб.` (spaces or
/// no-break spaces between thousands), or a number cell.
fn parse_target(metric: Metric, cell: &Cell, lang: Language) -> Result<i64, String> {
    let text = match cell {
        // A formula's result can carry float noise below the kopeck.
        Cell::Number(n) if metric.is_money() => format!("{n:.2}"),
        other => other.shown(),
    };
    if metric.is_money() {
        let mut amount = text.trim().to_lowercase();
        for suffix in ["₽", "руб.", "руб", "р.", "rub"] {
            if let Some(rest) = amount.trim_end().strip_suffix(suffix) {
                amount = rest.to_string();
                break;
            }
        }
        match Money::parse(&amount) {
            Some(m) if m.minor() >= 0 => Ok(m.minor()),
            Some(_) => Err(say(
                lang,
                format!("нужна сумма не меньше нуля, а здесь {text:?}"),
                format!("expected an amount of zero or more, got {text:?}"),
            )),
            None if tsifra_core::money::looks_numeric(&amount) => Err(say(
                lang,
                format!("сумма {text:?} больше любой возможной (не больше 92 233 720 368 547 758,07)"),
                format!("the amount {text:?} is larger than any possible one (at most 92,233,720,368,547,758.07)"),
            )),
            None => Err(say(
                lang,
                format!("нужна сумма, например 1500000, 1 500 000 ₽ или 1 500 000,50, а здесь {text:?}"),
                format!("expected an amount such as 1500000, 1 500 000 ₽ or 1 500 000,50, got {text:?}"),
            )),
        }
    } else {
        let cleaned: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let cleaned = cleaned.strip_suffix(".0").unwrap_or(&cleaned);
        match cleaned.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n),
            _ => Err(say(
                lang,
                format!("нужно целое число не меньше нуля, а здесь {text:?}"),
                format!("expected a whole number of zero or more, got {text:?}"),
            )),
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
        let plans = parse_plans("plans.csv", PlanSource::Csv(csv.as_bytes()), &users(), Language::En).unwrap();
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
        let err = parse_plans("plans.csv", PlanSource::Csv(csv.as_bytes()), &users(), Language::En).unwrap_err();
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
        let err = parse_plans("p.csv", PlanSource::Csv(b"manager,period,target\n"), &users(), Language::En).unwrap_err();
        assert!(err.to_string().contains("missing column(s) metric"), "{err}");
        let err = parse_plans("p.csv", PlanSource::Csv(b""), &users(), Language::En).unwrap_err();
        assert!(err.to_string().contains("empty"), "{err}");
        let err = parse_plans("p.csv", PlanSource::Csv(b"\xff\xfe"), &users(), Language::En).unwrap_err();
        assert!(err.to_string().contains("UTF-8"), "{err}");
    }

    #[test]
    fn a_target_larger_than_any_amount_is_named_and_the_largest_one_kept() {
        let csv = "manager,period,metric,target\n\
                   Анна Смирнова,2026-11,revenue,92233720368547758.07\n\
                   team,2026-11,revenue,1 000 000 000 000 000 000 000 000 000 ₽\n";
        let err = parse_plans("p.csv", PlanSource::Csv(csv.as_bytes()), &users(), Language::Ru).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("p.csv") && text.contains("строка 3, столбец «target»: сумма") && text.contains("больше любой возможной"),
            "{text}"
        );
        let csv = "manager,period,metric,target\nАнна Смирнова,2026-11,revenue,92233720368547758.07\n";
        let plans = parse_plans("p.csv", PlanSource::Csv(csv.as_bytes()), &users(), Language::Ru).unwrap();
        assert_eq!(plans[0].target, i64::MAX);
    }

    #[test]
    fn duplicates_within_a_file_are_refused() {
        let csv = "manager,period,metric,target\nАнна Смирнова,2026-11,revenue,1\nanna@example.ru,2026-11,revenue,2\n";
        let err = parse_plans("p.csv", PlanSource::Csv(csv.as_bytes()), &users(), Language::En).unwrap_err();
        assert!(err.to_string().contains("row 3, column \"manager\": repeats row 2"), "{err}");
    }

    /// Managers × metrics × days: `n` distinct plans, one per row.
    fn long_file(n: usize) -> String {
        let managers = ["Анна Смирнова", "борис ёлкин", "vera@example.ru", "team"];
        let metrics = ["revenue", "margin", "won_deals", "calls"];
        let first = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        let mut csv = String::from("manager,period,metric,target\n");
        for i in 0..n {
            let day = first + chrono::Days::new((i / 16) as u64);
            csv.push_str(&format!(
                "{},{},{},{}\n",
                managers[i % 4],
                day.format("%Y-%m-%d"),
                metrics[(i / 4) % 4],
                i + 1
            ));
        }
        csv
    }

    #[test]
    fn a_repeat_far_down_the_file_names_both_rows() {
        let mut csv = long_file(20_000);
        // Row 7 (the header is row 1) is plan number 5; repeat it as the last row.
        let repeated = csv.lines().nth(6).unwrap().to_string();
        csv.push_str(&repeated.replace(",6\n", ",7"));
        csv.push('\n');
        let err = parse_plans("p.csv", PlanSource::Csv(csv.as_bytes()), &users(), Language::Ru).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{err}");
        assert_eq!(err.problems[0].row, 20_002);
        assert!(
            err.to_string().contains("строка 20002, столбец «manager»: повторяет строку 7"),
            "{err}"
        );
        // Without the repeat every row is a plan.
        let plans = parse_plans("p.csv", PlanSource::Csv(long_file(20_000).as_bytes()), &users(), Language::Ru).unwrap();
        assert_eq!(plans.len(), 20_000);
    }

    #[test]
    fn years_no_plan_can_have_are_refused() {
        for period in [
            "0000-01",
            "-2026-11",
            "0000-W01",
            "-2026-Q4",
            "20226-11",
            "0000-01-01",
            "01.01.0001",
            "12.1899",
            "-2026-11-01",
        ] {
            let csv = format!("manager,period,metric,target\nАнна Смирнова,2026-11,revenue,1\nВера Ким,{period},revenue,1\n");
            let err = parse_plans("p.csv", PlanSource::Csv(csv.as_bytes()), &users(), Language::Ru)
                .expect_err(&format!("{period} is not a plan period"));
            assert_eq!(
                err.problems.iter().map(|p| (p.row, p.column.as_str())).collect::<Vec<_>>(),
                vec![(3, "period")],
                "{period}: {err}"
            );
            assert!(err.to_string().contains(&format!("а здесь {period:?}")), "{err}");
            assert!(err.to_string().contains("год от 1990 до 2100"), "{err}");
        }
        // The wide layout's headers too.
        let csv = "Менеджер,0000-01,2027-02\nАнна Смирнова,1,2\n";
        let err = parse_plans("p.csv", PlanSource::Csv(csv.as_bytes()), &users(), Language::En).unwrap_err();
        assert_eq!(err.problems[0].column, "0000-01", "{err}");
    }

    #[test]
    fn a_streamed_file_reads_as_the_same_bytes_do() {
        let csv = format!("{}\nВера Ким;01.12.2026;выручка;5\n", long_file(3_000).replace(',', ";"));
        let csv = csv.replacen("\n\n", "\n", 1);
        let whole = parse_plans("p.csv", PlanSource::Csv(csv.as_bytes()), &users(), Language::Ru).unwrap();
        let streamed = parse_plans(
            "p.csv",
            PlanSource::CsvReader(Box::new(std::io::Cursor::new(csv.clone().into_bytes()))),
            &users(),
            Language::Ru,
        )
        .unwrap();
        assert_eq!(whole, streamed);
        assert_eq!(whole.len(), 3_001);
        // The bare date among days is that day, decided after the whole file was read.
        assert_eq!(whole[3_000].period.key(), "2026-12-01");
        // Bytes that are not UTF-8 far into the file: the row is named.
        let mut bad = long_file(2_000).into_bytes();
        let at = bad.len() - 3;
        bad[at] = 0xff;
        let err = parse_plans("p.csv", PlanSource::CsvReader(Box::new(&bad[..])), &users(), Language::Ru).unwrap_err();
        assert!(err.to_string().contains("строка 2001 — не текст в UTF-8"), "{err}");
    }

    #[test]
    fn the_first_problems_are_listed_in_the_files_order() {
        let mut csv = String::from("manager,period,metric,target\n");
        for i in 0..500 {
            // Every row is wrong twice: an unknown manager and a bare date nothing can place.
            csv.push_str(&format!("Никто {i},01.12.2026,revenue,1\n"));
        }
        let err = parse_plans("p.csv", PlanSource::Csv(csv.as_bytes()), &users(), Language::En).unwrap_err();
        assert_eq!(err.problems.len(), MAX_PROBLEMS);
        let got: Vec<(usize, &str)> = err.problems.iter().map(|p| (p.row, p.column.as_str())).collect();
        let expected: Vec<(usize, &str)> = (2..12).flat_map(|row| [(row, "manager"), (row, "period")]).collect();
        assert_eq!(got, expected);
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
        let plans = parse_plans("plans.xlsx", PlanSource::detect("plans.xlsx", &bytes), &users(), Language::En).unwrap();
        assert_eq!(plans.len(), 2);
        assert_eq!((plans[0].period.key(), plans[0].target), ("2026-12".to_string(), 200_000_000));
        // Excel turned the month into a date; the other row is a month, so it is December's plan.
        assert_eq!((plans[1].period.key(), plans[1].target), ("2026-12".to_string(), 40));
        let err = parse_plans(
            "bad.xlsx",
            PlanSource::detect("bad.xlsx", b"PK\x03\x04garbage"),
            &users(),
            Language::En,
        )
        .unwrap_err();
        assert!(err.to_string().contains("not a readable spreadsheet"), "{err}");
    }

    /// An XLSX of `rows`, where a cell is text, a number (`N:`), or a real Excel date shown
    /// as a day (`D:dd.mm.yyyy`) or as a month (`M:dd.mm.yyyy`).
    fn xlsx(rows: &[&[&str]]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let date_format = rust_xlsxwriter::Format::new().set_num_format("dd.mm.yyyy");
        // What Russian Excel makes of a typed "12.2026": the 1st of December, shown as дек.26.
        let month_format = rust_xlsxwriter::Format::new().set_num_format("[$-419]mmm.yy;@");
        for (r, row) in rows.iter().enumerate() {
            for (c, text) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                if let Some((format, date)) = text
                    .strip_prefix("D:")
                    .map(|d| (&date_format, d))
                    .or_else(|| text.strip_prefix("M:").map(|d| (&month_format, d)))
                {
                    let d = NaiveDate::parse_from_str(date, "%d.%m.%Y").unwrap();
                    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).unwrap();
                    sheet.write_datetime_with_format(r, c, &date, format).unwrap();
                } else if let Some(n) = text.strip_prefix("N:") {
                    sheet.write_number(r, c, n.parse::<f64>().unwrap()).unwrap();
                } else if !text.is_empty() {
                    sheet.write_string(r, c, *text).unwrap();
                }
            }
        }
        book.save_to_buffer().unwrap()
    }

    fn parse_xlsx(rows: &[&[&str]]) -> Result<Vec<Plan>, PlanImportError> {
        let bytes = xlsx(rows);
        parse_plans("plans.xlsx", PlanSource::detect("plans.xlsx", &bytes), &users(), Language::En)
    }

    fn keys(plans: &[Plan]) -> Vec<(Option<i64>, String, &'static str, i64)> {
        plans
            .iter()
            .map(|p| (p.manager_id, p.period.key(), p.metric.as_str(), p.target))
            .collect()
    }

    #[test]
    fn a_date_in_a_column_of_months_is_its_month() {
        let plans = parse_xlsx(&[
            &["Менеджер", "Период", "Показатель", "План"],
            &["Анна Смирнова", "2026-12", "выручка", "N:100"],
            &["Вера Ким", "D:01.12.2026", "выручка", "N:200"],
            &["Борис Ёлкин", "декабрь 2026", "звонки", "N:40"],
        ])
        .unwrap();
        assert_eq!(plans[1].period.key(), "2026-12");
        assert_eq!(plans[1].period.kind, PeriodKind::Month);
        // A whole column of dates on the 1st of several months (Excel converted every "12.2026"): months.
        let plans = parse_xlsx(&[
            &["manager", "period", "metric", "target"],
            &["Вера Ким", "D:01.12.2026", "revenue", "N:1"],
            &["Вера Ким", "D:01.01.2027", "revenue", "N:2"],
        ])
        .unwrap();
        assert_eq!(plans.iter().map(|p| p.period.key()).collect::<Vec<_>>(), vec!["2026-12", "2027-01"]);
        // Among days a date is a day, and dates not on the 1st are days.
        let plans = parse_xlsx(&[
            &["manager", "period", "metric", "target"],
            &["Вера Ким", "2026-12-02", "calls", "N:5"],
            &["Вера Ким", "D:01.12.2026", "calls", "N:5"],
            &["Анна Смирнова", "D:01.12.2026", "calls", "N:5"],
            &["Анна Смирнова", "D:03.12.2026", "calls", "N:5"],
        ])
        .unwrap();
        assert!(plans.iter().all(|p| p.period.kind == PeriodKind::Day), "{plans:?}");
    }

    #[test]
    fn a_date_the_sheet_shows_as_a_month_is_that_month() {
        let plans = parse_xlsx(&[
            &["manager", "period", "metric", "target"],
            &["Анна Смирнова", "M:01.12.2026", "revenue", "N:100"],
            &["Вера Ким", "M:01.12.2026", "revenue", "N:200"],
        ])
        .unwrap();
        assert!(plans.iter().all(|p| p.period.key() == "2026-12"), "{plans:?}");
        let plans = parse_xlsx(&[&["Менеджер", "M:01.01.2027"], &["Вера Ким", "N:5"]]).unwrap();
        assert_eq!(plans[0].period.key(), "2027-01");
        assert!(shows_month_not_day("mmmm yyyy") && shows_month_not_day("MMM-YY"));
        assert!(!shows_month_not_day("dd.mm.yyyy") && !shows_month_not_day("[$-F800]dddd, mmmm dd, yyyy"));
        assert!(!shows_month_not_day("h:mm") && !shows_month_not_day("General"));
    }

    #[test]
    fn a_date_that_cannot_be_read_is_refused_naming_file_row_column_and_value() {
        let err = parse_xlsx(&[
            &["manager", "period", "metric", "target"],
            &["Анна Смирнова", "12.2026", "revenue", "N:100"],
            &["Вера Ким", "D:15.12.2026", "revenue", "N:200"],
            &["Борис Ёлкин", "2026-13", "revenue", "N:1"],
        ])
        .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("plans.xlsx: nothing imported, 2 problems:"), "{text}");
        assert!(
            text.contains("row 3, column \"period\": got the date 15.12.2026, but the other rows are months: expected the 1st of a month"),
            "{text}"
        );
        assert!(
            text.contains("row 4, column \"period\": expected a period such as 2026-11, 12.2026"),
            "{text}"
        );
        // One date on a 1st and nothing else to go by: a day or its month? Asked, not guessed.
        let err = parse_xlsx(&[
            &["manager", "period", "metric", "target"],
            &["Анна Смирнова", "D:01.12.2026", "revenue", "N:100"],
            &["Вера Ким", "D:01.12.2026", "revenue", "N:200"],
        ])
        .unwrap_err();
        assert_eq!(err.problems.len(), 2);
        assert!(
            err.problems[0].message.contains("01.12.2026") && err.problems[0].message.contains("12.2026 or декабрь 2026"),
            "{err}"
        );
    }

    #[test]
    fn months_and_amounts_as_a_russian_head_of_sales_writes_them() {
        let csv = "Менеджер;Период;Показатель;План\n\
                   Анна Смирнова;12.2026;выручка;1 500 000 ₽\n\
                   Анна Смирнова;декабрь 2026;маржа;1\u{a0}500\u{a0}000,50\n\
                   Анна Смирнова;Январь 2027;выручка;2\u{202f}000\u{202f}000 руб.\n\
                   Борис Ёлкин;дек 2026;выручка;300000\n\
                   Борис Ёлкин;Dec. 2027;выручка;1\n\
                   Вера Ким;February 2027;выручка;2\n\
                   Вера Ким;3.2027;звонки;1 200\n\
                   Вера Ким;ДЕКАБРЯ 2026 г.;выручка;3\n";
        let plans = parse_plans("plans.csv", PlanSource::Csv(csv.as_bytes()), &users(), Language::En).unwrap();
        assert_eq!(
            keys(&plans),
            vec![
                (Some(1), "2026-12".into(), "revenue", 150_000_000),
                (Some(1), "2026-12".into(), "margin", 150_000_050),
                (Some(1), "2027-01".into(), "revenue", 200_000_000),
                (Some(2), "2026-12".into(), "revenue", 30_000_000),
                (Some(2), "2027-12".into(), "revenue", 100),
                (Some(3), "2027-02".into(), "revenue", 200),
                (Some(3), "2027-03".into(), "calls", 1_200),
                (Some(3), "2026-12".into(), "revenue", 300),
            ]
        );
        let csv =
            "manager,period,metric,target\nВера Ким,дек 26,revenue,1\nВера Ким,13.2026,revenue,1\nВера Ким,2026-12,revenue,1.500.000\n";
        let err = parse_plans("p.csv", PlanSource::Csv(csv.as_bytes()), &users(), Language::En).unwrap_err();
        let got: Vec<(usize, &str)> = err.problems.iter().map(|p| (p.row, p.column.as_str())).collect();
        assert_eq!(got, vec![(2, "period"), (3, "period"), (4, "target")], "{err}");
    }

    #[test]
    fn wide_layout_managers_down_months_across() {
        // Text months, the metric defaulting to revenue, a total column skipped, an empty cell no plan,
        // and the bottom «Итого» row as the department's own plan.
        let plans = parse_xlsx(&[
            &["Менеджер", "янв 2027", "фев 2027", "мар 2027", "Итого"],
            &["Анна Смирнова", "N:1000000", "1 200 000 ₽", "", "N:2200000"],
            &["Вера Ким", "N:500000", "N:600000", "N:700000", "N:1800000"],
            &["Итого", "N:1500000", "N:1800000", "N:700000", "N:4000000"],
        ])
        .unwrap();
        assert_eq!(plans.len(), 8);
        assert_eq!(
            keys(&plans[..3]),
            vec![
                (Some(1), "2027-01".into(), "revenue", 100_000_000),
                (Some(1), "2027-02".into(), "revenue", 120_000_000),
                (Some(3), "2027-01".into(), "revenue", 50_000_000),
            ]
        );
        assert_eq!(keys(&plans[7..]), vec![(None, "2027-03".into(), "revenue", 70_000_000)]);

        // Months across as real Excel dates (on the 1st) or as 01.2027, with a metric column.
        let plans = parse_xlsx(&[
            &["Менеджер", "Показатель", "D:01.01.2027", "D:01.02.2027", "03.2027"],
            &["Анна Смирнова", "звонки", "N:400", "N:420", "N:440"],
            &["Анна Смирнова", "выручка", "N:1000000", "", ""],
        ])
        .unwrap();
        assert_eq!(
            keys(&plans),
            vec![
                (Some(1), "2027-01".into(), "calls", 400),
                (Some(1), "2027-02".into(), "calls", 420),
                (Some(1), "2027-03".into(), "calls", 440),
                (Some(1), "2027-01".into(), "revenue", 100_000_000),
            ]
        );
        // The same layout from CSV.
        let csv = "Менеджер;01.2027;02.2027\nВера Ким;100 000;200 000\n";
        let plans = parse_plans("p.csv", PlanSource::Csv(csv.as_bytes()), &users(), Language::En).unwrap();
        assert_eq!(keys(&plans)[1], (Some(3), "2027-02".into(), "revenue", 20_000_000));
    }

    #[test]
    fn wide_layout_lists_every_bad_cell() {
        let err = parse_xlsx(&[
            &["Менеджер", "янв 2027", "D:15.02.2027", "Отдел"],
            &["Анна Смирнова", "много", "N:1", ""],
            &["Дмитрий", "N:1", "N:1", ""],
            &["Вера Ким", "N:1", "N:2", ""],
        ])
        .unwrap_err();
        let got: Vec<(usize, &str)> = err.problems.iter().map(|p| (p.row, p.column.as_str())).collect();
        assert_eq!(
            got,
            vec![(1, "15.02.2027"), (1, "Отдел"), (2, "янв 2027"), (3, "Менеджер")],
            "{err}"
        );
        let text = err.to_string();
        assert!(
            text.contains("row 1, column \"15.02.2027\": got the date 15.02.2027, but the other columns are months"),
            "{text}"
        );
        assert!(text.contains("row 2, column \"янв 2027\": expected an amount"), "{text}");
        let err = parse_plans(
            "p.csv",
            PlanSource::Csv("Менеджер;Отдел\nВера Ким;1\n".as_bytes()),
            &users(),
            Language::En,
        )
        .unwrap_err();
        assert!(err.to_string().contains("missing column(s) period, metric, target"), "{err}");
    }

    #[test]
    fn problems_are_written_in_russian_by_default_naming_the_column_as_the_file_does() {
        let csv = "Менеджер;Период;Показатель;План\nАнна Смирнова;12.2026;выручка;100\nВера Ким;15.12.2026;выручка;1 000 р.\nДмитрий;12.2026;прибыль;много\n";
        let err = parse_plans("план.csv", PlanSource::Csv(csv.as_bytes()), &users(), Language::Ru).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("план.csv: ничего не загружено, ошибок: 3:"), "{text}");
        assert!(
            text.contains(
                "строка 3, столбец «Период»: дата 15.12.2026, а в остальных строках месяцы: нужно 1-е число месяца (оно читается как этот месяц)"
            ),
            "{text}"
        );
        assert!(
            text.contains("строка 4, столбец «Менеджер»: неизвестный менеджер \"Дмитрий\""),
            "{text}"
        );
        assert!(text.contains("строка 4, столбец «План»: нужна сумма"), "{text}");
    }
}
