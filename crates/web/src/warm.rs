//! Making what the boards show before anyone asks: after a start, the first
//! visitor of a million-deal workspace would otherwise wait seconds for the
//! index, the reports, the hygiene trend and the pages; and at every turn of
//! the minute, every open board would wait for its live reports. Run
//! [`keep_warm`] in the background once the server listens.

use std::time::Duration;

use axum::extract::{Path, Query, State};
use chrono::{DurationRound, TimeDelta};
use tsifra_core::config::parse_tv_board;

use crate::asof::AsOf;
use crate::boards::BOARDS;
use crate::pages;
use crate::reports::prepare_next_minute;
use crate::state::AppState;

/// How long before the minute turns its live reports are made.
const LEAD: Duration = Duration::from_secs(10);

/// [`warm_up`], then, shortly before each minute turns, the next minute's live
/// reports (those asked for in this minute). Runs until the runtime stops; does
/// nothing while the clock stands still (`--as-of`).
pub async fn keep_warm(state: AppState) {
    warm_up(state.clone()).await;
    loop {
        let now = state.now();
        let next = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now) + TimeDelta::minutes(1);
        let until = (next - now).to_std().unwrap_or_default();
        if until > LEAD {
            tokio::time::sleep(until - LEAD).await;
            if state.now() == now {
                // A frozen clock: the minute never turns.
                tokio::time::sleep(Duration::from_secs(60)).await;
                continue;
            }
        }
        let made = prepare_next_minute(&state, next).await;
        tracing::debug!(made, "next minute's live reports made");
        let left = (next - state.now()).to_std().unwrap_or_default();
        tokio::time::sleep(left + Duration::from_secs(1)).await;
    }
}

/// Renders every board, the owner's board and the TV's slides for "now" into the caches.
pub async fn warm_up(state: AppState) {
    let started = std::time::Instant::now();
    let as_of = AsOf {
        at: state.now(),
        requested: None,
    };
    let mut failed = 0;
    for board in BOARDS.iter().filter(|b| b.available) {
        let page = pages::board::board(
            State(state.clone()),
            Path(board.slug.to_string()),
            as_of.clone(),
            Query(Default::default()),
        )
        .await;
        failed += usize::from(page.is_err());
    }
    failed += usize::from(
        pages::owner::owner(State(state.clone()), as_of.clone(), Query(Default::default()))
            .await
            .is_err(),
    );
    // The explore and Pareto boards' defaults, which also builds the query layer once.
    failed += usize::from(
        crate::explore::page::explore(State(state.clone()), as_of.clone(), Query(Vec::new()))
            .await
            .is_err(),
    );
    failed += usize::from(
        crate::explore::pareto::page(State(state.clone()), as_of.clone(), Query(Vec::new()))
            .await
            .is_err(),
    );
    let token = state.config().tv.token.clone();
    for entry in state.config().tv.boards.clone() {
        let Ok((slug, _)) = parse_tv_board(&entry) else { continue };
        let query = pages::tv::TvQuery {
            token: Some(token.clone()),
            ..Default::default()
        };
        let slide = pages::tv::slide(State(state.clone()), Path(slug.to_string()), as_of.clone(), Query(query)).await;
        failed += usize::from(slide.is_err());
    }
    tracing::info!(
        seconds = format!("{:.1}", started.elapsed().as_secs_f64()),
        failed,
        "boards made ready"
    );
}
