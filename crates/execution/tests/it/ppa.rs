//! Long-term agreements (PPAs) inside the chain: the worked example (PPA served before the spot
//! contracts of an under-delivering seller), months outside the term, termination with notice
//! and by both parties, every failure code, and a property test of many months. The fixture
//! checks the money invariants (and the PPA ones) after every block.
use commonware_codec::{DecodeExt, Encode};
use gridledger_execution::billing::{site_bill, site_p2p};
use gridledger_execution::payments::{lines, PaymentSource};
use gridledger_execution::ppa::{self, MAX_LIVE_PPAS_PER_MARKET, MAX_OPEN_PROPOSALS};
use gridledger_execution::report::bank_report;
use gridledger_execution::test_utils::{addr, code, won, Chain, MarketBuilder, SiteBuilder};
use gridledger_execution::{contracts, settlement_line, StateKey, StateValue};
use gridledger_types::{
    kst_month_start_ms, next_month, Event, Hash32, MarketId, MilliWon, Payload, PaymentKind,
    PeriodKind, PpaStatus, PriceMilliWonPerKwh, PrivateKey, ProposePpa, Receipt, Side, SiteId,
    SubmitIntention,
};
use proptest::prelude::*;

const DAY: u64 = 86_400_000;

fn sid(i: usize) -> SiteId {
    SiteId::new(format!("s{i}")).unwrap()
}

fn mk() -> MarketId {
    MarketId::new("monthly").unwrap()
}

/// 00:00 KST on the 1st of `month`.
fn ms(month: u32) -> u64 {
    kst_month_start_ms(month).unwrap()
}

fn market(id: &str, kind: PeriodKind, active: bool) -> Payload {
    MarketBuilder::default()
        .market(MarketId::new(id).unwrap())
        .period_kind(kind)
        .wheeling_fee(won(10))
        .platform_fee(won(2))
        .active(active)
        .payload()
}

/// Users 0..5 own the household sites s0..s4 (user 4 also owns s5); a monthly uniform-price
/// market `monthly` with 10 + 2 won/kWh fees and no dispute window, an hourly market `rt`;
/// feed-in 100 won/kWh. The clock: 10 July 2025 (KST).
fn setup() -> Chain {
    let mut c = Chain::new(5);
    c.time_ms = ms(202507) + 9 * DAY;
    c.with_billing(100);
    let op = c.operator.clone();
    for i in 0..6 {
        let r = c.exec(
            &op,
            SiteBuilder::default()
                .site(sid(i))
                .owner(c.user(i.min(4)))
                .name(format!("site {i}"))
                .payload(),
        );
        assert_eq!(code(&r), "success");
    }
    assert!(c
        .exec(&op, market("monthly", PeriodKind::Monthly, true))
        .is_success());
    assert!(c
        .exec(&op, market("rt", PeriodKind::Hourly, true))
        .is_success());
    c
}

fn proposal(seller: usize, buyer: usize, kwh: u64, start: u32, end: u32) -> ProposePpa {
    ProposePpa {
        market: mk(),
        seller_site: sid(seller),
        buyer_site: sid(buyer),
        price: won(150),
        start_month: start,
        end_month: end,
        monthly_wh: vec![kwh * 1_000; 12],
        notice_months: 0,
    }
}

/// Signs `p` as `k` and runs it alone in a block: the receipt and the PPA's id.
fn propose_as(c: &mut Chain, k: &PrivateKey, p: ProposePpa) -> (Receipt, Hash32) {
    let tx = c.signed(k, Payload::ProposePpa(p));
    let r = c.run(std::slice::from_ref(&tx)).unwrap().receipts.remove(0);
    (r, tx.hash())
}

/// A PPA proposed by `by` and accepted by the other party.
fn agreed(c: &mut Chain, by: usize, other: usize, p: ProposePpa) -> Hash32 {
    let k = c.users[by].clone();
    let (r, id) = propose_as(c, &k, p);
    assert_eq!(code(&r), "success", "{r:?}");
    let k = c.users[other].clone();
    let r = c.exec(&k, Payload::AcceptPpa { ppa: id });
    assert_eq!(code(&r), "success", "{r:?}");
    id
}

