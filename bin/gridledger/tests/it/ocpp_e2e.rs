//! EV charging end to end: a real devnet with its OCPP central system on loopback, and a real
//! OCPP charger — the PyPI `ocpp` library (2.1.0, schema-validating both ways) driven by
//! `tests/ocpp/charger.py` — booting, authorising a member, prepaying with the member's
//! password, charging, stopping. The outcome is read back through the HTTP API: the session's
//! three finalized transactions and the member's wallet.
//!
//! The Python interpreter comes from `GRIDLEDGER_PYTHON` (`.ci/run` sets up `.ci/.venv` with
//! `ocpp` and `websockets`); without one the test fails and says how to get it.
use crate::devnet::{wait_all, Devnet};
use gridledger_sdk::signer::TxSigner;
use gridledger_types::{
    ChargerId, ChargerKind, MilliWon, Payload, PriceMilliWonPerKwh, RegisterCharger,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub(crate) const PASSWORD: &str = "246810";
pub(crate) const PRICE: u64 = 324_400; // 324.4 won/kWh

fn python() -> String {
    let py = std::env::var("GRIDLEDGER_PYTHON").unwrap_or_else(|_| {
        let venv = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.ci/.venv/bin/python");
        venv.to_string()
    });
    assert!(
        std::path::Path::new(&py).exists(),
        "no Python with the `ocpp` library at {py}: run `.ci/run` once (it creates .ci/.venv with \
         `pip install ocpp==2.1.0 websockets`), or set GRIDLEDGER_PYTHON"
    );
    py
}

/// Runs one scenario of the Python charger; its JSON result.
pub(crate) async fn charger(scenario: &str, params: Value) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ocpp/charger.py");
    let out = tokio::process::Command::new(python())
        .args([script, scenario, &params.to_string()])
        .output()
        .await
        .expect("run the Python charger");
    assert!(
        out.status.success(),
        "charger.py {scenario} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "charger.py printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// A devnet with its charging operator ready (shared with the sign-in tests' member cases).
pub(crate) struct Env {
    _tmp: tempfile::TempDir,
    pub(crate) net: Devnet,
    pub(crate) http: reqwest::Client,
    pub(crate) token: String,
    pub(crate) bank: TxSigner,
    pub(crate) charging: TxSigner,
    /// Each registered charger's secret (OCPP security profile 1).
    pub(crate) secrets: std::collections::BTreeMap<String, String>,
}

impl Env {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.net.rpc)
    }

    /// `GET path`: charging records as the charging operator's back office (its bearer
    /// token), the rest signed by the market operator (personal records need a reader).
    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        let r = if path.starts_with("/api/v1/charging/") {
            let req = self.http.get(self.url(path)).bearer_auth(&self.token);
            req.send().await.unwrap()
        } else {
            let operator = self.net.key("operator");
            self.net
                .get_signed(path, &operator, gridledger_sdk::now_ms())
                .await
        };
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn post(&self, path: &str, body: Value, bearer: bool) -> (u16, Value) {
        let mut req = self.http.post(self.url(path)).json(&body);
        if bearer {
            req = req.bearer_auth(&self.token);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Signs up a member with `won` on its wallet; its member number.
    pub(crate) async fn member(&mut self, won: u64) -> u64 {
        let (s, v) = self
            .post(
                "/api/v1/charging/members",
                json!({ "password": PASSWORD }),
                true,
            )
            .await;
        assert_eq!(s, 200, "{v}");
        let no = v["member_no"].as_u64().unwrap();
        let address = v["address"].as_str().unwrap().parse().unwrap();
        if won > 0 {
            let mint = self.bank.sign(
                Payload::Mint {
                    to: address,
                    amount: MilliWon::from_won(won).unwrap(),
                    bank_ref: format!("TOPUP-{no}"),
                },
                None,
            );
            wait_all(&self.net.client(), &[mint]).await;
        }
        no
    }

    pub(crate) async fn register_charger(&mut self, id: &str) {
        let tx = self.charging.sign(
            Payload::RegisterCharger(RegisterCharger {
                charger: ChargerId::new(id).unwrap(),
                kind: ChargerKind::Fast,
                connectors: 2,
                price: PriceMilliWonPerKwh(PRICE),
                idle_fee_per_min: MilliWon(0),
                idle_grace_min: 0,
                active: true,
                label: format!("test charger {id}"),
            }),
            None,
        );
        wait_all(&self.net.client(), &[tx]).await;
        let (s, v) = self
            .post(
                &format!("/api/v1/charging/chargers/{id}/secret"),
                json!({}),
                true,
            )
            .await;
        assert_eq!(s, 200, "{v}");
        self.secrets
            .insert(id.to_string(), v["secret"].as_str().unwrap().to_string());
    }

    /// Parameters of a charger scenario: the OCPP URL, the charger and its secret.
    pub(crate) fn params(&self, charger: &str, mut extra: Value) -> Value {
        extra["url"] = json!(self.ocpp_url());
        extra["charger"] = json!(charger);
        if let Some(secret) = self.secrets.get(charger) {
            extra["secret"] = json!(secret);
        }
        extra
    }

    pub(crate) async fn balance(&self, member_no: u64) -> (u64, u64) {
        let (s, m) = self
            .get(&format!("/api/v1/charging/members/{member_no}"))
            .await;
        assert_eq!(s, 200, "{m}");
        (
            m["balance_mwon"].as_u64().unwrap(),
            m["held_mwon"].as_u64().unwrap(),
        )
    }

    /// Waits until the session is in `state` (the outbox settles in the background).
    pub(crate) async fn session_in(&self, charger: &str, session: u64, state: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(45);
        loop {
            let (s, v) = self
                .get(&format!("/api/v1/charging/sessions/{charger}/{session}"))
                .await;
            if s == 200 && v["state"] == state {
                return v;
            }
            assert!(
                Instant::now() < deadline,
                "session {charger}/{session} never {state}: {v}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub(crate) fn ocpp_url(&self) -> String {
        format!("ws://127.0.0.1:{}/ocpp", self.net.ocpp)
    }
}

pub(crate) async fn setup() -> Env {
    let (tmp, _dir, mut net) = Devnet::temp();
    let client = net.ready().await;
    let token = std::fs::read_to_string(net.dir.join("keys/charging-token.txt"))
        .unwrap()
        .trim()
        .to_string();
    let bank = TxSigner::connect(&client, net.key("bank"), None)
        .await
        .unwrap();
    // The devnet registers and configures its charging operator in the background.
    let charging_key = net.key("charging");
    let deadline = Instant::now() + Duration::from_secs(30);
    while client
        .account(&gridledger_types::Address::of(&charging_key))
        .await
        .map(|a| a.role.is_none() || a.nonce == 0)
        .unwrap_or(true)
    {
        assert!(
            Instant::now() < deadline,
            "charging operator never configured"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let charging = TxSigner::connect(&client, charging_key, None)
        .await
        .unwrap();
    Env {
        _tmp: tmp,
        net,
        http: reqwest::Client::new(),
        token,
        bank,
        charging,
        secrets: Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocpp_chargers_of_both_versions_charge_members_from_their_wallets_slow_() {
    let mut e = setup().await;
    e.register_charger("CP-16").await;
    e.register_charger("CP-201").await;
    let alice = e.member(100_000).await;

    // ---- OCPP 1.6J: boot, authorize, certify, prepay 20,000 won, charge 12.345 kWh, stop twice.
    let out = charger(
        "session16",
        e.params(
            "CP-16",
            json!({"member": alice, "password": PASSWORD, "amount_won": 20_000, "energy_wh": 12_345}),
        ),
    )
    .await;
    assert_eq!(out["boot"], "Accepted", "{out}");
    assert_eq!(out["authorize"], "Accepted", "{out}");
    assert_eq!(out["certify"]["result"], "accepted", "{out}");
    assert_eq!(out["certify"]["balanceWon"], 100_000, "{out}");
    assert_eq!(out["prepay"][0]["status"], "Accepted", "{out}");
    assert_eq!(out["start"]["status"], "Accepted", "{out}");
    assert_eq!(out["stop"]["answered"], true, "{out}");
    assert_eq!(out["stop_again"]["answered"], true, "{out}");
    // Cost messages (OCA costmsg): the final cost in whole won, rounded up.
    assert!(
        out["cost_messages"].to_string().contains("FinalCost"),
        "{out}"
    );
    let configured: Vec<String> = out["configuration"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| kv[0].as_str().unwrap().to_string())
        .collect();
    assert!(
        configured.contains(&"AllowOfflineTxForUnknownId".to_string()),
        "{out}"
    );
    let session = out["start"]["transaction_id"].as_u64().unwrap();
    assert_eq!(out["prepay"][0]["data"]["session"], session, "{out}");
    let s = e.session_in("CP-16", session, "settled").await;
    // 12.345 kWh x 324.4 won/kWh = 4,004.718 won, the fraction of a milli-won dropped.
    let cost = 12_345 * PRICE / 1_000;
    assert_eq!(s["cost_mwon"], cost, "{s}");
    assert_eq!(s["hold_mwon"], 20_000_000, "{s}");
    assert_eq!(s["energy_wh"], 12_345, "{s}");
    // Three distinct finalized transactions, each with its events.
    let hashes: Vec<&str> = ["prepay_tx", "cancel_tx", "settle_tx"]
        .iter()
        .map(|k| s[k].as_str().unwrap())
        .collect();
    assert_eq!(
        hashes
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        3
    );
    for (h, event) in
        hashes
            .iter()
            .zip(["charging_prepaid", "charging_cancelled", "charging_settled"])
    {
        let (st, tx) = e.get(&format!("/api/v1/txs/{h}")).await;
        assert_eq!(st, 200, "{tx}");
        assert_eq!(tx["receipt"]["status"], "success", "{tx}");
        assert!(tx["receipt"]["events"].to_string().contains(event), "{tx}");
    }
    // The wallet shows exactly -hold, +hold, -cost: net the cost.
    assert_eq!(e.balance(alice).await, (100_000_000 - cost, 0));
    let (_, prepaid) = e.get(&format!("/api/v1/txs/{}", hashes[0])).await;
    assert!(
        prepaid["receipt"]["events"]
            .to_string()
            .contains("20000000"),
        "{prepaid}"
    );

    // ---- OCPP 2.0.1: a hold of 1,000 won is reached: RequestStopTransaction, then Ended.
    let bob = e.member(50_000).await;
    let out = charger(
        "session201",
        e.params(
            "CP-201",
            json!({"member": bob, "password": PASSWORD, "amount_won": 1_000, "energy_wh": 10_000,
                   "expect_remote_stop": true}),
        ),
    )
    .await;
    assert_eq!(out["boot"], "Accepted", "{out}");
    assert_eq!(out["authorize"], "Accepted", "{out}");
    assert_eq!(out["prepay"]["status"], "Accepted", "{out}");
    assert_eq!(out["remote_stops"][0], "st-tx-1", "{out}");
    // The cost is capped at the hold: 10 kWh would be 3,244 won.
    assert_eq!(out["ended"]["total_cost"], 1_000, "{out}");
    assert_eq!(
        out["ended_again"]["total_cost"], out["ended"]["total_cost"],
        "{out}"
    );
    let session = out["prepay"]["data"]["session"].as_u64().unwrap();
    let s = e.session_in("CP-201", session, "settled").await;
    assert_eq!(s["cost_mwon"], 1_000_000, "{s}");
    assert_eq!(e.balance(bob).await, (49_000_000, 0));

    // ---- RFID only: a card with a standing authorisation of 5,000 won per session.
    let (s, v) = e
        .post(
            "/api/v1/charging/members",
            json!({"password": PASSWORD, "card": "04A1B2C3D4"}),
            true,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let dave = v["member_no"].as_u64().unwrap();
    let mint = e.bank.sign(
        Payload::Mint {
            to: v["address"].as_str().unwrap().parse().unwrap(),
            amount: MilliWon::from_won(30_000).unwrap(),
            bank_ref: "TOPUP-DAVE".into(),
        },
        None,
    );
    wait_all(&e.net.client(), &[mint]).await;
    let (s, v) = e
        .post(
            "/api/v1/charging/auto-charge",
            json!({"member_no": dave, "password": PASSWORD, "cap_mwon": 5_000_000}),
            false,
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let out = charger(
        "rfid16",
        e.params(
            "CP-16",
            json!({"card": "04A1B2C3D4", "member": dave, "energy_wh": 3_000}),
        ),
    )
    .await;
    assert_eq!(out["authorize"], "Accepted", "{out}");
    assert_eq!(out["start"]["status"], "Accepted", "{out}");
    assert_ne!(out["start_by_number"], "Accepted", "{out}");
    let session = out["start"]["transaction_id"].as_u64().unwrap();
    let s = e.session_in("CP-16", session, "settled").await;
    assert_eq!(s["hold_mwon"], 5_000_000, "{s}");
    let rfid_cost = 3_000 * PRICE / 1_000;
    assert_eq!(s["cost_mwon"], rfid_cost, "{s}");
    assert_eq!(e.balance(dave).await, (30_000_000 - rfid_cost, 0));

    // ---- The charging operator's views: chargers online, sessions, revenue.
    let (_, chargers) = e.get("/api/v1/charging/chargers").await;
    assert_eq!(
        chargers["chargers"].as_array().unwrap().len(),
        2,
        "{chargers}"
    );
    let (_, finished) = e.get("/api/v1/charging/sessions?state=finished").await;
    assert_eq!(
        finished["sessions"].as_array().unwrap().len(),
        3,
        "{finished}"
    );
    let (_, revenue) = e.get("/api/v1/charging/revenue").await;
    assert_eq!(
        revenue["total_mwon"],
        cost + 1_000_000 + rfid_cost,
        "{revenue}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ocpp_refusals_duplicates_late_stops_and_bad_frames_settle_nothing_twice_slow_() {
    let mut e = setup().await;
    e.register_charger("CP-N").await;
    let carol = e.member(10_000).await;

    // Unknown member, wrong password, too little balance, a start with nothing prepaid.
    let out = charger(
        "negative16",
        e.params(
            "CP-N",
            json!({"member": carol, "password": PASSWORD, "too_much_won": 20_000}),
        ),
    )
    .await;
    assert_eq!(out["authorize_unknown"], "Invalid", "{out}");
    assert_eq!(out["certify_wrong"]["result"], "invalid", "{out}");
    assert_eq!(out["prepay"][0]["status"], "Rejected", "{out}");
    assert_eq!(
        out["prepay"][0]["data"]["result"], "insufficient_balance",
        "{out}"
    );
    assert_ne!(out["start_without_prepay"]["status"], "Accepted", "{out}");
    assert!(
        out["start_without_prepay"]["transaction_id"]
            .as_u64()
            .is_some(),
        "{out}"
    );
    assert_eq!(out["unknown_vendor"], "UnknownVendorId", "{out}");
    assert_eq!(e.balance(carol).await, (10_000_000, 0));

    // An unsupported subprotocol is refused before the upgrade; an unknown charger, a charger
    // without its secret and one with a wrong secret get 401.
    let out = charger("unsupported", e.params("CP-N", json!({}))).await;
    assert_eq!(out["connected"], false, "{out}");
    assert_eq!(out["status"], 400, "{out}");
    assert_eq!(out["body"]["error"], "unsupported_subprotocol", "{out}");
    for params in [
        e.params("CP-UNKNOWN", json!({})),
        json!({"url": e.ocpp_url(), "charger": "CP-N"}),
        json!({"url": e.ocpp_url(), "charger": "CP-N", "secret": "0000"}),
    ] {
        let out = charger("handshake16", params).await;
        assert_eq!(out["connected"], false, "{out}");
        assert_eq!(out["status"], 401, "{out}");
    }

    // Malformed frames get CALLERRORs and the connection survives.
    let out = charger("malformed", e.params("CP-N", json!({}))).await;
    let replies = out["replies"].as_array().unwrap();
    assert!(replies.iter().all(|r| r[0] == 4), "{out}");
    assert_eq!(replies[0][2], "FormationViolation", "{out}");
    assert_eq!(replies[2][2], "NotImplemented", "{out}");
    assert_eq!(out["heartbeat_after"][0], 3, "{out}");

    // Prepay and start, the connection drops; a concurrent prepayment is refused; after a
    // reconnect the late stop settles once.
    let out = charger(
        "prepay_then_drop16",
        e.params(
            "CP-N",
            json!({"member": carol, "password": PASSWORD, "amount_won": 5_000}),
        ),
    )
    .await;
    assert_eq!(out["start"]["status"], "Accepted", "{out}");
    let session = out["start"]["transaction_id"].as_u64().unwrap();
    let out2 = charger(
        "prepay_then_drop16",
        e.params(
            "CP-N",
            json!({"member": carol, "password": PASSWORD, "amount_won": 1_000}),
        ),
    )
    .await;
    assert_eq!(
        out2["prepay"][0]["data"]["result"], "concurrent_session",
        "{out2}"
    );
    assert_eq!(e.balance(carol).await, (5_000_000, 5_000_000));
    let stop = e.params(
        "CP-N",
        json!({"energy_wh": 2_000, "transaction_id": session}),
    );
    // The charger reconnects after the outage without rebooting: no BootNotification.
    let mut no_boot = stop.clone();
    no_boot["no_boot"] = json!(true);
    let out = charger("late_stop16", no_boot).await;
    assert_eq!(out["stop"]["answered"], true, "{out}");
    let s = e.session_in("CP-N", session, "settled").await;
    let cost = 2_000 * PRICE / 1_000;
    assert_eq!(s["cost_mwon"], cost, "{s}");
    // The same stop again, after settlement: answered, nothing charged twice.
    let out = charger("late_stop16", stop).await;
    assert_eq!(out["stop"]["answered"], true, "{out}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(e.balance(carol).await, (10_000_000 - cost, 0));

    // Lockout: five wrong passwords block the member (the right one then answers blocked).
    for _ in 0..5 {
        let (s, v) = e
            .post(
                "/api/v1/charging/certify",
                json!({"charger": "CP-N", "member_no": carol, "password": "000000"}),
                true,
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }
    let (_, v) = e
        .post(
            "/api/v1/charging/certify",
            json!({"charger": "CP-N", "member_no": carol, "password": PASSWORD}),
            true,
        )
        .await;
    assert_eq!(v["result"], "blocked", "{v}");
}
