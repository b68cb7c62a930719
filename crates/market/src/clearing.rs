//! Clearing a trading period at gate closure: merit-order acceptance with partial fills and
//! self-trade prevention, then pricing (uniform or pay-as-bid) and, optionally, re-pairing the
//! accepted volumes so that counterparts on the same feeder trade with each other.
//!
//! The rules are stated in the crate documentation; the comments here say how they are met.
use crate::book::MAX_ORDERS;
use crate::{Error, Order, Side};
use gridledger_types::{EnergyWh, MilliWon, PriceMilliWonPerKwh};
use std::collections::BTreeSet;

/// How matched pairs are priced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PricingRule {
    /// Pay-as-clear: every pair trades at one clearing price, the midpoint (rounded down) of the
    /// highest accepted sell limit and the lowest accepted buy limit.
    #[default]
    Uniform,
    /// Each pair's own bids set its price: the midpoint (rounded down) of its two limits.
    PayAsBid,
}

/// How to clear a book.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClearingConfig {
    pub rule: PricingRule,
    /// Re-pair the accepted volumes preferring a counterpart on the same feeder.
    pub prefer_same_feeder: bool,
    /// No fill smaller than this is made (at least 1 Wh).
    pub min_trade: EnergyWh,
}

impl Default for ClearingConfig {
    /// Uniform price, no feeder preference, fills of 1 Wh or more.
    fn default() -> Self {
        Self {
            rule: PricingRule::Uniform,
            prefer_same_feeder: false,
            min_trade: EnergyWh(1),
        }
    }
}

/// One fill: `seller` delivers `energy` to `buyer` at `price`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Match<P> {
    pub sell_id: u64,
    pub buy_id: u64,
    pub seller: P,
    pub buyer: P,
    pub energy: EnergyWh,
    pub price: PriceMilliWonPerKwh,
}

impl<P> Match<P> {
    /// What the buyer pays the seller for this fill, rounded down; `None` on overflow.
    pub fn cost(&self) -> Option<MilliWon> {
        cost(self.energy, self.price)
    }
}

/// The outcome of clearing one book.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clearing<P> {
    /// At most one match per (sell, buy) pair. Without feeder preference: buys in merit order,
    /// each buy's sells in merit order. With it: same-feeder pairs by feeder ascending, then
    /// the cross-feeder pairs.
    pub matches: Vec<Match<P>>,
    /// `Some` under [`PricingRule::Uniform`] when anything traded; `None` otherwise.
    pub clearing_price: Option<PriceMilliWonPerKwh>,
    /// Sum of `matches[..].energy` (= energy bought = energy sold).
    pub matched_energy: EnergyWh,
    /// Every order not fully filled, as (order id, energy left), in id order.
    pub unmatched: Vec<(u64, EnergyWh)>,
}

/// Cost of `energy` at `price`, rounding the fraction of a milli-won down; `None` on overflow.
pub fn cost(energy: EnergyWh, price: PriceMilliWonPerKwh) -> Option<MilliWon> {
    price.cost_floor(energy)
}

/// The midpoint of two prices, rounded down to 1 mKRW/kWh, without overflow.
pub(crate) fn midpoint_floor(a: u64, b: u64) -> u64 {
    a / 2 + b / 2 + (a & b & 1)
}

