//! Route handlers. Node calls are synchronous (they may touch the store), so they run on the
//! blocking pool.
use crate::auth::Viewer;
use crate::error::ApiError;
use crate::params::*;
use crate::{policy, AppState, OPENAPI_JSON};
use axum::{
    body::Bytes,
    extract::{
        rejection::{BytesRejection, PathRejection},
        Path, Query, State,
    },
    http::{header, StatusCode, Uri},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
    Json,
};
use futures::{Stream, StreamExt};
use gridledger_api_types::ErrorCode;
use gridledger_api_types::Lagged;
use gridledger_api_types::*;
use gridledger_types::{Address, DecodeExt, Hash32, SignedTransaction, SiteId, TX_MAX_BYTES};
use serde::Deserialize;
use std::{any::Any, convert::Infallible, sync::Arc};

/// Default and largest page size of account history.
pub const HISTORY_DEFAULT_LIMIT: usize = 20;
pub const HISTORY_MAX_LIMIT: usize = 100;

/// Runs a node call on the blocking pool; a panic inside the node becomes a 500.
pub(crate) async fn node_call<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "node call failed");
        ApiError::internal("node call failed")
    })
}

pub async fn status(State(st): State<AppState>) -> Result<Json<StatusView>, ApiError> {
    let node = st.node.clone();
    Ok(Json(node_call(move || node.status()).await?))
}

// ---------------------------------------------------------------- submit

/// A request body as JSON, or `body_too_large` / `invalid_request` / `invalid_json`.
pub(crate) fn json_body(
    body: Result<Bytes, BytesRejection>,
) -> Result<serde_json::Value, ApiError> {
    let body = body_bytes(body)?;
    serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(ErrorCode::InvalidJson, format!("malformed JSON: {e}")))
}

/// The request body, or `body_too_large` / `invalid_request` (never quoting the body).
pub(crate) fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rej| {
        if rej.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::BodyTooLarge,
                "request body exceeds the configured limit",
            )
        } else {
            ApiError::bad_request(
                ErrorCode::InvalidRequest,
                format!("could not read body: {}", rej.body_text()),
            )
        }
    })
}

/// Reads the submit body into hex strings, or the request-level error.
fn parse_submit_body(
    body: Result<Bytes, BytesRejection>,
    max_batch: usize,
) -> Result<Vec<String>, ApiError> {
    let value = json_body(body)?;
    let shape_err = || {
        ApiError::bad_request(
            ErrorCode::InvalidRequest,
            r#"expected {"tx": "<hex>"} or {"txs": ["<hex>", ...]}"#,
        )
    };
    let obj = value.as_object().ok_or_else(shape_err)?;
    if obj.len() != 1 || !(obj.contains_key("tx") || obj.contains_key("txs")) {
        return Err(shape_err());
    }
    let hexes = match serde_json::from_value::<SubmitRequest>(value).map_err(|_| shape_err())? {
        SubmitRequest::One { tx } => vec![tx],
        SubmitRequest::Batch { txs } => txs,
    };
    if hexes.is_empty() {
        return Err(ApiError::bad_request(
            ErrorCode::InvalidRequest,
            "empty batch",
        ));
    }
    if hexes.len() > max_batch {
        return Err(ApiError::bad_request(
            ErrorCode::BatchTooLarge,
            format!(
                "{} transactions; at most {max_batch} per request",
                hexes.len()
            ),
        ));
    }
    Ok(hexes)
}

fn refused(
    hash: Option<Hash32>,
    code: impl Into<String>,
    message: impl Into<String>,
) -> SubmitResult {
    SubmitResult {
        hash,
        accepted: false,
        error: Some(ErrorBody {
            code: code.into(),
            message: message.into(),
        }),
    }
}

/// Decodes one submitted hex string, or the per-transaction refusal.
fn decode_tx(hex_str: &str, chain_id: &str) -> Result<SignedTransaction, SubmitResult> {
    let s = hex_str.strip_prefix("0x").unwrap_or(hex_str);
    if s.len() > 2 * TX_MAX_BYTES {
        return Err(refused(
            None,
            ErrorCode::TxTooLarge,
            format!("transaction exceeds {TX_MAX_BYTES} bytes"),
        ));
    }
    let bytes = hex::decode(s)
        .map_err(|e| refused(None, ErrorCode::InvalidHex, format!("invalid hex: {e}")))?;
    if bytes.len() > TX_MAX_BYTES {
        // Unreachable given the length check above; kept so the bound never depends on it.
        return Err(refused(
            None,
            ErrorCode::TxTooLarge,
            format!("transaction exceeds {TX_MAX_BYTES} bytes"),
        ));
    }
    let tx = SignedTransaction::decode(bytes.as_slice()).map_err(|e| {
        refused(
            None,
            ErrorCode::InvalidEncoding,
            format!("not a canonical signed transaction: {e}"),
        )
    })?;
    if !chain_id.is_empty() && tx.tx.chain_id.as_str() != chain_id {
        return Err(refused(
            Some(tx.hash()),
            ErrorCode::WrongChain,
            format!(
                "signed for chain '{}', this node serves '{chain_id}'",
                tx.tx.chain_id
            ),
        ));
    }
    Ok(tx)
}