fn intend(c: &mut Chain, user: usize, month: u32, side: Side, kwh: u64, limit_won: u64) {
    let k = c.users[user].clone();
    let r = c.exec(
        &k,
        Payload::SubmitIntention(SubmitIntention {
            market: mk(),
            period_start_ms: ms(month),
            side,
            site: sid(user),
            energy_wh: kwh * 1_000,
            limit: won(limit_won),
        }),
    );
    assert_eq!(code(&r), "success", "{r:?}");
}

/// Sets a site's measured month through an operator correction (adds to what is there).
fn measure(c: &mut Chain, site: usize, month: u32, import_wh: u64, export_wh: u64) {
    let op = c.operator.clone();
    let r = c.exec(
        &op,
        Payload::CorrectReadings(gridledger_types::CorrectReadings {
            site: sid(site),
            month,
            import_adjust_wh: import_wh as i64,
            export_adjust_wh: export_wh as i64,
            reason: "test totals".into(),
        }),
    );
    assert_eq!(code(&r), "success");
}

/// At the start of the next month: clears `month`'s period and settles it.
fn settle(c: &mut Chain, month: u32) -> Receipt {
    c.time_ms = c.time_ms.max(ms(next_month(month)));
    let k = c.users[4].clone();
    let clear = Payload::ClearPeriod {
        market: mk(),
        period_start_ms: ms(month),
    };
    assert_eq!(code(&c.exec(&k, clear)), "success");
    c.exec(
        &k,
        Payload::SettlePeriod {
            market: mk(),
            period_start_ms: ms(month),
        },
    )
}

/// Asserts `p` signed by `k` fails with `expected` and changes nothing but the signer's nonce.
fn fails(c: &mut Chain, k: &PrivateKey, p: Payload, expected: &str) {
    let mut before = c.state.clone();
    let r = c.exec(k, p);
    assert_eq!(code(&r), expected, "{r:?}");
    assert!(r.events.is_empty());
    let mut after = c.state.clone();
    before.remove(&StateKey::Account(addr(k)));
    after.remove(&StateKey::Account(addr(k)));
    assert!(before == after, "a failed transaction changed the state");
}

/// Every key and value of the state decodes to itself (storage reads what execution wrote).
fn round_trips(c: &Chain) {
    for (k, v) in &c.state {
        assert_eq!(&StateKey::decode(k.encode()).unwrap(), k);
        assert_eq!(&StateValue::decode(v.encode()).unwrap(), v);
    }
}

fn ppa_settled(r: &Receipt) -> Vec<&Event> {
    r.events
        .iter()
        .filter(|e| matches!(e, Event::PpaSettled { .. }))
        .collect()
}

