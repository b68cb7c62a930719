//! Rejections at inclusion change nothing; failed transactions change nothing but the nonce.
use gridledger_execution::test_utils::{chain_id, code, key, Chain};
use gridledger_execution::{
    account, admission_check, BlockBuilder, BlockEnv, Rejection, SigCheck, StateKey, StateValue,
};
use gridledger_types::{ChainId, MilliWon, Payload, Transaction};

fn transfer(c: &Chain, to: usize, amount: u64) -> Payload {
    Payload::Transfer {
        to: c.user(to),
        amount: MilliWon(amount),
        memo: String::new(),
    }
}

#[test]
pub fn failed_transaction_changes_only_the_nonce_and_leaves_a_receipt() {
    let mut c = Chain::new(2);
    c.fund(0, 100);
    let before = c.state.clone();
    let tx = c.signed(&c.users[0], transfer(&c, 1, 101));
    let out = c.run(&[tx]).unwrap();
    assert_eq!(code(&out.receipts[0]), "insufficient_balance");
    // The write-set holds exactly the signer's account with the nonce consumed.
    let mut acct = account(&before, &c.user(0));
    acct.nonce += 1;
    assert_eq!(out.writes.len(), 1);
    assert_eq!(
        out.writes.get(&StateKey::Account(c.user(0))),
        Some(&Some(StateValue::Account(acct)))
    );
}

#[test]
pub fn replayed_nonce_is_stale() {
    let mut c = Chain::new(2);
    c.fund(0, 100);
    let tx = c.signed(&c.users[0], transfer(&c, 1, 10));
    assert!(c.run(std::slice::from_ref(&tx)).unwrap().receipts[0].is_success());
    assert_eq!(
        c.run(std::slice::from_ref(&tx)).unwrap_err(),
        (
            0,
            Rejection::StaleNonce {
                expected: 1,
                got: 0
            }
        )
    );
    // The same transaction twice in one block: the second is stale.
    let tx = c.signed(&c.users[0], transfer(&c, 1, 10));
    assert_eq!(
        c.run(&[tx.clone(), tx]).unwrap_err(),
        (
            1,
            Rejection::StaleNonce {
                expected: 2,
                got: 1
            }
        )
    );
    assert_eq!(c.balance(&c.user(1)), 10);
}

#[test]
pub fn expiry_is_against_block_time_inclusive() {
    let mut c = Chain::new(2);
    c.fund(0, 100);
    let at = c.env().timestamp_ms;
    let mk = |expires_at_ms| {
        Transaction {
            chain_id: chain_id(),
            signer: c.user(0),
            nonce: 0,
            expires_at_ms,
            payload: transfer(&c, 1, 1),
        }
        .sign(&c.users[0])
    };
    let late = mk(at - 1);
    assert_eq!(
        clone_state_run(&c, at, &late),
        Err(Rejection::Expired {
            expires_at_ms: at - 1,
            now_ms: at
        })
    );
    let just = mk(at);
    assert_eq!(clone_state_run(&c, at, &just), Ok(()));
    assert!(c.run_at(at, &[just]).unwrap().receipts[0].is_success());
}

#[test]
pub fn bad_signature_wrong_chain_and_unknown_signer_are_rejected() {
    let c = Chain::new(2);
    let good = c.signed(&c.users[0], transfer(&c, 1, 1));
    let forged = gridledger_types::SignedTransaction::new(
        good.tx.clone(),
        c.signed(&c.users[1], transfer(&c, 1, 1)).signature,
    );
    let env = c.env();
    let mut b = BlockBuilder::new(&c.state, c.root, env.clone());
    assert_eq!(
        b.push(&forged, SigCheck::Verify).unwrap_err(),
        Rejection::BadSignature
    );
    assert_eq!(b.len(), 0);
    // With AlreadyVerified the caller vouches for the signature.
    assert!(b.push(&forged, SigCheck::AlreadyVerified).is_ok());

    let mut other = good.tx.clone();
    other.chain_id = ChainId::new("other").unwrap();
    let other = other.sign(&c.users[0]);
    assert_eq!(
        admission_check(
            &c.state,
            &chain_id(),
            env.timestamp_ms,
            &other,
            SigCheck::Verify,
            0
        ),
        Err(Rejection::WrongChain {
            expected: chain_id(),
            got: ChainId::new("other").unwrap()
        })
    );

    let stranger = c.signed(&key(777), transfer(&c, 1, 1));
    assert_eq!(
        admission_check(
            &c.state,
            &chain_id(),
            env.timestamp_ms,
            &stranger,
            SigCheck::Verify,
            0
        ),
        Err(Rejection::UnknownSigner)
    );
}

#[test]
pub fn builder_rejection_leaves_the_block_as_it_was() {
    let mut c = Chain::new(2);
    c.fund(0, 100);
    let env = c.env();
    let ok = c.signed(&c.users[0], transfer(&c, 1, 5));
    let stale = ok.clone();

    let mut b = BlockBuilder::new(&c.state, c.root, env.clone());
    b.push(&ok, SigCheck::Verify).unwrap();
    assert!(b.push(&stale, SigCheck::Verify).is_err());
    let with_reject = b.finish();

    let mut b = BlockBuilder::new(&c.state, c.root, env);
    b.push(&ok, SigCheck::Verify).unwrap();
    assert_eq!(with_reject, b.finish());
}

/// Pushes one transaction into a block at `timestamp_ms` on a copy of `c`'s state.
fn clone_state_run(
    c: &Chain,
    timestamp_ms: u64,
    tx: &gridledger_types::SignedTransaction,
) -> Result<(), Rejection> {
    let env = BlockEnv {
        chain_id: chain_id(),
        height: c.height + 1,
        timestamp_ms,
    };
    let mut b = BlockBuilder::new(&c.state, c.root, env);
    b.push(tx, SigCheck::Verify).map(|_| ())
}

#[test]
pub fn an_auditor_signs_nothing() {
    let mut c = Chain::new(2);
    let auditor = key(77);
    let op = c.operator.clone();
    let r = c.exec(
        &op,
        Payload::RegisterParticipant {
            account: gridledger_execution::test_utils::addr(&auditor),
            role: gridledger_types::Role::Auditor,
            name: "auditor".into(),
        },
    );
    assert!(r.is_success(), "{r:?}");
    let tx = c.signed(&auditor, transfer(&c, 1, 0));
    let before = c.state.clone();
    assert_eq!(c.run(&[tx]).unwrap_err(), (0, Rejection::ReadOnly));
    assert_eq!(Rejection::ReadOnly.code(), "read_only_role");
    assert_eq!(c.state, before, "a refused block changes nothing");
}
