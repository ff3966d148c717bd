//! Work the server does on its own: storing today's CRM-hygiene tallies every
//! hour, so the hygiene board's trend builds up day by day; and watching the
//! store for what other processes write (an import from another shell, a
//! second server), so the boards show it within seconds.

use std::time::Duration;

use anyhow::Result;
use tsifra_core::model::Batch;
use tsifra_core::reports::{Report, ReportId, hygiene};
use tsifra_store::{Store, StoreChanges};
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
    let version = store.write_batch(&batch).await?;
    state.apply_batch(&batch).await;
    state.stored(version);
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

/// How often a server that started on a full disk (its store read-only) looks for room to write again.
pub const ROOM_CHECK_EVERY: Duration = Duration::from_secs(5);

/// For a server serving a read-only store (the disk was full at start): every
/// [`ROOM_CHECK_EVERY`], once the disk has room, reopens the store for writing
/// (every clone of it, the connector's too, writes from then on), serves what
/// it holds now, drops the pages' warning and starts the hygiene job.
pub fn spawn_reopen_when_room(state: AppState, store: Store) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(ROOM_CHECK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match store.reopen_writable().await {
                Ok(false) => continue,
                Ok(true) => break,
                Err(e) => tracing::warn!(error = %e, "the disk has room again, but the store cannot be opened for writing yet"),
            }
        }
        state.set_read_only(false);
        match store.load().await {
            // A new workspace version: every cached page is made again, without the warning.
            Ok(ws) => {
                state.replace_workspace(ws).await;
            }
            Err(e) => tracing::warn!(error = %e, "could not reload the store after it became writable"),
        }
        tracing::info!("the disk has room again: the store is writable, syncs, webhooks and imports are stored");
        spawn_hygiene_job(state, store);
    });
}

/// How often the store's data version is read to notice other processes' writes.
pub const STORE_WATCH_EVERY: Duration = Duration::from_secs(2);

/// Every [`STORE_WATCH_EVERY`], compares the store's data version with the one
/// the served workspace reflects; when another process has written (a plan
/// import, a `tsifra sync` from a shell, another server on the same
/// PostgreSQL), takes in what it wrote (see [`reload_if_written_elsewhere`]).
/// This process's own writes move the mark as they land, so they are not read again.
/// `config` is the served config: an official calendar imported into the store
/// (`tsifra calendar import`) is served from then on too.
pub fn spawn_store_watch(state: AppState, store: Store, mut config: tsifra_core::Config) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(STORE_WATCH_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = reload_if_written_elsewhere(&state, &store).await {
                tracing::warn!(error = %e, "could not check the store for other processes' changes");
            }
            match store.imported_calendars().await {
                Ok(imported) if imported != config.calendar.imported => {
                    config.calendar.imported = imported;
                    state.replace_calendar(config.calendar()).await;
                    tracing::info!("an official calendar was imported by another process: the working days follow it");
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not read the imported calendars"),
            }
        }
    });
}

/// Brings the served workspace up to the store if another process wrote it;
/// says whether it did. What changed is read from the store's change log and
/// applied in place (the index and cached answers updated by what changed); the
/// store is loaded whole only when the log cannot say (it was pruned past the
/// served version, or too much changed: an import of a whole workspace).
pub async fn reload_if_written_elsewhere(state: &AppState, store: &Store) -> Result<bool> {
    // A write that lands while the changes are read makes them stale (see
    // AppState::catch_up): read again; a store that never stops moving is
    // caught up with at the next tick.
    for _ in 0..5 {
        let seen = state.store_version();
        let started = std::time::Instant::now();
        match store.changes_since(seen).await? {
            StoreChanges::UpToDate => return Ok(false),
            StoreChanges::Changed { version, batch, records } => {
                let still_at = async { matches!(store.version().await, Ok(now) if now == version) };
                if state.catch_up(&batch, version, still_at).await {
                    tracing::info!(
                        version,
                        records,
                        ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
                        "the store was changed by another process: took in what changed"
                    );
                    return Ok(true);
                }
            }
            StoreChanges::Reload { version, why } => {
                // A big write of this process's own may have landed a moment
                // before it was noted: look again shortly before loading it all.
                tokio::time::sleep(Duration::from_millis(300)).await;
                if state.store_version() >= version {
                    return Ok(false);
                }
                let ws = store.load().await?;
                let version = ws.version;
                state.replace_workspace(ws).await;
                tracing::info!(
                    version,
                    seconds = format!("{:.2}", started.elapsed().as_secs_f64()),
                    "the store was changed by another process: reloaded whole ({why})"
                );
                return Ok(true);
            }
        }
    }
    Ok(false)
}
