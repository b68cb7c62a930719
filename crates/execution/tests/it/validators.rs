//! The validator set on chain: the genesis set of epoch 0, the operator's `ChangeValidators`
//! scheduling the next epoch's set, several changes in one epoch, the epoch boundary, history,
//! every refusal (with no change but the nonce) and the invariants over the records.
use gridledger_execution::test_utils::{
    addr, code, key, message, validator, Chain, GENESIS_VALIDATORS,
};
use gridledger_execution::{
    account, check_invariants, epoch_at_height, epoch_length, scheduled_after, validator_record,
    validators_at, StateKey, StateValue,
};
use gridledger_types::{
    Address, ChangeValidators, Event, Payload, PrivateKey, Receipt, ValidatorEntry,
    DEFAULT_EPOCH_LENGTH, MAX_VALIDATORS,
};

fn ok(r: &Receipt) {
    assert!(r.is_success(), "{r:?}");
}

fn change(add: Vec<ValidatorEntry>, remove: Vec<Address>) -> Payload {
    Payload::ChangeValidators(ChangeValidators { add, remove })
}

fn keys(set: &[ValidatorEntry]) -> Vec<Address> {
    set.iter().map(|v| v.public_key.clone()).collect()
}

/// Genesis validators plus `extra` (indices from GENESIS_VALIDATORS), sorted by key.
fn sorted(mut set: Vec<ValidatorEntry>) -> Vec<ValidatorEntry> {
    set.sort_by(|a, b| a.public_key.cmp(&b.public_key));
    set
}

fn genesis_set() -> Vec<ValidatorEntry> {
    sorted((0..GENESIS_VALIDATORS).map(validator).collect())
}

/// Runs empty blocks until the next block has height `h`.
fn advance_to(c: &mut Chain, h: u64) {
    while c.height + 1 < h {
        c.run(&[]).unwrap();
    }
}

/// Asserts that `p` signed by `k` fails with `expected` and changes nothing but the nonce.
fn refused(c: &mut Chain, k: &PrivateKey, p: Payload, expected: &str) {
    let before = c.state.clone();
    let r = c.exec(k, p);
    assert_eq!(code(&r), expected, "{}", message(&r));
    assert!(r.events.is_empty());
    let mut after = c.state.clone();
    let a = addr(k);
    let mut acct = account(&after, &a);
    acct.nonce -= 1;
    after.insert(StateKey::Account(a), StateValue::Account(acct));
    assert_eq!(after, before, "a refused change altered the state");
}

#[test]
pub fn genesis_records_the_epoch_length_and_the_set_of_epoch_zero() {
    let c = Chain::with_epoch_length(0, 7);
    assert_eq!(epoch_length(&c.state), 7);
    assert_eq!(epoch_at_height(&c.state, 6), 0);
    assert_eq!(epoch_at_height(&c.state, 7), 1);
    assert_eq!(validator_record(&c.state, 0), Some(genesis_set()));
    assert_eq!(validators_at(&c.state, 0), genesis_set());
    assert_eq!(validators_at(&c.state, u64::MAX), genesis_set());
    assert_eq!(scheduled_after(&c.state, 0), None);
    assert_eq!(scheduled_after(&c.state, u64::MAX), None);
    let d = Chain::new(0);
    assert_eq!(epoch_length(&d.state), DEFAULT_EPOCH_LENGTH);
}

#[test]
pub fn the_operator_adds_a_validator_for_the_next_epoch() {
    let mut c = Chain::with_epoch_length(0, 10);
    let op = c.operator.clone();
    let new = validator(10);
    let r = c.exec(&op, change(vec![new.clone()], vec![]));
    ok(&r);
    let next = sorted([genesis_set(), vec![new.clone()]].concat());
    assert_eq!(
        r.events,
        vec![Event::ValidatorsScheduled {
            epoch: 1,
            validators: next.clone()
        }]
    );
    // The current epoch keeps its set; the next one has the new validator.
    assert_eq!(validators_at(&c.state, 0), genesis_set());
    assert_eq!(validators_at(&c.state, 1), next);
    assert_eq!(validators_at(&c.state, 5), next);
    assert_eq!(scheduled_after(&c.state, 0), Some((1, next.clone())));
    assert_eq!(scheduled_after(&c.state, 1), None);
}

