//! The station without I/O: every message of both versions, duplicates, RemoteStop at the hold,
//! timeouts and failures of our calls, malformed input and the error budget.

use super::*;
use crate::backend::{
    Authorization, BootInfo, DataTransferReply, DtStatus, IdStatus, MeterAnswer, StartDecision,
    StartTx, StopReply, StopTx,
};
use serde_json::json;

const T0: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn station(version: Version) -> Station {
    Station::new("CP-1", version, OcppConfig::default())
}

fn call_text(id: &str, action: &str, payload: Value) -> String {
    Frame::Call {
        id: id.into(),
        action: action.into(),
        payload,
    }
    .to_text()
}

/// Sends a call that must reach the backend; returns the request.
fn ask(st: &mut Station, now: u64, action: &str, payload: Value) -> Request {
    match st.on_text(now, &call_text("c1", action, payload)) {
        Incoming::Ask { id, request } => {
            assert_eq!(id, "c1");
            request
        }
        other => panic!("{action}: expected Ask, got {other:?}"),
    }
}

/// Answers a request; returns the CALLRESULT payload.
fn answer(st: &mut Station, now: u64, request: &Request, a: Answer) -> Value {
    match Frame::parse(&st.answer(now, "c1", request, a)).unwrap() {
        Frame::CallResult { id, payload } => {
            assert_eq!(id, "c1");
            payload
        }
        other => panic!("expected CallResult, got {other:?}"),
    }
}

/// A call answered at once with a CALLRESULT.
fn immediate(st: &mut Station, now: u64, action: &str, payload: Value) -> Value {
    match st.on_text(now, &call_text("c2", action, payload)) {
        Incoming::Send(text) => match Frame::parse(&text).unwrap() {
            Frame::CallResult { id, payload } if id == "c2" => payload,
            other => panic!("expected CallResult, got {other:?}"),
        },
        other => panic!("expected Send, got {other:?}"),
    }
}

/// A text answered with a CALLERROR; returns (id, code). Read as plain JSON: the id echoed may
/// be one [Frame::parse] refuses (over 36 characters).
fn call_error(st: &mut Station, now: u64, text: &str) -> (String, String) {
    match st.on_text(now, text) {
        Incoming::Send(out) => {
            let frame: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(frame[0], 4, "expected a CallError, got {out}");
            let field = |i: usize| frame[i].as_str().unwrap().to_owned();
            (field(1), field(2))
        }
        other => panic!("expected Send, got {other:?}"),
    }
}

/// The next call we send: (id, action, payload).
fn sent(st: &mut Station, now: u64) -> (String, String, Value) {
    match Frame::parse(&st.poll(now).expect("a call to send")).unwrap() {
        Frame::Call {
            id,
            action,
            payload,
        } => (id, action, payload),
        other => panic!("expected Call, got {other:?}"),
    }
}

fn result_text(id: &str, payload: Value) -> String {
    Frame::CallResult {
        id: id.into(),
        payload,
    }
    .to_text()
}

fn limit(hold_mwon: u64) -> Option<CostLimit> {
    Some(CostLimit {
        hold_mwon,
        price_mwon_per_kwh: 300_000,
    })
}

fn boot_v16(st: &mut Station, accepted: bool) -> Value {
    let r = ask(
        st,
        T0,
        "BootNotification",
        json!({"chargePointVendor": "V", "chargePointModel": "M", "firmwareVersion": "1.0"}),
    );
    assert_eq!(
        r,
        Request::Boot(BootInfo {
            vendor: "V".into(),
            model: "M".into(),
            serial: None,
            firmware: Some("1.0".into())
        })
    );
    answer(st, T0, &r, Answer::Boot(accepted))
}

/// Starts a 1.6 transaction with session `session`; returns its key.
fn start_v16(st: &mut Station, session: u64, hold: u64) -> TxKey {
    let r = ask(
        st,
        T0,
        "StartTransaction",
        json!({"connectorId": 1, "idTag": "10000001", "meterStart": 1000, "timestamp": "2026-01-01T00:00:00Z"}),
    );
    let reply = answer(
        st,
        T0,
        &r,
        Answer::Start(StartDecision {
            session,
            status: IdStatus::Accepted,
            limit: limit(hold),
        }),
    );
    assert_eq!(reply["transactionId"], json!(session));
    TxKey::Id(session as i64)
}

/// A running cost without a limit (the tracked limit stays).
fn priced(cost_mwon: u64) -> MeterAnswer {
    MeterAnswer {
        cost_mwon,
        limit: None,
    }
}

fn meter_v16(st: &mut Station, now: u64, session: u64, wh: &str, cost: Option<u64>) -> Value {
    meter_v16_answer(st, now, session, wh, cost.map(priced))
}

fn meter_v16_answer(
    st: &mut Station,
    now: u64,
    session: u64,
    wh: &str,
    meter: Option<MeterAnswer>,
) -> Value {
    let r = ask(
        st,
        now,
        "MeterValues",
        json!({"connectorId": 1, "transactionId": session, "meterValue": [
            {"timestamp": "2026-01-01T00:10:00Z", "sampledValue": [{"value": wh}]}]}),
    );
    answer(st, now, &r, Answer::Meter(meter))
}

fn no_cost_messages() -> OcppConfig {
    OcppConfig {
        cost_messages: false,
        ..OcppConfig::default()
    }
}

fn boot_payload(version: Version) -> Value {
    match version {
        Version::V16 => json!({"chargePointVendor": "V", "chargePointModel": "M"}),
        Version::V201 => {
            json!({"chargingStation": {"model": "M", "vendorName": "V"}, "reason": "PowerUp"})
        }
    }
}

/// Answers every call we send with `Accepted` until none is left.
fn drain(st: &mut Station, now: u64) {
    while let Some(text) = st.poll(now) {
        let Frame::Call { id, .. } = Frame::parse(&text).unwrap() else {
            panic!("expected Call, got {text}")
        };
        st.on_text(now, &result_text(&id, json!({"status": "Accepted"})));
    }
}

/// A station whose boot was accepted, its configuration calls answered.
fn booted_with(version: Version, cfg: OcppConfig) -> Station {
    let mut st = Station::new("CP-1", version, cfg);
    let r = ask(&mut st, T0, "BootNotification", boot_payload(version));
    answer(&mut st, T0, &r, Answer::Boot(true));
    drain(&mut st, T0);
    assert!(st.booted());
    st
}

fn booted(version: Version) -> Station {
    booted_with(version, OcppConfig::default())
}

// ---------------------------------------------------------------- 1.6 messages