/// Clears `orders` under `cfg`. Pure and deterministic: the result depends only on the set of
/// orders, not on their order in the slice. See the crate documentation for the rules.
pub fn clear<P: Ord + Clone>(
    orders: &[Order<P>],
    cfg: &ClearingConfig,
) -> Result<Clearing<P>, Error> {
    validate(orders, cfg)?;
    let book = Book::new(orders);
    let mut sell_rem: Vec<u64> = book.sells.iter().map(|&i| book.order(i).energy.0).collect();
    let mut buy_rem: Vec<u64> = book.buys.iter().map(|&i| book.order(i).energy.0).collect();
    let all_sells: Vec<u32> = (0..book.sells.len() as u32).collect();
    let all_buys: Vec<u32> = (0..book.buys.len() as u32).collect();

    // 1. Acceptance: how much of each order trades, in merit order.
    let mut pairs = Vec::new();
    pair(
        &book,
        &all_sells,
        &all_buys,
        &mut sell_rem,
        &mut buy_rem,
        cfg.min_trade.0,
        true,
        &mut pairs,
    );

    // The accepted range: every accepted sell limit <= every accepted buy limit.
    let max_sell = pairs.iter().map(|p| book.sell(p.sell).limit.0).max();
    let min_buy = pairs.iter().map(|p| book.buy(p.buy).limit.0).min();
    debug_assert!(max_sell <= min_buy || pairs.is_empty());

    // 2. Optional re-pairing of the accepted volumes by feeder.
    if cfg.prefer_same_feeder && !pairs.is_empty() {
        if let Some(by_feeder) = pair_by_feeder(&book, &sell_rem, &buy_rem, cfg.min_trade.0) {
            pairs = by_feeder;
        }
    }

    // 3. Prices.
    let clearing_price = match (cfg.rule, max_sell, min_buy) {
        (PricingRule::Uniform, Some(s), Some(b)) => Some(midpoint_floor(s, b)),
        _ => None,
    };
    let mut matched: u128 = 0;
    let matches: Vec<Match<P>> = pairs
        .iter()
        .map(|p| {
            let (s, b) = (book.sell(p.sell), book.buy(p.buy));
            matched += u128::from(p.energy);
            Match {
                sell_id: s.id,
                buy_id: b.id,
                seller: s.participant.clone(),
                buyer: b.participant.clone(),
                energy: EnergyWh(p.energy),
                price: PriceMilliWonPerKwh(
                    clearing_price.unwrap_or_else(|| midpoint_floor(s.limit.0, b.limit.0)),
                ),
            }
        })
        .collect();
    let matched_energy = u64::try_from(matched)
        .map(EnergyWh)
        .map_err(|_| Error::EnergyOverflow { side: Side::Sell })?;

    // 4. What is left, in id order.
    let mut unmatched: Vec<(u64, EnergyWh)> = book
        .sells
        .iter()
        .zip(&sell_rem)
        .chain(book.buys.iter().zip(&buy_rem))
        .filter(|(_, &rem)| rem > 0)
        .map(|(&i, &rem)| (book.order(i).id, EnergyWh(rem)))
        .collect();
    unmatched.sort_unstable();

    Ok(Clearing {
        matches,
        clearing_price: clearing_price.map(PriceMilliWonPerKwh),
        matched_energy,
        unmatched,
    })
}

/// Input checks, each reported for the lowest offending id so the error is order-independent.
fn validate<P>(orders: &[Order<P>], cfg: &ClearingConfig) -> Result<(), Error> {
    if orders.len() > MAX_ORDERS {
        return Err(Error::TooManyOrders {
            count: orders.len(),
            max: MAX_ORDERS,
        });
    }
    if cfg.min_trade.is_zero() {
        return Err(Error::ZeroMinTrade);
    }
    if let Some(id) = orders
        .iter()
        .filter(|o| o.energy.is_zero())
        .map(|o| o.id)
        .min()
    {
        return Err(Error::ZeroEnergy { id });
    }
    let mut ids: Vec<u64> = orders.iter().map(|o| o.id).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::DuplicateId { id: w[0] });
    }
    for side in [Side::Buy, Side::Sell] {
        let total: u128 = orders
            .iter()
            .filter(|o| o.side == side)
            .map(|o| u128::from(o.energy.0))
            .sum();
        if total > u128::from(u64::MAX) {
            return Err(Error::EnergyOverflow { side });
        }
    }
    Ok(())
}

/// The book in merit order, as indices into the caller's slice. A "rank" is a position in
/// `sells` or `buys`.
struct Book<'a, P> {
    orders: &'a [Order<P>],
    sells: Vec<u32>,
    buys: Vec<u32>,
}

