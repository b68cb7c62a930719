//! Account reads: an account, a participant, an account's transaction history.
use super::*;
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::params::*;
use crate::routes::chain::shown_tx;
use crate::{policy, AppState};
use axum::{
    extract::{rejection::PathRejection, Path, Query, State},
    Json,
};
use gridledger_api_types::ErrorCode;
use gridledger_api_types::*;
use serde::Deserialize;

/// Default and largest page size of account history.
pub const HISTORY_DEFAULT_LIMIT: usize = 20;
pub const HISTORY_MAX_LIMIT: usize = 100;

pub async fn account(
    State(st): State<AppState>,
    viewer: Viewer,
    address: Result<Path<String>, PathRejection>,
) -> Result<Json<AccountView>, ApiError> {
    let address = parse_address(&path_segment(address, ErrorCode::InvalidAddress)?)?;
    policy::account(&viewer, &address)?;
    let node = st.node.clone();
    Ok(Json(node_call(move || node.account(&address)).await??))
}

pub async fn participant(
    State(st): State<AppState>,
    address: Result<Path<String>, PathRejection>,
) -> Result<Json<ParticipantView>, ApiError> {
    let address = parse_address(&path_segment(address, ErrorCode::InvalidAddress)?)?;
    let node = st.node.clone();
    let a = address.clone();
    node_call(move || node.participant(&a))
        .await??
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("{address} is not a registered participant")))
}

#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

pub async fn history(
    State(st): State<AppState>,
    viewer: Viewer,
    address: Result<Path<String>, PathRejection>,
    query: Result<Query<HistoryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<HistoryPage>, ApiError> {
    let address = parse_address(&path_segment(address, ErrorCode::InvalidAddress)?)?;
    let Query(q) = query.map_err(|e| {
        ApiError::bad_request(
            ErrorCode::InvalidRequest,
            format!("bad query: {}", e.body_text()),
        )
    })?;
    let limit = match q.limit.as_deref() {
        None => HISTORY_DEFAULT_LIMIT,
        Some(s) => match uint(s, HISTORY_MAX_LIMIT as u64) {
            Some(n) if n >= 1 => n as usize,
            _ => {
                return Err(ApiError::bad_request(
                    ErrorCode::InvalidLimit,
                    format!("limit must be an integer from 1 to {HISTORY_MAX_LIMIT}"),
                ))
            }
        },
    };
    let before = decode_cursor(q.cursor.as_deref().unwrap_or(""))?;
    policy::account(&viewer, &address)?;
    let node = st.node.clone();
    // One more than the page so the last page carries no cursor.
    let mut items = node_call(move || -> Result<_, NodeError> {
        node.history(&address, before, limit + 1)?
            .into_iter()
            .map(|t| shown_tx(&*node, &viewer, t))
            .collect::<Result<Vec<_>, _>>()
    })
    .await??;
    let next_cursor = if items.len() > limit {
        items.truncate(limit);
        items.last().map(|t| encode_cursor(t.height, t.index))
    } else {
        None
    };
    Ok(Json(HistoryPage { items, next_cursor }))
}
