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
use crate::executor::{fail, Fail, Scratch};
use crate::metering::{interval_energy, month_totals};
use crate::state::{StateKey, StateRead, StateValue};
use crate::trading::{contracts, market_and_period, period};
use bytes::{Buf, BufMut};
use commonware_codec::{Error as CodecError, FixedSize, Read, ReadExt, Write};
use gridledger_types::{
    kst_month, kst_month_start_ms, next_month, EnergyWh, Event, MarketId, MilliWon, PeriodKind,
    SiteId,
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

pub(crate) fn settle<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    now_ms: u64,
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
    let mut per = period(s, mk, start);
    if !per.cleared {
        return Err(fail("not_cleared", "the period has not been cleared"));
    }
    if per.settled {
        return Err(fail("already_settled", "this period is already settled"));
    }
    let cs = contracts(s, mk, start);
    let approved: Vec<(u32, &crate::trading::Contract)> = cs
        .iter()
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
    let (mut delivered_total, mut energy_total, mut fees_total) =
        (0u64, MilliWon::ZERO, MilliWon::ZERO);
    let overflow = || fail("overflow", "settlement amounts overflow");
    for (n, c) in &approved {
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
        let delivered = by_seller.min(by_buyer);
        let e = EnergyWh(delivered);
        let l = SettlementLine {
            delivered_wh: delivered,
            energy_amount: c.price.cost_floor(e).ok_or_else(overflow)?,
            wheeling: m.wheeling_fee.cost_floor(e).ok_or_else(overflow)?,
            platform: m.platform_fee.cost_floor(e).ok_or_else(overflow)?,
        };
        delivered_total = delivered_total
            .checked_add(delivered)
            .ok_or_else(overflow)?;
        energy_total = energy_total
            .checked_add(l.energy_amount)
            .ok_or_else(overflow)?;
        fees_total = fees_total
            .checked_add(l.wheeling)
            .and_then(|f| f.checked_add(l.platform))
            .ok_or_else(overflow)?;
        s.put(
            StateKey::Settlement(mk.clone(), start, *n),
            StateValue::Settlement(l),
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
    }
}
impl FixedSize for SettlementLine {
    const SIZE: usize = 32;
}
impl Read for SettlementLine {
    type Cfg = ();
    fn read_cfg(b: &mut impl Buf, _: &()) -> Result<Self, CodecError> {
        Ok(Self {
            delivered_wh: u64::read(b)?,
            energy_amount: MilliWon::read(b)?,
            wheeling: MilliWon::read(b)?,
            platform: MilliWon::read(b)?,
        })
    }
}
