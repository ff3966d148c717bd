//! `tsifra calendar`: load official production calendars into the store, and
//! show where each year's working days come from and how many there are.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{Datelike, NaiveDate};
use tsifra_core::calendar::{BusinessCalendar, Period, PeriodKind, YearSource, fallback_notice};
use tsifra_core::i18n::{Language, format_date, text};
use tsifra_core::reports::tabular::{Cell, Table, to_text};
use tsifra_core::{Config, calendar::ImportedYear};

use crate::cli::CalendarCommand;
use crate::setup::{self, usage};

pub async fn run(cmd: CalendarCommand, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    let mut config = setup::load_config(config, data_dir)?.config;
    match cmd {
        CalendarCommand::Import(args) => {
            // Every file is read and checked before the store is touched, so a bad one stores nothing.
            let mut years: Vec<ImportedYear> = Vec::new();
            for file in &args.files {
                let bytes = std::fs::read(file).with_context(|| {
                    tsifra_core::i18n::text_with(
                        config.business.language,
                        "cli.cannot_read",
                        &[("file", &file.display().to_string())],
                    )
                })?;
                for year in tsifra_import::parse_calendar(&file.display().to_string(), &bytes, config.business.language)? {
                    if let Some(earlier) = years.iter().find(|y| y.year == year.year) {
                        return Err(usage(tsifra_core::i18n::text_with(
                            config.business.language,
                            "cli.calendar_twice",
                            &[
                                ("file", &file.display().to_string()),
                                ("year", &year.year.to_string()),
                                ("earlier", &earlier.source.to_string()),
                            ],
                        )));
                    }
                    years.push(year);
                }
            }
            setup::ensure_data_dir(data_dir)?;
            let store = setup::open_store(&config, data_dir).await?;
            store.import_calendars(&years, chrono::Utc::now()).await?;
            config.calendar.imported = store.imported_calendars().await?;
            store.close().await;
            let calendar = config.calendar();
            let lang = config.business.language;
            for year in &years {
                let days = month_working_days(&calendar, year.year).iter().sum::<u32>();
                println!(
                    "{}",
                    text(lang, "calendar.imported")
                        .replace("{year}", &year.year.to_string())
                        .replace("{file}", &year.source)
                        .replace("{days}", &days.to_string())
                );
            }
            println!("{}", text(lang, "calendar.restart"));
            Ok(())
        }
        CalendarCommand::List => {
            load_imports(&mut config, data_dir).await?;
            let calendar = config.calendar();
            let this_year = calendar.local_date(chrono::Utc::now()).year();
            let mut years: BTreeSet<i32> = [this_year, this_year + 1].into();
            years.extend(config.calendar.holidays.decree_years().iter().map(|y| y.0));
            years.extend(config.calendar.imported.iter().map(|y| y.year));
            print!(
                "{}",
                to_text(&months_table(&config, &calendar, &years), config.business.language, "", &calendar)
            );
            Ok(())
        }
        CalendarCommand::Show(args) => {
            if !(1900..=2200).contains(&args.year) {
                return Err(usage(tsifra_core::i18n::text_with(
                    config.business.language,
                    "cli.year_range",
                    &[("year", &args.year.to_string())],
                )));
            }
            load_imports(&mut config, data_dir).await?;
            let calendar = config.calendar();
            let lang = config.business.language;
            print!(
                "{}",
                to_text(&months_table(&config, &calendar, &[args.year].into()), lang, "", &calendar)
            );
            let days: Vec<NaiveDate> = NaiveDate::from_ymd_opt(args.year, 1, 1)
                .unwrap_or_default()
                .iter_days()
                .take_while(|d| d.year() == args.year)
                .collect();
            let weekend = |d: &NaiveDate| d.weekday().num_days_from_monday() >= 5;
            let lists = [
                (
                    "calendar.days_off",
                    days.iter()
                        .filter(|d| !weekend(d) && !calendar.is_working_day(**d))
                        .collect::<Vec<_>>(),
                ),
                (
                    "calendar.working_weekends",
                    days.iter().filter(|d| weekend(d) && calendar.is_working_day(**d)).collect(),
                ),
                ("calendar.short_days", days.iter().filter(|d| calendar.is_short_day(**d)).collect()),
            ];
            for (key, list) in lists {
                let shown: Vec<String> = list.iter().map(|d| format_date(lang, **d)).collect();
                println!(
                    "\n{} ({}): {}",
                    text(lang, key),
                    shown.len(),
                    if shown.is_empty() { "—".into() } else { shown.join(", ") }
                );
            }
            if *calendar.year_source(args.year) == YearSource::LabourCode
                && let Some(note) = fallback_notice(lang, &[args.year])
            {
                println!("\n{note}");
            }
            Ok(())
        }
    }
}

/// Reads the store's imported calendars into the config; a data dir without a
/// store has none (listing must not create a database).
async fn load_imports(config: &mut Config, data_dir: &Path) -> Result<()> {
    if config.store.url.is_empty() && !data_dir.join("tsifra.db").exists() {
        return Ok(());
    }
    let store = setup::open_store(config, data_dir).await?;
    config.calendar.imported = store.imported_calendars().await?;
    store.close().await;
    Ok(())
}

fn month_working_days(calendar: &BusinessCalendar, year: i32) -> [u32; 12] {
    std::array::from_fn(|m| {
        let first = NaiveDate::from_ymd_opt(year, m as u32 + 1, 1).unwrap_or_default();
        calendar.working_days(&Period::containing(PeriodKind::Month, first))
    })
}

const MONTHS_RU: [&str; 12] = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"];
const MONTHS_EN: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// One row per year: where its days come from, each month's working days, the total.
fn months_table(config: &Config, calendar: &BusinessCalendar, years: &BTreeSet<i32>) -> Table {
    let lang = config.business.language;
    let months = match lang {
        Language::Ru => MONTHS_RU,
        Language::En => MONTHS_EN,
    };
    let mut columns = vec![text(lang, "calendar.year").to_string(), text(lang, "calendar.source").to_string()];
    columns.extend(months.iter().map(|m| m.to_string()));
    columns.push(text(lang, "calendar.total").to_string());
    let rows = years
        .iter()
        .map(|&year| {
            // The year as text: grouped digits ("2 027") would read as a number.
            let mut row = vec![Cell::Text(year.to_string()), Cell::Text(calendar.year_source(year).describe(lang))];
            let months = month_working_days(calendar, year);
            row.extend(months.iter().map(|n| Cell::Int(i64::from(*n))));
            row.push(Cell::Int(months.iter().sum::<u32>().into()));
            row
        })
        .collect();
    Table {
        id: "calendar".into(),
        title: text(lang, "calendar.title").to_string(),
        columns,
        rows,
        notes: Vec::new(),
    }
}
