//! Each site's forecast for a month (generation, demand) and its expected benefit from P2P at
//! recent prices, from its own metered history before that month. Read-only and deterministic:
//! it uses only months that ended before the forecast month, so it is the same whenever it is
//! asked from the 1st on (until an operator corrects a past month).
//!
//! Method, per register (import = demand from the grid side, export = surplus generation):
//! 1. `same_month_last_year`: the month a year earlier has readings: its value, scaled by the
//!    trend of the three months before the forecast month against the same three months a year
//!    earlier (when both have readings), the ratio clamped to 1/2 .. 2.
//! 2. `recent_average`: otherwise, the average per day of the (up to three) previous months
//!    with readings, times the days of the forecast month.
//! 3. `fallback` (a new site): households 350 kWh, buildings 250 kWh per contracted kW of
//!    demand; no surplus.
//!
//! Expected benefit at the most recent clearing price of a monthly market before the month:
//! selling the forecast surplus earns `surplus x (price - feed-in price)`; buying
//! `q = max(average P2P bought over the last three months, demand / 5)` (at most the demand)
//! saves `bill(demand) - bill(demand - q) - q x (price + fees) x (1 + VAT)`. Both are 0 when
//! negative; no recent price, no benefit.
use crate::state::billing::{config, site_p2p, tariff_for};
use crate::state::metering::{month_totals, site, MonthTotals};
use crate::state::{StateKey, StateRead, StateValue};
use gridledger_tariff::{bill_with, TariffClass};
use gridledger_types::{
    kst_month_start_ms, next_month, ConfigureMarket, EnergyWh, PeriodKind, PriceMilliWonPerKwh,
    SiteId, SiteKind,
};
use serde::Serialize;

/// The forecast of one site for one month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Forecast {
    pub site: SiteId,
    pub month: u32,
    pub demand_wh: u64,
    pub surplus_wh: u64,
    /// `same_month_last_year`, `recent_average` or `fallback`, per register.
    pub demand_method: &'static str,
    pub surplus_method: &'static str,
    /// The recent clearing price used, and the market it came from.
    pub recent_price: Option<u64>,
    pub price_market: Option<SiteId>,
    /// Expected benefit of selling the surplus and of buying from neighbours, milli-won.
    pub sell_benefit: u64,
    pub buy_energy_wh: u64,
    pub buy_benefit: u64,
}

/// The month before `yyyymm`.
pub fn prev_month(yyyymm: u32) -> u32 {
    if yyyymm % 100 == 1 {
        (yyyymm / 100 - 1) * 100 + 12
    } else {
        yyyymm - 1
    }
}

fn back(mut m: u32, n: u32) -> u32 {
    for _ in 0..n {
        m = prev_month(m);
    }
    m
}

fn days(month: u32) -> u64 {
    match (
        kst_month_start_ms(month),
        kst_month_start_ms(next_month(month)),
    ) {
        (Some(a), Some(b)) => (b - a) / 86_400_000,
        _ => 30,
    }
}

/// One register's forecast from its monthly history (`get` reads a month's value, `None`
/// when the month has no readings).
fn predict(month: u32, get: &dyn Fn(u32) -> Option<u64>, fallback: u64) -> (u64, &'static str) {
    let recent: Vec<(u32, u64)> = (1..=3)
        .map(|k| back(month, k))
        .filter_map(|m| get(m).map(|v| (m, v)))
        .collect();
    if let Some(last_year) = get(back(month, 12)) {
        let now: u64 = recent.iter().fold(0u64, |a, (_, v)| a.saturating_add(*v));
        let then: Option<u64> = recent
            .iter()
            .map(|(m, _)| get(back(*m, 12)))
            .try_fold(0u64, |a, v| v.map(|v| a.saturating_add(v)));
        let v = match then {
            Some(then) if then > 0 && !recent.is_empty() => {
                let scaled = u128::from(last_year) * u128::from(now) / u128::from(then);
                let lo = u128::from(last_year / 2);
                let hi = u128::from(last_year).saturating_mul(2);
                scaled.clamp(lo, hi) as u64
            }
            _ => last_year,
        };
        return (v, "same_month_last_year");
    }
    if !recent.is_empty() {
        let total_days: u64 = recent.iter().map(|(m, _)| days(*m)).sum();
        let total: u128 = recent.iter().map(|(_, v)| u128::from(*v)).sum();
        let v = total * u128::from(days(month)) / u128::from(total_days.max(1));
        return (u64::try_from(v).unwrap_or(u64::MAX), "recent_average");
    }
    (fallback, "fallback")
}