#[test]
pub fn worked_example_the_ppa_is_served_before_the_spot_contracts() {
    let mut c = setup();
    // s0 (user 0) sells to s2 (user 2) 100 kWh a month at 150 won in August and September.
    // The buyer proposes; the seller accepts with its own signature.
    let id = agreed(&mut c, 2, 0, proposal(0, 2, 100, 202508, 202509));
    let p = ppa::ppa(&c.state, &id).unwrap();
    assert_eq!(p.status, PpaStatus::Accepted);
    assert_eq!((p.seller.clone(), p.buyer.clone()), (c.user(0), c.user(2)));

    // Spot in August: s0 sells 100 kWh at >= 150 won; s2 buys 40 at <= 250, s3 60 at <= 200.
    intend(&mut c, 0, 202508, Side::Sell, 100, 150);
    intend(&mut c, 2, 202508, Side::Buy, 40, 250);
    intend(&mut c, 3, 202508, Side::Buy, 60, 200);

    // July is before the term: its settlement has nothing for the PPA.
    let r = settle(&mut c, 202507);
    assert_eq!(code(&r), "success", "{r:?}");
    assert!(ppa_settled(&r).is_empty());
    assert_eq!(
        gridledger_execution::settlement::ppa_settlement(&c.state, &id, 202507),
        None
    );

    // Merit order: s2's 250-won buy takes 40 kWh, s3's 200-won buy the other 60; the uniform
    // price is the midpoint of 150 and 200: 175 won.
    let k = c.users[4].clone();
    let r = c.exec(
        &k,
        Payload::ClearPeriod {
            market: mk(),
            period_start_ms: ms(202508),
        },
    );
    assert_eq!(code(&r), "success");
    let cs = contracts(&c.state, &mk(), ms(202508));
    let pairs: Vec<_> = cs
        .iter()
        .map(|x| (x.buyer_site.clone(), x.energy_wh, x.price))
        .collect();
    assert_eq!(
        pairs,
        vec![(sid(2), 40_000, won(175)), (sid(3), 60_000, won(175))]
    );

    // August as measured: s0 exported only 160 kWh of the 200 it promised (100 PPA + 100
    // spot); s2 imported 300 kWh, s3 100.
    measure(&mut c, 0, 202508, 0, 160_000);
    measure(&mut c, 2, 202508, 300_000, 0);
    measure(&mut c, 3, 202508, 100_000, 0);
    c.time_ms = ms(202509);
    let settle_aug = Payload::SettlePeriod {
        market: mk(),
        period_start_ms: ms(202508),
    };
    let r = c.exec(&k, settle_aug.clone());
    assert_eq!(code(&r), "success", "{r:?}");

    // 1. The PPA first: min(profile 100 kWh, s0's export 160, s2's import 300) = 100 kWh.
    //    Left for spot: s0 exports 160 - 100 = 60 kWh; s2 imports 300 - 100 = 200 kWh.
    // 2. Spot, pro rata on the rest: s0's contracts claim 40 + 60 = 100 kWh of its 60 left, so
    //    each delivers 60 %: 40 x 0.6 = 24 kWh to s2, 60 x 0.6 = 36 kWh to s3. The buyers have
    //    enough import left (s2 200 >= 40, s3 100 >= 60).
    //    (Without the PPA's priority all 200 kWh would share 160: the PPA would get 80.)
    let l = gridledger_execution::settlement::ppa_settlement(&c.state, &id, 202508).unwrap();
    assert_eq!(l.delivered_wh, 100_000);
    let spot: Vec<u64> = (0..2)
        .map(|n| {
            settlement_line(&c.state, &mk(), ms(202508), n)
                .unwrap()
                .delivered_wh
        })
        .collect();
    assert_eq!(spot, vec![24_000, 36_000]);

    // The PPA's amounts: energy 100 kWh x 150 won = 15,000 won (a household sells without
    // VAT); wheeling 100 x 10 = 1,000 won + 10 % VAT 100; platform 100 x 2 = 200 won + VAT 20.
    assert_eq!(l.energy_amount, MilliWon(15_000_000));
    assert_eq!(l.energy_vat, MilliWon(0));
    assert_eq!((l.wheeling.0, l.wheeling_vat.0), (1_000_000, 100_000));
    assert_eq!((l.platform.0, l.platform_vat.0), (200_000, 20_000));
    // The receipt: the spot totals, then the PPA. Spot energy 24 x 175 + 36 x 175 = 10,500 won;
    // spot fees 60 kWh x 12 won = 720 won + 72 won VAT.
    assert_eq!(
        r.events,
        vec![
            Event::PeriodSettled {
                market: mk(),
                period_start_ms: ms(202508),
                delivered_wh: 60_000,
                energy_amount: MilliWon(10_500_000),
                fees: MilliWon(792_000),
            },
            Event::PpaSettled {
                ppa: id,
                month: 202508,
                delivered_wh: 100_000,
                energy_amount: MilliWon(15_000_000),
                fees: MilliWon(1_320_000),
            },
        ]
    );
    assert_eq!(code(&c.exec(&k, settle_aug)), "already_settled");

    // s2's bill lines: the PPA's first (payee of the energy: s0's owner), then its contract.
    let u2 = lines(&c.state, 202508, &c.user(2));
    let ppa_lines: Vec<_> = u2
        .iter()
        .filter(|(_, x)| x.source == PaymentSource::Ppa { ppa: id })
        .map(|(_, x)| (x.kind, x.amount.0, x.paid_by.is_some()))
        .collect();
    assert_eq!(
        ppa_lines,
        vec![
            (PaymentKind::Energy, 15_000_000, false),
            (PaymentKind::Wheeling, 1_000_000, false),
            (PaymentKind::WheelingVat, 100_000, false),
            (PaymentKind::Platform, 200_000, false),
            (PaymentKind::PlatformVat, 20_000, false),
        ]
    );
    assert_eq!(u2[0].1.payee, c.user(0));
    assert_eq!(u2.len(), 5 + 5);
    // The P2P totals count the PPA with the spot trades: s0 sold 100 + 60 kWh for
    // 15,000 + 10,500 won; s2 bought 100 + 24 kWh for 16,320 + 4,200 + 316.8 won.
    let p0 = site_p2p(&c.state, &sid(0), 202508);
    assert_eq!((p0.sold_wh, p0.sales.0), (160_000, 25_500_000));
    let p2 = site_p2p(&c.state, &sid(2), 202508);
    assert_eq!(
        (p2.bought_wh, p2.purchases.0),
        (124_000, 16_320_000 + 4_200_000 + 288_000 + 28_800)
    );
    // The bank report of the period covers the PPA's lines too: 5 + 5 + 5.
    let rep = bank_report(&c.state, 202508, Some((&mk(), ms(202508))));
    assert!(rep.balances());
    assert_eq!(rep.lines, 15);
    assert!(c.state.contains_key(&StateKey::PpaByMarket(mk(), id)));
    round_trips(&c);

    // The site bills: s2 took 300 - 124 = 176 kWh from the grid; s0 fed nothing in.
    assert!(c
        .exec(&k, Payload::IssueBills { month: 202508 })
        .is_success());
    assert_eq!(
        site_bill(&c.state, &sid(2), 202508).unwrap().grid_wh,
        176_000
    );
    assert_eq!(site_bill(&c.state, &sid(0), 202508).unwrap().excess_wh, 0);

    // September, no spot trade: s0 exported only 50 kWh, so the PPA delivers 50.
    measure(&mut c, 0, 202509, 0, 50_000);
    measure(&mut c, 2, 202509, 400_000, 0);
    let r = settle(&mut c, 202509);
    assert_eq!(code(&r), "success", "{r:?}");
    assert_eq!(ppa_settled(&r).len(), 1);
    assert_eq!(
        gridledger_execution::settlement::ppa_settlement(&c.state, &id, 202509)
            .unwrap()
            .delivered_wh,
        50_000
    );
    // The term is over: the PPA left the market's index; October settles nothing for it.
    let p = ppa::ppa(&c.state, &id).unwrap();
    assert_eq!(p.months_settled, 2);
    assert!(ppa::live(&c.state, &mk()).is_empty());
    measure(&mut c, 0, 202510, 0, 500_000);
    measure(&mut c, 2, 202510, 500_000, 0);
    let r = settle(&mut c, 202510);
    assert!(ppa_settled(&r).is_empty());
    assert_eq!(
        gridledger_execution::settlement::ppa_settlement(&c.state, &id, 202510),
        None
    );
}

