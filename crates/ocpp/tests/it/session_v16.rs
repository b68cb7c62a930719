//! A whole OCPP 1.6J session over the wire, duplicate stops, and the gateway's RemoteStop.

use crate::{client::*, fake::*, server};
use gridledger_ocpp::{Error, StopTx, TxKey};
use serde_json::{json, Value};

async fn booted(s: &crate::Server, id: &str) -> Charger {
    let mut c = connect(s.addr, id, "ocpp1.6", None).await.unwrap();
    let reply = c
        .call(
            "BootNotification",
            json!({"chargePointVendor": "V", "chargePointModel": "M"}),
        )
        .await;
    assert_eq!(reply["status"], "Accepted");
    assert_eq!(reply["interval"], 300);
    for (key, value) in [
        ("AllowOfflineTxForUnknownId", "false"),
        ("LocalAuthorizeOffline", "false"),
        ("MeterValueSampleInterval", "60"),
        ("MeterValuesSampledData", "Energy.Active.Import.Register"),
    ] {
        let req = c
            .expect_and_answer("ChangeConfiguration", json!({"status": "Accepted"}))
            .await;
        assert_eq!(req, json!({"key": key, "value": value}));
    }
    c
}

fn meter(tx: i64, wh: u64) -> Value {
    json!({"connectorId": 1, "transactionId": tx, "meterValue": [{"timestamp": "2026-01-01T00:10:00Z",
        "sampledValue": [{"value": wh.to_string(), "measurand": "Energy.Active.Import.Register",
        "unit": "Wh", "context": "Sample.Periodic"}]}]})
}

fn running_cost(req: &Value) -> Value {
    assert_eq!(req["vendorId"], "org.openchargealliance.costmsg");
    serde_json::from_str(req["data"].as_str().expect("data is JSON text")).unwrap()
}

#[tokio::test]
async fn full_session_with_remote_stop_at_the_hold() {
    let mut s = server().await;
    let mut c = booted(&s, "CP-16").await;
    s.expect(|e| (*e == Event::Connection("CP-16".into(), true)).then_some(()))
        .await;

    let status = json!({"connectorId": 1, "errorCode": "NoError", "status": "Available"});
    assert_eq!(c.call("StatusNotification", status).await, json!({}));
    let reply = c.call("Authorize", json!({"idTag": MEMBER})).await;
    assert_eq!(reply, json!({"idTagInfo": {"status": "Accepted"}}));
    let reply = c.call("Authorize", json!({"idTag": "nobody"})).await;
    assert_eq!(
        reply,
        json!({"idTagInfo": {"status": "Invalid"}}),
        "NoCredit is Invalid in 1.6"
    );

    let start = json!({"connectorId": 1, "idTag": MEMBER, "meterStart": 10_000,
        "timestamp": "2026-01-01T00:00:00+0000"});
    let reply = c.call("StartTransaction", start).await;
    assert_eq!(reply["idTagInfo"], json!({"status": "Accepted"}));
    let tx = reply["transactionId"].as_i64().unwrap();

    // 2 kWh at 300 won/kWh = 600 won, under the 1,000 won hold.
    assert_eq!(c.call("MeterValues", meter(tx, 12_000)).await, json!({}));
    let req = c
        .expect_and_answer("DataTransfer", json!({"status": "Accepted"}))
        .await;
    assert_eq!(req["messageId"], "RunningCost");
    assert_eq!(running_cost(&req)["cost"], 600);

    // 3.4 kWh = 1,020 won: at the hold.
    assert_eq!(c.call("MeterValues", meter(tx, 13_400)).await, json!({}));
    let stop = c
        .expect_and_answer("RemoteStopTransaction", json!({"status": "Accepted"}))
        .await;
    assert_eq!(stop, json!({"transactionId": tx}));

    let stop = json!({"transactionId": tx, "meterStop": 13_500, "timestamp": "2026-01-01T00:30:00Z",
        "reason": "Remote", "idTag": MEMBER});
    assert_eq!(
        c.call("StopTransaction", stop).await,
        json!({"idTagInfo": {"status": "Accepted"}})
    );
    let seen = s
        .expect(|e| match e {
            Event::Stop(id, stop) if id == "CP-16" => Some(stop.clone()),
            _ => None,
        })
        .await;
    assert_eq!(seen.tx, TxKey::Id(tx));
    assert_eq!(seen.meter_stop_wh, Some(13_500));
    assert_eq!(seen.reason.as_deref(), Some("Remote"));
    let last = c.expect_call("DataTransfer").await;
    let last = if last.1["messageId"] == "RunningCost" {
        c.answer(&last.0, json!({"status": "Accepted"})).await;
        c.expect_call("DataTransfer").await
    } else {
        last
    };
    assert_eq!(last.1["messageId"], "FinalCost");
    assert_eq!(
        running_cost(&last.1)["cost"],
        1000,
        "the cost is capped at the hold"
    );
}

