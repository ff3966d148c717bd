//! `tsifra report ID`: the same report function the API and pages call,
//! printed as an aligned table, JSON or CSV.

use std::path::Path;

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::{Result, bail};
use tsifra_core::BusinessCalendar;
use tsifra_core::calendar::fallback_notice;
use tsifra_core::i18n::{Language, text, text_with};
use tsifra_core::reports::registry::{self, RawParams};
use tsifra_core::reports::tabular::Table;
use tsifra_core::reports::{self, Ctx, Facts, ReportId, tabular};

use crate::cli::{Format, ReportArgs};
use crate::setup::{self, usage};

pub async fn run(args: ReportArgs, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    let ids = || {
        let mut ids: Vec<&str> = ReportId::ALL.iter().map(|r| r.as_str()).collect();
        ids.extend(super::explore::IDS);
        ids.join(", ")
    };
    // The config first: what goes wrong after it is said in its language.
    let loaded = setup::load_config(config, data_dir)?;
    let mut config = loaded.config;
    let lang = config.business.language;
    // Every registered report takes its options through the registry's one check below.
    let analysis = super::explore::IDS.contains(&args.id.as_str());
    let id = match analysis {
        true => None,
        false => Some(
            ReportId::parse(&args.id).ok_or_else(|| usage(text_with(lang, "cli.unknown_report", &[("id", &args.id), ("ids", &ids())])))?,
        ),
    };
    // The zone is all `--as-of` needs; the days off come with the store's imported calendars below.
    let calendar = config.calendar();
    let as_of = setup::parse_as_of(args.as_of.as_deref(), &calendar, lang)?.unwrap_or_else(chrono::Utc::now);
    if !data_dir.exists() {
        bail!(text_with(lang, "cli.no_workspace", &[("dir", &data_dir.display().to_string())]));
    }
    let store = setup::open_store(&config, data_dir).await?;
    let ws = store.load().await?;
    config.calendar.imported = store.imported_calendars().await?;
    store.close().await;
    let calendar = config.calendar();
    // On stderr, so JSON and CSV on stdout stay clean for scripts.
    if let Some(note) = fallback_notice(lang, &calendar.fallback_years_near(calendar.local_date(as_of))) {
        eprintln!("{note}");
    }
    if analysis {
        let out = super::explore::render(&args, &ws, &config, &calendar, as_of)?;
        return write_out(&out);
    }
    let id = id.expect("a report id unless explore or pareto");
    let raw = RawParams {
        manager: args.manager.clone(),
        metric: args.metric.clone(),
        sort: args.sort.clone(),
        period: args.period.clone(),
        compare: args.compare.clone(),
        pipeline: args.pipeline.clone(),
        team: args.team.clone(),
        rule: args.rule.clone(),
        min_days: args.min_days.clone(),
        prospects: args.prospects.clone(),
    };
    let params = registry::parse_params(id, &raw, &ws, calendar.local_date(as_of), lang)
        .map_err(|e| usage(format!("--{}: {}", e.param.replace('_', "-"), e.message)))?;

    let facts = Facts::build(&ws, &config);
    let ctx = Ctx {
        ws: &ws,
        facts: &facts,
        config: &config,
        calendar: &calendar,
        as_of,
    };
    let report = reports::run(id, &ctx, &params);
    let currency = config.business.currency.as_str();
    let mut out = String::new();
    if args.format == Format::Json && (args.table.is_some() || args.out.is_some()) {
        return Err(usage(text(lang, "cli.out_not_csv")));
    }
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        Format::Csv => {
            let tables = tabular::tables(&report, lang, currency);
            let stem = format!("tsifra-{}", id.as_str());
            out = csv_out(tables, &args, lang, &calendar, &stem, calendar.local_date(as_of))?;
        }
        Format::Table => {
            if args.out.is_some() {
                return Err(usage(text(lang, "cli.out_not_csv")));
            }
            let local = calendar.local_time(as_of);
            println!(
                "{} · {} {}",
                text(lang, id.title_key()),
                tsifra_core::i18n::format_date(lang, local.date_naive()),
                local.format("%H:%M %Z")
            );
            let fit = terminal_width();
            for table in chosen(tabular::tables(&report, lang, currency), args.table.as_deref(), lang)? {
                writeln!(out)?;
                out.push_str(&tabular::to_text_fitted(&table, lang, currency, &calendar, fit));
            }
        }
    }
    write_out(&out)
}

/// The table `--table` names, or every table.
fn chosen(tables: Vec<Table>, name: Option<&str>, lang: Language) -> Result<Vec<Table>> {
    let Some(name) = name else { return Ok(tables) };
    let ids = tables.iter().map(|t| t.id.as_str()).collect::<Vec<_>>().join(", ");
    match tables.into_iter().find(|t| t.id == name) {
        Some(table) => Ok(vec![table]),
        None => Err(usage(text_with(lang, "cli.unknown_table", &[("table", name), ("tables", &ids)]))),
    }
}

/// A report's tables as CSV the way a spreadsheet in `lang` opens them: one
/// table printed (the one `--table` names, or the only one), or with `--out`
/// every table to a file of its own; what is printed is returned. Several
/// tables in one stream would not be one CSV, so that is refused, naming them.
pub fn csv_out(
    tables: Vec<Table>,
    args: &ReportArgs,
    lang: Language,
    calendar: &BusinessCalendar,
    stem: &str,
    day: chrono::NaiveDate,
) -> Result<String> {
    let tables = chosen(tables, args.table.as_deref(), lang)?;
    if let Some(dir) = &args.out {
        let failed = |e: std::io::Error| {
            anyhow::anyhow!(text_with(
                lang,
                "cli.out_dir",
                &[("dir", &dir.display().to_string()), ("error", &e.to_string())]
            ))
        };
        std::fs::create_dir_all(dir).map_err(failed)?;
        for table in &tables {
            let safe: String = table.id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
            let file = dir.join(format!("{stem}-{safe}-{}.csv", day.format("%Y-%m-%d")));
            std::fs::write(&file, tabular::csv_file(table, calendar, lang)).map_err(failed)?;
            eprintln!("{}", text_with(lang, "cli.wrote", &[("file", &file.display().to_string())]));
        }
        return Ok(String::new());
    }
    match tables.as_slice() {
        [table] => Ok(format!("{}{}", tabular::CSV_BOM, tabular::to_csv(table, calendar, lang))),
        _ => {
            let ids = tables.iter().map(|t| t.id.as_str()).collect::<Vec<_>>().join(", ");
            Err(usage(text_with(lang, "cli.csv_many_tables", &[("tables", &ids)])))
        }
    }
}

/// The terminal's width in characters: `COLUMNS` if set, else the terminal's
/// own when stdout is one; none (no fitting) when printing to a file or a pipe.
pub fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    let columns = std::env::var("COLUMNS").ok().and_then(|c| c.trim().parse::<usize>().ok());
    match columns {
        Some(columns) if columns >= 20 => Some(columns),
        _ if std::io::stdout().is_terminal() => console::Term::stdout().size_checked().map(|(_, cols)| cols as usize),
        _ => None,
    }
}

/// Writes to stdout; a reader that stops early (`| head`) is not an error.
pub fn write_out(out: &str) -> Result<()> {
    // Names from the CRM reach a terminal here: no escape sequence gets through.
    let out = tsifra_core::i18n::terminal_safe(out);
    match std::io::stdout().lock().write_all(out.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
