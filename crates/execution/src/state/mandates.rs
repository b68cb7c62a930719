//! Mandate records, their encoding and lookups, and the rule that says who may act for a site (owner or a sales company under a mandate).
//!
//! The rules that change them are in `tx/mandates.rs`.
use crate::fail::{fail, Fail, FailCode};
use crate::state::registry::participant;
use crate::state::{StateKey, StateRead, StateValue};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_types::{read_markets, Address, MandateSides, MarketId, Role, Side, SiteId};
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

pub(crate) fn key(site: &SiteId, company: &Address) -> StateKey {
    StateKey::Mandate(site.clone(), company.key_bytes())
}