#[tokio::test]
async fn duplicate_stops_are_forwarded_and_answered_both_times() {
    let mut s = server().await;
    let mut c = booted(&s, "CP-DUP").await;
    let stop =
        json!({"transactionId": 4242, "meterStop": 100, "timestamp": "2026-01-01T00:30:00Z"});
    for _ in 0..2 {
        assert_eq!(c.call("StopTransaction", stop.clone()).await, json!({}));
    }
    let mut stops: Vec<StopTx> = Vec::new();
    while stops.len() < 2 {
        stops.push(
            s.expect(|e| match e {
                Event::Stop(_, stop) => Some(stop.clone()),
                _ => None,
            })
            .await,
        );
    }
    assert_eq!(stops[0], stops[1]);
    assert_eq!(stops[0].tx, TxKey::Id(4242));
}

#[tokio::test]
async fn gateway_remote_stop_reaches_an_online_charger_and_fails_offline() {
    let s = server().await;
    assert!(matches!(
        s.gateway.remote_stop("CP-GONE", TxKey::Id(1)),
        Err(Error::Offline(id)) if id == "CP-GONE"
    ));
    let mut c = booted(&s, "CP-GW").await;
    assert!(s.gateway.is_online("CP-GW"));
    assert!(matches!(
        s.gateway.remote_stop("CP-GW", TxKey::Station("x".into())),
        Err(Error::TxKey(_))
    ));
    s.gateway.remote_stop("CP-GW", TxKey::Id(77)).unwrap();
    let req = c
        .expect_and_answer("RemoteStopTransaction", json!({"status": "Accepted"}))
        .await;
    assert_eq!(req, json!({"transactionId": 77}));
    // Rejected: retried once.
    s.gateway.remote_stop("CP-GW", TxKey::Id(78)).unwrap();
    let first = c
        .expect_and_answer("RemoteStopTransaction", json!({"status": "Rejected"}))
        .await;
    let second = c
        .expect_and_answer("RemoteStopTransaction", json!({"status": "Rejected"}))
        .await;
    assert_eq!(first, second);
    c.close().await;
}

#[tokio::test]
async fn data_transfer_text_round_trip() {
    let s = server().await;
    let mut c = booted(&s, "CP-DT").await;
    let reply = c
        .call(
            "DataTransfer",
            json!({"vendorId": "kr.gridledger", "messageId": "Certify", "data": "{\"idTag\":\"1\"}"}),
        )
        .await;
    assert_eq!(reply["status"], "Accepted");
    let data: Value = serde_json::from_str(reply["data"].as_str().unwrap()).unwrap();
    assert_eq!(data, json!({"echo": {"idTag": "1"}}));
}