#[test]
pub fn the_operator_removes_a_validator_for_the_next_epoch() {
    let mut c = Chain::with_epoch_length(0, 10);
    let op = c.operator.clone();
    let gone = validator(2).public_key;
    let r = c.exec(&op, change(vec![], vec![gone.clone()]));
    ok(&r);
    let next: Vec<_> = genesis_set()
        .into_iter()
        .filter(|v| v.public_key != gone)
        .collect();
    assert_eq!(next.len() as u64, GENESIS_VALIDATORS - 1);
    assert_eq!(validators_at(&c.state, 1), next);
    assert_eq!(validators_at(&c.state, 0), genesis_set());
}

#[test]
pub fn several_changes_in_one_epoch_build_on_each_other() {
    let mut c = Chain::with_epoch_length(0, 100);
    let op = c.operator.clone();
    // Separate blocks.
    ok(&c.exec(&op, change(vec![validator(10)], vec![])));
    ok(&c.exec(&op, change(vec![], vec![validator(0).public_key])));
    // Two changes in one block: the second sees the first.
    let t1 = c.signed(&op, change(vec![validator(11)], vec![]));
    let t2 = c.signed_nonce(
        &op,
        t1.tx.nonce + 1,
        change(vec![validator(12)], vec![validator(11).public_key]),
    );
    let out = c.run(&[t1, t2]).unwrap();
    assert!(out.receipts.iter().all(Receipt::is_success), "{out:?}");
    let expected = sorted(vec![
        validator(1),
        validator(2),
        validator(3),
        validator(10),
        validator(12),
    ]);
    assert_eq!(validators_at(&c.state, 1), expected);
    let Event::ValidatorsScheduled { epoch, validators } = &out.receipts[1].events[0] else {
        panic!("no event")
    };
    assert_eq!((*epoch, validators), (1, &expected));
    // Only one record for the next epoch; epoch 0 is untouched.
    assert_eq!(validators_at(&c.state, 0), genesis_set());
    assert_eq!(
        c.state
            .range(StateKey::ValidatorSet(0)..StateKey::EpochLength)
            .count(),
        2
    );
    // A key removed earlier in the epoch can come back; one added earlier cannot be added again.
    ok(&c.exec(&op, change(vec![validator(0)], vec![])));
    refused(
        &mut c,
        &op,
        change(vec![validator(10)], vec![]),
        "validator_exists",
    );
    refused(
        &mut c,
        &op,
        change(vec![], vec![validator(11).public_key]),
        "unknown_validator",
    );
}

#[test]
pub fn a_change_in_the_last_block_of_an_epoch_takes_effect_in_the_next() {
    let l = 5;
    let mut c = Chain::with_epoch_length(0, l);
    let op = c.operator.clone();
    // Height 4 is the last block of epoch 0.
    advance_to(&mut c, l - 1);
    let r = c.exec(&op, change(vec![validator(10)], vec![]));
    ok(&r);
    assert_eq!(r.height, l - 1);
    let e1 = sorted([genesis_set(), vec![validator(10)]].concat());
    assert!(matches!(
        &r.events[0],
        Event::ValidatorsScheduled { epoch: 1, .. }
    ));
    // Height 5 is the first block of epoch 1: a change now is for epoch 2 and starts from the
    // set of epoch 1.
    let r = c.exec(&op, change(vec![], vec![validator(1).public_key]));
    ok(&r);
    assert_eq!(r.height, l);
    let e2: Vec<_> = e1
        .iter()
        .filter(|v| v.public_key != validator(1).public_key)
        .cloned()
        .collect();
    assert_eq!(
        r.events,
        vec![Event::ValidatorsScheduled {
            epoch: 2,
            validators: e2.clone()
        }]
    );
    // History: every epoch's set stays readable.
    advance_to(&mut c, 4 * l);
    assert_eq!(validators_at(&c.state, 0), genesis_set());
    assert_eq!(validators_at(&c.state, 1), e1);
    assert_eq!(validators_at(&c.state, 2), e2);
    assert_eq!(validators_at(&c.state, 3), e2);
    assert_eq!(scheduled_after(&c.state, 0), Some((1, e1)));
    assert_eq!(scheduled_after(&c.state, 1), Some((2, e2)));
    assert_eq!(scheduled_after(&c.state, 2), None);
}

#[test]
pub fn only_the_operator_may_change_validators() {
    let mut c = Chain::new(1);
    let bank = c.bank.clone();
    let user = c.users[0].clone();
    refused(
        &mut c,
        &bank,
        change(vec![validator(10)], vec![]),
        "not_operator",
    );
    refused(
        &mut c,
        &user,
        change(vec![validator(10)], vec![]),
        "not_operator",
    );
    assert_eq!(validators_at(&c.state, 1), genesis_set());
}

