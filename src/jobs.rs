//! Work the server does on its own: storing today's CRM-hygiene tallies every
//! hour, so the hygiene board's trend builds up day by day.

use std::time::Duration;

use anyhow::Result;
use tsifra_core::model::Batch;
use tsifra_core::reports::{Report, ReportId, hygiene};
use tsifra_store::Store;
use tsifra_web::AppState;
use tsifra_web::reports::{ReportQuery, compute};

/// How often today's tallies are refreshed; the last refresh of a day stands for it.
pub const HYGIENE_EVERY: Duration = Duration::from_secs(3600);

/// Computes the hygiene report as of now and stores today's tallies (replacing earlier ones of today).
pub async fn store_hygiene_today(state: &AppState, store: &Store) -> Result<()> {
    let now = state.now();
    let report = compute(state, ReportId::Hygiene, &ReportQuery::default(), now)
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let Report::Hygiene(h) = &*report else {
        unreachable!("asked for hygiene")
    };
    let batch = Batch {
        hygiene_history: hygiene::tallies(h, state.calendar().local_date(now)),
        ..Batch::default()
    };
    if batch.hygiene_history.is_empty() {
        return Ok(());
    }
    store.write_batch(&batch).await?;
    state.apply_batch(&batch).await;
    Ok(())
}

/// Runs [`store_hygiene_today`] now and then every [`HYGIENE_EVERY`] until the process ends.
pub fn spawn_hygiene_job(state: AppState, store: Store) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(HYGIENE_EVERY);
        loop {
            tick.tick().await;
            if let Err(e) = store_hygiene_today(&state, &store).await {
                tracing::warn!(error = %e, "could not store today's hygiene tallies");
            }
        }
    });
}