pub async fn submit(State(st): State<AppState>, body: Result<Bytes, BytesRejection>) -> Response {
    let hexes = match parse_submit_body(body, st.cfg.max_batch) {
        Ok(h) => h,
        Err(e) => return e.into_response(),
    };
    st.metrics.record_submitted(hexes.len() as u64);

    // Decode everything first; decodable transactions go to the node in one call.
    let mut results: Vec<Option<SubmitResult>> = Vec::with_capacity(hexes.len());
    let mut to_node = Vec::new();
    let mut slots = Vec::new(); // index in `results` of each entry of `to_node`
    for (i, h) in hexes.iter().enumerate() {
        match decode_tx(h, &st.cfg.chain_id) {
            Ok(tx) => {
                slots.push((i, tx.hash()));
                to_node.push(tx);
                results.push(None);
            }
            Err(r) => results.push(Some(r)),
        }
    }
    if !to_node.is_empty() {
        let node = st.node.clone();
        let outcome = match node_call(move || node.submit(to_node)).await {
            Ok(o) => o,
            Err(e) => return e.into_response(),
        };
        if outcome.len() != slots.len() {
            tracing::error!(
                expected = slots.len(),
                got = outcome.len(),
                "node returned the wrong number of submit results"
            );
        }
        let mut outcome = outcome.into_iter();
        for (i, hash) in slots {
            results[i] = Some(match outcome.next() {
                Some(Ok(h)) => SubmitResult {
                    hash: Some(h),
                    accepted: true,
                    error: None,
                },
                Some(Err(Rejected { code, message })) => refused(Some(hash), &code, message),
                None => refused(Some(hash), ErrorCode::InternalError, "node gave no result"),
            });
        }
    }
    let results: Vec<SubmitResult> = results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| refused(None, ErrorCode::InternalError, "no result")))
        .collect();
    for r in &results {
        match &r.error {
            None => st.metrics.record_accepted(),
            Some(e) => st.metrics.record_rejected(&e.code),
        }
    }
    let status = if results.iter().all(|r| r.accepted) {
        StatusCode::ACCEPTED
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    (status, Json(SubmitResponse { results })).into_response()
}

// ---------------------------------------------------------------- reads

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

pub async fn validators(State(st): State<AppState>) -> Result<Json<ValidatorsView>, ApiError> {
    let node = st.node.clone();
    Ok(Json(node_call(move || node.validators()).await??))
}

