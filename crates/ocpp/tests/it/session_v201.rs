//! A whole OCPP 2.0.1 session over the wire.

use crate::{client::*, fake::*, server};
use gridledger_ocpp::TxKey;
use serde_json::{json, Value};

fn event(kind: &str, seq: u64, extra: Value) -> Value {
    let mut v = json!({"eventType": kind, "timestamp": "2026-01-01T00:00:00.000Z",
        "triggerReason": "MeterValuePeriodic", "seqNo": seq,
        "transactionInfo": {"transactionId": "st-tx-1"}});
    if let (Some(map), Value::Object(extra)) = (v.as_object_mut(), extra) {
        map.extend(extra);
    }
    v
}

fn energy(wh: u64) -> Value {
    json!([{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [
        {"value": wh, "measurand": "Energy.Active.Import.Register", "unitOfMeasure": {"unit": "Wh"}}]}])
}

#[tokio::test]
async fn full_session_with_total_cost_and_request_stop() {
    let mut s = server().await;
    let mut c = connect(s.addr, "CP-201", "ocpp2.0.1", None).await.unwrap();
    let reply = c
        .call(
            "BootNotification",
            json!({"chargingStation": {"model": "M", "vendorName": "V"}, "reason": "PowerUp"}),
        )
        .await;
    assert_eq!(reply["status"], "Accepted");
    s.expect(|e| (*e == Event::Connection("CP-201".into(), true)).then_some(()))
        .await;
    let status = json!({"timestamp": "2026-01-01T00:00:00Z", "connectorStatus": "Available",
        "evseId": 1, "connectorId": 1});
    assert_eq!(c.call("StatusNotification", status).await, json!({}));

    let reply = c
        .call(
            "Authorize",
            json!({"idToken": {"idToken": MEMBER, "type": "KeyCode"}}),
        )
        .await;
    assert_eq!(
        reply,
        json!({"idTokenInfo": {"status": "Accepted",
            "personalMessage": {"format": "UTF8", "content": "Balance 50000 won"}}})
    );

    let started = event(
        "Started",
        0,
        json!({"idToken": {"idToken": MEMBER, "type": "KeyCode"}, "evse": {"id": 1, "connectorId": 1},
            "meterValue": energy(10_000)}),
    );
    assert_eq!(
        c.call("TransactionEvent", started).await,
        json!({"idTokenInfo": {"status": "Accepted"}})
    );
    let start = s
        .expect(|e| match e {
            Event::Start(_, start) => Some(start.clone()),
            _ => None,
        })
        .await;
    assert_eq!((start.meter_start_wh, start.connector), (10_000, 1));
    assert_eq!(start.station_tx_id.as_deref(), Some("st-tx-1"));

    let reply = c
        .call(
            "TransactionEvent",
            event("Updated", 1, json!({"meterValue": energy(12_000)})),
        )
        .await;
    assert_eq!(reply, json!({"totalCost": 600}));
    let reply = c
        .call(
            "TransactionEvent",
            event("Updated", 2, json!({"meterValue": energy(13_334)})),
        )
        .await;
    assert_eq!(
        reply,
        json!({"totalCost": 1001}),
        "1,000.2 won reported rounded up"
    );
    let req = c
        .expect_and_answer("RequestStopTransaction", json!({"status": "Accepted"}))
        .await;
    assert_eq!(req, json!({"transactionId": "st-tx-1"}));

    let mut ended = event("Ended", 3, json!({"meterValue": energy(13_400)}));
    ended["transactionInfo"]["stoppedReason"] = json!("Remote");
    assert_eq!(
        c.call("TransactionEvent", ended).await,
        json!({"totalCost": 1000})
    );
    let stop = s
        .expect(|e| match e {
            Event::Stop(_, stop) => Some(stop.clone()),
            _ => None,
        })
        .await;
    assert_eq!(stop.tx, TxKey::Station("st-tx-1".into()));
    assert_eq!((stop.meter_stop_wh, stop.seq_no), (Some(13_400), Some(3)));
    assert_eq!(stop.reason.as_deref(), Some("Remote"));

    // The gateway reaches 2.0.1 chargers with RequestStopTransaction and CostUpdated.
    s.gateway
        .remote_stop("CP-201", TxKey::Station("other".into()))
        .unwrap();
    let req = c
        .expect_and_answer("RequestStopTransaction", json!({"status": "Rejected"}))
        .await;
    assert_eq!(req, json!({"transactionId": "other"}));
    c.expect_and_answer("RequestStopTransaction", json!({"status": "Accepted"}))
        .await;
    s.gateway
        .send_cost("CP-201", TxKey::Station("other".into()), 1_500)
        .unwrap();
    let req = c.expect_and_answer("CostUpdated", json!({})).await;
    assert_eq!(req, json!({"totalCost": 2, "transactionId": "other"}));
}

#[tokio::test]
async fn the_hold_is_enforced_after_a_reconnect() {
    let s = server().await;
    let mut old = connect(s.addr, "CP-201-RE", "ocpp2.0.1", None)
        .await
        .unwrap();
    assert_eq!(old.boot().await["status"], "Accepted");
    let started = event(
        "Started",
        0,
        json!({"idToken": {"idToken": MEMBER, "type": "KeyCode"}, "evse": {"id": 1, "connectorId": 1},
            "meterValue": energy(10_000)}),
    );
    assert_eq!(
        old.call("TransactionEvent", started).await,
        json!({"idTokenInfo": {"status": "Accepted"}})
    );
    old.close().await;

    let mut new = connect(s.addr, "CP-201-RE", "ocpp2.0.1", None)
        .await
        .unwrap();
    assert_eq!(new.boot().await["status"], "Accepted");
    let reply = new
        .call(
            "TransactionEvent",
            event("Updated", 1, json!({"meterValue": energy(12_000)})),
        )
        .await;
    assert_eq!(reply, json!({"totalCost": 600}));
    let reply = new
        .call(
            "TransactionEvent",
            event("Updated", 2, json!({"meterValue": energy(13_400)})),
        )
        .await;
    assert_eq!(reply, json!({"totalCost": 1020}));
    let req = new
        .expect_and_answer("RequestStopTransaction", json!({"status": "Accepted"}))
        .await;
    assert_eq!(req, json!({"transactionId": "st-tx-1"}));
}
