//! PPA records, their encoding, lookups and index, and the record-level writes settlement shares
//! (proposals lapsed). A PPA month's settlement line is settlement's record (`state/settlement.rs`).
//!
//! The rules that change them are in `tx/ppa.rs`.
use crate::state::StateWrite;
use crate::state::{StateKey, StateRead, StateValue};
use bytes::{Buf, BufMut};
use commonware_codec::{
    EncodeSize, Error as CodecError, FixedSize, RangeCfg, Read, ReadExt, Write,
};
use gridledger_types::{
    Address, Hash32, MarketId, PpaStatus, PriceMilliWonPerKwh, Side, SiteId, PPA_PROFILE_MONTHS,
    RECEIPT_MAX_EVENTS,
};
use serde::{Deserialize, Serialize};

/// Longest term, in months.
pub const MAX_PPA_TERM_MONTHS: u32 = 120;

/// Longest notice, in months.
pub const MAX_PPA_NOTICE_MONTHS: u32 = 24;

/// A term starts at most this many months after the month of its proposal.
pub const MAX_PPA_LEAD_MONTHS: u32 = 24;

/// Largest monthly energy of a profile (10 GWh).
pub const MAX_PPA_MONTH_WH: u64 = 10_000_000_000;

/// Highest PPA price (10,000 won/kWh).
pub const MAX_PPA_PRICE: PriceMilliWonPerKwh = PriceMilliWonPerKwh(10_000_000);

/// Most live PPAs (proposed, or accepted and not finished) one market holds; with the period's
/// own event, one settlement's events stay within a receipt.
pub const MAX_LIVE_PPAS_PER_MARKET: usize = 1_000;

/// Most proposals one party may have waiting for acceptance in one market (so nobody can fill
/// the market's PPA limit alone).
pub const MAX_OPEN_PROPOSALS: usize = 10;

const _: () = assert!(MAX_LIVE_PPAS_PER_MARKET < RECEIPT_MAX_EVENTS);

/// A stored PPA. Its key is the hash of the proposing transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ppa {
    pub market: MarketId,
    /// Who signed the proposal: an owner, or a sales company for one.
    pub proposer: Address,
    /// The side the proposal was made for; acceptance comes from the other side.
    pub proposer_side: Side,
    /// The sales company that proposed or accepted for the seller site, if one did.
    pub seller_agent: Option<Address>,
    /// Owner of the seller site: paid for the energy.
    pub seller: Address,
    /// Owner of the buyer site: pays the energy and the fees.
    pub buyer: Address,
    pub seller_site: SiteId,
    pub buyer_site: SiteId,
    pub price: PriceMilliWonPerKwh,
    pub start_month: u32,
    pub end_month: u32,
    /// Wh per calendar month, January to December.
    pub monthly_wh: Vec<u64>,
    pub notice_months: u32,
    pub status: PpaStatus,
    pub proposed_at_ms: u64,
    /// 0 until accepted.
    pub accepted_at_ms: u64,
    /// Last month that settles: `end_month`, or earlier once terminated (before
    /// `start_month`: none does).
    pub last_month: u32,
    pub seller_terminated: bool,
    pub buyer_terminated: bool,
    /// Months of the term settled so far.
    pub months_settled: u32,
}

impl Ppa {
    /// The profile's energy for `month` (`YYYYMM`).
    pub fn profile_wh(&self, month: u32) -> u64 {
        let i = (month % 100).wrapping_sub(1) as usize;
        self.monthly_wh.get(i).copied().unwrap_or(0)
    }

    /// True if the PPA settles `month`.
    pub fn active_in(&self, month: u32) -> bool {
        self.status == PpaStatus::Accepted && self.start_month <= month && month <= self.last_month
    }

    /// How many months it settles in all.
    pub fn months(&self) -> u32 {
        months_from_to(self.start_month, self.last_month)
    }
}

pub(crate) fn put<S: StateWrite + ?Sized>(s: &mut S, id: Hash32, p: Ppa) {
    s.put(StateKey::Ppa(id), StateValue::Ppa(Box::new(p)));
}

pub(crate) fn unindex<S: StateWrite + ?Sized>(s: &mut S, id: Hash32, p: &Ppa) {
    s.delete(StateKey::PpaByMarket(p.market.clone(), id));
}

/// After the market's period of `month` settled: its proposals whose term has begun can no
/// longer be accepted; they lapse and leave the index.
pub(crate) fn lapse_proposals<S: StateWrite + ?Sized>(s: &mut S, mk: &MarketId, month: u32) {
    for (id, mut p) in live(s, mk) {
        if p.status == PpaStatus::Proposed && p.start_month <= month {
            p.status = PpaStatus::Lapsed;
            unindex(s, id, &p);
            put(s, id, p);
        }
    }
}

