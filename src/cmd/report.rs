//! `tsifra report ID`: the same report function the API and pages call,
//! printed as an aligned table, JSON or CSV.

use std::path::Path;

use std::fmt::Write as _;
use std::io::Write as _;

use anyhow::{Result, bail};
use tsifra_core::calendar::fallback_notice;
use tsifra_core::reports::registry::{self, RawParams};
use tsifra_core::reports::{self, Ctx, Facts, ReportId, tabular};

use crate::cli::{Format, ReportArgs};
use crate::setup::{self, usage};

pub async fn run(args: ReportArgs, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    let ids = || {
        let mut ids: Vec<&str> = ReportId::ALL.iter().map(|r| r.as_str()).collect();
        ids.extend(super::explore::IDS);
        ids.join(", ")
    };
    // Every registered report takes its options through the registry's one check below.
    let analysis = super::explore::IDS.contains(&args.id.as_str());
    let id = match analysis {
        true => None,
        false => Some(ReportId::parse(&args.id).ok_or_else(|| usage(format!("unknown report {:?}; expected one of: {}", args.id, ids())))?),
    };
    let loaded = setup::load_config(config, data_dir)?;
    let mut config = loaded.config;
    // The zone is all `--as-of` needs; the days off come with the store's imported calendars below.
    let calendar = config.calendar();
    let lang = config.business.language;
    let as_of = setup::parse_as_of(args.as_of.as_deref(), &calendar, lang)?.unwrap_or_else(chrono::Utc::now);
    if !data_dir.exists() {
        bail!(
            "no workspace in {}: run `tsifra demo` (then add --data-dir tsifra-demo) or import your data first",
            data_dir.display()
        );
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
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?,
        Format::Csv => {
            let tables = tabular::tables(&report, lang, currency);
            let many = tables.len() > 1;
            for (i, table) in tables.iter().enumerate() {
                if many {
                    // Several tables in one stream: a comment line names each, a blank line parts them.
                    if i > 0 {
                        writeln!(out)?;
                    }
                    writeln!(out, "# {}", table.title)?;
                }
                out.push_str(&tabular::to_csv(table, &calendar));
            }
        }
        Format::Table => {
            let local = calendar.local_time(as_of);
            println!(
                "{} · {}",
                tsifra_core::i18n::text(lang, id.title_key()),
                local.format("%Y-%m-%d %H:%M %Z")
            );
            for table in tabular::tables(&report, lang, currency) {
                writeln!(out)?;
                out.push_str(&tabular::to_text(&table, lang, currency, &calendar));
            }
        }
    }
    write_out(&out)
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