#[test]
pub fn termination_takes_effect_after_the_notice() {
    let mut c = setup();
    // A year from August 2025 with two months' notice, proposed by the seller.
    let mut p = proposal(0, 2, 100, 202508, 202607);
    p.notice_months = 2;
    let id = agreed(&mut c, 0, 2, p);
    for m in [202508, 202509, 202510, 202511, 202512] {
        measure(&mut c, 0, m, 0, 1_000_000);
        measure(&mut c, 2, m, 1_000_000, 0);
    }
    assert!(settle(&mut c, 202508).is_success());
    let aug = gridledger_execution::settlement::ppa_settlement(&c.state, &id, 202508).unwrap();

    // On 15 September the buyer terminates: September and the two full months after it
    // (October, November) still settle; December does not.
    c.time_ms = ms(202509) + 14 * DAY;
    let u2 = c.users[2].clone();
    let r = c.exec(&u2, Payload::TerminatePpa { ppa: id });
    assert_eq!(
        r.events,
        vec![Event::PpaTerminated {
            ppa: id,
            by: c.user(2),
            last_month: 202511,
            mutual: false,
        }]
    );
    fails(
        &mut c,
        &u2,
        Payload::TerminatePpa { ppa: id },
        "already_terminated",
    );
    // The settled August is untouched.
    assert_eq!(
        gridledger_execution::settlement::ppa_settlement(&c.state, &id, 202508),
        Some(aug)
    );

    // A month with a PPA to settle cannot be billed before its period is cleared and settled.
    c.time_ms = ms(202510);
    let k = c.users[4].clone();
    assert_eq!(
        code(&c.exec(&k, Payload::IssueBills { month: 202509 })),
        "periods_unsettled"
    );
    for m in [202509, 202510, 202511] {
        let r = settle(&mut c, m);
        assert_eq!(ppa_settled(&r).len(), 1, "{m}");
    }
    assert!(ppa::live(&c.state, &mk()).is_empty());
    let r = settle(&mut c, 202512);
    assert!(ppa_settled(&r).is_empty());
    assert_eq!(ppa::ppa(&c.state, &id).unwrap().months_settled, 4);
    // After its last month there is nothing left to terminate.
    let u0 = c.users[0].clone();
    fails(&mut c, &u0, Payload::TerminatePpa { ppa: id }, "ppa_ended");
    assert!(c
        .exec(&k, Payload::IssueBills { month: 202509 })
        .is_success());
}

