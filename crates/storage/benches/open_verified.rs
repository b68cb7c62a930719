//! Start-up cost of the ledger checks: builds a ledger of `GRIDLEDGER_BENCH_BLOCKS` blocks
//! (default 100,000: 28 hours of 1-second blocks) once, then times, each on a closed file, a
//! plain `Store::open`, `Store::open_verified` (redb's check of every page, the head rows) and
//! `Store::state_entries` (loading the whole state with its digest check).
//!
//! Shape: empty blocks of 250 bytes; every 10th block carries 50 transactions (250-byte tx,
//! 60-byte receipt, two accounts each) writing 150 state rows of 100 bytes over 200,000 keys.
//! `cargo bench -p gridledger-storage --bench open_verified` (figures in docs/BENCHMARKS.md).

use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use gridledger_storage::{BlockCommit, Head, Store, TxRecord};

const STATE_KEYS: u64 = 200_000;

fn tagged(tag: u8, n: u64) -> [u8; 32] {
    let mut out = [tag; 32];
    out[24..].copy_from_slice(&n.to_be_bytes());
    out
}

/// A pseudo-random but fixed spread of keys (real tx hashes and state keys are random).
fn spread(n: u64) -> u64 {
    n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17)
}

fn commit(store: &Store, height: u64) {
    let busy = height.is_multiple_of(10) && height > 0;
    let txs: Vec<TxRecord> = if busy {
        (0..50u32)
            .map(|index| {
                let n = height * 50 + u64::from(index);
                TxRecord {
                    hash: tagged(0x70, spread(n)),
                    index,
                    tx: vec![index as u8; 250],
                    receipt: vec![1; 60],
                    accounts: vec![tagged(0xA0, n % 5_000), tagged(0xA0, spread(n) % 5_000)],
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    let writes = if busy {
        (0..150u64)
            .map(|i| {
                let key = spread(height * 150 + i) % STATE_KEYS;
                (
                    format!("state/{key:012}").into_bytes(),
                    Some(height.to_be_bytes().repeat(13)[..100].to_vec()),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let block = vec![(height % 251) as u8; 250];
    let c = BlockCommit {
        head: Head {
            height,
            block_hash: tagged(0xB0, spread(height)),
            state_root: tagged(0x50, height),
            timestamp_ms: height * 1_000,
        },
        block: &block,
        writes,
        txs,
    };
    store.commit_block_deferred(&c).unwrap();
    if height % 100 == 99 {
        store.flush().unwrap();
    }
}

fn open_checks(c: &mut Criterion) {
    let blocks: u64 = std::env::var("GRIDLEDGER_BENCH_BLOCKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    // Built as a rebuild writes (100 deferred commits per durable one): faster to build than
    // one durable commit per block, and the checks read the same kind of file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.redb");
    let started = Instant::now();
    {
        let store = Store::open(&path).unwrap();
        for height in 0..blocks {
            commit(&store, height);
        }
        store.flush().unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    let rows = Store::open(&path).unwrap().state_entries().unwrap().len();
    eprintln!(
        "built {blocks} blocks, {rows} state rows, {} MiB in {:.1?}",
        size >> 20,
        started.elapsed()
    );
    let mut group = c.benchmark_group(format!("ledger_{blocks}_blocks"));
    group.sample_size(10);
    group.bench_function("open", |b| b.iter(|| drop(Store::open(&path).unwrap())));
    group.bench_function("open_verified", |b| {
        b.iter(|| drop(Store::open_verified(&path).unwrap()))
    });
    let store = Store::open(&path).unwrap();
    group.bench_function("state_entries_with_digest", |b| {
        b.iter(|| store.state_entries().unwrap().len())
    });
    group.finish();
}

criterion_group!(benches, open_checks);
criterion_main!(benches);
