//! The one error type of the API: an HTTP status with a stable snake_case code ([ErrorCode])
//! and a message, rendered as [ErrorBody] JSON.
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use gridledger_api_types::{ErrorBody, ErrorCode, NodeError};
use std::borrow::Cow;

/// An error response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// One of [ErrorCode], or a code passed through from a service behind the API (charging).
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
    pub fn unauthorized(code: ErrorCode, message: impl Into<String>) -> Self {
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
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
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
