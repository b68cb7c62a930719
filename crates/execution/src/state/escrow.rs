//! Escrow of real-time buyers' maximum cost.
//!
//! A buy intention in a market with hourly or quarter-hour periods holds
//! `ceil(energy x (limit + wheeling + platform)) + ceil(that x VAT)` of its site owner's money (the money party, also when a sales company entered it)
//! (VAT at the rate of the tariff in force that month, as if every line carried it). Clearing
//! keeps the maximum cost of the filled energy and releases the rest; settlement pays the
//! contract lines from it and releases what is left. Every line is rounded down, so the lines
//! of an intention never exceed what it holds. The monthly market is postpaid and holds nothing.
//!
//! Holding and releasing the escrow are steps of trading (`tx/trading.rs`).
use crate::fail::{fail, Fail, FailCode};
use crate::state::billing::tariff_for;
use crate::state::StateRead;
use gridledger_types::{kst_month, ConfigureMarket, EnergyWh, MilliWon, PeriodKind};

/// True if buys in this market hold their maximum cost.
pub fn escrowed(m: &ConfigureMarket) -> bool {
    m.period_kind != PeriodKind::Monthly
}

/// The most `energy_wh` bought at `limit` can cost in `m`, VAT included.
pub fn max_cost(
    m: &ConfigureMarket,
    energy_wh: u64,
    limit: gridledger_types::PriceMilliWonPerKwh,
    vat_bp: u32,
) -> Result<MilliWon, Fail> {
    let overflow = || fail(FailCode::Overflow, "the maximum cost overflows");
    let unit = limit
        .checked_add(m.wheeling_fee)
        .and_then(|p| p.checked_add(m.platform_fee))
        .ok_or_else(overflow)?;
    let base = unit.cost_ceil(EnergyWh(energy_wh)).ok_or_else(overflow)?;
    base.checked_add(base.bp_ceil(vat_bp).ok_or_else(overflow)?)
        .ok_or_else(overflow)
}

/// VAT rate (basis points) of the month a period starts in.
pub fn vat_bp(s: &(impl StateRead + ?Sized), period_start: u64) -> Result<u32, Fail> {
    Ok(tariff_for(s, kst_month(period_start))?.common.vat_bp)
}
