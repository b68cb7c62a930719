//! POST /api/v1/txs
use crate::fake::{signed, signed_on, FakeNode, REJECTED_NONCE};
use crate::{app, app_with, assert_error, post_json, send};
use axum::{
    body::{Body, Bytes},
    http::{Request, StatusCode},
};
use gridledger_api::ApiConfig;
use gridledger_api_types::SubmitResponse;
use gridledger_types::{Encode, SignedTransaction, TX_MAX_BYTES};
use serde_json::json;

pub fn hex_of(tx: &SignedTransaction) -> String {
    hex::encode(tx.encode())
}

const PATH: &str = "/api/v1/txs";

fn results(v: &serde_json::Value) -> SubmitResponse {
    serde_json::from_value(v.clone()).expect("a SubmitResponse")
}

#[tokio::test]
async fn one_valid_tx_is_accepted_and_handed_to_the_node() {
    let node = FakeNode::new();
    let tx = signed(1);
    let (s, v) = post_json(&app(&node), PATH, json!({ "tx": hex_of(&tx) }).to_string()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let r = results(&v);
    assert_eq!(r.results.len(), 1);
    assert!(r.results[0].accepted);
    assert_eq!(r.results[0].hash, Some(tx.hash()));
    assert_eq!(r.results[0].error, None);
    assert_eq!(*node.submitted.lock().unwrap(), vec![tx]);
}

#[tokio::test]
async fn a_0x_prefix_is_accepted() {
    let node = FakeNode::new();
    let tx = signed(1);
    let body = json!({ "tx": format!("0x{}", hex_of(&tx)) }).to_string();
    let (s, _) = post_json(&app(&node), PATH, body).await;
    assert_eq!(s, StatusCode::ACCEPTED);
    assert_eq!(node.submitted.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_valid_batch_is_accepted_in_order() {
    let node = FakeNode::new();
    let txs: Vec<_> = (1..=5).map(signed).collect();
    let body = json!({ "txs": txs.iter().map(hex_of).collect::<Vec<_>>() }).to_string();
    let (s, v) = post_json(&app(&node), PATH, body).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    let r = results(&v);
    let hashes: Vec<_> = r.results.iter().map(|r| r.hash.unwrap()).collect();
    assert_eq!(hashes, txs.iter().map(|t| t.hash()).collect::<Vec<_>>());
    assert!(r.results.iter().all(|r| r.accepted));
    assert_eq!(*node.submitted.lock().unwrap(), txs);
}

#[tokio::test]
async fn a_rejected_tx_gives_422_with_the_node_code() {
    let node = FakeNode::new();
    let tx = signed(REJECTED_NONCE);
    let (s, v) = post_json(&app(&node), PATH, json!({ "tx": hex_of(&tx) }).to_string()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let r = results(&v);
    assert!(!r.results[0].accepted);
    assert_eq!(r.results[0].hash, Some(tx.hash()));
    assert_eq!(r.results[0].error.as_ref().unwrap().code, "bad_signature");
    assert!(node.submitted.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_mixed_batch_reports_every_result_in_order() {
    let node = FakeNode::new();
    let good = signed(1);
    let bad_sig = signed(REJECTED_NONCE);
    let other_chain = signed_on("other-chain", 2);
    let good2 = signed(3);
    let mut truncated = hex_of(&good);
    truncated.truncate(40);
    let body = json!({ "txs": [
        hex_of(&good),
        "not hex!",
        "abc", // odd length
        truncated,
        "ab".repeat(TX_MAX_BYTES + 1),
        hex_of(&bad_sig),
        hex_of(&other_chain),
        hex_of(&good2),
    ]})
    .to_string();
    let (s, v) = post_json(&app(&node), PATH, body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let r = results(&v).results;
    let summary: Vec<(bool, Option<&str>, bool)> = r
        .iter()
        .map(|r| {
            (
                r.accepted,
                r.error.as_ref().map(|e| e.code.as_str()),
                r.hash.is_some(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (true, None, true),
            (false, Some("invalid_hex"), false),
            (false, Some("invalid_hex"), false),
            (false, Some("invalid_encoding"), false),
            (false, Some("tx_too_large"), false),
            (false, Some("bad_signature"), true),
            (false, Some("wrong_chain"), true),
            (true, None, true),
        ]
    );
    assert_eq!(r[0].hash, Some(good.hash()));
    assert_eq!(r[5].hash, Some(bad_sig.hash()));
    assert_eq!(r[6].hash, Some(other_chain.hash()));
    assert_eq!(r[7].hash, Some(good2.hash()));
    // Only the decodable transactions for this chain reached the node.
    assert_eq!(*node.submitted.lock().unwrap(), vec![good, good2]);
}

#[tokio::test]
async fn malformed_json_and_wrong_shapes_are_400() {
    let node = FakeNode::new();
    let app = app(&node);
    for body in ["", "{", "{\"tx\": }", "\u{0}", "nul"] {
        let (s, v) = post_json(&app, PATH, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body:?}");
        assert_error(&v, "invalid_json");
    }
    let tx = hex_of(&signed(1));
    for body in [
        json!([]),
        json!("tx"),
        json!(null),
        json!({}),
        json!({ "tx": 1 }),
        json!({ "tx": [tx.clone()] }),
        json!({ "txs": tx.clone() }),
        json!({ "txs": [1, 2] }),
        json!({ "txs": [] }),
        json!({ "tx": tx.clone(), "txs": [tx.clone()] }),
        json!({ "tx": tx.clone(), "extra": true }),
        json!({ "transaction": tx }),
    ] {
        let (s, v) = post_json(&app, PATH, body.to_string()).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        assert_error(&v, "invalid_request");
    }
    assert!(node.submitted.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_batch_over_max_batch_is_400() {
    let node = FakeNode::new();
    let cfg = ApiConfig {
        max_batch: 3,
        ..ApiConfig::default()
    };
    let app = app_with(&node, cfg);
    let txs: Vec<_> = (1..=4).map(|n| hex_of(&signed(n))).collect();
    let (s, v) = post_json(&app, PATH, json!({ "txs": txs }).to_string()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_error(&v, "batch_too_large");
    assert!(node.submitted.lock().unwrap().is_empty());
    // Exactly max_batch is fine.
    let (s, _) = post_json(&app, PATH, json!({ "txs": txs[..3] }).to_string()).await;
    assert_eq!(s, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn an_oversized_body_is_413_json_with_or_without_content_length() {
    let node = FakeNode::new();
    let cfg = ApiConfig {
        max_body_bytes: 1024,
        ..ApiConfig::default()
    };
    let app = app_with(&node, cfg);
    let big = json!({ "tx": "ab".repeat(1024) }).to_string();

    // Content-Length is known (axum refuses before reading).
    let (s, v) = post_json(&app, PATH, big.clone()).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&v, "body_too_large");

    // Streamed body without a length: refused while reading.
    let chunks: Vec<Result<Bytes, std::io::Error>> = big
        .as_bytes()
        .chunks(100)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    let req = Request::post(PATH)
        .header("content-type", "application/json")
        .body(Body::from_stream(futures::stream::iter(chunks)))
        .unwrap();
    let (s, ctype, body) = send(&app, req).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(ctype.starts_with("application/json"));
    assert_error(&serde_json::from_slice(&body).unwrap(), "body_too_large");

    // Just under the limit is read and parsed.
    let small = json!({ "tx": hex_of(&signed(1)) }).to_string();
    assert!(small.len() <= 1024);
    let (s, _) = post_json(&app, PATH, small).await;
    assert_eq!(s, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn hostile_bodies_never_cause_a_server_error() {
    let node = FakeNode::new();
    let app = app(&node);
    // A deterministic pseudo-random byte generator (xorshift).
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let valid = signed(1).encode().to_vec();
    for i in 0..200 {
        let body = if i % 2 == 0 {
            let len = (next() % 300) as usize;
            (0..len).map(|_| next() as u8).collect::<Vec<u8>>()
        } else {
            // A valid encoding with one byte changed, wrapped in a proper request.
            let mut b = valid.clone();
            let pos = (next() as usize) % b.len();
            b[pos] = next() as u8;
            json!({ "tx": hex::encode(b) }).to_string().into_bytes()
        };
        let req = Request::post(PATH).body(Body::from(body)).unwrap();
        let (s, _, body) = send(&app, req).await;
        assert!(
            [
                StatusCode::ACCEPTED,
                StatusCode::UNPROCESSABLE_ENTITY,
                StatusCode::BAD_REQUEST
            ]
            .contains(&s),
            "{s}"
        );
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        if s == StatusCode::BAD_REQUEST {
            let code = v["code"].as_str().unwrap();
            assert!(
                ["invalid_json", "invalid_request"].contains(&code),
                "{code}"
            );
        } else {
            assert_eq!(results(&v).results.len(), 1);
        }
    }
}
