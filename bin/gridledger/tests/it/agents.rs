//! The device agents against a real devnet: `agent site` (readings and a standing intention,
//! not entered twice) and `agent charger` (an OCPP 1.6 session whose prepayment, cancellation
//! and settlement are on chain). Bad input is a clear error, never a panic.
use crate::devnet::{key_from_seed, wait_all, Devnet, BIN};
use gridledger_execution::test_utils::{MarketBuilder, SiteBuilder};
use gridledger_sdk::{
    keystore::{KdfParams, Keystore},
    readings::last_position,
    signer::TxSigner,
    Client,
};
use gridledger_types::{
    kst_month, kst_month_start_ms, next_month, Address, BindMeter, ChargerId, ChargerKind,
    DeviceKind, MarketId, MilliWon, Payload, PriceMilliWonPerKwh, PrivateKey, RegisterCharger,
    Role, SiteId, SiteKind,
};
use serde_json::json;
use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
    time::{Duration, Instant},
};

const HOUR: u64 = 3_600_000;

fn save_key(dir: &Path, name: &str, k: &PrivateKey) -> PathBuf {
    let path = dir.join(format!("{name}.json"));
    Keystore::encrypt(k, b"pw", KdfParams::insecure_for_tests())
        .unwrap()
        .save(&path, true)
        .unwrap();
    path
}