impl Write for Ppa {
    fn write(&self, b: &mut impl BufMut) {
        self.market.write(b);
        self.proposer.write(b);
        self.proposer_side.write(b);
        self.seller_agent.write(b);
        self.seller.write(b);
        self.buyer.write(b);
        self.seller_site.write(b);
        self.buyer_site.write(b);
        self.price.write(b);
        self.start_month.write(b);
        self.end_month.write(b);
        self.monthly_wh.write(b);
        self.notice_months.write(b);
        self.status.write(b);
        self.proposed_at_ms.write(b);
        self.accepted_at_ms.write(b);
        self.last_month.write(b);
        self.seller_terminated.write(b);
        self.buyer_terminated.write(b);
        self.months_settled.write(b);
    }
}

impl EncodeSize for Ppa {
    fn encode_size(&self) -> usize {
        self.market.encode_size()
            + 3 * Address::SIZE
            + Side::SIZE
            + self.seller_agent.encode_size()
            + self.seller_site.encode_size()
            + self.buyer_site.encode_size()
            + 8
            + 4
            + 4
            + self.monthly_wh.encode_size()
            + 4
            + PpaStatus::SIZE
            + 8
            + 8
            + 4
            + 1
            + 1
            + 4
    }
}

impl Read for Ppa {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            market: MarketId::read(b)?,
            proposer: Address::read(b)?,
            proposer_side: Side::read(b)?,
            seller_agent: Option::<Address>::read(b)?,
            seller: Address::read(b)?,
            buyer: Address::read(b)?,
            seller_site: SiteId::read(b)?,
            buyer_site: SiteId::read(b)?,
            price: PriceMilliWonPerKwh::read(b)?,
            start_month: u32::read(b)?,
            end_month: u32::read(b)?,
            monthly_wh: Vec::<u64>::read_cfg(b, &(RangeCfg::from(..=PPA_PROFILE_MONTHS), ()))?,
            notice_months: u32::read(b)?,
            status: PpaStatus::read(b)?,
            proposed_at_ms: u64::read(b)?,
            accepted_at_ms: u64::read(b)?,
            last_month: u32::read(b)?,
            seller_terminated: bool::read(b)?,
            buyer_terminated: bool::read(b)?,
            months_settled: u32::read(b)?,
        })
    }
}

/// Months since January of year 0 (for valid months).
pub(crate) fn index(m: u32) -> u32 {
    (m / 100) * 12 + (m % 100).saturating_sub(1)
}

/// Months from `a` to `b`, both included; 0 if `b` is before `a`.
pub(crate) fn months_from_to(a: u32, b: u32) -> u32 {
    if b < a {
        0
    } else {
        index(b) - index(a) + 1
    }
}

pub fn ppa(s: &(impl StateRead + ?Sized), id: &Hash32) -> Option<Ppa> {
    match s.get(&StateKey::Ppa(*id)) {
        Some(StateValue::Ppa(p)) => Some(*p),
        _ => None,
    }
}

/// The market's live PPAs (proposed, or accepted with months to settle), in id order.
pub fn live(s: &(impl StateRead + ?Sized), mk: &MarketId) -> Vec<(Hash32, Ppa)> {
    live_ids(s, mk)
        .into_iter()
        .filter_map(|id| ppa(s, &id).map(|p| (id, p)))
        .collect()
}

/// The market's accepted PPAs that settle `month`, in id order.
pub fn active(s: &(impl StateRead + ?Sized), mk: &MarketId, month: u32) -> Vec<(Hash32, Ppa)> {
    live(s, mk)
        .into_iter()
        .filter(|(_, p)| p.active_in(month))
        .collect()
}

/// Ids of the market's live PPAs, in id order.
pub(crate) fn live_ids(s: &(impl StateRead + ?Sized), mk: &MarketId) -> Vec<Hash32> {
    let last = StateKey::PpaByMarket(mk.clone(), Hash32([0xff; 32]));
    let range = StateKey::PpaByMarket(mk.clone(), Hash32::ZERO)..last.clone();
    let mut ids: Vec<Hash32> = s
        .scan(&range)
        .into_iter()
        .filter_map(|(k, _)| match k {
            StateKey::PpaByMarket(_, id) => Some(id),
            _ => None,
        })
        .collect();
    if s.get(&last).is_some() {
        ids.push(Hash32([0xff; 32]));
    }
    ids
}
