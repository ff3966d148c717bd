//! Making what the boards show before anyone asks: after a start, the first
//! visitor of a million-deal workspace would otherwise wait seconds for the
//! index, the reports, the hygiene trend and the pages. Run it in the
//! background once the server listens.

use axum::extract::{Path, Query, State};
use tsifra_core::config::parse_tv_board;

use crate::asof::AsOf;
use crate::boards::BOARDS;
use crate::pages;
use crate::state::AppState;

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
