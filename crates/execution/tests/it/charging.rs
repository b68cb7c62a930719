//! EV charging inside the chain: the three transactions of a session and the wallet they move,
//! idempotent stops, expiry refunds at block time, auto-charge, every failure code, and a
//! reference model driven by random operations. The fixture checks the money invariants (and
//! the charging ones) after every block.
use gridledger_execution::test_utils::{addr, code, key, Chain};
use gridledger_execution::{
    account,
    charging::session_cost,
    charging_state::{charger_day, member, member_no_of, member_no_of_card, session},
};
use gridledger_types::{
    kst_day, Address, ChargerId, ChargerKind, ChargingCancel, ChargingPrepay, ConfigureCharging,
    Event, MemberStatus, MilliWon, Payload, PriceMilliWonPerKwh, PrivateKey, Receipt, Role,
    SessionRef, SessionState, SetMember, StopReason, FIRST_MEMBER_NO,
};
use proptest::prelude::*;

const EXPIRY_MS: u64 = 3_600_000;
const PRICE: u64 = 324_400; // 324.4 won/kWh

struct Ev {
    c: Chain,
    op: PrivateKey,
    members: Vec<PrivateKey>,
}

fn cp(i: u32) -> ChargerId {
    ChargerId::new(format!("CP-{i}")).unwrap()
}

fn ok(r: &Receipt) {
    assert!(r.is_success(), "{r:?}");
}

fn charger_payload(id: ChargerId, active: bool) -> Payload {
    Payload::RegisterCharger(gridledger_types::RegisterCharger {
        charger: id,
        kind: ChargerKind::Fast,
        connectors: 2,
        price: PriceMilliWonPerKwh(PRICE),
        idle_fee_per_min: MilliWon(100_000),
        idle_grace_min: 10,
        active,
        label: "B2".into(),
    })
}

/// A charging operator with a 1 h hold expiry, chargers CP-1 and CP-2, and `n` members with
/// 100,000 won each.
fn setup(n: usize) -> Ev {
    let mut c = Chain::new(0);
    let op = key(500);
    let operator = c.operator.clone();
    ok(&c.exec(
        &operator,
        Payload::RegisterParticipant {
            account: addr(&op),
            role: Role::ChargingOperator,
            name: "cpo".into(),
        },
    ));
    ok(&c.exec(
        &op,
        Payload::ConfigureCharging(ConfigureCharging {
            hold_expiry_ms: EXPIRY_MS,
            max_prepay: MilliWon(200_000_000),
            auto_charge_max: MilliWon(50_000_000),
        }),
    ));
    ok(&c.exec(&op, charger_payload(cp(1), true)));
    ok(&c.exec(&op, charger_payload(cp(2), true)));
    let members: Vec<_> = (0..n as u64).map(|i| key(600 + i)).collect();
    let bank = c.bank.clone();
    for (i, m) in members.iter().enumerate() {
        let r = c.exec(
            &op,
            Payload::EnrollMember {
                account: addr(m),
                card: format!("CARD{i}"),
            },
        );
        ok(&r);
        ok(&c.exec(
            &bank,
            Payload::Mint {
                to: addr(m),
                amount: MilliWon(100_000_000),
                bank_ref: format!("top-up-{i}"),
            },
        ));
    }
    Ev { c, op, members }
}

fn prepay(charger: ChargerId, session: u64, payer: Address, amount: u64) -> Payload {
    Payload::ChargingPrepay(ChargingPrepay {
        charger,
        connector: 1,
        session,
        payer,
        amount: MilliWon(amount),
    })
}

fn cancel(charger: ChargerId, session: u64, payer: Address, energy_wh: u64) -> Payload {
    Payload::ChargingCancel(ChargingCancel {
        charger,
        session,
        payer,
        energy_wh,
        idle_min: 0,
        reason: StopReason::Local,
    })
}

fn settle(charger: ChargerId, session: u64, payer: Address) -> Payload {
    Payload::ChargingSettle(SessionRef {
        charger,
        session,
        payer,
    })
}

