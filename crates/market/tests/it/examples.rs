//! Worked examples, computed by hand in the comments. Participants are real addresses.
use gridledger_market::{
    clear, cost, sorted_book, Clearing, ClearingConfig, Error, Order, PricingRule, Side,
};
use gridledger_types::{Address, DecodeExt, EnergyWh, MilliWon, PriceMilliWonPerKwh, PrivateKey};

fn addr(seed: u8) -> Address {
    Address::of(&PrivateKey::decode([seed; 32].as_slice()).unwrap())
}

/// An order of `kwh` kWh at `won` won/kWh, arriving as number `id`, on feeder 0.
fn order(id: u64, who: u8, side: Side, kwh: u64, won: u64) -> Order<Address> {
    Order {
        id,
        participant: addr(who),
        side,
        energy: EnergyWh(kwh * 1_000),
        limit: PriceMilliWonPerKwh(won * 1_000),
        seq: id,
        feeder: 0,
    }
}

fn kwh(k: u64) -> EnergyWh {
    EnergyWh(k * 1_000)
}

fn won(w: u64) -> PriceMilliWonPerKwh {
    PriceMilliWonPerKwh(w * 1_000)
}

fn cfg(rule: PricingRule) -> ClearingConfig {
    ClearingConfig {
        rule,
        ..ClearingConfig::default()
    }
}

/// (sell id, buy id, kWh, won/kWh) of every match.
fn fills(c: &Clearing<Address>) -> Vec<(u64, u64, u64, u64)> {
    c.matches
        .iter()
        .map(|m| (m.sell_id, m.buy_id, m.energy.0 / 1_000, m.price.0 / 1_000))
        .collect()
}

// Sells: 1 = A 100 kWh @150, 2 = B 50 @180, 3 = C 80 @210 (won/kWh).
// Buys:  4 = D 60 @250, 5 = E 90 @200, 6 = F 100 @160.
fn spec_book() -> Vec<Order<Address>> {
    vec![
        order(1, 1, Side::Sell, 100, 150),
        order(2, 2, Side::Sell, 50, 180),
        order(3, 3, Side::Sell, 80, 210),
        order(4, 4, Side::Buy, 60, 250),
        order(5, 5, Side::Buy, 90, 200),
        order(6, 6, Side::Buy, 100, 160),
    ]
}

#[test]
fn worked_example_uniform() {
    // D (250) takes 60 of A (150); E (200) takes A's last 40, then 50 of B (180); F (160) is
    // below the highest accepted sell limit (180): the walk ends.
    // Accepted range [180, 200] -> clearing price 190 won/kWh for everyone.
    let c = clear(&spec_book(), &cfg(PricingRule::Uniform)).unwrap();
    assert_eq!(
        fills(&c),
        [(1, 4, 60, 190), (1, 5, 40, 190), (2, 5, 50, 190)]
    );
    assert_eq!(c.clearing_price, Some(won(190)));
    assert_eq!(c.matched_energy, kwh(150));
    assert_eq!(c.unmatched, [(3, kwh(80)), (6, kwh(100))]);
    assert_eq!(c.matches[0].seller, addr(1));
    assert_eq!(c.matches[0].buyer, addr(4));
    // D pays A 60 kWh x 190 won = 11,400 won.
    assert_eq!(c.matches[0].cost(), Some(MilliWon(11_400_000)));
    let total: u64 = c.matches.iter().map(|m| m.cost().unwrap().0).sum();
    assert_eq!(total, 150 * 190 * 1_000);
}

#[test]
fn worked_example_pay_as_bid() {
    // Same pairs; each at the midpoint of its own limits:
    // D-A (250+150)/2 = 200, E-A (200+150)/2 = 175, E-B (200+180)/2 = 190.
    let c = clear(&spec_book(), &cfg(PricingRule::PayAsBid)).unwrap();
    assert_eq!(
        fills(&c),
        [(1, 4, 60, 200), (1, 5, 40, 175), (2, 5, 50, 190)]
    );
    assert_eq!(c.clearing_price, None);
    assert_eq!(c.matched_energy, kwh(150));
    // 60 x 200 + 40 x 175 + 50 x 190 = 12,000 + 7,000 + 9,500 = 28,500 won.
    let total: u64 = c.matches.iter().map(|m| m.cost().unwrap().0).sum();
    assert_eq!(total, 28_500_000);
}