pub async fn site(
    State(st): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<SiteView>, ApiError> {
    let id = parse_site(&path_segment(id, ErrorCode::InvalidSite)?)?;
    let node = st.node.clone();
    let i = id.clone();
    node_call(move || node.site(&i))
        .await??
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no site {id}")))
}

#[derive(Debug, Deserialize)]
pub struct MonthQuery {
    month: Option<String>,
}

/// The owner of `site` if the site exists and `viewer` may read its records ([policy::site]);
/// `404` for an unknown site.
pub(crate) async fn site_for(
    st: &AppState,
    viewer: &Viewer,
    site: &SiteId,
) -> Result<Address, ApiError> {
    let node = st.node.clone();
    let (s, v) = (site.clone(), viewer.clone());
    let (owner, reads) = node_call(move || -> Result<_, NodeError> {
        let Some(owner) = node.site(&s)?.map(|x| x.owner) else {
            return Ok(None);
        };
        let reads = policy::reads_for_site(&*node, &v, &s, &owner)?;
        Ok(Some((owner, reads)))
    })
    .await??
    .ok_or_else(|| ApiError::not_found(format!("no site {site}")))?;
    policy::site(viewer, reads)?;
    Ok(owner)
}

pub async fn site_readings(
    State(st): State<AppState>,
    viewer: Viewer,
    id: Result<Path<String>, PathRejection>,
    query: Result<Query<MonthQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<SiteReadingsView>, ApiError> {
    let id = parse_site(&path_segment(id, ErrorCode::InvalidSite)?)?;
    let Query(q) =
        query.map_err(|e| ApiError::bad_request(ErrorCode::InvalidRequest, e.body_text()))?;
    let month = parse_month(q.month.as_deref().unwrap_or(""))?;
    site_for(&st, &viewer, &id).await?;
    let node = st.node.clone();
    let i = id.clone();
    node_call(move || node.site_readings(&i, month))
        .await??
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no site {id}")))
}

pub async fn market_period(
    State(st): State<AppState>,
    viewer: Viewer,
    params: Result<Path<(String, String)>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Path((market, start)) =
        params.map_err(|e| ApiError::bad_request(ErrorCode::InvalidSite, e.body_text()))?;
    let market = parse_site(&market)?;
    let start = parse_u64(&start, ErrorCode::InvalidHeight, "period start (Unix ms)")?;
    let node = st.node.clone();
    let m = market.clone();
    node_call(move || -> Result<_, NodeError> {
        let Some(period) = node.market_period(&m, start)? else {
            return Ok(None);
        };
        // Sites are looked up only for a reader who is not entitled to see everything.
        let own = if viewer.reader().is_some() && !policy::entitled(&viewer) {
            sites_read_for(&*node, &viewer, &period)?
        } else {
            Default::default()
        };
        Ok(Some(policy::redact_period(&viewer, &period, |s| {
            own.contains(s)
        })))
    })
    .await??
    .map(Json)
    .ok_or_else(|| ApiError::not_found(format!("no market {market}")))
}

/// The sites a period's intentions and contracts name that `viewer` reads for
/// ([policy::reads_for_site]).
fn sites_read_for(
    node: &dyn NodeApi,
    viewer: &Viewer,
    period: &PeriodView,
) -> Result<std::collections::BTreeSet<SiteId>, NodeError> {
    let mut seen = std::collections::BTreeSet::new();
    let mut out = std::collections::BTreeSet::new();
    let sites = period
        .sells
        .iter()
        .chain(&period.buys)
        .map(|i| &i.site)
        .chain(
            period
                .contracts
                .iter()
                .flat_map(|c| [&c.seller_site, &c.buyer_site]),
        );
    for site in sites {
        if seen.insert(site.clone()) {
            if let Some(v) = node.site(site)? {
                if policy::reads_for_site(node, viewer, site, &v.owner)? {
                    out.insert(site.clone());
                }
            }
        }
    }
    Ok(out)
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

// ---------------------------------------------------------------- events

/// Decrements the open-streams gauge when a stream is dropped.
struct StreamGuard(Arc<crate::metrics::ApiMetrics>);

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.0.sse_disconnected();
    }
}

/// The [EventStream] of a broadcast channel of finalized blocks (what a node built on tokio
/// returns from [NodeApi::subscribe]): a receiver that falls behind sees [Lagged], a closed
/// channel ends the stream.
pub fn event_stream(rx: tokio::sync::broadcast::Receiver<Arc<FinalizedEvent>>) -> EventStream {
    use tokio_stream::wrappers::{errors::BroadcastStreamRecvError, BroadcastStream};
    Box::pin(
        BroadcastStream::new(rx)
            .map(|r| r.map_err(|BroadcastStreamRecvError::Lagged(n)| Lagged(n))),
    )
}

pub async fn events(
    State(st): State<AppState>,
    viewer: Viewer,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = st.node.subscribe();
    st.metrics.sse_connected();
    let guard = StreamGuard(st.metrics.clone());
    let scope = policy::events(&viewer);
    let stream = futures::stream::unfold((rx, guard), move |(mut rx, guard)| {
        let scope = scope.clone();
        async move {
            loop {
                let event = match rx.next().await? {
                    Ok(ev) => match Event::default()
                        .event("block")
                        .id(ev.block.height.to_string())
                        .json_data(policy::filter_event(&scope, &ev))
                    {
                        Ok(e) => e,
                        Err(e) => {
                            tracing::error!(error = %e, "could not serialize a block event");
                            continue;
                        }
                    },
                    Err(Lagged(n)) => {
                        guard.0.sse_lagged(n);
                        Event::default().event("lagged").data(n.to_string())
                    }
                };
                return Some((Ok(event), (rx, guard)));
            }
        }
    });
    let shutdown = st.shutdown.clone();
    let stop = async move {
        match shutdown {
            Some(mut rx) => {
                let _ = rx.wait_for(|down| *down).await;
            }
            None => futures::future::pending::<()>().await,
        }
    };
    Sse::new(stream.take_until(stop)).keep_alive(KeepAlive::default())
}

// ---------------------------------------------------------------- documents

pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}

pub async fn metrics(State(st): State<AppState>) -> Response {
    let mut text = st.metrics.render();
    text.push_str(&st.limiter.render());
    if let Some(kdf) = &st.kdf {
        text.push_str(&kdf.render());
    }
    let node = st.node.clone();
    match node_call(move || node.metrics_text()).await {
        Ok(node_text) => {
            text.push_str(&node_text);
            if !text.ends_with('\n') {
                text.push('\n');
            }
        }
        Err(e) => return e.into_response(),
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response()
}

// ---------------------------------------------------------------- fallbacks

pub async fn not_found(uri: Uri) -> ApiError {
    let path: String = uri.path().chars().take(200).collect();
    ApiError::not_found(format!("no route for {path}"))
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        "method not allowed on this route",
    )
}

pub fn panicked(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::internal("internal error").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_tx_classifies_garbage() {
        let code = |s: &str| decode_tx(s, "").unwrap_err().error.unwrap().code;
        assert_eq!(code("zz"), ErrorCode::InvalidHex);
        assert_eq!(code("abc"), ErrorCode::InvalidHex);
        assert_eq!(code("00"), ErrorCode::InvalidEncoding);
        assert_eq!(code(&"00".repeat(TX_MAX_BYTES + 1)), ErrorCode::TxTooLarge);
    }
}
