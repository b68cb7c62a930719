//! Opening the ledger at start against the consensus store's finalized blocks
//! (`recovery::open_ledger`): intact, caught up, rebuilt (missing, damaged, another fork), or a
//! refusal that names the file. The archive here is an in-memory map; the real one (marshal's)
//! is exercised by the devnet tests of the binary.
use crate::chain::{
    context, fixture, genesis_block, key, open, register_alice_and_bob, sign, Fixture,
};
use commonware_codec::DecodeExt;
use gridledger_node::{
    block::ChainBlock,
    chain::{Chain, ChainConfig},
    mempool::MempoolConfig,
    metrics::NodeMetrics,
    recovery::{open_ledger, FinalizedBlocks, LedgerConfig, Opened, LEDGER_FILE, MARKER_FILE},
    Error,
};
use gridledger_storage::Store;
use gridledger_types::{Address, Hash32, MilliWon, Payload};
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::Arc,
};

/// Blocks of the source chain after genesis.
const N: u64 = 8;

/// Finalized blocks by height, as marshal's archive holds them.
#[derive(Clone)]
struct MemArchive(BTreeMap<u64, ChainBlock>);

impl MemArchive {
    fn up_to(&self, top: u64) -> Self {
        Self(self.0.range(..=top).map(|(h, b)| (*h, b.clone())).collect())
    }
}

impl FinalizedBlocks for MemArchive {
    fn contiguous_top(&self) -> Option<u64> {
        let mut top = None;
        for (i, h) in self.0.keys().enumerate() {
            if *h != i as u64 {
                break;
            }
            top = Some(*h);
        }
        top
    }

    fn highest(&self) -> Option<u64> {
        self.0.keys().last().copied()
    }

    async fn block(&self, height: u64) -> Result<Option<ChainBlock>, String> {
        Ok(self.0.get(&height).cloned())
    }
}

/// A chain of [N] blocks with registrations, a mint, transfers and empty blocks; returns the
/// chain (in memory) and its blocks by height from genesis.
fn source(f: &Fixture, transfer_memo: &str) -> (Arc<Chain>, MemArchive) {
    let chain = open(f, Store::open_in_memory().unwrap());
    let (alice, bob) = (key(10), key(11));
    let mut blocks = BTreeMap::from([(0, genesis_block(f))]);
    let mut alice_nonce = 0;
    for height in 1..=N {
        let txs = match height {
            1 => register_alice_and_bob(f, &alice, &bob),
            2 => vec![sign(
                &f.bank,
                0,
                Payload::Mint {
                    to: Address::of(&alice),
                    amount: MilliWon(9_000_000),
                    bank_ref: "D1".into(),
                },
            )],
            h if h % 3 == 0 => vec![],
            h => {
                alice_nonce += 1;
                vec![sign(
                    &alice,
                    alice_nonce - 1,
                    Payload::Transfer {
                        to: Address::of(&bob),
                        amount: MilliWon(1_000 * h),
                        memo: transfer_memo.into(),
                    },
                )]
            }
        };
        let sent = txs.len();
        assert!(chain.submit(txs).iter().all(|r| r.is_ok()));
        let parent = blocks[&(height - 1)].clone();
        let block = chain
            .build(
                context(height, &parent),
                &parent,
                parent.body.timestamp_ms + 500,
            )
            .unwrap();
        assert_eq!(block.body.transactions.len(), sent);
        assert!(chain.finalize(&block).unwrap());
        blocks.insert(height, block);
    }
    (chain, MemArchive(blocks))
}

fn open_dir(dir: &Path, f: &Fixture, archive: &MemArchive) -> Result<(Chain, Opened), Error> {
    futures::executor::block_on(open_ledger(
        LedgerConfig {
            data_dir: dir,
            consensus_dir: &dir.join("consensus"),
            genesis: &f.genesis,
            chain: ChainConfig {
                chain_id: f.genesis.chain.chain_id.clone(),
                mempool: MempoolConfig::default(),
                max_block_txs: 1_000,
            },
            metrics: NodeMetrics::default(),
        },
        archive,
    ))
}

/// Writes a ledger at `height` (blocks from `archive`) into `dir`, as a stopped node left it.
fn ledger_at(dir: &Path, f: &Fixture, archive: &MemArchive, height: u64) {
    let chain = open(f, Store::open(&dir.join(LEDGER_FILE)).unwrap());
    for h in 1..=height {
        assert!(chain.finalize(&archive.0[&h]).unwrap());
    }
}

/// The same head, state, blocks and transactions as the source chain.
fn assert_same(got: &Chain, want: &Chain) {
    assert_eq!(got.head(), want.head());
    assert_eq!(got.read().state, want.read().state);
    for h in 0..=want.head().height {
        assert_eq!(got.store.block(h).unwrap(), want.store.block(h).unwrap());
        let block = ChainBlock::decode(want.store.block(h).unwrap().unwrap().as_slice()).unwrap();
        for tx in &block.body.transactions {
            assert_eq!(
                got.store.tx(&tx.hash().0).unwrap(),
                want.store.tx(&tx.hash().0).unwrap()
            );
        }
    }
    assert_eq!(got.store.block(want.head().height + 1).unwrap(), None);
}