#[test]
fn v16_boot_accepted_configures_the_charger() {
    let mut st = station(Version::V16);
    let reply = boot_v16(&mut st, true);
    assert_eq!(
        reply,
        json!({"status": "Accepted", "currentTime": "2026-01-01T00:00:00.000Z", "interval": 300})
    );
    assert!(st.booted());
    let (id, action, payload) = sent(&mut st, T0);
    assert_eq!(action, "ChangeConfiguration");
    assert_eq!(
        payload,
        json!({"key": "AllowOfflineTxForUnknownId", "value": "false"})
    );
    assert_eq!(st.poll(T0), None, "one call outstanding at a time");
    assert_eq!(
        st.on_text(T0, &result_text(&id, json!({"status": "Accepted"}))),
        Incoming::Nothing
    );
    let (id, action, payload) = sent(&mut st, T0);
    assert_eq!(action, "ChangeConfiguration");
    assert_eq!(
        payload,
        json!({"key": "LocalAuthorizeOffline", "value": "false"})
    );
    st.on_text(T0, &result_text(&id, json!({"status": "Accepted"})));
    // Meter values every minute, with the energy register, so the hold can be checked.
    let (id, action, payload) = sent(&mut st, T0);
    assert_eq!(action, "ChangeConfiguration");
    assert_eq!(
        payload,
        json!({"key": "MeterValueSampleInterval", "value": "60"})
    );
    st.on_text(T0, &result_text(&id, json!({"status": "Accepted"})));
    let (id, action, payload) = sent(&mut st, T0);
    assert_eq!(action, "ChangeConfiguration");
    assert_eq!(
        payload,
        json!({"key": "MeterValuesSampledData", "value": "Energy.Active.Import.Register"})
    );
    st.on_text(T0, &result_text(&id, json!({"status": "NotSupported"})));
    assert_eq!(st.poll(T0), None);
}

#[test]
fn v16_boot_sends_the_configured_sample_interval() {
    let configured = |interval: u32| {
        let mut st = Station::new(
            "CP-1",
            Version::V16,
            OcppConfig {
                meter_sample_interval_s: interval,
                ..OcppConfig::default()
            },
        );
        boot_v16(&mut st, true);
        let mut keys = Vec::new();
        while let Some(text) = st.poll(T0) {
            let Frame::Call { id, payload, .. } = Frame::parse(&text).unwrap() else {
                panic!("{text}")
            };
            keys.push((
                payload["key"].as_str().unwrap().to_owned(),
                payload["value"].as_str().unwrap().to_owned(),
            ));
            st.on_text(T0, &result_text(&id, json!({"status": "Accepted"})));
        }
        keys
    };
    let keys = configured(15);
    assert!(keys.contains(&("MeterValueSampleInterval".into(), "15".into())));
    assert_eq!(keys.len(), 4);
    // 0 leaves the charger's own interval alone.
    let keys = configured(0);
    assert!(keys.iter().all(|(k, _)| k != "MeterValueSampleInterval"));
    assert_eq!(keys.len(), 3);
    assert_eq!(OcppConfig::default().meter_sample_interval_s, 60);
}

#[test]
fn v16_boot_rejected_gets_the_retry_interval_and_no_configuration() {
    let mut st = Station::new(
        "CP-1",
        Version::V16,
        OcppConfig {
            boot_rejected_interval_s: 600,
            ..OcppConfig::default()
        },
    );
    let reply = boot_v16(&mut st, false);
    assert_eq!(reply["status"], "Rejected");
    assert_eq!(reply["interval"], 600);
    assert!(!st.booted());
    assert_eq!(st.poll(T0), None);
}

#[test]
fn v16_heartbeat_status_authorize() {
    let mut st = booted(Version::V16);
    let r = ask(&mut st, T0 + 1_500, "Heartbeat", json!({}));
    assert_eq!(r, Request::Heartbeat);
    assert_eq!(
        answer(&mut st, T0 + 1_500, &r, Answer::Done),
        json!({"currentTime": "2026-01-01T00:00:01.500Z"})
    );
    let r = ask(
        &mut st,
        T0,
        "StatusNotification",
        json!({"connectorId": 2, "status": "Charging", "errorCode": "NoError"}),
    );
    assert_eq!(
        r,
        Request::Status {
            connector: 2,
            status: "Charging".into(),
            error_code: Some("NoError".into())
        }
    );
    assert_eq!(answer(&mut st, T0, &r, Answer::Done), json!({}));
    let r = ask(&mut st, T0, "Authorize", json!({"idTag": "10000001"}));
    assert_eq!(
        r,
        Request::Authorize {
            id_tag: "10000001".into()
        }
    );
    for (status, wire) in [
        (IdStatus::Accepted, "Accepted"),
        (IdStatus::Blocked, "Blocked"),
        (IdStatus::Expired, "Expired"),
        (IdStatus::Invalid, "Invalid"),
        (IdStatus::ConcurrentTx, "ConcurrentTx"),
        (IdStatus::NoCredit, "Invalid"),
    ] {
        let reply = answer(
            &mut st,
            T0,
            &r,
            Answer::Authorize(Authorization {
                status,
                balance_mwon: Some(5_000),
            }),
        );
        assert_eq!(
            reply,
            json!({"idTagInfo": {"status": wire}}),
            "1.6 has no personalMessage"
        );
    }
}

#[test]
fn v16_start_refused_still_gets_a_transaction_id_and_is_not_tracked() {
    let mut st = booted(Version::V16);
    let r = ask(
        &mut st,
        T0,
        "StartTransaction",
        json!({"connectorId": 1, "idTag": "X", "meterStart": 0, "timestamp": "garbage"}),
    );
    let Request::Start(ref start) = r else {
        panic!("{r:?}")
    };
    assert_eq!(start.timestamp_ms, T0, "unreadable time -> receive time");
    let reply = answer(
        &mut st,
        T0,
        &r,
        Answer::Start(StartDecision {
            session: 77,
            status: IdStatus::NoCredit,
            limit: None,
        }),
    );
    assert_eq!(
        reply,
        json!({"idTagInfo": {"status": "Invalid"}, "transactionId": 77})
    );
    assert_eq!(st.session(&TxKey::Id(77)), None);
}

#[test]
fn v16_start_reads_meter_start_and_time() {
    let mut st = booted(Version::V16);
    let r = ask(
        &mut st,
        T0,
        "StartTransaction",
        json!({"connectorId": 2, "idTag": "A", "meterStart": 1234, "timestamp": "2026-01-01T09:00:00+0900"}),
    );
    assert_eq!(
        r,
        Request::Start(StartTx {
            connector: 2,
            id_tag: "A".into(),
            meter_start_wh: 1234,
            timestamp_ms: T0,
            station_tx_id: None
        })
    );
    let (id, code) = call_error(
        &mut st,
        T0,
        &call_text(
            "s",
            "StartTransaction",
            json!({"connectorId": 1, "idTag": "A", "meterStart": -5}),
        ),
    );
    assert_eq!(
        (id.as_str(), code.as_str()),
        ("s", "PropertyConstraintViolation")
    );
}

#[test]
fn v16_session_beyond_i32_is_an_internal_error() {
    let mut st = booted(Version::V16);
    let r = ask(
        &mut st,
        T0,
        "StartTransaction",
        json!({"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"}),
    );
    let text = st.answer(
        T0,
        "c1",
        &r,
        Answer::Start(StartDecision {
            session: i32::MAX as u64 + 1,
            status: IdStatus::Accepted,
            limit: None,
        }),
    );
    assert!(
        matches!(Frame::parse(&text).unwrap(), Frame::CallError { code, .. } if code == "InternalError")
    );
}

