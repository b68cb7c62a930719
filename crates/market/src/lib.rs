//! GridLedger's market: the pure order book and clearing algorithm that pairs a trading
//! period's sell and buy intentions at gate closure.
//!
//! No I/O, no clock, no floats, no hash-ordered collections; every input problem is an
//! [`Error`], never a panic. The result depends only on the *set* of orders: [`clear`] sorts
//! internally, so any permutation of the same orders gives the same [`Clearing`].
//!
//! # Rules
//!
//! **Merit order.** Sells by limit ascending, buys by limit descending; equal limits by `seq`
//! (arrival: block height << 32 | index), then by `id`, earlier/lower first
//! ([`sorted_book`]).
//!
//! **Acceptance (partial fills).** Buys are taken one by one in merit order. The current buy
//! takes `min(buy left, sell left)` from the first sell in merit order that still has energy,
//! belongs to *another* participant and has a limit at or below the buy's limit, and repeats
//! until the buy is filled or no such sell exists; then the next buy goes.
//! - **No self-trade:** a buy skips the sells of its own participant. Skipped sells stay in
//!   place, first in line for the next buy of someone else.
//! - **The walk ends** at the first buy whose limit is below the highest sell limit already
//!   accepted (or when no sell at or below the buy's limit is left). So every accepted sell
//!   limit is at or below every accepted buy limit. Without self-trade skips this is exactly the
//!   classic "walk while best bid >= best ask".
//! - **`min_trade`:** no fill is smaller than `ClearingConfig::min_trade` (at least 1 Wh): a
//!   buy or sell whose remainder is below it trades no more (a sell so retired no longer
//!   blocks the sells behind it).
//!
//! **Prices** (always in the accepted range, so nobody trades beyond its limit):
//! - [`PricingRule::Uniform`] (pay-as-clear): one clearing price for every match, the
//!   midpoint, rounded down to 1 mKRW/kWh, of the highest accepted sell limit and the lowest
//!   accepted buy limit. Without self-trade skips these are the limits of the marginal (last
//!   matched) pair.
//! - [`PricingRule::PayAsBid`]: each pair's own bids set its price, the midpoint of its sell
//!   and buy limits rounded down. `clearing_price` is `None`.
//! - Money: [`cost`] = energy x price, fraction of a milli-won dropped
//!   (`PriceMilliWonPerKwh::cost_floor`).
//!
//! **Feeder preference** (`prefer_same_feeder`). How much of each order trades is decided by
//! the merit order above, exactly as without preference. Only the pairing of those accepted
//! volumes changes: for each feeder in ascending order, the same walk (same merit order, same
//! self-trade rule) over the accepted sells and buys on that feeder; then the walk over
//! everything still unpaired, across feeders. Since all accepted sell limits are at or below all
//! accepted buy limits, any such pairing respects every limit, and the uniform price is
//! unchanged. If this re-pairing would leave accepted volume unpaired (self-trade prevention can
//! strand a participant's own sell and buy) or make a fill below `min_trade`, the merit pairing
//! is kept unchanged, so filled energies never depend on the preference.
//!
//! **Validation.** Zero energy, duplicate ids, `min_trade` of 0, more than [`MAX_ORDERS`]
//! orders, or one side's total energy above `u64::MAX` Wh are errors.
//!
//! # Worked example
//!
//! Sells: A 100 kWh at 150 won/kWh, B 50 kWh at 180, C 80 kWh at 210. Buys: D 60 kWh at 250,
//! E 90 kWh at 200, F 100 kWh at 160.
//!
//! - D (250) takes 60 kWh of A (150). A has 40 left.
//! - E (200) takes A's 40 kWh, then 50 kWh of B (180). E is filled.
//! - F (160) is below the highest accepted sell limit (180): the walk ends. C and F stay.
//!
//! 150 kWh trade. Uniform: the accepted range is [180, 200], so everyone trades at 190 won/kWh.
//! Pay-as-bid: D-A at (250+150)/2 = 200, E-A at (200+150)/2 = 175, E-B at (200+180)/2 = 190.
//!
//! ```
//! use gridledger_market::{clear, ClearingConfig, Order, PricingRule, Side};
//! use gridledger_types::{EnergyWh, PriceMilliWonPerKwh};
//!
//! let order = |id: u64, who: char, side, kwh: u64, won: u64| Order {
//!     id, participant: who, side, seq: id, feeder: 0,
//!     energy: EnergyWh(kwh * 1_000),                // Wh
//!     limit: PriceMilliWonPerKwh(won * 1_000),      // mKRW/kWh
//! };
//! let book = [
//!     order(1, 'A', Side::Sell, 100, 150), order(2, 'B', Side::Sell, 50, 180),
//!     order(3, 'C', Side::Sell, 80, 210),  order(4, 'D', Side::Buy, 60, 250),
//!     order(5, 'E', Side::Buy, 90, 200),   order(6, 'F', Side::Buy, 100, 160),
//! ];
//! let uniform = clear(&book, &ClearingConfig::default()).unwrap();
//! assert_eq!(uniform.matched_energy, EnergyWh(150_000));
//! assert_eq!(uniform.clearing_price, Some(PriceMilliWonPerKwh(190_000)));
//! let fills: Vec<_> = uniform.matches.iter().map(|m| (m.seller, m.buyer, m.energy.0)).collect();
//! assert_eq!(fills, [('A', 'D', 60_000), ('A', 'E', 40_000), ('B', 'E', 50_000)]);
//! assert_eq!(uniform.unmatched, [(3, EnergyWh(80_000)), (6, EnergyWh(100_000))]);
//!
//! let cfg = ClearingConfig { rule: PricingRule::PayAsBid, ..ClearingConfig::default() };
//! let pab = clear(&book, &cfg).unwrap();
//! let prices: Vec<_> = pab.matches.iter().map(|m| m.price.0 / 1_000).collect();
//! assert_eq!(prices, [200, 175, 190]);
//! assert_eq!(pab.clearing_price, None);
//! ```
#![forbid(unsafe_code)]

mod book;
mod clearing;
mod error;

pub use book::{sorted_book, supply_demand_curves, CurvePoint, Order, Side, MAX_ORDERS};
pub use clearing::{clear, cost, Clearing, ClearingConfig, Match, PricingRule};
pub use error::Error;
