//! The consortium on loopback: `testnet init` writes 4 validators and 1 full node, each runs as
//! its own `gridledger node` process; under a transfer load (sent to a validator that is not the
//! first, then to the full node, so gossip must carry it) one validator is SIGKILLed, the other
//! three keep finalizing; restarted, it catches up; the full node, started late, catches up from
//! genesis; at the end every node has the same blocks and state roots.
use crate::devnet::{fund, key_from_seed, BIN};
use gridledger_sdk::{client::Client, keystore::Keystore, signer::TxSigner};
use gridledger_types::{Address, ChangeValidators, MilliWon, Payload, TxStatus, ValidatorEntry};
use std::{
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A base port P with P..P+5 and P+100..P+105 free on 127.0.0.1.
fn free_base() -> u16 {
    for _ in 0..200 {
        let p = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !(20_000..=60_000).contains(&p) {
            continue;
        }
        let free = (0..5)
            .flat_map(|i| [p + i, p + 100 + i])
            .all(|q| TcpListener::bind(("127.0.0.1", q)).is_ok());
        if free {
            return p;
        }
    }
    panic!("no free port range on 127.0.0.1");
}

/// Node i of the testnet: validators node0..node3, then the full node full0.
fn name(i: usize) -> String {
    if i < 4 {
        format!("node{i}")
    } else {
        format!("full{}", i - 4)
    }
}

fn start(dir: &Path, i: usize) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{}.log", name(i))))
        .unwrap();
    Command::new(BIN)
        .args(["node", "--config"])
        .arg(dir.join(format!("{}.json", name(i))))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// `testnet init` with 4 validators and 1 full node.
fn init(dir: &Path, base: u16, extra: &[&str]) {
    let out = Command::new(BIN)
        .args([
            "testnet",
            "init",
            "--validators",
            "4",
            "--full-nodes",
            "1",
            "--dir",
        ])
        .arg(dir)
        .args(["--base-port", &base.to_string()])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn node_config(dir: &Path, i: usize) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(format!("{}.json", name(i)))).unwrap())
        .unwrap()
}

async fn height(c: &Client) -> Option<u64> {
    c.status().await.ok().map(|s| s.height)
}