#[test]
pub fn a_session_is_prepay_cancel_settle_and_the_wallet_pays_exactly_the_cost() {
    let mut e = setup(1);
    let m = e.members[0].clone();
    let me = addr(&m);
    let op = addr(&e.op);
    assert_eq!(member_no_of(&e.c.state, &me), Some(FIRST_MEMBER_NO));
    assert_eq!(
        member_no_of_card(&e.c.state, "CARD0"),
        Some(FIRST_MEMBER_NO)
    );
    let r = e.c.exec(&m, prepay(cp(1), 1, me.clone(), 20_000_000));
    ok(&r);
    let prepay_hash = r.tx_hash;
    assert_eq!(e.c.balance(&me), 80_000_000);
    assert_eq!(account(&e.c.state, &me).held.0, 20_000_000);

    // 12.345 kWh at 324.4 won/kWh = 4,004,718 mKRW (fraction dropped).
    let r =
        e.c.exec(&e.op.clone(), cancel(cp(1), 1, me.clone(), 12_345));
    ok(&r);
    assert!(r.events.contains(&Event::ChargingCancelled {
        charger: cp(1),
        session: 1,
        released: MilliWon(20_000_000),
        cost: MilliWon(4_004_718),
        energy_wh: 12_345,
    }));
    assert_eq!(account(&e.c.state, &me).held.0, 4_004_718);
    assert_eq!(e.c.balance(&me), 100_000_000 - 4_004_718);

    let anyone = e.c.bank.clone();
    let r = e.c.exec(&anyone, settle(cp(1), 1, me.clone()));
    ok(&r);
    assert_eq!(e.c.balance(&me), 100_000_000 - 4_004_718);
    assert_eq!(account(&e.c.state, &me).held.0, 0);
    assert_eq!(e.c.balance(&op), 4_004_718);
    let x = session(&e.c.state, &cp(1), 1).unwrap();
    assert_eq!(x.state, SessionState::Settled);
    assert_eq!(x.prepay_tx, prepay_hash);
    assert_ne!(x.cancel_tx, x.settle_tx);
    let day = charger_day(&e.c.state, &cp(1), kst_day(e.c.time_ms));
    assert_eq!(
        (day.sessions, day.energy_wh, day.revenue.0),
        (1, 12_345, 4_004_718)
    );
    assert_eq!(member(&e.c.state, FIRST_MEMBER_NO).unwrap().open, None);
}

#[test]
pub fn the_cost_never_exceeds_the_hold_and_idle_minutes_past_grace_are_charged() {
    let mut e = setup(1);
    let m = e.members[0].clone();
    let me = addr(&m);
    ok(&e.c.exec(&m, prepay(cp(1), 1, me.clone(), 5_000_000)));
    let x = session(&e.c.state, &cp(1), 1).unwrap();
    assert_eq!(session_cost(&x, 10_000, 0).0, 3_244_000);
    assert_eq!(session_cost(&x, 10_000, 12).0, 3_244_000 + 200_000);
    assert_eq!(session_cost(&x, u64::MAX, u32::MAX).0, 5_000_000);
    let op = e.op.clone();
    let r = e.c.exec(&op, cancel(cp(1), 1, me.clone(), 1_000_000));
    ok(&r);
    ok(&e.c.exec(&op, settle(cp(1), 1, me.clone())));
    assert_eq!(e.c.balance(&me), 95_000_000);
    assert_eq!(e.c.balance(&addr(&op)), 5_000_000);
}

#[test]
pub fn repeated_and_late_stops_change_nothing_but_their_nonce() {
    let mut e = setup(1);
    let m = e.members[0].clone();
    let me = addr(&m);
    let op = e.op.clone();
    ok(&e.c.exec(&m, prepay(cp(1), 1, me.clone(), 20_000_000)));
    ok(&e.c.exec(&op, cancel(cp(1), 1, me.clone(), 1_000)));
    let before = e.c.state.clone();
    assert_eq!(
        code(&e.c.exec(&op, cancel(cp(1), 1, me.clone(), 9_000))),
        "session_not_open"
    );
    ok(&e.c.exec(&op, settle(cp(1), 1, me.clone())));
    assert_eq!(
        code(&e.c.exec(&op, settle(cp(1), 1, me.clone()))),
        "session_settled"
    );
    assert_eq!(
        code(&e.c.exec(&op, cancel(cp(1), 1, me.clone(), 9_000))),
        "session_not_open"
    );
    assert_eq!(
        session(&e.c.state, &cp(1), 1).unwrap().energy_wh,
        session(&before, &cp(1), 1).unwrap().energy_wh
    );
    // The same session id again is refused (idempotent per charger and session).
    assert_eq!(
        code(&e.c.exec(&m, prepay(cp(1), 1, me.clone(), 1_000))),
        "session_exists"
    );
    // A different charger may use the same number.
    ok(&e.c.exec(&m, prepay(cp(2), 1, me.clone(), 1_000)));
}

