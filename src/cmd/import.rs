//! `tsifra import plans FILE|--url URL`: the head of sales' plan spreadsheet
//! into the store, replacing that file's earlier plans in one transaction and
//! saying what changed among the plans in force.

use std::path::Path;

use anyhow::{Context, Result, bail};
use tsifra_core::model::Batch;
use tsifra_import::plans::{PlanSource, parse_plans};

use super::plans;
use crate::cli::ImportCommand;
use crate::setup;

pub async fn run(cmd: ImportCommand, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    let ImportCommand::Plans(args) = cmd;
    let (origin, bytes) = match (&args.file, &args.url) {
        (Some(file), _) => {
            let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
            // The file name is the plan set's identity: importing plans.xlsx again replaces what plans.xlsx brought.
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.display().to_string());
            (name, bytes)
        }
        (None, Some(url)) => (url.clone(), fetch(url).await?),
        (None, None) => unreachable!("clap requires FILE or --url"),
    };
    if !data_dir.exists() {
        bail!(
            "no workspace in {}: plans name managers, so load the CRM data first (tsifra demo, or a sync)",
            data_dir.display()
        );
    }
    let loaded = setup::load_config(config, data_dir)?;
    let store = setup::open_store(&loaded.config, data_dir).await?;
    let ws = store.load().await?;
    let lang = loaded.config.business.language;
    let mut plans = parse_plans(&origin, PlanSource::detect(&origin, &bytes), &ws.users, lang)?;
    let imported_at = plans::import_time(&ws.plans, chrono::Utc::now());
    for p in &mut plans {
        p.imported_at = Some(imported_at);
    }
    let summary = plans::ImportSummary::of(&ws.plans, &origin, &plans);
    store
        .write_batch(&Batch {
            replace_plan_origins: vec![origin.clone()],
            plans,
            ..Batch::default()
        })
        .await?;
    store.close().await;
    println!("{}", tsifra_core::i18n::printable(&summary.message(lang, &origin)));
    Ok(())
}

async fn fetch(url: &str) -> Result<Vec<u8>> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        bail!("--url: expected an http(s) link to a published CSV, got {url:?}");
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build()?;
    let response = client.get(url).send().await.with_context(|| format!("cannot download {url}"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("downloading {url}: HTTP {status}; is the sheet published to the web as CSV?");
    }
    Ok(response.bytes().await?.to_vec())
}
