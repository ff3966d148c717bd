//! Official production calendars in: the XML the Russian open data portal and
//! xmlcalendar.ru publish, or a plain CSV of dates and kinds, read into
//! [`ImportedYear`]s. Any fault names the file, line, field and value and
//! what was expected, and nothing is returned, so nothing half-read is stored.

use std::collections::{BTreeMap, btree_map::Entry};
use std::fmt;

use chrono::{Datelike, NaiveDate};
use quick_xml::events::{BytesStart, Event};
use tsifra_core::calendar::{DayKind, ImportedDay, ImportedYear};
use tsifra_core::i18n::{Language, text_with};

/// A calendar file that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CalendarImportError {
    pub file: String,
    /// 1-based; `None` when the fault is the whole file's.
    pub line: Option<u64>,
    /// The CSV column or the XML element and attribute.
    pub field: String,
    pub value: String,
    /// What was expected, in `lang`.
    pub expected: String,
    /// The workspace's language the message is told in.
    pub lang: Language,
}

/// A message of the calendar import in `lang`, with `{name}` filled in.
fn say(lang: Language, key: &str, values: &[(&str, &str)]) -> String {
    text_with(lang, &format!("calendar_import.{key}"), values)
}

impl fmt::Display for CalendarImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lang = self.lang;
        let place = match self.line {
            Some(line) => text_with(lang, "config.at_line", &[("file", &self.file), ("line", &line.to_string())]),
            None => self.file.clone(),
        };
        // The file's own names (date, kind, <day d>) stay; the generic ones are translated.
        let field = match self.field.as_str() {
            generic @ ("text" | "row" | "days" | "root element" | "attribute") => {
                say(lang, &format!("field.{}", generic.replace(' ', "_")), &[])
            }
            own => own.to_string(),
        };
        let values = [
            ("field", field.as_str()),
            ("value", self.value.as_str()),
            ("expected", self.expected.as_str()),
        ];
        match self.value.is_empty() {
            true => write!(f, "{place}, {}", say(lang, "expected", &values)),
            false => write!(f, "{place}, {}", say(lang, "got", &values)),
        }
    }
}

/// Reads a calendar file: XML when its first character is `<`, else CSV.
/// `file` names it in errors and becomes each year's source.
/// Errors are told in `lang`, the workspace's language.
pub fn parse_calendar(file: &str, bytes: &[u8], lang: Language) -> Result<Vec<ImportedYear>, CalendarImportError> {
    let fail = |line, field: &str, value: &str, expected: String| CalendarImportError {
        file: file.to_string(),
        line,
        field: field.to_string(),
        value: value.to_string(),
        expected,
        lang,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u64 + 1;
        fail(Some(line), "text", &say(lang, "not_utf8", &[]), say(lang, "utf8", &[]))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sheet = Sheet::new(file, lang);
    if text.trim_start().starts_with('<') {
        read_xml(text, &mut sheet)?;
    } else {
        read_csv(text, &mut sheet)?;
    }
    sheet.finish()
}

/// The days read so far, by date, with the line each came from.
struct Sheet<'f> {
    file: &'f str,
    lang: Language,
    days: BTreeMap<NaiveDate, (ImportedDay, u64)>,
}

impl<'f> Sheet<'f> {
    fn new(file: &'f str, lang: Language) -> Self {
        Sheet {
            file,
            lang,
            days: BTreeMap::new(),
        }
    }

    /// The text of `key` in the sheet's language.
    fn say(&self, key: &str, values: &[(&str, &str)]) -> String {
        say(self.lang, key, values)
    }

    fn error(&self, line: Option<u64>, field: &str, value: &str, expected: impl Into<String>) -> CalendarImportError {
        CalendarImportError {
            file: self.file.to_string(),
            line,
            field: field.to_string(),
            value: value.to_string(),
            expected: expected.into(),
            lang: self.lang,
        }
    }

    fn add(&mut self, day: ImportedDay, line: u64, field: &str, value: &str) -> Result<(), CalendarImportError> {
        let first = match self.days.entry(day.date) {
            Entry::Vacant(slot) => {
                slot.insert((day, line));
                return Ok(());
            }
            Entry::Occupied(first) => first.get().1,
        };
        // Two kinds for one day would make the count depend on which line wins.
        Err(self.error(
            Some(line),
            field,
            value,
            self.say(
                "twice",
                &[
                    ("date", &tsifra_core::i18n::format_date(self.lang, day.date)),
                    ("first", &first.to_string()),
                ],
            ),
        ))
    }

