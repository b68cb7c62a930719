//! The one error type of the API: an HTTP status with a stable snake_case code and a message,
//! rendered as [ErrorBody] JSON.
use crate::views::{ErrorBody, NodeError};
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use std::borrow::Cow;

/// Every error code the API itself produces (the node adds its own admission codes, such as
/// `bad_signature`, inside per-transaction submit results). Kept in one list so the OpenAPI
/// document can be checked against it.
pub const ERROR_CODES: &[&str] = &[
    codes::INVALID_JSON,
    codes::INVALID_REQUEST,
    codes::INVALID_HEX,
    codes::INVALID_ENCODING,
    codes::TX_TOO_LARGE,
    codes::BATCH_TOO_LARGE,
    codes::BODY_TOO_LARGE,
    codes::INVALID_HASH,
    codes::INVALID_HEIGHT,
    codes::INVALID_ADDRESS,
    codes::INVALID_LIMIT,
    codes::INVALID_CURSOR,
    codes::INVALID_SITE,
    codes::INVALID_MONTH,
    codes::INVALID_CLOCK_ADVANCE,
    codes::CLOCK_CONTROL_DISABLED,
    codes::INVALID_CHARGER,
    codes::INVALID_MEMBER,
    codes::INVALID_SESSION,
    codes::INVALID_DAY,
    codes::CHARGING_DISABLED,
    codes::BAD_CREDENTIALS,
    codes::LOCKED_OUT,
    codes::NOT_SIGNED_IN,
    codes::BAD_CSRF,
    codes::INVALID_PAYLOAD,
    codes::PORTAL_DISABLED,
    codes::RATE_LIMITED,
    codes::BUSY,
    codes::UNSUPPORTED_MEDIA_TYPE,
    codes::UNAUTHORIZED,
    codes::FORBIDDEN,
    codes::BAD_READ_SIGNATURE,
    codes::STALE_READ,
    codes::NOT_FOUND,
    codes::METHOD_NOT_ALLOWED,
    codes::INTERNAL_ERROR,
];

/// Stable error codes.
pub mod codes {
    pub const INVALID_JSON: &str = "invalid_json";
    pub const INVALID_REQUEST: &str = "invalid_request";
    pub const INVALID_HEX: &str = "invalid_hex";
    pub const INVALID_ENCODING: &str = "invalid_encoding";
    pub const TX_TOO_LARGE: &str = "tx_too_large";
    pub const BATCH_TOO_LARGE: &str = "batch_too_large";
    pub const BODY_TOO_LARGE: &str = "body_too_large";
    pub const INVALID_HASH: &str = "invalid_hash";
    pub const INVALID_HEIGHT: &str = "invalid_height";
    pub const INVALID_ADDRESS: &str = "invalid_address";
    pub const INVALID_LIMIT: &str = "invalid_limit";
    pub const INVALID_CURSOR: &str = "invalid_cursor";
    pub const INVALID_SITE: &str = "invalid_site";
    pub const INVALID_MONTH: &str = "invalid_month";
    /// 400: a clock step of zero, over the limit, or backwards.
    pub const INVALID_CLOCK_ADVANCE: &str = "invalid_clock_advance";
    /// 403: the node does not allow moving its clock.
    pub const CLOCK_CONTROL_DISABLED: &str = "clock_control_disabled";
    /// 400: not a charger id (1-48 of `A-Z a-z 0-9 . _ -`).
    pub const INVALID_CHARGER: &str = "invalid_charger";
    /// 400: not a member number (a positive integer).
    pub const INVALID_MEMBER: &str = "invalid_member";
    /// 400: not a session number (an unsigned integer).
    pub const INVALID_SESSION: &str = "invalid_session";
    /// 400: not a KST day `YYYYMMDD`.
    pub const INVALID_DAY: &str = "invalid_day";
    /// 503: this node runs no charging service.
    pub const CHARGING_DISABLED: &str = "charging_disabled";
    /// 401: wrong login or password (the same for an unknown login).
    pub const BAD_CREDENTIALS: &str = "bad_credentials";
    /// 429: too many wrong passwords for this login; wait.
    pub const LOCKED_OUT: &str = "locked_out";
    /// 401: no session, or it expired.
    pub const NOT_SIGNED_IN: &str = "not_signed_in";
    /// 403: the session's CSRF token is missing or wrong.
    pub const BAD_CSRF: &str = "bad_csrf";
    /// 400: not a transaction payload (the decoder's message says why).
    pub const INVALID_PAYLOAD: &str = "invalid_payload";
    /// 404: this node runs no sign-in.
    pub const PORTAL_DISABLED: &str = "portal_disabled";
    /// 429: too many password attempts from this client address; see `Retry-After`.
    pub const RATE_LIMITED: &str = "rate_limited";
    /// 503: every key-derivation slot and queue place is taken; see `Retry-After`.
    pub const BUSY: &str = "busy";
    /// 415: the body must be `application/json`.
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
    /// 401: the route needs credentials that were not given (or not valid): a personal record
    /// (sign the read, `GridLedger-Ed25519`, or sign in), the clock route.
    pub const UNAUTHORIZED: &str = "unauthorized";
    /// 403: the caller is known but may not do this (or see this record).
    pub const FORBIDDEN: &str = "forbidden";
    /// 401: a `GridLedger-Ed25519` header that is malformed or does not verify.
    pub const BAD_READ_SIGNATURE: &str = "bad_read_signature";
    /// 401: a signed read whose time is more than 60 s from the node's clock.
    pub const STALE_READ: &str = "stale_read";
    pub const NOT_FOUND: &str = "not_found";
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    pub const INTERNAL_ERROR: &str = "internal_error";
}