#[test]
fn v16_meter_values_pick_the_total_energy_register() {
    let mut st = booted(Version::V16);
    let r = ask(
        &mut st,
        T0,
        "MeterValues",
        json!({"connectorId": 1, "transactionId": 5, "meterValue": [{"timestamp": "x", "sampledValue": [
            {"value": "230.1", "measurand": "Voltage", "unit": "V"},
            {"value": "999999", "phase": "L1"},
            {"value": "12.5", "unit": "kWh", "context": "Sample.Periodic"},
            {"value": "12000"},
            {"value": "77777", "format": "SignedData"}
        ]}]}),
    );
    assert_eq!(
        r,
        Request::Meter {
            tx: TxKey::Id(5),
            energy_wh: 12_500
        }
    );
    // No transaction, or no energy: answered at once.
    assert_eq!(
        immediate(
            &mut st,
            T0,
            "MeterValues",
            json!({"connectorId": 1, "meterValue": [{"timestamp": "x", "sampledValue": [{"value": "1"}]}]})
        ),
        json!({})
    );
    assert_eq!(
        immediate(
            &mut st,
            T0,
            "MeterValues",
            json!({"connectorId": 1, "transactionId": 5, "meterValue": [{"timestamp": "x", "sampledValue": [{"value": "3", "measurand": "Current.Import"}]}]})
        ),
        json!({})
    );
}

#[test]
fn v16_stop_is_forwarded_every_time_and_answered() {
    let mut st = booted_with(Version::V16, no_cost_messages());
    let key = start_v16(&mut st, 9, 10_000_000);
    let payload = json!({"transactionId": 9, "meterStop": 5000, "timestamp": "2026-01-01T01:00:00Z",
        "reason": "Local", "idTag": "10000001"});
    for _ in 0..2 {
        let r = ask(&mut st, T0, "StopTransaction", payload.clone());
        assert_eq!(
            r,
            Request::Stop(StopTx {
                tx: key.clone(),
                meter_stop_wh: Some(5000),
                timestamp_ms: T0 + 3_600_000,
                reason: Some("Local".into()),
                id_tag: Some("10000001".into()),
                seq_no: None
            })
        );
        let reply = answer(
            &mut st,
            T0,
            &r,
            Answer::Stop(StopReply {
                cost_mwon: Some(1_500_000),
            }),
        );
        assert_eq!(reply, json!({"idTagInfo": {"status": "Accepted"}}));
        assert_eq!(st.session(&key), None);
    }
    // Without idTag: no idTagInfo; meterStop is the register (transactionData is checked, not
    // read); an unreadable time is the receive time.
    let r = ask(
        &mut st,
        T0,
        "StopTransaction",
        json!({"transactionId": 9, "meterStop": 4_100, "timestamp": "x", "transactionData": [
            {"timestamp": "x", "sampledValue": [{"value": "4.2", "unit": "kWh", "context": "Transaction.End"}]}]}),
    );
    let Request::Stop(ref stop) = r else {
        panic!("{r:?}")
    };
    assert_eq!(stop.meter_stop_wh, Some(4_100));
    assert_eq!(stop.timestamp_ms, T0);
    assert_eq!(
        answer(&mut st, T0, &r, Answer::Stop(StopReply::default())),
        json!({})
    );
    assert_eq!(st.poll(T0), None, "no cost messages when disabled");
}

#[test]
fn v16_cost_messages_running_and_final() {
    let mut st = booted(Version::V16);
    let key = start_v16(&mut st, 3, 100_000_000);
    assert_eq!(
        meter_v16(&mut st, T0 + 1_000, 3, "2000", Some(300_500)),
        json!({})
    );
    let (id, action, payload) = sent(&mut st, T0 + 1_000);
    assert_eq!(action, "DataTransfer");
    assert_eq!(payload["vendorId"], "org.openchargealliance.costmsg");
    assert_eq!(payload["messageId"], "RunningCost");
    let data: Value = serde_json::from_str(payload["data"].as_str().unwrap()).unwrap();
    assert_eq!(
        data,
        json!({"transactionId": 3, "timestamp": "2026-01-01T00:00:01.000Z", "cost": 301,
            "state": "Charging", "meterValue": 2000})
    );
    st.on_text(T0, &result_text(&id, json!({"status": "Accepted"})));
    let r = ask(
        &mut st,
        T0,
        "StopTransaction",
        json!({"transactionId": 3, "meterStop": 2500, "timestamp": "2026-01-01T00:00:00Z"}),
    );
    answer(
        &mut st,
        T0,
        &r,
        Answer::Stop(StopReply {
            cost_mwon: Some(450_000),
        }),
    );
    let (_, action, payload) = sent(&mut st, T0);
    assert_eq!(
        (action.as_str(), payload["messageId"].as_str()),
        ("DataTransfer", Some("FinalCost"))
    );
    let data: Value = serde_json::from_str(payload["data"].as_str().unwrap()).unwrap();
    assert_eq!(
        data,
        json!({"transactionId": 3, "cost": 450, "priceText": "450 won"})
    );
    assert_eq!(st.session(&key), None);
}

#[test]
fn v16_data_transfer_passes_json_text_parsed_and_answers_text() {
    let mut st = booted(Version::V16);
    let r = ask(
        &mut st,
        T0,
        "DataTransfer",
        json!({"vendorId": "kr.gridledger", "messageId": "Certify", "data": "{\"idTag\":\"1\",\"password\":\"x\"}"}),
    );
    assert_eq!(
        r,
        Request::DataTransfer {
            vendor_id: "kr.gridledger".into(),
            message_id: Some("Certify".into()),
            data: json!({"idTag": "1", "password": "x"})
        }
    );
    let reply = answer(
        &mut st,
        T0,
        &r,
        Answer::DataTransfer(DataTransferReply {
            status: DtStatus::Accepted,
            data: Some(json!({"result": "accepted", "balanceWon": 10})),
        }),
    );
    assert_eq!(reply["status"], "Accepted");
    let data: Value = serde_json::from_str(reply["data"].as_str().unwrap()).unwrap();
    assert_eq!(data, json!({"result": "accepted", "balanceWon": 10}));
    // 1.6 data is text: an object is a TypeConstraintViolation; plain text stays text; no data
    // is null.
    let (_, code) = call_error(
        &mut st,
        T0,
        &call_text(
            "d",
            "DataTransfer",
            json!({"vendorId": "v", "data": {"a": 1}}),
        ),
    );
    assert_eq!(code, "TypeConstraintViolation");
    let r = ask(
        &mut st,
        T0,
        "DataTransfer",
        json!({"vendorId": "v", "data": "hello"}),
    );
    assert!(matches!(r, Request::DataTransfer { ref data, .. } if *data == json!("hello")));
    let r = ask(&mut st, T0, "DataTransfer", json!({"vendorId": "v"}));
    assert!(
        matches!(r, Request::DataTransfer { ref data, message_id: None, .. } if data.is_null())
    );
    let reply = answer(
        &mut st,
        T0,
        &r,
        Answer::DataTransfer(DataTransferReply {
            status: DtStatus::UnknownVendorId,
            data: Some(json!("plain")),
        }),
    );
    assert_eq!(reply, json!({"status": "UnknownVendorId", "data": "plain"}));
}

