//! The API's routes, one module per area. Node calls are synchronous (they may touch the
//! store), so they run on the blocking pool ([node_call]).
pub mod accounts;
pub mod admin;
pub mod billing;
pub mod chain;
pub mod charging;
pub mod docs;
pub mod events;
pub mod explore;
pub mod fallback;
pub mod mandates;
pub mod market;
pub mod session;
pub mod sites;
pub mod submit;

use crate::error::ApiError;
use axum::{body::Bytes, extract::rejection::BytesRejection, http::StatusCode};
use gridledger_api_types::ErrorCode;

/// Runs a node call on the blocking pool; a panic inside the node becomes a 500.
pub(crate) async fn node_call<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "node call failed");
        ApiError::internal("node call failed")
    })
}

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
