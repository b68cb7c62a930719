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
use crate::fail::{fail, Fail, FailCode};
use crate::scratch::{Scratch, TxCtx};
use crate::state::mandates::{authority, either, Authority, Scope};
use crate::state::metering::site;
use crate::state::ppa::{
    index, live, live_ids, months_from_to, ppa, put, unindex, Ppa, MAX_LIVE_PPAS_PER_MARKET,
    MAX_OPEN_PROPOSALS, MAX_PPA_LEAD_MONTHS, MAX_PPA_MONTH_WH, MAX_PPA_NOTICE_MONTHS,
    MAX_PPA_PRICE, MAX_PPA_TERM_MONTHS,
};
use crate::state::trading::market;
use crate::state::{StateKey, StateRead, StateValue, StateWrite};
use gridledger_types::{
    kst_month, kst_month_start_ms, Address, Event, Hash32, MarketId, PeriodKind, PpaStatus,
    ProposePpa, Side, SiteId, PPA_PROFILE_MONTHS,
};

pub(crate) fn propose<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    p: &ProposePpa,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let id = cx.hash;
    let signer = cx.signer;
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

pub(crate) fn accept<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    id: &Hash32,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let signer = cx.signer;
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
    cx: &TxCtx<'_>,
    id: &Hash32,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let signer = cx.signer;
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
    cx: &TxCtx<'_>,
    id: &Hash32,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let signer = cx.signer;
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

/// True for a `YYYYMM` the chain can place in time.
fn valid_month(m: u32) -> bool {
    kst_month_start_ms(m).is_some()
}

fn month_at(i: u32) -> u32 {
    (i / 12) * 100 + i % 12 + 1
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

fn closed(p: &Ppa) -> Fail {
    fail(
        FailCode::PpaClosed,
        format!("the proposal is {}; nothing can change it", p.status),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    #[allow(unused_imports)]
    use crate::state::ppa::*;

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
