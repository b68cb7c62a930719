//! Sales-company mandates: who besides its owner may act for a site.
//!
//! A site's owner grants a registered sales company a [Mandate] for the site (`GrantMandate`):
//! the sides it may trade (sell, buy or both), the markets (a list, or every market), a window
//! of block time (`from_ms` until before `until_ms`, or until revoked) and the share of the
//! site's energy sales the company keeps (basis points, 0 by default, none on a buy-only
//! mandate). Granting again to the same company replaces its mandate; a site keeps at most
//! [MAX_MANDATES_PER_SITE] mandate records (ended ones included, since periods may still
//! depend on them). The owner revokes a mandate (`RevokeMandate`) at block time `t`: the record
//! stays with `revoked_at_ms = t`.
//!
//! A sales company acts for a site (intentions and their cancellation, contract approvals,
//! disputes, PPAs) only while a mandate covers the site, the side, the market and the block
//! time ([authority]); for intentions the mandate must also last until the period's gate
//! closes. The owner always acts for its own sites. At clearing, an intention a company made
//! stands only if the company's mandate still covers its period's gate ([stands]): a revocation
//! (or a replacement that narrows the mandate) takes effect for every period whose gate had not
//! closed, and periods past their gate keep what was entered under the mandate.
//!
//! Money: the site's owner is the money party of every trade a company makes for it (escrow is
//! held from the owner, the owner pays and is paid); settlement pays the company its share of
//! the seller's energy amount as separate `sales_share` payment lines.
use crate::executor::{fail, Fail, Scratch};
use crate::fail::FailCode;
use crate::metering::site;
use crate::state::{participant, StateKey, StateRead, StateValue};
use crate::trading::{market, Intention};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_types::{
    read_markets, Address, Event, GrantMandate, MandateSides, MarketId, Role, Side, SiteId,
    SHARE_MAX_BP,
};
use serde::{Deserialize, Serialize};

/// Most mandate records (live or ended) one site keeps.
pub const MAX_MANDATES_PER_SITE: usize = 16;

/// A company's mandate for a site, under `Mandate(site, company)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mandate {
    pub company: Address,
    pub sides: MandateSides,
    /// Empty: every market.
    pub markets: Vec<MarketId>,
    pub from_ms: u64,
    /// `None`: until revoked.
    pub until_ms: Option<u64>,
    pub share_bp: u32,
    pub granted_at_ms: u64,
    pub revoked_at_ms: Option<u64>,
}

impl Mandate {
    /// When the mandate stops: the end of its window or its revocation, whichever is first.
    pub fn end_ms(&self) -> u64 {
        self.until_ms
            .unwrap_or(u64::MAX)
            .min(self.revoked_at_ms.unwrap_or(u64::MAX))
    }

    /// True if the company may act under it at `now_ms`.
    pub fn in_force(&self, now_ms: u64) -> bool {
        self.from_ms <= now_ms && now_ms < self.end_ms()
    }

    pub fn covers_market(&self, mk: &MarketId) -> bool {
        self.markets.is_empty() || self.markets.contains(mk)
    }

    /// True if trading `side` in `mk` for a period whose gate closes at `gate_ms` is within the
    /// mandate: the side and market are named and the mandate lasts until the gate.
    pub fn covers_period(&self, side: Side, mk: &MarketId, gate_ms: u64) -> bool {
        self.sides.covers(side)
            && self.covers_market(mk)
            && self.from_ms <= gate_ms
            && gate_ms <= self.end_ms()
    }
}

fn key(site: &SiteId, company: &Address) -> StateKey {
    StateKey::Mandate(site.clone(), company.key_bytes())
}

/// The mandate `company` holds for `site` (live or ended), if any.
pub fn mandate(s: &(impl StateRead + ?Sized), site: &SiteId, company: &Address) -> Option<Mandate> {
    match s.get(&key(site, company)) {
        Some(StateValue::Mandate(m)) => Some(*m),
        _ => None,
    }
}