#[test]
fn pay_as_bid_midpoint_rounds_down_to_one_milli_won() {
    // Limits 150,001 and 200,000 mKRW/kWh: midpoint 175,000.5 -> 175,000. 1,001 Wh at that
    // price costs 175,175 mKRW (exactly), 1 Wh costs 175 mKRW.
    let mut book = vec![
        order(1, 1, Side::Sell, 1, 150),
        order(2, 2, Side::Buy, 1, 200),
    ];
    book[0].limit = PriceMilliWonPerKwh(150_001);
    book[1].energy = EnergyWh(1_001);
    let c = clear(&book, &cfg(PricingRule::PayAsBid)).unwrap();
    assert_eq!(c.matches[0].price, PriceMilliWonPerKwh(175_000));
    assert_eq!(c.matches[0].energy, EnergyWh(1_000));
    assert_eq!(c.matches[0].cost(), Some(MilliWon(175_000)));
    assert_eq!(
        cost(EnergyWh(1_001), PriceMilliWonPerKwh(175_000)),
        Some(MilliWon(175_175))
    );
    assert_eq!(
        cost(EnergyWh(1), PriceMilliWonPerKwh(999)),
        Some(MilliWon(0))
    );
}

#[test]
fn equal_limits_go_by_arrival_then_id() {
    // Three sells at 150: id 8 and id 9 arrived together (seq 1), id 7 later (seq 2).
    // Merit order: 8, 9, 7. The 50 kWh buy takes 30 of 8 and 20 of 9.
    let mut book = vec![
        order(7, 1, Side::Sell, 30, 150),
        order(9, 2, Side::Sell, 30, 150),
        order(8, 3, Side::Sell, 30, 150),
        order(10, 4, Side::Buy, 50, 200),
    ];
    book[0].seq = 2;
    book[1].seq = 1;
    book[2].seq = 1;
    let (sells, _) = sorted_book(&book);
    assert_eq!(sells.iter().map(|o| o.id).collect::<Vec<_>>(), [8, 9, 7]);
    let c = clear(&book, &cfg(PricingRule::Uniform)).unwrap();
    assert_eq!(fills(&c), [(8, 10, 30, 175), (9, 10, 20, 175)]);
    assert_eq!(c.unmatched, [(7, kwh(30)), (9, kwh(10))]);

    // Two buys at 200: the earlier one (seq 0, id 12) is served first.
    let mut book = vec![
        order(11, 1, Side::Sell, 10, 100),
        order(13, 2, Side::Buy, 10, 200),
        order(12, 3, Side::Buy, 10, 200),
    ];
    book[1].seq = 0;
    book[2].seq = 0;
    let c = clear(&book, &cfg(PricingRule::Uniform)).unwrap();
    assert_eq!(fills(&c), [(11, 12, 10, 150)]);
}

#[test]
fn one_sell_fills_many_buys_partially() {
    // One 100 kWh sell at 100; buys of 30 kWh at 200, 190, 180 and 30 kWh at 90.
    // The first three take 30 each, 10 kWh stay unsold; the 90 buy is below 100.
    // Uniform: range [100, 180] -> 140.
    let book = vec![
        order(1, 1, Side::Sell, 100, 100),
        order(2, 2, Side::Buy, 30, 200),
        order(3, 3, Side::Buy, 30, 190),
        order(4, 4, Side::Buy, 30, 180),
        order(5, 5, Side::Buy, 30, 90),
    ];
    let c = clear(&book, &cfg(PricingRule::Uniform)).unwrap();
    assert_eq!(
        fills(&c),
        [(1, 2, 30, 140), (1, 3, 30, 140), (1, 4, 30, 140)]
    );
    assert_eq!(c.unmatched, [(1, kwh(10)), (5, kwh(30))]);
}

