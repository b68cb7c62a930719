//! The WebSocket transport: `GET /ocpp/{chargerId}` on axum, one task per connection.
//!
//! Order of checks: the charger id (404), the WebSocket upgrade itself, HTTP Basic credentials
//! (401), then the subprotocol: the client's first offer among `ocpp1.6` and `ocpp2.0.1`
//! (400 with a JSON body if none; never an upgrade without a subprotocol).

mod auth;
mod connection;
mod gateway;

pub use gateway::Gateway;

use crate::{backend::Version, Backend, Credentials, Error, OcppConfig};
use axum::{
    extract::{
        rejection::PathRejection,
        ws::{rejection::WebSocketUpgradeRejection, WebSocketUpgrade},
        Path, State,
    },
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use serde_json::json;
use std::{future::Future, sync::Arc};

/// Longest charger id.
pub const CHARGER_ID_MAX_LEN: usize = 48;
/// Read buffer per connection, bytes (axum's default is 128 KiB).
pub const READ_BUFFER_BYTES: usize = 4096;
/// The Basic realm we announce.
pub const REALM: &str = "gridledger-ocpp";

/// Whether `id` is a charger id: 1..=48 ASCII letters, digits, `.`, `_` or `-`.
pub fn valid_charger_id(id: &str) -> bool {
    (1..=CHARGER_ID_MAX_LEN).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

#[derive(Clone)]
struct Shared {
    cfg: Arc<OcppConfig>,
    backend: Arc<dyn Backend>,
    gateway: Gateway,
}

/// The OCPP router (`GET /ocpp/{chargerId}`) and the [Gateway] that reaches its connections.
pub fn router(cfg: OcppConfig, backend: Arc<dyn Backend>) -> (Router, Gateway) {
    let gateway = Gateway::default();
    let shared = Shared {
        cfg: Arc::new(cfg),
        backend,
        gateway: gateway.clone(),
    };
    let router = Router::new()
        .route("/ocpp/{charger}", get(connect))
        .fallback(|| async { json_error(StatusCode::NOT_FOUND, json!({"error": "not_found"})) })
        .with_state(shared);
    (router, gateway)
}

/// Serves `router` on `listener` until `shutdown` resolves. Upgraded WebSocket connections
/// outlive this: call [Gateway::close_all] afterwards to close them.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::Io(e.to_string()))
}

fn json_error(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

fn unauthorized() -> Response {
    let mut response = json_error(StatusCode::UNAUTHORIZED, json!({"error": "unauthorized"}));
    if let Ok(value) = HeaderValue::from_str(&format!("Basic realm=\"{REALM}\"")) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// The subprotocols the client offered, in its order.
fn offered_protocols(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .take(16)
        .map(|p| p.chars().take(64).collect())
        .collect()
}

async fn connect(
    State(shared): State<Shared>,
    charger: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(Path(charger)) = charger else {
        return json_error(
            StatusCode::NOT_FOUND,
            json!({"error": "invalid_charger_id"}),
        );
    };
    if !valid_charger_id(&charger) {
        return json_error(
            StatusCode::NOT_FOUND,
            json!({"error": "invalid_charger_id"}),
        );
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let password = match auth::basic(&headers) {
        Ok(None) => None,
        Ok(Some((user, password))) if user == charger => Some(password),
        Ok(Some(_)) | Err(()) => return unauthorized(),
    };
    if shared
        .backend
        .credentials(&charger, password.as_deref())
        .await
        != Credentials::Allowed
    {
        tracing::info!(%charger, "ocpp: credentials refused");
        return unauthorized();
    }
    let offered = offered_protocols(&headers);
    let Some(version) = offered.iter().find_map(|p| Version::from_subprotocol(p)) else {
        return json_error(
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_subprotocol", "offered": offered,
                "supported": Version::SUBPROTOCOLS}),
        );
    };
    let max = shared.cfg.max_message_bytes.max(1024);
    let mut ws = ws
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .max_write_buffer_size(max)
        .max_message_size(max)
        .max_frame_size(max);
    ws.set_selected_protocol(HeaderValue::from_static(version.subprotocol()));
    ws.on_upgrade(move |socket| connection::run(socket, charger, version, shared))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charger_ids() {
        assert!(valid_charger_id("CP-001_a.b"));
        assert!(valid_charger_id(&"x".repeat(48)));
        assert!(!valid_charger_id(&"x".repeat(49)));
        assert!(!valid_charger_id(""));
        assert!(!valid_charger_id("a b"));
        assert!(!valid_charger_id("a/b"));
        assert!(!valid_charger_id("é"));
    }

    #[test]
    fn offers_keep_the_client_order() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("ocpp2.0.1, ocpp1.6"),
        );
        headers.append(
            header::SEC_WEBSOCKET_PROTOCOL,
            HeaderValue::from_static("x,,"),
        );
        assert_eq!(
            offered_protocols(&headers),
            vec!["ocpp2.0.1", "ocpp1.6", "x"]
        );
    }
}
