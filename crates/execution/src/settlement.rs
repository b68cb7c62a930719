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
use crate::billing::{self, ensure_month_open, site_p2p, SiteP2p};
use crate::escrow;
use crate::executor::{fail, Fail, Scratch};
use crate::fail::FailCode;
use crate::metering::{interval_energy, month_totals, site};
use crate::payments::{record, Payment, PaymentSource};
use crate::ppa::{self, Ppa};
use crate::state::{StateKey, StateRead, StateValue};
use crate::trading::{contracts, intentions, market_and_period, period, Contract, Intention};
use bytes::{Buf, BufMut};
use commonware_codec::{Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_types::{
    kst_month, kst_month_start_ms, next_month, Address, ConfigureBilling, ConfigureMarket,
    ContractRef, EnergyWh, Event, Hash32, MarketId, MilliWon, PaymentKind, PeriodKind,
    PriceMilliWonPerKwh, Side, SiteId, SiteKind,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one contract delivered and is worth.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementLine {
    pub delivered_wh: u64,
    /// Owed by the buyer to the seller.
    pub energy_amount: MilliWon,
    /// Owed by the buyer to the grid company.
    pub wheeling: MilliWon,
    /// Owed by the buyer to the operator.
    pub platform: MilliWon,
    /// VAT on the energy (sellers that are commercial buildings), to the seller.
    pub energy_vat: MilliWon,
    /// VAT on the wheeling fee, to the grid company.
    pub wheeling_vat: MilliWon,
    /// VAT on the platform fee, to the operator.
    pub platform_vat: MilliWon,
    /// The part of `energy_amount` paid to the sales company that sold under a mandate (the
    /// rest goes to the seller site's owner).
    pub sales_share: MilliWon,
}

/// End (exclusive) of the period starting at `start`.
pub fn period_end(kind: PeriodKind, start: u64) -> Option<u64> {
    match kind {
        PeriodKind::Monthly => kst_month_start_ms(next_month(kst_month(start))),
        PeriodKind::Hourly => start.checked_add(3_600_000),
        PeriodKind::QuarterHour => start.checked_add(900_000),
    }
}

/// A site's measured (import, export) in Wh over the period.
pub fn measured(
    s: &(impl StateRead + ?Sized),
    site: &SiteId,
    kind: PeriodKind,
    start: u64,
    end: u64,
) -> (u64, u64) {
    if kind == PeriodKind::Monthly {
        let t = month_totals(s, site, kst_month(start));
        return (t.import_wh, t.export_wh);
    }
    let range = StateKey::Interval(site.clone(), start)..StateKey::Interval(site.clone(), end);
    s.scan(&range)
        .iter()
        .fold((0u64, 0u64), |(i, e), (k, _)| match k {
            StateKey::Interval(_, t) => {
                let v = interval_energy(s, site, *t);
                (i.saturating_add(v.import_wh), e.saturating_add(v.export_wh))
            }
            _ => (i, e),
        })
}

/// `part * have / total`, rounded down; `part` when `have >= total`.
fn share(part: u64, have: u64, total: u64) -> u64 {
    if have >= total || total == 0 {
        part
    } else {
        ((u128::from(part) * u128::from(have)) / u128::from(total)) as u64
    }
}

pub fn line(
    s: &(impl StateRead + ?Sized),
    mk: &MarketId,
    start: u64,
    n: u32,
) -> Option<SettlementLine> {
    match s.get(&StateKey::Settlement(mk.clone(), start, n)) {
        Some(StateValue::Settlement(l)) => Some(l),
        _ => None,
    }
}

/// A site's `(import, export)` in the period that no settled P2P trade has used yet: the
/// period's measured values, capped by what the month's totals leave after every period
/// (of any market) already settled in that month. So a site never sells (or buys) more in a
/// month, across markets, than its meter measured.
pub fn available(
    s: &(impl StateRead + ?Sized),
    site: &SiteId,
    kind: PeriodKind,
    start: u64,
    end: u64,
) -> (u64, u64) {
    let (import, export) = measured(s, site, kind, start, end);
    let month = kst_month(start);
    let t = month_totals(s, site, month);
    let used = site_p2p(s, site, month);
    (
        import.min(t.import_wh.saturating_sub(used.bought_wh)),
        export.min(t.export_wh.saturating_sub(used.sold_wh)),
    )
}

/// What the meters of the period's sites have left: `(import, export)` in Wh.
type Left = BTreeMap<SiteId, (u64, u64)>;

/// Serves `claims` (seller site, buyer site, Wh) from what the sites have `left`, pro rata per
/// site where a site is short, and takes what each claim delivered from `left`.
fn serve(
    s: &(impl StateRead + ?Sized),
    kind: PeriodKind,
    (start, end): (u64, u64),
    claims: &[(&SiteId, &SiteId, u64)],
    left: &mut Left,
) -> Vec<u64> {
    let mut sold: BTreeMap<&SiteId, u64> = BTreeMap::new();
    let mut bought: BTreeMap<&SiteId, u64> = BTreeMap::new();
    for &(seller, buyer, wh) in claims {
        let t = sold.entry(seller).or_default();
        *t = t.saturating_add(wh);
        let t = bought.entry(buyer).or_default();
        *t = t.saturating_add(wh);
    }
    for &site in sold.keys().chain(bought.keys()) {
        if !left.contains_key(site) {
            left.insert(site.clone(), available(s, site, kind, start, end));
        }
    }
    let out: Vec<u64> = claims
        .iter()
        .map(|&(seller, buyer, wh)| {
            let export = left.get(seller).map(|m| m.1).unwrap_or(0);
            let import = left.get(buyer).map(|m| m.0).unwrap_or(0);
            let by_seller = share(wh, export, sold.get(seller).copied().unwrap_or(0));
            let by_buyer = share(wh, import, bought.get(buyer).copied().unwrap_or(0));
            by_seller.min(by_buyer)
        })
        .collect();
    for (&(seller, buyer, _), d) in claims.iter().zip(&out) {
        if let Some(m) = left.get_mut(seller) {
            m.1 = m.1.saturating_sub(*d);
        }
        if let Some(m) = left.get_mut(buyer) {
            m.0 = m.0.saturating_sub(*d);
        }
    }
    out
}

/// What a period delivered: the PPAs first, then the approved spot contracts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deliveries {
    /// Each PPA active in the period's month (monthly markets only), in id order.
    pub ppas: Vec<(Hash32, Ppa, u64)>,
    /// Each approved contract by number.
    pub contracts: Vec<(u32, Contract, u64)>,
}

/// The energy each PPA and each approved contract of a period delivered, from the meters (and
/// the operator's figure for a disputed contract, never above the meters' shares).
pub fn deliveries(
    s: &(impl StateRead + ?Sized),
    m: &ConfigureMarket,
    mk: &MarketId,
    start: u64,
    end: u64,
) -> Deliveries {
    let mut left = Left::new();
    let month = kst_month(start);
    let ppas = if m.period_kind == PeriodKind::Monthly {
        ppa::active(s, mk, month)
    } else {
        Vec::new()
    };
    let claims: Vec<(&SiteId, &SiteId, u64)> = ppas
        .iter()
        .map(|(_, p)| (&p.seller_site, &p.buyer_site, p.profile_wh(month)))
        .collect();
    let served = serve(s, m.period_kind, (start, end), &claims, &mut left);
    let ppas = ppas
        .into_iter()
        .zip(served)
        .map(|((id, p), d)| (id, p, d))
        .collect();

    let approved: Vec<(u32, Contract)> = contracts(s, mk, start)
        .into_iter()
        .enumerate()
        .filter(|(_, c)| c.approved)
        .map(|(n, c)| (n as u32, c))
        .collect();
    let claims: Vec<(&SiteId, &SiteId, u64)> = approved
        .iter()
        .map(|(_, c)| (&c.seller_site, &c.buyer_site, c.energy_wh))
        .collect();
    let served = serve(s, m.period_kind, (start, end), &claims, &mut left);
    let contracts = approved
        .into_iter()
        .zip(served)
        .map(|((n, c), mut d)| {
            if c.disputed {
                d = d.min(c.resolved_wh.unwrap_or(0));
            }
            (n, c, d)
        })
        .collect();
    Deliveries { ppas, contracts }
}

/// What `delivered_wh` under contract `c` is worth: energy x price, the fees, and VAT on the
/// fees always and on the energy when `seller_vat` (each rounded down to a milli-won).
pub fn price_line(
    m: &ConfigureMarket,
    c: &Contract,
    delivered_wh: u64,
    vat_bp: u32,
    seller_vat: bool,
) -> Option<SettlementLine> {
    price_line_at(m, c.price, delivered_wh, vat_bp, seller_vat)
}

/// [price_line] at `price` (a contract's or a PPA's).
pub fn price_line_at(
    m: &ConfigureMarket,
    price: PriceMilliWonPerKwh,
    delivered_wh: u64,
    vat_bp: u32,
    seller_vat: bool,
) -> Option<SettlementLine> {
    let e = EnergyWh(delivered_wh);
    let energy_amount = price.cost_floor(e)?;
    let wheeling = m.wheeling_fee.cost_floor(e)?;
    let platform = m.platform_fee.cost_floor(e)?;
    let energy_vat = if seller_vat {
        energy_amount.bp_floor(vat_bp)
    } else {
        MilliWon::ZERO
    };
    Some(SettlementLine {
        delivered_wh,
        energy_amount,
        wheeling,
        platform,
        energy_vat,
        wheeling_vat: wheeling.bp_floor(vat_bp),
        platform_vat: platform.bp_floor(vat_bp),
        sales_share: MilliWon::ZERO,
    })
}

impl SettlementLine {
    /// Everything the buyer pays.
    pub fn total(&self) -> Option<MilliWon> {
        [
            self.wheeling,
            self.platform,
            self.energy_vat,
            self.wheeling_vat,
            self.platform_vat,
        ]
        .into_iter()
        .try_fold(self.energy_amount, |a, b| a.checked_add(b))
    }
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

/// True if energy sold from this site carries VAT (commercial buildings).
fn seller_vat(s: &(impl StateRead + ?Sized), seller_site: &SiteId) -> bool {
    site(s, seller_site).map(|x| x.kind) == Some(SiteKind::CommercialBuilding)
}

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
    now_ms: u64,
    tx: Hash32,
    mk: &MarketId,
    start: u64,
) -> Result<Vec<Event>, Fail> {
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
    let gate = crate::trading::gate_closure_ms(&m, start);
    for (id, p, d) in del.ppas {
        let mut l = price_line_at(&m, p.price, d, vat_bp, seller_vat(s, &p.seller_site))
            .ok_or_else(overflow)?;
        // The seller's company is paid its share for months whose gate closed within its
        // mandate.
        let agent = p.seller_agent.as_ref().and_then(|a| {
            crate::mandates::mandate(s, &p.seller_site, a)
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
        ppa::settled(s, id, p, month, l)?;
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

impl Write for SettlementLine {
    fn write(&self, b: &mut impl BufMut) {
        self.delivered_wh.write(b);
        self.energy_amount.write(b);
        self.wheeling.write(b);
        self.platform.write(b);
        self.energy_vat.write(b);
        self.wheeling_vat.write(b);
        self.platform_vat.write(b);
        self.sales_share.write(b);
    }
}
impl FixedSize for SettlementLine {
    const SIZE: usize = 64;
}
impl Read for SettlementLine {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            delivered_wh: u64::read(b)?,
            energy_amount: MilliWon::read(b)?,
            wheeling: MilliWon::read(b)?,
            platform: MilliWon::read(b)?,
            energy_vat: MilliWon::read(b)?,
            wheeling_vat: MilliWon::read(b)?,
            platform_vat: MilliWon::read(b)?,
            sales_share: MilliWon::read(b)?,
        })
    }
}
