//! The market clock on a real devnet: a chain started two months back (`--clock-start`) is
//! moved a month ahead and then past the wall clock (`--clock-control`); blocks carry the new
//! time, signers that learned it get their transactions finalized, signers that did not are
//! refused as expired, and the chain resumes after a restart. Only the clock token printed at
//! start or the operator's session moves it, only with a JSON body, at most 40 days a request.
//! Without `--clock-control` the admin route is refused.
use crate::devnet::{dashboard_session, free_port, fund, key_from_seed, Devnet, BIN};
use gridledger_sdk::{
    api::{ClockAdvance, StatusView},
    client::Client,
    now_ms,
    signer::TxSigner,
    Error,
};
use gridledger_types::{kst_date, kst_month_start_ms, Address, MilliWon, Payload};
use std::{
    process::Command,
    time::{Duration, Instant},
};

const DAY_MS: u64 = 86_400_000;
const MINUTE_MS: u64 = 60_000;

fn transfer(to: &Address) -> Payload {
    Payload::Transfer {
        to: to.clone(),
        amount: MilliWon::from_won(1).unwrap(),
        memo: "clock".into(),
    }
}

/// Waits for a finalized head stamped at or after `at_ms`.
async fn head_at_or_after(client: &Client, at_ms: u64) -> StatusView {
    let start = Instant::now();
    loop {
        let s = client.status().await.unwrap();
        if s.timestamp_ms >= at_ms {
            return s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no block at or after {at_ms} in 30 s; head {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `POST /api/v1/admin/clock/advance` `{"ms": ms}` from the market operator's dashboard session
/// (cookie and CSRF header).
async fn advance_as_operator(rpc: &str, ms: u64) -> reqwest::Response {
    let (cookie, csrf) = dashboard_session(rpc, "operator", "devnet").await;
    reqwest::Client::new()
        .post(format!("{rpc}/api/v1/admin/clock/advance"))
        .header("cookie", cookie)
        .header("x-csrf-token", csrf)
        .header("content-type", "application/json")
        .body(format!(r#"{{"ms": {ms}}}"#))
        .send()
        .await
        .unwrap()
}

#[track_caller]
fn assert_api_error<T: std::fmt::Debug>(r: Result<T, Error>, status: u16, code: &str) {
    match r {
        Err(Error::Api {
            status: s, code: c, ..
        }) if s == status && c == code => {}
        other => panic!("expected {status} {code}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_month_passes_on_a_devnet_clock() {
    // 00:00 KST on the first of the month about two months back, given as RFC 3339.
    let (y, m, _) = kst_date(now_ms() - 61 * DAY_MS);
    let start = kst_month_start_ms(y as u32 * 100 + m).unwrap();
    let start_arg = format!("{y:04}-{m:02}-01T00:00:00+09:00");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    std::fs::create_dir_all(&dir).unwrap();
    let (http, p2p) = (free_port(), free_port());
    let flags = ["--clock-start", start_arg.as_str(), "--clock-control"];
    let mut net = Devnet::start_with(&dir, http, p2p, &flags);
    let client = net.ready().await;

    // The chain starts at the given time, genesis included.
    let genesis: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("genesis.json")).unwrap()).unwrap();
    assert_eq!(genesis["genesis_time_ms"], start);
    let s = client.status().await.unwrap();
    assert!(
        (start..start + 2 * MINUTE_MS).contains(&s.timestamp_ms),
        "head at {} for a start at {start}",
        s.timestamp_ms
    );
    assert!((s.timestamp_ms..start + 2 * MINUTE_MS).contains(&s.now_ms));

    let mut op = TxSigner::connect(&client, net.key("operator"), None)
        .await
        .unwrap();
    let mut bank = TxSigner::connect(&client, net.key("bank"), None)
        .await
        .unwrap();
    let (alice, bob) = (key_from_seed(90), key_from_seed(91));
    let (a, b) = (Address::of(&alice), Address::of(&bob));
    fund(&client, &mut op, &mut bank, &[a.clone(), b.clone()], 1_000).await;
    let mut before_jump = TxSigner::connect(&client, alice.clone(), None)
        .await
        .unwrap();

    // The operator's dashboard session moves it too (cookie and CSRF header), a minute here.
    let resp = advance_as_operator(&net.rpc, MINUTE_MS).await;
    assert_eq!(resp.status().as_u16(), 200, "{:?}", resp.text().await);

    // A month passes.
    let moved = client
        .advance_clock(ClockAdvance::By(31 * DAY_MS))
        .await
        .unwrap();
    let jumped = start + 31 * DAY_MS;
    assert!(
        (jumped..jumped + 5 * MINUTE_MS).contains(&moved.now_ms),
        "{moved:?}"
    );
    let head = head_at_or_after(&client, jumped).await;
    let block = client.block(head.height).await.unwrap().unwrap();
    assert!((jumped..jumped + 5 * MINUTE_MS).contains(&block.timestamp_ms));

    // A signer still on the old time signs an expiry before the chain's now: refused.
    let stale = before_jump.sign(transfer(&b), None);
    assert!(stale.tx.expires_at_ms < jumped);
    assert_api_error(client.submit(&stale).await, 422, "expired");
    // After learning the chain's time it expires 10 minutes after chain-now, and finalizes.
    let chain_now = before_jump.resync_clock(&client).await.unwrap();
    assert!(chain_now >= moved.now_ms);
    before_jump.resync(&client).await.unwrap();
    let tx = before_jump.sign(transfer(&b), None);
    let expiry = tx.tx.expires_at_ms;
    assert!((chain_now + 10 * MINUTE_MS..chain_now + 12 * MINUTE_MS).contains(&expiry));
    assert!(expiry < now_ms() - 20 * DAY_MS, "chain time, not wall time");
    let view = client
        .wait_for_tx(&client.submit(&tx).await.unwrap(), Duration::from_secs(30))
        .await
        .unwrap();
    assert!(view.receipt.is_success(), "{:?}", view.receipt);
    assert!(view.timestamp_ms >= jumped);

    // Never backwards; bad bodies are 400s.
    assert_api_error(
        client.advance_clock(ClockAdvance::To(start)).await,
        400,
        "invalid_clock_advance",
    );
    let token = net.clock_token().expect("the devnet wrote its clock token");
    let resp = reqwest::Client::new()
        .post(format!("{}/api/v1/admin/clock/advance", net.rpc))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(r#"{"days": 1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);

    // Nobody else moves it: no token, a wrong one, a form post (what a page open in the
    // operator's browser can send), a participant's session; nor more than 40 days at once.
    let before = client.status().await.unwrap().now_ms;
    let url = format!("{}/api/v1/admin/clock/advance", net.rpc);
    let web = reqwest::Client::new();
    let year = format!(r#"{{"ms": {}}}"#, 365 * DAY_MS);
    for (req, status, code) in [
        (
            web.post(&url)
                .header("content-type", "application/json")
                .body(year.clone()),
            401,
            "unauthorized",
        ),
        (
            web.post(&url)
                .bearer_auth("not-the-token")
                .header("content-type", "application/json")
                .body(year.clone()),
            401,
            "unauthorized",
        ),
        (
            web.post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("ms={}", 365 * DAY_MS)),
            401,
            "unauthorized",
        ),
        (
            web.post(&url)
                .bearer_auth(&token)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("ms={}", 365 * DAY_MS)),
            415,
            "unsupported_media_type",
        ),
        (
            web.post(&url)
                .bearer_auth(&token)
                .header("content-type", "application/json")
                .body(year.clone()),
            400,
            "invalid_clock_advance",
        ),
    ] {
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status().as_u16(), status);
        let v: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(v["code"], code, "{v}");
    }
    assert!(
        client.status().await.unwrap().now_ms < before + DAY_MS,
        "nothing moved"
    );

    // Past the wall clock (70 days or more ahead: two requests or more): a signer using the local clock
    // now signs already-expired transactions; one that asked the node does not, and neither
    // does the CLI.
    let ahead = now_ms() + 40 * DAY_MS;
    assert_api_error(
        client.advance_clock(ClockAdvance::To(ahead)).await,
        400,
        "invalid_clock_advance",
    );
    let mut chain_now = client.status().await.unwrap().now_ms;
    while ahead - chain_now > 40 * DAY_MS {
        chain_now = client
            .advance_clock(ClockAdvance::To(chain_now + 40 * DAY_MS))
            .await
            .unwrap()
            .now_ms;
    }
    let moved = client.advance_clock(ClockAdvance::To(ahead)).await.unwrap();
    assert_eq!(moved.now_ms, ahead);
    assert!(moved.offset_ms > 39 * DAY_MS as i64);
    let head = head_at_or_after(&client, ahead).await;
    let nonce = client.account(&a).await.unwrap().nonce;
    let mut local = TxSigner::new(alice.clone(), before_jump.chain_id().clone(), nonce);
    assert_api_error(
        client.submit(&local.sign(transfer(&b), None)).await,
        422,
        "expired",
    );
    let mut synced = TxSigner::connect(&client, alice.clone(), None)
        .await
        .unwrap();
    let tx = synced.sign(transfer(&b), None);
    let view = client
        .wait_for_tx(&client.submit(&tx).await.unwrap(), Duration::from_secs(30))
        .await
        .unwrap();
    assert!(view.receipt.is_success(), "{:?}", view.receipt);
    let keys = dir.join("keys");
    let out = Command::new(BIN)
        .args(["tx", "mint", "--rpc", &net.rpc])
        .args(["--key", keys.join("bank.json").to_str().unwrap()])
        .args([
            "--password-file",
            keys.join("password.txt").to_str().unwrap(),
        ])
        .args([
            "--to",
            &a.to_hex(),
            "--amount-won",
            "5",
            "--bank-ref",
            "CLOCK-1",
        ])
        .args(["--wait"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("status: success"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A restart without the flags resumes from the chain's last block, not the wall clock.
    net.kill();
    let mut net = Devnet::start(&dir, http, p2p);
    let client = net.ready().await;
    let resumed = head_at_or_after(&client, head.timestamp_ms).await;
    let after = client.status().await.unwrap();
    let next = head_at_or_after(&client, after.timestamp_ms + 1).await;
    assert!(next.height > resumed.height.max(head.height));
    assert!(next.now_ms >= ahead, "{next:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_control_is_refused_without_the_flag() {
    let (_tmp, dir, mut net) = Devnet::temp();
    let client = net.ready().await;
    assert!(
        !dir.join("keys/clock-token.txt").exists(),
        "no token without clock control"
    );
    assert_api_error(
        client.advance_clock(ClockAdvance::By(DAY_MS)).await,
        401,
        "unauthorized",
    );
    // Even the market operator's session is refused: this node does not move its clock.
    let resp = advance_as_operator(&net.rpc, DAY_MS).await;
    assert_eq!(resp.status().as_u16(), 403);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(v["code"], "clock_control_disabled", "{v}");
    // The chain clock is the wall clock.
    let s = client.status().await.unwrap();
    let wall = now_ms();
    assert!(
        s.now_ms <= wall && s.now_ms + 5_000 > wall,
        "{s:?} at {wall}"
    );
}
