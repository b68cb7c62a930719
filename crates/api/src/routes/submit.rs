//! `POST /api/v1/txs`: submitted transactions, decoded and checked, then admitted by the node.
use super::*;
use crate::error::ApiError;
use crate::AppState;
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use gridledger_api_types::ErrorCode;
use gridledger_api_types::*;
use gridledger_types::{DecodeExt, Hash32, SignedTransaction, TX_MAX_BYTES};

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
