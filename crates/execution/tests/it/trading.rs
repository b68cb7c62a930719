//! Markets, intentions and clearing inside the chain: the worked example, gate rules,
//! cancellation and ownership.
use crate::fixture::{code, Chain};
use gridledger_execution::{contracts, intentions, period};
use gridledger_types::{
    kst_month_start_ms, ConfigureMarket, Event, MarketId, Payload, PeriodKind, PriceMilliWonPerKwh,
    Pricing, RegisterSite, Side, SiteId, SiteKind, SubmitIntention,
};

fn won(w: u64) -> PriceMilliWonPerKwh {
    PriceMilliWonPerKwh(w * 1_000)
}

fn mk() -> MarketId {
    MarketId::new("monthly").unwrap()
}

/// Four users with sites s0..s3 (feeder = i % 2) and a uniform-price monthly market; the clock
/// a day before August 2025 (KST).
fn setup(pricing: Pricing) -> (Chain, u64) {
    let mut c = Chain::new(4);
    let aug = kst_month_start_ms(202508).unwrap();
    c.time_ms = aug - 86_400_000;
    let op = c.operator.clone();
    for i in 0..4 {
        let owner = c.user(i);
        let r = c.exec(
            &op,
            Payload::RegisterSite(RegisterSite {
                site: SiteId::new(format!("s{i}")).unwrap(),
                owner,
                kind: SiteKind::Household,
                tariff_class: "residential-low".into(),
                contract_kw: 0,
                feeder: (i % 2) as u32,
                name: format!("site {i}"),
            }),
        );
        assert_eq!(code(&r), "success");
    }
    let r = c.exec(
        &op,
        Payload::ConfigureMarket(ConfigureMarket {
            market: mk(),
            period_kind: PeriodKind::Monthly,
            pricing,
            gate_lead_ms: 0,
            wheeling_fee: won(10),
            platform_fee: won(2),
            prefer_same_feeder: false,
            active: true,
            approval_window_ms: 0,
        }),
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
fn worked_example_uniform_price() {
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
fn pay_as_bid_prices_each_pair_at_its_midpoint() {
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
fn intention_rules() {
    let (mut c, aug) = setup(Pricing::Uniform);
    // Only the site's owner trades for it.
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
        Payload::ConfigureMarket(ConfigureMarket {
            market: MarketId::new("rt").unwrap(),
            period_kind: PeriodKind::Hourly,
            pricing: Pricing::Uniform,
            gate_lead_ms: 0,
            wheeling_fee: won(0),
            platform_fee: won(0),
            prefer_same_feeder: false,
            active: true,
            approval_window_ms: 0,
        }),
    );
    assert_eq!(code(&r), "not_operator");
}

#[test]
fn contracts_need_both_parties_within_the_window() {
    let (mut c, aug) = setup(Pricing::Uniform);
    let op = c.operator.clone();
    let day = 86_400_000;
    let r = c.exec(
        &op,
        Payload::ConfigureMarket(ConfigureMarket {
            market: mk(),
            period_kind: PeriodKind::Monthly,
            pricing: Pricing::Uniform,
            gate_lead_ms: 0,
            wheeling_fee: won(0),
            platform_fee: won(0),
            prefer_same_feeder: false,
            active: true,
            approval_window_ms: day,
        }),
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
