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
use crate::fail::{fail, Fail, FailCode};
use crate::scratch::{Scratch, TxCtx};
use crate::state::mandates::{key, mandate, site_mandates, Mandate, MAX_MANDATES_PER_SITE};
use crate::state::metering::site;
use crate::state::trading::market;
use crate::state::{StateRead, StateValue, StateWrite};
use gridledger_types::{Address, Event, GrantMandate, MandateSides, Role, SiteId, SHARE_MAX_BP};

pub(crate) fn grant<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    p: &GrantMandate,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let signer = cx.signer;
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
    let company = crate::scratch::registered(s, &p.company, FailCode::UnknownCompany)?;
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
    cx: &TxCtx<'_>,
    site_id: &SiteId,
    company: &Address,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let signer = cx.signer;
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

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::state::mandates::*;
    use gridledger_types::{MarketId, Side};

    fn m(from: u64, until: Option<u64>, revoked: Option<u64>) -> Mandate {
        Mandate {
            company: crate::test_utils::addr(&crate::test_utils::key(9)),
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
