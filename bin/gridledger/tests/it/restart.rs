//! Crash safety: a devnet killed with SIGKILL in the middle of a load restarts from its data
//! directory with every finalized transaction intact, and keeps finalizing.
use crate::devnet::{free_port, funded_accounts, Devnet};
use futures::StreamExt;
use gridledger_sdk::signer::TxSigner;
use gridledger_types::{ChainId, Hash32, MilliWon, Payload};
use std::{
    collections::BTreeMap,
    time::{Duration, Instant},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_load_loses_nothing_finalized_slow_() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("chain");
    std::fs::create_dir_all(&dir).unwrap();
    let (http, p2p) = (free_port(), free_port());
    let mut net = Devnet::start(&dir, http, p2p);
    let client = net.ready().await;
    let chain_id = ChainId::new(client.status().await.unwrap().chain_id).unwrap();
    let (keys, addrs) = funded_accounts(&net, &client, 40..44, 1_000_000).await;
    let total = MilliWon::from_won(4_000_000).unwrap();

    // Record every finalized transaction (hash -> height) from the event stream.
    let mut events = Box::pin(client.events().await.unwrap());
    let mut signers: Vec<TxSigner> = keys
        .iter()
        .map(|k| TxSigner::new(k.clone(), chain_id.clone(), 0))
        .collect();
    let mut finalized: BTreeMap<Hash32, u64> = BTreeMap::new();
    let start = Instant::now();
    let mut round = 0usize;
    // Load for a while, then kill while transactions are still in flight.
    while start.elapsed() < Duration::from_secs(4) {
        let batch: Vec<_> = (0..50)
            .map(|i| {
                let from = (round + i) % signers.len();
                let to = addrs[(from + 1) % addrs.len()].clone();
                signers[from].sign(
                    Payload::Transfer {
                        to,
                        amount: MilliWon(1_000 + i as u64),
                        memo: String::new(),
                    },
                    None,
                )
            })
            .collect();
        round += 50;
        let _ = client.submit_batch(&batch).await;
        while let Ok(Some(Ok(ev))) =
            tokio::time::timeout(Duration::from_millis(20), events.next()).await
        {
            for r in &ev.receipts {
                finalized.insert(r.tx_hash, ev.block.height);
            }
        }
    }
    let before = client.status().await.unwrap();
    net.kill();
    assert!(
        finalized.len() > 100,
        "only {} finalized before the kill",
        finalized.len()
    );

    // Restart on the same data directory.
    let mut net = Devnet::start(&dir, http, p2p);
    let client = net.ready().await;
    let after = client.status().await.unwrap();
    assert!(
        after.height >= before.height,
        "height went back: {} < {}",
        after.height,
        before.height
    );
    let block = client.block(before.height).await.unwrap().unwrap();
    assert_eq!(
        block.hash, before.block_hash,
        "finalized block changed across restart"
    );
    for (hash, height) in &finalized {
        let v = client.tx(hash).await.unwrap();
        let v = v.unwrap_or_else(|| panic!("finalized tx {hash} lost after SIGKILL"));
        assert_eq!(v.height, *height);
    }
    // No money was created or destroyed.
    let mut sum = MilliWon::ZERO;
    for a in &addrs {
        let acct = client.account(a).await.unwrap();
        sum = sum
            .checked_add(acct.balance)
            .unwrap()
            .checked_add(acct.held)
            .unwrap();
    }
    assert_eq!(sum, total);
    // And it keeps finalizing.
    let h0 = client.status().await.unwrap().height;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if client.status().await.unwrap().height > h0 + 1 {
            break;
        }
        assert!(Instant::now() < deadline, "chain stalled after restart");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
