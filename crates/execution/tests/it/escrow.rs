//! Real-time markets: a buy holds its maximum cost in escrow; cancel releases it, clearing keeps
//! the filled part, settlement pays the split from it and returns the rest.
use gridledger_execution::payments::lines;
use gridledger_execution::test_utils::{
    addr, code, key, one_interval, won, Chain, MarketBuilder, SiteBuilder,
};
use gridledger_execution::trading::Intention;
use gridledger_execution::{account, intentions, settlement_line, supply};
use gridledger_types::{
    kst_month_start_ms, BindMeter, DeviceKind, MarketId, MilliWon, Payload, PeriodKind, Side,
    SiteId, SubmitIntention,
};

const HOUR: u64 = 3_600_000;

fn rt() -> MarketId {
    MarketId::new("rt").unwrap()
}

/// Sites s0..s2 (households) with bound meters; an hourly uniform market with 10 + 2 won fees.
/// Returns the chain and the start of the traded hour (12:00 KST, 5 August 2025).
fn setup() -> (Chain, u64, Vec<gridledger_types::PrivateKey>) {
    let mut c = Chain::new(3);
    let hour = kst_month_start_ms(202508).unwrap() + 4 * 24 * HOUR + 12 * HOUR;
    c.time_ms = hour - 2 * HOUR;
    c.with_billing(100);
    let op = c.operator.clone();
    let mut meters = Vec::new();
    for i in 0..3 {
        let site = SiteId::new(format!("s{i}")).unwrap();
        let r = c.exec(
            &op,
            SiteBuilder::default()
                .site(site.clone())
                .owner(c.user(i))
                .name(format!("site {i}"))
                .payload(),
        );
        assert_eq!(code(&r), "success");
        let m = key(900 + i as u64);
        let owner = c.user(i);
        for p in [
            Payload::RegisterDevice {
                device: addr(&m),
                kind: DeviceKind::Meter,
                owner,
                label: format!("m{i}"),
            },
            Payload::BindMeter(BindMeter {
                meter: addr(&m),
                site,
            }),
        ] {
            assert_eq!(code(&c.exec(&op, p)), "success");
        }
        meters.push(m);
    }
    let r = c.exec(
        &op,
        MarketBuilder::default()
            .market(rt())
            .period_kind(PeriodKind::Hourly)
            .gate_lead_ms(HOUR / 2)
            .wheeling_fee(won(10))
            .platform_fee(won(2))
            .payload(),
    );
    assert_eq!(code(&r), "success");
    (c, hour, meters)
}

fn intend(c: &mut Chain, user: usize, start: u64, side: Side, kwh: u64, limit: u64) -> String {
    let k = c.users[user].clone();
    let r = c.exec(
        &k,
        Payload::SubmitIntention(SubmitIntention {
            market: rt(),
            period_start_ms: start,
            side,
            site: SiteId::new(format!("s{user}")).unwrap(),
            energy_wh: kwh * 1_000,
            limit: won(limit),
        }),
    );
    code(&r).to_string()
}

fn held(c: &Chain, i: usize) -> u64 {
    account(&c.state, &c.user(i)).held.0
}

fn intention(c: &Chain, seq: usize, start: u64) -> Intention {
    intentions(&c.state, &rt(), start)[seq].1.clone()
}

