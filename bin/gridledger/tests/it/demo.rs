//! The README's run command: `devnet --demo` with a fast market clock seeds the pilot's
//! participants, runs the site agents, the charger simulators and the operator's calendar:
//! the first traded month is paired at its gate, EV sessions settle on chain, the month is
//! settled and billed on the 1st. A restart on the same data dir continues without seeding again.
use crate::devnet::{free_port, Devnet};
use gridledger_sdk::{keystore::Keystore, Client};
use gridledger_types::{kst_month, kst_month_start_ms, next_month, Address, SiteId};
use serde_json::Value;
use std::time::{Duration, Instant};

/// Polls `check` every 500 ms until it returns `Some`, for at most `secs`.
async fn until<T, F: std::future::Future<Output = Option<T>>>(
    net: &Devnet,
    what: &str,
    secs: u64,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "demo never reached: {what}\nstdout:\n{}\nlog {}",
            net.stdout(),
            net.log_path().display()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn participants(client: &Client, net: &Devnet) -> usize {
    let portal = net.dir.join("portal");
    let mut n = 0;
    for e in std::fs::read_dir(portal).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let ks = Keystore::load(&p).unwrap();
            if client.participant(ks.address()).await.unwrap().is_some() {
                n += 1;
            }
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_runs_a_month_of_the_pilot_and_continues_after_a_restart_slow_() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    std::fs::create_dir_all(&dir).unwrap();
    let (http, p2p) = (free_port(), free_port());
    let mut net = Devnet::start_with(&dir, http, p2p, &["--demo", "--demo-speed", "10"]);
    let client = net.ready().await;
    // The demo's clock moves only with the token it printed (or the operator's session), never
    // a year at once, and never from a form any page in the operator's browser could send.
    let clock = format!("{}/api/v1/admin/clock/advance", net.rpc);
    let year_ms = 365 * 86_400_000u64;
    let token = net
        .clock_token()
        .expect("a demo devnet writes its clock token");
    assert!(net.stdout().contains(&token), "the banner prints the token");
    for (req, status) in [
        (
            reqwest::Client::new()
                .post(&clock)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("ms={year_ms}")),
            401,
        ),
        (
            reqwest::Client::new()
                .post(&clock)
                .bearer_auth(&token)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("ms={year_ms}")),
            415,
        ),
        (
            reqwest::Client::new()
                .post(&clock)
                .bearer_auth(&token)
                .json(&serde_json::json!({ "ms": year_ms })),
            400,
        ),
    ] {
        assert_eq!(req.send().await.unwrap().status().as_u16(), status);
    }
    // The chain starts 5 days before a month: that month is the first one traded.
    let genesis = client.block(1).await.unwrap().unwrap().timestamp_ms;
    let month = next_month(kst_month(genesis));
    let start = kst_month_start_ms(month).unwrap();
    assert!(start - genesis <= 5 * 86_400_000 + 60_000, "{genesis}");

    // Pairs at the gate: the operator's system sends ClearPeriod; the sites approve.
    let period = until(&net, "pairs cleared", 150, || async {
        let p = client.market_period("monthly", start).await.ok()??;
        (p["cleared"] == true).then_some(p)
    })
    .await;
    let contracts = period["contracts"].as_array().unwrap();
    assert!(!contracts.is_empty(), "{period}");
    assert!(
        period["clearing_price"].as_u64().unwrap() >= 120_000,
        "{period}"
    );
    // An EV session settled: prepayment, cancellation and settlement on chain.
    let session = until(&net, "an EV session settled", 150, || async {
        let v = client.charging_sessions(&Default::default()).await.ok()?;
        v["sessions"]
            .as_array()?
            .iter()
            .find(|s| s["state"] == "settled")
            .cloned()
    })
    .await;
    for k in ["prepay_tx", "cancel_tx", "settle_tx"] {
        let h = gridledger_types::Hash32::from_hex(session[k].as_str().unwrap()).unwrap();
        let v = client.tx(&h).await.unwrap().unwrap();
        assert!(v.receipt.is_success(), "{k}: {:?}", v.receipt);
    }
    // The month settled and billed on the 1st of the next.
    let billing: Value = until(&net, "bills issued for the first month", 200, || async {
        let mb = client.month_billing(month).await.ok()??;
        (mb["progress"]["done"] == true).then_some(mb)
    })
    .await;
    assert_eq!(billing["progress"]["sites_billed"], 15, "{billing}");
    let period = client
        .market_period("monthly", start)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(period["settled"], true, "{period}");
    let approved = period["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["approved"] == true)
        .count();
    assert!(approved > 0, "the sites approved their contracts: {period}");
    // Meters reported the whole month (hourly), and a seller's bill shows P2P sales.
    let r = client
        .site_readings(&SiteId::new("bldg-a").unwrap(), month)
        .await
        .unwrap()
        .unwrap();
    let days = (kst_month_start_ms(next_month(month)).unwrap() - start) / 86_400_000;
    assert_eq!(r.intervals.len() as u64, days * 24);
    let bill = client.site_bill("bldg-a", month).await.unwrap().unwrap();
    assert!(
        bill["bill"]["p2p"]["sold_wh"].as_u64().unwrap() > 0,
        "{bill}"
    );

    // Portal keystores for everyone: 4 + 15 + 4 members, each a participant on chain.
    let portal = dir.join("portal");
    for login in [
        "operator", "bank", "grid", "charging", "bldg-a", "apt1-101", "apt2-302", "ev-01", "ev-04",
    ] {
        let ks = Keystore::load(portal.join(format!("{login}.json"))).unwrap();
        let t = Instant::now();
        let key = ks.decrypt(b"devnet").unwrap();
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "{login}: decrypting is too slow"
        );
        assert_eq!(&Address::of(&key), ks.address());
    }
    // The node's dashboard signs them in: a household and an EV member.
    for (login, role) in [
        ("apt1-101", "prosumer"),
        ("bldg-c", "consumer"),
        ("ev-02", "member"),
    ] {
        let r = reqwest::Client::new()
            .post(format!("{}/api/v1/session", net.rpc))
            .json(&serde_json::json!({"login": login, "password": "devnet"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200, "{login}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["login"], login, "{v}");
        assert_eq!(v["role"], role, "{v}");
    }
    let readme = std::fs::read_to_string(portal.join("README.txt")).unwrap();
    assert!(
        readme.contains("apt2-302") && readme.contains("ev-04"),
        "{readme}"
    );
    let before = participants(&client, &net).await;
    assert_eq!(
        before, 23,
        "operator, bank, grid, charging, 15 owners, 4 members"
    );
    let out = net.stdout();
    for line in [
        "seeding done",
        "ClearPeriod paired",
        "settled on chain",
        "SettlePeriod",
        "IssueBills",
    ] {
        assert!(out.contains(line), "no {line:?} in\n{out}");
    }

    // Restart: the same world continues (no second seeding, the clock keeps moving).
    let height = client.status().await.unwrap().height;
    let t = client.status().await.unwrap().timestamp_ms;
    net.kill();
    let mut net = Devnet::start_with(&dir, http, p2p, &["--demo", "--demo-speed", "10"]);
    let client = net.ready().await;
    assert!(client.status().await.unwrap().height >= height);
    until(
        &net,
        "the clock moving on after the restart",
        60,
        || async {
            let s = client.status().await.ok()?;
            (s.timestamp_ms > t + 2 * 86_400_000).then_some(())
        },
    )
    .await;
    let out = net.stdout();
    assert!(out.contains("continuing the seeded demo"), "{out}");
    assert!(!out.contains("seeding done"), "{out}");
    assert!(!out.contains("demo stopped"), "{out}");
    assert_eq!(participants(&client, &net).await, before);
    net.kill();
}