#[test]
fn v16_notifications_are_acknowledged_and_unknown_actions_not_implemented() {
    let mut st = booted(Version::V16);
    assert_eq!(
        immediate(
            &mut st,
            T0,
            "FirmwareStatusNotification",
            json!({"status": "Idle"})
        ),
        json!({})
    );
    let (id, code) = call_error(&mut st, T0, &call_text("u1", "TransactionEvent", json!({})));
    assert_eq!((id.as_str(), code.as_str()), ("u1", "NotImplemented"));
    // NotImplemented does not count against the budget.
    for n in 0..20 {
        let (_, code) = call_error(
            &mut st,
            T0,
            &call_text(&format!("u{n}"), "Whatever", json!({})),
        );
        assert_eq!(code, "NotImplemented");
    }
}

// ---------------------------------------------------------------- RemoteStop

#[test]
fn remote_stop_once_at_the_hold() {
    let mut st = booted_with(Version::V16, no_cost_messages());
    let key = start_v16(&mut st, 12, 1_000_000);
    meter_v16(&mut st, T0, 12, "2000", Some(999_999));
    assert_eq!(st.poll(T0), None);
    assert_eq!(st.stop_state(&key), Some(StopState::NotRequested));
    meter_v16(&mut st, T0, 12, "3000", Some(1_000_000));
    assert_eq!(st.stop_state(&key), Some(StopState::Requested));
    assert_eq!(st.energy_wh(&key), Some(3000));
    let (id, action, payload) = sent(&mut st, T0);
    assert_eq!(
        (action.as_str(), payload),
        ("RemoteStopTransaction", json!({"transactionId": 12}))
    );
    // More readings over the hold do not repeat it.
    meter_v16(&mut st, T0, 12, "4000", Some(1_300_000));
    st.on_text(T0, &result_text(&id, json!({"status": "Accepted"})));
    assert_eq!(st.poll(T0), None);
    assert_eq!(st.stop_state(&key), Some(StopState::Requested));
}

#[test]
fn remote_stop_honours_the_margin() {
    let mut st = booted_with(
        Version::V16,
        OcppConfig {
            stop_margin_mwon: 100_000,
            cost_messages: false,
            ..OcppConfig::default()
        },
    );
    let key = start_v16(&mut st, 4, 1_000_000);
    meter_v16(&mut st, T0, 4, "10", Some(899_999));
    assert_eq!(st.stop_state(&key), Some(StopState::NotRequested));
    meter_v16(&mut st, T0, 4, "11", Some(900_000));
    assert_eq!(st.stop_state(&key), Some(StopState::Requested));
}

#[test]
fn no_limit_no_cost_no_remote_stop() {
    let mut st = booted_with(Version::V16, no_cost_messages());
    let r = ask(
        &mut st,
        T0,
        "StartTransaction",
        json!({"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"}),
    );
    answer(
        &mut st,
        T0,
        &r,
        Answer::Start(StartDecision {
            session: 5,
            status: IdStatus::Accepted,
            limit: None,
        }),
    );
    meter_v16(&mut st, T0, 5, "10", Some(u64::MAX));
    start_v16(&mut st, 6, 1);
    meter_v16(&mut st, T0, 6, "10", None);
    assert_eq!(st.poll(T0), None);
}

#[test]
fn remote_stop_retried_once_after_timeout_then_flagged() {
    let mut st = booted_with(Version::V16, no_cost_messages());
    let key = start_v16(&mut st, 8, 1);
    meter_v16(&mut st, T0, 8, "1", Some(1));
    let (first, action, _) = sent(&mut st, T0);
    assert_eq!(action, "RemoteStopTransaction");
    assert_eq!(st.next_deadline_ms(), Some(T0 + 10_000));
    assert_eq!(st.poll(T0 + 9_999), None);
    let (second, action, _) = sent(&mut st, T0 + 10_000);
    assert_eq!(action, "RemoteStopTransaction");
    assert_ne!(first, second);
    // The late answer to the first try is ignored (unknown id now).
    assert_eq!(
        st.on_text(
            T0 + 10_001,
            &result_text(&first, json!({"status": "Accepted"}))
        ),
        Incoming::Nothing
    );
    assert!(st.outstanding().is_some());
    assert_eq!(st.poll(T0 + 20_000), None);
    assert_eq!(st.stop_state(&key), Some(StopState::Flagged));
    assert_eq!(st.flagged().collect::<Vec<_>>(), vec![&key]);
    // The gateway may ask again.
    assert!(st.remote_stop(T0 + 20_000, key.clone()));
    assert_eq!(st.stop_state(&key), Some(StopState::Requested));
    assert_eq!(sent(&mut st, T0 + 20_000).1, "RemoteStopTransaction");
}

#[test]
fn remote_stop_rejected_or_call_error_is_retried_once() {
    let mut st = booted_with(Version::V16, no_cost_messages());
    let key = start_v16(&mut st, 8, 1);
    meter_v16(&mut st, T0, 8, "1", Some(1));
    let (id, _, _) = sent(&mut st, T0);
    st.on_text(T0, &result_text(&id, json!({"status": "Rejected"})));
    let (id, _, _) = sent(&mut st, T0);
    let error = Frame::error(&id, ErrorCode::NotSupported, Version::V16, "no").to_text();
    assert_eq!(st.on_text(T0, &error), Incoming::Nothing);
    assert_eq!(st.poll(T0), None);
    assert_eq!(st.stop_state(&key), Some(StopState::Flagged));
}

#[test]
fn gateway_remote_stop_is_not_duplicated() {
    let mut st = station(Version::V16);
    assert!(st.remote_stop(T0, TxKey::Id(3)));
    assert!(st.remote_stop(T0, TxKey::Id(3)));
    let (id, _, payload) = sent(&mut st, T0);
    assert_eq!(payload, json!({"transactionId": 3}));
    assert!(
        st.remote_stop(T0, TxKey::Id(3)),
        "outstanding: not repeated"
    );
    st.on_text(T0, &result_text(&id, json!({"status": "Accepted"})));
    assert_eq!(st.poll(T0), None);
    // Keys that do not fit the version are dropped when sent.
    assert!(st.remote_stop(T0, TxKey::Station("abc".into())));
    assert!(st.remote_stop(T0, TxKey::Id(i64::from(i32::MAX) + 1)));
    assert_eq!(st.poll(T0), None);
}

