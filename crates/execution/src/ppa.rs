//! Long-term power purchase agreements (PPAs) between two sites of a monthly market.
//!
//! The owner of either site proposes (price, a 12-month profile, a term of whole KST months, a
//! notice period); the owner of the other site accepts with its own signature before the term
//! starts. Either party may close a proposal before acceptance ([withdraw]) and terminate an
//! accepted PPA ([terminate]): it keeps settling the month of termination and `notice_months`
//! full months after it, or stops at once if both parties have terminated. A sales company may
//! do each of these for a site under the owner's mandate (the PPA's market and the site's side,
//! in force at block time); the owners stay the parties. A company that proposes or accepts for
//! the seller site is the PPA's `seller_agent`: each month whose gate closes within its mandate
//! pays it the mandate's share of the seller's energy amount.
//!
//! Settlement of a monthly period (`settlement::settle`) serves the PPAs active that month
//! before the spot contracts and calls [settled] for each; afterwards [lapse_proposals] closes
//! the proposals that can no longer be accepted. A PPA stays in its market's index
//! (`PpaByMarket`) while it is live: proposed, or accepted with months still to settle.
use crate::executor::{fail, Fail, Scratch};
use crate::fail::FailCode;
use crate::mandates::{authority, either, Authority, Scope};
use crate::metering::site;
use crate::settlement::SettlementLine;
use crate::state::{StateKey, StateRead, StateValue};
use crate::trading::market;
use bytes::{Buf, BufMut};
use commonware_codec::{
    EncodeSize, Error as CodecError, FixedSize, RangeCfg, Read, ReadExt, Write,
};
use gridledger_types::{
    kst_month, kst_month_start_ms, Address, Event, Hash32, MarketId, PeriodKind, PpaStatus,
    PriceMilliWonPerKwh, ProposePpa, Side, SiteId, PPA_PROFILE_MONTHS, RECEIPT_MAX_EVENTS,
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

// ---- months -------------------------------------------------------------------------------

/// True for a `YYYYMM` the chain can place in time.
fn valid_month(m: u32) -> bool {
    kst_month_start_ms(m).is_some()
}

/// Months since January of year 0 (for valid months).
fn index(m: u32) -> u32 {
    (m / 100) * 12 + (m % 100).saturating_sub(1)
}

fn month_at(i: u32) -> u32 {
    (i / 12) * 100 + i % 12 + 1
}

/// Months from `a` to `b`, both included; 0 if `b` is before `a`.
fn months_from_to(a: u32, b: u32) -> u32 {
    if b < a {
        0
    } else {
        index(b) - index(a) + 1
    }
}

// ---- reading ------------------------------------------------------------------------------

pub fn ppa(s: &(impl StateRead + ?Sized), id: &Hash32) -> Option<Ppa> {
    match s.get(&StateKey::Ppa(*id)) {
        Some(StateValue::Ppa(p)) => Some(*p),
        _ => None,
    }
}

/// What a PPA delivered and is worth in `month`, once settled.
pub fn settlement(
    s: &(impl StateRead + ?Sized),
    id: &Hash32,
    month: u32,
) -> Option<SettlementLine> {
    match s.get(&StateKey::PpaSettlement(*id, month)) {
        Some(StateValue::PpaSettlement(l)) => Some(l),
        _ => None,
    }
}

/// Ids of the market's live PPAs, in id order.
fn live_ids(s: &(impl StateRead + ?Sized), mk: &MarketId) -> Vec<Hash32> {
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

// ---- transactions -------------------------------------------------------------------------

fn put<S: StateRead + ?Sized>(s: &mut Scratch<'_, S>, id: Hash32, p: Ppa) {
    s.put(StateKey::Ppa(id), StateValue::Ppa(Box::new(p)));
}

fn unindex<S: StateRead + ?Sized>(s: &mut Scratch<'_, S>, id: Hash32, p: &Ppa) {
    s.delete(StateKey::PpaByMarket(p.market.clone(), id));
}

/// Whether `signer` may act at `now_ms` for the seller site and for the buyer site of a PPA in
/// `market` (as its owner or a sales company under its mandate); `not_party()` or the mandate's
/// failure if for neither.
fn sides(
    s: &(impl StateRead + ?Sized),
    now_ms: u64,
    signer: &Address,
    market: &MarketId,
    (seller, seller_site): (&Address, &SiteId),
    (buyer, buyer_site): (&Address, &SiteId),
    not_party: impl FnOnce() -> Fail,
) -> Result<(Option<Authority>, Option<Authority>), Fail> {
    let scope = |side| Scope {
        side,
        market,
        gate_ms: None,
    };
    either(
        authority(s, now_ms, signer, seller, seller_site, scope(Side::Sell)),
        authority(s, now_ms, signer, buyer, buyer_site, scope(Side::Buy)),
        not_party,
    )
}

/// The PPA and the sides the signer may act for.
fn load(
    s: &(impl StateRead + ?Sized),
    now_ms: u64,
    id: &Hash32,
    signer: &Address,
) -> Result<(Ppa, Option<Authority>, Option<Authority>), Fail> {
    let p = ppa(s, id).ok_or_else(|| fail(FailCode::UnknownPpa, format!("no PPA {id}")))?;
    let (sell, buy) = sides(
        s,
        now_ms,
        signer,
        &p.market,
        (&p.seller, &p.seller_site),
        (&p.buyer, &p.buyer_site),
        || {
            fail(
                FailCode::NotAParty,
                "only the owners of the PPA's two sites (or sales companies under their mandates) \
                 may do this",
            )
        },
    )?;
    Ok((p, sell, buy))
}

/// `Some(signer)` if it acts for the seller site as a sales company.
fn agent_of(signer: &Address, sell: &Option<Authority>) -> Option<Address> {
    matches!(sell, Some(Authority::Agent(_))).then(|| signer.clone())
}

fn check_market(s: &(impl StateRead + ?Sized), mk: &MarketId) -> Result<(), Fail> {
    let m =
        market(s, mk).ok_or_else(|| fail(FailCode::UnknownMarket, format!("no market {mk}")))?;
    if m.period_kind != PeriodKind::Monthly {
        return Err(fail(
            FailCode::NotMonthly,
            format!(
                "market {mk} has {} periods; PPAs need monthly ones",
                m.period_kind
            ),
        ));
    }
    if !m.active {
        return Err(fail(
            FailCode::MarketInactive,
            format!("market {mk} is not active"),
        ));
    }
    Ok(())
}

pub(crate) fn propose<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    now_ms: u64,
    id: Hash32,
    signer: &Address,
    p: &ProposePpa,
) -> Result<Vec<Event>, Fail> {
    check_market(s, &p.market)?;
    let unknown = |x: &SiteId| fail(FailCode::UnknownSite, format!("no site {x}"));
    let seller = site(s, &p.seller_site).ok_or_else(|| unknown(&p.seller_site))?;
    let buyer = site(s, &p.buyer_site).ok_or_else(|| unknown(&p.buyer_site))?;
    let (sell, _) = sides(
        s,
        now_ms,
        signer,
        &p.market,
        (&seller.owner, &p.seller_site),
        (&buyer.owner, &p.buyer_site),
        || {
            fail(
                FailCode::NotSiteOwner,
                "only the owner of the seller or the buyer site (or a sales company under its \
                 mandate) may propose a PPA",
            )
        },
    )?;
    let proposer_side = if sell.is_some() {
        Side::Sell
    } else {
        Side::Buy
    };
    if seller.owner == buyer.owner {
        return Err(fail(
            FailCode::SelfTrade,
            "both sites have the same owner; a PPA needs two parties",
        ));
    }
    if p.price.is_zero() {
        return Err(fail(
            FailCode::ZeroPrice,
            "the price must be greater than zero",
        ));
    }
    if p.price > MAX_PPA_PRICE {
        return Err(fail(
            FailCode::PriceTooHigh,
            format!("the price is at most {} mKRW/kWh", MAX_PPA_PRICE.0),
        ));
    }
    if p.monthly_wh.len() != PPA_PROFILE_MONTHS {
        return Err(fail(
            FailCode::InvalidProfile,
            format!(
                "the profile has {} months; it needs {PPA_PROFILE_MONTHS} (January to December)",
                p.monthly_wh.len()
            ),
        ));
    }
    if p.monthly_wh.iter().any(|wh| *wh > MAX_PPA_MONTH_WH) {
        return Err(fail(
            FailCode::ProfileTooLarge,
            format!("a month of the profile is at most {MAX_PPA_MONTH_WH} Wh"),
        ));
    }
    for m in [p.start_month, p.end_month] {
        if !valid_month(m) {
            return Err(fail(
                FailCode::InvalidMonth,
                format!("{m} is not a YYYYMM month"),
            ));
        }
    }
    if p.end_month < p.start_month {
        return Err(fail(
            FailCode::EndBeforeStart,
            format!(
                "the term ends ({}) before it starts ({})",
                p.end_month, p.start_month
            ),
        ));
    }
    let term = months_from_to(p.start_month, p.end_month);
    if term > MAX_PPA_TERM_MONTHS {
        return Err(fail(
            FailCode::TooLong,
            format!("the term is {term} months; at most {MAX_PPA_TERM_MONTHS}"),
        ));
    }
    let now = index(kst_month(now_ms));
    if index(p.start_month) <= now {
        return Err(fail(
            FailCode::StartPassed,
            format!(
                "the term must start after the current month {}",
                month_at(now)
            ),
        ));
    }
    if index(p.start_month) > now + MAX_PPA_LEAD_MONTHS {
        return Err(fail(
            FailCode::StartTooFar,
            format!("the term starts at most {MAX_PPA_LEAD_MONTHS} months ahead"),
        ));
    }
    if p.notice_months > MAX_PPA_NOTICE_MONTHS {
        return Err(fail(
            FailCode::InvalidNotice,
            format!("the notice is at most {MAX_PPA_NOTICE_MONTHS} months"),
        ));
    }
    let first = index(p.start_month);
    let energy = (first..first + term).any(|i| p.monthly_wh[(i % 12) as usize] > 0);
    if !energy {
        return Err(fail(
            FailCode::EmptyProfile,
            "the profile gives no energy in any month of the term",
        ));
    }
    let pending = live(s, &p.market)
        .iter()
        .filter(|(_, x)| &x.proposer == signer && x.status == PpaStatus::Proposed)
        .count();
    if pending >= MAX_OPEN_PROPOSALS {
        return Err(fail(
            FailCode::TooManyProposals,
            format!(
                "{signer} has {MAX_OPEN_PROPOSALS} proposals in market {} nobody accepted yet",
                p.market
            ),
        ));
    }
    if live_ids(s, &p.market).len() >= MAX_LIVE_PPAS_PER_MARKET {
        return Err(fail(
            FailCode::TooManyPpas,
            format!(
                "market {} holds {MAX_LIVE_PPAS_PER_MARKET} live PPAs",
                p.market
            ),
        ));
    }
    put(
        s,
        id,
        Ppa {
            market: p.market.clone(),
            proposer: signer.clone(),
            proposer_side,
            seller_agent: agent_of(signer, &sell),
            seller: seller.owner,
            buyer: buyer.owner,
            seller_site: p.seller_site.clone(),
            buyer_site: p.buyer_site.clone(),
            price: p.price,
            start_month: p.start_month,
            end_month: p.end_month,
            monthly_wh: p.monthly_wh.clone(),
            notice_months: p.notice_months,
            status: PpaStatus::Proposed,
            proposed_at_ms: now_ms,
            accepted_at_ms: 0,
            last_month: p.end_month,
            seller_terminated: false,
            buyer_terminated: false,
            months_settled: 0,
        },
    );
    s.put(
        StateKey::PpaByMarket(p.market.clone(), id),
        StateValue::PpaByMarket,
    );
    Ok(vec![Event::PpaProposed {
        ppa: id,
        market: p.market.clone(),
        seller_site: p.seller_site.clone(),
        buyer_site: p.buyer_site.clone(),
        price: p.price,
        start_month: p.start_month,
        end_month: p.end_month,
    }])
}

fn closed(p: &Ppa) -> Fail {
    fail(
        FailCode::PpaClosed,
        format!("the proposal is {}; nothing can change it", p.status),
    )
}

pub(crate) fn accept<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    now_ms: u64,
    signer: &Address,
    id: &Hash32,
) -> Result<Vec<Event>, Fail> {
    let (mut p, sell, buy) = load(s, now_ms, id, signer)?;
    match p.status {
        PpaStatus::Proposed => {}
        PpaStatus::Accepted => {
            return Err(fail(
                FailCode::AlreadyAccepted,
                "this PPA is already accepted",
            ));
        }
        PpaStatus::Withdrawn | PpaStatus::Lapsed => return Err(closed(&p)),
    }
    let other_side = match p.proposer_side {
        Side::Sell => buy.is_some(),
        Side::Buy => sell.is_some(),
    };
    if signer == &p.proposer || !other_side {
        return Err(fail(
            FailCode::OwnProposal,
            "the other party must accept, with its own signature",
        ));
    }
    let start_ms = kst_month_start_ms(p.start_month).unwrap_or(0);
    if now_ms >= start_ms {
        return Err(fail(
            FailCode::StartPassed,
            format!("the term started at {start_ms} ms; the proposal can no longer be accepted"),
        ));
    }
    check_market(s, &p.market)?;
    if p.proposer_side == Side::Buy {
        p.seller_agent = agent_of(signer, &sell);
    }
    p.status = PpaStatus::Accepted;
    p.accepted_at_ms = now_ms;
    put(s, *id, p);
    Ok(vec![Event::PpaAccepted {
        ppa: *id,
        by: signer.clone(),
    }])
}

