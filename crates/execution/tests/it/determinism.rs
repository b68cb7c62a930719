//! The same blocks give the same roots and write-sets on every node; any difference in history
//! changes the root.
use gridledger_execution::test_utils::{Chain, FAR_MS};
use gridledger_execution::{BlockOutcome, Layered, StateKey, StateRead as _};
use gridledger_types::{MilliWon, Payload, SignedTransaction};

/// Three blocks of mints, transfers and holds (signed deterministically).
/// With `swap`, the bank's first two mints come in the other order (so with each other's nonce).
fn workload(c: &Chain, swap: bool) -> Vec<Vec<SignedTransaction>> {
    let bank = &c.bank;
    let mint = |nonce, i: usize, amount| {
        c.signed_nonce(
            bank,
            nonce,
            Payload::Mint {
                to: c.user(i),
                amount: MilliWon(amount),
                bank_ref: format!("dep-{nonce}"),
            },
        )
    };
    let b1 = if swap {
        vec![mint(0, 1, 5_000), mint(1, 0, 10_000), mint(2, 2, 1)]
    } else {
        vec![mint(0, 0, 10_000), mint(1, 1, 5_000), mint(2, 2, 1)]
    };
    let u = &c.users;
    let b2 = vec![
        c.signed_nonce(
            &u[0],
            0,
            Payload::Transfer {
                to: c.user(1),
                amount: MilliWon(2_500),
                memo: "energy".into(),
            },
        ),
        c.signed_nonce(
            &u[1],
            0,
            Payload::HoldPlace {
                beneficiary: c.user(2),
                amount: MilliWon(7_000),
                expires_at_ms: FAR_MS,
                memo: "charging".into(),
            },
        ),
        // Fails: user 2 has 1 mKRW.
        c.signed_nonce(
            &u[2],
            0,
            Payload::Transfer {
                to: c.user(0),
                amount: MilliWon(2),
                memo: String::new(),
            },
        ),
    ];
    let hold = b2[1].hash();
    let b3 = vec![c.signed_nonce(
        &u[2],
        1,
        Payload::HoldCapture {
            hold,
            amount: MilliWon(3_000),
        },
    )];
    vec![b1, b2, b3]
}

fn run_all(blocks: &[Vec<SignedTransaction>]) -> (Chain, Vec<BlockOutcome>) {
    let mut c = Chain::new(3);
    let outs = blocks.iter().map(|b| c.run(b).unwrap()).collect();
    (c, outs)
}

#[test]
pub fn same_blocks_same_roots_and_writes() {
    let blocks = workload(&Chain::new(3), false);
    let (a, outs_a) = run_all(&blocks);
    let (b, outs_b) = run_all(&blocks);
    assert_eq!(outs_a, outs_b);
    assert_eq!(a.root, b.root);
    assert_eq!(a.state, b.state);
    // The workload did something: successes and a failure, and a captured hold.
    let statuses: Vec<bool> = outs_a
        .iter()
        .flat_map(|o| o.receipts.iter().map(|r| r.is_success()))
        .collect();
    assert_eq!(statuses, [true, true, true, true, true, false, true]);
    assert_eq!(a.balance(&a.user(2)), 3_001);
}

#[test]
pub fn a_different_order_gives_a_different_root() {
    let (a, _) = run_all(&workload(&Chain::new(3), false));
    // Two independent mints swapped: the final state is the same, the history is not.
    let (b, _) = run_all(&workload(&Chain::new(3), true));
    assert_eq!(a.state, b.state);
    assert_ne!(a.root, b.root);
}

#[test]
pub fn speculative_layers_read_like_the_applied_state() {
    let blocks = workload(&Chain::new(3), false);
    let (c, outs) = run_all(&blocks);
    let mut base = Chain::new(3);
    let view = Layered {
        base: &base.state,
        layers: outs.iter().map(|o| &o.writes).collect(),
    };
    for key in c.state.keys() {
        assert_eq!(view.get(key), c.state.get(key).cloned(), "{key:?}");
    }
    // Executing on the layered view gives the same result as on the applied state.
    let extra = [c.signed(
        &c.users[0],
        Payload::Burn {
            amount: MilliWon(100),
            bank_ref: "wd".into(),
        },
    )];
    let env = c.env();
    let on_view = gridledger_execution::execute_block(
        &view,
        c.root,
        env.clone(),
        &extra,
        gridledger_execution::SigCheck::Verify,
    )
    .unwrap();
    let on_state = gridledger_execution::execute_block(
        &c.state,
        c.root,
        env,
        &extra,
        gridledger_execution::SigCheck::Verify,
    )
    .unwrap();
    assert_eq!(on_view, on_state);
    assert!(on_view.receipts[0].is_success());
    assert!(view.get(&StateKey::Supply).is_some());
    base.height = 0; // the base chain is untouched by reading through it
    assert_ne!(base.state, c.state);
}
