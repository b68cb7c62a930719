//! Markets, intentions and period clearing: the operator configures markets; site owners (or
//! sales companies under their mandate, see [crate::mandates]) post sell and buy intentions for
//! a period; at or after gate closure anyone may ask for the period to be cleared, and the chain
//! pairs the intentions that stand with the market crate's deterministic clearing into
//! contracts stored in the state. The site's owner is the money party of every intention.
use crate::executor::{fail, Fail, Scratch};
use crate::fail::FailCode;
use crate::mandates::{authority, either, stands, Authority, Scope};
use crate::metering::site;
use crate::state::{Participant, StateKey, StateRead, StateValue};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_market::{clear, ClearingConfig, Order, PricingRule};
use gridledger_types::{
    kst_month, kst_month_start_ms, Address, ConfigureMarket, EnergyWh, Event, Hash32, MarketId,
    MilliWon, PeriodKind, PriceMilliWonPerKwh, Pricing, Role, Side, SiteId, SubmitIntention,
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

/// The open (not cancelled) intentions as the market crate's orders; order id = arrival number.
fn orders_of(book: &[(u32, Intention)]) -> Vec<Order<Address>> {
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

pub(crate) fn configure<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    me: &Participant,
    p: &ConfigureMarket,
) -> Result<Vec<Event>, Fail> {
    crate::executor::require_role(me, Role::Operator, FailCode::NotOperator)?;
    if p.gate_lead_ms > MAX_GATE_LEAD_MS {
        return Err(fail(
            FailCode::InvalidGate,
            format!("gate lead is at most {MAX_GATE_LEAD_MS} ms"),
        ));
    }
    if p.approval_window_ms > MAX_GATE_LEAD_MS {
        return Err(fail(
            FailCode::InvalidApprovalWindow,
            format!("approval window is at most {MAX_GATE_LEAD_MS} ms"),
        ));
    }
    if let Some(old) = market(s, &p.market) {
        if old.period_kind != p.period_kind {
            return Err(fail(
                FailCode::PeriodKindFixed,
                format!(
                    "market {} has {} periods; a market's period length never changes",
                    p.market, old.period_kind
                ),
            ));
        }
    }
    if p.wheeling_fee > MAX_FEE || p.platform_fee > MAX_FEE {
        return Err(fail(
            FailCode::InvalidFee,
            format!("fees are at most {} mKRW/kWh", MAX_FEE.0),
        ));
    }
    s.put(
        StateKey::Market(p.market.clone()),
        StateValue::Market(p.clone()),
    );
    Ok(vec![Event::MarketConfigured {
        market: p.market.clone(),
    }])
}

pub(crate) fn submit<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    now_ms: u64,
    id: Hash32,
    signer: &Address,
    p: &SubmitIntention,
) -> Result<Vec<Event>, Fail> {
    let m = market(s, &p.market)
        .ok_or_else(|| fail(FailCode::UnknownMarket, format!("no market {}", p.market)))?;
    if !m.active {
        return Err(fail(
            FailCode::MarketInactive,
            format!("market {} is not active", p.market),
        ));
    }
    if !valid_period(m.period_kind, p.period_start_ms) {
        return Err(fail(
            FailCode::InvalidPeriod,
            format!(
                "{} does not start a {} period",
                p.period_start_ms, m.period_kind
            ),
        ));
    }
    let gate = gate_closure_ms(&m, p.period_start_ms);
    if now_ms >= gate {
        return Err(fail(
            FailCode::GateClosed,
            format!("intentions for this period closed at {gate} ms"),
        ));
    }
    let st = site(s, &p.site)
        .ok_or_else(|| fail(FailCode::UnknownSite, format!("no site {}", p.site)))?;
    let scope = Scope {
        side: p.side,
        market: &p.market,
        gate_ms: Some(gate),
    };
    let acting = authority(s, now_ms, signer, &st.owner, &p.site, scope)?.ok_or_else(|| {
        fail(
            FailCode::NotSiteOwner,
            format!(
                "only the owner of {} or a sales company under its mandate may trade for it",
                p.site
            ),
        )
    })?;
    if p.energy_wh == 0 {
        return Err(fail(
            FailCode::ZeroEnergy,
            "energy must be greater than zero",
        ));
    }
    if p.side == Side::Buy && p.limit.is_zero() {
        return Err(fail(
            FailCode::ZeroLimit,
            "a buy needs a maximum price above zero",
        ));
    }
    let mut per = period(s, &p.market, p.period_start_ms);
    if per.cleared {
        return Err(fail(FailCode::GateClosed, "this period is already cleared"));
    }
    if per.next_seq >= MAX_INTENTIONS_PER_PERIOD {
        return Err(fail(
            FailCode::PeriodFull,
            format!("a period takes at most {MAX_INTENTIONS_PER_PERIOD} intentions"),
        ));
    }
    let escrow = crate::escrow::hold_for(s, &m, &st.owner, p)?;
    let seq = per.next_seq;
    per.next_seq += 1;
    s.put(
        StateKey::Period(p.market.clone(), p.period_start_ms),
        StateValue::Period(per),
    );
    s.put(
        StateKey::Intention(p.market.clone(), p.period_start_ms, seq),
        StateValue::Intention(Intention {
            id,
            submitter: signer.clone(),
            owner: st.owner,
            side: p.side,
            site: p.site.clone(),
            feeder: st.feeder,
            energy_wh: p.energy_wh,
            limit: p.limit,
            cancelled: false,
            filled_wh: 0,
            escrow,
            share_bp: acting.share_bp(),
        }),
    );
    s.put(
        StateKey::IntentionRef(id),
        StateValue::IntentionRef(p.market.clone(), p.period_start_ms, seq),
    );
    let mut events = vec![Event::IntentionSubmitted {
        intention: id,
        market: p.market.clone(),
        period_start_ms: p.period_start_ms,
        side: p.side,
        site: p.site.clone(),
        energy_wh: p.energy_wh,
        limit: p.limit,
    }];
    if !escrow.is_zero() {
        events.push(Event::EscrowHeld {
            intention: id,
            amount: escrow,
        });
    }
    Ok(events)
}