impl<'a, P> Book<'a, P> {
    /// `orders.len() <= MAX_ORDERS` (validated), so every index fits in a `u32`.
    fn new(orders: &'a [Order<P>]) -> Self {
        let mut sells: Vec<(u64, u64, u64, u32)> = Vec::new();
        let mut buys: Vec<(u64, u64, u64, u32)> = Vec::new();
        for (i, o) in orders.iter().enumerate() {
            match o.side {
                Side::Sell => sells.push((o.limit.0, o.seq, o.id, i as u32)),
                Side::Buy => buys.push((u64::MAX - o.limit.0, o.seq, o.id, i as u32)),
            }
        }
        // Ids are unique, so the keys are distinct and an unstable sort is deterministic.
        sells.sort_unstable();
        buys.sort_unstable();
        Self {
            orders,
            sells: sells.into_iter().map(|k| k.3).collect(),
            buys: buys.into_iter().map(|k| k.3).collect(),
        }
    }

    fn order(&self, index: u32) -> &'a Order<P> {
        &self.orders[index as usize]
    }

    fn sell(&self, rank: u32) -> &'a Order<P> {
        self.order(self.sells[rank as usize])
    }

    fn buy(&self, rank: u32) -> &'a Order<P> {
        self.order(self.buys[rank as usize])
    }
}

/// A fill between the sell and the buy of these ranks.
#[derive(Clone, Copy, Debug)]
struct Pair {
    sell: u32,
    buy: u32,
    energy: u64,
}

const NONE: u32 = u32::MAX;

/// The merit-order walk over a subset of the book (`sell_ranks` and `buy_ranks` ascending).
///
/// Each buy, in merit order, takes from the first sell in merit order that has energy left, is
/// not retired and belongs to another participant, while that sell's limit is at or below the
/// buy's. A sell or buy whose remainder is below `min_trade` trades no more. With
/// `stop_when_uncrossed`, the walk ends at the first buy whose limit is below the highest sell
/// limit already accepted.
///
/// "First sell of another participant" is found in O(log n): within one walk each
/// participant's sells are consumed in their own merit order (a sell is only taken when no
/// earlier sell of a different owner than the buyer is left), so it is enough to keep, per
/// participant, its first live sell (`heads`), and to look at the first two heads.
#[allow(clippy::too_many_arguments)]
fn pair<P: Ord>(
    book: &Book<'_, P>,
    sell_ranks: &[u32],
    buy_ranks: &[u32],
    sell_rem: &mut [u64],
    buy_rem: &mut [u64],
    min_trade: u64,
    stop_when_uncrossed: bool,
    out: &mut Vec<Pair>,
) {
    let n = sell_ranks.len();
    let owners: Vec<&P> = sell_ranks
        .iter()
        .map(|&r| &book.sell(r).participant)
        .collect();
    let owner = |pos: u32| owners[pos as usize];
    // Group the subset's sells by participant, each group in merit order.
    let mut by_owner: Vec<(&P, u32)> = owners.iter().copied().zip(0..n as u32).collect();
    by_owner.sort_unstable();
    let by_owner: Vec<u32> = by_owner.into_iter().map(|(_, pos)| pos).collect();
    let mut next = vec![NONE; n];
    let mut heads: BTreeSet<u32> = BTreeSet::new();
    let mut prev: Option<u32> = None;
    for &pos in &by_owner {
        match prev {
            Some(p) if owner(p) == owner(pos) => next[p as usize] = pos,
            _ => {
                heads.insert(pos);
            }
        }
        prev = Some(pos);
    }
    let retire = |heads: &mut BTreeSet<u32>, pos: u32| {
        heads.remove(&pos);
        if next[pos as usize] != NONE {
            heads.insert(next[pos as usize]);
        }
    };

    let mut max_sell: Option<u64> = None;
    'buys: for &br in buy_ranks {
        let buy = book.buy(br);
        let limit = buy.limit.0;
        if stop_when_uncrossed && max_sell.is_some_and(|m| limit < m) {
            break;
        }
        loop {
            let want = buy_rem[br as usize];
            if want < min_trade {
                break;
            }
            let mut it = heads.iter();
            let Some(&first) = it.next() else {
                break 'buys;
            };
            if book.sell(sell_ranks[first as usize]).limit.0 > limit {
                // No live sell at or below this limit; later buys have lower limits.
                break 'buys;
            }
            let pos = if *owner(first) != buy.participant {
                first
            } else {
                match it.next() {
                    Some(&second) => second,
                    None => break,
                }
            };
            let sr = sell_ranks[pos as usize];
            let sell = book.sell(sr);
            if sell.limit.0 > limit {
                break;
            }
            let have = sell_rem[sr as usize];
            if have < min_trade {
                retire(&mut heads, pos);
                continue;
            }
            let q = want.min(have);
            buy_rem[br as usize] = want - q;
            sell_rem[sr as usize] = have - q;
            out.push(Pair {
                sell: sr,
                buy: br,
                energy: q,
            });
            max_sell = Some(max_sell.map_or(sell.limit.0, |m| m.max(sell.limit.0)));
            if have == q {
                retire(&mut heads, pos);
            }
        }
    }
}