#[test]
pub fn escrow_is_held_released_and_pays_the_split() {
    let (mut c, hour, meters) = setup();
    // 10 kWh at <= 200 won holds ceil(10 x (200 + 10 + 2)) = 2,120 won plus 10 % VAT.
    let max = 10_000 * 212 + 10_000 * 212 / 10;
    assert_eq!(
        intend(&mut c, 2, hour, Side::Buy, 10, 200),
        "insufficient_balance"
    );
    assert_eq!(held(&c, 2), 0);
    c.fund(2, 3_000_000);
    assert_eq!(intend(&mut c, 2, hour, Side::Buy, 10, 200), "success");
    assert_eq!((held(&c, 2), c.balance(&c.user(2))), (max, 3_000_000 - max));
    // A second buyer cancels: everything returns.
    c.fund(1, 1_000_000);
    assert_eq!(intend(&mut c, 1, hour, Side::Buy, 2, 100), "success");
    assert!(held(&c, 1) > 0);
    let id = intention(&c, 1, hour).id;
    let k1 = c.users[1].clone();
    assert!(c
        .exec(&k1, Payload::CancelIntention { intention: id })
        .is_success());
    assert_eq!((held(&c, 1), c.balance(&c.user(1))), (0, 1_000_000));
    // A 6 kWh sell at >= 150 won: sells never hold anything.
    assert_eq!(intend(&mut c, 0, hour, Side::Sell, 6, 150), "success");
    assert_eq!(held(&c, 0), 0);

    // Clearing: 6 kWh at (150 + 200) / 2 = 175 won; the buyer keeps the maximum cost of 6 kWh.
    c.time_ms = hour - HOUR / 2;
    let anyone = c.users[0].clone();
    let clear = Payload::ClearPeriod {
        market: rt(),
        period_start_ms: hour,
    };
    assert!(c.exec(&anyone, clear).is_success());
    let keep = 6_000 * 212 + 6_000 * 212 / 10;
    assert_eq!(held(&c, 2), keep);
    assert_eq!(intention(&c, 0, hour).escrow.0, keep);

    // The hour as measured: s0 exports 5 kWh, s2 imports 8 kWh.
    for (i, imp, exp) in [(0usize, 0u64, 5_000u64), (2, 8_000, 0)] {
        let r = c.run_at(
            hour + HOUR + 1_000,
            &[c.signed(&meters[i], one_interval(hour, HOUR as u32, imp, exp))],
        );
        assert!(r.unwrap().receipts[0].is_success());
    }
    c.time_ms = hour + HOUR + 2_000;
    let supply_before = supply(&c.state);
    let seller_before = c.balance(&c.user(0));
    let r = c.exec(
        &anyone,
        Payload::SettlePeriod {
            market: rt(),
            period_start_ms: hour,
        },
    );
    assert!(r.is_success(), "{r:?}");
    // 5 kWh delivered: energy 5 x 175 to the seller, fees 5 x 12 + VAT to grid and operator,
    // paid from escrow at once; the rest of the escrow returns.
    let l = settlement_line(&c.state, &rt(), hour, 0).unwrap();
    assert_eq!(l.delivered_wh, 5_000);
    let paid = 5_000 * 175 + 5_000 * 10 + 5_000 + 5_000 * 2 + 5_000 * 2 / 10;
    assert_eq!(l.total().unwrap().0, paid);
    assert_eq!(held(&c, 2), 0);
    assert_eq!(c.balance(&c.user(2)), 3_000_000 - paid);
    assert_eq!(c.balance(&c.user(0)) - seller_before, 5_000 * 175);
    assert_eq!(intention(&c, 0, hour).escrow, MilliWon::ZERO);
    assert_eq!(supply(&c.state), supply_before);
    // The lines are recorded as paid by the settlement transaction.
    let ls = lines(&c.state, 202508, &c.user(2));
    assert_eq!(ls.len(), 5); // energy, wheeling + VAT, platform + VAT
    assert!(ls.iter().all(|(_, l)| l.paid_by.is_some()));
}

#[test]
pub fn a_fee_rise_after_the_buy_bills_the_contract_instead_of_failing() {
    let (mut c, hour, meters) = setup();
    c.fund(2, 3_000_000);
    assert_eq!(intend(&mut c, 2, hour, Side::Buy, 10, 200), "success");
    assert_eq!(intend(&mut c, 0, hour, Side::Sell, 10, 150), "success");
    c.time_ms = hour - HOUR / 2;
    let anyone = c.users[1].clone();
    let clear = Payload::ClearPeriod {
        market: rt(),
        period_start_ms: hour,
    };
    assert!(c.exec(&anyone, clear).is_success());
    // The operator raises the wheeling fee tenfold after clearing.
    let op = c.operator.clone();
    let r = c.exec(
        &op,
        MarketBuilder::default()
            .market(rt())
            .period_kind(PeriodKind::Hourly)
            .gate_lead_ms(HOUR / 2)
            .wheeling_fee(won(100))
            .platform_fee(won(2))
            .payload(),
    );
    assert!(r.is_success());
    for (i, imp, exp) in [(0usize, 0u64, 10_000u64), (2, 10_000, 0)] {
        let tx = c.signed(&meters[i], one_interval(hour, HOUR as u32, imp, exp));
        assert!(c.run_at(hour + HOUR + 1_000, &[tx]).unwrap().receipts[0].is_success());
    }
    c.time_ms = hour + HOUR + 2_000;
    let settle = Payload::SettlePeriod {
        market: rt(),
        period_start_ms: hour,
    };
    let r = c.exec(&anyone, settle);
    assert!(r.is_success(), "{r:?}");
    // The escrow no longer covers the contract: it returns whole and the lines are owed with
    // the month's bill.
    assert_eq!(held(&c, 2), 0);
    assert_eq!(c.balance(&c.user(2)), 3_000_000);
    let ls = lines(&c.state, 202508, &c.user(2));
    assert!(!ls.is_empty() && ls.iter().all(|(_, l)| l.paid_by.is_none()));
}
