//! The OCPP central system against a real charger (PyPI `ocpp`, `tests/ocpp/charger.py`) that
//! misbehaves: one card on two connectors (ConcurrentTx, 1.6 and 2.0.1), a charger that answers
//! none of our calls while its session reaches the hold, payloads outside the schemas, an
//! over-long message id, an oversized message; and the charging operator's key used from the
//! CLI while the service runs (the outbox must not fail a Settle).
use crate::devnet::BIN;
use crate::ocpp_e2e::{charger, setup, Env, PASSWORD, PRICE};
use gridledger_types::{MilliWon, Payload};
use serde_json::{json, Value};

const CARD: &str = "04C0FFEE01";

/// Signs up a member with an RFID card, tops it up and gives it an auto-charge cap of `cap_won`
/// per session; its member number and address.
async fn card_member(e: &mut Env, card: &str, won: u64, cap_won: u64) -> (u64, String) {
    let (s, v) = e
        .post(
            "/api/v1/charging/members",
            json!({"password": PASSWORD, "card": card}),
            true,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let no = v["member_no"].as_u64().unwrap();
    let address = v["address"].as_str().unwrap().to_string();
    let mint = e.bank.sign(
        Payload::Mint {
            to: address.parse().unwrap(),
            amount: MilliWon::from_won(won).unwrap(),
            bank_ref: format!("TOPUP-{no}"),
        },
        None,
    );
    crate::devnet::wait_all(&e.net.client(), &[mint]).await;
    let (s, v) = e
        .post(
            "/api/v1/charging/auto-charge",
            json!({"member_no": no, "password": PASSWORD, "cap_mwon": cap_won * 1_000}),
            false,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    (no, address)
}

/// The charging sessions of `charger` the API lists (any state).
async fn sessions_of(e: &Env, charger: &str) -> Vec<Value> {
    let (s, v) = e
        .get(&format!("/api/v1/charging/sessions?charger={charger}"))
        .await;
    assert_eq!(s, 200, "{v}");
    v["sessions"].as_array().cloned().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocpp_concurrent_cards_silent_chargers_and_invalid_input_slow_() {
    let mut e = setup().await;
    for id in ["CP-TWO", "CP-TWO-201", "CP-SILENT", "CP-BAD"] {
        e.register_charger(id).await;
    }

    // ---- 1.6: the same card on connector 2 while its session on connector 1 runs.
    let (dave, _) = card_member(&mut e, CARD, 30_000, 5_000).await;
    let out = charger(
        "concurrent16",
        e.params(
            "CP-TWO",
            json!({"card": CARD, "energy_wh": 2_000, "energy2_wh": 3_000}),
        ),
    )
    .await;
    assert_eq!(out["authorize"], "Accepted", "{out}");
    assert_eq!(out["start1"]["status"], "Accepted", "{out}");
    assert_eq!(out["start2"]["status"], "ConcurrentTx", "{out}");
    let (tx1, tx2) = (
        out["start1"]["transaction_id"].as_u64().unwrap(),
        out["start2"]["transaction_id"].as_u64().unwrap(),
    );
    assert_ne!(tx1, tx2, "the refused start has its own transaction id");
    let s = e.session_in("CP-TWO", tx1, "settled").await;
    let cost = 2_000 * PRICE / 1_000;
    assert_eq!(s["cost_mwon"], cost, "{s}");
    let (status, _) = e
        .get(&format!("/api/v1/charging/sessions/CP-TWO/{tx2}"))
        .await;
    assert_eq!(
        status, 404,
        "nothing was prepaid or billed for the refused start"
    );
    assert_eq!(sessions_of(&e, "CP-TWO").await.len(), 1);
    assert_eq!(e.balance(dave).await, (30_000_000 - cost, 0));

    // ---- 2.0.1: a second transaction of the same token on EVSE 2.
    let erin = e.member(20_000).await;
    let out = charger(
        "concurrent201",
        e.params(
            "CP-TWO-201",
            json!({"member": erin, "password": PASSWORD, "amount_won": 5_000,
                   "energy_wh": 1_000, "energy2_wh": 4_000}),
        ),
    )
    .await;
    assert_eq!(out["prepay"]["status"], "Accepted", "{out}");
    assert_eq!(out["started1"], "Accepted", "{out}");
    assert_eq!(out["started2"], "ConcurrentTx", "{out}");
    assert_eq!(out["ended2"]["total_cost"], Value::Null, "{out}");
    let session = out["prepay"]["data"]["session"].as_u64().unwrap();
    let s = e.session_in("CP-TWO-201", session, "settled").await;
    let cost = 1_000 * PRICE / 1_000;
    assert_eq!(s["cost_mwon"], cost, "{s}");
    assert_eq!(sessions_of(&e, "CP-TWO-201").await.len(), 1);
    assert_eq!(e.balance(erin).await, (20_000_000 - cost, 0));

    // ---- A charger that answers none of our calls reaches its 1,000 won hold: the RemoteStop
    // comes within seconds, ahead of the configuration calls still queued after its boot.
    let frank = e.member(10_000).await;
    let out = charger(
        "silent16",
        e.params(
            "CP-SILENT",
            json!({"member": frank, "password": PASSWORD, "amount_won": 1_000,
                   "energy_wh": 10_000}),
        ),
    )
    .await;
    assert_eq!(out["prepay"][0]["status"], "Accepted", "{out}");
    let tx = out["start"]["transaction_id"].as_u64().unwrap();
    assert_eq!(out["remote_stops"][0], tx, "{out}");
    let calls: Vec<&str> = out["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    // The first configuration call was on the wire when the hold was reached; the three
    // queued behind it waited for the stop.
    assert_eq!(
        calls[..2],
        ["ChangeConfiguration", "RemoteStopTransaction"],
        "{out}"
    );
    println!(
        "silent charger: RemoteStop {} s after the reading at the hold",
        out["remote_stop_after_s"]
    );
    let s = e.session_in("CP-SILENT", tx, "settled").await;
    assert_eq!(s["cost_mwon"], 1_000_000, "capped at the hold: {s}");

    // ---- Payloads outside the schemas get their OCPP-J codes and change nothing; a long
    // message id is answered so that the client matches the answer to its call.
    let out = charger("invalid16", e.params("CP-BAD", json!({}))).await;
    assert_eq!(out["bogus_status"], "PropertyConstraintViolation", "{out}");
    assert_eq!(
        out["bogus_error_code"], "PropertyConstraintViolation",
        "{out}"
    );
    assert_eq!(
        out["missing_error_code"], "OccurenceConstraintViolation",
        "{out}"
    );
    assert_eq!(out["long_id_tag"], "TypeConstraintViolation", "{out}");
    assert_eq!(out["text_connector"], "TypeConstraintViolation", "{out}");
    assert_eq!(out["long_message_id"], "FormationViolation", "{out}");
    assert_eq!(out["alive"], true, "{out}");
    let out = charger("invalid201", e.params("CP-BAD", json!({}))).await;
    assert_eq!(out["bogus_status"], "PropertyConstraintViolation", "{out}");
    assert_eq!(
        out["bogus_token_type"], "PropertyConstraintViolation",
        "{out}"
    );
    assert_eq!(out["long_token"], "TypeConstraintViolation", "{out}");
    // RpcFrameworkError is 2.0.1's code; this client knows no class for it, but it matched
    // the answer to its call (not a timeout).
    assert_eq!(out["long_message_id"], "UnknownCallErrorCodeError", "{out}");
    assert_eq!(out["alive"], true, "{out}");
    let (status, c) = e.get("/api/v1/charging/chargers/CP-BAD").await;
    assert_eq!(status, 200, "{c}");
    assert!(!c.to_string().contains("Bogus"), "nothing stored: {c}");
    // The valid StatusNotification of the boot is there.
    assert_eq!(c["connector_status"][0]["status"], "Available", "{c}");

    // ---- A message over 64 KiB: Close 1009.
    let out = charger("too_big", e.params("CP-BAD", json!({}))).await;
    assert_eq!(out["closed"], true, "{out}");
    assert_eq!(out["code"], 1009, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocpp_outbox_settles_once_while_the_cli_uses_the_operator_key_slow_() {
    let mut e = setup().await;
    e.register_charger("CP-OUT").await;
    let (gina, address) = card_member(&mut e, CARD, 30_000, 5_000).await;
    // The card starts a session: the service signs the prepayment with the operator's key.
    let out = charger(
        "rfid_start16",
        e.params("CP-OUT", json!({"card": CARD, "energy_wh": 1_500})),
    )
    .await;
    assert_eq!(out["start"]["status"], "Accepted", "{out}");
    let tx = out["start"]["transaction_id"].as_u64().unwrap();
    // Meanwhile the operator registers a charger with the same key from the CLI.
    let keys = e.net.dir.join("keys");
    let cli = std::process::Command::new(BIN)
        .args(["tx", "register-charger", "--rpc", &e.net.rpc, "--key"])
        .arg(keys.join("charging.json"))
        .arg("--password-file")
        .arg(keys.join("password.txt"))
        .args([
            "--charger",
            "CP-CLI-2",
            "--kind",
            "slow",
            "--connectors",
            "1",
            "--price-won-per-kwh",
            "300",
            "--label",
            "added from the CLI",
            "--wait",
        ])
        .output()
        .expect("run gridledger");
    assert!(
        cli.status.success(),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    // The charger reconnects and stops: the outbox's Cancel and Settle go out with the key
    // whose nonce the CLI moved on.
    let out = charger(
        "late_stop16",
        e.params(
            "CP-OUT",
            json!({"energy_wh": 1_500, "transaction_id": tx, "no_boot": true}),
        ),
    )
    .await;
    assert_eq!(out["stop"]["answered"], true, "{out}");
    let s = e.session_in("CP-OUT", tx, "settled").await;
    let cost = 1_500 * PRICE / 1_000;
    assert_eq!(s["cost_mwon"], cost, "{s}");
    assert_eq!(e.balance(gina).await, (30_000_000 - cost, 0));
    // The member's history: one prepay, one cancel, one settle, none failed.
    let (status, h) = e.get(&format!("/api/v1/accounts/{address}/txs")).await;
    assert_eq!(status, 200, "{h}");
    let items = h["items"].as_array().unwrap();
    let failed: Vec<&Value> = items
        .iter()
        .filter(|t| t["receipt"]["status"] != "success")
        .collect();
    assert!(failed.is_empty(), "failed transactions: {failed:?}");
    for kind in ["charging_prepay", "charging_cancel", "charging_settle"] {
        let n = items
            .iter()
            .filter(|t| t["tx"].to_string().contains(&format!("\"{kind}\"")))
            .count();
        assert_eq!(n, 1, "{kind} in {h}");
    }
}
