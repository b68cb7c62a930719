//! Property tests over many random small books, with few participants so that the same
//! participant often sits on both sides, few prices so that ties are common, and small
//! energies so that partial fills are common.
use gridledger_market::{clear, Clearing, ClearingConfig, Order, PricingRule, Side};
use gridledger_types::{EnergyWh, PriceMilliWonPerKwh};
use proptest::prelude::*;
use std::cmp::Reverse;
use std::collections::BTreeMap;

fn arb_order() -> impl Strategy<Value = (u8, bool, u64, u64, u64, u32)> {
    (0u8..5, any::<bool>(), 1u64..40, 1u64..25, 0u64..6, 0u32..3)
}

/// Orders with unique ids (index-derived, scrambled so id order differs from arrival order).
fn arb_book() -> impl Strategy<Value = Vec<Order<u8>>> {
    prop::collection::vec(arb_order(), 0..40).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (who, sell, wh, limit, seq, feeder))| Order {
                id: (i as u64 * 7_919) % 1_009,
                participant: who,
                side: if sell { Side::Sell } else { Side::Buy },
                energy: EnergyWh(wh),
                limit: PriceMilliWonPerKwh(limit * 10),
                seq,
                feeder,
            })
            .collect()
    })
}

fn arb_cfg() -> impl Strategy<Value = ClearingConfig> {
    (any::<bool>(), any::<bool>(), 1u64..6).prop_map(|(uniform, feeder, min)| ClearingConfig {
        rule: if uniform {
            PricingRule::Uniform
        } else {
            PricingRule::PayAsBid
        },
        prefer_same_feeder: feeder,
        min_trade: EnergyWh(min),
    })
}

/// Filled energy per order id.
fn filled(orders: &[Order<u8>], c: &Clearing<u8>) -> BTreeMap<u64, u64> {
    let mut f: BTreeMap<u64, u64> = orders.iter().map(|o| (o.id, 0)).collect();
    for m in &c.matches {
        *f.get_mut(&m.sell_id).unwrap() += m.energy.0;
        *f.get_mut(&m.buy_id).unwrap() += m.energy.0;
    }
    f
}