#[test]
pub fn termination_by_both_parties_is_immediate() {
    let mut c = setup();
    let mut p = proposal(0, 2, 100, 202508, 202607);
    p.notice_months = 6;
    let id = agreed(&mut c, 2, 0, p);
    c.time_ms = ms(202509) + 3 * DAY;
    let (u0, u2) = (c.users[0].clone(), c.users[2].clone());
    let r = c.exec(&u0, Payload::TerminatePpa { ppa: id });
    assert!(matches!(
        r.events[0],
        Event::PpaTerminated {
            last_month: 202603,
            mutual: false,
            ..
        }
    ));
    // The buyer agrees: September no longer settles, August still does.
    let r = c.exec(&u2, Payload::TerminatePpa { ppa: id });
    assert!(matches!(
        r.events[0],
        Event::PpaTerminated {
            last_month: 202508,
            mutual: true,
            ..
        }
    ));
    measure(&mut c, 0, 202508, 0, 100_000);
    measure(&mut c, 2, 202508, 100_000, 0);
    assert_eq!(ppa_settled(&settle(&mut c, 202508)).len(), 1);
    assert!(ppa::live(&c.state, &mk()).is_empty());
    assert!(ppa_settled(&settle(&mut c, 202509)).is_empty());

    // Terminated without notice before its start (in October, starting in December), a PPA
    // never settles and leaves the index at once; the other party has nothing left to end.
    let id = agreed(&mut c, 0, 2, proposal(0, 2, 100, 202512, 202612));
    assert_eq!(ppa::live(&c.state, &mk()).len(), 1);
    let r = c.exec(&u0, Payload::TerminatePpa { ppa: id });
    assert!(matches!(
        r.events[0],
        Event::PpaTerminated {
            last_month: 202510,
            ..
        }
    ));
    assert!(ppa::live(&c.state, &mk()).is_empty());
    assert_eq!(ppa::ppa(&c.state, &id).unwrap().months(), 0);
    fails(&mut c, &u2, Payload::TerminatePpa { ppa: id }, "ppa_ended");
}