    fn finish(self) -> Result<Vec<ImportedYear>, CalendarImportError> {
        if self.days.is_empty() {
            return Err(self.error(None, "days", "", self.say("no_days", &[])));
        }
        let source = std::path::Path::new(self.file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.file.to_string());
        let mut years: BTreeMap<i32, Vec<ImportedDay>> = BTreeMap::new();
        for (date, (day, _)) in self.days {
            years.entry(date.year()).or_default().push(day);
        }
        Ok(years
            .into_iter()
            .map(|(year, days)| ImportedYear {
                year,
                source: source.clone(),
                days,
            })
            .collect())
    }
}

fn parse_kind(text: &str) -> Option<DayKind> {
    match text.trim().to_lowercase().replace('ё', "е").as_str() {
        "holiday" | "day off" | "off" | "нерабочий" | "выходной" | "праздник" | "праздничный" => {
            Some(DayKind::Holiday)
        }
        "working" | "work" | "рабочий" => Some(DayKind::Working),
        "short" | "shortened" | "сокращенный" | "предпраздничный" => Some(DayKind::Short),
        _ => None,
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d.%m.%Y"))
        .ok()
}

/// `date;kind[;moved_from]` per line, `;`, `,` or tab between; `#` comments and
/// a `date;kind` header line are skipped.
fn read_csv(text: &str, sheet: &mut Sheet) -> Result<(), CalendarImportError> {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    let delimiter = [b';', b'\t', b','].into_iter().find(|d| first.contains(*d as char)).unwrap_or(b';');
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut seen_data = false;
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line());
            sheet.error(line, "row", "", sheet.say("csv", &[("error", &e.to_string())]))
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let date_text = record.get(0).unwrap_or("");
        if record.iter().all(str::is_empty) {
            continue;
        }
        if !seen_data && ["date", "дата"].contains(&date_text.to_lowercase().as_str()) {
            continue;
        }
        seen_data = true;
        let date = parse_date(date_text).ok_or_else(|| sheet.error(Some(line), "date", date_text, sheet.say("date", &[])))?;
        let kind_text = record.get(1).unwrap_or("");
        let kind = parse_kind(kind_text).ok_or_else(|| sheet.error(Some(line), "kind", kind_text, sheet.say("kinds", &[])))?;
        let moved_from = match record.get(2).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => Some(parse_date(t).ok_or_else(|| sheet.error(Some(line), "moved_from", t, sheet.say("date", &[])))?),
        };
        if record.len() > 3 {
            let extra = record.iter().skip(3).collect::<Vec<_>>().join(" ");
            return Err(sheet.error(Some(line), "row", &extra, sheet.say("columns", &[])));
        }
        sheet.add(ImportedDay { date, kind, moved_from }, line, "date", date_text)?;
    }
    Ok(())
}

/// `<calendar year="2027"><days><day d="MM.DD" t="1|2|3" [f="MM.DD"] [h=".."]/>...`
/// t=1 a day off, t=2 a shortened working day, t=3 a working weekend day; f
/// the day it was moved from. Other elements (the `<holidays>` names) are skipped.
fn read_xml(text: &str, sheet: &mut Sheet) -> Result<(), CalendarImportError> {
    let line_at = |offset: u64| {
        text.as_bytes()[..(offset as usize).min(text.len())]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64
            + 1
    };
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut year: Option<i32> = None;
    let mut in_days = false;
    loop {
        let before = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            sheet.error(
                Some(line_at(reader.error_position())),
                "XML",
                "",
                sheet.say("xml", &[("error", &e.to_string())]),
            )
        })?;
        // The element starts at its `<`, after any whitespace the last event left.
        let start = text[(before as usize).min(text.len())..]
            .find('<')
            .map_or(before, |i| before + i as u64);
        let line = line_at(start);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.local_name();
                match (name.as_ref(), year) {
                    ("calendar", None) => {
                        let value = attribute(e, "year", sheet, line)?.unwrap_or_default();
                        let y = value
                            .trim()
                            .parse::<i32>()
                            .ok()
                            .filter(|y| (1900..=2200).contains(y))
                            .ok_or_else(|| sheet.error(Some(line), "<calendar year>", &value, sheet.say("year", &[])))?;
                        year = Some(y);
                    }
                    (other, None) => {
                        return Err(sheet.error(
                            Some(line),
                            "root element",
                            &format!("<{other}>"),
                            "<calendar year=\"...\">".to_string(),
                        ));
                    }
                    ("days", Some(_)) => in_days = matches!(event, Event::Start(_)),
                    ("day", Some(y)) if in_days => read_day(e, y, line, sheet)?,
                    _ => {}
                }
            }
            Event::End(ref e) if e.local_name().as_ref() == "days" => in_days = false,
            Event::Eof => break,
            _ => {}
        }
    }
    if year.is_none() {
        return Err(sheet.error(None, "root element", "", "<calendar year=\"...\">".to_string()));
    }
    Ok(())
}