fn refusal(r: Result<(Chain, Opened), Error>) -> String {
    match r {
        Err(Error::Refused(msg)) => msg,
        Err(other) => panic!("not a refusal: {other}"),
        Ok((chain, opened)) => panic!("opened ({opened:?}) at {:?}", chain.head()),
    }
}

fn damaged_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".damaged-"))
        .collect()
}

#[test]
fn a_new_data_directory_starts_at_genesis_and_is_marked_for_this_chain() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let empty = MemArchive(BTreeMap::new());
    let (chain, opened) = open_dir(dir.path(), &f, &empty).unwrap();
    assert_eq!(opened, Opened::Created);
    assert_eq!(chain.head().height, 0);
    let marker = std::fs::read_to_string(dir.path().join(MARKER_FILE)).unwrap();
    assert_eq!(marker.trim(), genesis_block(&f).hash().to_string());
    drop(chain);
    // Restarted before anything was finalized: the same ledger.
    let (_, opened) = open_dir(dir.path(), &f, &empty).unwrap();
    assert_eq!(opened, Opened::Intact);
}

#[test]
fn an_intact_ledger_opens_as_it_is() {
    let f = fixture();
    let (src, archive) = source(&f, "");
    let dir = tempfile::tempdir().unwrap();
    ledger_at(dir.path(), &f, &archive, N);
    let (chain, opened) = open_dir(dir.path(), &f, &archive).unwrap();
    assert_eq!(opened, Opened::Intact);
    assert_same(&chain, &src);
}

#[test]
fn a_missing_ledger_is_rebuilt_from_the_finalized_blocks() {
    let f = fixture();
    let (src, archive) = source(&f, "");
    let dir = tempfile::tempdir().unwrap();
    ledger_at(dir.path(), &f, &archive, N);
    std::fs::remove_file(dir.path().join(LEDGER_FILE)).unwrap();
    let (chain, opened) = open_dir(dir.path(), &f, &archive).unwrap();
    assert!(
        matches!(
            opened,
            Opened::Rebuilt {
                moved_to: None,
                to: N,
                ..
            }
        ),
        "{opened:?}"
    );
    assert_same(&chain, &src);
    // The rebuilt file is a normal ledger from then on.
    drop(chain);
    let (chain, opened) = open_dir(dir.path(), &f, &archive).unwrap();
    assert_eq!(opened, Opened::Intact);
    assert_same(&chain, &src);
}

#[test]
fn a_damaged_ledger_is_moved_aside_and_rebuilt() {
    let f = fixture();
    let (src, archive) = source(&f, "");
    type Damage = fn(&Path);
    let cases: [(&str, Damage); 4] = [
        ("truncated to zero", |p| std::fs::write(p, b"").unwrap()),
        ("truncated to half", |p| {
            let bytes = std::fs::read(p).unwrap();
            std::fs::write(p, &bytes[..bytes.len() / 2]).unwrap();
        }),
        ("header flipped", |p| {
            let mut bytes = std::fs::read(p).unwrap();
            bytes[0] ^= 0xFF;
            std::fs::write(p, bytes).unwrap();
        }),
        ("body flipped", |p| {
            let mut bytes = std::fs::read(p).unwrap();
            for at in (8192..bytes.len()).step_by(65_536) {
                bytes[at] ^= 0xFF;
            }
            std::fs::write(p, bytes).unwrap();
        }),
    ];
    for (case, damage) in cases {
        let dir = tempfile::tempdir().unwrap();
        ledger_at(dir.path(), &f, &archive, N);
        let path = dir.path().join(LEDGER_FILE);
        damage(&path);
        // Kept for inspection (redb may have rewritten its header while opening it).
        let damaged_len = std::fs::metadata(&path).unwrap().len();
        let (chain, opened) =
            open_dir(dir.path(), &f, &archive).unwrap_or_else(|e| panic!("{case}: {e}"));
        let Opened::Rebuilt {
            moved_to: Some(aside),
            to: N,
            ..
        } = opened
        else {
            panic!("{case}: {opened:?}");
        };
        assert_eq!(damaged_files(dir.path()), vec![aside.clone()], "{case}");
        assert_eq!(
            std::fs::metadata(&aside).unwrap().len(),
            damaged_len,
            "{case}: kept"
        );
        assert_same(&chain, &src);
    }
}

#[test]
fn a_ledger_behind_the_finalized_blocks_catches_up() {
    let f = fixture();
    let (src, archive) = source(&f, "");
    let dir = tempfile::tempdir().unwrap();
    ledger_at(dir.path(), &f, &archive, 3);
    let (chain, opened) = open_dir(dir.path(), &f, &archive).unwrap();
    assert_eq!(opened, Opened::CaughtUp { from: 4, to: N });
    assert!(damaged_files(dir.path()).is_empty());
    assert_same(&chain, &src);
}

