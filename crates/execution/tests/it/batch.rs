//! Batch signature verification finds the first bad signature.
use commonware_utils::test_rng;
use gridledger_execution::test_utils::Chain;
use gridledger_execution::verify_signatures_batch;
use gridledger_types::{MilliWon, Payload, SignedTransaction};

#[test]
pub fn batch_accepts_good_and_points_at_the_first_bad() {
    let c = Chain::new(3);
    let mut txs: Vec<SignedTransaction> = (0..20u64)
        .map(|n| {
            c.signed_nonce(
                &c.users[(n % 3) as usize],
                n,
                Payload::Transfer {
                    to: c.user(((n + 1) % 3) as usize),
                    amount: MilliWon(n + 1),
                    memo: String::new(),
                },
            )
        })
        .collect();
    let mut rng = test_rng();
    assert_eq!(verify_signatures_batch(&txs, &mut rng), Ok(()));
    assert_eq!(verify_signatures_batch(&[], &mut rng), Ok(()));

    for bad in [13usize, 4] {
        let sig = txs[bad + 1].signature.clone();
        txs[bad] = SignedTransaction::new(txs[bad].tx.clone(), sig);
    }
    assert_eq!(verify_signatures_batch(&txs, &mut rng), Err(4));
}
