//! Settlement of a period from measured values: how much energy each PPA and each approved
//! contract really delivered, and what it is worth.
//!
//! Claims are served in two tiers: first the PPAs active in the month (monthly markets), then
//! the spot contracts on what the meters have left. Within a tier, for each seller site the
//! claimed total is compared with its export left in the period; a seller that under-delivers
//! delivers each of its claims pro rata (rounded down). The same is done for each buyer site
//! against its import left. A claim's delivered energy is the smaller of its seller-side and
//! buyer-side shares, so no site is credited with more than its meter measured and no claim
//! delivers more than it promised. The energy amount is delivered x price (rounded down to a
//! milli-won); wheeling and platform fees are delivered x fee. Payments and bills are built on
//! these records: the buyer site's owner pays, the seller site's owner is paid; where a sales
//! company sold for the seller site under a mandate with a share, the energy amount is split
//! into the share (its basis points of the energy amount, rounded down to a milli-won; a
//! `sales_share` line to the company) and the rest (the `energy` line to the owner). VAT on the
//! energy stays whole with the owner, the supplier of record.
use crate::fail::{fail, Fail, FailCode};
use crate::scratch::{Scratch, TxCtx};
use crate::state::billing::{ensure_month_open, site_p2p, SiteP2p};
use crate::state::payments::{record, Payment, PaymentSource};
use crate::state::settlement::{
    deliveries, period_end, price_line, price_line_at, seller_vat, SettlementLine,
};
use crate::state::trading::{intentions, market_and_period, period, Intention};
use crate::state::{billing, escrow, ppa, StateKey, StateRead, StateValue, StateWrite};
use gridledger_types::{
    kst_month, Address, ConfigureBilling, ContractRef, Event, Hash32, MarketId, MilliWon,
    PaymentKind, PeriodKind, Side, SiteId,
};

/// One settled trade to book: who pays whom, for which sites, for what.
struct Trade<'a> {
    /// The buyer site's owner.
    payer: &'a Address,
    /// The seller site's owner.
    seller: &'a Address,
    /// The sales company paid the line's `sales_share`, if the seller side has one.
    agent: Option<&'a Address>,
    seller_site: &'a SiteId,
    buyer_site: &'a SiteId,
    source: PaymentSource,
    /// Paid from escrow by this transaction (real-time markets); otherwise billed.
    paid_by: Option<Hash32>,
}

fn add_p2p<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    site: &SiteId,
    month: u32,
    f: impl FnOnce(&mut SiteP2p) -> Option<()>,
) -> Result<(), Fail> {
    let mut p = site_p2p(s, site, month);
    f(&mut p).ok_or_else(|| fail(FailCode::Overflow, "P2P totals overflow"))?;
    s.put(
        StateKey::SiteP2p(site.clone(), month),
        StateValue::SiteP2p(p),
    );
    Ok(())
}

/// Records the payer's lines for `l` (energy and its VAT to the seller, the sales share to the
/// seller's company, wheeling to the grid company, platform fees to the operator) and adds the
/// trade to both sites' P2P totals.
fn book<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cfg: &ConfigureBilling,
    month: u32,
    t: Trade<'_>,
    l: &SettlementLine,
) -> Result<(), Fail> {
    let total = l
        .total()
        .ok_or_else(|| fail(FailCode::Overflow, "settlement amounts overflow"))?;
    let (share, share_to) = match t.agent {
        Some(a) => (l.sales_share, a),
        None => (MilliWon::ZERO, t.seller),
    };
    let to_owner = l.energy_amount.checked_sub(share).ok_or_else(|| {
        fail(
            FailCode::Overflow,
            "the sales share exceeds the energy amount",
        )
    })?;
    let owed = [
        (t.seller, PaymentKind::Energy, to_owner),
        (share_to, PaymentKind::SalesShare, share),
        (t.seller, PaymentKind::EnergyVat, l.energy_vat),
        (&cfg.grid_company, PaymentKind::Wheeling, l.wheeling),
        (&cfg.grid_company, PaymentKind::WheelingVat, l.wheeling_vat),
        (&cfg.platform_account, PaymentKind::Platform, l.platform),
        (
            &cfg.platform_account,
            PaymentKind::PlatformVat,
            l.platform_vat,
        ),
    ];
    for (payee, kind, amount) in owed {
        let line = Payment {
            payee: payee.clone(),
            kind,
            amount,
            source: t.source.clone(),
            paid_by: t.paid_by,
        };
        record(s, month, t.payer, line)?;
    }
    let d = l.delivered_wh;
    add_p2p(s, t.buyer_site, month, |p| {
        p.bought_wh = p.bought_wh.checked_add(d)?;
        p.purchases = p.purchases.checked_add(total)?;
        Some(())
    })?;
    add_p2p(s, t.seller_site, month, |p| {
        p.sold_wh = p.sold_wh.checked_add(d)?;
        p.sales = p.sales.checked_add(l.energy_amount)?;
        p.sales_vat = p.sales_vat.checked_add(l.energy_vat)?;
        p.sales_share = p.sales_share.checked_add(share)?;
        Some(())
    })
}