#[test]
pub fn session_numbers_cannot_jump_far_ahead_or_past_int32() {
    use gridledger_execution::charging::{MAX_SESSION_JUMP, MAX_SESSION_NO};
    let mut e = setup(1);
    let m = e.members[0].clone();
    let me = addr(&m);
    let op = e.op.clone();
    assert_eq!(
        code(&e.c.exec(&m, prepay(cp(1), 0, me.clone(), 1_000))),
        "bad_session"
    );
    assert_eq!(
        code(&e.c.exec(&m, prepay(cp(1), MAX_SESSION_JUMP + 1, me.clone(), 1_000))),
        "bad_session"
    );
    assert_eq!(
        code(&e.c.exec(&m, prepay(cp(1), u64::MAX, me.clone(), 1_000))),
        "bad_session"
    );
    ok(&e
        .c
        .exec(&m, prepay(cp(1), MAX_SESSION_JUMP, me.clone(), 1_000)));
    ok(&e
        .c
        .exec(&op, cancel(cp(1), MAX_SESSION_JUMP, me.clone(), 0)));
    // Out of order within the window is fine (two gateway prepays finalized in either order).
    ok(&e.c.exec(&m, prepay(cp(1), 5, me.clone(), 1_000)));
    assert!(MAX_SESSION_NO <= i32::MAX as u64);
}

#[test]
pub fn one_open_session_per_member() {
    let mut e = setup(1);
    let m = e.members[0].clone();
    let me = addr(&m);
    ok(&e.c.exec(&m, prepay(cp(1), 1, me.clone(), 1_000_000)));
    assert_eq!(
        code(&e.c.exec(&m, prepay(cp(2), 1, me.clone(), 1_000_000))),
        "concurrent_session"
    );
    let op = e.op.clone();
    ok(&e.c.exec(&op, cancel(cp(1), 1, me.clone(), 0)));
    // Cancelled (even before the settle) frees the member for the next session.
    ok(&e.c.exec(&m, prepay(cp(2), 1, me.clone(), 1_000_000)));
}

#[test]
pub fn an_unreported_hold_is_refunded_at_block_time_and_a_late_stop_charges_nothing() {
    let mut e = setup(2);
    let (m0, m1) = (e.members[0].clone(), e.members[1].clone());
    let (a0, a1) = (addr(&m0), addr(&m1));
    ok(&e.c.exec(&m0, prepay(cp(1), 1, a0.clone(), 30_000_000)));
    ok(&e.c.exec(&m1, prepay(cp(2), 1, a1.clone(), 10_000_000)));
    let bank = e.c.bank.clone();
    // Not yet expired: nothing to do.
    assert_eq!(
        code(&e.c.exec(&bank, Payload::ExpireChargingHolds { max: 500 })),
        "nothing_expired"
    );
    let late = e.c.time_ms + EXPIRY_MS + 1;
    let tx = e.c.signed(&bank, Payload::ExpireChargingHolds { max: 1 });
    let out = e.c.run_at(late, &[tx]).unwrap();
    ok(&out.receipts[0]);
    assert_eq!(out.receipts[0].events.len(), 1, "max 1 refunds one");
    assert_eq!(
        session(&e.c.state, &cp(1), 1).unwrap().state,
        SessionState::Refunded
    );
    assert_eq!(e.c.balance(&a0), 100_000_000);
    assert_eq!(account(&e.c.state, &a0).held.0, 0);
    // The stop that comes after the refund is refused and charges nothing.
    let op = e.op.clone();
    assert_eq!(
        code(&e.c.exec(&op, cancel(cp(1), 1, a0.clone(), 50_000))),
        "session_refunded"
    );
    assert_eq!(e.c.balance(&a0), 100_000_000);
    // A member whose open session expired may prepay again: the old one is refunded first.
    let r = e.c.exec(&m1, prepay(cp(1), 2, a1.clone(), 5_000_000));
    ok(&r);
    assert!(matches!(r.events[0], Event::ChargingRefunded { .. }));
    assert_eq!(e.c.balance(&a1), 95_000_000);
    // A cancel after expiry but before the sweep is accepted: the charger did report.
    let tx = e.c.signed(&op, cancel(cp(1), 2, a1.clone(), 1_000));
    let t = e.c.time_ms + 2 * EXPIRY_MS;
    ok(&e.c.run_at(t, &[tx]).unwrap().receipts[0]);
}

