//! Billing records (settings, tariff versions, site bills, P2P totals, the month's progress), their encoding and lookups; the bill computation shared by issuing and the views.
//!
//! The rules that change them are in `tx/billing.rs`.
use crate::fail::{fail, Fail, FailCode};
use crate::state::metering::{MonthTotals, Site};
use crate::state::StateWrite;
use crate::state::{StateKey, StateRead, StateValue};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_tariff::{bill_with, TariffClass, TariffVersion};
use gridledger_types::{
    read_string, string_size, write_string, Address, ConfigureBilling, EnergyWh, MilliWon, SiteId,
    TEXT_MAX_BYTES,
};
use serde::{Deserialize, Serialize};

/// Most sites one `IssueBills` transaction bills.
pub const BILL_BATCH: usize = 1_000;

/// A site's P2P trade in a month, summed at each settlement.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteP2p {
    pub bought_wh: u64,
    pub sold_wh: u64,
    /// Everything the site's owner pays for energy bought: energy, fees, VAT.
    pub purchases: MilliWon,
    /// Energy sold (VAT excluded).
    pub sales: MilliWon,
    /// VAT collected on energy sold (commercial buildings only).
    pub sales_vat: MilliWon,
    /// The part of `sales` paid to sales companies under the owner's mandates.
    pub sales_share: MilliWon,
}

/// A site's bill of one month, with P2P and without.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteBill {
    pub owner: Address,
    pub tariff_version: String,
    pub import_wh: u64,
    pub export_wh: u64,
    pub p2p: SiteP2p,
    /// Import supplied by the grid: `import - p2p.bought` (never below zero).
    pub grid_wh: u64,
    /// Export fed into the grid: `export - p2p.sold`.
    pub excess_wh: u64,
    /// KEPCO bill total for `grid_wh`.
    pub grid_charge: MilliWon,
    /// Feed-in price x `excess_wh`.
    pub feed_in: MilliWon,
    /// KEPCO bill total for all of `import_wh`.
    pub grid_charge_without_p2p: MilliWon,
    /// Feed-in price x all of `export_wh`.
    pub feed_in_without_p2p: MilliWon,
}

impl SiteBill {
    /// What the month costs the owner with P2P (negative: it earns); sales count net of the
    /// sales companies' shares.
    pub fn net_with_p2p(&self) -> i128 {
        i128::from(self.grid_charge.0) + i128::from(self.p2p.purchases.0)
            - i128::from(self.p2p.sales.0)
            + i128::from(self.p2p.sales_share.0)
            - i128::from(self.feed_in.0)
    }
    /// What it would have cost without P2P.
    pub fn net_without_p2p(&self) -> i128 {
        i128::from(self.grid_charge_without_p2p.0) - i128::from(self.feed_in_without_p2p.0)
    }
    /// `without - with`: what P2P saved (or earned) the owner this month.
    pub fn savings(&self) -> i128 {
        self.net_without_p2p() - self.net_with_p2p()
    }
}

/// Progress of a month's billing and collection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthBilling {
    /// Billing started: the month's periods can no longer be cleared or settled.
    pub started: bool,
    pub sites_billed: u32,
    pub cursor: Option<SiteId>,
    /// Every site is billed; bills can be paid.
    pub done: bool,
    pub collect_cursor: Option<Address>,
    /// Auto-debit has tried every bill.
    pub collected: bool,
}

pub(crate) fn put_month_billing<S: StateWrite + ?Sized>(s: &mut S, month: u32, m: MonthBilling) {
    s.put(StateKey::MonthBilling(month), StateValue::MonthBilling(m));
}

impl Write for SiteP2p {
    fn write(&self, b: &mut impl BufMut) {
        self.bought_wh.write(b);
        self.sold_wh.write(b);
        self.purchases.write(b);
        self.sales.write(b);
        self.sales_vat.write(b);
        self.sales_share.write(b);
    }
}

impl FixedSize for SiteP2p {
    const SIZE: usize = 48;
}

impl Read for SiteP2p {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            bought_wh: u64::read(b)?,
            sold_wh: u64::read(b)?,
            purchases: MilliWon::read(b)?,
            sales: MilliWon::read(b)?,
            sales_vat: MilliWon::read(b)?,
            sales_share: MilliWon::read(b)?,
        })
    }
}

impl Write for SiteBill {
    fn write(&self, b: &mut impl BufMut) {
        self.owner.write(b);
        write_string(&self.tariff_version, b);
        self.import_wh.write(b);
        self.export_wh.write(b);
        self.p2p.write(b);
        self.grid_wh.write(b);
        self.excess_wh.write(b);
        self.grid_charge.write(b);
        self.feed_in.write(b);
        self.grid_charge_without_p2p.write(b);
        self.feed_in_without_p2p.write(b);
    }
}

impl EncodeSize for SiteBill {
    fn encode_size(&self) -> usize {
        Address::SIZE + string_size(&self.tariff_version) + 16 + SiteP2p::SIZE + 16 + 32
    }
}

impl Read for SiteBill {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            owner: Address::read(b)?,
            tariff_version: read_string(b, TEXT_MAX_BYTES)?,
            import_wh: u64::read(b)?,
            export_wh: u64::read(b)?,
            p2p: SiteP2p::read(b)?,
            grid_wh: u64::read(b)?,
            excess_wh: u64::read(b)?,
            grid_charge: MilliWon::read(b)?,
            feed_in: MilliWon::read(b)?,
            grid_charge_without_p2p: MilliWon::read(b)?,
            feed_in_without_p2p: MilliWon::read(b)?,
        })
    }
}