#[test]
pub fn every_failure_code() {
    let mut c = setup();
    let (u0, u1, u2, u4) = (
        c.users[0].clone(),
        c.users[1].clone(),
        c.users[2].clone(),
        c.users[4].clone(),
    );
    let op = c.operator.clone();
    let good = || proposal(0, 2, 100, 202508, 202607);
    let with = |f: &dyn Fn(&mut ProposePpa)| {
        let mut p = good();
        f(&mut p);
        Payload::ProposePpa(p)
    };
    let cases: Vec<(Payload, &str)> = vec![
        (
            with(&|p| p.market = MarketId::new("none").unwrap()),
            "unknown_market",
        ),
        (
            with(&|p| p.market = MarketId::new("rt").unwrap()),
            "not_monthly",
        ),
        (with(&|p| p.seller_site = sid(9)), "unknown_site"),
        (with(&|p| p.buyer_site = sid(9)), "unknown_site"),
        (with(&|p| p.buyer_site = sid(0)), "self_trade"),
        (with(&|p| p.price = PriceMilliWonPerKwh(0)), "zero_price"),
        (with(&|p| p.price = won(10_001)), "price_too_high"),
        (with(&|p| p.monthly_wh.truncate(11)), "invalid_profile"),
        (with(&|p| p.monthly_wh = vec![]), "invalid_profile"),
        (
            with(&|p| p.monthly_wh[3] = 10_000_000_001),
            "profile_too_large",
        ),
        (with(&|p| p.start_month = 202513), "invalid_month"),
        (with(&|p| p.end_month = 202500), "invalid_month"),
        (with(&|p| p.end_month = 202507), "end_before_start"),
        (with(&|p| p.end_month = 203508), "too_long"),
        (with(&|p| p.start_month = 202507), "start_passed"),
        (
            with(&|p| {
                p.start_month = 202708;
                p.end_month = 202712;
            }),
            "start_too_far",
        ),
        (with(&|p| p.notice_months = 25), "invalid_notice"),
        (with(&|p| p.monthly_wh = vec![0; 12]), "empty_profile"),
        (
            // Energy only in months outside a August-September term.
            with(&|p| {
                p.end_month = 202509;
                p.monthly_wh = vec![1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1];
            }),
            "empty_profile",
        ),
    ];
    for (p, expected) in cases {
        fails(&mut c, &u0, p, expected);
    }
    // Owners only: user 4 owns neither side; both of its own sites make no pair.
    fails(&mut c, &u4, with(&|_| {}), "not_site_owner");
    fails(
        &mut c,
        &u4,
        with(&|p| {
            p.seller_site = sid(4);
            p.buyer_site = sid(5);
        }),
        "self_trade",
    );
    // The longest term and the farthest start are accepted.
    let r = c.exec(&u0, with(&|p| p.end_month = 203507));
    assert_eq!(code(&r), "success", "{r:?}");
    let r = c.exec(
        &u0,
        with(&|p| {
            p.start_month = 202707;
            p.end_month = 202707;
        }),
    );
    assert_eq!(code(&r), "success", "{r:?}");

    // Accepting.
    let (r, id) = propose_as(&mut c, &u0, good());
    assert!(r.is_success());
    let accept = Payload::AcceptPpa { ppa: id };
    fails(
        &mut c,
        &u2,
        Payload::AcceptPpa {
            ppa: Hash32::digest(&[b"none"]),
        },
        "unknown_ppa",
    );
    fails(&mut c, &u1, accept.clone(), "not_a_party");
    fails(&mut c, &u0, accept.clone(), "own_proposal");
    fails(
        &mut c,
        &u0,
        Payload::TerminatePpa { ppa: id },
        "not_accepted",
    );
    // The market is paused: no acceptance.
    assert!(c
        .exec(&op, market("monthly", PeriodKind::Monthly, false))
        .is_success());
    fails(&mut c, &u2, accept.clone(), "market_inactive");
    fails(&mut c, &u0, with(&|_| {}), "market_inactive");
    assert!(c
        .exec(&op, market("monthly", PeriodKind::Monthly, true))
        .is_success());
    assert!(c.exec(&u2, accept.clone()).is_success());
    fails(&mut c, &u2, accept.clone(), "already_accepted");
    fails(
        &mut c,
        &u0,
        Payload::WithdrawPpa { ppa: id },
        "already_accepted",
    );
    fails(
        &mut c,
        &u1,
        Payload::TerminatePpa { ppa: id },
        "not_a_party",
    );
    fails(
        &mut c,
        &u1,
        Payload::TerminatePpa {
            ppa: Hash32::digest(&[b"none"]),
        },
        "unknown_ppa",
    );
    // A market with live PPAs keeps its monthly periods.
    fails(
        &mut c,
        &op,
        market("monthly", PeriodKind::Hourly, true),
        "period_kind_fixed",
    );

    // Withdrawing (the proposer) and rejecting (the other party) before acceptance.
    let (_, w) = propose_as(&mut c, &u0, good());
    fails(&mut c, &u1, Payload::WithdrawPpa { ppa: w }, "not_a_party");
    let r = c.exec(&u2, Payload::WithdrawPpa { ppa: w });
    assert_eq!(
        r.events,
        vec![Event::PpaWithdrawn {
            ppa: w,
            by: c.user(2)
        }]
    );
    fails(&mut c, &u2, Payload::AcceptPpa { ppa: w }, "ppa_closed");
    fails(&mut c, &u0, Payload::WithdrawPpa { ppa: w }, "ppa_closed");
    assert_eq!(ppa::ppa(&c.state, &w).unwrap().status, PpaStatus::Withdrawn);

    // Too late: the term has started. Settling August then lapses the proposal.
    let (_, late) = propose_as(&mut c, &u2, good());
    c.time_ms = ms(202508);
    fails(
        &mut c,
        &u0,
        Payload::AcceptPpa { ppa: late },
        "start_passed",
    );
    assert!(settle(&mut c, 202508).is_success());
    assert_eq!(ppa::ppa(&c.state, &late).unwrap().status, PpaStatus::Lapsed);
    fails(&mut c, &u0, Payload::AcceptPpa { ppa: late }, "ppa_closed");
}

