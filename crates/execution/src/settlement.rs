//! Settlement of a period from measured values: how much energy each approved contract really
//! delivered, and what it is worth.
//!
//! For each seller site the contracted total is compared with its measured export in the
//! period; a seller that under-delivers delivers each of its contracts pro rata (rounded down).
//! The same is done for each buyer site against its measured import. A contract's delivered
//! energy is the smaller of its seller-side and buyer-side shares, so no site is credited with
//! more than its meter measured and no contract delivers more than it promised. The energy
//! amount is delivered x price (rounded down to a milli-won); wheeling and platform fees are
//! delivered x fee. Payments and bills are built on these records.
use crate::billing::{self, ensure_month_open, site_p2p, SiteP2p};
use crate::escrow;
use crate::executor::{fail, Fail, Scratch};
use crate::metering::{interval_energy, month_totals, site};
use crate::payments::{record, Payment, PaymentSource};
use crate::state::{StateKey, StateRead, StateValue};
use crate::trading::{contracts, intentions, market_and_period, period, Contract, Intention};
use bytes::{Buf, BufMut};
use commonware_codec::{Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_types::{
    kst_month, kst_month_start_ms, next_month, ConfigureMarket, ContractRef, EnergyWh, Event,
    Hash32, MarketId, MilliWon, PaymentKind, PeriodKind, SiteId, SiteKind,
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

/// Each approved contract of a period with the energy it delivered, from the meters (and the
/// operator's figure for a disputed contract, never above the meters' shares).
pub fn delivered(
    s: &(impl StateRead + ?Sized),
    m: &ConfigureMarket,
    mk: &MarketId,
    start: u64,
    end: u64,
) -> Vec<(u32, Contract, u64)> {
    let approved: Vec<(u32, Contract)> = contracts(s, mk, start)
        .into_iter()
        .enumerate()
        .filter(|(_, c)| c.approved)
        .map(|(n, c)| (n as u32, c))
        .collect();
    let mut sold: BTreeMap<&SiteId, u64> = BTreeMap::new();
    let mut bought: BTreeMap<&SiteId, u64> = BTreeMap::new();
    for (_, c) in &approved {
        *sold.entry(&c.seller_site).or_default() += c.energy_wh;
        *bought.entry(&c.buyer_site).or_default() += c.energy_wh;
    }
    let mut meters: BTreeMap<&SiteId, (u64, u64)> = BTreeMap::new();
    for site in sold.keys().chain(bought.keys()) {
        if !meters.contains_key(site) {
            meters.insert(site, measured(s, site, m.period_kind, start, end));
        }
    }
    let out: Vec<(u32, u64)> = approved
        .iter()
        .map(|(n, c)| {
            let export = meters.get(&c.seller_site).map(|m| m.1).unwrap_or(0);
            let import = meters.get(&c.buyer_site).map(|m| m.0).unwrap_or(0);
            let by_seller = share(
                c.energy_wh,
                export,
                sold.get(&c.seller_site).copied().unwrap_or(0),
            );
            let by_buyer = share(
                c.energy_wh,
                import,
                bought.get(&c.buyer_site).copied().unwrap_or(0),
            );
            let mut d = by_seller.min(by_buyer);
            if c.disputed {
                d = d.min(c.resolved_wh.unwrap_or(0));
            }
            (*n, d)
        })
        .collect();
    approved
        .into_iter()
        .zip(out)
        .map(|((n, c), (_, d))| (n, c, d))
        .collect()
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
    let e = EnergyWh(delivered_wh);
    let energy_amount = c.price.cost_floor(e)?;
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
    f(&mut p).ok_or_else(|| fail("overflow", "P2P totals overflow"))?;
    s.put(
        StateKey::SiteP2p(site.clone(), month),
        StateValue::SiteP2p(p),
    );
    Ok(())
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
        .ok_or_else(|| fail("invalid_period", "the period's end overflows"))?;
    if now_ms < end {
        return Err(fail(
            "period_not_ended",
            format!("the period ends at {end} ms"),
        ));
    }
    let close = end.saturating_add(m.dispute_window_ms);
    if now_ms < close {
        return Err(fail(
            "dispute_window_open",
            format!("buyers may dispute until {close} ms; settle after"),
        ));
    }
    let mut per = period(s, mk, start);
    if !per.cleared {
        return Err(fail("not_cleared", "the period has not been cleared"));
    }
    if per.settled {
        return Err(fail("already_settled", "this period is already settled"));
    }
    ensure_month_open(s, start)?;
    let cfg = billing::config(s)?;
    let vat_bp = escrow::vat_bp(s, start)?;
    let month = kst_month(start);
    let prepaid = escrow::escrowed(&m);
    let (mut delivered_total, mut energy_total, mut fees_total) =
        (0u64, MilliWon::ZERO, MilliWon::ZERO);
    let overflow = || fail("overflow", "settlement amounts overflow");
    for (n, c, d) in delivered(s, &m, mk, start, end) {
        let seller_vat =
            site(s, &c.seller_site).map(|x| x.kind) == Some(SiteKind::CommercialBuilding);
        let l = price_line(&m, &c, d, vat_bp, seller_vat).ok_or_else(overflow)?;
        let total = l.total().ok_or_else(overflow)?;
        let (buy_key, mut buy) = intention_by_id(s, &c.buy)
            .ok_or_else(|| fail("unknown_intention", "a contract names an unknown intention"))?;
        let (_, sell) = intention_by_id(s, &c.sell)
            .ok_or_else(|| fail("unknown_intention", "a contract names an unknown intention"))?;
        let cref = ContractRef {
            market: mk.clone(),
            period_start_ms: start,
            number: n,
        };
        let paid_by = prepaid.then_some(tx);
        let owed = [
            (&sell.submitter, PaymentKind::Energy, l.energy_amount),
            (&sell.submitter, PaymentKind::EnergyVat, l.energy_vat),
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
                source: PaymentSource::Contract(cref.clone()),
                paid_by,
            };
            record(s, month, &buy.submitter, line)?;
        }
        if prepaid {
            // Unreachable by the rounding rules (see `escrow`); refused rather than overdrawn.
            buy.escrow = buy.escrow.checked_sub(total).ok_or_else(|| {
                fail(
                    "escrow_short",
                    "a contract costs more than its buyer's escrow",
                )
            })?;
            s.put(buy_key, StateValue::Intention(buy));
        }
        add_p2p(s, &c.buyer_site, month, |p| {
            p.bought_wh = p.bought_wh.checked_add(d)?;
            p.purchases = p.purchases.checked_add(total)?;
            Some(())
        })?;
        add_p2p(s, &c.seller_site, month, |p| {
            p.sold_wh = p.sold_wh.checked_add(d)?;
            p.sales = p.sales.checked_add(l.energy_amount)?;
            p.sales_vat = p.sales_vat.checked_add(l.energy_vat)?;
            Some(())
        })?;
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
    // Whatever is still held for the period's buys goes back to their submitters.
    for (seq, mut i) in intentions(s, mk, start) {
        if i.escrow.is_zero() {
            continue;
        }
        s.release(&i.submitter, i.escrow)?;
        i.escrow = MilliWon::ZERO;
        s.put(
            StateKey::Intention(mk.clone(), start, seq),
            StateValue::Intention(i),
        );
    }
    per.settled = true;
    s.put(StateKey::Period(mk.clone(), start), StateValue::Period(per));
    Ok(vec![Event::PeriodSettled {
        market: mk.clone(),
        period_start_ms: start,
        delivered_wh: delivered_total,
        energy_amount: energy_total,
        fees: fees_total,
    }])
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
    }
}
impl FixedSize for SettlementLine {
    const SIZE: usize = 56;
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
        })
    }
}