pub(crate) fn withdraw<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    now_ms: u64,
    signer: &Address,
    id: &Hash32,
) -> Result<Vec<Event>, Fail> {
    let (mut p, _, _) = load(s, now_ms, id, signer)?;
    match p.status {
        PpaStatus::Proposed => {}
        PpaStatus::Accepted => {
            return Err(fail(
                FailCode::AlreadyAccepted,
                "an accepted PPA can only be terminated",
            ));
        }
        PpaStatus::Withdrawn | PpaStatus::Lapsed => return Err(closed(&p)),
    }
    p.status = PpaStatus::Withdrawn;
    unindex(s, *id, &p);
    put(s, *id, p);
    Ok(vec![Event::PpaWithdrawn {
        ppa: *id,
        by: signer.clone(),
    }])
}

pub(crate) fn terminate<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    now_ms: u64,
    signer: &Address,
    id: &Hash32,
) -> Result<Vec<Event>, Fail> {
    let (mut p, sell, buy) = load(s, now_ms, id, signer)?;
    if p.status != PpaStatus::Accepted {
        return Err(fail(
            FailCode::NotAccepted,
            format!(
                "the PPA is {}; close a proposal with withdraw-ppa",
                p.status
            ),
        ));
    }
    // One signer acting for both sites ends the seller's side first, then the buyer's.
    let by_seller = sell.is_some() && !(buy.is_some() && p.seller_terminated);
    let (mine, theirs) = if by_seller {
        (p.seller_terminated, p.buyer_terminated)
    } else {
        (p.buyer_terminated, p.seller_terminated)
    };
    if mine {
        return Err(fail(
            FailCode::AlreadyTerminated,
            "this party has already terminated the PPA",
        ));
    }
    let now = index(kst_month(now_ms));
    if p.months() == 0 || index(p.last_month) < now {
        return Err(fail(
            FailCode::PpaEnded,
            format!("the PPA's last month was {}", p.last_month),
        ));
    }
    // Settled months all lie before the current one, so neither end can cut into them.
    let end = if theirs {
        now - 1
    } else {
        now + p.notice_months
    };
    p.last_month = p.last_month.min(month_at(end));
    if by_seller {
        p.seller_terminated = true;
    } else {
        p.buyer_terminated = true;
    }
    if p.months_settled >= p.months() {
        unindex(s, *id, &p);
    }
    let event = Event::PpaTerminated {
        ppa: *id,
        by: signer.clone(),
        last_month: p.last_month,
        mutual: theirs,
    };
    put(s, *id, p);
    Ok(vec![event])
}