#[test]
pub fn bad_changes_are_refused_and_change_nothing() {
    let mut c = Chain::new(0);
    let op = c.operator.clone();
    let mut bad_port = validator(10);
    bad_port.p2p_addr = "10.1.1.1:0".parse().unwrap();
    let mut unspecified = validator(11);
    unspecified.p2p_addr = "0.0.0.0:7070".parse().unwrap();
    let mut multicast = validator(12);
    multicast.p2p_addr = "[ff02::1]:7070".parse().unwrap();
    let cases: Vec<(Payload, &str)> = vec![
        (change(vec![], vec![]), "empty_change"),
        (change(vec![validator(0)], vec![]), "validator_exists"),
        (
            change(vec![], vec![validator(10).public_key]),
            "unknown_validator",
        ),
        (
            change(vec![], vec![addr(&key(424_242))]),
            "unknown_validator",
        ),
        (
            change(vec![validator(10), validator(10)], vec![]),
            "duplicate_validator",
        ),
        (
            change(
                vec![],
                vec![validator(1).public_key, validator(1).public_key],
            ),
            "duplicate_validator",
        ),
        (
            change(vec![validator(1)], vec![validator(1).public_key]),
            "duplicate_validator",
        ),
        (change(vec![bad_port], vec![]), "bad_address"),
        (change(vec![unspecified], vec![]), "bad_address"),
        (change(vec![multicast], vec![]), "bad_address"),
        (
            change(
                vec![],
                (0..GENESIS_VALIDATORS)
                    .map(|i| validator(i).public_key)
                    .collect(),
            ),
            "empty_validator_set",
        ),
    ];
    for (p, expected) in cases {
        refused(&mut c, &op, p, expected);
    }
    assert_eq!(validator_record(&c.state, 1), None);
}

#[test]
pub fn a_set_holds_at_most_the_limit() {
    let mut c = Chain::new(0);
    let op = c.operator.clone();
    let room = MAX_VALIDATORS as u64 - GENESIS_VALIDATORS;
    let first = GENESIS_VALIDATORS + 100;
    // In two transactions, each well under the transaction size limit.
    let half = room / 2;
    ok(&c.exec(
        &op,
        change((first..first + half).map(validator).collect(), vec![]),
    ));
    ok(&c.exec(
        &op,
        change(
            (first + half..first + room).map(validator).collect(),
            vec![],
        ),
    ));
    assert_eq!(validators_at(&c.state, 1).len(), MAX_VALIDATORS);
    refused(
        &mut c,
        &op,
        change(vec![validator(first + room)], vec![]),
        "too_many_validators",
    );
    // Swapping one for another keeps the size and is fine.
    ok(&c.exec(
        &op,
        change(vec![validator(first + room)], vec![validator(0).public_key]),
    ));
    assert_eq!(validators_at(&c.state, 1).len(), MAX_VALIDATORS);
}

#[test]
pub fn invariants_catch_malformed_validator_records() {
    let mut c = Chain::new(0);
    let op = c.operator.clone();
    ok(&c.exec(&op, change(vec![validator(10)], vec![])));
    check_invariants(&c.state).unwrap();

    let mut s = c.state.clone();
    s.insert(StateKey::ValidatorSet(1), StateValue::ValidatorSet(vec![]));
    assert!(check_invariants(&s).is_err());

    let mut s = c.state.clone();
    let mut unsorted = validators_at(&c.state, 1);
    unsorted.reverse();
    s.insert(
        StateKey::ValidatorSet(1),
        StateValue::ValidatorSet(unsorted),
    );
    assert!(check_invariants(&s).is_err());

    let mut s = c.state.clone();
    let mut twice = validators_at(&c.state, 1);
    twice.push(twice[twice.len() - 1].clone());
    s.insert(StateKey::ValidatorSet(1), StateValue::ValidatorSet(twice));
    assert!(check_invariants(&s).is_err());

    let mut s = c.state.clone();
    let mut bad = validators_at(&c.state, 1);
    bad[0].p2p_addr = "10.0.0.1:0".parse().unwrap();
    s.insert(StateKey::ValidatorSet(1), StateValue::ValidatorSet(bad));
    assert!(check_invariants(&s).is_err());

    let mut s = c.state.clone();
    s.remove(&StateKey::ValidatorSet(0));
    assert!(check_invariants(&s).is_err());

    let mut s = c.state.clone();
    s.insert(StateKey::EpochLength, StateValue::EpochLength(0));
    assert!(check_invariants(&s).is_err());

    let keys_now = keys(&validators_at(&c.state, 1));
    assert_eq!(keys_now.len() as u64, GENESIS_VALIDATORS + 1);
}