pub(crate) fn cancel<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    now_ms: u64,
    signer: &Address,
    id: &Hash32,
) -> Result<Vec<Event>, Fail> {
    let Some(StateValue::IntentionRef(mk, start, seq)) = s.get(&StateKey::IntentionRef(*id)) else {
        return Err(fail(
            FailCode::UnknownIntention,
            format!("no intention {id}"),
        ));
    };
    let key = StateKey::Intention(mk.clone(), start, seq);
    let Some(StateValue::Intention(mut i)) = s.get(&key) else {
        return Err(fail(
            FailCode::UnknownIntention,
            format!("no intention {id}"),
        ));
    };
    let m =
        market(s, &mk).ok_or_else(|| fail(FailCode::UnknownMarket, format!("no market {mk}")))?;
    let gate = gate_closure_ms(&m, start);
    let scope = Scope {
        side: i.side,
        market: &mk,
        gate_ms: Some(gate),
    };
    if authority(s, now_ms, signer, &i.owner, &i.site, scope)?.is_none() {
        return Err(fail(
            FailCode::NotAuthorized,
            "only the site's owner or a sales company under its mandate may cancel an intention",
        ));
    }
    if i.cancelled {
        return Err(fail(
            FailCode::AlreadyCancelled,
            format!("intention {id} is already cancelled"),
        ));
    }
    if now_ms >= gate || period(s, &mk, start).cleared {
        return Err(fail(
            FailCode::GateClosed,
            format!("the gate closed at {gate} ms"),
        ));
    }
    i.cancelled = true;
    s.release(&i.owner, i.escrow)?;
    i.escrow = MilliWon::ZERO;
    s.put(key, StateValue::Intention(i));
    Ok(vec![Event::IntentionCancelled { intention: *id }])
}

pub(crate) fn approve<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    now_ms: u64,
    signer: &Address,
    mk: &MarketId,
    start: u64,
    number: u32,
) -> Result<Vec<Event>, Fail> {
    let key = StateKey::Contract(mk.clone(), start, number);
    let Some(StateValue::Contract(mut c)) = s.get(&key) else {
        return Err(fail(
            FailCode::UnknownContract,
            format!("no contract {number} in {mk} period {start}"),
        ));
    };
    if c.approved {
        return Err(fail(
            FailCode::AlreadyApproved,
            "this contract is already approved",
        ));
    }
    // Approvals close at the deadline, and at the latest when the period ends (so settlement
    // and the buyer's dispute window see every approved contract).
    let period_ends = market(s, mk)
        .and_then(|m| crate::settlement::period_end(m.period_kind, start))
        .unwrap_or(0);
    if now_ms > c.approval_deadline_ms || now_ms >= period_ends {
        return Err(fail(
            FailCode::ApprovalExpired,
            format!(
                "approvals closed at {} ms",
                c.approval_deadline_ms.min(period_ends)
            ),
        ));
    }
    let (sell_side, buy_side) = contract_sides(s, now_ms, signer, mk, &c)?;
    c.seller_approved |= sell_side.is_some();
    c.buyer_approved |= buy_side.is_some();
    c.approved = c.seller_approved && c.buyer_approved;
    let approved = c.approved;
    s.put(key, StateValue::Contract(c));
    Ok(vec![Event::ContractApproved {
        market: mk.clone(),
        period_start_ms: start,
        number,
        by: signer.clone(),
        approved,
    }])
}