#[test]
fn a_ledger_of_another_fork_is_rebuilt_from_this_nodes_finalized_blocks() {
    let f = fixture();
    let (src, archive) = source(&f, "");
    // Same genesis, different transfers: a different block 4 onwards.
    let (_, fork) = source(&f, "fork");
    assert_ne!(fork.0[&4].hash(), archive.0[&4].hash());
    let dir = tempfile::tempdir().unwrap();
    ledger_at(dir.path(), &f, &fork, 5);
    let (chain, opened) = open_dir(dir.path(), &f, &archive).unwrap();
    assert!(
        matches!(&opened, Opened::Rebuilt { moved_to: Some(_), to: N, why } if why.contains("head block 5")),
        "{opened:?}"
    );
    assert_same(&chain, &src);
}

#[test]
fn a_ledger_ahead_of_the_consensus_store_is_refused() {
    let f = fixture();
    let (_, archive) = source(&f, "");
    let dir = tempfile::tempdir().unwrap();
    ledger_at(dir.path(), &f, &archive, N);
    let msg = refusal(open_dir(dir.path(), &f, &archive.up_to(3)));
    assert!(msg.contains(&format!("ledger is at height {N}")), "{msg}");
    assert!(
        msg.contains("the finalized blocks only up to height 3"),
        "{msg}"
    );
    assert!(
        msg.contains(&dir.path().join("consensus").display().to_string()),
        "{msg}"
    );
    // Nothing was moved or rewritten.
    assert!(damaged_files(dir.path()).is_empty());
    let (_, opened) = open_dir(dir.path(), &f, &archive).unwrap();
    assert_eq!(opened, Opened::Intact);
}

#[test]
fn without_blocks_to_rebuild_from_a_lost_or_damaged_ledger_is_refused() {
    let f = fixture();
    let (_, archive) = source(&f, "");
    let genesis_only = archive.up_to(0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(LEDGER_FILE);
    ledger_at(dir.path(), &f, &archive, N);
    // Marked by the first start.
    drop(open_dir(dir.path(), &f, &archive).unwrap());

    // Damaged, and the consensus store holds only genesis.
    std::fs::write(&path, b"").unwrap();
    let msg = refusal(open_dir(dir.path(), &f, &genesis_only));
    assert!(msg.contains("damaged"), "{msg}");
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(
        msg.contains("Restore the data directory from a backup"),
        "{msg}"
    );

    // Missing, and the consensus store is empty too: the directory held a chain (its marker),
    // so this is not a new data directory.
    std::fs::remove_file(&path).unwrap();
    let msg = refusal(open_dir(dir.path(), &f, &MemArchive(BTreeMap::new())));
    assert!(msg.contains("ledger file is missing"), "{msg}");
    assert!(!path.exists(), "no new chain was started");
}

#[test]
fn a_block_that_does_not_reproduce_its_state_root_stops_the_rebuild() {
    let f = fixture();
    let (_, archive) = source(&f, "");
    let mut bad = archive.clone();
    let original = &archive.0[&5];
    let mut body = original.body.clone();
    body.state_root = Hash32::digest(&[b"not this block's state"]);
    bad.0
        .insert(5, ChainBlock::new(original.context.clone(), body));
    let dir = tempfile::tempdir().unwrap();
    let msg = refusal(open_dir(dir.path(), &f, &bad));
    assert!(msg.contains("finalized block 5"), "{msg}");
    assert!(msg.contains("state root"), "{msg}");
    // What was rebuilt before the bad block is a valid ledger, behind: the next start tries to
    // catch up, meets the same block and refuses again; nothing partial is ever served.
    let msg = refusal(open_dir(dir.path(), &f, &bad));
    assert!(msg.contains("finalized block 5"), "{msg}");
}

#[test]
fn another_chains_files_are_refused() {
    let f = fixture();
    let (_, archive) = source(&f, "");
    let mut other = fixture();
    other.genesis.chain.genesis_time_ms += 1;
    let dir = tempfile::tempdir().unwrap();
    ledger_at(dir.path(), &f, &archive, 2);
    drop(open_dir(dir.path(), &f, &archive.up_to(2)).unwrap());
    // The marker names this directory's chain.
    let msg = refusal(open_dir(dir.path(), &other, &MemArchive(BTreeMap::new())));
    assert!(msg.contains("another chain"), "{msg}");
    assert!(msg.contains(MARKER_FILE), "{msg}");
    // A consensus store of another chain.
    let fresh = tempfile::tempdir().unwrap();
    let msg = refusal(open_dir(fresh.path(), &other, &archive));
    assert!(msg.contains("consensus store holds another chain"), "{msg}");
    assert!(!fresh.path().join(LEDGER_FILE).exists());
}