/// Every mandate record of `site`, in company key order.
pub fn site_mandates(s: &(impl StateRead + ?Sized), site: &SiteId) -> Vec<Mandate> {
    let last = StateKey::Mandate(site.clone(), [0xff; 32]);
    let range = StateKey::Mandate(site.clone(), [0; 32])..last.clone();
    let mut out: Vec<Mandate> = s
        .scan(&range)
        .into_iter()
        .filter_map(|(_, v)| match v {
            StateValue::Mandate(m) => Some(*m),
            _ => None,
        })
        .collect();
    if let Some(StateValue::Mandate(m)) = s.get(&last) {
        out.push(*m);
    }
    out
}

/// What a signer wants to do for a site: trade `side` in `market`, for a period whose gate
/// closes at `gate_ms` (intentions and their cancellation) or with no period gate to respect
/// (approvals, disputes and PPAs, whose period or term is already fixed).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scope<'a> {
    pub side: Side,
    pub market: &'a MarketId,
    pub gate_ms: Option<u64>,
}

/// Why the signer may act for a site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Authority {
    Owner,
    /// A sales company under this mandate.
    Agent(Box<Mandate>),
}

impl Authority {
    /// The share of the site's energy sales the acting company keeps (0 for the owner).
    pub fn share_bp(&self) -> u32 {
        match self {
            Self::Owner => 0,
            Self::Agent(m) => m.share_bp,
        }
    }
}

/// Whether `signer` may act for `site` (owned by `owner`) within `scope` at `now_ms`.
///
/// `Ok(Some(_))`: as the owner, or as a sales company whose mandate covers it. `Ok(None)`: the
/// signer is neither the owner nor a sales company (the caller names its own failure). `Err`:
/// a sales company without a covering mandate (`no_mandate`, `mandate_revoked`,
/// `mandate_not_started`, `mandate_expired`, `outside_mandate`), or acting for a suspended owner
/// (`owner_suspended`).
pub(crate) fn authority(
    s: &(impl StateRead + ?Sized),
    now_ms: u64,
    signer: &Address,
    owner: &Address,
    site: &SiteId,
    scope: Scope<'_>,
) -> Result<Option<Authority>, Fail> {
    if signer == owner {
        return Ok(Some(Authority::Owner));
    }
    if participant(s, signer).map(|p| p.role) != Some(Role::SalesCompany) {
        return Ok(None);
    }
    let m = mandate(s, site, signer).ok_or_else(|| {
        fail(
            FailCode::NoMandate,
            format!("{signer} holds no mandate from the owner of site {site}"),
        )
    })?;
    if participant(s, owner).is_some_and(|p| p.suspended) {
        return Err(fail(
            FailCode::OwnerSuspended,
            format!("the owner of site {site} is suspended; nobody trades for it"),
        ));
    }
    if let Some(t) = m.revoked_at_ms.filter(|t| *t <= now_ms) {
        return Err(fail(
            FailCode::MandateRevoked,
            format!("the owner of site {site} revoked this mandate at {t} ms"),
        ));
    }
    if now_ms < m.from_ms {
        return Err(fail(
            FailCode::MandateNotStarted,
            format!("the mandate for site {site} starts at {} ms", m.from_ms),
        ));
    }
    if let Some(u) = m.until_ms.filter(|u| *u <= now_ms) {
        return Err(fail(
            FailCode::MandateExpired,
            format!("the mandate for site {site} ended at {u} ms"),
        ));
    }
    if !m.sides.covers(scope.side) {
        return Err(fail(
            FailCode::OutsideMandate,
            format!(
                "the mandate for site {site} covers the {} side(s), not {}",
                m.sides, scope.side
            ),
        ));
    }
    if !m.covers_market(scope.market) {
        return Err(fail(
            FailCode::OutsideMandate,
            format!(
                "the mandate for site {site} does not cover market {}",
                scope.market
            ),
        ));
    }
    if let Some(gate) = scope.gate_ms.filter(|g| *g > m.end_ms()) {
        return Err(fail(
            FailCode::OutsideMandate,
            format!(
                "the mandate for site {site} ends at {} ms, before this period's gate closes at \
                 {gate} ms",
                m.end_ms()
            ),
        ));
    }
    Ok(Some(Authority::Agent(Box::new(m))))
}