/// Waits until `c` reports at least `h`.
async fn reach(c: &Client, h: u64, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while height(c).await.unwrap_or(0) < h {
        assert!(
            Instant::now() < deadline,
            "{what}: never reached height {h}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_and_a_late_full_node_survive_a_crash_and_agree_on_every_block_slow_() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tn");
    let base = free_base();
    init(&dir, base, &[]);
    // The full node (index 4) is not started yet.
    let mut nodes: Vec<Option<Child>> = (0..5).map(|i| (i < 4).then(|| start(&dir, i))).collect();
    let clients: Vec<Client> = (0..5)
        .map(|i| operator_client(&dir, base + i as u16))
        .collect();
    for c in &clients[..4] {
        reach(c, 2, "start").await;
    }
    let key = |name: &str| {
        Keystore::load(dir.join("keys").join(format!("{name}.json")))
            .unwrap()
            .decrypt(b"devnet")
            .unwrap()
    };
    let c0 = &clients[0];
    let mut operator = TxSigner::connect(c0, key("operator"), None).await.unwrap();
    let mut bank = TxSigner::connect(c0, key("bank"), None).await.unwrap();
    let keys: Vec<_> = (0..2).map(|i| key_from_seed(70 + i)).collect();
    let addrs: Vec<Address> = keys.iter().map(Address::of).collect();
    fund(c0, &mut operator, &mut bank, &addrs, 1_000).await;
    let mut alice = TxSigner::connect(c0, keys[0].clone(), None).await.unwrap();

    // Transfers keep flowing to node 0 while node 3 is killed and restarted.
    let mut sent = 0u64;
    let mut send = |n: u64| {
        (0..n)
            .map(|_| {
                sent += 1;
                alice.sign(
                    Payload::Transfer {
                        to: addrs[1].clone(),
                        amount: MilliWon(1),
                        memo: String::new(),
                    },
                    None,
                )
            })
            .collect::<Vec<_>>()
    };
    // Node 1 leads only every fourth view: without gossip these would wait for it.
    let batch = send(20);
    clients[1].submit_batch(&batch).await.unwrap();
    if let Some(mut n3) = nodes[3].take() {
        n3.kill().unwrap();
        n3.wait().unwrap();
    }
    let h = height(c0).await.unwrap();
    for c in &clients[..3] {
        reach(c, h + 5, "three of four validators").await;
    }
    let h = height(c0).await.unwrap();
    nodes[3] = Some(start(&dir, 3));
    reach(&clients[3], h + 2, "the restarted validator").await;

    // The full node starts from genesis, catches up, and forwards what it is sent.
    nodes[4] = Some(start(&dir, 4));
    let full = &clients[4];
    let h = height(c0).await.unwrap();
    reach(full, h, "the late full node").await;
    let status = full.status().await.unwrap();
    assert_eq!(status.role, "full");
    assert_eq!(status.peers.len(), 4, "{:?}", status.peers);
    assert_eq!(c0.status().await.unwrap().role, "validator");
    let batch = send(20);
    full.submit_batch(&batch).await.unwrap();

    // Every transfer lands; then every node holds the same chain.
    let last = batch.last().unwrap().hash();
    full.wait_for_tx(&last, Duration::from_secs(60))
        .await
        .unwrap();
    let h = height(c0).await.unwrap();
    for c in &clients {
        reach(c, h, "all").await;
    }
    let account = c0.account(&addrs[1]).await.unwrap();
    assert_eq!(account.balance, MilliWon(1_000_000 + sent), "{account:?}");
    for height in [1, h / 2, h] {
        let blocks: Vec<_> = {
            let mut v = Vec::new();
            for c in &clients {
                v.push(c.block(height).await.unwrap().unwrap());
            }
            v
        };
        for b in &blocks[1..] {
            assert_eq!(b.hash, blocks[0].hash, "block {height} differs");
            assert_eq!(
                b.state_root, blocks[0].state_root,
                "state root {height} differs"
            );
        }
    }
    for n in nodes.iter_mut().flatten() {
        let _ = n.kill();
        let _ = n.wait();
    }
}

/// A client of the node at `port`, reading as the market operator (entitled to every record).
fn operator_client(dir: &std::path::Path, port: u16) -> Client {
    let key = Keystore::load(dir.join("keys").join("operator.json"))
        .unwrap()
        .decrypt(b"devnet")
        .unwrap();
    Client::new(&format!("http://127.0.0.1:{port}"))
        .unwrap()
        .with_signer(key)
}

/// The operator adds the full node to the validator set and removes node 3; from the next
/// epoch the full node votes, and the chain keeps finalizing with node 2 and node 3 both
/// killed, which the old set (nodes 0-3, two of four down) could not do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_change_takes_effect_at_the_next_epoch_slow_() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tn");
    let base = free_base();
    init(&dir, base, &["--epoch-length", "20"]);
    let mut nodes: Vec<Child> = (0..5).map(|i| start(&dir, i)).collect();
    let clients: Vec<Client> = (0..5)
        .map(|i| operator_client(&dir, base + i as u16))
        .collect();
    for c in &clients {
        reach(c, 2, "start").await;
    }
    let c0 = &clients[0];
    let full = &clients[4];
    assert_eq!(full.status().await.unwrap().role, "full");
    let full_entry: ValidatorEntry =
        serde_json::from_value(node_config(&dir, 0)["full_nodes"][0].clone()).unwrap();
    let before = c0.validators().await.unwrap();
    assert_eq!(before.epoch_length, 20);
    assert_eq!(before.validators.len(), 4);
    let genesis: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("genesis.json")).unwrap()).unwrap();
    let node3: Address =
        serde_json::from_value(genesis["validators"][3]["public_key"].clone()).unwrap();
    let operator = Keystore::load(dir.join("keys").join("operator.json"))
        .unwrap()
        .decrypt(b"devnet")
        .unwrap();
    let mut operator = TxSigner::connect(c0, operator, None).await.unwrap();
    let tx = operator.sign(
        Payload::ChangeValidators(ChangeValidators {
            add: vec![full_entry.clone()],
            remove: vec![node3.clone()],
        }),
        None,
    );
    c0.submit_batch(std::slice::from_ref(&tx)).await.unwrap();
    let view = c0
        .wait_for_tx(&tx.hash(), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(view.receipt.status, TxStatus::Success, "{:?}", view.receipt);
    let at = view.height;
    let next = at / 20 + 1;
    let scheduled = c0
        .validators()
        .await
        .unwrap()
        .scheduled
        .expect("a scheduled set");
    assert_eq!(scheduled.epoch, next);

    // From the first block of the next epoch the full node votes and node 3 does not.
    reach(full, next * 20 + 2, "the new epoch").await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while full.status().await.unwrap().role != "validator" {
        assert!(
            Instant::now() < deadline,
            "the added node never became a validator"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let now = c0.validators().await.unwrap();
    assert!(now.current_epoch >= next);
    let keys: Vec<Address> = now
        .validators
        .iter()
        .map(|v| v.public_key.clone())
        .collect();
    assert!(keys.contains(&full_entry.public_key) && !keys.contains(&node3));
    for i in [2, 3] {
        nodes[i].kill().unwrap();
        nodes[i].wait().unwrap();
    }
    let h = height(c0).await.unwrap();
    for c in [&clients[0], &clients[1], &clients[4]] {
        reach(c, h + 5, "nodes 0, 1 and the former full node").await;
    }
    for height in [at, next * 20, h + 5] {
        let a = c0.block(height).await.unwrap().unwrap();
        let b = full.block(height).await.unwrap().unwrap();
        assert_eq!(
            (a.hash, a.state_root),
            (b.hash, b.state_root),
            "block {height}"
        );
    }
    for n in nodes.iter_mut() {
        let _ = n.kill();
        let _ = n.wait();
    }
}
