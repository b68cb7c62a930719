//! Devnet administration: `POST /api/v1/admin/clock/advance` moves the chain clock forward.
//!
//! It needs the market operator's dashboard session (cookie and `x-csrf-token`) or
//! `Authorization: Bearer <clock token>` (the token `gridledger devnet` writes to
//! `<data-dir>/keys/clock-token.txt` and prints at start); the body must be
//! `application/json` (a form post from another site's page is refused with 415, before the
//! body is read), and one request moves the clock at most [MAX_CLOCK_STEP_MS]. A node without
//! clock control (anything but `devnet --clock-control`) answers an authorized caller
//! `403 clock_control_disabled`.
use crate::error::ApiError;
use crate::routes::{json_body, node_call};
use crate::AppState;
use axum::Json;
use axum::{
    body::Bytes,
    extract::rejection::BytesRejection,
    extract::State,
    http::{header, HeaderMap, StatusCode},
};
use gridledger_api_types::Caller;
use gridledger_api_types::ErrorCode;
use gridledger_api_types::{ClockAdvance, ClockRefusal, ClockView, MAX_CLOCK_STEP_MS};
use gridledger_types::Hash32;

/// The clock token a node accepts, kept as its SHA-256 (compared digest to digest, so the
/// comparison's time says nothing about the token). `Debug` shows no secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ClockToken(Hash32);

impl ClockToken {
    pub fn new(token: &str) -> Self {
        Self(Hash32::digest(&[token.as_bytes()]))
    }

    pub fn accepts(&self, given: &str) -> bool {
        !given.is_empty() && Hash32::digest(&[given.as_bytes()]) == self.0
    }
}

impl std::fmt::Debug for ClockToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClockToken(***)")
    }
}

/// `{"ms": N}` or `{"to_ms": T}` (exactly one field, a non-negative integer), or a 400.
fn parse_advance(body: Result<Bytes, BytesRejection>) -> Result<ClockAdvance, ApiError> {
    let value = json_body(body)?;
    serde_json::from_value(value).map_err(|_| {
        ApiError::bad_request(
            ErrorCode::InvalidRequest,
            r#"expected {"ms": <ms to add>} or {"to_ms": <ms since the Unix epoch>}"#,
        )
    })
}

/// `Content-Type: application/json` (parameters such as `charset` allowed), or a 415.
fn json_content(headers: &HeaderMap) -> Result<(), ApiError> {
    let ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "the body must be sent as Content-Type: application/json",
        ))
    }
}

/// The clock token, or the operator's session.
async fn authorize(st: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    const NEEDS: &str =
        "moving the clock needs the clock token (Authorization: Bearer) or the operator's session";
    if let Some(v) = headers.get(header::AUTHORIZATION) {
        return match (Caller::from_header(v.to_str().ok()), &st.cfg.clock_token) {
            (Caller::Bearer(t), Some(token)) if token.accepts(&t) => Ok(()),
            _ => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::Unauthorized,
                format!("{NEEDS}: wrong or unknown token"),
            )),
        };
    }
    crate::routes::session::operator_session(st, headers, NEEDS)
        .await
        .map(|_| ())
}

fn too_far() -> ApiError {
    ApiError::bad_request(
        ErrorCode::InvalidClockAdvance,
        format!(
            "one request moves the clock at most {} days",
            MAX_CLOCK_STEP_MS / 86_400_000
        ),
    )
}

pub async fn advance_clock(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ClockView>, ApiError> {
    authorize(&st, &headers).await?;
    json_content(&headers)?;
    let step = parse_advance(body)?;
    let node = st.node.clone();
    match step {
        ClockAdvance::By(ms) if ms > MAX_CLOCK_STEP_MS => return Err(too_far()),
        ClockAdvance::To(t) => {
            let now_ms = node_call(move || node.status()).await?.now_ms;
            if t.saturating_sub(now_ms) > MAX_CLOCK_STEP_MS {
                return Err(too_far());
            }
        }
        ClockAdvance::By(_) => {}
    }
    let node = st.node.clone();
    match node_call(move || node.advance_clock(step)).await? {
        Ok(view) => {
            tracing::warn!(
                now_ms = view.now_ms,
                offset_ms = view.offset_ms,
                "chain clock moved forward"
            );
            Ok(Json(view))
        }
        Err(ClockRefusal::Disabled) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::ClockControlDisabled,
            "this node does not allow moving its clock (only `gridledger devnet --clock-control` does)",
        )),
        Err(ClockRefusal::Invalid(message)) => Err(ApiError::bad_request(
            ErrorCode::InvalidClockAdvance,
            message,
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &'static str) -> Result<ClockAdvance, String> {
        parse_advance(Ok(Bytes::from(s))).map_err(|e| e.code.into_owned())
    }

    #[test]
    fn bodies_are_one_field_holding_an_unsigned_integer() {
        assert_eq!(parse(r#"{"ms": 5}"#), Ok(ClockAdvance::By(5)));
        assert_eq!(parse(r#"{"to_ms": 7}"#), Ok(ClockAdvance::To(7)));
        assert_eq!(parse("{"), Err(ErrorCode::InvalidJson.into()));
        for bad in [
            "{}",
            "[]",
            "5",
            r#"{"ms": -1}"#,
            r#"{"ms": 1.5}"#,
            r#"{"ms": "5"}"#,
            r#"{"ms": 18446744073709551616}"#,
            r#"{"ms": 1, "to_ms": 2}"#,
            r#"{"seconds": 1}"#,
        ] {
            assert_eq!(parse(bad), Err(ErrorCode::InvalidRequest.into()), "{bad}");
        }
    }

    #[test]
    fn only_json_content_and_only_the_right_token() {
        let mut h = HeaderMap::new();
        assert_eq!(
            json_content(&h).unwrap_err().status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        for (ct, ok) in [
            ("application/json", true),
            ("Application/JSON; charset=utf-8", true),
            ("application/x-www-form-urlencoded", false),
            ("text/plain", false),
            ("multipart/form-data; boundary=x", false),
            ("application/jsonp", false),
        ] {
            h.insert(header::CONTENT_TYPE, ct.parse().unwrap());
            assert_eq!(json_content(&h).is_ok(), ok, "{ct}");
        }
        let t = ClockToken::new("s3cret-token");
        assert!(t.accepts("s3cret-token"));
        assert!(!t.accepts("s3cret-tokeN") && !t.accepts(""));
        assert!(!format!("{t:?}").contains("s3cret"));
        assert!(!ClockToken::new("").accepts(""));
    }
}