fn attribute(e: &BytesStart, name: &str, sheet: &Sheet, line: u64) -> Result<Option<String>, CalendarImportError> {
    for attr in e.attributes() {
        let attr = attr.map_err(|err| sheet.error(Some(line), "attribute", "", sheet.say("attributes", &[("error", &err.to_string())])))?;
        if attr.key.as_ref() == name {
            let value = attr
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| sheet.error(Some(line), name, "", sheet.say("value", &[("error", &err.to_string())])))?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

/// "MM.DD" of `year`, as the XML writes days.
fn month_day(year: i32, text: &str) -> Option<NaiveDate> {
    let (month, day) = text.trim().split_once('.')?;
    NaiveDate::from_ymd_opt(year, month.parse().ok()?, day.parse().ok()?)
}

fn read_day(e: &BytesStart, year: i32, line: u64, sheet: &mut Sheet) -> Result<(), CalendarImportError> {
    let d = attribute(e, "d", sheet, line)?.unwrap_or_default();
    let date =
        month_day(year, &d).ok_or_else(|| sheet.error(Some(line), "<day d>", &d, sheet.say("day_d", &[("year", &year.to_string())])))?;
    let t = attribute(e, "t", sheet, line)?.unwrap_or_default();
    let kind = match t.trim() {
        "1" => DayKind::Holiday,
        "2" => DayKind::Short,
        "3" => DayKind::Working,
        _ => {
            return Err(sheet.error(Some(line), "<day t>", &t, sheet.say("day_t", &[])));
        }
    };
    let moved_from = match attribute(e, "f", sheet, line)? {
        None => None,
        Some(f) => Some(
            month_day(year, &f)
                .ok_or_else(|| sheet.error(Some(line), "<day f>", &f, sheet.say("day_f", &[("year", &year.to_string())])))?,
        ),
    };
    sheet.add(ImportedDay { date, kind, moved_from }, line, "<day d>", &d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn day(s: &str, kind: DayKind, moved_from: Option<&str>) -> ImportedDay {
        ImportedDay {
            date: date(s),
            kind,
            moved_from: moved_from.map(date),
        }
    }

    // Shaped like xmlcalendar.ru's files (2026 shown there with these attributes).
    const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<calendar year="2027" lang="ru" date="2026.09.30" country="ru">
  <holidays>
    <holiday id="1" title="Новогодние каникулы"/>
    <holiday id="2" title="Рождество Христово"/>
  </holidays>
  <days>
    <day d="01.01" t="1" h="1"/>
    <day d="01.07" t="1" h="2"/>
    <day d="01.11" t="1" f="01.02"/>
    <day d="02.20" t="3"/>
    <day d="02.22" t="2"/>
  </days>
</calendar>
"#;

    #[test]
    fn xml_from_the_open_data_portal() {
        let years = parse_calendar("/tmp/calendar2027.xml", XML.as_bytes(), Language::Ru).unwrap();
        assert_eq!(years.len(), 1);
        let y = &years[0];
        assert_eq!((y.year, y.source.as_str()), (2027, "calendar2027.xml"));
        assert_eq!(
            y.days,
            [
                day("2027-01-01", DayKind::Holiday, None),
                day("2027-01-07", DayKind::Holiday, None),
                day("2027-01-11", DayKind::Holiday, Some("2027-01-02")),
                day("2027-02-20", DayKind::Working, None),
                day("2027-02-22", DayKind::Short, None),
            ]
        );
    }

    #[test]
    fn csv_of_dates_and_kinds_in_either_language() {
        let text = "\u{feff}date;kind;moved_from\n\
                    # the New Year\n\
                    2027-01-01;holiday\n\
                    08.01.2027; Нерабочий \n\
                    2027-01-11;нерабочий;2027-01-02\n\
                    \n\
                    2027-02-20;рабочий\n\
                    2027-02-22;сокращённый\n\
                    2028-01-03;holiday\n";
        let years = parse_calendar("days.csv", text.as_bytes(), Language::Ru).unwrap();
        assert_eq!(years.iter().map(|y| y.year).collect::<Vec<_>>(), [2027, 2028]);
        assert_eq!(
            years[0].days,
            [
                day("2027-01-01", DayKind::Holiday, None),
                day("2027-01-08", DayKind::Holiday, None),
                day("2027-01-11", DayKind::Holiday, Some("2027-01-02")),
                day("2027-02-20", DayKind::Working, None),
                day("2027-02-22", DayKind::Short, None),
            ]
        );
        // Commas work too, without a header.
        let years = parse_calendar("c.csv", b"2027-06-14,holiday\n2027-06-11,short\n", Language::Ru).unwrap();
        assert_eq!(years[0].days.len(), 2);
    }

    fn error(file: &str, text: &str) -> CalendarImportError {
        parse_calendar(file, text.as_bytes(), Language::En).unwrap_err()
    }

    /// A Russian workspace reads its errors in Russian: file, line, field, the
    /// value and what was expected; the file's own column names stay as written.
    #[test]
    fn errors_are_told_in_the_workspaces_language() {
        let ru = |text: &str| parse_calendar("days.csv", text.as_bytes(), Language::Ru).unwrap_err().to_string();
        assert_eq!(
            ru("date;kind\n2027-01-01;holiday\n2027-01-32;holiday\n"),
            "days.csv, строка 3, поле date: «2027-01-32»; ожидалось: дата, например 08.01.2027 или 2027-01-08"
        );
        assert_eq!(
            ru("2027-01-01;holiday\n2027-01-01;working\n"),
            "days.csv, строка 2, поле date: «2027-01-01»; ожидалось: каждая дата один раз; 01.01.2027 уже есть в строке 1"
        );
        assert_eq!(ru("date;kind\n"), "days.csv, поле дни: ожидалось: хотя бы один день");
        let xml = parse_calendar("c.xml", XML.replace(r#"t="3""#, r#"t="4""#).as_bytes(), Language::Ru)
            .unwrap_err()
            .to_string();
        assert_eq!(
            xml,
            "c.xml, строка 11, поле <day t>: «4»; ожидалось: 1 (выходной), 2 (сокращённый рабочий день) или 3 (рабочий выходной)"
        );
        let english = error("days.csv", "2027-01-01;holiday\n2027-01-01;working\n").to_string();
        assert!(english.ends_with("each date once; Jan 1, 2027 is already on line 1"), "{english}");
    }

    #[test]
    fn bad_csv_rows_name_line_field_value_and_what_was_expected() {
        let e = error("days.csv", "date;kind\n2027-01-01;holiday\n2027-01-32;holiday\n");
        assert_eq!((e.line, e.field.as_str(), e.value.as_str()), (Some(3), "date", "2027-01-32"));
        let shown = e.to_string();
        assert!(
            shown.starts_with("days.csv, line 3, date: got \"2027-01-32\", expected a date such as"),
            "{shown}"
        );

        let e = error("days.csv", "2027-01-01;holiday\n2027-01-04;праздн\n");
        assert_eq!((e.line, e.field.as_str(), e.value.as_str()), (Some(2), "kind", "праздн"));
        assert!(e.to_string().contains("holiday (нерабочий)"), "{e}");

        let e = error("days.csv", "2027-01-01;holiday\n2027-01-01;working\n");
        assert_eq!((e.line, e.field.as_str()), (Some(2), "date"));
        assert!(e.expected.contains("already on line 1"), "{e}");

        let e = error("days.csv", "2027-01-01;holiday;2027-13-01\n");
        assert_eq!((e.line, e.field.as_str()), (Some(1), "moved_from"));

        let e = error("days.csv", "date;kind\n");
        assert_eq!((e.line, e.field.as_str()), (None, "days"));

        let e = parse_calendar("days.csv", b"2027-01-01;\xcf\xf0\xe0\xe7\xe4\xed\xe8\xea\n", Language::En).unwrap_err();
        assert_eq!((e.line, e.field.as_str()), (Some(1), "text"));
        assert!(e.expected.contains("UTF-8"), "{e}");
    }

    #[test]
    fn bad_xml_names_line_attribute_value_and_what_was_expected() {
        let e = error("c.xml", &XML.replace(r#"d="02.22""#, r#"d="22.02""#));
        assert_eq!((e.line, e.field.as_str(), e.value.as_str()), (Some(12), "<day d>", "22.02"));
        assert!(
            e.to_string()
                .starts_with("c.xml, line 12, <day d>: got \"22.02\", expected a day of 2027 as MM.DD"),
            "{e}"
        );

        let e = error("c.xml", &XML.replace(r#"t="3""#, r#"t="4""#));
        assert_eq!((e.line, e.field.as_str(), e.value.as_str()), (Some(11), "<day t>", "4"));

        let e = error("c.xml", &XML.replace(r#"f="01.02""#, r#"f="1.2.3""#));
        assert_eq!((e.line, e.field.as_str()), (Some(10), "<day f>"));

        let e = error("c.xml", &XML.replace(r#"year="2027""#, r#"year="next""#));
        assert_eq!((e.line, e.field.as_str(), e.value.as_str()), (Some(2), "<calendar year>", "next"));

        let e = error("c.xml", &XML.replace(r#"d="01.07""#, r#"d="01.01""#));
        assert_eq!((e.line, e.field.as_str()), (Some(9), "<day d>"));
        assert!(e.expected.contains("already on line 8"), "{e}");

        let e = error("c.xml", &XML.replace("</days>", "</dayz>"));
        assert_eq!(e.field, "XML");
        assert!(e.line.is_some(), "{e}");

        let e = error("c.xml", "<holidays year=\"2027\"/>");
        assert_eq!((e.field.as_str(), e.value.as_str()), ("root element", "<holidays>"));
    }
}