/// An error response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// One of [codes], or a code passed through from a service behind the API (charging).
    pub code: Cow<'static, str>,
    pub message: String,
    /// Answer with the signed-read challenge (`WWW-Authenticate`, see [READ_CHALLENGE]).
    pub challenge: bool,
    /// Seconds for a `Retry-After` header (429 and 503 answers).
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
            challenge: false,
            retry_after_s: None,
        }
    }

    /// A `401` that asks for a signed read (or a session): carries the challenge header.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            challenge: true,
            ..Self::new(StatusCode::UNAUTHORIZED, code, message)
        }
    }

    /// Adds a `Retry-After` of `secs` seconds.
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_s = Some(secs);
        self
    }

    /// An error with a numeric status (as a service behind the API reports it). Anything that
    /// is not an error status (400..=599) becomes 500.
    pub fn with_status(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        let status = StatusCode::from_u16(status)
            .ok()
            .filter(|s| s.is_client_error() || s.is_server_error())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        Self::new(status, code, message)
    }

    pub fn bad_request(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, codes::NOT_FOUND, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            codes::INTERNAL_ERROR,
            message,
        )
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code.to_string(),
            message: self.message.clone(),
        }
    }
}

impl From<NodeError> for ApiError {
    fn from(e: NodeError) -> Self {
        tracing::warn!(error = %e.0, "node error while answering a request");
        Self::internal(format!("node error: {}", e.0))
    }
}

/// The `WWW-Authenticate` challenge of a refused read (RFC 9110 requires one on a 401).
pub const READ_CHALLENGE: &str = "GridLedger-Ed25519 realm=\"gridledger\"";

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let challenge = self.challenge;
        let mut resp = (self.status, Json(self.body())).into_response();
        if challenge {
            resp.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static(READ_CHALLENGE),
            );
        }
        if let Some(secs) = self.retry_after_s {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_statuses_outside_the_error_range_become_500() {
        assert_eq!(
            ApiError::with_status(409, "x", "m").status,
            StatusCode::CONFLICT
        );
        assert_eq!(
            ApiError::with_status(503, "busy", "m").status,
            StatusCode::SERVICE_UNAVAILABLE
        );
        for bad in [0, 99, 200, 202, 302, 600, 1000, u16::MAX] {
            assert_eq!(
                ApiError::with_status(bad, "x", "m").status,
                StatusCode::INTERNAL_SERVER_ERROR,
                "{bad}"
            );
        }
        assert_eq!(
            ApiError::with_status(401, "unauthorized", "m").code,
            "unauthorized"
        );
    }
}
