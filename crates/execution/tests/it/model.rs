//! Random workloads against a reference model (TigerBeetle style): after every block the real
//! state must equal the model's balances, holds and supply, every receipt must have the status the
//! model predicts, money is neither created nor destroyed except by mint and burn, and
//! `check_invariants` passes.
use gridledger_execution::test_utils::{code, Chain};
use gridledger_execution::{account, check_invariants, hold, supply};
use gridledger_types::{Event, Hash32, MilliWon, Payload, SignedTransaction};
use proptest::prelude::*;
use std::collections::BTreeMap;

const USERS: usize = 4;

#[derive(Clone, Debug)]
enum Op {
    Mint {
        to: usize,
        amount: u64,
    },
    Burn {
        who: usize,
        amount: u64,
    },
    Transfer {
        from: usize,
        to: usize,
        amount: u64,
    },
    Place {
        from: usize,
        to: usize,
        amount: u64,
        ttl_ms: i64,
    },
    Release {
        who: usize,
        hold: usize,
    },
    Capture {
        who: usize,
        hold: usize,
        amount: u64,
    },
}

fn amount() -> impl Strategy<Value = u64> {
    prop_oneof![
        1 => Just(0u64),
        10 => 1u64..2_000,
        1 => 0u64..50_000,
        1 => Just(u64::MAX),
        1 => (u64::MAX / 2)..=u64::MAX,
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let u = 0..USERS;
    prop_oneof![
        4 => (u.clone(), amount()).prop_map(|(to, amount)| Op::Mint { to, amount }),
        1 => (u.clone(), amount()).prop_map(|(who, amount)| Op::Burn { who, amount }),
        4 => (u.clone(), u.clone(), amount())
            .prop_map(|(from, to, amount)| Op::Transfer { from, to, amount }),
        // Multiples of 500 ms, like block spacing, so expiry boundaries are hit exactly.
        4 => (u.clone(), u.clone(), amount(), (-4i64..16).prop_map(|t| t * 500))
            .prop_map(|(from, to, amount, ttl_ms)| Op::Place { from, to, amount, ttl_ms }),
        2 => (u.clone(), any::<usize>()).prop_map(|(who, hold)| Op::Release { who, hold }),
        3 => (u.clone(), any::<usize>(), amount())
            .prop_map(|(who, hold, amount)| Op::Capture { who, hold, amount }),
    ]
}

/// Blocks of operations, each with the milliseconds since the previous block.
fn blocks() -> impl Strategy<Value = Vec<(u64, Vec<Op>)>> {
    proptest::collection::vec(
        (
            (0u64..8).prop_map(|d| d * 500),
            proptest::collection::vec(op(), 0..8),
        ),
        1..16,
    )
}

#[derive(Clone, Debug, PartialEq)]
struct ModelHold {
    payer: usize,
    beneficiary: usize,
    amount: u64,
    expires_at_ms: u64,
}

/// The reference: plain maps and the rules written as simply as possible.
#[derive(Default)]
struct Model {
    balance: BTreeMap<usize, u64>,
    held: BTreeMap<usize, u64>,
    holds: BTreeMap<Hash32, ModelHold>,
    /// Every hold ever placed, in order (released ones stay, to exercise `unknown_hold`).
    hold_ids: Vec<Hash32>,
    supply: u64,
}

impl Model {
    fn bal(&self, who: usize) -> u64 {
        self.balance.get(&who).copied().unwrap_or(0)
    }
    fn add(&mut self, who: usize, amount: u64) {
        let b = self
            .bal(who)
            .checked_add(amount)
            .expect("model balance overflow");
        self.balance.insert(who, b);
    }
    fn sub(&mut self, who: usize, amount: u64) {
        let b = self
            .bal(who)
            .checked_sub(amount)
            .expect("model balance negative");
        self.balance.insert(who, b);
    }
    fn add_held(&mut self, who: usize, amount: u64) {
        *self.held.entry(who).or_default() += amount;
    }
    fn sub_held(&mut self, who: usize, amount: u64) {
        let h = self.held.entry(who).or_default();
        *h = h.checked_sub(amount).expect("model held negative");
    }

    /// Applies `op` (as transaction `id` in a block at `now`); returns "success" or the failure
    /// code the chain must report.
    fn apply(&mut self, op: &Op, id: Hash32, now: u64) -> &'static str {
        match *op {
            Op::Mint { to, amount } => {
                if amount == 0 {
                    return "zero_amount";
                }
                let Some(s) = self.supply.checked_add(amount) else {
                    return "overflow";
                };
                self.supply = s;
                self.add(to, amount);
            }
            Op::Burn { who, amount } => {
                if amount == 0 {
                    return "zero_amount";
                }
                if self.bal(who) < amount {
                    return "insufficient_balance";
                }
                self.sub(who, amount);
                self.supply -= amount;
            }
            Op::Transfer { from, to, amount } => {
                if amount == 0 {
                    return "zero_amount";
                }
                if from == to {
                    return "self_transfer";
                }
                if self.bal(from) < amount {
                    return "insufficient_balance";
                }
                self.sub(from, amount);
                self.add(to, amount);
            }
            Op::Place {
                from, to, amount, ..
            } => {
                let expires_at_ms = place_expiry(op, now);
                if amount == 0 {
                    return "zero_amount";
                }
                if from == to {
                    return "self_hold";
                }
                if expires_at_ms <= now {
                    return "expiry_in_past";
                }
                if self.bal(from) < amount {
                    return "insufficient_balance";
                }
                self.sub(from, amount);
                self.add_held(from, amount);
                self.holds.insert(
                    id,
                    ModelHold {
                        payer: from,
                        beneficiary: to,
                        amount,
                        expires_at_ms,
                    },
                );
                self.hold_ids.push(id);
            }
            Op::Release { who, hold } => {
                let Some(h) = self.pick(hold).and_then(|id| self.holds.get(&id).cloned()) else {
                    return "unknown_hold";
                };
                if who == h.beneficiary {
                } else if who == h.payer {
                    if now <= h.expires_at_ms {
                        return "hold_not_expired";
                    }
                } else {
                    return "not_authorized";
                }
                let id = self.pick(hold).unwrap();
                self.holds.remove(&id);
                self.sub_held(h.payer, h.amount);
                self.add(h.payer, h.amount);
            }
            Op::Capture { who, hold, amount } => {
                let Some(h) = self.pick(hold).and_then(|id| self.holds.get(&id).cloned()) else {
                    return "unknown_hold";
                };
                if who != h.beneficiary {
                    return "not_authorized";
                }
                if now > h.expires_at_ms {
                    return "hold_expired";
                }
                if amount > h.amount {
                    return "exceeds_hold";
                }
                let id = self.pick(hold).unwrap();
                self.holds.remove(&id);
                self.sub_held(h.payer, h.amount);
                self.add(h.beneficiary, amount);
                self.add(h.payer, h.amount - amount);
            }
        }
        "success"
    }

    /// The hold an operation names: one ever placed, or none if there are none yet.
    fn pick(&self, i: usize) -> Option<Hash32> {
        (!self.hold_ids.is_empty()).then(|| self.hold_ids[i % self.hold_ids.len()])
    }
}