fn gridledger(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A refused command: exit status 1 with `error: ...` naming `what`, and no panic.
fn assert_refused(o: &Output, what: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{}", text(o));
    assert!(!stderr.contains("panicked"), "{}", text(o));
    assert!(stderr.contains(what), "expected {what:?}: {}", text(o));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn site_agent_posts_readings_and_enters_its_standing_rules_once() {
    let (tmp, _dir, mut net) = Devnet::temp();
    let client = net.ready().await;
    let mut op = TxSigner::connect(&client, net.key("operator"), None)
        .await
        .unwrap();
    let owner = key_from_seed(31);
    let meter = key_from_seed(32);
    wait_all(
        &client,
        &[op.sign(
            Payload::RegisterParticipant {
                account: Address::of(&owner),
                role: Role::Prosumer,
                name: "Hanbit Tower".into(),
            },
            None,
        )],
    )
    .await;
    let setup = [
        op.sign(
            SiteBuilder::default()
                .site(SiteId::new("bldg-t").unwrap())
                .owner(Address::of(&owner))
                .kind(SiteKind::CommercialBuilding)
                .tariff_class("general-low".into())
                .contract_kw(60)
                .name("Hanbit Tower".into())
                .payload(),
            None,
        ),
        op.sign(
            Payload::RegisterDevice {
                device: Address::of(&meter),
                kind: DeviceKind::Meter,
                owner: Address::of(&owner),
                label: "AMI bldg-t".into(),
            },
            None,
        ),
        op.sign(
            MarketBuilder::default()
                .market(MarketId::new("monthly").unwrap())
                .gate_lead_ms(HOUR)
                .wheeling_fee(PriceMilliWonPerKwh(10_000))
                .platform_fee(PriceMilliWonPerKwh(2_000))
                .payload(),
            None,
        ),
    ];
    wait_all(&client, &setup).await;
    wait_all(
        &client,
        &[op.sign(
            Payload::BindMeter(BindMeter {
                meter: Address::of(&meter),
                site: SiteId::new("bldg-t").unwrap(),
            }),
            None,
        )],
    )
    .await;
    let owner_file = save_key(tmp.path(), "owner", &owner);
    let meter_file = save_key(tmp.path(), "meter", &meter);
    let pw = tmp.path().join("pw.txt");
    std::fs::write(&pw, "pw\n").unwrap();
    let head = client.status().await.unwrap().timestamp_ms;
    let from = head - head % HOUR - 5 * HOUR;
    let from_s = from.to_string();
    let base = [
        "agent",
        "site",
        "--rpc",
        net.rpc.as_str(),
        "--site",
        "bldg-t",
        "--owner-key",
        owner_file.to_str().unwrap(),
        "--password-file",
        pw.to_str().unwrap(),
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter()
            .chain(extra)
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| Command::new(BIN).args(args).output().unwrap();
    let full = with(&[
        "--meter-key",
        meter_file.to_str().unwrap(),
        "--profile",
        "building:60",
        "--from",
        &from_s,
        "--sell",
        "200@140",
        "--buy",
        "12.5@250.5",
        "--once",
    ]);
    let out = run(full.clone());
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("bldg-t: sell 200 kWh at 140 won/kWh"),
        "{stdout}"
    );
    assert!(
        stdout.contains("bldg-t: buy 12.500 kWh at 250.500 won/kWh"),
        "{stdout}"
    );

    // The meter reported every hour from --from up to the head time.
    let pos = last_position(&client, &Address::of(&meter))
        .await
        .unwrap()
        .expect("the meter reported");
    assert_eq!(pos.interval_ms, HOUR as u32);
    assert!(pos.last_boundary_ms >= from + 5 * HOUR, "{pos:?}");
    let (mut intervals, mut import) = (0, 0);
    let mut months = vec![kst_month(from), kst_month(from + 5 * HOUR - 1)];
    months.dedup();
    for month in months {
        let r = client
            .site_readings(&SiteId::new("bldg-t").unwrap(), month)
            .await
            .unwrap()
            .unwrap();
        intervals += r.intervals.len();
        import += r.import_wh;
    }
    assert!(intervals >= 5, "{intervals}");
    assert!(import > 0, "a building imports around the clock");

    // Both rules are in next month's book, for this site, at their limits.
    let now = client.status().await.unwrap().now_ms;
    let next = kst_month_start_ms(next_month(kst_month(now))).unwrap();
    let book = client
        .market_period("monthly", next)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(book["sells"].as_array().unwrap().len(), 1, "{book}");
    assert_eq!(book["sells"][0]["site"], "bldg-t", "{book}");
    assert_eq!(book["sells"][0]["energy_wh"], 200_000, "{book}");
    assert_eq!(book["sells"][0]["limit"], 140_000, "{book}");
    assert_eq!(book["buys"][0]["energy_wh"], 12_500, "{book}");
    assert_eq!(book["buys"][0]["limit"], 250_500, "{book}");

    // A second round posts no intention twice (and the meter resumes where it was).
    let out = run(full);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("sell 200"),
        "{}",
        text(&out)
    );
    let book = client
        .market_period("monthly", next)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(book["sells"].as_array().unwrap().len(), 1, "{book}");
    assert_eq!(book["buys"].as_array().unwrap().len(), 1, "{book}");

    // A rules file works the same way; bad input is refused before anything is signed.
    let rules = tmp.path().join("rules.json");
    std::fs::write(
        &rules,
        r#"[{"side": "sell", "kwh": "x", "won_per_kwh": 1}]"#,
    )
    .unwrap();
    let out = run(with(&["--rules", rules.to_str().unwrap(), "--once"]));
    assert_refused(&out, "rule 1");
    for (args, what) in [
        (vec!["--sell", "200", "--once"], "KWH@WON_PER_KWH"),
        (vec!["--sell", "0@140", "--once"], "more than 0 kWh"),
        (
            vec!["--period", "weekly", "--once"],
            "must be monthly, hourly or 15m",
        ),
        (vec!["--meter-key", "m.json", "--once"], "--profile"),
    ] {
        assert_refused(&run(with(&args)), what);
    }
    // Someone else's site.
    let other = save_key(tmp.path(), "other", &key_from_seed(33));
    let out = gridledger(&[
        "agent",
        "site",
        "--rpc",
        &net.rpc,
        "--site",
        "bldg-t",
        "--owner-key",
        other.to_str().unwrap(),
        "--password-file",
        pw.to_str().unwrap(),
        "--sell",
        "1@1",
        "--once",
    ]);
    assert_refused(&out, "is not the owner of site bldg-t");
    let out = gridledger(&[
        "agent",
        "site",
        "--rpc",
        &net.rpc,
        "--site",
        "nowhere",
        "--owner-key",
        owner_file.to_str().unwrap(),
        "--password-file",
        pw.to_str().unwrap(),
        "--once",
    ]);
    assert_refused(&out, "no site nowhere");
    // The old command is still there.
    let out = gridledger(&["meter-agent", "--help"]);
    assert!(out.status.success(), "{}", text(&out));
    net.kill();
}

/// Waits for the devnet's background registration of its charging operator.
async fn charging_operator(net: &Devnet, client: &Client) -> TxSigner {
    let key = net.key("charging");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let a = client.account(&Address::of(&key)).await.unwrap();
        if a.role.is_some() && a.nonce > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "charging operator never configured"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    TxSigner::connect(client, key, None).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charger_agent_runs_a_card_session_settled_on_chain() {
    let (tmp, _dir, mut net) = Devnet::temp();
    let client = net.ready().await;
    let token = std::fs::read_to_string(net.dir.join("keys/charging-token.txt"))
        .unwrap()
        .trim()
        .to_string();
    let mut charging = charging_operator(&net, &client).await;
    let price = 300_000u64;
    wait_all(
        &client,
        &[charging.sign(
            Payload::RegisterCharger(RegisterCharger {
                charger: ChargerId::new("CP-AGENT").unwrap(),
                kind: ChargerKind::Fast,
                connectors: 1,
                price: PriceMilliWonPerKwh(price),
                idle_fee_per_min: MilliWon(0),
                idle_grace_min: 0,
                active: true,
                label: "agent test".into(),
            }),
            None,
        )],
    )
    .await;
    let secret = client
        .charging_charger_secret(Some(&token), "CP-AGENT")
        .await
        .unwrap()
        .secret;
    let secret_file = tmp.path().join("secret.txt");
    std::fs::write(&secret_file, &secret).unwrap();
    // A card the chain could not store is refused before anything is made (a 52-byte card
    // once reached a block and halted the node), and nothing is enrolled for it.
    for bad in ["C".repeat(37), "CARD AGENT".into(), "카드".into()] {
        let e = client
            .charging_signup(Some(&token), "135790", Some(&bad))
            .await
            .unwrap_err();
        assert_eq!(e.api_code(), Some("bad_card"), "{bad:?}: {e}");
    }
    let member = client
        .charging_signup(Some(&token), "135790", Some("CARD-AGENT-1"))
        .await
        .unwrap();
    assert_eq!(member.member_no, gridledger_types::FIRST_MEMBER_NO);
    let mut bank = TxSigner::connect(&client, net.key("bank"), None)
        .await
        .unwrap();
    wait_all(
        &client,
        &[bank.sign(
            Payload::Mint {
                to: member.address.clone(),
                amount: MilliWon::from_won(50_000).unwrap(),
                bank_ref: "EV".into(),
            },
            None,
        )],
    )
    .await;
    client
        .charging_auto_charge(&gridledger_api_types::AutoChargeBody {
            member_no: member.member_no,
            password: "135790".into(),
            cap_mwon: 20_000_000,
            valid_until_ms: 0,
        })
        .await
        .unwrap();

    let ocpp = format!("ws://127.0.0.1:{}/ocpp", net.ocpp);
    let out = gridledger(&[
        "agent",
        "charger",
        "--ocpp",
        &ocpp,
        "--charger",
        "CP-AGENT",
        "--secret-file",
        secret_file.to_str().unwrap(),
        "--card",
        "CARD-AGENT-1",
        "--sessions",
        "1",
        "--energy-wh",
        "7500",
        "--meter-values",
        "3",
        "--meter-secs",
        "0",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let session: u64 = stdout
        .split("in session ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no session in {stdout}"));
    assert!(stdout.contains("charged 7500 Wh"), "{stdout}");

    // The gateway settles the stop: three distinct successful transactions on chain.
    let deadline = Instant::now() + Duration::from_secs(30);
    let s = loop {
        let s = client
            .charging_session("CP-AGENT", session)
            .await
            .unwrap()
            .unwrap_or(json!({}));
        if s["state"] == "settled" {
            break s;
        }
        assert!(Instant::now() < deadline, "never settled: {s}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let cost = 7_500 * price / 1_000;
    assert_eq!(s["energy_wh"], 7_500, "{s}");
    assert_eq!(s["cost_mwon"], cost, "{s}");
    let hashes: Vec<String> = ["prepay_tx", "cancel_tx", "settle_tx"]
        .iter()
        .map(|k| s[k].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        hashes
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        3,
        "{s}"
    );
    for (h, ty) in hashes
        .iter()
        .zip(["charging_prepay", "charging_cancel", "charging_settle"])
    {
        let v = client
            .tx(&gridledger_types::Hash32::from_hex(h).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert!(v.receipt.is_success(), "{h}: {:?}", v.receipt);
        assert_eq!(v.tx["payload"]["type"], ty, "{h}: {}", v.tx);
    }
    let acct = client.account(&member.address).await.unwrap();
    assert_eq!((acct.balance.0, acct.held.0), (50_000_000 - cost, 0));

    // Bad input: a clear error, never a panic.
    for (args, what) in [
        (vec!["--charger", "bad id!", "--card", "C"], "--charger"),
        (
            vec!["--charger", "CP-AGENT", "--card", "C", "--ocpp", "http://x"],
            "ws://",
        ),
        (vec!["--charger", "CP-AGENT"], "--card"),
        (
            vec!["--charger", "CP-AGENT", "--card", "C", "--energy-wh", "0"],
            "--energy-wh",
        ),
    ] {
        let mut a = vec!["agent", "charger"];
        a.extend(args);
        let o = gridledger(&a);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(
            !o.status.success() && !stderr.contains("panicked"),
            "{}",
            text(&o)
        );
        assert!(stderr.contains(what), "{what}: {}", text(&o));
    }
    // A charger with a wrong secret is refused at the handshake (and says so).
    std::fs::write(&secret_file, "wrong").unwrap();
    let o = gridledger(&[
        "agent",
        "charger",
        "--ocpp",
        &ocpp,
        "--charger",
        "CP-AGENT",
        "--secret-file",
        secret_file.to_str().unwrap(),
        "--card",
        "CARD-AGENT-1",
        "--sessions",
        "1",
    ]);
    assert_refused(&o, "401");
    // Nobody listening: said at once, not retried forever.
    let closed = format!("ws://127.0.0.1:{}/ocpp", crate::devnet::free_port());
    let o = gridledger(&[
        "agent",
        "charger",
        "--ocpp",
        &closed,
        "--charger",
        "CP-AGENT",
        "--card",
        "C",
    ]);
    assert_refused(&o, "Connection refused");
    net.kill();
}