pub(crate) fn settle<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    cx: &TxCtx<'_>,
    mk: &MarketId,
    start: u64,
) -> Result<Vec<Event>, Fail> {
    let now_ms = cx.now_ms;
    let tx = cx.hash;
    let m = market_and_period(s, mk, start)?;
    let end = period_end(m.period_kind, start)
        .ok_or_else(|| fail(FailCode::InvalidPeriod, "the period's end overflows"))?;
    if now_ms < end {
        return Err(fail(
            FailCode::PeriodNotEnded,
            format!("the period ends at {end} ms"),
        ));
    }
    let close = end.saturating_add(m.dispute_window_ms);
    if now_ms < close {
        return Err(fail(
            FailCode::DisputeWindowOpen,
            format!("buyers may dispute until {close} ms; settle after"),
        ));
    }
    let mut per = period(s, mk, start);
    if !per.cleared {
        return Err(fail(
            FailCode::NotCleared,
            "the period has not been cleared",
        ));
    }
    if per.settled {
        return Err(fail(
            FailCode::AlreadySettled,
            "this period is already settled",
        ));
    }
    ensure_month_open(s, start)?;
    let cfg = billing::config(s)?;
    let vat_bp = escrow::vat_bp(s, start)?;
    let month = kst_month(start);
    let prepaid = escrow::escrowed(&m);
    let (mut delivered_total, mut energy_total, mut fees_total) =
        (0u64, MilliWon::ZERO, MilliWon::ZERO);
    let overflow = || fail(FailCode::Overflow, "settlement amounts overflow");
    let del = deliveries(s, &m, mk, start, end);

    // PPAs first: they took their energy from the meters before the spot contracts.
    let mut ppa_events = Vec::with_capacity(del.ppas.len());
    let gate = crate::state::trading::gate_closure_ms(&m, start);
    for (id, p, d) in del.ppas {
        let mut l = price_line_at(&m, p.price, d, vat_bp, seller_vat(s, &p.seller_site))
            .ok_or_else(overflow)?;
        // The seller's company is paid its share for months whose gate closed within its
        // mandate.
        let agent = p.seller_agent.as_ref().and_then(|a| {
            crate::state::mandates::mandate(s, &p.seller_site, a)
                .filter(|md| md.covers_period(Side::Sell, mk, gate))
                .map(|md| (a, md.share_bp))
        });
        l.sales_share = l.energy_amount.bp_floor(agent.map_or(0, |(_, bp)| bp));
        let fees = l
            .total()
            .and_then(|t| t.checked_sub(l.energy_amount))
            .ok_or_else(overflow)?;
        let trade = Trade {
            payer: &p.buyer,
            seller: &p.seller,
            agent: agent.map(|(a, _)| a),
            seller_site: &p.seller_site,
            buyer_site: &p.buyer_site,
            source: PaymentSource::Ppa { ppa: id },
            // PPAs live in monthly (postpaid) markets only.
            paid_by: None,
        };
        book(s, &cfg, month, trade, &l)?;
        ppa_events.push(Event::PpaSettled {
            ppa: id,
            month,
            delivered_wh: d,
            energy_amount: l.energy_amount,
            fees,
        });
        crate::state::settlement::ppa_settled(s, id, p, month, l)?;
    }

    for (n, c, d) in del.contracts {
        let mut l =
            price_line(&m, &c, d, vat_bp, seller_vat(s, &c.seller_site)).ok_or_else(overflow)?;
        let total = l.total().ok_or_else(overflow)?;
        let (buy_key, mut buy) = intention_by_id(s, &c.buy).ok_or_else(|| {
            fail(
                FailCode::UnknownIntention,
                "a contract names an unknown intention",
            )
        })?;
        let (_, sell) = intention_by_id(s, &c.sell).ok_or_else(|| {
            fail(
                FailCode::UnknownIntention,
                "a contract names an unknown intention",
            )
        })?;
        // The share of the company that sold under a mandate (fixed when it entered the sell).
        let agent = (sell.submitter != sell.owner).then_some(&sell.submitter);
        l.sales_share = l
            .energy_amount
            .bp_floor(if agent.is_some() { sell.share_bp } else { 0 });
        let cref = ContractRef {
            market: mk.clone(),
            period_start_ms: start,
            number: n,
        };
        // Paid from the buyer's escrow when it covers the contract (always, unless the market's
        // fees or the VAT rate rose after the buy was placed); otherwise the lines join the
        // buyer's postpaid bill of the month and the escrow is released below.
        let from_escrow = prepaid && buy.escrow >= total;
        let trade = Trade {
            payer: &c.buyer,
            seller: &c.seller,
            agent,
            seller_site: &c.seller_site,
            buyer_site: &c.buyer_site,
            source: PaymentSource::Contract(cref),
            paid_by: from_escrow.then_some(tx),
        };
        book(s, &cfg, month, trade, &l)?;
        if from_escrow {
            buy.escrow = buy.escrow.checked_sub(total).unwrap_or(MilliWon::ZERO);
            s.put(buy_key, StateValue::Intention(buy));
        }
        delivered_total = delivered_total.checked_add(d).ok_or_else(overflow)?;
        energy_total = energy_total
            .checked_add(l.energy_amount)
            .ok_or_else(overflow)?;
        fees_total = total
            .checked_sub(l.energy_amount)
            .and_then(|f| fees_total.checked_add(f))
            .ok_or_else(overflow)?;
        s.put(
            StateKey::Settlement(mk.clone(), start, n),
            StateValue::Settlement(l),
        );
    }
    // Whatever is still held for the period's buys goes back to their owners.
    for (seq, mut i) in intentions(s, mk, start) {
        if i.escrow.is_zero() {
            continue;
        }
        s.release(&i.owner, i.escrow)?;
        i.escrow = MilliWon::ZERO;
        s.put(
            StateKey::Intention(mk.clone(), start, seq),
            StateValue::Intention(i),
        );
    }
    if m.period_kind == PeriodKind::Monthly {
        ppa::lapse_proposals(s, mk, month);
    }
    per.settled = true;
    s.put(StateKey::Period(mk.clone(), start), StateValue::Period(per));
    let mut events = vec![Event::PeriodSettled {
        market: mk.clone(),
        period_start_ms: start,
        delivered_wh: delivered_total,
        energy_amount: energy_total,
        fees: fees_total,
    }];
    events.extend(ppa_events);
    Ok(events)
}

/// The intention with id `id` and its key.
fn intention_by_id(s: &(impl StateRead + ?Sized), id: &Hash32) -> Option<(StateKey, Intention)> {
    let Some(StateValue::IntentionRef(mk, start, seq)) = s.get(&StateKey::IntentionRef(*id)) else {
        return None;
    };
    let key = StateKey::Intention(mk, start, seq);
    match s.get(&key) {
        Some(StateValue::Intention(i)) => Some((key, i)),
        _ => None,
    }
}