#[test]
fn a_stop_forgets_queued_calls_of_its_transaction() {
    let mut st = booted(Version::V16);
    st.queue(
        T0,
        Outgoing::Cost {
            tx: TxKey::Id(99),
            cost_mwon: 1,
            energy_wh: None,
            last: false,
        },
    );
    start_v16(&mut st, 5, 1);
    meter_v16(&mut st, T0, 5, "1", Some(1)); // RemoteStop + RunningCost queued
    assert_eq!(st.queued(), 3);
    let r = ask(
        &mut st,
        T0,
        "StopTransaction",
        json!({"transactionId": 5, "meterStop": 1, "timestamp": "2026-01-01T00:00:00Z"}),
    );
    answer(&mut st, T0, &r, Answer::Stop(StopReply::default()));
    assert_eq!(st.queued(), 1);
}

// ---------------------------------------------------------------- after a reconnect

/// A running cost with the transaction's limit, as the backend answers after a reconnect.
fn capped(cost_mwon: u64, hold_mwon: u64) -> Option<MeterAnswer> {
    Some(MeterAnswer {
        cost_mwon,
        limit: limit(hold_mwon),
    })
}

#[test]
fn v16_untracked_transaction_with_a_limit_is_stopped_at_the_hold() {
    // A fresh connection: the transaction started on an earlier one.
    let mut st = booted_with(Version::V16, no_cost_messages());
    let key = TxKey::Id(12);
    assert_eq!(st.stop_state(&key), None);
    meter_v16_answer(&mut st, T0, 12, "2000", capped(999_999, 1_000_000));
    assert_eq!(st.stop_state(&key), Some(StopState::NotRequested));
    assert_eq!(st.session(&key), Some(12));
    assert_eq!(st.energy_wh(&key), Some(2000));
    assert_eq!(st.poll(T0), None);
    meter_v16_answer(&mut st, T0, 12, "3000", capped(1_000_000, 1_000_000));
    assert_eq!(st.stop_state(&key), Some(StopState::Requested));
    let (id, action, payload) = sent(&mut st, T0);
    assert_eq!(
        (action.as_str(), payload),
        ("RemoteStopTransaction", json!({"transactionId": 12}))
    );
    st.on_text(T0, &result_text(&id, json!({"status": "Accepted"})));
    meter_v16_answer(&mut st, T0, 12, "3100", capped(1_030_000, 1_000_000));
    assert_eq!(st.poll(T0), None, "not repeated");
    // Without a limit in the answer, an untracked transaction stays untracked.
    meter_v16_answer(&mut st, T0, 13, "1", Some(priced(u64::MAX)));
    assert_eq!(st.stop_state(&TxKey::Id(13)), None);
    assert_eq!(st.poll(T0), None);
}

#[test]
fn untracked_transaction_already_over_its_hold_is_stopped_at_once() {
    let mut st = booted(Version::V16);
    meter_v16_answer(&mut st, T0, 7, "9000", capped(1_200_000, 1_000_000));
    assert_eq!(st.stop_state(&TxKey::Id(7)), Some(StopState::Requested));
    let (id, action, payload) = sent(&mut st, T0);
    assert_eq!(
        (action.as_str(), payload),
        ("RemoteStopTransaction", json!({"transactionId": 7}))
    );
    st.on_text(T0, &result_text(&id, json!({"status": "Accepted"})));
    let (_, action, payload) = sent(&mut st, T0);
    assert_eq!(
        (action.as_str(), payload["messageId"].as_str()),
        ("DataTransfer", Some("RunningCost"))
    );

    let mut st = booted(Version::V201);
    let key = TxKey::Station("st-9".into());
    let r = ask(
        &mut st,
        T0,
        "TransactionEvent",
        event("Updated", "st-9", 5, json!({"meterValue": energy("30")})),
    );
    let reply = answer(&mut st, T0, &r, Answer::Meter(capped(1_000_000, 1_000_000)));
    assert_eq!(reply, json!({"totalCost": 1000}));
    assert_eq!(st.stop_state(&key), Some(StopState::Requested));
    assert_eq!(
        st.session(&key),
        None,
        "2.0.1: the session is not known here"
    );
    assert_eq!(st.energy_wh(&key), Some(30_000));
    let (_, action, payload) = sent(&mut st, T0);
    assert_eq!(
        (action.as_str(), payload),
        ("RequestStopTransaction", json!({"transactionId": "st-9"}))
    );
    // Its stop forgets it.
    let r = ask(
        &mut st,
        T0,
        "TransactionEvent",
        event("Ended", "st-9", 6, json!({})),
    );
    answer(&mut st, T0, &r, Answer::Stop(StopReply::default()));
    assert_eq!(st.stop_state(&key), None);
}

#[test]
fn re_tracked_transaction_is_not_stopped_twice_after_the_gateway_asked() {
    let mut st = booted_with(Version::V16, no_cost_messages());
    assert!(st.remote_stop(T0, TxKey::Id(4)));
    meter_v16_answer(&mut st, T0, 4, "10", capped(2_000_000, 1_000_000));
    assert_eq!(st.stop_state(&TxKey::Id(4)), Some(StopState::Requested));
    assert_eq!(sent(&mut st, T0).1, "RemoteStopTransaction");
    assert_eq!(st.queued(), 0, "one RemoteStop only");
}

#[test]
fn a_limit_in_the_meter_answer_replaces_the_tracked_one() {
    let mut st = booted_with(Version::V16, no_cost_messages());
    let r = ask(
        &mut st,
        T0,
        "StartTransaction",
        json!({"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"}),
    );
    answer(
        &mut st,
        T0,
        &r,
        Answer::Start(StartDecision {
            session: 5,
            status: IdStatus::Accepted,
            limit: None,
        }),
    );
    meter_v16_answer(&mut st, T0, 5, "10", capped(500_000, 500_000));
    assert_eq!(st.stop_state(&TxKey::Id(5)), Some(StopState::Requested));
    assert_eq!(sent(&mut st, T0).1, "RemoteStopTransaction");
}

// ---------------------------------------------------------------- 2.0.1 messages

fn event(kind: &str, tx: &str, seq: u64, extra: Value) -> Value {
    let mut v = json!({"eventType": kind, "timestamp": "2026-01-01T00:00:00Z",
        "triggerReason": "Authorized", "seqNo": seq, "transactionInfo": {"transactionId": tx}});
    if let (Some(map), Value::Object(extra)) = (v.as_object_mut(), extra) {
        map.extend(extra);
    }
    v
}

fn energy(kwh: &str) -> Value {
    json!([{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [
        {"value": kwh.parse::<Value>().unwrap(), "unitOfMeasure": {"unit": "kWh"}}]}])
}

