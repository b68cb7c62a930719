//! Orders and the sorted view of a book: merit order, the order-book view of an open period and
//! the supply and demand curves of the dashboard.
use crate::Error;
use gridledger_types::{EnergyWh, PriceMilliWonPerKwh};
use std::cmp::Reverse;

/// Most orders one book may hold (a limit on everything; 16.7 million is far above a pilot's
/// trading period and keeps every internal index in a `u32`).
pub const MAX_ORDERS: usize = 1 << 24;

/// Which way an order trades.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// A consumer's intention to buy up to `energy` at no more than `limit`.
    Buy,
    /// A prosumer's intention to sell up to `energy` at no less than `limit`.
    Sell,
}

/// One intention to trade in one trading period.
///
/// `P` is the participant id: `gridledger_types::Address` on the chain, anything `Ord + Clone`
/// in tests and benches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order<P> {
    /// Unique in the book; assigned by the chain.
    pub id: u64,
    /// Who trades. A participant's buy never pairs with its own sell.
    pub participant: P,
    pub side: Side,
    /// Most energy to trade; must not be zero.
    pub energy: EnergyWh,
    /// Sell: lowest acceptable price. Buy: highest acceptable price.
    pub limit: PriceMilliWonPerKwh,
    /// Arrival order, `block height << 32 | index in block`; earlier wins a price tie.
    pub seq: u64,
    /// Distribution feeder the participant is connected to (for the feeder preference).
    pub feeder: u32,
}

impl<P> Order<P> {
    /// The merit-order key of a sell: cheapest first, then earliest `seq`, then lowest `id`.
    pub(crate) fn sell_key(&self) -> (u64, u64, u64) {
        (self.limit.0, self.seq, self.id)
    }

    /// The merit-order key of a buy: dearest first, then earliest `seq`, then lowest `id`.
    pub(crate) fn buy_key(&self) -> (Reverse<u64>, u64, u64) {
        (Reverse(self.limit.0), self.seq, self.id)
    }
}

/// The book in merit order: sells by limit ascending, buys by limit descending, ties by `seq`
/// then `id` (earlier first). Does not validate; the result does not depend on input order as
/// long as ids are unique.
pub fn sorted_book<P>(orders: &[Order<P>]) -> (Vec<&Order<P>>, Vec<&Order<P>>) {
    let (mut sells, mut buys): (Vec<&Order<P>>, Vec<&Order<P>>) =
        orders.iter().partition(|o| o.side == Side::Sell);
    sells.sort_unstable_by_key(|o| o.sell_key());
    buys.sort_unstable_by_key(|o| o.buy_key());
    (sells, buys)
}

/// One step of a curve: the cumulative energy offered (or wanted) at `price` or better.
pub type CurvePoint = (EnergyWh, PriceMilliWonPerKwh);

/// The supply curve (sells, price ascending) and the demand curve (buys, price descending) for
/// the dashboard: one point per distinct limit price, with the cumulative energy of all orders
/// at that price or better. Fails only if a cumulative energy overflows `u64`.
pub fn supply_demand_curves<P>(
    orders: &[Order<P>],
) -> Result<(Vec<CurvePoint>, Vec<CurvePoint>), Error> {
    let (sells, buys) = sorted_book(orders);
    Ok((curve(&sells, Side::Sell)?, curve(&buys, Side::Buy)?))
}

fn curve<P>(sorted: &[&Order<P>], side: Side) -> Result<Vec<CurvePoint>, Error> {
    let mut points: Vec<CurvePoint> = Vec::new();
    let mut total = EnergyWh::ZERO;
    for o in sorted {
        total = total
            .checked_add(o.energy)
            .ok_or(Error::EnergyOverflow { side })?;
        match points.last_mut() {
            Some(last) if last.1 == o.limit => last.0 = total,
            _ => points.push((total, o.limit)),
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(id: u64, side: Side, kwh: u64, won: u64, seq: u64) -> Order<u32> {
        Order {
            id,
            participant: id as u32,
            side,
            energy: EnergyWh(kwh * 1_000),
            limit: PriceMilliWonPerKwh(won * 1_000),
            seq,
            feeder: 0,
        }
    }

    #[test]
    fn sorted_book_is_merit_order_with_time_then_id_ties() {
        let book = [
            o(5, Side::Sell, 1, 150, 9),
            o(4, Side::Sell, 1, 150, 3),
            o(3, Side::Sell, 1, 100, 7),
            o(9, Side::Sell, 1, 150, 3),
            o(8, Side::Buy, 1, 200, 2),
            o(7, Side::Buy, 1, 250, 5),
            o(6, Side::Buy, 1, 200, 1),
        ];
        let (s, b) = sorted_book(&book);
        // 100 first; at 150: seq 3 (ids 4 then 9) before seq 9.
        assert_eq!(s.iter().map(|o| o.id).collect::<Vec<_>>(), [3, 4, 9, 5]);
        // 250 first; at 200: seq 1 (id 6) before seq 2 (id 8).
        assert_eq!(b.iter().map(|o| o.id).collect::<Vec<_>>(), [7, 6, 8]);
    }

    #[test]
    fn curves_accumulate_per_price_level() {
        let book = [
            o(1, Side::Sell, 100, 150, 0),
            o(2, Side::Sell, 50, 180, 0),
            o(3, Side::Sell, 20, 150, 0),
            o(4, Side::Buy, 60, 250, 0),
            o(5, Side::Buy, 90, 200, 0),
        ];
        let (supply, demand) = supply_demand_curves(&book).unwrap();
        let p = |won: u64| PriceMilliWonPerKwh(won * 1_000);
        assert_eq!(
            supply,
            [(EnergyWh(120_000), p(150)), (EnergyWh(170_000), p(180))]
        );
        assert_eq!(
            demand,
            [(EnergyWh(60_000), p(250)), (EnergyWh(150_000), p(200))]
        );
        let huge = [
            Order {
                energy: EnergyWh(u64::MAX),
                ..o(1, Side::Buy, 1, 1, 0)
            },
            o(2, Side::Buy, 1, 1, 0),
        ];
        assert_eq!(
            supply_demand_curves(&huge),
            Err(Error::EnergyOverflow { side: Side::Buy })
        );
    }
}
