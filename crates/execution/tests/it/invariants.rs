//! `check_invariants` catches broken states (so its passing in other tests means something).
use gridledger_execution::test_utils::{Chain, FAR_MS};
use gridledger_execution::{check_invariants, hold, AccountState, StateKey, StateValue};
use gridledger_types::{MilliWon, Payload};

#[test]
pub fn invariants_catch_created_money_and_unbacked_holds() {
    let mut c = Chain::new(2);
    c.fund(0, 1_000);
    let tx = c.signed(
        &c.users[0],
        Payload::HoldPlace {
            beneficiary: c.user(1),
            amount: MilliWon(300),
            expires_at_ms: FAR_MS,
            memo: String::new(),
        },
    );
    assert!(c.run(std::slice::from_ref(&tx)).unwrap().receipts[0].is_success());
    check_invariants(&c.state).unwrap();

    let mut s = c.state.clone();
    s.insert(StateKey::Supply, StateValue::Supply(MilliWon(999)));
    assert!(check_invariants(&s).is_err());

    // Moving held into balance keeps the total but breaks the hold accounting.
    let mut s = c.state.clone();
    s.insert(
        StateKey::Account(c.user(0)),
        StateValue::Account(AccountState {
            balance: MilliWon(1_000),
            held: MilliWon(0),
            nonce: 1,
        }),
    );
    assert!(check_invariants(&s).is_err());

    let mut s = c.state.clone();
    let mut h = hold(&s, &tx.hash()).unwrap();
    h.amount = MilliWon(200);
    s.insert(StateKey::Hold(tx.hash()), StateValue::Hold(h));
    assert!(check_invariants(&s).is_err());

    let mut s = c.state.clone();
    s.insert(StateKey::Supply, StateValue::Supply(MilliWon(1_000)));
    s.insert(StateKey::Device(c.user(0)), StateValue::Supply(MilliWon(0)));
    assert!(check_invariants(&s).is_err());
}