#[test]
fn v201_boot_status_heartbeat_authorize() {
    let mut st = station(Version::V201);
    let r = ask(
        &mut st,
        T0,
        "BootNotification",
        json!({"chargingStation": {"model": "M", "vendorName": "V", "serialNumber": "S"}, "reason": "PowerUp"}),
    );
    assert_eq!(
        r,
        Request::Boot(BootInfo {
            vendor: "V".into(),
            model: "M".into(),
            serial: Some("S".into()),
            firmware: None
        })
    );
    let reply = answer(&mut st, T0, &r, Answer::Boot(true));
    assert_eq!(
        reply,
        json!({"currentTime": "2026-01-01T00:00:00.000Z", "interval": 300, "status": "Accepted"})
    );
    assert_eq!(st.poll(T0), None, "no ChangeConfiguration in 2.0.1");
    let r = ask(
        &mut st,
        T0,
        "StatusNotification",
        json!({"timestamp": "2026-01-01T00:00:00Z", "connectorStatus": "Occupied", "evseId": 1, "connectorId": 1}),
    );
    assert_eq!(
        r,
        Request::Status {
            connector: 1,
            status: "Occupied".into(),
            error_code: None
        }
    );
    assert_eq!(answer(&mut st, T0, &r, Answer::Done), json!({}));
    let r = ask(&mut st, T0, "Heartbeat", json!({}));
    assert_eq!(
        answer(&mut st, T0, &r, Answer::Done)["currentTime"],
        "2026-01-01T00:00:00.000Z"
    );
    let r = ask(
        &mut st,
        T0,
        "Authorize",
        json!({"idToken": {"idToken": "10000001", "type": "KeyCode"}}),
    );
    assert_eq!(
        r,
        Request::Authorize {
            id_tag: "10000001".into()
        }
    );
    let reply = answer(
        &mut st,
        T0,
        &r,
        Answer::Authorize(Authorization {
            status: IdStatus::NoCredit,
            balance_mwon: Some(12_345_500),
        }),
    );
    assert_eq!(
        reply,
        json!({"idTokenInfo": {"status": "NoCredit",
            "personalMessage": {"format": "UTF8", "content": "Balance 12345.5 won"}}})
    );
    let reply = answer(
        &mut st,
        T0,
        &r,
        Answer::Authorize(Authorization {
            status: IdStatus::Accepted,
            balance_mwon: None,
        }),
    );
    assert_eq!(reply, json!({"idTokenInfo": {"status": "Accepted"}}));
}

#[test]
fn v201_transaction_started_updated_ended() {
    let mut st = booted(Version::V201);
    let key = TxKey::Station("tx-1".into());
    let r = ask(
        &mut st,
        T0,
        "TransactionEvent",
        event(
            "Started",
            "tx-1",
            0,
            json!({"idToken": {"idToken": "10000001", "type": "ISO14443"},
            "evse": {"id": 2, "connectorId": 1}, "meterValue": energy("1.5")}),
        ),
    );
    assert_eq!(
        r,
        Request::Start(StartTx {
            connector: 2,
            id_tag: "10000001".into(),
            meter_start_wh: 1500,
            timestamp_ms: T0,
            station_tx_id: Some("tx-1".into())
        })
    );
    let reply = answer(
        &mut st,
        T0,
        &r,
        Answer::Start(StartDecision {
            session: 41,
            status: IdStatus::Accepted,
            limit: limit(5_000_000),
        }),
    );
    assert_eq!(reply, json!({"idTokenInfo": {"status": "Accepted"}}));
    assert_eq!(st.session(&key), Some(41));

    let r = ask(
        &mut st,
        T0,
        "TransactionEvent",
        event("Updated", "tx-1", 1, json!({"meterValue": energy("2.25")})),
    );
    assert_eq!(
        r,
        Request::Meter {
            tx: key.clone(),
            energy_wh: 2250
        }
    );
    let reply = answer(&mut st, T0, &r, Answer::Meter(Some(priced(1_000_001))));
    assert_eq!(reply, json!({"totalCost": 1001}));
    assert_eq!(st.poll(T0), None, "2.0.1 carries costs in replies");

    let r = ask(
        &mut st,
        T0,
        "TransactionEvent",
        event("Updated", "tx-1", 2, json!({"meterValue": energy("20")})),
    );
    assert_eq!(
        answer(&mut st, T0, &r, Answer::Meter(Some(priced(5_000_000)))),
        json!({"totalCost": 5000})
    );
    let (id, action, payload) = sent(&mut st, T0);
    assert_eq!(
        (action.as_str(), payload),
        ("RequestStopTransaction", json!({"transactionId": "tx-1"}))
    );
    st.on_text(T0, &result_text(&id, json!({"status": "Accepted"})));

    let ended = event("Ended", "tx-1", 3, json!({"meterValue": energy("20.5")}));
    let mut ended = ended;
    ended["transactionInfo"]["stoppedReason"] = json!("Remote");
    for _ in 0..2 {
        let r = ask(&mut st, T0, "TransactionEvent", ended.clone());
        assert_eq!(
            r,
            Request::Stop(StopTx {
                tx: key.clone(),
                meter_stop_wh: Some(20_500),
                timestamp_ms: T0,
                reason: Some("Remote".into()),
                id_tag: None,
                seq_no: Some(3)
            })
        );
        let reply = answer(
            &mut st,
            T0,
            &r,
            Answer::Stop(StopReply {
                cost_mwon: Some(5_000_000),
            }),
        );
        assert_eq!(reply, json!({"totalCost": 5000}));
    }
    assert_eq!(st.session(&key), None);
    assert_eq!(st.poll(T0), None);
}

#[test]
fn v201_events_without_token_or_energy() {
    let mut st = booted(Version::V201);
    // Started before authorization: nothing to ask.
    assert_eq!(
        immediate(
            &mut st,
            T0,
            "TransactionEvent",
            event("Started", "t", 0, json!({}))
        ),
        json!({})
    );
    // Authorized later in an Updated event: a start.
    let r = ask(
        &mut st,
        T0,
        "TransactionEvent",
        event(
            "Updated",
            "t",
            1,
            json!({"idToken": {"idToken": "A", "type": "Central"}}),
        ),
    );
    assert!(matches!(
        r,
        Request::Start(StartTx {
            connector: 0,
            meter_start_wh: 0,
            ..
        })
    ));
    let reply = answer(
        &mut st,
        T0,
        &r,
        Answer::Start(StartDecision {
            session: 1,
            status: IdStatus::Blocked,
            limit: None,
        }),
    );
    assert_eq!(reply, json!({"idTokenInfo": {"status": "Blocked"}}));
    assert_eq!(
        st.session(&TxKey::Station("t".into())),
        None,
        "refused: not tracked"
    );
    // Ended with a token: idTokenInfo Accepted; no cost: no totalCost.
    let r = ask(
        &mut st,
        T0,
        "TransactionEvent",
        event(
            "Ended",
            "t",
            2,
            json!({"idToken": {"idToken": "A", "type": "Central"}}),
        ),
    );
    assert_eq!(
        answer(&mut st, T0, &r, Answer::Stop(StopReply::default())),
        json!({"idTokenInfo": {"status": "Accepted"}})
    );
    // Multiplier and Wh text.
    let r = ask(
        &mut st,
        T0,
        "TransactionEvent",
        event(
            "Updated",
            "t",
            3,
            json!({"meterValue": [{"timestamp": "x", "sampledValue": [
            {"value": 12, "unitOfMeasure": {"unit": "Wh", "multiplier": 3}},
            {"value": 5, "measurand": "Power.Active.Import", "unitOfMeasure": {"unit": "W"}}]}]}),
        ),
    );
    assert_eq!(
        r,
        Request::Meter {
            tx: TxKey::Station("t".into()),
            energy_wh: 12_000
        }
    );
    assert_eq!(answer(&mut st, T0, &r, Answer::Meter(None)), json!({}));
}

