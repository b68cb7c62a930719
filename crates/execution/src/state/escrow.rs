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