#[test]
fn no_self_trade_the_skipped_sell_waits_for_the_next_buyer() {
    // P sells 10 @100 and buys 10 @200; Q sells 10 @120; R buys 10 @190.
    // P's buy skips P's own sell and takes Q's; R then takes P's sell.
    // Uniform: range [120, 190] -> 155. Pay-as-bid: P-Q (120+200)/2 = 160, R-P (100+190)/2 = 145.
    let book = vec![
        order(1, 1, Side::Sell, 10, 100),
        order(2, 2, Side::Sell, 10, 120),
        order(3, 1, Side::Buy, 10, 200),
        order(4, 3, Side::Buy, 10, 190),
    ];
    let u = clear(&book, &cfg(PricingRule::Uniform)).unwrap();
    assert_eq!(fills(&u), [(2, 3, 10, 155), (1, 4, 10, 155)]);
    assert!(u.unmatched.is_empty());
    let p = clear(&book, &cfg(PricingRule::PayAsBid)).unwrap();
    assert_eq!(fills(&p), [(2, 3, 10, 160), (1, 4, 10, 145)]);
    for m in u.matches.iter().chain(&p.matches) {
        assert_ne!(m.seller, m.buyer);
    }
}

#[test]
fn no_self_trade_can_end_the_walk_early() {
    // The worked example, but D (the 250 buyer) is A, the cheapest seller.
    // D skips its own sell: takes B's 50 (180) and 10 of C (210). The highest accepted sell
    // limit is now 210, so E (200) ends the walk even though A's sell at 150 is left: a uniform
    // price for E would have to be >= 210 > 200. Range [210, 250] -> 230.
    let mut book = spec_book();
    book[3].participant = addr(1);
    let c = clear(&book, &cfg(PricingRule::Uniform)).unwrap();
    assert_eq!(fills(&c), [(2, 4, 50, 230), (3, 4, 10, 230)]);
    assert_eq!(
        c.unmatched,
        [(1, kwh(100)), (3, kwh(70)), (5, kwh(90)), (6, kwh(100))]
    );
    // A participant alone on both sides never trades.
    let alone = vec![
        order(1, 1, Side::Sell, 10, 100),
        order(2, 1, Side::Buy, 10, 200),
    ];
    let c = clear(&alone, &cfg(PricingRule::Uniform)).unwrap();
    assert!(c.matches.is_empty());
    assert_eq!(c.clearing_price, None);
}

#[test]
fn feeder_preference_pairs_neighbours_with_the_same_volumes_and_price() {
    // Sells: 1 = A on feeder 1, 50 kWh @100; 2 = B on feeder 2, 50 @110.
    // Buys:  3 = C on feeder 2, 50 @200;    4 = D on feeder 1, 50 @190.
    // Merit pairing: C-A, D-B (both across feeders). Preferred: feeder 1 A-D, feeder 2 B-C.
    // Uniform price either way: range [110, 190] -> 150.
    let mut book = vec![
        order(1, 1, Side::Sell, 50, 100),
        order(2, 2, Side::Sell, 50, 110),
        order(3, 3, Side::Buy, 50, 200),
        order(4, 4, Side::Buy, 50, 190),
    ];
    for (o, f) in book.iter_mut().zip([1, 2, 2, 1]) {
        o.feeder = f;
    }
    let merit = clear(&book, &cfg(PricingRule::Uniform)).unwrap();
    assert_eq!(fills(&merit), [(1, 3, 50, 150), (2, 4, 50, 150)]);
    let near = ClearingConfig {
        prefer_same_feeder: true,
        ..cfg(PricingRule::Uniform)
    };
    let c = clear(&book, &near).unwrap();
    assert_eq!(fills(&c), [(1, 4, 50, 150), (2, 3, 50, 150)]);
    assert_eq!(c.clearing_price, merit.clearing_price);
    assert_eq!(c.unmatched, merit.unmatched);
    // Pay-as-bid prices follow the new pairs: A-D (100+190)/2 = 145, B-C (110+200)/2 = 155.
    let c = clear(
        &book,
        &ClearingConfig {
            rule: PricingRule::PayAsBid,
            ..near
        },
    )
    .unwrap();
    assert_eq!(fills(&c), [(1, 4, 50, 145), (2, 3, 50, 155)]);
}