#[test]
fn v201_data_transfer_keeps_json() {
    let mut st = booted(Version::V201);
    let r = ask(
        &mut st,
        T0,
        "DataTransfer",
        json!({"vendorId": "kr.gridledger", "messageId": "Prepay", "data": {"amountWon": 5000}}),
    );
    assert_eq!(
        r,
        Request::DataTransfer {
            vendor_id: "kr.gridledger".into(),
            message_id: Some("Prepay".into()),
            data: json!({"amountWon": 5000})
        }
    );
    let reply = answer(
        &mut st,
        T0,
        &r,
        Answer::DataTransfer(DataTransferReply {
            status: DtStatus::Rejected,
            data: Some(json!({"result": "busy"})),
        }),
    );
    assert_eq!(
        reply,
        json!({"status": "Rejected", "data": {"result": "busy"}})
    );
}

#[test]
fn v201_acknowledges_notifications_and_sends_cost_updates() {
    let mut st = booted(Version::V201);
    for action in [
        "NotifyEvent",
        "SecurityEventNotification",
        "MeterValues",
        "NotifyReport",
    ] {
        assert_eq!(immediate(&mut st, T0, action, json!({"any": 1})), json!({}));
    }
    assert!(st.queue(
        T0,
        Outgoing::Cost {
            tx: TxKey::Station("t".into()),
            cost_mwon: 2_500,
            energy_wh: None,
            last: false
        }
    ));
    let (_, action, payload) = sent(&mut st, T0);
    assert_eq!(
        (action.as_str(), payload),
        ("CostUpdated", json!({"totalCost": 3, "transactionId": "t"}))
    );
}

// ---------------------------------------------------------------- boot first

/// A call of every kind but BootNotification (valid or not, known or not).
fn calls_before_boot(version: Version) -> Vec<(&'static str, Value)> {
    let token = json!({"idToken": {"idToken": "10000001", "type": "KeyCode"}});
    match version {
        Version::V16 => vec![
            ("Heartbeat", json!({})),
            (
                "StatusNotification",
                json!({"connectorId": 1, "status": "Available", "errorCode": "NoError"}),
            ),
            ("Authorize", json!({"idTag": "10000001"})),
            (
                "DataTransfer",
                json!({"vendorId": "kr.gridledger", "messageId": "Certify", "data": "{}"}),
            ),
            (
                "StartTransaction",
                json!({"connectorId": 1, "idTag": "10000001", "meterStart": 0, "timestamp": "2026-01-01T00:00:00Z"}),
            ),
            (
                "MeterValues",
                json!({"connectorId": 1, "transactionId": 5, "meterValue": [
                    {"timestamp": "x", "sampledValue": [{"value": "10"}]}]}),
            ),
            (
                "StopTransaction",
                json!({"transactionId": 5, "meterStop": 10, "timestamp": "2026-01-01T00:00:00Z"}),
            ),
            ("FirmwareStatusNotification", json!({"status": "Idle"})),
            ("Authorize", json!({"wrong": 1})),
            ("NoSuchAction", json!({})),
        ],
        Version::V201 => vec![
            ("Heartbeat", json!({})),
            (
                "StatusNotification",
                json!({"timestamp": "2026-01-01T00:00:00Z", "connectorStatus": "Available",
                    "evseId": 1, "connectorId": 1}),
            ),
            ("Authorize", token.clone()),
            ("DataTransfer", json!({"vendorId": "kr.gridledger"})),
            ("TransactionEvent", event("Started", "t", 0, token)),
            (
                "TransactionEvent",
                event("Updated", "t", 1, json!({"meterValue": energy("1")})),
            ),
            ("TransactionEvent", event("Ended", "t", 2, json!({}))),
            ("NotifyEvent", json!({})),
            ("NoSuchAction", json!({})),
        ],
    }
}

/// A call answered with CALLERROR `SecurityError` naming the missing boot.
fn security_error(st: &mut Station, now: u64, action: &str, payload: Value) {
    match st.on_text(now, &call_text("b1", action, payload)) {
        Incoming::Send(out) => match Frame::parse(&out).unwrap() {
            Frame::CallError {
                id,
                code,
                description,
                ..
            } => {
                assert_eq!(
                    (id.as_str(), code.as_str()),
                    ("b1", "SecurityError"),
                    "{action}"
                );
                assert_eq!(
                    description, "boot first: BootNotification must be accepted",
                    "{action}"
                );
            }
            other => panic!("{action}: expected a CALLERROR, got {other:?}"),
        },
        other => panic!("{action}: expected a CALLERROR, got {other:?}"),
    }
}

#[test]
fn nothing_but_a_boot_is_served_before_an_accepted_boot() {
    for version in [Version::V16, Version::V201] {
        // Never booted: refused, and not counted as protocol errors (3 rounds in a minute).
        let mut st = station(version);
        for round in 0..3 {
            for (action, payload) in calls_before_boot(version) {
                security_error(&mut st, T0 + round, action, payload);
            }
        }
        assert_eq!(st.poll(T0), None);
        // Rejected: still refused.
        let r = ask(&mut st, T0, "BootNotification", boot_payload(version));
        assert_eq!(
            answer(&mut st, T0, &r, Answer::Boot(false))["status"],
            "Rejected"
        );
        assert!(!st.booted());
        for (action, payload) in calls_before_boot(version) {
            security_error(&mut st, T0, action, payload);
        }
        // Accepted: served.
        let r = ask(&mut st, T0, "BootNotification", boot_payload(version));
        assert_eq!(
            answer(&mut st, T0, &r, Answer::Boot(true))["status"],
            "Accepted"
        );
        assert_eq!(ask(&mut st, T0, "Heartbeat", json!({})), Request::Heartbeat);
        let (action, payload) = calls_before_boot(version).swap_remove(2);
        assert!(matches!(
            ask(&mut st, T0, action, payload),
            Request::Authorize { .. }
        ));
    }
}

// ---------------------------------------------------------------- malformed input