/// For actions on either of two sites (a contract's or a PPA's seller and buyer): whether the
/// signer may act for each. Neither: the first mandate failure that says more than
/// `no_mandate`, else `no_mandate`, else `not_party()` for a signer that is no sales company.
pub(crate) fn either(
    seller: Result<Option<Authority>, Fail>,
    buyer: Result<Option<Authority>, Fail>,
    not_party: impl FnOnce() -> Fail,
) -> Result<(Option<Authority>, Option<Authority>), Fail> {
    match (seller, buyer) {
        (Ok(None), Ok(None)) => Err(not_party()),
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Ok(Some(a)), Err(_)) => Ok((Some(a), None)),
        (Err(_), Ok(Some(b))) => Ok((None, Some(b))),
        (Err(e), Err(f)) if e.code == FailCode::NoMandate => Err(f),
        (Err(e), _) | (_, Err(e)) => Err(e),
    }
}

/// True if intention `i` of a period of `mk` whose gate closes at `gate_ms` stands: entered by
/// the owner, or by a company whose mandate still covers the period (not revoked, ended or
/// narrowed before the gate).
pub fn stands(s: &(impl StateRead + ?Sized), i: &Intention, mk: &MarketId, gate_ms: u64) -> bool {
    i.submitter == i.owner
        || mandate(s, &i.site, &i.submitter).is_some_and(|m| m.covers_period(i.side, mk, gate_ms))
}

pub(crate) fn grant<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    now_ms: u64,
    signer: &Address,
    p: &GrantMandate,
) -> Result<Vec<Event>, Fail> {
    let st = site(s, &p.site)
        .ok_or_else(|| fail(FailCode::UnknownSite, format!("no site {}", p.site)))?;
    if &st.owner != signer {
        return Err(fail(
            FailCode::NotSiteOwner,
            format!(
                "only the owner of site {} may grant mandates for it",
                p.site
            ),
        ));
    }
    if p.company == st.owner {
        return Err(fail(
            FailCode::SelfMandate,
            "the owner always acts for its own site; a mandate names another party",
        ));
    }
    let company = crate::executor::registered(s, &p.company, FailCode::UnknownCompany)?;
    if company.role != Role::SalesCompany {
        return Err(fail(
            FailCode::NotSalesCompany,
            format!(
                "{} has role {}; mandates go to sales companies",
                p.company, company.role
            ),
        ));
    }
    for (i, mk) in p.markets.iter().enumerate() {
        if market(s, mk).is_none() {
            return Err(fail(FailCode::UnknownMarket, format!("no market {mk}")));
        }
        if p.markets[..i].contains(mk) {
            return Err(fail(
                FailCode::DuplicateMarket,
                format!("market {mk} is named twice"),
            ));
        }
    }
    if p.share_bp > SHARE_MAX_BP {
        return Err(fail(
            FailCode::InvalidShare,
            format!("the share is at most {SHARE_MAX_BP} basis points"),
        ));
    }
    if p.sides == MandateSides::Buy && p.share_bp > 0 {
        return Err(fail(
            FailCode::InvalidShare,
            "the share is of the site's energy sales; a buy-only mandate keeps none",
        ));
    }
    if let Some(u) = p.until_ms {
        if u <= p.from_ms || u <= now_ms {
            return Err(fail(
                FailCode::InvalidWindow,
                format!(
                    "the mandate must end after it starts ({} ms) and after now ({now_ms} ms)",
                    p.from_ms
                ),
            ));
        }
    }
    let replaces = mandate(s, &p.site, &p.company).is_some();
    if !replaces && site_mandates(s, &p.site).len() >= MAX_MANDATES_PER_SITE {
        return Err(fail(
            FailCode::TooManyMandates,
            format!(
                "site {} holds {MAX_MANDATES_PER_SITE} mandate records; grant again to one of \
                 their companies instead",
                p.site
            ),
        ));
    }
    s.put(
        key(&p.site, &p.company),
        StateValue::Mandate(Box::new(Mandate {
            company: p.company.clone(),
            sides: p.sides,
            markets: p.markets.clone(),
            from_ms: p.from_ms,
            until_ms: p.until_ms,
            share_bp: p.share_bp,
            granted_at_ms: now_ms,
            revoked_at_ms: None,
        })),
    );
    Ok(vec![Event::MandateGranted(p.clone())])
}

