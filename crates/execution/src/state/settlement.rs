//! Settlement records and the read-side of settling a period: measured energy, what each PPA and contract delivered and its price.
//!
//! The transactions are in `tx/settlement.rs`.
use crate::fail::{fail, Fail, FailCode};
use crate::state::billing::site_p2p;
use crate::state::metering::{interval_energy, month_totals, site};
use crate::state::ppa::{self, Ppa};
use crate::state::trading::{contracts, Contract};
use crate::state::{StateKey, StateRead, StateValue, StateWrite};
use bytes::{Buf, BufMut};
use commonware_codec::{Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_types::{
    kst_month, kst_month_start_ms, next_month, ConfigureMarket, EnergyWh, Hash32, MarketId,
    MilliWon, PeriodKind, PriceMilliWonPerKwh, SiteId, SiteKind,
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

/// What the meters of the period's sites have left: `(import, export)` in Wh.
pub(crate) type Left = BTreeMap<SiteId, (u64, u64)>;

/// What a period delivered: the PPAs first, then the approved spot contracts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deliveries {
    /// Each PPA active in the period's month (monthly markets only), in id order.
    pub ppas: Vec<(Hash32, Ppa, u64)>,
    /// Each approved contract by number.
    pub contracts: Vec<(u32, Contract, u64)>,
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

/// Serves `claims` (seller site, buyer site, Wh) from what the sites have `left`, pro rata per
/// site where a site is short, and takes what each claim delivered from `left`.
pub(crate) fn serve(
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

/// True if energy sold from this site carries VAT (commercial buildings).
pub(crate) fn seller_vat(s: &(impl StateRead + ?Sized), seller_site: &SiteId) -> bool {
    site(s, seller_site).map(|x| x.kind) == Some(SiteKind::CommercialBuilding)
}

/// `part * have / total`, rounded down; `part` when `have >= total`.
pub(crate) fn share(part: u64, have: u64, total: u64) -> u64 {
    if have >= total || total == 0 {
        part
    } else {
        ((u128::from(part) * u128::from(have)) / u128::from(total)) as u64
    }
}

/// What a PPA delivered and is worth in `month`, once settled.
pub fn ppa_settlement(
    s: &(impl StateRead + ?Sized),
    id: &Hash32,
    month: u32,
) -> Option<SettlementLine> {
    match s.get(&StateKey::PpaSettlement(*id, month)) {
        Some(StateValue::PpaSettlement(l)) => Some(l),
        _ => None,
    }
}

/// Records a PPA's settlement of `month` (served by the period's settlement) and drops the PPA
/// from its market's index once every month of it is settled.
pub(crate) fn ppa_settled<S: StateWrite + ?Sized>(
    s: &mut S,
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
        ppa::unindex(s, id, &p);
    }
    ppa::put(s, id, p);
    Ok(())
}
