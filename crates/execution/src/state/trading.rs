//! Market, period, intention and contract records, their encoding and lookups (order book, gate closure).
//!
//! The rules that change them are in `tx/trading.rs`.
use crate::fail::{fail, Fail, FailCode};
use crate::state::mandates::mandate;
use crate::state::{StateKey, StateRead, StateValue};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_market::Order;
use gridledger_types::{
    kst_month, kst_month_start_ms, Address, ConfigureMarket, EnergyWh, Hash32, MarketId, MilliWon,
    PeriodKind, PriceMilliWonPerKwh, Side, SiteId,
};
use serde::{Deserialize, Serialize};

/// Most intentions one period accepts (clearing runs in one transaction).
pub const MAX_INTENTIONS_PER_PERIOD: u32 = 20_000;

/// Longest gate lead a market may have (31 days).
pub const MAX_GATE_LEAD_MS: u64 = 31 * 86_400_000;

/// Highest fee per kWh (10,000 won).
pub const MAX_FEE: PriceMilliWonPerKwh = PriceMilliWonPerKwh(10_000_000);

/// A stored intention. Its key orders intentions of a period by arrival (`seq`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Intention {
    pub id: Hash32,
    /// The site's owner, or a sales company under the owner's mandate.
    pub submitter: Address,
    /// The site's owner: the party of any contract (self-trade is judged on it) and the money
    /// party (escrow, payments).
    pub owner: Address,
    pub side: Side,
    pub site: SiteId,
    pub feeder: u32,
    pub energy_wh: u64,
    pub limit: PriceMilliWonPerKwh,
    pub cancelled: bool,
    /// Energy paired at clearing.
    pub filled_wh: u64,
    /// Real-time buys: the owner's money still held for this intention.
    pub escrow: MilliWon,
    /// Basis points of the energy amount paid to the submitting company at settlement (its
    /// mandate's share when it submitted; 0 when the owner did).
    pub share_bp: u32,
}

/// An intention with its arrival number in its period.
pub type Numbered = (u32, Intention);

/// A period of a market.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodState {
    pub next_seq: u32,
    pub cleared: bool,
    pub contracts: u32,
    pub matched_wh: u64,
    pub clearing_price: Option<PriceMilliWonPerKwh>,
    pub settled: bool,
}

/// A paired trade: the seller supplies `energy_wh` to the buyer at `price`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    pub sell: Hash32,
    pub buy: Hash32,
    pub seller: Address,
    pub buyer: Address,
    pub seller_site: SiteId,
    pub buyer_site: SiteId,
    pub energy_wh: u64,
    pub price: PriceMilliWonPerKwh,
    /// True once approved (at pairing, or when both parties have approved).
    pub approved: bool,
    pub seller_approved: bool,
    pub buyer_approved: bool,
    /// Approvals count until (and including) this time; 0 where none is needed.
    pub approval_deadline_ms: u64,
    /// The buyer objected within the dispute window.
    pub disputed: bool,
    /// The energy the operator fixed for a disputed contract.
    pub resolved_wh: Option<u64>,
}

impl Write for Intention {
    fn write(&self, b: &mut impl BufMut) {
        self.id.write(b);
        self.submitter.write(b);
        self.owner.write(b);
        self.side.write(b);
        self.site.write(b);
        self.feeder.write(b);
        self.energy_wh.write(b);
        self.limit.write(b);
        self.cancelled.write(b);
        self.filled_wh.write(b);
        self.escrow.write(b);
        self.share_bp.write(b);
    }
}

impl EncodeSize for Intention {
    fn encode_size(&self) -> usize {
        Hash32::SIZE + 2 * Address::SIZE + 1 + self.site.encode_size() + 4 + 8 + 8 + 1 + 8 + 8 + 4
    }
}

