//! The dashboard's sign-in against a real devnet: the operator's login unlocks its keystore,
//! transactions signed through the session are final, and the directory, search and sign-out
//! behave as documented. Passwords cannot be guessed or exhausted: a flood of made-up logins
//! and a restart forget no count, parallel guesses are checked one at a time, a guesser locks
//! only its own address, attempts are rate-limited per address, the operator unlocks, and
//! charging members follow the same rules.
use crate::devnet::{dashboard_session, free_port, key_from_seed, run_ok, Devnet, BIN};
use futures::StreamExt;
use gridledger_sdk::keystore::{KdfParams, Keystore};
use gridledger_types::{Address, Hash32};
use serde_json::{json, Value};
use std::time::Duration;

async fn post(
    http: &reqwest::Client,
    url: String,
    cookie: Option<&str>,
    csrf: Option<&str>,
    body: Value,
) -> (u16, Value, Option<String>) {
    let mut req = http.post(url).json(&body);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if let Some(c) = csrf {
        req = req.header("x-csrf-token", c);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let cookie = resp
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string());
    (status, resp.json().await.unwrap_or(Value::Null), cookie)
}

#[tokio::test]
async fn the_operator_signs_in_and_registers_participants_through_the_session() {
    let (_tmp, _dir, mut net) = Devnet::temp();
    let client = net.ready().await;
    let http = reqwest::Client::new();
    let api = |p: &str| format!("{}/api/v1{p}", net.rpc);

    let v: Value = http
        .get(api("/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["signed_in"], false);
    let (s, v, cookie) = post(
        &http,
        api("/session"),
        None,
        None,
        json!({"login": "operator", "password": "nope"}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (401, Some("bad_credentials")));
    assert!(cookie.is_none());

    let (s, me, cookie) = post(
        &http,
        api("/session"),
        None,
        None,
        json!({"login": "operator", "password": "devnet"}),
    )
    .await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["role"], "operator");
    assert_eq!(me["operator"], true);
    assert_eq!(me["address"], Address::of(&net.key("operator")).to_hex());
    let cookie = cookie.expect("session cookie");
    let csrf = me["csrf"].as_str().unwrap().to_string();

    // Two transactions back to back: the session keeps the nonce.
    let mut hashes = Vec::new();
    for (seed, name) in [(61u8, "Minji household"), (62, "Seoyeon household")] {
        let payload = json!({"type": "register_participant",
            "account": Address::of(&key_from_seed(seed)).to_hex(), "role": "consumer", "name": name});
        let (s, v, _) = post(
            &http,
            api("/session/txs"),
            Some(&cookie),
            Some(&csrf),
            json!({"payload": payload}),
        )
        .await;
        assert_eq!(s, 202, "{v}");
        hashes.push(Hash32::from_hex(v["hash"].as_str().unwrap()).unwrap());
    }
    for h in &hashes {
        let view = client
            .wait_for_tx(h, Duration::from_secs(30))
            .await
            .unwrap();
        assert!(view.receipt.is_success(), "{:?}", view.receipt);
    }
    let dir: Value = http
        .get(api("/directory"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = dir["participants"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        names.contains(&"Minji household") && names.contains(&"Seoyeon household"),
        "{names:?}"
    );
    let found: Value = http
        .get(api(&format!("/search?q={}", hashes[0])))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["kind"], "tx");

    // A wrong CSRF token, a bad payload and a refused one change nothing.
    let payload = json!({"type": "mint", "to": Address::of(&key_from_seed(61)).to_hex(), "amount": 1000, "bank_ref": "X"});
    let (s, v, _) = post(
        &http,
        api("/session/txs"),
        Some(&cookie),
        Some("forged"),
        json!({"payload": payload}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (403, Some("bad_csrf")));
    let (s, v, _) = post(
        &http,
        api("/session/txs"),
        Some(&cookie),
        Some(&csrf),
        json!({"payload": {"type": "mint"}}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (400, Some("invalid_payload")));

    // Signed out, the cookie no longer signs.
    let resp = http
        .delete(api("/session"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 204);
    let (s, v, _) = post(
        &http,
        api("/session/txs"),
        Some(&cookie),
        Some(&csrf),
        json!({"payload": payload}),
    )
    .await;
    assert_eq!((s, v["code"].as_str()), (401, Some("not_signed_in")));
}

// ---------------------------------------------------------------- guessing and exhaustion

/// A real single-validator node (`gridledger node --config`) whose dashboard serves the given
/// `(login, password)` keystores written with `kdf` (the cheapest lets a test send ten
/// thousand sign-ins: unknown logins then cost the same cheap derivation).
struct PortalNode {
    _tmp: tempfile::TempDir,
    config: std::path::PathBuf,
    child: std::process::Child,
    rpc: String,
}

impl PortalNode {
    async fn start(logins: &[(&str, &str)], kdf: KdfParams) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let tn = tmp.path().join("tn");
        let base = free_port().to_string();
        let tn_arg = tn.to_str().unwrap();
        run_ok(&[
            "testnet",
            "init",
            "--validators",
            "1",
            "--dir",
            tn_arg,
            "--base-port",
            &base,
            "--block-time-ms",
            "50",
            "--empty-block-ms",
            "300",
        ]);
        let portal = tmp.path().join("portal");
        std::fs::create_dir_all(&portal).unwrap();
        for (seed, (login, password)) in logins.iter().enumerate() {
            Keystore::encrypt(&key_from_seed(100 + seed as u8), password.as_bytes(), kdf)
                .unwrap()
                .save(portal.join(format!("{login}.json")), false)
                .unwrap();
        }
        let config = tn.join("node0.json");
        let mut file: Value =
            serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
        let http = free_port();
        file["http_addr"] = json!(format!("127.0.0.1:{http}"));
        file["p2p_addr"] = json!(format!("127.0.0.1:{}", free_port()));
        file["portal_dir"] = json!(portal);
        std::fs::write(&config, file.to_string()).unwrap();
        // The genesis names the validator's p2p address too.
        let genesis = tn.join("genesis.json");
        let mut g: Value =
            serde_json::from_str(&std::fs::read_to_string(&genesis).unwrap()).unwrap();
        g["validators"][0]["p2p_addr"] = file["p2p_addr"].clone();
        std::fs::write(&genesis, g.to_string()).unwrap();
        let mut node = Self {
            child: Self::spawn(&config, tmp.path()),
            _tmp: tmp,
            config,
            rpc: format!("http://127.0.0.1:{http}"),
        };
        node.ready().await;
        node
    }

    fn spawn(config: &std::path::Path, dir: &std::path::Path) -> std::process::Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("node.log"))
            .unwrap();
        std::process::Command::new(BIN)
            .args(["node", "--config"])
            .arg(config)
            .env("RUST_LOG", "warn")
            .stderr(log)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap()
    }

    async fn ready(&mut self) {
        let client = gridledger_sdk::Client::new(&self.rpc).unwrap();
        let start = std::time::Instant::now();
        loop {
            if let Ok(s) = client.status().await {
                if s.height >= 1 {
                    return;
                }
            }
            assert!(self.child.try_wait().unwrap().is_none(), "node exited");
            assert!(start.elapsed() < Duration::from_secs(60), "node not ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL and start again on the same files.
    async fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = Self::spawn(&self.config, self._tmp.path());
        self.ready().await;
    }
}

impl Drop for PortalNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client whose connections come from `ip` (any 127.0.0.0/8 address is loopback):
/// another client address as the node sees it.
fn from_addr(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

/// `POST /api/v1/session`: the status and the error code (`ok` for a session).
async fn try_sign_in(http: &reqwest::Client, rpc: &str, login: &str, pw: &str) -> (u16, String) {
    let r = http
        .post(format!("{rpc}/api/v1/session"))
        .json(&json!({"login": login, "password": pw}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    let code = v["code"].as_str().unwrap_or("ok").to_string();
    (status, code)
}

/// The node's key derivations so far (`None` if it does not count them).
async fn derivations(rpc: &str) -> Option<u64> {
    let text = reqwest::get(format!("{rpc}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("gridledger_kdf_derivations_total "))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_counts_survive_a_flood_of_made_up_logins_and_a_restart_slow_() {
    let mut node = PortalNode::start(
        &[("apt1-101", "right horse")],
        KdfParams::insecure_for_tests(),
    )
    .await;
    let rpc = node.rpc.clone();
    let me = from_addr([127, 0, 0, 1]);
    for _ in 0..4 {
        assert_eq!(
            try_sign_in(&me, &rpc, "apt1-101", "wrong").await,
            (401, "bad_credentials".into())
        );
    }
    let derived = derivations(&rpc).await;
    // 10,001 made-up logins from 1,001 addresses (ten each, within any per-address limit).
    let flood: Vec<(reqwest::Client, Vec<usize>)> = (0..1_001usize)
        .map(|a| {
            let ip = [127, 1, (a / 250) as u8, (a % 250 + 1) as u8];
            let n = if a == 1_000 { 1 } else { 10 };
            (from_addr(ip), (a * 10..a * 10 + n).collect())
        })
        .collect();
    let answers = futures::stream::iter(flood)
        .map(|(http, logins)| {
            let rpc = rpc.clone();
            async move {
                let mut got = Vec::new();
                for i in logins {
                    loop {
                        let a = try_sign_in(&http, &rpc, &format!("made-up-{i}"), "wrong").await;
                        if a.0 != 503 {
                            got.push(a);
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(200)).await; // busy: retry
                    }
                }
                got
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    let answers: Vec<(u16, String)> = answers.into_iter().flatten().collect();
    assert_eq!(answers.len(), 10_001);
    assert!(
        answers
            .iter()
            .all(|a| *a == (401, "bad_credentials".to_string())),
        "{:?}",
        answers.iter().find(|a| a.0 != 401)
    );
    // Each made-up login cost the node a derivation, as a real one does.
    if let (Some(before), Some(after)) = (derived, derivations(&rpc).await) {
        assert!(after - before >= 10_001, "{before} -> {after}");
    }
    // Four more wrong: the first of them is the fifth, which locks.
    let more: Vec<(u16, String)> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(try_sign_in(&me, &rpc, "apt1-101", "wrong").await);
        }
        v
    };
    assert!(
        more.iter().all(|a| a.0 == 429 && a.1 == "locked_out"),
        "{more:?}"
    );
    assert_eq!(
        try_sign_in(&me, &rpc, "apt1-101", "right horse").await,
        (429, "locked_out".into()),
        "the right password gets no session while locked"
    );
    // A restart (SIGKILL) does not reset it either.
    node.restart().await;
    assert_eq!(
        try_sign_in(&me, &rpc, "apt1-101", "right horse").await,
        (429, "locked_out".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_for_one_login_are_checked_one_at_a_time_slow_() {
    // Argon2id's default cost (19 MiB, as every real keystore): a check takes long enough that
    // parallel guesses overlap.
    let node = PortalNode::start(
        &[("apt1-101", "right horse"), ("bldg-a", "sunny roof")],
        KdfParams::default(),
    )
    .await;
    let rpc = node.rpc.clone();

    // Ten wrong guesses at once from one address: five are checked (the fifth locks and is
    // answered locked_out), the other five are answered locked_out without a check.
    let guesser = from_addr([127, 2, 0, 1]);
    let d0 = derivations(&rpc).await;
    let answers = futures::future::join_all(
        (0..10).map(|_| try_sign_in(&guesser, &rpc, "apt1-101", "wrong")),
    )
    .await;
    let bad = answers.iter().filter(|a| a.1 == "bad_credentials").count();
    let locked = answers.iter().filter(|a| a.1 == "locked_out").count();
    assert_eq!((bad, locked), (4, 6), "{answers:?}");
    let d1 = derivations(&rpc)
        .await
        .expect("the node counts derivations");
    assert_eq!(d1 - d0.unwrap(), 5, "five checked");

    // An unknown login costs a derivation, as a wrong password for a real one does.
    let local = from_addr([127, 0, 0, 1]);
    assert_eq!(try_sign_in(&local, &rpc, "nobody", "x").await.0, 401);
    let d2 = derivations(&rpc).await.unwrap();
    assert_eq!(try_sign_in(&local, &rpc, "bldg-a", "x").await.0, 401);
    let d3 = derivations(&rpc).await.unwrap();
    assert_eq!((d2 - d1, d3 - d2), (1, 1));

    // The case: thirty at once, twenty-nine wrong and the right one. Whatever the
    // order, at most five wrong ones are checked before the lock (and four more if the right
    // one came first and started the count again); the rest are refused unchecked.
    let attacker = from_addr([127, 2, 0, 2]);
    let answers = futures::future::join_all((0..30).map(|i| {
        let pw = if i == 17 { "sunny roof" } else { "wrong" };
        try_sign_in(&attacker, &rpc, "bldg-a", pw)
    }))
    .await;
    let d4 = derivations(&rpc).await.unwrap();
    let ok = answers.iter().filter(|a| a.0 == 200).count();
    let bad = answers.iter().filter(|a| a.1 == "bad_credentials").count();
    assert!(
        answers
            .iter()
            .all(|a| a.0 == 200 || a.1 == "bad_credentials" || a.0 == 429),
        "{answers:?}"
    );
    if ok == 0 {
        assert!(bad <= 4 && d4 - d3 <= 5, "{bad} wrong, {} checked", d4 - d3);
        // Once the address's rate limit has a token again (one per 2 s): still locked.
        tokio::time::sleep(Duration::from_millis(2_100)).await;
        assert_eq!(
            try_sign_in(&attacker, &rpc, "bldg-a", "sunny roof").await,
            (429, "locked_out".into())
        );
    } else {
        assert!(
            bad <= 8 && d4 - d3 <= 10,
            "{bad} wrong, {} checked",
            d4 - d3
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guesser_cannot_lock_out_the_operator_who_can_unlock_slow_() {
    let (_tmp, dir, mut net) = Devnet::temp();
    net.ready().await;
    let rpc = net.rpc.clone();
    let home = from_addr([127, 0, 0, 1]);
    assert_eq!(
        try_sign_in(&home, &rpc, "operator", "devnet").await,
        (200, "ok".into())
    );
    // A guesser elsewhere: five wrong lock its own address only.
    let guesser = from_addr([127, 3, 0, 1]);
    for _ in 0..4 {
        assert_eq!(
            try_sign_in(&guesser, &rpc, "operator", "guess").await.0,
            401
        );
    }
    assert_eq!(
        try_sign_in(&guesser, &rpc, "operator", "guess").await,
        (429, "locked_out".into())
    );
    assert_eq!(
        try_sign_in(&guesser, &rpc, "operator", "devnet").await,
        (429, "locked_out".into())
    );
    assert_eq!(
        try_sign_in(&home, &rpc, "operator", "devnet").await,
        (200, "ok".into())
    );
    // Too many attempts at once from one address: ten are taken, the rest refused before any
    // check, with Retry-After.
    let hammer = from_addr([127, 3, 0, 2]);
    let answers = futures::future::join_all((0..12).map(|_| {
        hammer
            .post(format!("{rpc}/api/v1/session"))
            .json(&json!({"login": "nobody", "password": "x"}))
            .send()
    }))
    .await;
    let mut limited: Vec<reqwest::Response> = answers
        .into_iter()
        .map(Result::unwrap)
        .filter(|r| r.status().as_u16() == 429)
        .collect();
    // (Two, unless the 2 s refill came while the twelve were still connecting.)
    assert!(
        (1..=2).contains(&limited.len()),
        "12 at once, a burst of 10"
    );
    let r = limited.remove(0);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], "rate_limited");

    // The operator unlocks (the CLI signs in as the operator, unlocks, signs out); the locked
    // address gets in.
    let password_file = dir.join("keys/password.txt");
    run_ok(&[
        "portal",
        "unlock",
        "--rpc",
        &rpc,
        "--login",
        "operator",
        "--password-file",
        password_file.to_str().unwrap(),
    ]);
    assert_eq!(
        try_sign_in(&guesser, &rpc, "operator", "devnet").await,
        (200, "ok".into())
    );
    // Nobody else may unlock: no session, or a session that is not the operator's.
    let r = reqwest::Client::new()
        .delete(format!("{rpc}/api/v1/session/locks/bank"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let (cookie, csrf) = dashboard_session(&rpc, "bank", "devnet").await;
    let r = reqwest::Client::new()
        .delete(format!("{rpc}/api/v1/session/locks/operator"))
        .header("cookie", cookie)
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);

    // Charging members follow the same rules: five wrong passwords at one charger lock the
    // member there, not at another charger; the charging operator unlocks.
    drop(net);
    let mut e = crate::ocpp_e2e::setup().await;
    e.register_charger("CP-A").await;
    e.register_charger("CP-B").await;
    let member = e.member(0).await;
    let certify = |charger: &'static str, pw: &'static str| {
        let secret = e.secrets[charger].clone();
        let req = e
            .http
            .post(format!("{}/api/v1/charging/certify", e.net.rpc))
            .basic_auth(charger, Some(secret))
            .json(&json!({"charger": charger, "member_no": member, "password": pw}));
        async move {
            let r = req.send().await.unwrap();
            let v: Value = r.json().await.unwrap();
            v["result"].as_str().unwrap_or("?").to_string()
        }
    };
    for _ in 0..4 {
        assert_eq!(certify("CP-A", "000000").await, "invalid");
    }
    assert_eq!(certify("CP-A", "000000").await, "blocked");
    assert_eq!(certify("CP-A", crate::ocpp_e2e::PASSWORD).await, "blocked");
    assert_eq!(certify("CP-B", crate::ocpp_e2e::PASSWORD).await, "accepted");
    let token_file = e.net.dir.join("keys/charging-token.txt");
    run_ok(&[
        "charging",
        "unlock",
        &member.to_string(),
        "--rpc",
        &e.net.rpc,
        "--token-file",
        token_file.to_str().unwrap(),
    ]);
    assert_eq!(certify("CP-A", crate::ocpp_e2e::PASSWORD).await, "accepted");
    // Without the operator's token: refused.
    let r = e
        .http
        .delete(format!(
            "{}/api/v1/charging/members/{member}/lock",
            e.net.rpc
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}