#[test]
pub fn a_market_holds_a_bounded_number_of_live_ppas() {
    let mut c = setup();
    let (u0, u2) = (c.users[0].clone(), c.users[2].clone());
    let p = || Payload::ProposePpa(proposal(0, 2, 1, 202508, 202508));
    // Rounds of proposals by s0's owner, accepted by s2's owner; the last round stays open.
    let rounds = MAX_LIVE_PPAS_PER_MARKET / MAX_OPEN_PROPOSALS;
    let mut open = Vec::new();
    for round in 0..rounds {
        let n0 = gridledger_execution::account(&c.state, &c.user(0)).nonce;
        let txs: Vec<_> = (0..MAX_OPEN_PROPOSALS as u64)
            .map(|i| c.signed_nonce(&u0, n0 + i, p()))
            .collect();
        let out = c.run(&txs).unwrap();
        assert!(out.receipts.iter().all(Receipt::is_success));
        if round + 1 == rounds {
            open = txs.iter().map(|t| t.hash()).collect();
            break;
        }
        let n2 = gridledger_execution::account(&c.state, &c.user(2)).nonce;
        let accepts: Vec<_> = txs
            .iter()
            .enumerate()
            .map(|(i, t)| c.signed_nonce(&u2, n2 + i as u64, Payload::AcceptPpa { ppa: t.hash() }))
            .collect();
        let out = c.run(&accepts).unwrap();
        assert!(out.receipts.iter().all(Receipt::is_success));
    }
    // One party cannot hold more than its share of open proposals...
    fails(&mut c, &u0, p(), "too_many_proposals");
    // ...and the market holds at most its limit of live PPAs.
    fails(&mut c, &u2, p(), "too_many_ppas");
    // Rejecting one makes room.
    let r = c.exec(&u2, Payload::WithdrawPpa { ppa: open[0] });
    assert!(r.is_success());
    let r = c.exec(&u2, p());
    assert!(r.is_success(), "{r:?}");
}

