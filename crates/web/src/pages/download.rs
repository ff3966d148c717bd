//! Every table of every board as a file: `/boards/{slug}/{table}.csv`,
//! `/boards/{slug}/{table}.xlsx`, and the whole report as one workbook,
//! `/boards/{slug}.xlsx`. All rows, whatever the page shows, from the same
//! cached tables the page is drawn from.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use tsifra_core::reports::tabular::{Table, csv_file};

use crate::asof::AsOf;
use crate::boards::{self, Board};
use crate::downloads;
use crate::error::AppError;
use crate::pages::board::BoardQuery;
use crate::reports::compute_for;
use crate::state::AppState;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// `GET /boards/{slug}/{table}.{csv|xlsx}`.
pub async fn table_file(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
    uri: Uri,
    as_of: AsOf,
    Query(query): Query<BoardQuery>,
) -> Result<Response, AppError> {
    let not_found = || AppError::NotFound {
        path: format!("/boards/{slug}/{file}"),
    };
    let board = boards::find(&slug).ok_or_else(not_found)?;
    let (table_id, ext) = file.rsplit_once('.').ok_or_else(not_found)?;
    if !["csv", "xlsx"].contains(&ext) {
        return Err(not_found());
    }
    let computed = compute_for(&state, board.report, &query.report_query(state.language())?, &as_of).await?;
    let tables = computed.tables(&state);
    let table = tables.iter().find(|t| t.id == table_id).ok_or_else(not_found)?.clone();
    let name = file_name(&state, board, Some(table_id), &computed, ext);
    let csv = ext == "csv";
    let st = state.clone();
    downloads::shared(&state, uri.to_string(), &as_of, move || async move {
        let body = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, AppError> {
            let calendar = &*st.calendar();
            if csv {
                // `;` and a decimal comma for a Russian workspace, after a byte-order mark.
                Ok(csv_file(&table, calendar, st.language()))
            } else {
                xlsx(std::slice::from_ref(&table), &st)
            }
        })
        .await
        .map_err(|e| AppError::Internal(format!("making a download failed: {e}")))??;
        Ok((body, name))
    })
    .await
}

/// `GET /boards/{slug}.xlsx`: every table of the report, a sheet each.
pub async fn workbook(state: AppState, board: &'static Board, as_of: AsOf, query: BoardQuery) -> Result<Response, AppError> {
    let report_query = query.report_query(state.language())?;
    // Keyed by every option the report reads (a period picked as dates is already a range here).
    let what = format!("workbook\u{1}{}\u{1}{report_query:?}", board.slug);
    let computed = compute_for(&state, board.report, &report_query, &as_of).await?;
    let name = file_name(&state, board, None, &computed, "xlsx");
    let tables = computed.tables(&state);
    let st = state.clone();
    downloads::shared(&state, what, &as_of, move || async move {
        let body = tokio::task::spawn_blocking(move || xlsx(&tables, &st))
            .await
            .map_err(|e| AppError::Internal(format!("making a download failed: {e}")))??;
        Ok((body, name))
    })
    .await
}

pub(crate) fn xlsx(tables: &[Table], state: &AppState) -> Result<Vec<u8>, AppError> {
    let currency = state.config().business.currency.as_str();
    tsifra_import::export::to_xlsx(tables, &state.calendar(), state.language(), currency)
        .map_err(|e| AppError::Internal(format!("xlsx: {e}")))
}

/// `tsifra-hygiene-violations-2026-11-20.csv`: ASCII, so every browser keeps it as is.
fn file_name(state: &AppState, board: &Board, table: Option<&str>, computed: &crate::reports::Computed, ext: &str) -> String {
    let day = state.calendar().local_date(computed.report_as_of()).format("%Y-%m-%d");
    let safe = |s: &str| -> String { s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect() };
    match table {
        Some(table) => format!("tsifra-{}-{}-{day}.{ext}", board.slug, safe(table)),
        None => format!("tsifra-{}-{day}.{ext}", board.slug),
    }
}

pub(crate) fn attachment(body: impl Into<axum::body::Body>, name: &str) -> Response {
    let kind = if name.ends_with(".csv") { "text/csv; charset=utf-8" } else { XLSX };
    let mut response = ([(header::CONTENT_TYPE, kind)], body.into()).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        response.headers_mut().insert(header::CONTENT_DISPOSITION, value);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
