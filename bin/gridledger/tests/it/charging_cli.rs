//! The README's EV charging walk-through, through the real `gridledger` binary only: the
//! devnet's charging operator registers a charger, signs up a member (the bank tops it up),
//! issues the charger's secret; the keypad commands certify, prepay and stop; the session
//! settles in the background and shows up in the revenue; the member paid exactly the cost.
use crate::cli_flow::field;
use crate::devnet::{Devnet, BIN};
use std::{
    path::Path,
    process::Command,
    time::{Duration, Instant},
};

const CHARGER: &str = "CP-CLI.1";
/// 324.4 won/kWh.
const PRICE_MWON_PER_KWH: u64 = 324_400;
/// 12.347 kWh: 12.347 x 324.4 = 4,005.3668 won, so the cost is floored to 4,005.366 won.
const ENERGY_WH: u64 = 12_347;
const MEMBER_PASSWORD: &str = "864209";

/// Runs the binary; (success, stdout, stderr). Every output is checked for the member password.
fn gl(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env_remove("GRIDLEDGER_CHARGING_TOKEN")
        .output()
        .expect("run gridledger");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        !stdout.contains(MEMBER_PASSWORD) && !stderr.contains(MEMBER_PASSWORD),
        "gridledger {args:?} printed the member password"
    );
    (out.status.success(), stdout, stderr)
}

