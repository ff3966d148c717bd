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

    // amoCRM gives no totals for lists; a full scan goes up by id, and the
    // highest id says how far it has got: a bar with an ETA per phase then.
    let bar = ProgressBar::new_spinner();
    bar.set_style(spinner_style());
    bar.enable_steady_tick(Duration::from_millis(200));
    let shown = Arc::new(bar.clone());
    let phase_started = std::sync::Mutex::new((String::new(), std::time::Instant::now()));
    let progress = move |p: &Progress| {
        let mut phase = phase_started.lock().unwrap_or_else(|e| e.into_inner());
        if phase.0 != p.phase {
            *phase = (p.phase.to_string(), std::time::Instant::now());
        }
        let total = p.total.map(|t| format!(" of {t}")).unwrap_or_default();
        let mut message = format!("{}: {}{} records, {} requests", p.phase, p.done, total, p.requests);
        match p.fraction {
            Some(f) => {
                shown.set_style(bar_style());
                shown.set_length(1000);
                shown.set_position((f * 1000.0).round() as u64);
                if let Some(left) = eta(phase.1.elapsed(), f) {
                    message.push_str(&format!(", ~{} left in this phase", human(left)));
                }
            }
            None => shown.set_style(spinner_style()),
        }
        shown.set_message(message);
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

fn spinner_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {elapsed_precise} {msg}").expect("a valid template")
}

fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("{spinner} {elapsed_precise} [{bar:24}] {percent:>3}% {msg}")
        .expect("a valid template")
        .progress_chars("=> ")
}

/// Time left at the pace so far, once there is enough to go on (2% of the phase).
fn eta(elapsed: Duration, fraction: f64) -> Option<Duration> {
    (0.02..1.0)
        .contains(&fraction)
        .then(|| elapsed.mul_f64((1.0 - fraction) / fraction))
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h {:02}m", s / 3600, s % 3600 / 60)
    } else if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eta_at_the_pace_so_far() {
        assert_eq!(eta(Duration::from_secs(30), 0.25), Some(Duration::from_secs(90)));
        assert_eq!(eta(Duration::from_secs(30), 0.01), None, "too early to tell");
        assert_eq!(eta(Duration::from_secs(30), 1.0), None, "done");
        assert_eq!(human(Duration::from_secs(42)), "42s");
        assert_eq!(human(Duration::from_secs(125)), "2m 05s");
        assert_eq!(human(Duration::from_secs(7_380)), "2h 03m");
    }
}
