//! Chain reads: status, blocks, transactions, the validator set.
use super::*;
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::params::*;
use crate::{policy, AppState};
use axum::{
    extract::{rejection::PathRejection, Path, State},
    Json,
};
use gridledger_api_types::ErrorCode;
use gridledger_api_types::*;
use gridledger_types::Address;

pub async fn status(State(st): State<AppState>) -> Result<Json<StatusView>, ApiError> {
    let node = st.node.clone();
    Ok(Json(node_call(move || node.status()).await?))
}

pub async fn tx(
    State(st): State<AppState>,
    viewer: Viewer,
    hash: Result<Path<String>, PathRejection>,
) -> Result<Json<TxView>, ApiError> {
    let hash = parse_hash(&path_segment(hash, ErrorCode::InvalidHash)?)?;
    let node = st.node.clone();
    let v = viewer.clone();
    let (found, allowed) = node_call(move || -> Result<_, NodeError> {
        let Some(tx) = node.tx(&hash)? else {
            return Ok((None, false));
        };
        let allowed = policy::entitled(&v) || policy::tx(&v, &policy::tx_parties(&*node, &tx)?);
        Ok((Some(shown_tx(&*node, &v, tx)?), allowed))
    })
    .await??;
    match found {
        None => Err(ApiError::not_found(format!(
            "no finalized transaction {hash}"
        ))),
        Some(_) if !allowed => Err(policy::refuse(&viewer, "this transaction")),
        Some(tx) => Ok(Json(tx)),
    }
}

/// `tx` as `v` may see it: a member card only to its member and charging operator.
pub(crate) fn shown_tx(
    node: &dyn NodeApi,
    v: &Viewer,
    mut tx: TxView,
) -> Result<TxView, NodeError> {
    let member = match policy::card_member(&tx) {
        (Some(a), _) => Some(a),
        (None, Some(no)) => node
            .charging(&ChargingQuery::Member { member_no: no })?
            .and_then(|m| {
                m["address"]
                    .as_str()
                    .and_then(|h| Address::from_hex(h).ok())
            }),
        (None, None) => None,
    };
    policy::redact_card(v, &mut tx, member.as_ref());
    Ok(tx)
}

async fn block_at(st: &AppState, height: u64) -> Result<Json<BlockView>, ApiError> {
    let node = st.node.clone();
    node_call(move || node.block(height))
        .await??
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no finalized block at height {height}")))
}

pub async fn block(
    State(st): State<AppState>,
    height: Result<Path<String>, PathRejection>,
) -> Result<Json<BlockView>, ApiError> {
    let height = parse_u64(
        &path_segment(height, ErrorCode::InvalidHeight)?,
        ErrorCode::InvalidHeight,
        "a block height",
    )?;
    block_at(&st, height).await
}

pub async fn latest_block(State(st): State<AppState>) -> Result<Json<BlockView>, ApiError> {
    let node = st.node.clone();
    let height = node_call(move || node.status().height).await?;
    block_at(&st, height).await
}

pub async fn validators(State(st): State<AppState>) -> Result<Json<ValidatorsView>, ApiError> {
    let node = st.node.clone();
    Ok(Json(node_call(move || node.validators()).await??))
}
