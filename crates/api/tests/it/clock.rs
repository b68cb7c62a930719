//! `POST /api/v1/admin/clock/advance`: refused unless the node allows clock control; moves the
//! clock forward only; malformed bodies are 400s that say what was expected.
use crate::fake::FakeNode;
use crate::{app, assert_error, get, post_json};
use axum::http::StatusCode;
use gridledger_api::ClockView;

const CLOCK: &str = "/api/v1/admin/clock/advance";

#[tokio::test]
async fn without_clock_control_the_route_is_forbidden() {
    let node = FakeNode::new();
    let app = app(&node);
    let (s, v) = post_json(&app, CLOCK, r#"{"ms": 1000}"#).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_error(&v, "clock_control_disabled");
    // The body is checked first: a bad one is a 400 either way.
    let (s, v) = post_json(&app, CLOCK, r#"{"minutes": 1}"#).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "invalid_request");
}

#[tokio::test]
async fn with_clock_control_the_clock_moves_forward_only() {
    let node = FakeNode::new();
    *node.clock.lock().unwrap() = Some(ClockView {
        now_ms: 1_000_000,
        offset_ms: -50,
    });
    let app = app(&node);
    let (s, v) = post_json(&app, CLOCK, r#"{"ms": 2000}"#).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let view: ClockView = serde_json::from_value(v).unwrap();
    assert_eq!(
        view,
        ClockView {
            now_ms: 1_002_000,
            offset_ms: 1_950
        }
    );
    let (s, v) = post_json(&app, CLOCK, r#"{"to_ms": 5000000}"#).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["now_ms"], 5_000_000);

    let (s, v) = post_json(&app, CLOCK, r#"{"to_ms": 4000000}"#).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "invalid_clock_advance");
    for bad in [
        r#"{"ms": -5}"#,
        r#"{"ms": "5"}"#,
        "{}",
        r#"{"ms":1,"to_ms":2}"#,
    ] {
        let (s, v) = post_json(&app, CLOCK, bad).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
        assert_error(&v, "invalid_request");
    }
    let (s, v) = post_json(&app, CLOCK, "{").await;
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
    let (s, v) = get(&app(&node), "/api/v1/status").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["now_ms"], v["timestamp_ms"].as_u64().unwrap() + 500);
}

#[test]
fn status_from_an_older_node_without_now_ms_still_parses() {
    let mut v = serde_json::to_value(FakeNode::new().status.lock().unwrap().clone()).unwrap();
    v.as_object_mut().unwrap().remove("now_ms");
    let s: gridledger_api::StatusView = serde_json::from_value(v).unwrap();
    assert_eq!(s.now_ms, 0);
}
