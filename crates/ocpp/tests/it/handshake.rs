//! What happens before the upgrade: ids, credentials, subprotocols; and replacement.

use crate::{client::*, fake::*, server};
use serde_json::{json, Value};

#[tokio::test]
async fn no_supported_subprotocol_is_refused_with_json() {
    let s = server().await;
    let (status, _, body) = raw_handshake(
        s.addr,
        "/ocpp/CP-1",
        "Sec-WebSocket-Protocol: ocpp2.0, foo\r\n",
    )
    .await;
    assert_eq!(status, 400);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body,
        json!({"error": "unsupported_subprotocol", "offered": ["ocpp2.0", "foo"],
            "supported": ["ocpp1.6", "ocpp2.0.1"]})
    );
    let (status, _, body) = raw_handshake(s.addr, "/ocpp/CP-1", "").await;
    assert_eq!(status, 400);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["offered"], json!([]));
    assert!(connect(s.addr, "CP-1", "soap", None).await.is_err());
    assert_eq!(s.gateway.connections(), 0);
}

#[tokio::test]
async fn the_clients_first_supported_offer_wins() {
    let s = server().await;
    let c = connect(s.addr, "CP-1", "ocpp2.0.1, ocpp1.6", None)
        .await
        .unwrap();
    assert_eq!(c.protocol, "ocpp2.0.1");
    let mut c = connect(s.addr, "CP-2", "foo, ocpp1.6, ocpp2.0.1", None)
        .await
        .unwrap();
    assert_eq!(c.protocol, "ocpp1.6");
    // And the connection speaks it: a 1.6 boot.
    let reply = c
        .call(
            "BootNotification",
            json!({"chargePointVendor": "V", "chargePointModel": "M"}),
        )
        .await;
    assert_eq!(reply["status"], "Accepted");
}

#[tokio::test]
async fn bad_credentials_get_401_with_a_challenge() {
    let s = server().await;
    for (path, auth) in [
        ("/ocpp/CP-SECRET", ""),
        (
            "/ocpp/CP-SECRET",
            "Authorization: Basic Q1AtU0VDUkVUOndyb25n\r\n",
        ), // wrong secret
        (
            "/ocpp/CP-SECRET",
            "Authorization: Basic T1RIRVI6czNjcjN0\r\n",
        ), // user != id
        ("/ocpp/CP-SECRET", "Authorization: Bearer x\r\n"),
        (
            "/ocpp/UNKNOWN-1",
            "Authorization: Basic VU5LTk9XTi0xOng=\r\n",
        ),
    ] {
        let headers = format!("Sec-WebSocket-Protocol: ocpp1.6\r\n{auth}");
        let (status, head, _) = raw_handshake(s.addr, path, &headers).await;
        assert_eq!(status, 401, "{path} {auth}");
        assert!(
            head.to_ascii_lowercase()
                .contains("www-authenticate: basic realm=\"gridledger-ocpp\""),
            "{head}"
        );
    }
    let c = connect(
        s.addr,
        SECRET_CHARGER,
        "ocpp1.6",
        Some("Basic Q1AtU0VDUkVUOnMzY3IzdA=="),
    )
    .await;
    assert_eq!(c.unwrap().protocol, "ocpp1.6");
}

#[tokio::test]
async fn bad_ids_get_404() {
    let s = server().await;
    let long = format!("/ocpp/{}", "x".repeat(49));
    for path in [
        "/ocpp/bad%20id",
        "/ocpp/a%2Fb",
        long.as_str(),
        "/ocpp/",
        "/other",
    ] {
        let (status, _, body) =
            raw_handshake(s.addr, path, "Sec-WebSocket-Protocol: ocpp1.6\r\n").await;
        assert_eq!(status, 404, "{path}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    let ok = format!("/ocpp/{}", "x".repeat(48));
    let (status, _, _) = raw_handshake(s.addr, &ok, "Sec-WebSocket-Protocol: ocpp1.6\r\n").await;
    assert_eq!(status, 101);
}

#[tokio::test]
async fn a_new_connection_replaces_the_old_one() {
    let mut s = server().await;
    let boot = json!({"chargePointVendor": "V", "chargePointModel": "M"});
    let mut old = connect(s.addr, "CP-R", "ocpp1.6", None).await.unwrap();
    assert_eq!(
        old.call("BootNotification", boot.clone()).await["status"],
        "Accepted"
    );
    s.expect(|e| (*e == Event::Connection("CP-R".into(), true)).then_some(()))
        .await;

    let mut new = connect(s.addr, "CP-R", "ocpp1.6", None).await.unwrap();
    assert_eq!(old.expect_close().await, Some((1000, "replaced".into())));
    assert_eq!(
        new.call("BootNotification", boot).await["status"],
        "Accepted"
    );
    assert!(new.call("Heartbeat", json!({})).await["currentTime"].is_string());
    assert_eq!(s.gateway.online(), vec!["CP-R".to_string()]);

    new.close().await;
    s.expect(|e| (*e == Event::Connection("CP-R".into(), false)).then_some(()))
        .await;
    assert_eq!(s.gateway.connections(), 0);
    // One more full connection, so the replaced task has long finished before we count.
    let mut third = connect(s.addr, "CP-R", "ocpp1.6", None).await.unwrap();
    third
        .call(
            "BootNotification",
            json!({"chargePointVendor": "V", "chargePointModel": "M"}),
        )
        .await;
    third.close().await;
    s.expect(|e| (*e == Event::Connection("CP-R".into(), false)).then_some(()))
        .await;
    let offline = s
        .all_events()
        .iter()
        .filter(|e| matches!(e, Event::Connection(_, false)))
        .count();
    assert_eq!(offline, 2, "the replaced connection reports no offline");
}