#[test]
fn feeder_preference_falls_back_when_it_would_strand_a_self_trade() {
    // Sells: 1 = Q on feeder 1, 10 kWh @100; 2 = P on feeder 2, 10 @110.
    // Buys:  3 = P on feeder 2, 10 @200;    4 = R on feeder 1, 10 @190.
    // Merit: P's buy takes Q's sell, R takes P's sell. By feeder, feeder 1 would pair Q-R and
    // leave P's sell and P's buy on feeder 2, which may not trade with each other: the merit
    // pairing is kept.
    let mut book = vec![
        order(1, 2, Side::Sell, 10, 100),
        order(2, 1, Side::Sell, 10, 110),
        order(3, 1, Side::Buy, 10, 200),
        order(4, 3, Side::Buy, 10, 190),
    ];
    for (o, f) in book.iter_mut().zip([1, 2, 2, 1]) {
        o.feeder = f;
    }
    let near = ClearingConfig {
        prefer_same_feeder: true,
        ..cfg(PricingRule::Uniform)
    };
    let merit = clear(&book, &cfg(PricingRule::Uniform)).unwrap();
    let c = clear(&book, &near).unwrap();
    assert_eq!(fills(&merit), [(1, 3, 10, 150), (2, 4, 10, 150)]);
    assert_eq!(c, merit);
}

#[test]
fn no_trade_when_the_best_bid_is_below_the_best_ask() {
    let book = vec![
        order(1, 1, Side::Sell, 10, 200),
        order(2, 2, Side::Sell, 10, 210),
        order(3, 3, Side::Buy, 10, 199),
        order(4, 4, Side::Buy, 10, 150),
    ];
    for rule in [PricingRule::Uniform, PricingRule::PayAsBid] {
        let c = clear(&book, &cfg(rule)).unwrap();
        assert!(c.matches.is_empty());
        assert_eq!(c.clearing_price, None);
        assert_eq!(c.matched_energy, EnergyWh(0));
        assert_eq!(
            c.unmatched,
            [(1, kwh(10)), (2, kwh(10)), (3, kwh(10)), (4, kwh(10))]
        );
    }
    // A bid equal to the ask trades at that price.
    let book = vec![
        order(1, 1, Side::Sell, 10, 200),
        order(2, 2, Side::Buy, 10, 200),
    ];
    let c = clear(&book, &cfg(PricingRule::Uniform)).unwrap();
    assert_eq!(fills(&c), [(1, 2, 10, 200)]);
}

#[test]
fn empty_and_one_sided_books() {
    let empty = clear::<Address>(&[], &ClearingConfig::default()).unwrap();
    assert_eq!(
        empty,
        Clearing {
            matches: vec![],
            clearing_price: None,
            matched_energy: EnergyWh(0),
            unmatched: vec![],
        }
    );
    let sells_only = vec![order(1, 1, Side::Sell, 10, 100)];
    let c = clear(&sells_only, &ClearingConfig::default()).unwrap();
    assert_eq!(c.unmatched, [(1, kwh(10))]);
}

#[test]
fn invalid_input_is_an_error() {
    let mut book = spec_book();
    book[2].energy = EnergyWh(0);
    assert_eq!(
        clear(&book, &ClearingConfig::default()),
        Err(Error::ZeroEnergy { id: 3 })
    );
    let mut book = spec_book();
    book[5].id = 2;
    assert_eq!(
        clear(&book, &ClearingConfig::default()),
        Err(Error::DuplicateId { id: 2 })
    );
}