fn place_expiry(op: &Op, now: u64) -> u64 {
    match *op {
        Op::Place { ttl_ms, .. } => now.saturating_add_signed(ttl_ms),
        _ => unreachable!(),
    }
}

/// The signer and payload of `op` against the model (hold indices resolve through it).
fn payload(c: &Chain, m: &Model, op: &Op, now: u64) -> (usize, Payload) {
    let unknown = Hash32::digest(&[b"no such hold"]);
    match *op {
        Op::Mint { to, amount } => (
            usize::MAX,
            Payload::Mint {
                to: c.user(to),
                amount: MilliWon(amount),
                bank_ref: "dep".into(),
            },
        ),
        Op::Burn { who, amount } => (
            who,
            Payload::Burn {
                amount: MilliWon(amount),
                bank_ref: "wd".into(),
            },
        ),
        Op::Transfer { from, to, amount } => (
            from,
            Payload::Transfer {
                to: c.user(to),
                amount: MilliWon(amount),
                memo: String::new(),
            },
        ),
        Op::Place {
            from, to, amount, ..
        } => (
            from,
            Payload::HoldPlace {
                beneficiary: c.user(to),
                amount: MilliWon(amount),
                expires_at_ms: place_expiry(op, now),
                memo: "h".into(),
            },
        ),
        Op::Release { who, hold } => (
            who,
            Payload::HoldRelease {
                hold: m.pick(hold).unwrap_or(unknown),
            },
        ),
        Op::Capture { who, hold, amount } => (
            who,
            Payload::HoldCapture {
                hold: m.pick(hold).unwrap_or(unknown),
                amount: MilliWon(amount),
            },
        ),
    }
}