impl Read for Intention {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            id: Hash32::read(b)?,
            submitter: Address::read(b)?,
            owner: Address::read(b)?,
            side: Side::read(b)?,
            site: SiteId::read(b)?,
            feeder: u32::read(b)?,
            energy_wh: u64::read(b)?,
            limit: PriceMilliWonPerKwh::read(b)?,
            cancelled: bool::read(b)?,
            filled_wh: u64::read(b)?,
            escrow: MilliWon::read(b)?,
            share_bp: u32::read(b)?,
        })
    }
}

impl Write for PeriodState {
    fn write(&self, b: &mut impl BufMut) {
        self.next_seq.write(b);
        self.cleared.write(b);
        self.contracts.write(b);
        self.matched_wh.write(b);
        self.clearing_price.write(b);
        self.settled.write(b);
    }
}

impl EncodeSize for PeriodState {
    fn encode_size(&self) -> usize {
        4 + 1 + 4 + 8 + self.clearing_price.encode_size() + 1
    }
}

impl Read for PeriodState {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            next_seq: u32::read(b)?,
            cleared: bool::read(b)?,
            contracts: u32::read(b)?,
            matched_wh: u64::read(b)?,
            clearing_price: Option::<PriceMilliWonPerKwh>::read(b)?,
            settled: bool::read(b)?,
        })
    }
}

impl Write for Contract {
    fn write(&self, b: &mut impl BufMut) {
        self.sell.write(b);
        self.buy.write(b);
        self.seller.write(b);
        self.buyer.write(b);
        self.seller_site.write(b);
        self.buyer_site.write(b);
        self.energy_wh.write(b);
        self.price.write(b);
        self.approved.write(b);
        self.seller_approved.write(b);
        self.buyer_approved.write(b);
        self.approval_deadline_ms.write(b);
        self.disputed.write(b);
        self.resolved_wh.write(b);
    }
}

impl EncodeSize for Contract {
    fn encode_size(&self) -> usize {
        2 * Hash32::SIZE
            + 2 * Address::SIZE
            + self.seller_site.encode_size()
            + self.buyer_site.encode_size()
            + 8
            + 8
            + 3
            + 8
            + 1
            + self.resolved_wh.encode_size()
    }
}

impl Read for Contract {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            sell: Hash32::read(b)?,
            buy: Hash32::read(b)?,
            seller: Address::read(b)?,
            buyer: Address::read(b)?,
            seller_site: SiteId::read(b)?,
            buyer_site: SiteId::read(b)?,
            energy_wh: u64::read(b)?,
            price: PriceMilliWonPerKwh::read(b)?,
            approved: bool::read(b)?,
            seller_approved: bool::read(b)?,
            buyer_approved: bool::read(b)?,
            approval_deadline_ms: u64::read(b)?,
            disputed: bool::read(b)?,
            resolved_wh: Option::<u64>::read(b)?,
        })
    }
}

pub fn market(s: &(impl StateRead + ?Sized), id: &MarketId) -> Option<ConfigureMarket> {
    match s.get(&StateKey::Market(id.clone())) {
        Some(StateValue::Market(m)) => Some(m),
        _ => None,
    }
}

pub fn period(s: &(impl StateRead + ?Sized), id: &MarketId, start: u64) -> PeriodState {
    match s.get(&StateKey::Period(id.clone(), start)) {
        Some(StateValue::Period(p)) => p,
        _ => PeriodState::default(),
    }
}

/// Intentions of a period in arrival order.
pub fn intentions(
    s: &(impl StateRead + ?Sized),
    id: &MarketId,
    start: u64,
) -> Vec<(u32, Intention)> {
    let range = StateKey::Intention(id.clone(), start, 0)
        ..StateKey::Intention(id.clone(), start.saturating_add(1), 0);
    s.scan(&range)
        .into_iter()
        .filter_map(|(k, v)| match (k, v) {
            (StateKey::Intention(_, _, seq), StateValue::Intention(i)) => Some((seq, i)),
            _ => None,
        })
        .collect()
}