/// The rules of the crate documentation, written the slow and obvious way: O(n^2) scans.
fn reference(orders: &[Order<u8>], min_trade: u64) -> BTreeMap<u64, u64> {
    let mut sells: Vec<&Order<u8>> = orders.iter().filter(|o| o.side == Side::Sell).collect();
    let mut buys: Vec<&Order<u8>> = orders.iter().filter(|o| o.side == Side::Buy).collect();
    sells.sort_by_key(|o| (o.limit, o.seq, o.id));
    buys.sort_by_key(|o| (Reverse(o.limit), o.seq, o.id));
    let mut sell_left: Vec<u64> = sells.iter().map(|o| o.energy.0).collect();
    let mut f: BTreeMap<u64, u64> = orders.iter().map(|o| (o.id, 0)).collect();
    let mut highest_sell = None;
    for b in buys {
        if highest_sell.is_some_and(|h| b.limit < h) {
            break;
        }
        let mut left = b.energy.0;
        while left >= min_trade {
            let Some(k) = (0..sells.len())
                .find(|&k| sell_left[k] >= min_trade && sells[k].participant != b.participant)
            else {
                break;
            };
            if sells[k].limit > b.limit {
                break;
            }
            let q = left.min(sell_left[k]);
            left -= q;
            sell_left[k] -= q;
            *f.get_mut(&b.id).unwrap() += q;
            *f.get_mut(&sells[k].id).unwrap() += q;
            highest_sell = highest_sell.max(Some(sells[k].limit));
        }
    }
    f
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn clearing_respects_every_order(orders in arb_book(), cfg in arb_cfg()) {
        let c = clear(&orders, &cfg).unwrap();
        let by_id: BTreeMap<u64, &Order<u8>> = orders.iter().map(|o| (o.id, o)).collect();
        let f = filled(&orders, &c);
        let (mut bought, mut sold) = (0u64, 0u64);
        for m in &c.matches {
            let (s, b) = (by_id[&m.sell_id], by_id[&m.buy_id]);
            prop_assert_eq!(s.side, Side::Sell);
            prop_assert_eq!(b.side, Side::Buy);
            prop_assert_eq!(&m.seller, &s.participant);
            prop_assert_eq!(&m.buyer, &b.participant);
            prop_assert_ne!(m.seller, m.buyer, "self-trade");
            prop_assert!(m.energy >= cfg.min_trade);
            prop_assert!(m.price <= b.limit, "buyer pays above its limit");
            prop_assert!(m.price >= s.limit, "seller paid below its limit");
            bought += m.energy.0;
            sold += m.energy.0;
        }
        let buy_fills: u64 = orders.iter().filter(|o| o.side == Side::Buy).map(|o| f[&o.id]).sum();
        let sell_fills: u64 = orders.iter().filter(|o| o.side == Side::Sell).map(|o| f[&o.id]).sum();
        prop_assert_eq!(buy_fills, bought);
        prop_assert_eq!(sell_fills, sold);
        prop_assert_eq!(c.matched_energy.0, buy_fills);
        // Each order: filled <= energy, and `unmatched` lists exactly the rest, in id order.
        let mut expect_unmatched = Vec::new();
        for (&id, o) in &by_id {
            prop_assert!(f[&id] <= o.energy.0);
            if f[&id] < o.energy.0 {
                expect_unmatched.push((id, EnergyWh(o.energy.0 - f[&id])));
            }
        }
        prop_assert_eq!(&c.unmatched, &expect_unmatched);
        // At most one match per (sell, buy).
        let mut pairs: Vec<(u64, u64)> = c.matches.iter().map(|m| (m.sell_id, m.buy_id)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        prop_assert_eq!(pairs.len(), c.matches.len());
    }

    #[test]
    fn uniform_price_lies_in_the_accepted_range(orders in arb_book(), mut cfg in arb_cfg()) {
        cfg.rule = PricingRule::Uniform;
        let c = clear(&orders, &cfg).unwrap();
        let f = filled(&orders, &c);
        let accepted = |o: &&Order<u8>, side| o.side == side && f[&o.id] > 0;
        let max_sell = orders.iter().filter(|o| accepted(o, Side::Sell)).map(|o| o.limit).max();
        let min_buy = orders.iter().filter(|o| accepted(o, Side::Buy)).map(|o| o.limit).min();
        match c.clearing_price {
            None => prop_assert!(c.matches.is_empty()),
            Some(p) => {
                prop_assert!(max_sell.unwrap() <= p && p <= min_buy.unwrap());
                prop_assert!(c.matches.iter().all(|m| m.price == p));
            }
        }
    }

    #[test]
    fn the_result_does_not_depend_on_input_order(
        (orders, shuffled) in arb_book().prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle())),
        cfg in arb_cfg(),
    ) {
        prop_assert_eq!(clear(&orders, &cfg).unwrap(), clear(&shuffled, &cfg).unwrap());
    }

    #[test]
    fn fills_match_the_brute_force_reference(orders in arb_book(), cfg in arb_cfg()) {
        let c = clear(&orders, &cfg).unwrap();
        let want = reference(&orders, cfg.min_trade.0);
        prop_assert_eq!(c.matched_energy.0, want.values().sum::<u64>() / 2);
        prop_assert_eq!(filled(&orders, &c), want);
    }

    #[test]
    fn feeder_preference_changes_only_the_pairing(orders in arb_book(), mut cfg in arb_cfg()) {
        cfg.prefer_same_feeder = false;
        let merit = clear(&orders, &cfg).unwrap();
        cfg.prefer_same_feeder = true;
        let near = clear(&orders, &cfg).unwrap();
        prop_assert_eq!(filled(&orders, &near), filled(&orders, &merit));
        prop_assert_eq!(near.matched_energy, merit.matched_energy);
        prop_assert_eq!(&near.unmatched, &merit.unmatched);
        prop_assert_eq!(near.clearing_price, merit.clearing_price);
    }
}
