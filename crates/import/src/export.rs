//! Report tables out as files: CSV (raw values) and XLSX (typed cells, so
//! amounts stay numbers a spreadsheet can sum, and dates stay dates), laid out
//! for the workspace's language the way Russian Excel opens them right.

use rust_xlsxwriter::{ExcelDateTime, Format, Url, Workbook, Worksheet, XlsxError};
use tsifra_core::calendar::BusinessCalendar;
use tsifra_core::i18n::{Language, currency_symbol};
use tsifra_core::reports::tabular::{Cell, Table};

/// Columns are fitted to what the first rows hold (fitting every row of a
/// 50 000-row sheet costs more than it shows), and never wider than this.
const FIT_ROWS: u32 = 2_000;
const FIT_MAX_PIXELS: u32 = 420;
/// Excel keeps at most 65 530 links a sheet; past it a record's name is plain text.
const MAX_LINKS: usize = 65_530;

/// The number formats of one workbook, in the workspace's language.
struct Formats {
    header: Format,
    money: Format,
    percent: Format,
    decimal: Format,
    date: Format,
    date_time: Format,
}

impl Formats {
    fn new(lang: Language, currency: &str) -> Formats {
        // The symbol as a literal, the minus a real minus sign: "−1 234,50 ₽".
        let symbol = currency_symbol(currency).replace('"', "");
        let money = match lang {
            Language::Ru => format!("#,##0.00\\ \"{symbol}\";\"−\"#,##0.00\\ \"{symbol}\""),
            Language::En => format!("\"{symbol}\"#,##0.00;\"-{symbol}\"#,##0.00"),
        };
        let (date, date_time, percent) = match lang {
            Language::Ru => ("dd.mm.yyyy", "dd.mm.yyyy hh:mm", "0.0\\ \"%\""),
            Language::En => ("yyyy-mm-dd", "yyyy-mm-dd hh:mm", "0.0\"%\""),
        };
        Formats {
            header: Format::new().set_bold(),
            money: Format::new().set_num_format(money),
            percent: Format::new().set_num_format(percent),
            decimal: Format::new().set_num_format("0.0"),
            date: Format::new().set_num_format(date),
            date_time: Format::new().set_num_format(date_time),
        }
    }
}

/// One sheet per table, named after its title: the header bold, frozen and
/// filterable, columns fitted; money as numbers in the currency's format,
/// dates as dates, the CRM's links as links, and its text always text (a
/// company named `=HYPERLINK(...)` is a name here, never a formula).
pub fn to_xlsx(tables: &[Table], cal: &BusinessCalendar, lang: Language, currency: &str) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let formats = Formats::new(lang, currency);
    let mut names: Vec<String> = Vec::new();
    for table in tables {
        let sheet = book.add_worksheet();
        let name = sheet_name(&table.title, &table.id, &names);
        sheet.set_name(&name)?;
        names.push(name);
        write_table(sheet, table, cal, &formats)?;
    }
    book.save_to_buffer()
}