/// Contracts of a cleared period in pairing order.
pub fn contracts(s: &(impl StateRead + ?Sized), id: &MarketId, start: u64) -> Vec<Contract> {
    let range = StateKey::Contract(id.clone(), start, 0)
        ..StateKey::Contract(id.clone(), start.saturating_add(1), 0);
    s.scan(&range)
        .into_iter()
        .filter_map(|(_, v)| match v {
            StateValue::Contract(c) => Some(c),
            _ => None,
        })
        .collect()
}

/// A period's open intentions as the order book the pairing sees: sells by price ascending,
/// buys by price descending, ties by arrival.
pub fn order_book(
    s: &(impl StateRead + ?Sized),
    id: &MarketId,
    start: u64,
) -> (Vec<Numbered>, Vec<Numbered>) {
    let mut book = intentions(s, id, start);
    // Before clearing, hide what clearing will drop (a company's intention whose mandate no
    // longer covers the period).
    if let Some(m) = market(s, id).filter(|_| !period(s, id, start).cleared) {
        let gate = gate_closure_ms(&m, start);
        book.retain(|(_, i)| stands(s, i, id, gate));
    }
    let orders = orders_of(&book);
    let (sells, buys) = gridledger_market::sorted_book(&orders);
    let by_seq: std::collections::BTreeMap<u64, &Intention> =
        book.iter().map(|(q, i)| (u64::from(*q), i)).collect();
    let pick = |v: Vec<&Order<Address>>| {
        v.into_iter()
            .filter_map(|o| by_seq.get(&o.id).map(|i| (o.id as u32, (*i).clone())))
            .collect()
    };
    (pick(sells), pick(buys))
}

/// True if `start` is the start of a period of this kind.
pub fn valid_period(kind: PeriodKind, start: u64) -> bool {
    match kind {
        PeriodKind::Monthly => kst_month_start_ms(kst_month(start)) == Some(start),
        PeriodKind::Hourly => start.is_multiple_of(3_600_000),
        PeriodKind::QuarterHour => start.is_multiple_of(900_000),
    }
}

/// When intentions for the period starting at `start` close.
pub fn gate_closure_ms(m: &ConfigureMarket, start: u64) -> u64 {
    start.saturating_sub(m.gate_lead_ms)
}

/// The market, if `start` starts one of its periods.
pub(crate) fn market_and_period(
    s: &(impl StateRead + ?Sized),
    mk: &MarketId,
    start: u64,
) -> Result<ConfigureMarket, Fail> {
    let m =
        market(s, mk).ok_or_else(|| fail(FailCode::UnknownMarket, format!("no market {mk}")))?;
    if !valid_period(m.period_kind, start) {
        return Err(fail(
            FailCode::InvalidPeriod,
            format!("{start} does not start a {} period", m.period_kind),
        ));
    }
    Ok(m)
}

/// The open (not cancelled) intentions as the market crate's orders; order id = arrival number.
pub(crate) fn orders_of(book: &[(u32, Intention)]) -> Vec<Order<Address>> {
    book.iter()
        .filter(|(_, i)| !i.cancelled)
        .map(|(seq, i)| Order {
            id: u64::from(*seq),
            participant: i.owner.clone(),
            side: match i.side {
                Side::Buy => gridledger_market::Side::Buy,
                Side::Sell => gridledger_market::Side::Sell,
            },
            energy: EnergyWh(i.energy_wh),
            limit: i.limit,
            seq: u64::from(*seq),
            feeder: i.feeder,
        })
        .collect()
}

/// True if intention `i` of a period of `mk` whose gate closes at `gate_ms` stands: entered by
/// the owner, or by a company whose mandate still covers the period (not revoked, ended or
/// narrowed before the gate).
pub fn stands(s: &(impl StateRead + ?Sized), i: &Intention, mk: &MarketId, gate_ms: u64) -> bool {
    i.submitter == i.owner
        || mandate(s, &i.site, &i.submitter).is_some_and(|m| m.covers_period(i.side, mk, gate_ms))
}