#[test]
pub fn auto_charge_lets_the_owner_prepay_within_the_cap_only() {
    let mut e = setup(1);
    let m = e.members[0].clone();
    let me = addr(&m);
    let op = e.op.clone();
    assert_eq!(
        code(&e.c.exec(&op, prepay(cp(1), 1, me.clone(), 1_000))),
        "not_authorised"
    );
    let set = |cap: u64| Payload::SetAutoCharge {
        operator: addr(&op),
        cap: MilliWon(cap),
        valid_until_ms: 0,
    };
    assert_eq!(code(&e.c.exec(&m, set(60_000_000))), "cap_too_high");
    ok(&e.c.exec(&m, set(20_000_000)));
    assert_eq!(
        code(&e.c.exec(&op, prepay(cp(1), 1, me.clone(), 20_000_001))),
        "not_authorised"
    );
    ok(&e.c.exec(&op, prepay(cp(1), 1, me.clone(), 20_000_000)));
    ok(&e.c.exec(&op, cancel(cp(1), 1, me.clone(), 0)));
    ok(&e.c.exec(&m, set(0)));
    assert_eq!(
        code(&e.c.exec(&op, prepay(cp(1), 2, me.clone(), 1_000))),
        "not_authorised"
    );
    // Someone else's key cannot prepay for the member at all.
    let stranger = e.c.bank.clone();
    assert_eq!(
        code(&e.c.exec(&stranger, prepay(cp(1), 3, me.clone(), 1_000))),
        "not_authorised"
    );
}

#[test]
pub fn members_blocked_expired_or_short_cannot_prepay() {
    let mut e = setup(1);
    let m = e.members[0].clone();
    let me = addr(&m);
    let op = e.op.clone();
    let set = |status, until| {
        Payload::SetMember(SetMember {
            member_no: FIRST_MEMBER_NO,
            status,
            valid_until_ms: until,
            card: "CARD0".into(),
        })
    };
    ok(&e.c.exec(&op, set(MemberStatus::Blocked, 0)));
    assert_eq!(
        code(&e.c.exec(&m, prepay(cp(1), 1, me.clone(), 1_000))),
        "member_blocked"
    );
    let past = e.c.time_ms;
    ok(&e.c.exec(&op, set(MemberStatus::Active, past)));
    assert_eq!(
        code(&e.c.exec(&m, prepay(cp(1), 1, me.clone(), 1_000))),
        "member_expired"
    );
    ok(&e.c.exec(&op, set(MemberStatus::Active, 0)));
    assert_eq!(
        code(&e.c.exec(&m, prepay(cp(1), 1, me.clone(), 100_000_001))),
        "insufficient_balance"
    );
    assert_eq!(
        code(&e.c.exec(&m, prepay(cp(1), 1, me.clone(), 0))),
        "bad_amount"
    );
    assert_eq!(
        code(&e.c.exec(&m, prepay(cp(1), 1, me.clone(), 200_000_001))),
        "bad_amount"
    );
    assert_eq!(
        code(&e.c.exec(&m, prepay(cp(9), 1, me.clone(), 1_000))),
        "unknown_charger"
    );
    let mut bad_connector = prepay(cp(1), 1, me.clone(), 1_000);
    if let Payload::ChargingPrepay(p) = &mut bad_connector {
        p.connector = 3;
    }
    assert_eq!(code(&e.c.exec(&m, bad_connector)), "bad_connector");
    ok(&e.c.exec(&op, charger_payload(cp(2), false)));
    assert_eq!(
        code(&e.c.exec(&m, prepay(cp(2), 1, me.clone(), 1_000))),
        "charger_inactive"
    );
    // Nothing above moved money.
    assert_eq!(e.c.balance(&me), 100_000_000);
}