fn ok(args: &[&str]) -> String {
    let (success, stdout, stderr) = gl(args);
    assert!(success, "gridledger {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charging_walkthrough_with_the_cli_only_slow_() {
    let (tmp, dir, mut net) = Devnet::temp();
    net.ready().await;
    let rpc = net.rpc.clone();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let keys = dir.join("keys");
    let (charging_key, bank_key, devpw, token) = (
        s(&keys.join("charging.json")),
        s(&keys.join("bank.json")),
        s(&keys.join("password.txt")),
        s(&keys.join("charging-token.txt")),
    );
    let pw = tmp.path().join("member-password.txt");
    std::fs::write(&pw, format!("{MEMBER_PASSWORD}\n")).unwrap();
    let pw = s(&pw);

    // The devnet registers and configures its charging operator a moment after it starts.
    let operator = ok(&[
        "key",
        "show",
        "--key",
        &charging_key,
        "--password-file",
        &devpw,
    ]);
    let operator = operator
        .trim()
        .strip_prefix("address ")
        .unwrap()
        .to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let a = ok(&[
            "query",
            "account",
            &operator,
            "--rpc",
            &rpc,
            "--key",
            &charging_key,
            "--password-file",
            &devpw,
        ]);
        if field(&a, "role") == "charging_operator" && field(&a, "nonce") != "0" {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "charging operator never configured:\n{a}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The operator registers a charger.
    let out = ok(&[
        "tx",
        "register-charger",
        "--rpc",
        &rpc,
        "--key",
        &charging_key,
        "--password-file",
        &devpw,
        "--charger",
        CHARGER,
        "--kind",
        "fast",
        "--connectors",
        "2",
        "--price-won-per-kwh",
        "324.4",
        "--label",
        "CLI test bay",
        "--wait",
    ]);
    assert_eq!(field(&out, "status"), "success", "{out}");
    let c = ok(&["charging", "charger", CHARGER, "--rpc", &rpc]);
    assert_eq!(
        field(&c, "price_mwon_per_kwh"),
        PRICE_MWON_PER_KWH.to_string()
    );
    assert_eq!(field(&c, "has_secret"), "false");
    let list = ok(&["charging", "chargers", "--rpc", &rpc]);
    assert!(
        list.lines()
            .any(|l| l.starts_with(&format!("{CHARGER} fast connectors 2 "))),
        "{list}"
    );

    // Sign-up needs the operator token; the bank tops the new wallet up.
    let (success, _, err) = gl(&["charging", "signup", "--rpc", &rpc, "--password-file", &pw]);
    assert!(!success && err.contains("--token-file"), "{err}");
    let out = ok(&[
        "charging",
        "signup",
        "--rpc",
        &rpc,
        "--token-file",
        &token,
        "--password-file",
        &pw,
    ]);
    let member_no = field(&out, "member_no").to_string();
    let address = field(&out, "address").to_string();
    assert!(member_no.parse::<u64>().unwrap() >= 10_000_001, "{out}");
    let out = ok(&[
        "tx",
        "mint",
        "--rpc",
        &rpc,
        "--key",
        &bank_key,
        "--password-file",
        &devpw,
        "--to",
        &address,
        "--amount-won",
        "50000",
        "--bank-ref",
        "TOPUP-CLI-1",
        "--wait",
    ]);
    assert_eq!(field(&out, "status"), "success", "{out}");
    // Members are personal: the charging operator reads them with its key, nobody anonymously.
    let (success, _, err) = gl(&["charging", "member", &member_no, "--rpc", &rpc]);
    assert!(!success && err.contains("unauthorized"), "{err}");
    // The member's wallet, read by the bank (entitled to every account).
    let wallet_as_bank = [
        "query",
        "account",
        &address,
        "--rpc",
        &rpc,
        "--key",
        &bank_key,
        "--password-file",
        &devpw,
    ];
    let cpo = |args: &[&str]| -> String {
        let mut all = args.to_vec();
        all.extend([
            "--rpc",
            &rpc,
            "--key",
            &charging_key,
            "--key-password-file",
            &devpw,
        ]);
        ok(&all)
    };
    let m = cpo(&["charging", "member", &member_no]);
    assert_eq!(field(&m, "balance_mwon"), "50000000");
    assert_eq!(field(&m, "status"), "active");

    // A secret for the charger: printed once, then replaced by one written to a file.
    let out = ok(&[
        "charging",
        "charger-secret",
        CHARGER,
        "--rpc",
        &rpc,
        "--token-file",
        &token,
    ]);
    let old_secret = tmp.path().join("old-secret.txt");
    std::fs::write(&old_secret, format!("{}\n", field(&out, "secret"))).unwrap();
    let secret = tmp.path().join("secret.txt");
    let out = ok(&[
        "charging",
        "charger-secret",
        CHARGER,
        "--rpc",
        &rpc,
        "--token-file",
        &token,
        "--out",
        &s(&secret),
    ]);
    assert!(!out.contains("secret: "), "{out}");
    let (old_secret, secret) = (s(&old_secret), s(&secret));

    // The keypad: the replaced secret is refused, a wrong password is not accepted.
    let certify = |secret: &str, password: &str| {
        gl(&[
            "charging",
            "certify",
            "--rpc",
            &rpc,
            "--charger",
            CHARGER,
            "--secret-file",
            secret,
            "--member-no",
            &member_no,
            "--password-file",
            password,
        ])
    };
    let (success, _, err) = certify(&old_secret, &pw);
    assert!(!success && err.contains("unauthorized"), "{err}");
    let wrong = tmp.path().join("wrong.txt");
    std::fs::write(&wrong, "000000\n").unwrap();
    let (success, out, _) = certify(&secret, &s(&wrong));
    assert!(!success && field(&out, "result") == "invalid", "{out}");
    let (success, out, err) = certify(&secret, &pw);
    assert!(success, "{out}\n{err}");
    assert_eq!(field(&out, "result"), "accepted");
    assert_eq!(field(&out, "balance_mwon"), "50000000");

    let out = ok(&[
        "charging",
        "prepay",
        "--rpc",
        &rpc,
        "--charger",
        CHARGER,
        "--secret-file",
        &secret,
        "--connector",
        "1",
        "--member-no",
        &member_no,
        "--password-file",
        &pw,
        "--amount-won",
        "20000",
    ]);
    let session = field(&out, "session").to_string();
    assert_eq!(field(&out, "hold_mwon"), "20000000");
    let open = cpo(&[
        "charging",
        "sessions",
        "--state",
        "open",
        "--charger",
        CHARGER,
    ]);
    assert!(
        open.lines()
            .any(|l| l.starts_with(&format!("{CHARGER}/{session} prepaid member {member_no} "))),
        "{open}"
    );

    let energy = ENERGY_WH.to_string();
    let out = ok(&[
        "charging",
        "stop",
        "--rpc",
        &rpc,
        "--charger",
        CHARGER,
        "--secret-file",
        &secret,
        "--session",
        &session,
        "--energy-wh",
        &energy,
    ]);
    assert_eq!(field(&out, "queued"), "true", "{out}");

    // Cancel + Settle follow in the background.
    let deadline = Instant::now() + Duration::from_secs(45);
    let view = loop {
        let v = cpo(&["charging", "session", CHARGER, &session]);
        if field(&v, "state") == "settled" {
            break v;
        }
        assert!(Instant::now() < deadline, "never settled:\n{v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let cost =
        u64::try_from(u128::from(ENERGY_WH) * u128::from(PRICE_MWON_PER_KWH) / 1_000).unwrap();
    assert_eq!(cost, 4_005_366);
    assert_eq!(field(&view, "cost_mwon"), cost.to_string(), "{view}");
    assert_eq!(field(&view, "energy_wh"), energy);
    assert_eq!(field(&view, "reason"), "local");
    for tx in ["prepay_tx", "cancel_tx", "settle_tx"] {
        assert_eq!(field(&view, tx).len(), 64, "{tx} in {view}");
    }
    let finished = cpo(&[
        "charging", "sessions", "--state", "finished", "--member", &member_no, "--json",
    ]);
    let finished: serde_json::Value = serde_json::from_str(&finished).unwrap();
    assert_eq!(finished["sessions"][0]["cost_mwon"], cost, "{finished}");

    let revenue = cpo(&["charging", "revenue", "--charger", CHARGER]);
    assert_eq!(field(&revenue, "total_mwon"), cost.to_string(), "{revenue}");
    let day = revenue.lines().next().unwrap();
    assert!(
        day.contains(&format!(
            " {CHARGER} sessions 1 energy_wh {energy} revenue_mwon {cost}"
        )),
        "{revenue}"
    );

    // The member paid exactly the cost; nothing is held any more. The charger's owner got it.
    let a = ok(&wallet_as_bank);
    assert_eq!(field(&a, "balance"), (50_000_000 - cost).to_string(), "{a}");
    assert_eq!(field(&a, "held"), "0", "{a}");
    let m = cpo(&["charging", "member", &member_no]);
    assert_eq!(field(&m, "open_session"), "-", "{m}");

    // A second session that delivered nothing, stopped with --wait: settled at no cost.
    let out = ok(&[
        "charging",
        "prepay",
        "--rpc",
        &rpc,
        "--charger",
        CHARGER,
        "--secret-file",
        &secret,
        "--connector",
        "2",
        "--member-no",
        &member_no,
        "--password-file",
        &pw,
        "--amount-mwon",
        "5000000",
    ]);
    let second = field(&out, "session").to_string();
    assert_ne!(second, session);
    let out = ok(&[
        "charging",
        "stop",
        "--rpc",
        &rpc,
        "--charger",
        CHARGER,
        "--secret-file",
        &secret,
        "--session",
        &second,
        "--energy-wh",
        "0",
        "--reason",
        "ev_disconnected",
        "--wait",
    ]);
    assert_eq!(field(&out, "state"), "settled", "{out}");
    assert_eq!(field(&out, "cost_mwon"), "0", "{out}");
    assert_eq!(field(&out, "reason"), "ev_disconnected", "{out}");
    let a = ok(&wallet_as_bank);
    assert_eq!(field(&a, "balance"), (50_000_000 - cost).to_string(), "{a}");
    let all = cpo(&["charging", "sessions", "--member", &member_no]);
    assert_eq!(all.lines().count(), 2, "{all}");
    assert!(
        all.lines()
            .next()
            .unwrap()
            .starts_with(&format!("{CHARGER}/{second} settled")),
        "newest first: {all}"
    );
    net.kill();
}