/// Re-pairs the accepted volumes (energy minus what is left) preferring same-feeder
/// counterparts: for each feeder ascending, the walk over that feeder's accepted sells and buys;
/// then the walk over everything still unpaired. Returns `None` (keep the merit pairing) if
/// some accepted volume stays unpaired (self-trade prevention can strand it) or a fill would be
/// smaller than `min_trade`.
fn pair_by_feeder<P: Ord>(
    book: &Book<'_, P>,
    sell_left: &[u64],
    buy_left: &[u64],
    min_trade: u64,
) -> Option<Vec<Pair>> {
    // `left <= energy` always: the walk only ever subtracts fills from the energy.
    let accepted = |ranks: &[u32], left: &[u64]| -> Vec<u64> {
        ranks
            .iter()
            .zip(left)
            .map(|(&i, &l)| book.order(i).energy.0.saturating_sub(l))
            .collect()
    };
    let mut sell_rem = accepted(&book.sells, sell_left);
    let mut buy_rem = accepted(&book.buys, buy_left);
    let by_feeder = |rem: &[u64], feeder: &dyn Fn(u32) -> u32| -> Vec<(u32, u32)> {
        let mut v: Vec<(u32, u32)> = (0..rem.len() as u32)
            .filter(|&r| rem[r as usize] > 0)
            .map(|r| (feeder(r), r))
            .collect();
        v.sort_unstable();
        v
    };
    let sells = by_feeder(&sell_rem, &|r| book.sell(r).feeder);
    let buys = by_feeder(&buy_rem, &|r| book.buy(r).feeder);

    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < sells.len() && j < buys.len() {
        let (fs, fb) = (sells[i].0, buys[j].0);
        let i_end = i + sells[i..].iter().take_while(|k| k.0 == fs).count();
        let j_end = j + buys[j..].iter().take_while(|k| k.0 == fb).count();
        if fs == fb {
            let s: Vec<u32> = sells[i..i_end].iter().map(|k| k.1).collect();
            let b: Vec<u32> = buys[j..j_end].iter().map(|k| k.1).collect();
            pair(
                book,
                &s,
                &b,
                &mut sell_rem,
                &mut buy_rem,
                1,
                false,
                &mut out,
            );
        }
        if fs <= fb {
            i = i_end;
        }
        if fb <= fs {
            j = j_end;
        }
    }
    let live = |rem: &[u64]| -> Vec<u32> {
        (0..rem.len() as u32)
            .filter(|&r| rem[r as usize] > 0)
            .collect()
    };
    let (s, b) = (live(&sell_rem), live(&buy_rem));
    pair(
        book,
        &s,
        &b,
        &mut sell_rem,
        &mut buy_rem,
        1,
        false,
        &mut out,
    );

    let complete = sell_rem.iter().chain(&buy_rem).all(|&r| r == 0);
    let big_enough = out.iter().all(|p| p.energy >= min_trade);
    (complete && big_enough).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(id: u64, who: u32, side: Side, wh: u64, limit: u64) -> Order<u32> {
        Order {
            id,
            participant: who,
            side,
            energy: EnergyWh(wh),
            limit: PriceMilliWonPerKwh(limit),
            seq: 0,
            feeder: 0,
        }
    }

    #[test]
    fn midpoint_rounds_down_without_overflow() {
        assert_eq!(midpoint_floor(3, 5), 4);
        assert_eq!(midpoint_floor(3, 4), 3);
        assert_eq!(midpoint_floor(1, 2), 1);
        assert_eq!(midpoint_floor(0, 0), 0);
        assert_eq!(midpoint_floor(u64::MAX, u64::MAX), u64::MAX);
        assert_eq!(midpoint_floor(u64::MAX - 1, u64::MAX), u64::MAX - 1);
    }

    #[test]
    fn invalid_books_are_errors_naming_the_lowest_id() {
        let cfg = ClearingConfig::default();
        let zero = [o(7, 1, Side::Sell, 0, 1), o(3, 1, Side::Buy, 0, 1)];
        assert_eq!(clear(&zero, &cfg), Err(Error::ZeroEnergy { id: 3 }));
        let dup = [
            o(9, 1, Side::Sell, 1, 1),
            o(4, 2, Side::Buy, 1, 1),
            o(9, 3, Side::Buy, 1, 1),
            o(4, 4, Side::Sell, 1, 1),
        ];
        assert_eq!(clear(&dup, &cfg), Err(Error::DuplicateId { id: 4 }));
        let no_min = ClearingConfig {
            min_trade: EnergyWh(0),
            ..cfg
        };
        assert_eq!(clear::<u32>(&[], &no_min), Err(Error::ZeroMinTrade));
        let huge = [
            o(1, 1, Side::Sell, u64::MAX, 1),
            o(2, 2, Side::Sell, 1, 1),
            o(3, 3, Side::Buy, u64::MAX, 1),
        ];
        assert_eq!(
            clear(&huge, &cfg),
            Err(Error::EnergyOverflow { side: Side::Sell })
        );
        // One side at exactly u64::MAX Wh is fine, and so are extreme prices.
        let edge = [
            o(1, 1, Side::Sell, u64::MAX, u64::MAX),
            o(2, 2, Side::Buy, u64::MAX, u64::MAX),
        ];
        let c = clear(&edge, &cfg).unwrap();
        assert_eq!(c.matched_energy, EnergyWh(u64::MAX));
        assert_eq!(c.clearing_price, Some(PriceMilliWonPerKwh(u64::MAX)));
        assert_eq!(c.matches[0].cost(), None);
    }

    #[test]
    fn min_trade_skips_small_sells_and_small_remainders() {
        let cfg = ClearingConfig {
            min_trade: EnergyWh(4),
            ..ClearingConfig::default()
        };
        // Sell 1 (3 Wh) is below min_trade: retired, so sell 2 behind it still trades.
        // Buy 3 takes 7 of sell 2's 10 Wh; the 3 Wh left is below min_trade, so buy 4 gets
        // nothing.
        let book = [
            o(1, 1, Side::Sell, 3, 100),
            o(2, 1, Side::Sell, 10, 110),
            o(3, 2, Side::Buy, 7, 200),
            o(4, 3, Side::Buy, 7, 190),
        ];
        let c = clear(&book, &cfg).unwrap();
        assert_eq!(c.matches.len(), 1);
        assert_eq!((c.matches[0].sell_id, c.matches[0].buy_id), (2, 3));
        assert_eq!(c.matched_energy, EnergyWh(7));
        assert_eq!(
            c.unmatched,
            [(1, EnergyWh(3)), (2, EnergyWh(3)), (4, EnergyWh(7))]
        );
        // (110 + 200) / 2
        assert_eq!(c.clearing_price, Some(PriceMilliWonPerKwh(155)));
        // With min_trade 1 everything possible trades.
        let c = clear(&book, &ClearingConfig::default()).unwrap();
        assert_eq!(c.matched_energy, EnergyWh(13));
    }

    #[test]
    fn a_buy_whose_only_sells_are_its_own_stays_open_and_the_next_buy_takes_them() {
        // Participant 1 sells 10 @100 and buys 10 @300; participant 2 buys 10 @200.
        let book = [
            o(1, 1, Side::Sell, 10, 100),
            o(2, 1, Side::Buy, 10, 300),
            o(3, 2, Side::Buy, 10, 200),
        ];
        let c = clear(&book, &ClearingConfig::default()).unwrap();
        assert_eq!(c.matches.len(), 1);
        assert_eq!((c.matches[0].sell_id, c.matches[0].buy_id), (1, 3));
        assert_eq!(c.unmatched, [(2, EnergyWh(10))]);
        assert_eq!(c.clearing_price, Some(PriceMilliWonPerKwh(150)));
    }
}
