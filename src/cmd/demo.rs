//! `tsifra demo`: a generated sales department, stored like real data and served.

use std::fs;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::{DurationRound, TimeDelta, Utc};
use tsifra_core::model::Batch;
use tsifra_demo::{DemoOptions, MAX_MANAGERS, MIN_MANAGERS, field_mapping, generate_with_managers, plans_csv};
use tsifra_store::Store;

use crate::cli::DemoArgs;
use crate::cmd::serve;
use crate::setup::{self, usage};

pub async fn run(args: DemoArgs, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    // Errors in the language of the config there is (Russian before the demo writes its own).
    let lang = || {
        setup::load_config(config, data_dir)
            .map(|l| l.config.business.language)
            .unwrap_or_default()
    };
    let deals = usize::try_from(args.deals).ok().filter(|n| *n > 0).ok_or_else(|| {
        usage(tsifra_core::i18n::text_with(
            lang(),
            "cli.deals_positive",
            &[("value", &args.deals.to_string())],
        ))
    })?;
    let managers = usize::try_from(args.managers)
        .ok()
        .filter(|n| (MIN_MANAGERS..=MAX_MANAGERS).contains(n))
        .ok_or_else(|| {
            usage(tsifra_core::i18n::text_with(
                lang(),
                "cli.managers_range",
                &[
                    ("min", &MIN_MANAGERS.to_string()),
                    ("max", &MAX_MANAGERS.to_string()),
                    ("value", &args.managers.to_string()),
                ],
            ))
        })?;
    setup::ensure_data_dir(data_dir)?;
    let config_file = data_dir.join("tsifra.toml");
    if config.is_none() && !config_file.exists() {
        setup::write_private(&config_file, &demo_config())?;
    }
    let loaded = setup::load_config(config, data_dir)?;
    let calendar = loaded.config.calendar();
    let as_of = setup::parse_as_of(args.serve.as_of.as_deref(), &calendar, loaded.config.business.language)?
        .unwrap_or_else(|| Utc::now().duration_trunc(TimeDelta::minutes(1)).unwrap_or_else(|_| Utc::now()));

    let url = setup::store_url(&loaded.config, data_dir);
    if args.regenerate {
        remove_sqlite_files(&url)?;
    }
    let store = Store::open(&url).await?;
    let present = store.counts().await?.iter().any(|(_, n)| *n > 0);
    if present {
        eprintln!(
            "Using the demo workspace in {} (--regenerate to make a new one).",
            data_dir.display()
        );
    } else {
        create(
            &store,
            data_dir,
            &loaded.config,
            &calendar,
            DemoOptions {
                seed: args.seed,
                deals,
                as_of,
            },
            managers,
        )
        .await?;
    }
    if args.no_serve {
        store.close().await;
        return Ok(());
    }
    serve::serve_store(store, loaded, data_dir, &args.serve).await
}

/// Generates the department, writes its plan spreadsheet beside it and stores it in one batch.
pub async fn create(
    store: &Store,
    data_dir: &Path,
    config: &tsifra_core::Config,
    calendar: &tsifra_core::BusinessCalendar,
    opts: DemoOptions,
    managers: usize,
) -> Result<()> {
    let started = std::time::Instant::now();
    eprintln!(
        "Generating a demo department: {} managers, {} deals, seed {}, clock at {}...",
        managers,
        opts.deals,
        opts.seed,
        opts.as_of.format("%Y-%m-%d %H:%M UTC")
    );
    let mut ws = generate_with_managers(&opts, calendar, managers);
    ws.hygiene_history = hygiene_backfill(&ws, config, calendar, opts.as_of);
    let generated = started.elapsed();
    let plans_file = data_dir.join(tsifra_demo::PLAN_ORIGIN);
    fs::write(&plans_file, plans_csv(&ws)).with_context(|| format!("cannot write {}", plans_file.display()))?;
    store.write_batch(&Batch::from_workspace(&ws)).await?;
    eprintln!(
        "Stored {} deals, {} companies, {} tasks, {} communications in {:.1} s (generated in {:.1} s). Plans: {}",
        ws.deals.len(),
        ws.companies.len(),
        ws.tasks.len(),
        ws.activities.len(),
        started.elapsed().as_secs_f64(),
        generated.as_secs_f64(),
        plans_file.display()
    );
    Ok(())
}

/// What the hourly hygiene job would have stored at the end of each of the
/// last 30 days, so the demo's hygiene trend is there from the first start.
fn hygiene_backfill(
    ws: &tsifra_core::Workspace,
    config: &tsifra_core::Config,
    calendar: &tsifra_core::BusinessCalendar,
    as_of: tsifra_core::Instant,
) -> Vec<tsifra_core::model::HygieneCount> {
    use tsifra_core::reports::{Ctx, Facts, ReportParams, hygiene};
    let facts = Facts::build(ws, config);
    let today = calendar.local_date(as_of);
    let days = hygiene::TREND_DAYS;
    (1..=days)
        .rev()
        .flat_map(|back| {
            let day = today - chrono::Duration::days(back);
            let end_of_day = calendar.start_of_day(day + chrono::Duration::days(1)) - chrono::Duration::seconds(1);
            let ctx = Ctx {
                ws,
                facts: &facts,
                config,
                calendar,
                as_of: end_of_day,
            };
            hygiene::tallies(&hygiene::hygiene(&ctx, &ReportParams::default()), day)
        })
        .collect()
}

fn remove_sqlite_files(url: &str) -> Result<()> {
    let Some(path) = url.strip_prefix("sqlite://") else {
        return Err(usage(
            "--regenerate works with the SQLite store only; empty the PostgreSQL database by hand",
        ));
    };
    let path = path.split('?').next().unwrap_or(path);
    for suffix in ["", "-wal", "-shm"] {
        let file = format!("{path}{suffix}");
        match fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {file}")),
        }
    }
    Ok(())
}

/// The demo's config: its custom fields mapped onto business meanings, as an integrator would write it.
fn demo_config() -> String {
    #[derive(serde::Serialize)]
    struct Fields {
        fields: tsifra_core::config::FieldMapping,
    }
    let fields = toml::to_string(&Fields { fields: field_mapping() }).expect("a field mapping serialises");
    format!(
        "# The demo department's config. Every key of `tsifra config sample` may be set here;\n\
         # unset keys keep their defaults. The demo's custom fields are mapped by name:\n\n{fields}\n\
         [hygiene]\n\
         # From the proposal on, a deal must say what product it is about.\n\
         required = [{{ from_stage = \"КП отправлено\", fields = [\"Тип продукта\"] }}]\n"
    )
}