fn assert_matches_model(c: &Chain, m: &Model) {
    assert_eq!(supply(&c.state).0, m.supply);
    for i in 0..USERS {
        let a = account(&c.state, &c.user(i));
        assert_eq!(a.balance.0, m.bal(i), "balance of user {i}");
        assert_eq!(
            a.held.0,
            m.held.get(&i).copied().unwrap_or(0),
            "held of user {i}"
        );
    }
    let live: Vec<Hash32> = m.holds.keys().copied().collect();
    for id in &m.hold_ids {
        let real = hold(&c.state, id);
        match m.holds.get(id) {
            None => assert_eq!(real, None),
            Some(h) => {
                let r = real.expect("hold missing on chain");
                assert_eq!(r.payer, c.user(h.payer));
                assert_eq!(r.beneficiary, c.user(h.beneficiary));
                assert_eq!(r.amount.0, h.amount);
                assert_eq!(r.expires_at_ms, h.expires_at_ms);
            }
        }
    }
    let on_chain = c
        .state
        .keys()
        .filter(|k| matches!(k, gridledger_execution::StateKey::Hold(_)))
        .count();
    assert_eq!(on_chain, live.len());
}

fn run_workload(blocks: Vec<(u64, Vec<Op>)>) -> Result<(), TestCaseError> {
    let mut c = Chain::new(USERS);
    let mut m = Model::default();
    let (mut minted, mut burned) = (0u128, 0u128);
    let mut outcomes: BTreeMap<&'static str, usize> = BTreeMap::new();
    for (delta_ms, ops) in blocks {
        let now = c.time_ms + delta_ms;
        // Sign every op with its signer's next nonce in this block; predict its outcome.
        let mut nonces: BTreeMap<usize, u64> = BTreeMap::new();
        let mut txs: Vec<SignedTransaction> = Vec::new();
        let mut expected = Vec::new();
        for op in &ops {
            let (who, p) = payload(&c, &m, op, now);
            let k = if who == usize::MAX {
                c.bank.clone()
            } else {
                c.users[who].clone()
            };
            let n = nonces
                .entry(who)
                .or_insert_with(|| account(&c.state, &gridledger_types::Address::of(&k)).nonce);
            let tx = c.signed_nonce(&k, *n, p);
            *n += 1;
            expected.push(m.apply(op, tx.hash(), now));
            txs.push(tx);
        }
        let out = c
            .run_at(now, &txs)
            .expect("every transaction is includable");
        prop_assert_eq!(out.receipts.len(), txs.len());
        for ((r, want), op) in out.receipts.iter().zip(&expected).zip(&ops) {
            prop_assert_eq!(code(r), *want, "{:?}", op);
            *outcomes.entry(want).or_default() += 1;
            for e in &r.events {
                match e {
                    Event::Minted { amount, .. } => minted += u128::from(amount.0),
                    Event::Burned { amount, .. } => burned += u128::from(amount.0),
                    _ => {}
                }
            }
        }
        assert_matches_model(&c, &m);
        check_invariants(&c.state).map_err(TestCaseError::fail)?;
        prop_assert_eq!(u128::from(supply(&c.state).0), minted - burned);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_workloads_match_the_model_and_conserve_money(blocks in blocks()) {
        run_workload(blocks)?;
    }
}

/// The generator reaches the interesting outcomes (otherwise the property above proves little).
#[test]
pub fn workload_generator_covers_every_outcome() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut seen: BTreeMap<&'static str, usize> = BTreeMap::new();
    for _ in 0..60 {
        let blocks = blocks().new_tree(&mut runner).unwrap().current();
        let mut c = Chain::new(USERS);
        let mut m = Model::default();
        for (delta_ms, ops) in blocks {
            let now = c.time_ms + delta_ms;
            let mut nonces: BTreeMap<usize, u64> = BTreeMap::new();
            let mut txs = Vec::new();
            for op in &ops {
                let (who, p) = payload(&c, &m, op, now);
                let k = if who == usize::MAX {
                    c.bank.clone()
                } else {
                    c.users[who].clone()
                };
                let n = nonces
                    .entry(who)
                    .or_insert_with(|| account(&c.state, &gridledger_types::Address::of(&k)).nonce);
                let tx = c.signed_nonce(&k, *n, p);
                *n += 1;
                *seen.entry(m.apply(op, tx.hash(), now)).or_default() += 1;
                txs.push(tx);
            }
            c.run_at(now, &txs).unwrap();
        }
    }
    for want in [
        "success",
        "zero_amount",
        "overflow",
        "insufficient_balance",
        "self_transfer",
        "self_hold",
        "expiry_in_past",
        "unknown_hold",
        "not_authorized",
        "hold_not_expired",
        "hold_expired",
        "exceeds_hold",
    ] {
        assert!(seen.contains_key(want), "never saw {want}: {seen:?}");
    }
}