/// One PPA s0 -> s2 over a few months with spot trading beside it, random meters and a random
/// termination.
#[derive(Debug, Clone)]
struct Scenario {
    profile_kwh: Vec<u64>,
    months: u32,
    notice: u32,
    /// Per month: s0's export, s2's import, s3's import (kWh), spot kWh s0 -> s3.
    meters: Vec<(u64, u64, u64, u64)>,
    /// Terminate in this month (index), by the seller, and by the buyer too.
    terminate: Option<(u32, bool, bool)>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        proptest::collection::vec(0u64..200, 12),
        1u32..5,
        0u32..3,
        proptest::collection::vec((0u64..300, 0u64..300, 0u64..300, 0u64..150), 6),
        proptest::option::of((0u32..6, any::<bool>(), any::<bool>())),
    )
        .prop_map(
            |(profile_kwh, months, notice, meters, terminate)| Scenario {
                profile_kwh,
                months,
                notice,
                meters,
                terminate,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn ppa_months_settle_once_within_meters_and_money_is_conserved(sc in scenario()) {
        let mut c = setup();
        let start = 202508u32;
        let mut end = start;
        for _ in 1..sc.months {
            end = next_month(end);
        }
        let mut p = proposal(0, 2, 0, start, end);
        p.monthly_wh = sc.profile_kwh.iter().map(|k| k * 1_000).collect();
        p.notice_months = sc.notice;
        let u0 = c.users[0].clone();
        let (r, id) = propose_as(&mut c, &u0, p);
        if code(&r) == "empty_profile" {
            return Ok(());
        }
        prop_assert_eq!(code(&r), "success");
        let u2 = c.users[2].clone();
        let accepted = c.exec(&u2, Payload::AcceptPpa { ppa: id });
        prop_assert!(accepted.is_success());

        let mut month = start;
        let all: Vec<u32> = (0..6)
            .map(|_| {
                let m = month;
                month = next_month(month);
                m
            })
            .collect();
        // Spot intentions for every month, before the first gate.
        for (m, (_, _, _, spot)) in all.iter().zip(&sc.meters) {
            if *spot > 0 {
                intend(&mut c, 0, *m, Side::Sell, *spot, 100);
                intend(&mut c, 3, *m, Side::Buy, *spot, 200);
            }
        }
        for (i, (m, (export0, import2, import3, _))) in all.iter().zip(&sc.meters).enumerate() {
            measure(&mut c, 0, *m, 0, export0 * 1_000);
            measure(&mut c, 2, *m, import2 * 1_000, 0);
            measure(&mut c, 3, *m, import3 * 1_000, 0);
            if let Some((t, by_seller, both)) = sc.terminate {
                if t == i as u32 {
                    c.time_ms = c.time_ms.max(ms(*m) + 10 * DAY);
                    let first = if by_seller { u0.clone() } else { u2.clone() };
                    let second = if by_seller { u2.clone() } else { u0.clone() };
                    let r = c.exec(&first, Payload::TerminatePpa { ppa: id });
                    prop_assert!(["success", "ppa_ended"].contains(&code(&r)), "{:?}", r);
                    if both {
                        let r = c.exec(&second, Payload::TerminatePpa { ppa: id });
                        prop_assert!(["success", "ppa_ended"].contains(&code(&r)), "{:?}", r);
                    }
                }
            }
            let r = settle(&mut c, *m);
            prop_assert_eq!(code(&r), "success", "{:?}", r);
            let k = c.users[4].clone();
            let again = Payload::SettlePeriod { market: mk(), period_start_ms: ms(*m) };
            let twice = c.exec(&k, again);
            prop_assert_eq!(code(&twice), "already_settled");

            let ppa_now = ppa::ppa(&c.state, &id).unwrap();
            let line = gridledger_execution::settlement::ppa_settlement(&c.state, &id, *m);
            prop_assert_eq!(line.is_some(), ppa_now.active_in(*m));
            if let Some(l) = line {
                // Never more than the profile, the seller's export or the buyer's import.
                let want = sc.profile_kwh[(*m % 100 - 1) as usize] * 1_000;
                prop_assert!(l.delivered_wh <= want);
                prop_assert!(l.delivered_wh <= export0 * 1_000);
                prop_assert!(l.delivered_wh <= import2 * 1_000);
                // Served first: it gets all it can.
                prop_assert_eq!(l.delivered_wh, want.min(export0 * 1_000).min(import2 * 1_000));
                // Its lines were recorded once: they sum to the line's total.
                let billed: u64 = lines(&c.state, *m, &c.user(2))
                    .iter()
                    .filter(|(_, x)| x.source == PaymentSource::Ppa { ppa: id })
                    .map(|(_, x)| x.amount.0)
                    .sum();
                prop_assert_eq!(billed, l.total().unwrap().0);
            }
            // The spot trades took no more than the meters left after the PPA.
            let ppa_wh = line.map(|l| l.delivered_wh).unwrap_or(0);
            let spot_wh: u64 = (0..contracts(&c.state, &mk(), ms(*m)).len() as u32)
                .filter_map(|n| settlement_line(&c.state, &mk(), ms(*m), n))
                .map(|l| l.delivered_wh)
                .sum();
            prop_assert!(ppa_wh + spot_wh <= export0 * 1_000);
        }
        let fin = ppa::ppa(&c.state, &id).unwrap();
        prop_assert_eq!(fin.months_settled, fin.months());
        prop_assert!(fin.last_month <= end);
        prop_assert!(ppa::live(&c.state, &mk()).is_empty());
    }
}
