//! Devnet administration: `POST /api/v1/admin/clock/advance` moves the chain clock forward.
//! The route is always served; a node without clock control (anything but
//! `devnet --clock-control`) answers `403 clock_control_disabled`.
use crate::error::{codes, ApiError};
use crate::handlers::{json_body, node_call};
use crate::views::{ClockAdvance, ClockRefusal, ClockView};
use crate::AppState;
use axum::Json;
use axum::{body::Bytes, extract::rejection::BytesRejection, extract::State, http::StatusCode};

/// `{"ms": N}` or `{"to_ms": T}` (exactly one field, a non-negative integer), or a 400.
fn parse_advance(body: Result<Bytes, BytesRejection>) -> Result<ClockAdvance, ApiError> {
    let value = json_body(body)?;
    serde_json::from_value(value).map_err(|_| {
        ApiError::bad_request(
            codes::INVALID_REQUEST,
            r#"expected {"ms": <ms to add>} or {"to_ms": <ms since the Unix epoch>}"#,
        )
    })
}

pub async fn advance_clock(
    State(st): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ClockView>, ApiError> {
    let step = parse_advance(body)?;
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
            codes::CLOCK_CONTROL_DISABLED,
            "this node does not allow moving its clock (only `gridledger devnet --clock-control` does)",
        )),
        Err(ClockRefusal::Invalid(message)) => Err(ApiError::bad_request(
            codes::INVALID_CLOCK_ADVANCE,
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
        assert_eq!(parse("{"), Err(codes::INVALID_JSON.into()));
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
            assert_eq!(parse(bad), Err(codes::INVALID_REQUEST.into()), "{bad}");
        }
    }
}