/// Which sides of contract `c` the signer may act for at `now_ms`: the seller's (as the seller
/// site's owner or a sales company under its sell mandate), the buyer's, or both; `not_a_party`
/// or the mandate's failure if neither.
pub(crate) fn contract_sides(
    s: &(impl StateRead + ?Sized),
    now_ms: u64,
    signer: &Address,
    mk: &MarketId,
    c: &Contract,
) -> Result<(Option<Authority>, Option<Authority>), Fail> {
    let scope = |side| Scope {
        side,
        market: mk,
        gate_ms: None,
    };
    either(
        authority(
            s,
            now_ms,
            signer,
            &c.seller,
            &c.seller_site,
            scope(Side::Sell),
        ),
        authority(s, now_ms, signer, &c.buyer, &c.buyer_site, scope(Side::Buy)),
        || {
            fail(
                FailCode::NotAParty,
                "only the contract's seller or buyer (or a sales company under its mandate) may \
                 do this",
            )
        },
    )
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

pub(crate) fn clear_period<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    now_ms: u64,
    mk: &MarketId,
    start: u64,
) -> Result<Vec<Event>, Fail> {
    let m = market_and_period(s, mk, start)?;
    let gate = gate_closure_ms(&m, start);
    if now_ms < gate {
        return Err(fail(
            FailCode::GateOpen,
            format!("the gate closes at {gate} ms"),
        ));
    }
    let mut per = period(s, mk, start);
    if per.cleared {
        return Err(fail(
            FailCode::AlreadyCleared,
            "this period is already cleared",
        ));
    }
    crate::billing::ensure_month_open(s, start)?;
    let mut book = intentions(s, mk, start);
    // A company's intention whose mandate no longer covers the period (revoked, ended or
    // narrowed before the gate) is dropped, and what it held goes back to the owner.
    for (seq, i) in book.iter_mut() {
        if i.cancelled || stands(s, i, mk, gate) {
            continue;
        }
        i.cancelled = true;
        s.release(&i.owner, i.escrow)?;
        i.escrow = MilliWon::ZERO;
        s.put(
            StateKey::Intention(mk.clone(), start, *seq),
            StateValue::Intention(i.clone()),
        );
    }
    let orders = orders_of(&book);
    let cfg = ClearingConfig {
        rule: match m.pricing {
            Pricing::Uniform => PricingRule::Uniform,
            Pricing::PayAsBid => PricingRule::PayAsBid,
        },
        prefer_same_feeder: m.prefer_same_feeder,
        min_trade: EnergyWh(1),
    };
    let result = clear(&orders, &cfg).map_err(|e| fail(FailCode::ClearingFailed, e.to_string()))?;
    let by_seq: std::collections::BTreeMap<u32, &Intention> =
        book.iter().map(|(q, i)| (*q, i)).collect();
    let mut filled: std::collections::BTreeMap<u32, u64> = std::collections::BTreeMap::new();
    for (n, mt) in result.matches.iter().enumerate() {
        let (sq, bq) = (mt.sell_id as u32, mt.buy_id as u32);
        let (Some(sell), Some(buy)) = (by_seq.get(&sq), by_seq.get(&bq)) else {
            return Err(fail(
                FailCode::ClearingFailed,
                "a match names an unknown intention",
            ));
        };
        *filled.entry(sq).or_default() += mt.energy.0;
        *filled.entry(bq).or_default() += mt.energy.0;
        s.put(
            StateKey::Contract(mk.clone(), start, n as u32),
            StateValue::Contract(Contract {
                sell: sell.id,
                buy: buy.id,
                seller: sell.owner.clone(),
                buyer: buy.owner.clone(),
                seller_site: sell.site.clone(),
                buyer_site: buy.site.clone(),
                energy_wh: mt.energy.0,
                price: mt.price,
                approved: m.approval_window_ms == 0,
                seller_approved: false,
                buyer_approved: false,
                approval_deadline_ms: if m.approval_window_ms == 0 {
                    0
                } else {
                    now_ms.saturating_add(m.approval_window_ms)
                },
                disputed: false,
                resolved_wh: None,
            }),
        );
    }
    for (seq, i) in &book {
        let wh = filled.get(seq).copied().unwrap_or(0);
        if wh == 0 && i.escrow.is_zero() {
            continue;
        }
        let mut i = i.clone();
        i.filled_wh = wh;
        crate::escrow::release_unfilled(s, &m, start, &mut i)?;
        s.put(
            StateKey::Intention(mk.clone(), start, *seq),
            StateValue::Intention(i),
        );
    }
    per.cleared = true;
    per.contracts = result.matches.len() as u32;
    per.matched_wh = result.matched_energy.0;
    per.clearing_price = result.clearing_price;
    s.put(StateKey::Period(mk.clone(), start), StateValue::Period(per));
    Ok(vec![Event::PeriodCleared {
        market: mk.clone(),
        period_start_ms: start,
        contracts: per.contracts,
        matched_wh: per.matched_wh,
        clearing_price: per.clearing_price,
    }])
}

// ---- canonical encoding -------------------------------------------------------------------

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