fn write_table(sheet: &mut Worksheet, table: &Table, cal: &BusinessCalendar, f: &Formats) -> Result<(), XlsxError> {
    for (c, title) in table.columns.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, title, &f.header)?;
    }
    let mut links = 0;
    for (r, row) in table.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Empty => {}
                Cell::Text(s) => drop(sheet.write_string(r, c, s)?),
                Cell::Int(n) => drop(sheet.write_number(r, c, *n as f64)?),
                Cell::Money(m) => drop(sheet.write_number_with_format(r, c, *m as f64 / 100.0, &f.money)?),
                Cell::Percent(p) => drop(sheet.write_number_with_format(r, c, *p, &f.percent)?),
                Cell::Decimal(p) => drop(sheet.write_number_with_format(r, c, *p, &f.decimal)?),
                Cell::Date(d) => drop(sheet.write_datetime_with_format(r, c, excel_date(*d)?, &f.date)?),
                Cell::Instant(t) => {
                    // The business's wall clock: what the CRM showed the manager.
                    let local = cal.local_time(*t).naive_local();
                    let excel = excel_date(local.date())?.and_hms(
                        chrono::Timelike::hour(&local) as u16,
                        chrono::Timelike::minute(&local) as u8,
                        chrono::Timelike::second(&local),
                    )?;
                    sheet.write_datetime_with_format(r, c, &excel, &f.date_time)?;
                }
                Cell::Link { text, url } => {
                    links += 1;
                    // A link Excel cannot hold (too long, too many) is still the record's name.
                    let linked = links <= MAX_LINKS && sheet.write_url_with_text(r, c, Url::new(url.as_str()), text.as_str()).is_ok();
                    if !linked {
                        sheet.write_string(r, c, text)?;
                    }
                }
            }
        }
    }
    let last_row = table.rows.len() as u32;
    if !table.columns.is_empty() {
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofilter(0, 0, last_row, table.columns.len() as u16 - 1)?;
    }
    sheet.set_autofit_max_row(FIT_ROWS.min(last_row));
    sheet.set_autofit_max_width(FIT_MAX_PIXELS);
    sheet.autofit();
    // The notes under the table, after fitting: a long note must not widen its column.
    for (i, note) in table.notes.iter().enumerate() {
        sheet.write_string(last_row + 2 + i as u32, 0, note)?;
    }
    Ok(())
}

fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    use chrono::Datelike;
    ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
}

