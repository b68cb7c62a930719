//! Cost of committing one block of 1,000 transaction records and 2,000 state writes.
//!
//! Measured on the 2-core dev VM (ext4, redb 2.6.4): ~42 ms per block to a file with
//! `Durability::Immediate`, ~21 ms in memory. Synthetic tx hashes are sequential, which is kinder to
//! the B-tree than real (random) hashes.

use std::cell::Cell;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use gridledger_storage::{BlockCommit, Head, Store, TxRecord};

const TXS: u32 = 1_000;
const WRITES: u64 = 2_000;
/// State keys cycle over this many rows, so the state table stays a realistic, bounded size.
const STATE_ROWS: u64 = 100_000;
const ACCOUNTS: u64 = 500;

fn tagged(tag: u8, n: u64) -> [u8; 32] {
    let mut out = [tag; 32];
    out[24..].copy_from_slice(&n.to_be_bytes());
    out
}

struct Block {
    head: Head,
    block: Vec<u8>,
    writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    txs: Vec<TxRecord>,
}

fn block(height: u64) -> Block {
    let txs: Vec<TxRecord> = (0..TXS)
        .map(|index| {
            let n = height * u64::from(TXS) + u64::from(index);
            TxRecord {
                hash: tagged(0x70, n),
                index,
                tx: vec![index as u8; 200],
                receipt: vec![1; 64],
                accounts: vec![
                    tagged(0xA0, n % ACCOUNTS),
                    tagged(0xA0, (n * 7 + 3) % ACCOUNTS),
                ],
            }
        })
        .collect();
    let writes = (0..WRITES)
        .map(|i| {
            let key = (height * WRITES + i) % STATE_ROWS;
            (
                format!("acct/{key:08}").into_bytes(),
                Some(height.to_be_bytes().repeat(8)),
            )
        })
        .collect();
    Block {
        head: Head {
            height,
            block_hash: tagged(0xB0, height),
            state_root: tagged(0x50, height),
            timestamp_ms: height * 1_000,
        },
        block: vec![0xBB; 200 * TXS as usize],
        writes,
        txs,
    }
}

fn bench_store(c: &mut Criterion, name: &str, store: Store) {
    let next = Cell::new(0u64);
    let mut group = c.benchmark_group("commit_block");
    group.sample_size(20);
    group.throughput(Throughput::Elements(u64::from(TXS)));
    group.bench_function(name, |b| {
        b.iter_batched(
            || {
                let h = next.get();
                next.set(h + 1);
                block(h)
            },
            |blk| {
                store
                    .commit_block(&BlockCommit {
                        head: blk.head,
                        block: &blk.block,
                        writes: blk.writes,
                        txs: blk.txs,
                    })
                    .unwrap()
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn commit(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    bench_store(
        c,
        "file_1000tx_2000writes",
        Store::open(&dir.path().join("bench.redb")).unwrap(),
    );
    bench_store(
        c,
        "in_memory_1000tx_2000writes",
        Store::open_in_memory().unwrap(),
    );
}

criterion_group!(benches, commit);
criterion_main!(benches);