#[test]
pub fn registry_rules_for_operators_chargers_and_members() {
    let mut e = setup(1);
    let other = key(900);
    let operator = e.c.operator.clone();
    ok(&e.c.exec(
        &operator,
        Payload::RegisterParticipant {
            account: addr(&other),
            role: Role::ChargingOperator,
            name: "other cpo".into(),
        },
    ));
    assert_eq!(
        code(&e.c.exec(&other, charger_payload(cp(7), true))),
        "charging_not_configured"
    );
    ok(&e.c.exec(
        &other,
        Payload::ConfigureCharging(ConfigureCharging {
            hold_expiry_ms: EXPIRY_MS,
            max_prepay: MilliWon(1_000),
            auto_charge_max: MilliWon(1_000),
        }),
    ));
    assert_eq!(
        code(&e.c.exec(&other, charger_payload(cp(1), true))),
        "not_charger_owner"
    );
    let bad = Payload::ConfigureCharging(ConfigureCharging {
        hold_expiry_ms: 1,
        max_prepay: MilliWon(1_000),
        auto_charge_max: MilliWon(1_000),
    });
    assert_eq!(code(&e.c.exec(&other, bad)), "bad_expiry");
    let m = e.members[0].clone();
    assert_eq!(
        code(&e.c.exec(&m, charger_payload(cp(8), true))),
        "not_charging_operator"
    );
    // Nobody but a charging operator configures holds or enrols members; only a member sets
    // its own auto-charge.
    let cfg = Payload::ConfigureCharging(ConfigureCharging {
        hold_expiry_ms: EXPIRY_MS,
        max_prepay: MilliWon(1_000),
        auto_charge_max: MilliWon(1_000),
    });
    assert_eq!(code(&e.c.exec(&m, cfg)), "not_charging_operator");
    let enroll = Payload::EnrollMember {
        account: addr(&key(902)),
        card: "CARD9".into(),
    };
    assert_eq!(code(&e.c.exec(&m, enroll)), "not_charging_operator");
    let auto = Payload::SetAutoCharge {
        operator: addr(&other),
        cap: MilliWon(1_000),
        valid_until_ms: 0,
    };
    assert_eq!(code(&e.c.exec(&other, auto)), "not_a_member");
    // A card belongs to one member; an account is enrolled once.
    let op = e.op.clone();
    let r = e.c.exec(
        &op,
        Payload::EnrollMember {
            account: addr(&key(901)),
            card: "CARD0".into(),
        },
    );
    assert_eq!(code(&r), "card_in_use");
    let r = e.c.exec(
        &op,
        Payload::EnrollMember {
            account: addr(&m),
            card: String::new(),
        },
    );
    assert_eq!(code(&r), "already_registered");
    let r = e.c.exec(
        &other,
        Payload::SetMember(SetMember {
            member_no: FIRST_MEMBER_NO,
            status: MemberStatus::Blocked,
            valid_until_ms: 0,
            card: String::new(),
        }),
    );
    assert_eq!(code(&r), "not_member_operator");
    // Only the owner cancels; the payer must match.
    let me = addr(&m);
    ok(&e.c.exec(&m, prepay(cp(1), 1, me.clone(), 1_000)));
    assert_eq!(
        code(&e.c.exec(&other, cancel(cp(1), 1, me.clone(), 0))),
        "not_charger_owner"
    );
    assert_eq!(
        code(&e.c.exec(&op, cancel(cp(1), 1, addr(&op), 0))),
        "wrong_payer"
    );
    assert_eq!(
        code(&e.c.exec(&op, settle(cp(1), 1, me.clone()))),
        "session_not_cancelled"
    );
    assert_eq!(
        code(&e.c.exec(&op, cancel(cp(1), 2, me, 0))),
        "unknown_session"
    );
}

