//! The README's run command: `devnet --demo` seeds households with credits and keeps transfers
//! flowing, and carries on after a restart.
use crate::devnet::{free_port, Devnet};
use std::time::{Duration, Instant};

/// Waits until the demo has made `n` transfers that finalized successfully.
async fn transfers(net: &Devnet, min: usize) -> usize {
    let client = net.client();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut n = 0;
        let h = client.status().await.unwrap().height;
        for height in 1..=h {
            if let Some(b) = client.block(height).await.unwrap() {
                for hash in b.tx_hashes {
                    let v = client.tx(&hash).await.unwrap().unwrap();
                    if v.tx["payload"]["type"] == "transfer" && v.receipt.is_success() {
                        n += 1;
                    }
                }
            }
        }
        if n >= min {
            return n;
        }
        assert!(
            Instant::now() < deadline,
            "demo made only {n} transfers; log {}",
            net.log_path().display()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_seeds_households_and_keeps_trading_slow_() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    std::fs::create_dir_all(&dir).unwrap();
    let (http, p2p) = (free_port(), free_port());
    let mut net = Devnet::start_with(&dir, http, p2p, &["--demo"]);
    net.ready().await;
    let before = transfers(&net, 2).await;
    // Four demo households were credited 100,000 won each and only pay each other.
    let mut total = 0;
    for i in 0..4 {
        let key = net.key(&format!("demo-{i}"));
        let acct = net
            .client()
            .account(&gridledger_types::Address::of(&key))
            .await
            .unwrap();
        assert!(acct.role.is_some());
        total += acct.balance.0 + acct.held.0;
    }
    assert_eq!(total, 4 * 100_000 * 1_000);
    net.kill();
    // After a restart the demo continues with the same households.
    let mut net = Devnet::start_with(&dir, http, p2p, &["--demo"]);
    net.ready().await;
    let after = transfers(&net, before + 2).await;
    assert!(after >= before + 2);
    net.kill();
}
