//! Integration tests of the HTTP API against an in-memory node double.
mod charging;
mod clock;
mod dashboard;
mod events;
mod explore;
mod fake;
mod openapi;
mod params;
mod portal;
mod readers;
mod reads;
mod submit;
mod tcp;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
    Router,
};
use fake::{FakeCharging, FakeNode};
use gridledger_api::{router, router_with_charging, ApiConfig};
use gridledger_api_types::ErrorBody;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;

pub fn app(node: &Arc<FakeNode>) -> Router {
    router(node.clone(), ApiConfig::default())
}

pub fn app_with(node: &Arc<FakeNode>, cfg: ApiConfig) -> Router {
    router(node.clone(), cfg)
}

/// The router with `charging` as the member service.
pub fn app_with_charging(node: &Arc<FakeNode>, charging: &Arc<FakeCharging>) -> Router {
    router_with_charging(node.clone(), ApiConfig::default(), charging.clone())
}

/// The router with every service: `charging` and the portal double.
pub fn app_with_services(
    node: &Arc<FakeNode>,
    charging: &Arc<FakeCharging>,
    portal: &Arc<portal::FakePortal>,
) -> Router {
    gridledger_api::router_with(
        node.clone(),
        ApiConfig::default(),
        gridledger_api::Services {
            charging: Some(charging.clone()),
            portal: Some(portal.clone()),
            kdf: None,
        },
    )
}

/// Sends one request; returns status, content type and body bytes.
pub async fn send(app: &Router, req: Request<Body>) -> (StatusCode, String, Vec<u8>) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let ctype = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    (status, ctype, body.to_vec())
}

pub async fn get(app: &Router, path: &str) -> (StatusCode, Value) {
    let req = Request::get(path).body(Body::empty()).unwrap();
    let (status, ctype, body) = send(app, req).await;
    assert!(
        ctype.starts_with("application/json"),
        "{path}: content type {ctype}"
    );
    (status, serde_json::from_slice(&body).unwrap())
}

pub async fn post_json(app: &Router, path: &str, body: impl Into<Body>) -> (StatusCode, Value) {
    let req = Request::post(path)
        .header("content-type", "application/json")
        .body(body.into())
        .unwrap();
    let (status, ctype, body) = send(app, req).await;
    assert!(
        ctype.starts_with("application/json"),
        "{path}: content type {ctype}"
    );
    (status, serde_json::from_slice(&body).unwrap())
}

/// Milliseconds since the Unix epoch (the node checks signed reads against its wall clock).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The signed-read header of `GET target` by `key` at `time_ms`.
pub fn read_header(key: &gridledger_types::PrivateKey, target: &str, time_ms: u64) -> String {
    gridledger_types::ReadAuth::sign(key, fake::CHAIN, "GET", target, time_ms).header_value()
}

/// `GET path` signed now by the fake's key of `seed`.
pub fn signed_get(path: &str, seed: u8) -> Request<Body> {
    Request::get(path)
        .header(
            "authorization",
            read_header(&fake::key(seed), path, now_ms()),
        )
        .body(Body::empty())
        .unwrap()
}

/// `GET path` signed by the fake's key of `seed`: status and JSON body.
pub async fn get_as(app: &Router, path: &str, seed: u8) -> (StatusCode, Value) {
    let (status, ctype, body) = send(app, signed_get(path, seed)).await;
    assert!(
        ctype.starts_with("application/json"),
        "{path}: content type {ctype}"
    );
    (status, serde_json::from_slice(&body).unwrap())
}

/// Asserts an ErrorBody with `code` and returns it.
#[track_caller]
pub fn assert_error(v: &Value, code: &str) -> ErrorBody {
    let e: ErrorBody = serde_json::from_value(v.clone()).expect("an ErrorBody");
    assert_eq!(e.code, code, "{v}");
    assert!(!e.message.is_empty());
    e
}

#[tokio::test]
async fn unknown_routes_and_wrong_methods_are_json_errors() {
    let node = FakeNode::new();
    let app = app(&node);
    let (s, v) = get(&app, "/nope").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&v, "not_found");
    let (s, v) = get(&app, "/api/v1/status/extra").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_error(&v, "not_found");

    for (method, path) in [
        (Method::DELETE, "/api/v1/status"),
        (Method::GET, "/api/v1/txs"),
        (Method::POST, "/api/v1/blocks/1"),
        (Method::PUT, "/metrics"),
    ] {
        let req = Request::builder()
            .method(method.clone())
            .uri(path)
            .body(Body::empty())
            .unwrap();
        let (s, ctype, body) = send(&app, req).await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(ctype.starts_with("application/json"));
        assert_error(
            &serde_json::from_slice(&body).unwrap(),
            "method_not_allowed",
        );
    }
}

#[tokio::test]
async fn metrics_count_requests_and_submissions_and_append_node_metrics() {
    let node = FakeNode::new();
    let app = app(&node);
    get(&app, "/api/v1/status").await;
    get(&app, "/api/v1/status").await;
    get(&app, "/api/v1/txs/zz").await;
    get(&app, "/no/such/route").await;
    let body = serde_json::json!({"txs": [
        submit::hex_of(&fake::signed(1)),
        submit::hex_of(&fake::signed(fake::REJECTED_NONCE)),
        "zz",
    ]});
    post_json(&app, "/api/v1/txs", body.to_string()).await;

    let req = Request::get("/metrics").body(Body::empty()).unwrap();
    let (s, ctype, body) = send(&app, req).await;
    assert_eq!(s, StatusCode::OK);
    assert!(ctype.starts_with("text/plain"), "{ctype}");
    let text = String::from_utf8(body).unwrap();
    for line in [
        r#"gridledger_api_requests_total{route="/api/v1/status",method="GET",status="200"} 2"#,
        r#"gridledger_api_requests_total{route="/api/v1/txs/{hash}",method="GET",status="400"} 1"#,
        r#"gridledger_api_requests_total{route="unmatched",method="GET",status="404"} 1"#,
        r#"gridledger_api_requests_total{route="/api/v1/txs",method="POST",status="422"} 1"#,
        "gridledger_api_txs_submitted_total 3",
        "gridledger_api_txs_accepted_total 1",
        r#"gridledger_api_txs_rejected_total{code="bad_signature"} 1"#,
        r#"gridledger_api_txs_rejected_total{code="invalid_hex"} 1"#,
        "gridledger_node_height 3",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing line {line}\n{text}"
        );
    }
    // Every sample line is `name{labels} value` or `name value`.
    for l in text.lines().filter(|l| !l.starts_with('#')) {
        let value = l.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "bad sample line {l}");
    }
}

#[tokio::test]
async fn node_errors_are_500_internal_error() {
    let node = FakeNode::new();
    node.broken.store(true, std::sync::atomic::Ordering::SeqCst);
    let app = app(&node);
    let (s, v) = get(&app, "/api/v1/blocks/1").await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_error(&v, "internal_error");
    let (s, v) = get_as(&app, &format!("/api/v1/accounts/{}", fake::alice()), 7).await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert_error(&v, "internal_error");
}