// ---- reference model -----------------------------------------------------------------------

#[derive(Clone, Debug)]
enum Op {
    Prepay {
        m: usize,
        c: u32,
        s: u64,
        amount: u64,
    },
    Cancel {
        m: usize,
        c: u32,
        s: u64,
        energy: u64,
    },
    Settle {
        m: usize,
        c: u32,
        s: u64,
    },
    Expire {
        advance_ms: u64,
    },
    Transfer {
        m: usize,
        amount: u64,
    },
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 1..3u32, 1..5u64, 1..60_000_000u64).prop_map(|(m, c, s, amount)| Op::Prepay {
            m,
            c,
            s,
            amount
        }),
        (0..3usize, 1..3u32, 1..5u64, 0..200_000u64).prop_map(|(m, c, s, energy)| Op::Cancel {
            m,
            c,
            s,
            energy
        }),
        (0..3usize, 1..3u32, 1..5u64).prop_map(|(m, c, s)| Op::Settle { m, c, s }),
        (0..2 * EXPIRY_MS).prop_map(|advance_ms| Op::Expire { advance_ms }),
        (0..3usize, 0..50_000_000u64).prop_map(|(m, amount)| Op::Transfer { m, amount }),
    ]
}

#[derive(Clone, Debug, PartialEq)]
struct ModelSession {
    member: usize,
    hold: u64,
    cost: u64,
    expires: u64,
    state: SessionState,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn the_chain_matches_a_simple_model(ops in proptest::collection::vec(op_strategy(), 1..40)) {
        let mut e = setup(3);
        let op_key = e.op.clone();
        let addrs: Vec<Address> = e.members.iter().map(addr).collect();
        let mut balance = [100_000_000u64; 3];
        let mut held = [0u64; 3];
        let mut owner = 0u64;
        let mut sessions: std::collections::BTreeMap<(u32, u64), ModelSession> = Default::default();
        for op in ops {
            let now = e.c.time_ms + 1_000; // the next block's time
            match op {
                Op::Prepay { m, c, s, amount } => {
                    let r = e.c.exec(&e.members[m].clone(), prepay(cp(c), s, addrs[m].clone(), amount));
                    // Model: the member's open session, refunded first if expired.
                    let open = sessions.iter().find(|(_, x)| x.member == m && x.state == SessionState::Prepaid).map(|(k, x)| (*k, x.clone()));
                    let exists = sessions.contains_key(&(c, s));
                    let mut refund = None;
                    let expect_ok = if exists { false } else {
                        match &open {
                            Some((k, x)) if now > x.expires => { refund = Some(*k); balance[m] + x.hold >= amount }
                            Some(_) => false,
                            None => balance[m] >= amount,
                        }
                    };
                    prop_assert_eq!(r.is_success(), expect_ok, "{:?}", r);
                    if expect_ok {
                        if let Some(k) = refund {
                            let x = sessions.get_mut(&k).unwrap();
                            balance[m] += x.hold; held[m] -= x.hold; x.state = SessionState::Refunded;
                        }
                        balance[m] -= amount; held[m] += amount;
                        sessions.insert((c, s), ModelSession { member: m, hold: amount, cost: 0, expires: now + EXPIRY_MS, state: SessionState::Prepaid });
                    }
                }
                Op::Cancel { m, c, s, energy } => {
                    let r = e.c.exec(&op_key, cancel(cp(c), s, addrs[m].clone(), energy));
                    let expect_ok = matches!(sessions.get(&(c, s)), Some(x) if x.member == m && x.state == SessionState::Prepaid);
                    prop_assert_eq!(r.is_success(), expect_ok, "{:?}", r);
                    if expect_ok {
                        let x = sessions.get_mut(&(c, s)).unwrap();
                        let cost = ((u128::from(energy) * u128::from(PRICE)) / 1000).min(u128::from(x.hold)) as u64;
                        balance[m] += x.hold - cost; held[m] -= x.hold - cost;
                        x.cost = cost; x.state = SessionState::Cancelled;
                    }
                }
                Op::Settle { m, c, s } => {
                    let bank = e.c.bank.clone();
                    let r = e.c.exec(&bank, settle(cp(c), s, addrs[m].clone()));
                    let expect_ok = matches!(sessions.get(&(c, s)), Some(x) if x.member == m && x.state == SessionState::Cancelled);
                    prop_assert_eq!(r.is_success(), expect_ok, "{:?}", r);
                    if expect_ok {
                        let x = sessions.get_mut(&(c, s)).unwrap();
                        held[m] -= x.cost; owner += x.cost; x.state = SessionState::Settled;
                    }
                }
                Op::Expire { advance_ms } => {
                    let bank = e.c.bank.clone();
                    let t = e.c.time_ms + 1_000 + advance_ms;
                    let tx = e.c.signed(&bank, Payload::ExpireChargingHolds { max: 500 });
                    let r = e.c.run_at(t, &[tx]).unwrap().receipts.remove(0);
                    let mut any = false;
                    for x in sessions.values_mut() {
                        if x.state == SessionState::Prepaid && t > x.expires {
                            balance[x.member] += x.hold; held[x.member] -= x.hold;
                            x.state = SessionState::Refunded; any = true;
                        }
                    }
                    prop_assert_eq!(r.is_success(), any, "{:?}", r);
                }
                Op::Transfer { m, amount } => {
                    let to = addr(&e.c.bank);
                    let r = e.c.exec(&e.members[m].clone(), Payload::Transfer { to, amount: MilliWon(amount), memo: String::new() });
                    prop_assert_eq!(r.is_success(), balance[m] >= amount, "{:?}", r);
                    if r.is_success() { balance[m] -= amount; }
                }
            }
            for m in 0..3 {
                let a = account(&e.c.state, &addrs[m]);
                prop_assert_eq!((a.balance.0, a.held.0), (balance[m], held[m]), "member {}", m);
            }
            prop_assert_eq!(e.c.balance(&addr(&op_key)), owner);
            for ((c, s), x) in &sessions {
                let got = session(&e.c.state, &cp(*c), *s).unwrap();
                prop_assert_eq!(got.state, x.state);
                prop_assert_eq!(got.cost.0, x.cost);
            }
        }
    }
}

