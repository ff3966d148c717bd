//! `tsifra sync`: the first full load, then incremental runs, with progress.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use tsifra_amocrm::SyncMode;
use tsifra_amocrm::sync::Progress;
use tsifra_web::{AppState, system_clock};

use crate::cli::SyncArgs;
use crate::{connector, setup};

pub async fn run(args: SyncArgs, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    setup::ensure_data_dir(data_dir)?;
    let loaded = setup::load_config(config, data_dir)?;
    if !loaded.config.amocrm.is_enabled() {
        bail!(
            "amoCRM is not configured: set [amocrm] base_url and a long_lived_token (or OAuth2 keys, then `tsifra amocrm connect`) in {}",
            data_dir.join("tsifra.toml").display()
        );
    }
    let store = setup::open_store(&loaded.config, data_dir).await?;
    let ws = store.load().await?;
    let state = AppState::with_clock(loaded.config.clone(), ws, data_dir, system_clock());
    let engine = connector::engine(&loaded.config, data_dir, store.clone(), state)?.expect("enabled above");

    // amoCRM gives no totals for most lists, so the bar shows counts and rates per phase.
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}").expect("a valid template"));
    bar.enable_steady_tick(Duration::from_millis(200));
    let shown = Arc::new(bar.clone());
    let progress = move |p: &Progress| {
        let total = p.total.map(|t| format!(" of {t}")).unwrap_or_default();
        shown.set_message(format!("{}: {}{} records, {} requests", p.phase, p.done, total, p.requests));
    };
    let mode = if args.full { SyncMode::Full } else { SyncMode::Auto };
    let result = engine.run(mode, &progress).await;
    bar.finish_and_clear();
    let report = result?;
    store.close().await;
    let secs = report.elapsed_ms as f64 / 1000.0;
    println!(
        "{:?} sync{}: {} records, {} deletions, {} requests in {:.1} s ({:.1} requests/s){}",
        report.kind,
        if report.resumed { " (resumed)" } else { "" },
        report.records,
        report.deletions,
        report.requests,
        secs,
        report.requests as f64 / secs.max(0.001),
        if report.skipped > 0 {
            format!("; {} unreadable records skipped (see the log)", report.skipped)
        } else {
            String::new()
        }
    );
    Ok(())
}
