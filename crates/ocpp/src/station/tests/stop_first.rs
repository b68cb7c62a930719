//! A stop at the hold goes out within seconds even to a charger that answers nothing: it jumps
//! the queued calls, and the call still waiting for its answer gets at most `stop_wait_ms` more.

use super::*;

/// A 1.6 charger that booted and answers none of our calls: the first ChangeConfiguration is
/// on the wire, the other three queued. Returns the station and the outstanding call's id.
fn silent_v16() -> (Station, String) {
    let mut st = Station::new("CP-1", Version::V16, no_cost_messages());
    let r = ask(&mut st, T0, "BootNotification", boot_payload(Version::V16));
    answer(&mut st, T0, &r, Answer::Boot(true));
    let (id, action, _) = sent(&mut st, T0);
    assert_eq!(action, "ChangeConfiguration");
    assert_eq!(st.queued(), 3);
    (st, id)
}

#[test]
fn a_silent_charger_gets_the_stop_at_the_hold_within_seconds() {
    let cfg = OcppConfig::default();
    let (mut st, _) = silent_v16();
    let key = start_v16(&mut st, 5, 1_000_000);
    // The hold is reached 1 s after the boot; the configuration call sent at the boot has
    // not been answered.
    let hold_at = T0 + 1_000;
    meter_v16(&mut st, hold_at, 5, "5000", Some(1_000_000));
    assert_eq!(st.stop_state(&key), Some(StopState::Requested));
    let stop_by = hold_at + cfg.stop_wait_ms;
    assert_eq!(st.next_deadline_ms(), Some(stop_by));
    assert_eq!(st.poll(stop_by - 1), None, "one call at a time");
    let (_, action, payload) = sent(&mut st, stop_by);
    assert_eq!(action, "RemoteStopTransaction");
    assert_eq!(payload, json!({"transactionId": 5}));
    assert!(stop_by - hold_at <= 2_000, "within seconds of the hold");
    // Unanswered too: retried after the call timeout, still ahead of the configuration.
    let retry_at = stop_by + cfg.call_timeout_ms;
    let (_, action, _) = sent(&mut st, retry_at);
    assert_eq!(action, "RemoteStopTransaction");
    let (_, action, _) = sent(&mut st, retry_at + cfg.call_timeout_ms);
    assert_eq!(action, "ChangeConfiguration");
    assert_eq!(st.stop_state(&key), Some(StopState::Flagged));
}

#[test]
fn a_gateway_stop_also_jumps_the_queue() {
    let (mut st, _) = silent_v16();
    assert!(st.remote_stop(T0 + 500, TxKey::Id(9)));
    assert_eq!(st.next_deadline_ms(), Some(T0 + 2_500));
    let (_, action, payload) = sent(&mut st, T0 + 2_500);
    assert_eq!(action, "RemoteStopTransaction");
    assert_eq!(payload, json!({"transactionId": 9}));
}

#[test]
fn an_answered_configuration_call_lets_the_stop_go_at_once() {
    let (mut st, id) = silent_v16();
    start_v16(&mut st, 6, 1_000);
    meter_v16(&mut st, T0 + 100, 6, "2000", Some(1_000));
    st.on_text(T0 + 200, &result_text(&id, json!({"status": "Accepted"})));
    assert_eq!(sent(&mut st, T0 + 200).1, "RemoteStopTransaction");
}

#[test]
fn a_stop_does_not_shorten_another_stop() {
    let mut st = booted_with(Version::V16, no_cost_messages());
    assert!(st.remote_stop(T0, TxKey::Id(1)));
    sent(&mut st, T0);
    let timeout = OcppConfig::default().call_timeout_ms;
    assert_eq!(st.next_deadline_ms(), Some(T0 + timeout));
    assert!(st.remote_stop(T0 + 100, TxKey::Id(2)));
    assert_eq!(st.next_deadline_ms(), Some(T0 + timeout));
}

#[test]
fn a_stop_that_arrives_ends_the_retries_of_its_remote_stop() {
    let cfg = OcppConfig::default();
    let mut st = booted_with(Version::V16, no_cost_messages());
    let key = start_v16(&mut st, 11, 1_000);
    meter_v16(&mut st, T0, 11, "2000", Some(1_000));
    assert_eq!(sent(&mut st, T0).1, "RemoteStopTransaction");
    // The charger obeys but never answers our call: its StopTransaction arrives.
    let r = ask(
        &mut st,
        T0 + 1_000,
        "StopTransaction",
        json!({"transactionId": 11, "meterStop": 2000, "timestamp": "2026-01-01T00:00:00Z"}),
    );
    answer(&mut st, T0 + 1_000, &r, Answer::Stop(StopReply::default()));
    assert_eq!(st.poll(T0 + cfg.call_timeout_ms), None, "no retry");
    assert_eq!(st.stop_state(&key), None);
    assert_eq!(st.flagged().count(), 0);
}
