//! `tsifra serve`: load the workspace into memory and serve pages and the API.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use tsifra_store::Store;
use tsifra_web::{AppState, system_clock};

use crate::cli::ServeArgs;
use crate::setup::{self, Loaded};

pub async fn run(args: ServeArgs, data_dir: &Path, config: Option<&Path>) -> Result<()> {
    if let Err(e) = setup::ensure_data_dir(data_dir) {
        // A full disk still lets the last stored data be served (below); anything else stops here.
        if !setup::is_disk_full(&e) {
            return Err(e);
        }
    }
    let loaded = setup::load_config(config, data_dir)?;
    let store = open_or_read_only(&loaded.config, data_dir).await?;
    serve_store(store, loaded, data_dir, &args).await
}

/// The store read-write; or, when its disk is too full to open it so, the
/// last stored data read-only with a warning (on every page, in
/// `/api/health`, in the log) rather than no server at all.
async fn open_or_read_only(config: &tsifra_core::Config, data_dir: &Path) -> Result<Store> {
    let url = setup::store_url(config, data_dir);
    match Store::open(&url).await {
        Ok(store) => Ok(store),
        Err(e) if e.is_disk_full() => match Store::open_read_only(&url).await {
            Ok(store) => {
                tracing::warn!(error = %e, "{}", tsifra_core::i18n::text(config.business.language, "store.read_only"));
                Ok(store)
            }
            Err(read_only) => {
                tracing::warn!(error = %read_only, "the database cannot be opened read-only either");
                Err(e.into())
            }
        },
        Err(e) => Err(e.into()),
    }
}

pub async fn serve_store(store: Store, loaded: Loaded, data_dir: &Path, args: &ServeArgs) -> Result<()> {
    let mut config = loaded.config;
    // Imported production calendars are part of the business calendar every page counts in.
    config.calendar.imported = store.imported_calendars().await?;
    let calendar = config.calendar();
    let frozen = setup::parse_as_of(args.as_of.as_deref(), &calendar, config.business.language)?;
    let started = std::time::Instant::now();
    let ws = store.load().await?;
    tracing::info!(
        deals = ws.deals.len(),
        seconds = format!("{:.2}", started.elapsed().as_secs_f64()),
        "workspace loaded"
    );
    // A [fields] or [hygiene] name the CRM lacks quietly changes results: say so at start
    // (the boards say it in their notes too).
    for problem in crate::cmd::config::names_in(&ws, &config, config.business.language).problems {
        tracing::warn!(
            "{}: {problem}",
            tsifra_core::i18n::text(config.business.language, "cli.names_warning")
        );
    }
    let clock = match frozen {
        Some(at) => Arc::new(move || at) as tsifra_web::Clock,
        None => system_clock(),
    };
    let bind = args.bind.clone().unwrap_or_else(|| config.server.bind.clone());
    let limits = tsifra_web::Limits::from_config(&config);
    let amocrm_enabled = config.amocrm.is_enabled();
    let webhook_secret = config.amocrm.webhook_secret.clone();
    let connector_config = config.clone();
    let state = AppState::with_clock(config, ws, data_dir, clock);
    state.set_read_only(store.is_read_only());
    if store.is_read_only() {
        crate::jobs::spawn_reopen_when_room(state.clone(), store.clone());
    } else {
        crate::jobs::spawn_hygiene_job(state.clone(), store.clone());
    }
    crate::jobs::spawn_store_watch(state.clone(), store.clone(), connector_config.clone());
    // Renders every board after start and each minute's live reports before the minute turns.
    tokio::spawn(tsifra_web::keep_warm(state.clone()));
    let mut router = tsifra_web::app(state.clone());
    if amocrm_enabled {
        let engine = crate::connector::engine(&connector_config, data_dir, store.clone(), state.clone())?.expect("enabled");
        let connector = crate::connector::Connector {
            engine,
            status: Default::default(),
            webhook_secret,
            webhooks: Arc::new(crate::connector::WebhookQueue::new(connector_config.server.webhook_backlog)),
        };
        connector.spawn_schedule(&connector_config)?;
        connector.spawn_webhook_worker();
        router = router.merge(connector.routes());
        state.set_sync(Arc::new(connector));
    }
    let listener = tokio::net::TcpListener::bind(&bind)
        .await
        .with_context(|| format!("cannot listen on {bind}"))?;
    let addr = listener.local_addr()?;
    eprintln!("Tsifra is serving http://{addr}/  (Ctrl-C to stop)");
    tsifra_web::serve_router(listener, router, &limits, tsifra_web::shutdown_signal()).await?;
    store.close().await;
    Ok(())
}
