//! Malformed input over the wire: answered with the version's code, the connection survives;
//! binary frames and an exhausted error budget close it. Calls before an accepted boot are
//! refused without reaching the backend.

use crate::{client::*, fake::Event, server};
use serde_json::{json, Value};

#[tokio::test]
async fn malformed_frames_are_answered_and_survived() {
    let s = server().await;
    for (protocol, code) in [
        ("ocpp1.6", "FormationViolation"),
        ("ocpp2.0.1", "FormatViolation"),
    ] {
        let mut c = connect(s.addr, "CP-M", protocol, None).await.unwrap();
        assert_eq!(c.boot().await["status"], "Accepted");
        c.send_text("this is not json").await;
        assert_eq!(
            c.receive_answer().await,
            Received::Frame(json!([4, "-1", code, "not valid JSON", {}]))
        );
        c.send_text(r#"[2,"m1","Heartbeat",[]]"#).await;
        let Received::Frame(f) = c.receive_answer().await else {
            panic!()
        };
        assert_eq!(
            (f[0].clone(), f[1].clone(), f[2].clone()),
            (json!(4), json!("m1"), json!(code))
        );
        let f = c.call_frame("Authorize", json!({"wrong": 1})).await;
        assert_eq!(
            (f[0].clone(), f[2].clone()),
            (json!(4), json!("OccurenceConstraintViolation"))
        );
        let f = c.call_frame("NoSuchAction", json!({})).await;
        assert_eq!(
            (f[0].clone(), f[2].clone()),
            (json!(4), json!("NotImplemented"))
        );
        // Still alive.
        assert!(c.call("Heartbeat", json!({})).await["currentTime"].is_string());
        c.close().await;
    }
}

#[tokio::test]
async fn binary_frames_close_with_1003() {
    let s = server().await;
    let mut c = connect(s.addr, "CP-B", "ocpp1.6", None).await.unwrap();
    c.send_binary(vec![1, 2, 3]).await;
    let (code, _) = c.expect_close().await.expect("a close frame");
    assert_eq!(code, 1003);
}

#[tokio::test]
async fn ten_protocol_errors_close_with_1008() {
    let s = server().await;
    let mut c = connect(s.addr, "CP-E", "ocpp2.0.1", None).await.unwrap();
    for _ in 0..9 {
        c.send_text("[").await;
        assert!(matches!(c.receive().await, Received::Frame(f) if f[0] == 4));
    }
    c.send_text("[").await;
    assert_eq!(c.expect_close().await.map(|(code, _)| code), Some(1008));
}

/// A call of every kind the backend serves, but BootNotification.
fn calls_before_boot(protocol: &str) -> Vec<(&'static str, Value)> {
    if protocol == "ocpp1.6" {
        vec![
            ("Heartbeat", json!({})),
            (
                "StatusNotification",
                json!({"connectorId": 1, "errorCode": "NoError", "status": "Available"}),
            ),
            ("Authorize", json!({"idTag": "10000001"})),
            ("DataTransfer", json!({"vendorId": "kr.gridledger"})),
            (
                "StartTransaction",
                json!({"connectorId": 1, "idTag": "10000001", "meterStart": 0}),
            ),
            (
                "MeterValues",
                json!({"connectorId": 1, "transactionId": 100, "meterValue": [
                    {"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [{"value": "10"}]}]}),
            ),
            (
                "StopTransaction",
                json!({"transactionId": 100, "meterStop": 10, "timestamp": "2026-01-01T00:00:00Z"}),
            ),
        ]
    } else {
        let tx = |kind: &str, extra: Value| {
            let mut v = json!({"eventType": kind, "timestamp": "2026-01-01T00:00:00Z",
                "triggerReason": "Authorized", "seqNo": 0,
                "transactionInfo": {"transactionId": "t-1"}});
            if let (Some(map), Value::Object(extra)) = (v.as_object_mut(), extra) {
                map.extend(extra);
            }
            v
        };
        vec![
            ("Heartbeat", json!({})),
            (
                "StatusNotification",
                json!({"timestamp": "2026-01-01T00:00:00Z", "connectorStatus": "Available",
                    "evseId": 1, "connectorId": 1}),
            ),
            (
                "Authorize",
                json!({"idToken": {"idToken": "10000001", "type": "KeyCode"}}),
            ),
            ("DataTransfer", json!({"vendorId": "kr.gridledger"})),
            (
                "TransactionEvent",
                tx(
                    "Started",
                    json!({"idToken": {"idToken": "10000001", "type": "KeyCode"}}),
                ),
            ),
            (
                "TransactionEvent",
                tx(
                    "Updated",
                    json!({"meterValue": [{"timestamp": "2026-01-01T00:00:00Z",
                        "sampledValue": [{"value": 10}]}]}),
                ),
            ),
            ("TransactionEvent", tx("Ended", json!({}))),
        ]
    }
}

#[tokio::test]
async fn calls_before_an_accepted_boot_are_security_errors() {
    let mut s = server().await;
    for (protocol, rejected, accepted) in [
        ("ocpp1.6", "REJECT-16", "CP-LATE-16"),
        ("ocpp2.0.1", "REJECT-201", "CP-LATE-201"),
    ] {
        // Never booted, then booted and rejected: nothing is served, and more than ten
        // refusals do not close the connection.
        let mut c = connect(s.addr, rejected, protocol, None).await.unwrap();
        for round in 0..3 {
            if round == 1 {
                assert_eq!(c.boot().await["status"], "Rejected");
            }
            for (action, payload) in calls_before_boot(protocol) {
                let f = c.call_frame(action, payload).await;
                assert_eq!(
                    (f[0].clone(), f[2].clone(), f[3].clone()),
                    (
                        json!(4),
                        json!("SecurityError"),
                        json!("boot first: BootNotification must be accepted")
                    ),
                    "{protocol} {action}"
                );
            }
        }
        // An accepted boot opens the connection.
        let mut c = connect(s.addr, accepted, protocol, None).await.unwrap();
        let f = c.call_frame("Heartbeat", json!({})).await;
        assert_eq!(f[2], "SecurityError");
        assert_eq!(c.boot().await["status"], "Accepted");
        assert!(c.call("Heartbeat", json!({})).await["currentTime"].is_string());
    }
    s.expect(|e| (*e == Event::Heartbeat("CP-LATE-201".into())).then_some(()))
        .await;
    let served: Vec<&Event> = s
        .all_events()
        .iter()
        .filter(|e| !matches!(e, Event::Boot(_) | Event::Connection(..)))
        .collect();
    assert_eq!(
        served,
        vec![
            &Event::Heartbeat("CP-LATE-16".into()),
            &Event::Heartbeat("CP-LATE-201".into())
        ],
        "the backend hears nothing before an accepted boot"
    );
}

#[tokio::test]
async fn an_admitted_charger_is_served_after_a_reconnect_without_a_boot() {
    let mut s = server().await;
    let mut c = connect(s.addr, "KNOWN-16", "ocpp1.6", None).await.unwrap();
    assert!(c.call("Heartbeat", json!({})).await["currentTime"].is_string());
    s.expect(|e| (*e == Event::Heartbeat("KNOWN-16".into())).then_some(()))
        .await;
}

#[tokio::test]
async fn a_long_message_id_is_echoed_as_received() {
    let s = server().await;
    for (protocol, code) in [
        ("ocpp1.6", "FormationViolation"),
        ("ocpp2.0.1", "RpcFrameworkError"),
    ] {
        let mut c = connect(s.addr, "CP-ID", protocol, None).await.unwrap();
        assert_eq!(c.boot().await["status"], "Accepted");
        let long = "0123456789".repeat(4);
        c.send_text(&json!([2, long, "Heartbeat", {}]).to_string())
            .await;
        let Received::Frame(f) = c.receive_answer().await else {
            panic!("closed")
        };
        assert_eq!((f[0].clone(), f[1].clone()), (json!(4), json!(long)));
        assert_eq!(f[2], code, "{protocol}");
        c.close().await;
    }
}

#[tokio::test]
async fn invalid_enumerations_are_refused_before_the_backend() {
    let mut s = server().await;
    let mut c = connect(s.addr, "CP-ENUM", "ocpp1.6", None).await.unwrap();
    assert_eq!(c.boot().await["status"], "Accepted");
    let bogus = json!({"connectorId": 1, "errorCode": "NoError", "status": "Bogus"});
    let f = c.call_frame("StatusNotification", bogus).await;
    assert_eq!(f[2], "PropertyConstraintViolation", "{f}");
    let fine = json!({"connectorId": 2, "errorCode": "NoError", "status": "Faulted"});
    assert_eq!(c.call("StatusNotification", fine).await, json!({}));
    let mut c = connect(s.addr, "CP-ENUM-201", "ocpp2.0.1", None)
        .await
        .unwrap();
    assert_eq!(c.boot().await["status"], "Accepted");
    let bogus = json!({"timestamp": "2026-01-01T00:00:00Z", "connectorStatus": "Bogus",
        "evseId": 1, "connectorId": 1});
    let f = c.call_frame("StatusNotification", bogus).await;
    assert_eq!(f[2], "PropertyConstraintViolation", "{f}");
    s.expect(|e| matches!(e, Event::Status(id, 2, _) if id == "CP-ENUM").then_some(()))
        .await;
    let statuses: Vec<&Event> = s
        .all_events()
        .iter()
        .filter(|e| matches!(e, Event::Status(..)))
        .collect();
    assert_eq!(
        statuses,
        vec![&Event::Status("CP-ENUM".into(), 2, "Faulted".into())],
        "only the valid status reached the backend"
    );
}
