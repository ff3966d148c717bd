//! Imported production calendars: stored, read back, replaced a year at a time.

use chrono::{DateTime, NaiveDate};
use tsifra_core::calendar::{DayKind, ImportedDay, ImportedYear};

use crate::common::TestDb;
use crate::on_both_backends;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn year(year: i32, source: &str, days: &[(&str, DayKind, Option<&str>)]) -> ImportedYear {
    ImportedYear {
        year,
        source: source.into(),
        days: days
            .iter()
            .map(|&(d, kind, from)| ImportedDay {
                date: date(d),
                kind,
                moved_from: from.map(date),
            })
            .collect(),
    }
}

async fn imported_years_round_trip_and_replace_their_year(db: &TestDb) {
    let store = db.open().await;
    assert!(store.imported_calendars().await.unwrap().is_empty());
    let at = DateTime::from_timestamp(1_796_000_000, 0).unwrap();
    let first = vec![
        year(
            2027,
            "calendar2027.xml",
            &[
                ("2027-01-01", DayKind::Holiday, None),
                ("2027-01-11", DayKind::Holiday, Some("2027-01-02")),
                ("2027-02-20", DayKind::Working, None),
                ("2027-02-22", DayKind::Short, None),
            ],
        ),
        year(2028, "calendar2028.xml", &[("2028-01-03", DayKind::Holiday, None)]),
    ];
    store.import_calendars(&first, at).await.unwrap();
    assert_eq!(store.imported_calendars().await.unwrap(), first);

    // A new file for 2027 replaces that year whole and leaves 2028 alone.
    let again = vec![year(2027, "days.csv", &[("2027-06-14", DayKind::Holiday, None)])];
    store.import_calendars(&again, at).await.unwrap();
    let stored = store.imported_calendars().await.unwrap();
    assert_eq!(stored, vec![again[0].clone(), first[1].clone()]);

    // Reopening keeps them.
    store.close().await;
    let store = db.open().await;
    assert_eq!(store.imported_calendars().await.unwrap().len(), 2);
    store.close().await;
}

on_both_backends! {
    imported_calendars_round_trip => imported_years_round_trip_and_replace_their_year;
}