pub(crate) fn revoke<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    now_ms: u64,
    signer: &Address,
    site_id: &SiteId,
    company: &Address,
) -> Result<Vec<Event>, Fail> {
    let st = site(s, site_id)
        .ok_or_else(|| fail(FailCode::UnknownSite, format!("no site {site_id}")))?;
    if &st.owner != signer {
        return Err(fail(
            FailCode::NotSiteOwner,
            format!("only the owner of site {site_id} may revoke its mandates"),
        ));
    }
    let mut m = mandate(s, site_id, company).ok_or_else(|| {
        fail(
            FailCode::NoMandate,
            format!("{company} holds no mandate for site {site_id}"),
        )
    })?;
    if let Some(t) = m.revoked_at_ms {
        return Err(fail(
            FailCode::AlreadyRevoked,
            format!("this mandate was revoked at {t} ms"),
        ));
    }
    m.revoked_at_ms = Some(now_ms);
    s.put(key(site_id, company), StateValue::Mandate(Box::new(m)));
    Ok(vec![Event::MandateRevoked {
        site: site_id.clone(),
        company: company.clone(),
        revoked_at_ms: now_ms,
    }])
}

// ---- canonical encoding -------------------------------------------------------------------

impl Write for Mandate {
    fn write(&self, b: &mut impl BufMut) {
        self.company.write(b);
        self.sides.write(b);
        self.markets.write(b);
        self.from_ms.write(b);
        self.until_ms.write(b);
        self.share_bp.write(b);
        self.granted_at_ms.write(b);
        self.revoked_at_ms.write(b);
    }
}
impl EncodeSize for Mandate {
    fn encode_size(&self) -> usize {
        Address::SIZE
            + MandateSides::SIZE
            + self.markets.encode_size()
            + 8
            + self.until_ms.encode_size()
            + 4
            + 8
            + self.revoked_at_ms.encode_size()
    }
}
impl Read for Mandate {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            company: Address::read(b)?,
            sides: MandateSides::read(b)?,
            markets: read_markets(b)?,
            from_ms: u64::read(b)?,
            until_ms: Option::<u64>::read(b)?,
            share_bp: u32::read(b)?,
            granted_at_ms: u64::read(b)?,
            revoked_at_ms: Option::<u64>::read(b)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(from: u64, until: Option<u64>, revoked: Option<u64>) -> Mandate {
        Mandate {
            company: crate::test_util::addr(&crate::test_util::key(9)),
            sides: MandateSides::Sell,
            markets: vec![MarketId::new("monthly").unwrap()],
            from_ms: from,
            until_ms: until,
            share_bp: 0,
            granted_at_ms: 0,
            revoked_at_ms: revoked,
        }
    }

    #[test]
    fn the_end_is_the_earlier_of_until_and_revocation() {
        assert_eq!(m(0, None, None).end_ms(), u64::MAX);
        assert_eq!(m(0, Some(10), None).end_ms(), 10);
        assert_eq!(m(0, Some(10), Some(7)).end_ms(), 7);
        assert_eq!(m(0, Some(10), Some(12)).end_ms(), 10);
        let x = m(5, Some(10), None);
        assert!(!x.in_force(4) && x.in_force(5) && x.in_force(9) && !x.in_force(10));
    }

    #[test]
    fn a_period_is_covered_when_its_gate_closes_within_the_mandate() {
        let mk = MarketId::new("monthly").unwrap();
        let other = MarketId::new("rt").unwrap();
        let x = m(5, None, Some(100));
        // A gate at the revocation itself had closed: covered. One ms later: not.
        assert!(x.covers_period(Side::Sell, &mk, 100));
        assert!(!x.covers_period(Side::Sell, &mk, 101));
        assert!(!x.covers_period(Side::Buy, &mk, 50));
        assert!(!x.covers_period(Side::Sell, &other, 50));
        assert!(!x.covers_period(Side::Sell, &mk, 4));
    }
}
