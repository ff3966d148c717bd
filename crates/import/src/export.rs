//! Report tables out as files: CSV (raw values) and XLSX (typed cells, so
//! amounts stay numbers a spreadsheet can sum).

use rust_xlsxwriter::{Format, Url, Workbook, XlsxError};
use tsifra_core::calendar::BusinessCalendar;
use tsifra_core::reports::tabular::{Cell, Table};

/// One sheet per table, header in bold, money as numbers with two decimals.
pub fn to_xlsx(tables: &[Table], cal: &BusinessCalendar) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    let percent = Format::new().set_num_format("0.0");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for table in tables {
        let sheet = book.add_worksheet();
        // Sheet names: at most 31 characters and none of []:*?/\
        let name: String = table.id.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
        sheet.set_name(if name.is_empty() { "report" } else { &name })?;
        for (c, title) in table.columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, title, &bold)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Empty => {}
                    Cell::Text(s) => drop(sheet.write_string(r, c, s)?),
                    Cell::Int(n) => drop(sheet.write_number(r, c, *n as f64)?),
                    Cell::Money(m) => drop(sheet.write_number_with_format(r, c, *m as f64 / 100.0, &money)?),
                    Cell::Percent(p) | Cell::Decimal(p) => drop(sheet.write_number_with_format(r, c, *p, &percent)?),
                    Cell::Date(d) => {
                        let excel = rust_xlsxwriter::ExcelDateTime::parse_from_str(&d.format("%Y-%m-%d").to_string())?;
                        sheet.write_datetime_with_format(r, c, &excel, &date)?;
                    }
                    Cell::Instant(_) => drop(sheet.write_string(r, c, cell.raw(cal))?),
                    Cell::Link { text, url } => drop(sheet.write_url_with_text(r, c, Url::new(url.as_str()), text.as_str())?),
                }
            }
        }
    }
    book.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader};

    #[test]
    fn xlsx_keeps_amounts_as_numbers() {
        let table = Table {
            id: "month".into(),
            title: "Этот месяц".into(),
            columns: vec!["Менеджер".into(), "Факт".into(), "Срок".into()],
            rows: vec![vec![
                Cell::Link {
                    text: "Анна".into(),
                    url: "https://x.amocrm.ru/leads/detail/1".into(),
                },
                Cell::Money(123_456),
                Cell::Date(chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()),
            ]],
            notes: vec![],
        };
        let bytes = to_xlsx(&[table], &BusinessCalendar::plain(chrono_tz::UTC)).unwrap();
        let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("month").unwrap();
        assert_eq!(range.get_value((0, 1)), Some(&Data::String("Факт".into())));
        assert_eq!(range.get_value((1, 0)), Some(&Data::String("Анна".into())));
        assert_eq!(range.get_value((1, 1)), Some(&Data::Float(1234.56)));
    }
}
