//! Escrow of real-time buyers' maximum cost.
//!
//! A buy intention in a market with hourly or quarter-hour periods holds
//! `ceil(energy x (limit + wheeling + platform)) + ceil(that x VAT)` of its site owner's money (the money party, also when a sales company entered it)
//! (VAT at the rate of the tariff in force that month, as if every line carried it). Clearing
//! keeps the maximum cost of the filled energy and releases the rest; settlement pays the
//! contract lines from it and releases what is left. Every line is rounded down, so the lines
//! of an intention never exceed what it holds. The monthly market is postpaid and holds nothing.
use crate::billing::tariff_for;
use crate::executor::{fail, Fail, Scratch};
use crate::fail::FailCode;
use crate::state::StateRead;
use crate::trading::Intention;
use gridledger_types::{
    kst_month, Address, ConfigureMarket, EnergyWh, MilliWon, PeriodKind, Side, SubmitIntention,
};

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

/// Holds the maximum cost of a new buy intention from the site's owner; zero where nothing is
/// held.
pub(crate) fn hold_for<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    m: &ConfigureMarket,
    owner: &Address,
    p: &SubmitIntention,
) -> Result<MilliWon, Fail> {
    if !escrowed(m) || p.side != Side::Buy {
        return Ok(MilliWon::ZERO);
    }
    let amount = max_cost(m, p.energy_wh, p.limit, vat_bp(s, p.period_start_ms)?)?;
    s.escrow(owner, amount).map_err(|e| {
        if e.code == FailCode::InsufficientBalance {
            fail(
                FailCode::InsufficientBalance,
                format!(
                    "a real-time buy holds its maximum cost of {} mKRW: {}",
                    amount.0, e.message
                ),
            )
        } else {
            e
        }
    })?;
    Ok(amount)
}

/// After pairing: keeps the maximum cost of the filled energy, releases the rest.
pub(crate) fn release_unfilled<S: StateRead + ?Sized>(
    s: &mut Scratch<'_, S>,
    m: &ConfigureMarket,
    period_start: u64,
    i: &mut Intention,
) -> Result<(), Fail> {
    if i.escrow.is_zero() {
        return Ok(());
    }
    let keep = if i.filled_wh == 0 {
        MilliWon::ZERO
    } else {
        max_cost(m, i.filled_wh, i.limit, vat_bp(s, period_start)?)?.min(i.escrow)
    };
    let release = i.escrow.checked_sub(keep).unwrap_or(MilliWon::ZERO);
    s.release(&i.owner, release)?;
    i.escrow = keep;
    Ok(())
}
