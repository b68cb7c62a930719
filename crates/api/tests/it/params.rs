//! Path and query parameters are read as the OpenAPI document describes them (issue 13, what
//! schemathesis found): inputs the document calls valid are served, inputs it calls invalid are
//! refused with a 4xx, and no input is a 500.
use crate::fake::OPERATOR;
use crate::fake::{alice, FakeCharging, FakeNode};
use crate::{app, app_with_services, get, get_as, portal::FakePortal, post_json, send};
use axum::{body::Body, http::Request, http::StatusCode};
use gridledger_api_types::ChargingRequest;
use std::sync::Arc;

/// 64 hex characters that are not an ed25519 public key (not a point on the curve).
const NOT_A_KEY: &str = "835b806931d9b81514c6fcc485b460c5b0bd02c769e83b0481441a4c07ffb0d9";

fn node_with_site() -> Arc<FakeNode> {
    let node = FakeNode::new();
    let site = crate::fake::site_view("home", alice());
    node.sites.lock().unwrap().insert(site.site.clone(), site);
    node
}

#[tokio::test]
async fn the_first_month_before_the_epoch_in_kst_is_a_400_not_a_500() {
    // 197001 starts at 1970-01-01 00:00 KST, nine hours before the Unix epoch: the node has no
    // such month. It was a 500 from the real node; now the API refuses it everywhere.
    let app = app(&node_with_site());
    let a = alice().to_hex();
    for path in [
        "/api/v1/sites/home/readings?month=197001".to_string(),
        "/api/v1/sites/home/bills/197001".into(),
        "/api/v1/sites/home/forecast/197001".into(),
        format!("/api/v1/accounts/{a}/bills/197001"),
        "/api/v1/billing/197001".into(),
        "/api/v1/reports/bank/197001".into(),
    ] {
        let (status, v) = get(&app, &path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(v["code"], "invalid_month", "{path}");
    }
    let (status, v) = get_as(&app, "/api/v1/sites/home/readings?month=197002", OPERATOR).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["month"], 197002);
}

#[tokio::test]
async fn hex_that_is_no_key_names_no_account_and_is_not_found() {
    let app = app(&FakeNode::new());
    for path in [
        format!("/api/v1/accounts/{NOT_A_KEY}"),
        format!("/api/v1/accounts/{NOT_A_KEY}/txs"),
        format!("/api/v1/participants/{NOT_A_KEY}"),
        format!("/api/v1/accounts/{NOT_A_KEY}/bills/202606"),
    ] {
        let (status, v) = get(&app, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {v}");
        assert_eq!(v["code"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn integers_are_digits_only() {
    // Rust's parser takes a leading `+`; the document's integers do not.
    let app = app(&node_with_site());
    let a = alice().to_hex();
    for (path, code) in [
        ("/api/v1/blocks/+1".to_string(), "invalid_height"),
        (
            "/api/v1/markets/monthly/periods/+5".into(),
            "invalid_height",
        ),
        (
            "/api/v1/markets/monthly/periods/+5/txs".into(),
            "invalid_height",
        ),
        (
            format!("/api/v1/accounts/{a}/txs?limit=+5"),
            "invalid_limit",
        ),
        (
            "/api/v1/sites/home/readings?month=+20260".into(),
            "invalid_month",
        ),
    ] {
        let (status, v) = get(&app, &path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert_eq!(v["code"], code, "{path}");
    }
}

#[tokio::test]
async fn cursors_of_the_documented_shape_are_served_even_past_the_end() {
    let app = app(&FakeNode::new());
    let a = alice().to_hex();
    // Numbers past the largest height or index mean "older than anything there is".
    for cursor in ["", "99999999999999999999999-1", "5-99999999999"] {
        let path = format!("/api/v1/accounts/{a}/txs?cursor={cursor}");
        let (status, v) = get_as(&app, &path, OPERATOR).await;
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
    }
    for cursor in ["x", "1-", "-1", "1-2-3", "%C2%AA"] {
        let path = format!("/api/v1/accounts/{a}/txs?cursor={cursor}");
        let (status, v) = get(&app, &path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {v}");
        assert_eq!(v["code"], "invalid_cursor", "{path}");
    }
}

#[tokio::test]
async fn a_revenue_range_from_after_to_is_empty_not_an_error() {
    let (node, charging) = (FakeNode::new(), FakeCharging::new());
    let portal = Arc::new(FakePortal::default());
    let app = app_with_services(&node, &charging, &portal);
    let req = Request::get("/api/v1/charging/revenue?from=20250901&to=20250801")
        .header(
            "authorization",
            format!("Bearer {}", crate::charging::TOKEN),
        )
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&app, req).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let asked = charging
        .calls()
        .into_iter()
        .map(|(_, r)| r)
        .collect::<Vec<_>>();
    assert!(
        // (The charging operator's own chargers are asked for first, to cut the answer to them.)
        matches!(asked.last(), Some(ChargingRequest::Revenue(f)) if f.from == Some(20250901) && f.to == Some(20250801)),
        "{asked:?}"
    );
}

#[tokio::test]
async fn sign_in_lengths_are_characters_as_the_document_counts_them() {
    let (node, charging) = (FakeNode::new(), FakeCharging::new());
    let portal = Arc::new(FakePortal::default());
    let app = app_with_services(&node, &charging, &portal);
    // 20 Hangul syllables: 20 characters, 60 bytes. A login of up to 32 characters is checked
    // (here: an unknown login, 401), not refused as too long.
    let login = "\u{d55c}".repeat(20);
    let body = serde_json::json!({ "login": login, "password": "\u{d55c}".repeat(100) });
    let (status, v) = post_json(&app, "/api/v1/session", body.to_string()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{v}");
    assert_eq!(v["code"], "bad_credentials");
    let body = serde_json::json!({ "login": "x".repeat(33), "password": "p" });
    let (status, v) = post_json(&app, "/api/v1/session", body.to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
}
