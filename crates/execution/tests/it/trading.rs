//! Markets, intentions and clearing inside the chain: the worked example, gate rules,
//! cancellation and ownership.
use gridledger_execution::test_utils::{code, won, Chain, MarketBuilder, SiteBuilder};
use gridledger_execution::{contracts, intentions, period};
use gridledger_types::{
    kst_month_start_ms, Event, MarketId, Payload, PeriodKind, Pricing, Side, SiteId,
    SubmitIntention,
};

fn mk() -> MarketId {
    MarketId::new("monthly").unwrap()
}

/// Four users with sites s0..s3 (feeder = i % 2) and a uniform-price monthly market; the clock
/// a day before August 2025 (KST).
fn setup(pricing: Pricing) -> (Chain, u64) {
    let mut c = Chain::new(4);
    let aug = kst_month_start_ms(202508).unwrap();
    c.time_ms = aug - 86_400_000;
    c.with_billing(100);
    let op = c.operator.clone();
    for i in 0..4 {
        let owner = c.user(i);
        let r = c.exec(
            &op,
            SiteBuilder::default()
                .site(SiteId::new(format!("s{i}")).unwrap())
                .owner(owner)
                .feeder((i % 2) as u32)
                .name(format!("site {i}"))
                .payload(),
        );
        assert_eq!(code(&r), "success");
    }
    let r = c.exec(
        &op,
        MarketBuilder::default()
            .market(mk())
            .pricing(pricing)
            .wheeling_fee(won(10))
            .platform_fee(won(2))
            .payload(),
    );
    assert_eq!(code(&r), "success");
    (c, aug)
}

fn intend(c: &mut Chain, user: usize, period: u64, side: Side, kwh: u64, limit_won: u64) -> String {
    let k = c.users[user].clone();
    let r = c.exec(
        &k,
        Payload::SubmitIntention(SubmitIntention {
            market: mk(),
            period_start_ms: period,
            side,
            site: SiteId::new(format!("s{user}")).unwrap(),
            energy_wh: kwh * 1_000,
            limit: won(limit_won),
        }),
    );
    code(&r).to_string()
}

