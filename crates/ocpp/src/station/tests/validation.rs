//! Every field the station reads is checked before the backend hears of it: a value outside its
//! enumeration, an over-long string, a missing field each get their OCPP code and nothing is
//! asked (so nothing is stored).

use super::*;

/// Sends `payload` as `action` a minute after the station's last input (so the error budget
/// is not spent); the CALLERROR code (panics if the backend would be asked).
fn refused(st: &mut Station, action: &str, payload: Value) -> String {
    let now = st.now_ms.max(T0) + ERROR_WINDOW_MS;
    match st.on_text(now, &call_text("v", action, payload)) {
        Incoming::Send(out) => {
            let frame: Value = serde_json::from_str(&out).unwrap();
            assert_eq!(frame[0], 4, "{action}: {out}");
            frame[2].as_str().unwrap().to_owned()
        }
        other => panic!("{action}: expected a CALLERROR, got {other:?}"),
    }
}

#[test]
fn v16_enumerations_lengths_and_ranges() {
    let mut st = booted(Version::V16);
    let status =
        |status: &str, error: &str| json!({"connectorId": 1, "errorCode": error, "status": status});
    assert_eq!(
        refused(&mut st, "StatusNotification", status("Bogus", "NoError")),
        "PropertyConstraintViolation"
    );
    assert_eq!(
        refused(&mut st, "StatusNotification", status("Available", "Bogus")),
        "PropertyConstraintViolation"
    );
    assert_eq!(
        refused(
            &mut st,
            "StatusNotification",
            json!({"connectorId": 1, "status": "Available"})
        ),
        "OccurenceConstraintViolation"
    );
    assert!(matches!(
        ask(&mut st, T0, "StatusNotification", status("SuspendedEV", "NoError")),
        Request::Status { ref status, .. } if status == "SuspendedEV"
    ));
    let sample = |sample: Value| {
        json!({"connectorId": 1, "transactionId": 3,
            "meterValue": [{"timestamp": "2026-01-01T00:00:00Z", "sampledValue": [sample]}]})
    };
    for bad in [
        json!({"value": "1", "unit": "Joule"}),
        json!({"value": "1", "measurand": "Energy"}),
        json!({"value": "1", "context": "Sometime"}),
        json!({"value": "1", "phase": "L4"}),
        json!({"value": "1", "format": "Cooked"}),
        json!({"value": "1", "location": "Roof"}),
    ] {
        assert_eq!(
            refused(&mut st, "MeterValues", sample(bad.clone())),
            "PropertyConstraintViolation",
            "{bad}"
        );
    }
    assert_eq!(
        refused(&mut st, "MeterValues", sample(json!({"value": 17}))),
        "TypeConstraintViolation",
        "1.6 values are text"
    );
    let stop = json!({"transactionId": 3, "meterStop": 10, "timestamp": "2026-01-01T00:00:00Z",
        "reason": "Bogus"});
    assert_eq!(
        refused(&mut st, "StopTransaction", stop),
        "PropertyConstraintViolation"
    );
    let start = json!({"connectorId": 1, "idTag": "x".repeat(21), "meterStart": 0,
        "timestamp": "2026-01-01T00:00:00Z"});
    assert_eq!(
        refused(&mut st, "StartTransaction", start),
        "TypeConstraintViolation"
    );
    let boot = json!({"chargePointVendor": "V", "chargePointModel": "M".repeat(21)});
    assert_eq!(
        refused(&mut st, "BootNotification", boot),
        "TypeConstraintViolation"
    );
}

#[test]
fn v201_enumerations_lengths_and_ranges() {
    let mut st = booted(Version::V201);
    let status = json!({"timestamp": "2026-01-01T00:00:00Z", "connectorStatus": "Bogus",
        "evseId": 1, "connectorId": 1});
    assert_eq!(
        refused(&mut st, "StatusNotification", status),
        "PropertyConstraintViolation"
    );
    let token = |kind: &str, id: String| json!({"idToken": {"idToken": id, "type": kind}});
    assert_eq!(
        refused(&mut st, "Authorize", token("Bogus", "1".into())),
        "PropertyConstraintViolation"
    );
    assert_eq!(
        refused(&mut st, "Authorize", token("Central", "1".repeat(37))),
        "TypeConstraintViolation"
    );
    let event = |extra: Value| {
        let mut e = json!({"eventType": "Updated", "timestamp": "2026-01-01T00:00:00Z",
            "triggerReason": "MeterValuePeriodic", "seqNo": 1,
            "transactionInfo": {"transactionId": "t-1"}});
        if let (Some(map), Value::Object(extra)) = (e.as_object_mut(), extra) {
            map.extend(extra);
        }
        e
    };
    assert_eq!(
        refused(
            &mut st,
            "TransactionEvent",
            event(json!({"transactionInfo": {"transactionId": "t".repeat(37)}}))
        ),
        "TypeConstraintViolation"
    );
    assert_eq!(
        refused(
            &mut st,
            "TransactionEvent",
            event(json!({"transactionInfo": {"transactionId": "t", "stoppedReason": "Bored"}}))
        ),
        "PropertyConstraintViolation"
    );
    assert_eq!(
        refused(&mut st, "TransactionEvent", event(json!({"seqNo": -1}))),
        "PropertyConstraintViolation"
    );
    assert_eq!(
        refused(
            &mut st,
            "TransactionEvent",
            event(json!({"meterValue": []}))
        ),
        "OccurenceConstraintViolation"
    );
    assert_eq!(
        refused(
            &mut st,
            "TransactionEvent",
            event(json!({"meterValue": [{"timestamp": "2026-01-01T00:00:00Z",
                "sampledValue": [{"value": "10"}]}]}))
        ),
        "TypeConstraintViolation",
        "2.0.1 values are numbers"
    );
    let boot = json!({"chargingStation": {"model": "M", "vendorName": "V"}, "reason": "Bogus"});
    assert_eq!(
        refused(&mut st, "BootNotification", boot),
        "PropertyConstraintViolation"
    );
}

#[test]
fn refused_payloads_count_towards_the_error_budget() {
    let mut st = booted(Version::V16);
    let bogus = json!({"connectorId": 1, "errorCode": "NoError", "status": "Bogus"});
    for _ in 1..ERROR_BUDGET {
        assert!(matches!(
            st.on_text(T0, &call_text("v", "StatusNotification", bogus.clone())),
            Incoming::Send(_)
        ));
    }
    assert_eq!(
        st.on_text(T0, &call_text("v", "StatusNotification", bogus)),
        Incoming::Close {
            code: CLOSE_POLICY,
            reason: "too many protocol errors"
        }
    );
}