#[test]
pub fn every_charging_key_and_value_round_trips_with_its_exact_size() {
    use commonware_codec::{DecodeExt, Encode, EncodeSize};
    use gridledger_execution::{StateKey, StateValue};
    let mut e = setup(3);
    let (m0, m1, m2) = (
        e.members[0].clone(),
        e.members[1].clone(),
        e.members[2].clone(),
    );
    let op = e.op.clone();
    ok(&e.c.exec(&m0, prepay(cp(1), 1, addr(&m0), 1_000_000)));
    ok(&e.c.exec(&m1, prepay(cp(2), 1, addr(&m1), 1_000_000)));
    ok(&e.c.exec(&m2, prepay(cp(1), 2, addr(&m2), 1_000_000)));
    ok(&e.c.exec(&op, cancel(cp(2), 1, addr(&m1), 10)));
    ok(&e.c.exec(&op, cancel(cp(1), 2, addr(&m2), 10)));
    ok(&e.c.exec(&op, settle(cp(1), 2, addr(&m2))));
    ok(&e.c.exec(
        &m0,
        Payload::SetAutoCharge {
            operator: addr(&op),
            cap: MilliWon(5),
            valid_until_ms: 0,
        },
    ));
    let mut kinds = std::collections::BTreeSet::new();
    for (k, v) in &e.c.state {
        let (ke, ve) = (k.encode(), v.encode());
        assert_eq!(ke.len(), k.encode_size());
        assert_eq!(ve.len(), v.encode_size());
        assert_eq!(&StateKey::decode(ke).unwrap(), k);
        assert_eq!(&StateValue::decode(ve).unwrap(), v);
        kinds.insert(k.encode()[0]);
    }
    for tag in 25u8..=33 {
        assert!(kinds.contains(&tag), "no state key with tag {tag}");
    }
}
