//! `execute_block` over a block of 1,000 transfers (100 senders x 10 nonces), with and without
//! signature verification, and batch verification of the same block.
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use gridledger_execution::{execute_block, verify_signatures_batch, SigCheck};
use gridledger_types::{MilliWon, Payload, SignedTransaction};

use gridledger_execution::test_utils as fixture;

const SENDERS: usize = 100;
const PER_SENDER: u64 = 10;

fn setup() -> (fixture::Chain, Vec<SignedTransaction>) {
    let mut c = fixture::Chain::new(SENDERS);
    let mints: Vec<_> = (0..SENDERS)
        .map(|i| {
            c.signed_nonce(
                &c.bank,
                i as u64,
                Payload::Mint {
                    to: c.user(i),
                    amount: MilliWon(1_000_000),
                    bank_ref: format!("dep-{i}"),
                },
            )
        })
        .collect();
    assert!(c
        .run(&mints)
        .unwrap()
        .receipts
        .iter()
        .all(|r| r.is_success()));
    let mut txs = Vec::new();
    for n in 0..PER_SENDER {
        for i in 0..SENDERS {
            txs.push(c.signed_nonce(
                &c.users[i],
                n,
                Payload::Transfer {
                    to: c.user((i + 1) % SENDERS),
                    amount: MilliWon(1_000 + n),
                    memo: "energy".into(),
                },
            ));
        }
    }
    (c, txs)
}

fn bench(cr: &mut Criterion) {
    let (c, txs) = setup();
    let env = c.env();
    let check = execute_block(&c.state, c.root, env.clone(), &txs, SigCheck::Verify).unwrap();
    assert_eq!(check.receipts.len(), 1_000);
    assert!(check.receipts.iter().all(|r| r.is_success()));

    let mut g = cr.benchmark_group("execute_block_1000_transfers");
    g.sample_size(10);
    for (name, sig) in [
        ("verify", SigCheck::Verify),
        ("already_verified", SigCheck::AlreadyVerified),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || env.clone(),
                |env| execute_block(&c.state, c.root, env, &txs, sig).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    g.bench_function("verify_signatures_batch", |b| {
        let mut rng = commonware_utils::test_rng();
        b.iter(|| verify_signatures_batch(&txs, &mut rng).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
