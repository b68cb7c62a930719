//! `POST /api/v1/admin/clock/advance`: only with the clock token or the operator's session,
//! only `application/json`, at most 40 days a request; refused unless the node allows clock
//! control; moves the clock forward only; malformed bodies are 400s that say what was expected.
use crate::fake::FakeNode;
use crate::portal::{FakePortal, CSRF, OPERATOR_TOKEN, TOKEN};
use crate::{assert_error, get, send};
use axum::{body::Body, http::Request, http::StatusCode, Router};
use gridledger_api::{router_with, ApiConfig, ClockToken, Services};
use gridledger_api_types::ClockView;
use serde_json::Value;
use std::sync::Arc;

const CLOCK: &str = "/api/v1/admin/clock/advance";
const CLOCK_TOKEN: &str = "clock-token-for-tests";
const DAY_MS: u64 = 86_400_000;

fn app(node: &Arc<FakeNode>) -> Router {
    router_with(
        node.clone(),
        ApiConfig {
            clock_token: Some(ClockToken::new(CLOCK_TOKEN)),
            ..ApiConfig::default()
        },
        Services {
            portal: Some(Arc::new(FakePortal::default())),
            ..Services::default()
        },
    )
}

/// A clock request with `auth` (`Bearer …` or a session token) and a JSON content type.
fn req(auth: Option<&str>, content_type: Option<&str>, body: &str) -> Request<Body> {
    let mut r = Request::post(CLOCK);
    match auth {
        Some(a) if a.starts_with("Bearer ") => r = r.header("authorization", a),
        Some(session) => {
            r = r
                .header("cookie", format!("gl_session={session}"))
                .header("x-csrf-token", CSRF)
        }
        None => {}
    }
    if let Some(ct) = content_type {
        r = r.header("content-type", ct);
    }
    r.body(Body::from(body.to_string())).unwrap()
}

async fn post(app: &Router, r: Request<Body>) -> (StatusCode, Value) {
    let (s, _, body) = send(app, r).await;
    (s, serde_json::from_slice(&body).unwrap())
}

fn bearer() -> String {
    format!("Bearer {CLOCK_TOKEN}")
}

async fn advance(app: &Router, body: &str) -> (StatusCode, Value) {
    post(app, req(Some(&bearer()), Some("application/json"), body)).await
}

#[tokio::test]
async fn without_clock_control_the_route_is_forbidden() {
    let node = FakeNode::new();
    let app = app(&node);
    let (s, v) = advance(&app, r#"{"ms": 1000}"#).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_error(&v, "clock_control_disabled");
    // The body is checked before the node is asked: a bad one is a 400 either way.
    let (s, v) = advance(&app, r#"{"minutes": 1}"#).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "invalid_request");
}

#[tokio::test]
async fn only_the_token_or_the_operator_s_session_with_a_json_body_moves_it() {
    let node = FakeNode::new();
    *node.clock.lock().unwrap() = Some(ClockView {
        now_ms: 1_000_000,
        offset_ms: 0,
    });
    let app = app(&node);
    let json = Some("application/json");
    let body = r#"{"ms": 1000}"#;
    for (r, status, code) in [
        (
            req(None, json, body),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            req(Some("Bearer wrong"), json, body),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            req(Some("Basic eDp5"), json, body),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        // A participant's session is not the operator's.
        (
            req(Some(TOKEN), json, body),
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        // A form post (what any page in the operator's browser can send) or no type at all.
        (
            req(
                Some(&bearer()),
                Some("application/x-www-form-urlencoded"),
                "ms=1000",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            req(Some(&bearer()), Some("text/plain"), body),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            req(Some(&bearer()), None, body),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
    ] {
        let (s, v) = post(&app, r).await;
        assert_eq!(s, status, "{v}");
        assert_error(&v, code);
    }
    // The operator's session without its CSRF header is no session.
    let no_csrf = Request::post(CLOCK)
        .header("cookie", format!("gl_session={OPERATOR_TOKEN}"))
        .header("content-type", "application/json")
        .body(Body::from(body))
        .unwrap();
    let (s, v) = post(&app, no_csrf).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_error(&v, "unauthorized");
    assert_eq!(
        node.clock.lock().unwrap().unwrap().now_ms,
        1_000_000,
        "nothing moved"
    );

    let (s, v) = post(&app, req(Some(OPERATOR_TOKEN), json, body)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["now_ms"], 1_001_000);
    let (s, v) = advance(&app, body).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["now_ms"], 1_002_000);
}

#[tokio::test]
async fn one_request_moves_at_most_forty_days() {
    let node = FakeNode::new();
    let start = 1_700_000_000_000u64;
    *node.clock.lock().unwrap() = Some(ClockView {
        now_ms: start,
        offset_ms: 0,
    });
    // The fake's status reads the clock too.
    node.status.lock().unwrap().now_ms = start;
    let app = app(&node);
    for body in [
        format!(r#"{{"ms": {}}}"#, 40 * DAY_MS + 1),
        format!(r#"{{"ms": {}}}"#, 365 * DAY_MS),
        format!(r#"{{"to_ms": {}}}"#, start + 40 * DAY_MS + 1),
    ] {
        let (s, v) = advance(&app, &body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        assert_error(&v, "invalid_clock_advance");
    }
    assert_eq!(node.clock.lock().unwrap().unwrap().now_ms, start);
    let (s, v) = advance(&app, &format!(r#"{{"ms": {}}}"#, 40 * DAY_MS)).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["now_ms"], start + 40 * DAY_MS);
}

#[tokio::test]
async fn with_clock_control_the_clock_moves_forward_only() {
    let node = FakeNode::new();
    *node.clock.lock().unwrap() = Some(ClockView {
        now_ms: 1_000_000,
        offset_ms: -50,
    });
    let app = app(&node);
    let (s, v) = advance(&app, r#"{"ms": 2000}"#).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let view: ClockView = serde_json::from_value(v).unwrap();
    assert_eq!(
        view,
        ClockView {
            now_ms: 1_002_000,
            offset_ms: 1_950
        }
    );
    let (s, v) = advance(&app, r#"{"to_ms": 5000000}"#).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["now_ms"], 5_000_000);

    let (s, v) = advance(&app, r#"{"to_ms": 4000000}"#).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "invalid_clock_advance");
    for bad in [
        r#"{"ms": -5}"#,
        r#"{"ms": "5"}"#,
        "{}",
        r#"{"ms":1,"to_ms":2}"#,
    ] {
        let (s, v) = advance(&app, bad).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert_error(&v, "invalid_request");
    }
    let (s, v) = advance(&app, "{").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "invalid_json");
    assert_eq!(node.clock.lock().unwrap().unwrap().now_ms, 5_000_000);

    let (s, v) = get(&app, CLOCK).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_error(&v, "method_not_allowed");
}

#[tokio::test]
async fn status_shows_the_chain_clock() {
    let node = FakeNode::new();
    let (s, v) = get(&crate::app(&node), "/api/v1/status").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["now_ms"], v["timestamp_ms"].as_u64().unwrap() + 500);
}

#[test]
fn status_from_an_older_node_without_now_ms_still_parses() {
    let mut v = serde_json::to_value(FakeNode::new().status.lock().unwrap().clone()).unwrap();
    v.as_object_mut().unwrap().remove("now_ms");
    let s: gridledger_api_types::StatusView = serde_json::from_value(v).unwrap();
    assert_eq!(s.now_ms, 0);
}