/// Records a PPA's settlement of `month` (served by the period's settlement) and drops the PPA
/// from its market's index once every month of it is settled.
pub(crate) fn settled<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    id: Hash32,
    mut p: Ppa,
    month: u32,
    line: SettlementLine,
) -> Result<(), Fail> {
    let key = StateKey::PpaSettlement(id, month);
    // Unreachable: a period settles once and a PPA belongs to one market.
    if s.get(&key).is_some() {
        return Err(fail(
            FailCode::AlreadySettled,
            format!("PPA {id} is already settled for {month}"),
        ));
    }
    s.put(key, StateValue::PpaSettlement(line));
    p.months_settled = p.months_settled.saturating_add(1);
    if p.months_settled >= p.months() {
        unindex(s, id, &p);
    }
    put(s, id, p);
    Ok(())
}

/// After the market's period of `month` settled: its proposals whose term has begun can no
/// longer be accepted; they lapse and leave the index.
pub(crate) fn lapse_proposals<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    mk: &MarketId,
    month: u32,
) {
    for (id, mut p) in live(s, mk) {
        if p.status == PpaStatus::Proposed && p.start_month <= month {
            p.status = PpaStatus::Lapsed;
            unindex(s, id, &p);
            put(s, id, p);
        }
    }
}

// ---- canonical encoding -------------------------------------------------------------------

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_arithmetic() {
        assert_eq!(months_from_to(202509, 202509), 1);
        assert_eq!(months_from_to(202509, 202608), 12);
        assert_eq!(months_from_to(202509, 202508), 0);
        assert_eq!(month_at(index(202512) + 1), 202601);
        assert_eq!(month_at(index(202601) - 1), 202512);
        assert!(valid_month(202512) && !valid_month(202513) && !valid_month(202500));
    }
}
