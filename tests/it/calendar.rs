//! `tsifra calendar import` and what reports do with it: a year without a
//! decree is counted by the Labour Code and warned about until its official
//! calendar is loaded; a bad file stores nothing.

use std::path::Path;

use crate::support::tsifra;

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Plan-fact as of 15 January 2027: the month's working days and what stderr said.
fn january_2027(dir: &Path) -> (u64, String) {
    let out = tsifra(dir, &["report", "plan-fact", "--as-of", "2027-01-15", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout, nothing else");
    let periods = json
        .pointer("/periods")
        .or_else(|| json.pointer("/plan_fact/periods"))
        .expect("periods");
    let month = periods
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "month")
        .expect("a month period");
    assert_eq!(month["period"]["start"], "2027-01-01");
    (month["working_days"].as_u64().unwrap(), text(&out.stderr))
}

// The official file's shape (xmlcalendar.ru / the open data portal), with a
// made-up transfer: 2 January moved to Monday 11 January.
const XML_2027: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<calendar year="2027" lang="ru" date="2026.09.30" country="ru">
  <holidays>
    <holiday id="1" title="Новогодние каникулы"/>
    <holiday id="2" title="Рождество Христово"/>
  </holidays>
  <days>
    <day d="01.01" t="1" h="1"/>
    <day d="01.02" t="1" h="1"/>
    <day d="01.03" t="1" h="1"/>
    <day d="01.04" t="1" h="1"/>
    <day d="01.05" t="1" h="1"/>
    <day d="01.06" t="1" h="1"/>
    <day d="01.07" t="1" h="2"/>
    <day d="01.08" t="1" h="1"/>
    <day d="01.11" t="1" f="01.02"/>
    <day d="02.20" t="3"/>
  </days>
</calendar>
"#;

#[test]
fn an_imported_calendar_replaces_the_labour_code_fallback_in_reports() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = tsifra(
        &data,
        &["demo", "--no-serve", "--deals", "300", "--seed", "7", "--as-of", "2026-11-20T15:00"],
    );
    assert!(out.status.success(), "demo failed: {}", text(&out.stderr));

    // No decree for 2027: 1-8 January are off by the Labour Code, 15 working days, and a warning.
    let (days, warning) = january_2027(&data);
    assert_eq!(days, 15);
    assert!(warning.contains("2027") && warning.contains("tsifra calendar import"), "{warning}");
    let out = tsifra(&data, &["calendar", "list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("2027  Трудовой кодекс"), "{}", text(&out.stdout));

    let xml = dir.path().join("calendar2027.xml");
    std::fs::write(&xml, XML_2027).unwrap();
    let out = tsifra(&data, &["calendar", "import", xml.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("2027") && text(&out.stdout).contains("calendar2027.xml"),
        "{}",
        text(&out.stdout)
    );

    // The imported 11 January is off too; the warning is gone.
    let (days, stderr) = january_2027(&data);
    assert_eq!(days, 14);
    assert!(!stderr.contains("2027"), "{stderr}");
    let out = tsifra(&data, &["calendar", "show", "2027"]);
    let shown = text(&out.stdout);
    assert!(
        shown.contains("calendar2027.xml") && shown.contains("11.01.2027") && shown.contains("20.02.2027"),
        "{shown}"
    );
    assert!(!shown.contains("не загружен"), "{shown}");

    // A bad file: its error names the file, line, field, value and what was expected; nothing
    // of it is stored, not even its good 2028 line, and the 2027 import stays.
    let csv = dir.path().join("days.csv");
    std::fs::write(&csv, "date;kind\n2028-01-10;нерабочий\n2027-01-12;праздн\n").unwrap();
    let out = tsifra(&data, &["calendar", "import", csv.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(
        err.contains("days.csv, строка 3, поле kind: «праздн»; ожидалось: нерабочий (holiday), рабочий (working"),
        "{err}"
    );
    let listed = text(&tsifra(&data, &["calendar", "list"]).stdout);
    assert!(listed.contains("calendar2027.xml") && !listed.contains("days.csv"), "{listed}");
    assert_eq!(january_2027(&data).0, 14);

    // A CSV for the same year replaces the XML's days whole: 11 January works again, while
    // 1-8 January stay off by law though the file lists only the 1st.
    std::fs::write(&csv, "2027-01-01;holiday\n").unwrap();
    let out = tsifra(&data, &["calendar", "import", csv.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(january_2027(&data).0, 15);
    let shown = text(&tsifra(&data, &["calendar", "show", "2027"]).stdout);
    assert!(shown.contains("days.csv") && !shown.contains("20.02.2027"), "{shown}");
}