#[test]
pub fn worked_example_uniform_price() {
    let (mut c, aug) = setup(Pricing::Uniform);
    // Sells: 100 kWh at >= 150 won (s0), 50 kWh at >= 180 won (s1).
    // Buys: 60 kWh at <= 250 won (s2), 90 kWh at <= 200 won (s3).
    assert_eq!(intend(&mut c, 0, aug, Side::Sell, 100, 150), "success");
    assert_eq!(intend(&mut c, 1, aug, Side::Sell, 50, 180), "success");
    assert_eq!(intend(&mut c, 2, aug, Side::Buy, 60, 250), "success");
    assert_eq!(intend(&mut c, 3, aug, Side::Buy, 90, 200), "success");
    assert_eq!(intentions(&c.state, &mk(), aug).len(), 4);

    // Before gate closure (00:00 KST Aug 1) nobody can clear.
    let k = c.users[0].clone();
    let r = c.exec(
        &k,
        Payload::ClearPeriod {
            market: mk(),
            period_start_ms: aug,
        },
    );
    assert_eq!(code(&r), "gate_open");

    // At gate closure anyone may clear. Merit order: the 250-won buy takes 60 kWh of the
    // 150-won sell; the 200-won buy takes its remaining 40 kWh and 50 kWh of the 180-won sell.
    // Uniform price: midpoint of the highest accepted sell (180) and lowest accepted buy (200).
    c.time_ms = aug - 1_000;
    let r = c.exec(
        &k,
        Payload::ClearPeriod {
            market: mk(),
            period_start_ms: aug,
        },
    );
    assert_eq!(code(&r), "success");
    match &r.events[0] {
        Event::PeriodCleared {
            contracts,
            matched_wh,
            clearing_price,
            ..
        } => {
            assert_eq!(
                (*contracts, *matched_wh, *clearing_price),
                (3, 150_000, Some(won(190)))
            );
        }
        e => panic!("{e:?}"),
    }
    let cs = contracts(&c.state, &mk(), aug);
    let got: Vec<(String, String, u64, u64)> = cs
        .iter()
        .map(|x| {
            (
                x.seller_site.to_string(),
                x.buyer_site.to_string(),
                x.energy_wh,
                x.price.0,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("s0".into(), "s2".into(), 60_000, 190_000),
            ("s0".into(), "s3".into(), 40_000, 190_000),
            ("s1".into(), "s3".into(), 50_000, 190_000),
        ]
    );
    let filled: Vec<u64> = intentions(&c.state, &mk(), aug)
        .iter()
        .map(|(_, i)| i.filled_wh)
        .collect();
    assert_eq!(filled, vec![100_000, 50_000, 60_000, 90_000]);
    assert!(period(&c.state, &mk(), aug).cleared);

    // Closed and cleared: no more intentions, no second clearing.
    assert_eq!(intend(&mut c, 0, aug, Side::Sell, 1, 100), "gate_closed");
    let r = c.exec(
        &k,
        Payload::ClearPeriod {
            market: mk(),
            period_start_ms: aug,
        },
    );
    assert_eq!(code(&r), "already_cleared");
}

#[test]
pub fn pay_as_bid_prices_each_pair_at_its_midpoint() {
    let (mut c, aug) = setup(Pricing::PayAsBid);
    intend(&mut c, 0, aug, Side::Sell, 100, 150);
    intend(&mut c, 2, aug, Side::Buy, 60, 250);
    c.time_ms = aug;
    let k = c.users[1].clone();
    assert_eq!(
        code(&c.exec(
            &k,
            Payload::ClearPeriod {
                market: mk(),
                period_start_ms: aug
            }
        )),
        "success"
    );
    let cs = contracts(&c.state, &mk(), aug);
    assert_eq!(
        (cs.len(), cs[0].energy_wh, cs[0].price),
        (1, 60_000, won(200))
    );
}

#[test]
pub fn intention_rules() {
    let (mut c, aug) = setup(Pricing::Uniform);
    // Only the site's owner trades for it (or a sales company under its mandate: mandates.rs).
    let k = c.users[1].clone();
    let r = c.exec(
        &k,
        Payload::SubmitIntention(SubmitIntention {
            market: mk(),
            period_start_ms: aug,
            side: Side::Sell,
            site: SiteId::new("s0").unwrap(),
            energy_wh: 1_000,
            limit: won(1),
        }),
    );
    assert_eq!(code(&r), "not_site_owner");
    // Periods must start a KST month; energy must be positive; buys need a limit.
    assert_eq!(
        intend(&mut c, 0, aug + 1, Side::Sell, 1, 100),
        "invalid_period"
    );
    assert_eq!(intend(&mut c, 0, aug, Side::Sell, 0, 100), "zero_energy");
    assert_eq!(intend(&mut c, 2, aug, Side::Buy, 1, 0), "zero_limit");
    // Cancellation before the gate removes the intention from pairing.
    let k0 = c.users[0].clone();
    let tx = c.signed(
        &k0,
        Payload::SubmitIntention(SubmitIntention {
            market: mk(),
            period_start_ms: aug,
            side: Side::Sell,
            site: SiteId::new("s0").unwrap(),
            energy_wh: 10_000,
            limit: won(100),
        }),
    );
    let id = tx.hash();
    c.run(&[tx]).unwrap();
    assert_eq!(intend(&mut c, 2, aug, Side::Buy, 10, 300), "success");
    let k2 = c.users[2].clone();
    assert_eq!(
        code(&c.exec(&k2, Payload::CancelIntention { intention: id })),
        "not_authorized"
    );
    assert_eq!(
        code(&c.exec(&k0, Payload::CancelIntention { intention: id })),
        "success"
    );
    assert_eq!(
        code(&c.exec(&k0, Payload::CancelIntention { intention: id })),
        "already_cancelled"
    );
    c.time_ms = aug;
    assert_eq!(
        code(&c.exec(
            &k0,
            Payload::ClearPeriod {
                market: mk(),
                period_start_ms: aug
            }
        )),
        "success"
    );
    assert!(contracts(&c.state, &mk(), aug).is_empty());
    // Only the operator configures markets.
    let r = c.exec(
        &k0,
        MarketBuilder::default()
            .market(MarketId::new("rt").unwrap())
            .period_kind(PeriodKind::Hourly)
            .payload(),
    );
    assert_eq!(code(&r), "not_operator");
}

#[test]
pub fn contracts_need_both_parties_within_the_window() {
    let (mut c, aug) = setup(Pricing::Uniform);
    let op = c.operator.clone();
    let day = 86_400_000;
    let r = c.exec(
        &op,
        MarketBuilder::default()
            .market(mk())
            .approval_window_ms(day)
            .payload(),
    );
    assert_eq!(code(&r), "success");
    intend(&mut c, 0, aug, Side::Sell, 100, 150);
    intend(&mut c, 2, aug, Side::Buy, 60, 250);
    intend(&mut c, 3, aug, Side::Buy, 40, 250);
    c.time_ms = aug;
    let k1 = c.users[1].clone();
    assert_eq!(
        code(&c.exec(
            &k1,
            Payload::ClearPeriod {
                market: mk(),
                period_start_ms: aug
            }
        )),
        "success"
    );
    let cs = contracts(&c.state, &mk(), aug);
    assert_eq!(cs.len(), 2);
    assert!(cs
        .iter()
        .all(|x| !x.approved && x.approval_deadline_ms == aug + 1_000 + day));
    let approve = |n: u32| Payload::ApproveContract {
        market: mk(),
        period_start_ms: aug,
        number: n,
    };
    let (seller, buyer, stranger) = (c.users[0].clone(), c.users[2].clone(), c.users[1].clone());
    assert_eq!(code(&c.exec(&stranger, approve(0))), "not_a_party");
    let r = c.exec(&seller, approve(0));
    assert!(matches!(
        r.events[0],
        Event::ContractApproved {
            approved: false,
            ..
        }
    ));
    let r = c.exec(&buyer, approve(0));
    assert!(matches!(
        r.events[0],
        Event::ContractApproved { approved: true, .. }
    ));
    assert!(contracts(&c.state, &mk(), aug)[0].approved);
    assert_eq!(code(&c.exec(&buyer, approve(0))), "already_approved");
    assert_eq!(code(&c.exec(&buyer, approve(7))), "unknown_contract");
    // Past the deadline the second contract can no longer be approved: it lapses.
    c.time_ms = aug + 2 * day;
    assert_eq!(code(&c.exec(&seller, approve(1))), "approval_expired");
    assert!(!contracts(&c.state, &mk(), aug)[1].approved);
}

/// Sets a site's measured August through an operator correction (the audited way to state a
/// month's totals without simulating a meter).
fn measure(c: &mut Chain, site: &str, import_kwh: i64, export_kwh: i64) {
    let op = c.operator.clone();
    let r = c.exec(
        &op,
        Payload::CorrectReadings(gridledger_types::CorrectReadings {
            site: SiteId::new(site).unwrap(),
            month: 202508,
            import_adjust_wh: import_kwh * 1_000,
            export_adjust_wh: export_kwh * 1_000,
            reason: "test totals".into(),
        }),
    );
    assert_eq!(code(&r), "success");
}

#[test]
pub fn settlement_delivers_pro_rata_from_measured_values() {
    let (mut c, aug) = setup(Pricing::Uniform);
    // The worked example: contracts s0->s2 60 kWh, s0->s3 40 kWh, s1->s3 50 kWh at 190 won.
    intend(&mut c, 0, aug, Side::Sell, 100, 150);
    intend(&mut c, 1, aug, Side::Sell, 50, 180);
    intend(&mut c, 2, aug, Side::Buy, 60, 250);
    intend(&mut c, 3, aug, Side::Buy, 90, 200);
    c.time_ms = aug;
    let k = c.users[0].clone();
    assert_eq!(
        code(&c.exec(
            &k,
            Payload::ClearPeriod {
                market: mk(),
                period_start_ms: aug
            }
        )),
        "success"
    );
    let settle = Payload::SettlePeriod {
        market: mk(),
        period_start_ms: aug,
    };
    assert_eq!(code(&c.exec(&k, settle.clone())), "period_not_ended");

    // Measured in August: s0 exported only 80 kWh of its 100 contracted; s1 exported 50;
    // s2 imported 100 (more than its 60); s3 imported 60 of its 90.
    measure(&mut c, "s0", 0, 80);
    measure(&mut c, "s1", 0, 50);
    measure(&mut c, "s2", 100, 0);
    measure(&mut c, "s3", 60, 0);
    c.time_ms = kst_month_start_ms(202509).unwrap();
    let r = c.exec(&k, settle.clone());
    assert_eq!(code(&r), "success", "{r:?}");
    // Seller shares: s0's contracts 60 and 40 scaled by 80/100 -> 48 and 32; s1's 50 in full.
    // Buyer shares: s2's 60 in full; s3's 40 and 50 scaled by 60/90 -> 26,666 and 33,333 Wh
    // (rounded down in Wh).
    // Delivered = min(seller share, buyer share): 48,000, 26,666 and 33,333 Wh.
    let lines: Vec<u64> = (0..3)
        .map(|n| {
            gridledger_execution::settlement_line(&c.state, &mk(), aug, n)
                .unwrap()
                .delivered_wh
        })
        .collect();
    assert_eq!(lines, vec![48_000, 26_666, 33_333]);
    // Amounts: delivered x 190 won/kWh, rounded down to a milli-won; fees 10 + 2 won/kWh.
    let l0 = gridledger_execution::settlement_line(&c.state, &mk(), aug, 0).unwrap();
    assert_eq!(l0.energy_amount.0, 48_000 * 190_000 / 1_000);
    assert_eq!(l0.wheeling.0, 48_000 * 10);
    assert_eq!(l0.platform.0, 48_000 * 2);
    let l1 = gridledger_execution::settlement_line(&c.state, &mk(), aug, 1).unwrap();
    assert_eq!(l1.energy_amount.0, 26_666 * 190); // 5,066,540 mKRW
    match &r.events[0] {
        Event::PeriodSettled {
            delivered_wh, fees, ..
        } => {
            assert_eq!(*delivered_wh, 48_000 + 26_666 + 33_333);
            // Fees per line: wheeling 10 mKRW/Wh + its 10 % VAT, platform 2 mKRW/Wh + its
            // VAT rounded down to a milli-won (households sell without VAT on energy).
            let fee = |d: u64| d * 10 + d + d * 2 + (d * 2) / 10;
            assert_eq!(fees.0, fee(48_000) + fee(26_666) + fee(33_333));
            assert_eq!(fees.0, 633_600 + 351_991 + 439_995);
        }
        e => panic!("{e:?}"),
    }
    // Nobody is credited more than its meter measured.
    assert!(lines[0] + lines[1] <= 80_000);
    assert!(lines[1] + lines[2] <= 60_000);
    assert_eq!(code(&c.exec(&k, settle)), "already_settled");
}

#[test]
pub fn settlement_never_exceeds_contracts_or_meters() {
    // Deterministic pseudo-random books and measurements (an LCG, so failures reproduce).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rnd = |n: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % n
    };
    for _ in 0..20 {
        let (mut c, aug) = setup(Pricing::PayAsBid);
        for u in 0..4 {
            let side = if u < 2 { Side::Sell } else { Side::Buy };
            intend(&mut c, u, aug, side, 1 + rnd(200), 100 + rnd(100));
        }
        c.time_ms = aug;
        let k = c.users[0].clone();
        assert_eq!(
            code(&c.exec(
                &k,
                Payload::ClearPeriod {
                    market: mk(),
                    period_start_ms: aug
                }
            )),
            "success"
        );
        let meters: Vec<(i64, i64)> = (0..4).map(|_| (rnd(250) as i64, rnd(250) as i64)).collect();
        for (u, (i, e)) in meters.iter().enumerate() {
            measure(&mut c, &format!("s{u}"), *i, *e);
        }
        c.time_ms = kst_month_start_ms(202509).unwrap();
        assert_eq!(
            code(&c.exec(
                &k,
                Payload::SettlePeriod {
                    market: mk(),
                    period_start_ms: aug
                }
            )),
            "success"
        );
        let cs = contracts(&c.state, &mk(), aug);
        let mut exported = [0u64; 4];
        let mut imported = [0u64; 4];
        for (n, ct) in cs.iter().enumerate() {
            let l = gridledger_execution::settlement_line(&c.state, &mk(), aug, n as u32).unwrap();
            assert!(l.delivered_wh <= ct.energy_wh);
            let si: usize = ct.seller_site.as_str()[1..].parse().unwrap();
            let bi: usize = ct.buyer_site.as_str()[1..].parse().unwrap();
            exported[si] += l.delivered_wh;
            imported[bi] += l.delivered_wh;
        }
        for u in 0..4 {
            assert!(
                exported[u] <= meters[u].1 as u64 * 1_000,
                "site {u} exported"
            );
            assert!(
                imported[u] <= meters[u].0 as u64 * 1_000,
                "site {u} imported"
            );
        }
    }
}
