//! Forecasts on the 1st: each documented method with its arithmetic, and the expected
//! benefit at the most recent monthly clearing price.
use gridledger_execution::forecast::{forecast, prev_month};
use gridledger_execution::test_utils::{code, Chain, MarketBuilder, SiteBuilder};
use gridledger_types::{
    kst_month_start_ms, CorrectReadings, MarketId, Payload, PriceMilliWonPerKwh, Side, SiteId,
    SubmitIntention,
};

fn sid(i: usize) -> SiteId {
    SiteId::new(format!("s{i}")).unwrap()
}

fn setup() -> Chain {
    let mut c = Chain::new(2);
    c.time_ms = kst_month_start_ms(202506).unwrap();
    c.with_billing(100);
    let op = c.operator.clone();
    for i in 0..2 {
        let r = c.exec(
            &op,
            SiteBuilder::default()
                .site(sid(i))
                .owner(c.user(i))
                .name(format!("h{i}"))
                .payload(),
        );
        assert_eq!(code(&r), "success");
    }
    c
}

fn month_kwh(c: &mut Chain, site: usize, month: u32, import: i64, export: i64) {
    let op = c.operator.clone();
    let r = c.exec(
        &op,
        Payload::CorrectReadings(CorrectReadings {
            site: sid(site),
            month,
            import_adjust_wh: import * 1_000,
            export_adjust_wh: export * 1_000,
            reason: "history".into(),
        }),
    );
    assert_eq!(code(&r), "success", "{r:?}");
}

#[test]
pub fn months_wrap_at_january() {
    assert_eq!(prev_month(202501), 202412);
    assert_eq!(prev_month(202508), 202507);
}

#[test]
pub fn a_new_site_gets_the_fallback_and_no_benefit_without_a_price() {
    let c = setup();
    let f = forecast(&c.state, &sid(0), 202508).unwrap();
    assert_eq!((f.demand_wh, f.demand_method), (350_000, "fallback"));
    assert_eq!((f.surplus_wh, f.surplus_method), (0, "fallback"));
    assert_eq!(
        (f.recent_price, f.sell_benefit, f.buy_benefit),
        (None, 0, 0)
    );
    assert!(forecast(&c.state, &SiteId::new("nope").unwrap(), 202508).is_none());
}

#[test]
pub fn recent_average_then_same_month_last_year_with_the_trend() {
    let mut c = setup();
    // June 300 kWh (30 days), July 400 kWh (31 days): August (31 days) =
    // (300 + 400) x 31 / 61 = 355.737... kWh -> 355,737 Wh (rounded down).
    month_kwh(&mut c, 0, 202506, 300, 60);
    month_kwh(&mut c, 0, 202507, 400, 0);
    let f = forecast(&c.state, &sid(0), 202508).unwrap();
    assert_eq!((f.demand_wh, f.demand_method), (355_737, "recent_average"));
    // Surplus: June 60 kWh, July 0 (it has readings) -> 60 x 31 / 61 = 30.491 kWh.
    assert_eq!((f.surplus_wh, f.surplus_method), (30_491, "recent_average"));

    // With August 2024 (500 kWh) and May-July 2024 (200 + 300 + 300 = 800) against May-July
    // 2025 (0 + 300 + 400 = 700; May 2025 has no readings so only June and July count, against
    // June and July 2024: 600): 500 x 700 / 600 = 583.333 kWh.
    for (m, kwh) in [(202405, 200), (202406, 300), (202407, 300), (202408, 500)] {
        month_kwh(&mut c, 0, m, kwh, 0);
    }
    let f = forecast(&c.state, &sid(0), 202508).unwrap();
    assert_eq!(
        (f.demand_wh, f.demand_method),
        (583_333, "same_month_last_year")
    );
    // The trend is clamped to 1/2 .. 2: a year-earlier base of 1 kWh per month caps at 2 x.
    let mut c2 = setup();
    for (m, kwh) in [
        (202406, 1),
        (202407, 1),
        (202408, 100),
        (202506, 500),
        (202507, 500),
    ] {
        month_kwh(&mut c2, 0, m, kwh, 0);
    }
    let f = forecast(&c2.state, &sid(0), 202508).unwrap();
    assert_eq!(f.demand_wh, 200_000);
}

#[test]
pub fn expected_benefit_at_the_latest_clearing_price() {
    let mut c = setup();
    month_kwh(&mut c, 0, 202506, 100, 300);
    month_kwh(&mut c, 0, 202507, 100, 300);
    // A monthly market cleared for July at 190 won (150 sell, 230 buy: uniform midpoint).
    let op = c.operator.clone();
    let mk = MarketId::new("monthly").unwrap();
    let r = c.exec(
        &op,
        MarketBuilder::default()
            .market(mk.clone())
            .wheeling_fee(PriceMilliWonPerKwh(10_000))
            .platform_fee(PriceMilliWonPerKwh(2_000))
            .payload(),
    );
    assert!(r.is_success());
    let jul = kst_month_start_ms(202507).unwrap();
    for (i, side, limit) in [(0, Side::Sell, 150_000), (1, Side::Buy, 230_000)] {
        let k = c.users[i].clone();
        let r = c.exec(
            &k,
            Payload::SubmitIntention(SubmitIntention {
                market: mk.clone(),
                period_start_ms: jul,
                side,
                site: sid(i),
                energy_wh: 10_000,
                limit: PriceMilliWonPerKwh(limit),
            }),
        );
        assert!(r.is_success(), "{r:?}");
    }
    c.time_ms = jul;
    let r = c.exec(
        &op,
        Payload::ClearPeriod {
            market: mk,
            period_start_ms: jul,
        },
    );
    assert!(r.is_success());
    let f = forecast(&c.state, &sid(0), 202508).unwrap();
    assert_eq!(f.recent_price, Some(190_000));
    // Surplus (300 + 300) x 31 / 61 = 304.918 kWh sold at 190 instead of the 100 won feed-in.
    assert_eq!(f.surplus_wh, 304_918);
    assert_eq!(f.sell_benefit, 304_918 * 90);
    // Demand 101.639 kWh sits in tier 1, so buying a fifth of it at 190 + 12 won + VAT costs
    // more than the tier-1 bill it replaces: no benefit.
    assert_eq!(f.buy_energy_wh, 101_639 / 5);
    assert_eq!(f.buy_benefit, 0);
}