/// The most recent clearing price of a monthly market's period starting before `month`.
fn recent_price(s: &(impl StateRead + ?Sized), month: u32) -> Option<(ConfigureMarket, u64)> {
    let before = kst_month_start_ms(month)?;
    let markets =
        s.scan(&(StateKey::Market(SiteId::bound_min())..StateKey::Period(SiteId::bound_min(), 0)));
    let mut best: Option<(u64, ConfigureMarket, u64)> = None;
    for (_, v) in markets {
        let StateValue::Market(m) = v else { continue };
        if m.period_kind != PeriodKind::Monthly {
            continue;
        }
        let range =
            StateKey::Period(m.market.clone(), 0)..StateKey::Period(m.market.clone(), before);
        let latest = s
            .scan(&range)
            .into_iter()
            .rev()
            .find_map(|(k, v)| match (k, v) {
                (StateKey::Period(_, t), StateValue::Period(p)) => {
                    p.clearing_price.map(|c| (t, c.0))
                }
                _ => None,
            });
        if let Some((t, price)) = latest {
            if best.as_ref().is_none_or(|(bt, _, _)| t > *bt) {
                best = Some((t, m, price));
            }
        }
    }
    best.map(|(_, m, p)| (m, p))
}

fn totals_if_read(t: MonthTotals) -> Option<MonthTotals> {
    (t.intervals > 0 || t.corrections > 0).then_some(t)
}

pub fn forecast(s: &(impl StateRead + ?Sized), id: &SiteId, month: u32) -> Option<Forecast> {
    let st = site(s, id)?;
    kst_month_start_ms(month)?;
    let hist = |m: u32| totals_if_read(month_totals(s, id, m));
    let default_demand = match st.kind {
        SiteKind::Household => 350_000,
        SiteKind::CommercialBuilding => u64::from(st.contract_kw) * 250_000,
    };
    let (demand_wh, demand_method) =
        predict(month, &|m| hist(m).map(|t| t.import_wh), default_demand);
    let (surplus_wh, surplus_method) = predict(month, &|m| hist(m).map(|t| t.export_wh), 0);
    let mut f = Forecast {
        site: id.clone(),
        month,
        demand_wh,
        surplus_wh,
        demand_method,
        surplus_method,
        recent_price: None,
        price_market: None,
        sell_benefit: 0,
        buy_energy_wh: 0,
        buy_benefit: 0,
    };
    let Some((m, price)) = recent_price(s, month) else {
        return Some(f);
    };
    f.recent_price = Some(price);
    f.price_market = Some(m.market.clone());
    let feed_in = config(s).map(|c| c.feed_in_price.0).unwrap_or(0);
    f.sell_benefit = PriceMilliWonPerKwh(price.saturating_sub(feed_in))
        .cost_floor(EnergyWh(surplus_wh))
        .map(|x| x.0)
        .unwrap_or(0);
    let bought: u64 = (1..=3)
        .map(|k| site_p2p(s, id, back(month, k)).bought_wh)
        .fold(0u64, u64::saturating_add)
        / 3;
    let q = bought.max(demand_wh / 5).min(demand_wh);
    f.buy_energy_wh = q;
    let (Ok(class), Ok(v)) = (st.tariff_class.parse::<TariffClass>(), tariff_for(s, month)) else {
        return Some(f);
    };
    let kw = class.needs_contract_kw().then_some(st.contract_kw);
    let (y, mo) = ((month / 100) as u16, (month % 100) as u8);
    let total = |wh: u64| bill_with(&v, class, y, mo, EnergyWh(wh), kw).map(|b| b.total.0);
    let unit = price
        .saturating_add(m.wheeling_fee.0)
        .saturating_add(m.platform_fee.0);
    let cost = PriceMilliWonPerKwh(unit)
        .cost_floor(EnergyWh(q))
        .map(|c| c.0)
        .unwrap_or(u64::MAX);
    let cost = cost.saturating_add(gridledger_types::MilliWon(cost).bp_floor(v.common.vat_bp).0);
    if let (Ok(all), Ok(rest)) = (total(demand_wh), total(demand_wh - q)) {
        f.buy_benefit = all.saturating_sub(rest).saturating_sub(cost);
    }
    Some(f)
}
