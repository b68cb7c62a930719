//! A node never serves a ledger it does not have. A stopped devnet's ledger file is deleted,
//! truncated or has bytes flipped: on restart the node rebuilds it from its own consensus store
//! and serves the same height, block, state root, balances and transactions as before. Damage
//! it cannot recover from (its finalized blocks gone too) ends in a clear refusal naming the
//! file and a non-zero exit: never a panic, never a lower height served.
use crate::devnet::{free_port, funded_accounts, wait_all, Devnet};
use gridledger_sdk::{client::Client, signer::TxSigner};
use gridledger_storage::Store;
use gridledger_types::{Address, Hash32, MilliWon, Payload};
use std::{
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

/// What a stopped devnet held, read from its files and (before the stop) its API.
struct Before {
    height: u64,
    block_hash: Hash32,
    state_root: Hash32,
    balances: Vec<(Address, MilliWon)>,
    /// Finalized transactions and their heights.
    txs: Vec<(Hash32, u64)>,
}

/// Runs a devnet with accounts, transfers and some blocks, stops it (SIGTERM) and returns its
/// data directory (a pristine copy to damage) with what it held.
async fn stopped_devnet(tmp: &Path) -> (PathBuf, Before) {
    let dir = tmp.join("chain");
    std::fs::create_dir_all(&dir).unwrap();
    let mut net = Devnet::start(&dir, free_port(), free_port());
    let client = net.ready().await;
    let (keys, addrs) = funded_accounts(&net, &client, 70..73, 1_000_000).await;
    let mut txs = Vec::new();
    for round in 0..3u64 {
        let mut batch = Vec::new();
        for (i, key) in keys.iter().enumerate() {
            let mut signer = TxSigner::connect(&client, key.clone(), None).await.unwrap();
            batch.push(signer.sign(
                Payload::Transfer {
                    to: addrs[(i + 1) % addrs.len()].clone(),
                    amount: MilliWon(1_000 * (round + 1) + i as u64),
                    memo: format!("round {round}"),
                },
                None,
            ));
        }
        wait_all(&client, &batch).await;
        txs.extend(batch.iter().map(|t| t.hash()));
    }
    // Some empty blocks on top.
    let target = client.status().await.unwrap().height + 10;
    while client.status().await.unwrap().height < target {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut balances = Vec::new();
    for a in &addrs {
        balances.push((a.clone(), client.account(a).await.unwrap().balance));
    }
    let mut located = Vec::new();
    for hash in txs {
        located.push((hash, client.tx(&hash).await.unwrap().unwrap().height));
    }
    net.stop();
    // The stopped ledger's head, read from the file itself.
    let head = Store::open_verified(&dir.join("ledger.redb"))
        .unwrap()
        .head()
        .unwrap()
        .unwrap();
    assert!(head.height > 10, "only {} blocks", head.height);
    let before = Before {
        height: head.height,
        block_hash: Hash32(head.block_hash),
        state_root: Hash32(head.state_root),
        balances,
        txs: located,
    };
    (dir, before)
}

/// A fresh copy of the stopped devnet's directory to damage.
fn copy_of(pristine: &Path, to: &Path) -> PathBuf {
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let _ = std::fs::remove_dir_all(to);
    copy_dir(pristine, to);
    to.to_path_buf()
}

fn flip(path: &Path, offsets: impl IntoIterator<Item = usize>) {
    let mut bytes = std::fs::read(path).unwrap();
    for at in offsets {
        bytes[at] ^= 0xFF;
    }
    std::fs::write(path, bytes).unwrap();
}

fn truncate(path: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(len)
        .unwrap();
}

/// The first status the restarted node answers (it must not answer before its ledger is
/// checked), or a panic if the process exits first.
async fn first_status(net: &mut Devnet) -> gridledger_api_types::StatusView {
    let client = net.client();
    let start = Instant::now();
    loop {
        if let Some(status) = net.child.try_wait().unwrap() {
            panic!(
                "devnet exited: {status}; log:\n{}",
                std::fs::read_to_string(net.log_path()).unwrap_or_default()
            );
        }
        if let Ok(s) = client.status().await {
            return s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no answer in 120 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Restarts on `dir` and checks the node serves exactly what it held before.
async fn assert_serves_what_it_held(dir: &Path, before: &Before, case: &str) {
    let mut net = Devnet::start(dir, free_port(), free_port());
    let status = first_status(&mut net).await;
    assert!(
        status.height >= before.height,
        "{case}: served height {} below the {} it held",
        status.height,
        before.height
    );
    let client: Client = net.client();
    let block = client.block(before.height).await.unwrap().unwrap();
    assert_eq!(block.hash, before.block_hash, "{case}: head block");
    assert_eq!(block.state_root, before.state_root, "{case}: state root");
    for (address, balance) in &before.balances {
        let got = client.account(address).await.unwrap().balance;
        assert_eq!(got, *balance, "{case}: balance of {address}");
    }
    for (hash, height) in &before.txs {
        let tx = client.tx(hash).await.unwrap();
        let tx = tx.unwrap_or_else(|| panic!("{case}: transaction {hash} lost"));
        assert_eq!(tx.height, *height, "{case}: transaction {hash}");
    }
    // And it keeps finalizing on top.
    let deadline = Instant::now() + Duration::from_secs(30);
    while client.status().await.unwrap().height <= status.height + 1 {
        assert!(Instant::now() < deadline, "{case}: no new blocks");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = std::fs::read_to_string(net.log_path()).unwrap_or_default();
    assert!(!log.contains("panicked at"), "{case}: a panic:\n{log}");
    assert!(!log.contains("backtrace="), "{case}: a backtrace:\n{log}");
    net.stop();
}

fn damaged_copies(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("ledger.redb.damaged-")
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_ledger_files_are_rebuilt_from_the_consensus_store_slow_() {
    let tmp = tempfile::tempdir().unwrap();
    let (pristine, before) = stopped_devnet(tmp.path()).await;
    type Damage = fn(&Path);
    // Whether the damaged file must be moved aside (`None`: either outcome is right).
    // redb's header: magic number at 0, the god byte (which commit slot is primary) at 9,
    // commit slots of 128 bytes at 64 and 192 with their root page at +8.
    let cases: [(&str, Damage, Option<bool>); 7] = [
        ("deleted", |p| std::fs::remove_file(p).unwrap(), Some(false)),
        ("truncated to zero", |p| truncate(p, 0), Some(true)),
        (
            "truncated to half",
            |p| truncate(p, std::fs::metadata(p).unwrap().len() / 2),
            Some(true),
        ),
        ("magic number flipped", |p| flip(p, [0]), Some(true)),
        // The flip of the report: redb falls back to the other commit (a block
        // behind), which must be caught up from the consensus store, not served.
        ("god byte flipped", |p| flip(p, [9]), None),
        (
            "both commit slots' root pages flipped",
            |p| flip(p, [64 + 8, 192 + 8]),
            Some(true),
        ),
        (
            "a byte flipped every 64 KiB of the body",
            |p| {
                let len = std::fs::metadata(p).unwrap().len() as usize;
                flip(p, (8192..len).step_by(65_536));
            },
            Some(true),
        ),
    ];
    for (case, damage, moved_aside) in cases {
        let dir = copy_of(&pristine, &tmp.path().join("case"));
        damage(&dir.join("ledger.redb"));
        assert_serves_what_it_held(&dir, &before, case).await;
        if let Some(moved_aside) = moved_aside {
            assert_eq!(
                damaged_copies(&dir),
                usize::from(moved_aside),
                "{case}: the damaged file is kept aside"
            );
        }
    }
}

/// Starts on `dir` and expects a refusal: a non-zero exit, never an answer on the API, and a
/// message that names `file` and what to do.
async fn assert_refused(dir: &Path, file: &Path, case: &str) -> String {
    let mut net = Devnet::start(dir, free_port(), free_port());
    let client = net.client();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = net.child.try_wait().unwrap() {
            break status;
        }
        if let Ok(s) = client.status().await {
            panic!("{case}: the node answered at height {}", s.height);
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{case}: still running after 120 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let log = std::fs::read_to_string(net.log_path()).unwrap_or_default();
    assert!(!status.success(), "{case}: exit {status}");
    assert!(log.contains("error: refusing to start"), "{case}:\n{log}");
    assert!(
        log.contains(&file.display().to_string()),
        "{case}: does not name {}:\n{log}",
        file.display()
    );
    assert!(
        log.contains("Restore the data directory from a backup"),
        "{case}:\n{log}"
    );
    assert!(!log.contains("panicked at"), "{case}: a panic:\n{log}");
    assert!(!log.contains("stack backtrace"), "{case}:\n{log}");
    assert!(!log.contains("backtrace="), "{case}:\n{log}");
    assert_eq!(
        log.matches("refusing to start").count(),
        1,
        "{case}: one paragraph:\n{log}"
    );
    log
}

fn remove_blocks_archive(dir: &Path) {
    for entry in std::fs::read_dir(dir.join("consensus")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("gridledger-blocks-") {
            std::fs::remove_dir_all(&path).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_without_the_blocks_to_rebuild_from_refuses_to_start_slow_() {
    let tmp = tempfile::tempdir().unwrap();
    let (pristine, before) = stopped_devnet(tmp.path()).await;
    let case_dir = tmp.path().join("case");

    // The consensus store lost its finalized blocks; the ledger is intact but a validator
    // must not go on without its own record.
    let dir = copy_of(&pristine, &case_dir);
    remove_blocks_archive(&dir);
    let log = assert_refused(&dir, &dir.join("consensus"), "blocks archive deleted").await;
    assert!(
        log.contains(&format!("the ledger is at height {}", before.height)),
        "{log}"
    );

    // The ledger lost, and the consensus store's blocks with it.
    let dir = copy_of(&pristine, &case_dir);
    truncate(&dir.join("ledger.redb"), 0);
    remove_blocks_archive(&dir);
    let log = assert_refused(&dir, &dir.join("ledger.redb"), "ledger and blocks").await;
    assert!(log.contains("damaged"), "{log}");

    // Everything but the keys and the genesis: the devnet must not start a new chain.
    let dir = copy_of(&pristine, &case_dir);
    std::fs::remove_file(dir.join("ledger.redb")).unwrap();
    std::fs::remove_dir_all(dir.join("consensus")).unwrap();
    let log = assert_refused(&dir, &dir.join("ledger.redb"), "ledger and consensus").await;
    assert!(log.contains("the ledger file is missing"), "{log}");
    assert!(!dir.join("ledger.redb").exists(), "no new ledger was made");
}

/// Flips a byte every 4 KiB in the second half of every non-empty file under `dir` whose
/// top-level entry in `consensus/` passes `pick`; returns how many files were damaged.
fn flip_consensus_files(dir: &Path, pick: fn(&str) -> bool) -> usize {
    fn walk(path: &Path, flipped: &mut usize) {
        if path.is_dir() {
            for entry in std::fs::read_dir(path).unwrap() {
                walk(&entry.unwrap().path(), flipped);
            }
            return;
        }
        let len = std::fs::metadata(path).unwrap().len() as usize;
        if len > 0 {
            flip(path, (len / 2..len).step_by(4096));
            *flipped += 1;
        }
    }
    let mut flipped = 0;
    for entry in std::fs::read_dir(dir.join("consensus")).unwrap() {
        let part = entry.unwrap().path();
        if pick(&part.file_name().unwrap().to_string_lossy()) {
            walk(&part, &mut flipped);
        }
    }
    flipped
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flipped_bytes_in_the_consensus_store_end_in_recovery_or_refusal_slow_() {
    let tmp = tempfile::tempdir().unwrap();
    let (pristine, before) = stopped_devnet(tmp.path()).await;
    type Pick = fn(&str) -> bool;
    let cases: [(&str, Pick); 2] = [
        ("the finalized-block archive flipped", |name| {
            name.starts_with("gridledger-blocks-")
        }),
        // The simplex journal, the certificate archive, marshal's metadata: everything.
        ("every consensus file flipped", |_| true),
    ];
    for (case, pick) in cases {
        let dir = copy_of(&pristine, &tmp.path().join("case"));
        assert!(
            flip_consensus_files(&dir, pick) > 0,
            "{case}: no files found"
        );
        // Either the node recovers to exactly what it held, or it refuses cleanly.
        let mut net = Devnet::start(&dir, free_port(), free_port());
        let client = net.client();
        let start = Instant::now();
        loop {
            if let Some(status) = net.child.try_wait().unwrap() {
                let log = std::fs::read_to_string(net.log_path()).unwrap_or_default();
                assert!(!status.success(), "{case}: exit {status}");
                assert!(log.contains("error: refusing to start"), "{case}:\n{log}");
                assert!(!log.contains("panicked at"), "{case}: a panic:\n{log}");
                let why = log.lines().find(|l| l.contains("refusing to start"));
                eprintln!("{case}: {}", why.unwrap_or_default());
                break;
            }
            if let Ok(s) = client.status().await {
                assert!(
                    s.height >= before.height,
                    "{case}: served height {}",
                    s.height
                );
                net.stop();
                assert_serves_what_it_held(&dir, &before, case).await;
                eprintln!("{case}: recovered");
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "{case}: no outcome"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