#[test]
fn malformed_frames_get_the_version_error_code() {
    for (version, format) in [
        (Version::V16, "FormationViolation"),
        (Version::V201, "FormatViolation"),
    ] {
        let mut st = station(version);
        assert_eq!(
            call_error(&mut st, T0, "not json"),
            ("-1".into(), format.into())
        );
        assert_eq!(call_error(&mut st, T0, "{}"), ("-1".into(), format.into()));
        assert_eq!(
            call_error(&mut st, T0, r#"[2,"abc","Heartbeat"]"#),
            ("abc".into(), format.into())
        );
        assert_eq!(
            call_error(&mut st, T0, r#"[2,"abc","Heartbeat",[]]"#),
            ("abc".into(), format.into())
        );
        // An id that is not a valid id but readable is echoed: an integer as its text, a
        // string over 36 characters as received (2.0.1 RpcFrameworkError).
        let id_code = if version == Version::V16 {
            "FormationViolation"
        } else {
            "RpcFrameworkError"
        };
        assert_eq!(
            call_error(&mut st, T0, r#"[2,42,"Heartbeat",{}]"#),
            ("42".into(), id_code.into())
        );
        let long = "L".repeat(37);
        assert_eq!(
            call_error(&mut st, T0, &format!(r#"[2,"{long}","Heartbeat",{{}}]"#)),
            (long, id_code.into())
        );
        assert_eq!(
            call_error(&mut st, T0, r#"[2,null,"Heartbeat",{}]"#),
            ("-1".into(), id_code.into())
        );
        let unknown_type = if version == Version::V16 {
            "FormationViolation"
        } else {
            "MessageTypeNotSupported"
        };
        assert_eq!(
            call_error(&mut st, T0, r#"[7,"q",{}]"#),
            ("q".into(), unknown_type.into())
        );
        // Malformed answers to our calls are not answered.
        assert_eq!(st.on_text(T0, r#"[3,"x",5]"#), Incoming::Nothing);
    }
}

#[test]
fn wrong_payloads_get_the_spec_code_and_do_not_echo_input() {
    const OCCURRENCE: &str = "OccurenceConstraintViolation";
    const TYPE: &str = "TypeConstraintViolation";
    const PROPERTY: &str = "PropertyConstraintViolation";
    let mut st = booted(Version::V16);
    let cases = [
        (
            "BootNotification",
            json!({"chargePointVendor": "secret-value"}),
            OCCURRENCE,
            "chargePointModel is required",
        ),
        (
            "StatusNotification",
            json!({"connectorId": "secret-value", "status": "Available"}),
            TYPE,
            "connectorId must be an integer",
        ),
        (
            "Authorize",
            json!({"idTag": 5}),
            TYPE,
            "idTag must be a string",
        ),
        (
            "Authorize",
            json!({"idTag": "secret-value-longer-than-20"}),
            TYPE,
            "idTag is longer than 20 characters",
        ),
        (
            "StartTransaction",
            json!({"connectorId": -1, "idTag": "A", "meterStart": 0}),
            PROPERTY,
            "connectorId is outside 1..=2147483647",
        ),
        (
            "StopTransaction",
            json!({"meterStop": 5}),
            OCCURRENCE,
            "transactionId is required",
        ),
        (
            "MeterValues",
            json!({"connectorId": 1, "meterValue": "x"}),
            TYPE,
            "meterValue must be a list",
        ),
        (
            "DataTransfer",
            json!({"data": "secret-value"}),
            OCCURRENCE,
            "vendorId is required",
        ),
    ];
    for (n, (action, payload, code, what)) in cases.into_iter().enumerate() {
        let text = call_text(&format!("m{n}"), action, payload);
        match st.on_text(T0 + n as u64 * 60_000, &text) {
            Incoming::Send(out) => match Frame::parse(&out).unwrap() {
                Frame::CallError {
                    id,
                    code: got,
                    description,
                    ..
                } => {
                    assert_eq!(id, format!("m{n}"));
                    assert_eq!(got, code, "{action}");
                    assert_eq!(description, format!("{action}: {what}"));
                    assert!(!description.contains("secret"), "{description}");
                }
                other => panic!("{other:?}"),
            },
            other => panic!("{action}: {other:?}"),
        }
    }
    let mut st = booted(Version::V201);
    for (action, payload, code) in [
        (
            "TransactionEvent",
            json!({"eventType": "Paused", "transactionInfo": {"transactionId": "t"}}),
            PROPERTY,
        ),
        (
            "TransactionEvent",
            json!({"eventType": "Started"}),
            OCCURRENCE,
        ),
        ("Authorize", json!({"idToken": "flat"}), TYPE),
        ("BootNotification", json!({"reason": "PowerUp"}), OCCURRENCE),
    ] {
        let (_, got) = call_error(&mut st, T0, &call_text("e", action, payload));
        assert_eq!(got, code, "{action}");
    }
}

#[test]
fn ten_protocol_errors_in_a_minute_close_the_connection() {
    let mut st = station(Version::V16);
    for n in 0..ERROR_BUDGET as u64 - 1 {
        assert!(matches!(st.on_text(T0 + n, "garbage"), Incoming::Send(_)));
    }
    assert_eq!(
        st.on_text(T0 + 20, "garbage"),
        Incoming::Close {
            code: 1008,
            reason: "too many protocol errors"
        }
    );
    // Spread over more than a minute, errors do not close.
    let mut st = station(Version::V201);
    for n in 0..30 {
        assert!(
            matches!(st.on_text(T0 + n * 7_000, "garbage"), Incoming::Send(_)),
            "{n}"
        );
    }
}

#[test]
fn time_never_goes_back() {
    let mut st = booted(Version::V16);
    let r = ask(&mut st, T0 + 5_000, "Heartbeat", json!({}));
    let reply = answer(&mut st, T0, &r, Answer::Done);
    assert_eq!(reply["currentTime"], "2026-01-01T00:00:05.000Z");
}

#[test]
fn mismatched_answer_is_an_internal_error() {
    let mut st = station(Version::V16);
    let text = st.answer(T0, "z", &Request::Heartbeat, Answer::Boot(true));
    assert!(
        matches!(Frame::parse(&text).unwrap(), Frame::CallError { code, id, .. } if code == "InternalError" && id == "z")
    );
}

#[test]
fn transactions_tracked_are_bounded() {
    let mut st = booted_with(Version::V16, no_cost_messages());
    for session in 1..=(TX_MAX as u64 + 4) {
        start_v16(&mut st, session, 1_000);
    }
    assert_eq!(st.session(&TxKey::Id(1)), None);
    assert_eq!(
        st.session(&TxKey::Id(TX_MAX as i64 + 4)),
        Some(TX_MAX as u64 + 4)
    );
}

#[test]
fn arbitrary_text_never_panics() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let alphabet = br#"[]{}",:0123456789-.eE tfnulrsa234\"#;
    for _ in 0..5_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 40) as usize;
        let text: String = (0..len)
            .map(|i| alphabet[((seed >> (i % 50)) as usize + i * 7) % alphabet.len()] as char)
            .collect();
        for version in [Version::V16, Version::V201] {
            let mut st = station(version);
            let _ = st.on_text(T0, &text);
            let _ = st.on_text(T0, &format!(r#"[2,"i","StartTransaction",{{"x":{text}}}]"#));
            let _ = st.poll(T0);
        }
    }
}

mod stop_first;
mod validation;