/// A sheet's name from its table's title: Excel allows 31 characters, none of
/// `[]:*?/\`, no apostrophe at either end, and no two names alike in any case.
fn sheet_name(title: &str, id: &str, taken: &[String]) -> String {
    let clean = |s: &str| -> String {
        let kept: String = s.chars().filter(|c| !"[]:*?/\\".contains(*c) && !c.is_control()).collect();
        kept.trim().trim_matches('\'').trim().to_string()
    };
    let base = match clean(title) {
        t if t.is_empty() => clean(id),
        t => t,
    };
    let base = if base.is_empty() { "Лист".to_string() } else { base };
    let is_taken = |name: &str| taken.iter().any(|t| t.to_lowercase() == name.to_lowercase());
    // "Эта неделя · 16.11–22.11 · по отделам" is too long: its first and last
    // parts ("Эта неделя · по отделам") say more than its first 31 characters.
    let fit = |room: usize| -> String {
        let parts: Vec<&str> = base.split(" · ").collect();
        let short = match parts.as_slice() {
            [first, .., last] if base.chars().count() > room => format!("{first} · {last}"),
            _ => base.clone(),
        };
        short.chars().take(room).collect::<String>().trim_end().to_string()
    };
    (1..)
        .map(|n| {
            let suffix = if n == 1 { String::new() } else { format!(" ({n})") };
            format!("{}{suffix}", fit(31 - suffix.chars().count()))
        })
        .find(|name| !is_taken(name) && !name.eq_ignore_ascii_case("history"))
        .expect("some numbered name is free")
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader};
    use std::io::Read;

    fn table() -> Table {
        Table {
            id: "month".into(),
            title: "Этот месяц · ноябрь 2026".into(),
            columns: ["Компания", "Менеджер", "Факт", "Разница", "Выполнение", "Срок", "Последний контакт"]
                .map(String::from)
                .to_vec(),
            rows: vec![vec![
                Cell::Link {
                    text: "=HYPERLINK(\"http://evil.example\",\"Жми\")".into(),
                    url: "https://x.amocrm.ru/companies/detail/1".into(),
                },
                Cell::Text("=1+1".into()),
                Cell::Money(123_456),
                Cell::Money(-5_050),
                Cell::Percent(25.0),
                Cell::Date(chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()),
                Cell::Instant("2026-11-30T21:30:00Z".parse().unwrap()),
            ]],
            notes: vec!["Метрика: выручка".into()],
        }
    }

    fn zipped(bytes: &[u8], name: &str) -> String {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut out = String::new();
        zip.by_name(name).unwrap().read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn xlsx_keeps_amounts_numbers_dates_dates_and_text_text() {
        let cal = BusinessCalendar::plain(chrono_tz::Tz::Europe__Moscow);
        let bytes = to_xlsx(&[table()], &cal, Language::Ru, "RUB").unwrap();
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.clone())).unwrap();
        let range = book.worksheet_range("Этот месяц · ноябрь 2026").unwrap();
        assert_eq!(range.get_value((0, 2)), Some(&Data::String("Факт".into())));
        // The CRM's text is text, however it starts: no formula is stored.
        assert_eq!(
            range.get_value((1, 0)),
            Some(&Data::String("=HYPERLINK(\"http://evil.example\",\"Жми\")".into()))
        );
        assert_eq!(range.get_value((1, 1)), Some(&Data::String("=1+1".into())));
        assert_eq!(range.get_value((1, 2)), Some(&Data::Float(1234.56)));
        assert_eq!(range.get_value((1, 3)), Some(&Data::Float(-50.5)), "negative money stays a number");
        let Some(Data::DateTime(due)) = range.get_value((1, 5)) else {
            panic!("a date cell, not {:?}", range.get_value((1, 5)));
        };
        assert_eq!(
            due.as_datetime().unwrap().date(),
            chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
        );
        let Some(Data::DateTime(contact)) = range.get_value((1, 6)) else {
            panic!("a date-time cell, not {:?}", range.get_value((1, 6)));
        };
        // 21:30 UTC is 00:30 the next day on the business's clock (Moscow).
        assert_eq!(contact.as_datetime().unwrap().to_string(), "2026-12-01 00:30:00");

        let sheet = zipped(&bytes, "xl/worksheets/sheet1.xml");
        assert!(!sheet.contains("<f>"), "no formula in the sheet: {sheet}");
        assert!(sheet.contains(r#"<pane ySplit="1" topLeftCell="A2""#), "frozen header: {sheet}");
        assert!(sheet.contains(r#"<autoFilter ref="A1:G2"/>"#), "filters on the header: {sheet}");
        assert!(sheet.contains("<hyperlink ref=\"A2\""), "the company is a link: {sheet}");
        assert!(
            sheet.contains("<cols>") && sheet.contains("customWidth=\"1\""),
            "fitted widths: {sheet}"
        );
        let styles = zipped(&bytes, "xl/styles.xml");
        assert!(styles.contains(r#"formatCode="dd.mm.yyyy""#), "{styles}");
        assert!(styles.contains("₽"), "money in roubles: {styles}");
        assert!(styles.contains("−"), "a real minus sign: {styles}");
        let rels = zipped(&bytes, "xl/worksheets/_rels/sheet1.xml.rels");
        assert!(rels.contains("https://x.amocrm.ru/companies/detail/1"), "{rels}");
    }

    #[test]
    fn sheet_names_are_russian_short_unique_and_legal() {
        let long = "Этот месяц · ноябрь 2026 · по отделам: [опт/розница]?";
        let week = "Эта неделя · 16.11–22.11 · по отделам";
        let tables: Vec<Table> = [long, long, "History", "'", "Сегодня, 7 декабря", week]
            .iter()
            .map(|title| Table {
                title: title.to_string(),
                ..table()
            })
            .collect();
        let cal = BusinessCalendar::plain(chrono_tz::UTC);
        let bytes = to_xlsx(&tables, &cal, Language::Ru, "RUB").unwrap();
        let book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let names = book.sheet_names();
        assert_eq!(
            names,
            [
                "Этот месяц · по отделам оптрозн",
                "Этот месяц · по отделам опт (2)",
                "History (2)",
                "month",
                "Сегодня, 7 декабря",
                "Эта неделя · по отделам"
            ]
        );
        assert!(names.iter().all(|n| n.chars().count() <= 31));
    }
}