impl Write for MonthBilling {
    fn write(&self, b: &mut impl BufMut) {
        self.started.write(b);
        self.sites_billed.write(b);
        self.cursor.write(b);
        self.done.write(b);
        self.collect_cursor.write(b);
        self.collected.write(b);
    }
}

impl EncodeSize for MonthBilling {
    fn encode_size(&self) -> usize {
        1 + 4 + self.cursor.encode_size() + 1 + self.collect_cursor.encode_size() + 1
    }
}

impl Read for MonthBilling {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            started: bool::read(b)?,
            sites_billed: u32::read(b)?,
            cursor: Option::<SiteId>::read(b)?,
            done: bool::read(b)?,
            collect_cursor: Option::<Address>::read(b)?,
            collected: bool::read(b)?,
        })
    }
}

pub fn config(s: &(impl StateRead + ?Sized)) -> Result<ConfigureBilling, Fail> {
    match s.get(&StateKey::BillingConfig) {
        Some(StateValue::BillingConfig(c)) => Ok(c),
        _ => Err(fail(
            FailCode::BillingNotConfigured,
            "the operator has not configured billing (grid company, feed-in price)",
        )),
    }
}

pub fn month_billing(s: &(impl StateRead + ?Sized), month: u32) -> MonthBilling {
    match s.get(&StateKey::MonthBilling(month)) {
        Some(StateValue::MonthBilling(m)) => m,
        _ => MonthBilling::default(),
    }
}

pub fn site_p2p(s: &(impl StateRead + ?Sized), site: &SiteId, month: u32) -> SiteP2p {
    match s.get(&StateKey::SiteP2p(site.clone(), month)) {
        Some(StateValue::SiteP2p(p)) => p,
        _ => SiteP2p::default(),
    }
}

pub fn site_bill(s: &(impl StateRead + ?Sized), site: &SiteId, month: u32) -> Option<SiteBill> {
    match s.get(&StateKey::SiteBill(month, site.clone())) {
        Some(StateValue::SiteBill(b)) => Some(b),
        _ => None,
    }
}

/// The tariff version in force on the 1st of `month`.
pub fn tariff_for(s: &(impl StateRead + ?Sized), month: u32) -> Result<TariffVersion, Fail> {
    let range = StateKey::Tariff(0)..StateKey::Tariff(first_day(month).saturating_add(1));
    match s.scan(&range).pop() {
        Some((_, StateValue::Tariff(v))) => Ok(*v),
        _ => Err(fail(
            FailCode::NoTariff,
            format!("no tariff version is in force in {month}"),
        )),
    }
}

/// Every stored tariff version, by effective date.
pub fn tariffs(s: &(impl StateRead + ?Sized)) -> Vec<TariffVersion> {
    s.scan(&(StateKey::Tariff(0)..StateKey::Tariff(u32::MAX)))
        .into_iter()
        .filter_map(|(_, v)| match v {
            StateValue::Tariff(t) => Some(*t),
            _ => None,
        })
        .collect()
}

/// `YYYYMMDD` a version takes effect.
pub fn effective_key(v: &TariffVersion) -> u32 {
    u32::from(v.effective_from.year) * 10_000
        + u32::from(v.effective_from.month) * 100
        + u32::from(v.effective_from.day)
}

/// The bill of one site for one month (pure: the numbers come in).
pub fn compute_site_bill(
    version: &TariffVersion,
    site: &Site,
    month: u32,
    totals: MonthTotals,
    p2p: SiteP2p,
    feed_in_price: gridledger_types::PriceMilliWonPerKwh,
) -> Result<SiteBill, Fail> {
    let class: TariffClass = site
        .tariff_class
        .parse()
        .map_err(|e: gridledger_tariff::Error| fail(FailCode::UnknownTariffClass, e.to_string()))?;
    let (year, mon) = ((month / 100) as u16, (month % 100) as u8);
    let kw = class.needs_contract_kw().then_some(site.contract_kw);
    let total_for = |wh: u64| {
        bill_with(version, class, year, mon, EnergyWh(wh), kw)
            .map(|b| b.total)
            .map_err(|e| fail(FailCode::TariffError, e.to_string()))
    };
    let feed = |wh: u64| {
        feed_in_price
            .cost_floor(EnergyWh(wh))
            .ok_or_else(|| fail(FailCode::Overflow, "feed-in amount overflows"))
    };
    let grid_wh = totals.import_wh.saturating_sub(p2p.bought_wh);
    let excess_wh = totals.export_wh.saturating_sub(p2p.sold_wh);
    Ok(SiteBill {
        owner: site.owner.clone(),
        tariff_version: version.id.clone(),
        import_wh: totals.import_wh,
        export_wh: totals.export_wh,
        p2p,
        grid_wh,
        excess_wh,
        grid_charge: total_for(grid_wh)?,
        feed_in: feed(excess_wh)?,
        grid_charge_without_p2p: total_for(totals.import_wh)?,
        feed_in_without_p2p: feed(totals.export_wh)?,
    })
}

/// Fails once billing of the month containing `period_start` has started.
pub(crate) fn ensure_month_open(
    s: &(impl StateRead + ?Sized),
    period_start: u64,
) -> Result<(), Fail> {
    let month = gridledger_types::kst_month(period_start);
    if month_billing(s, month).started {
        return Err(fail(
            FailCode::MonthBilled,
            format!("the bills of {month} are being issued; its periods are closed"),
        ));
    }
    Ok(())
}

/// `YYYYMMDD` of the first day of `month` (`YYYYMM`).
pub(crate) fn first_day(month: u32) -> u32 {
    month.saturating_mul(100).saturating_add(1)
}
