//! `tsifra report explore` and `tsifra report pareto`: questions to the query
//! layer from the terminal, read by the same parser the API and the page use.

use std::fmt::Write as _;

use anyhow::Result;
use tsifra_core::query::{self, Dimension, Layer, QueryCtx, QueryText, pareto, table};
use tsifra_core::reports::tabular;
use tsifra_core::{BusinessCalendar, Config, Instant, Workspace};

use crate::cli::{Format, ReportArgs};
use crate::setup::usage;

/// The report ids this module answers.
pub const IDS: [&str; 2] = ["explore", "pareto"];

pub fn render(args: &ReportArgs, ws: &Workspace, config: &Config, calendar: &BusinessCalendar, as_of: Instant) -> Result<String> {
    let lang = config.business.language;
    let today = calendar.local_date(as_of);
    let text = QueryText {
        measure: args.measure.clone(),
        by: args.by.clone(),
        filters: args.filters.clone(),
        period: args.period.clone(),
        compare: args.compare.clone(),
        limit: args.limit,
    };
    let pareto_by = (args.id == "pareto")
        .then(|| {
            let by = text.by.first().map_or("company", String::as_str);
            Dimension::parse(by, ws, config).map_err(|e| usage(format!("--by: {}", e.message(lang))))
        })
        .transpose()?;
    let question = QueryText {
        by: if pareto_by.is_some() { vec![] } else { text.by.clone() },
        ..text
    }
    .parse(ws, config, today)
    .map_err(|e| usage(e.message(lang)))?;
    let layer = Layer::build(ws, config);
    let ctx = QueryCtx {
        ws,
        layer: &layer,
        config,
        calendar,
        as_of,
    };
    let currency = config.business.currency.as_str();
    let mut out = String::new();
    let (json, table) = match pareto_by {
        Some(dim) => {
            let p = pareto::pareto(&ctx, &question, dim, config.reports.abc_a_percent, config.reports.abc_b_percent)
                .map_err(|e| usage(e.message(lang)))?;
            let t = table::pareto_table(&p, question.measure.unit(), lang, &config.business.currency, &dim.title(ws, lang));
            (serde_json::to_string_pretty(&p)?, t)
        }
        None => {
            let a = query::answer(&ctx, &question);
            let t = table::answer_table(&a, lang);
            (serde_json::to_string_pretty(&a)?, t)
        }
    };
    match args.format {
        Format::Json => writeln!(out, "{json}")?,
        Format::Csv => out = super::report::csv_out(vec![table], args, lang, calendar, &format!("tsifra-{}", args.id), today)?,
        Format::Table => out.push_str(&tabular::to_text_fitted(
            &table,
            lang,
            currency,
            calendar,
            super::report::terminal_width(),
        )),
    }
    Ok(out)
}