#[tokio::test]
async fn rejected_boot_gets_the_retry_interval() {
    let s = server().await;
    let mut c = connect(s.addr, "REJECT-1", "ocpp1.6", None).await.unwrap();
    let reply = c
        .call(
            "BootNotification",
            json!({"chargePointVendor": "V", "chargePointModel": "M"}),
        )
        .await;
    assert_eq!(reply["status"], "Rejected");
    assert_eq!(reply["interval"], 300);
    assert!(reply["currentTime"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn the_hold_is_enforced_after_the_connection_is_replaced() {
    let s = server().await;
    let mut old = booted(&s, "CP-RE").await;
    let start = json!({"connectorId": 1, "idTag": MEMBER, "meterStart": 10_000,
        "timestamp": "2026-01-01T00:00:00Z"});
    let reply = old.call("StartTransaction", start).await;
    let tx = reply["transactionId"].as_i64().unwrap();
    assert_eq!(old.call("MeterValues", meter(tx, 12_000)).await, json!({}));

    // A network blip: the charger comes back on a new connection, mid-transaction.
    let mut new = booted(&s, "CP-RE").await;
    assert_eq!(old.expect_close().await, Some((1000, "replaced".into())));
    // 2.5 kWh = 750 won: under the hold, now tracked.
    assert_eq!(new.call("MeterValues", meter(tx, 12_500)).await, json!({}));
    let req = new
        .expect_and_answer("DataTransfer", json!({"status": "Accepted"}))
        .await;
    assert_eq!(running_cost(&req)["cost"], 750);
    // 3.4 kWh = 1,020 won: the new connection stops it.
    assert_eq!(new.call("MeterValues", meter(tx, 13_400)).await, json!({}));
    let stop = new
        .expect_and_answer("RemoteStopTransaction", json!({"status": "Accepted"}))
        .await;
    assert_eq!(stop, json!({"transactionId": tx}));
}

#[tokio::test]
async fn a_due_remote_stop_is_sent_again_on_the_next_connection() {
    let s = server().await;
    let mut old = booted(&s, "CP-DUE").await;
    let start = json!({"connectorId": 1, "idTag": MEMBER, "meterStart": 0,
        "timestamp": "2026-01-01T00:00:00Z"});
    let tx = old.call("StartTransaction", start).await["transactionId"]
        .as_i64()
        .unwrap();
    // Over the hold: the RemoteStop is sent but never answered before the connection drops.
    assert_eq!(old.call("MeterValues", meter(tx, 4_000)).await, json!({}));
    old.expect_call("RemoteStopTransaction").await;
    old.close().await;

    let mut new = booted(&s, "CP-DUE").await;
    assert_eq!(new.call("MeterValues", meter(tx, 4_100)).await, json!({}));
    let stop = new
        .expect_and_answer("RemoteStopTransaction", json!({"status": "Accepted"}))
        .await;
    assert_eq!(stop, json!({"transactionId": tx}));
}

#[tokio::test]
async fn a_silent_charger_gets_the_remote_stop_within_seconds() {
    let s = server().await;
    let mut c = connect(s.addr, "CP-SILENT", "ocpp1.6", None).await.unwrap();
    assert_eq!(c.boot().await["status"], "Accepted");
    // The first ChangeConfiguration is on the wire: never answered, three more queued.
    let (_, config) = c.expect_call("ChangeConfiguration").await;
    assert_eq!(config["key"], "AllowOfflineTxForUnknownId");
    let start = json!({"connectorId": 1, "idTag": MEMBER, "meterStart": 0,
        "timestamp": "2026-01-01T00:00:00Z"});
    let tx = c.call("StartTransaction", start).await["transactionId"]
        .as_i64()
        .unwrap();
    // 4 kWh at 300 won/kWh = 1,200 won: over the 1,000 won hold.
    assert_eq!(c.call("MeterValues", meter(tx, 4_000)).await, json!({}));
    // The next call we get is the stop, ahead of the queued configuration, as soon as the
    // unanswered one is given up (stop_wait_ms, 2 s): well inside the client's 5 s wait for a
    // frame (before: after four 30 s timeouts).
    let frame = c.receive().await;
    let Received::Frame(f) = frame else {
        panic!("{frame:?}")
    };
    assert_eq!(f[2], "RemoteStopTransaction", "{f}");
    assert_eq!(f[3], json!({"transactionId": tx}));
}
