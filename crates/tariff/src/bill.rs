//! Bill computation for one site and one month.
//!
//! 1. Energy is charged block by block: each line is `rate * wh / 1000` milli-won (a fraction of
//!    a milli-won is dropped per line; it is exact for whole kWh).
//! 2. Electricity charge = base + energy lines (+ super-user) + climate-environment +
//!    fuel-cost adjustment, then rounded (`rounding.electricity_charge`).
//! 3. VAT and fund are percentages of the *rounded* electricity charge, each rounded by its
//!    own rule from the exact rational amount.
//! 4. Total = electricity charge + VAT + fund, rounded (`rounding.total`).
use crate::{
    model::{GeneralTariff, ResidentialTariff, TariffClass, TariffVersion, BP_PER_UNIT},
    Error, TariffSet,
};
use gridledger_types::{EnergyWh, MilliWon, PriceMilliWonPerKwh};
use serde::Serialize;

/// One block of energy charged at one rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EnergyLine {
    /// `tier 1`, `tier 2`, ... for residential tiers, the season name for general service,
    /// `super-user` for the super-user block.
    pub label: String,
    /// Lower end of the block (exclusive).
    pub from_wh: EnergyWh,
    /// Upper end of the block (inclusive); `None` when open-ended.
    pub to_wh: Option<EnergyWh>,
    /// Energy of the month inside this block.
    pub energy_wh: EnergyWh,
    pub rate: PriceMilliWonPerKwh,
    /// `rate * energy_wh / 1000`, fraction of a milli-won dropped.
    pub amount: MilliWon,
}

/// A month's bill with every component. Money in milli-won; the rounded components
/// (`electricity_charge`, `vat`, `fund`, `total`) are multiples of their rounding units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bill {
    pub version_id: String,
    pub class: TariffClass,
    pub year: u16,
    pub month: u8,
    pub energy_wh: EnergyWh,
    /// The contracted demand used (general service only).
    pub contract_kw: Option<u32>,
    /// The season whose rates apply.
    pub season: String,
    /// Base charge: the highest tier reached (residential) or per kW contracted (general).
    pub base: MilliWon,
    pub energy_lines: Vec<EnergyLine>,
    pub super_user: Option<EnergyLine>,
    /// Sum of `energy_lines` and `super_user` amounts.
    pub energy_charge: MilliWon,
    pub climate_environment: MilliWon,
    pub fuel_cost_adjustment: MilliWon,
    /// base + energy_charge + climate_environment + fuel_cost_adjustment, before rounding.
    pub electricity_charge_unrounded: MilliWon,
    pub electricity_charge: MilliWon,
    /// VAT rate applied, in basis points.
    pub vat_bp: u32,
    pub vat: MilliWon,
    /// Power industry fund rate applied, in basis points.
    pub fund_bp: u32,
    pub fund: MilliWon,
    pub total: MilliWon,
}

/// The bill of `energy` consumed in `year`-`month` under the version of `set` in force on the
/// first day of that month ([TariffSet::version_for]). `contract_kw` is required for
/// general service and ignored for residential classes.
pub fn bill(
    set: &TariffSet,
    class: TariffClass,
    year: u16,
    month: u8,
    energy: EnergyWh,
    contract_kw: Option<u32>,
) -> Result<Bill, Error> {
    let version = set.version_for(year, month)?;
    bill_with(version, class, year, month, energy, contract_kw)
}

/// `bill(energy + delta) - bill(energy)`: what `delta` more energy adds to the billed total
/// (the amount a household saves per month by buying `delta` from a neighbour instead).
pub fn marginal(
    set: &TariffSet,
    class: TariffClass,
    year: u16,
    month: u8,
    energy: EnergyWh,
    delta: EnergyWh,
    contract_kw: Option<u32>,
) -> Result<MilliWon, Error> {
    let more = energy
        .checked_add(delta)
        .ok_or(Error::Overflow("energy + delta"))?;
    let hi = bill(set, class, year, month, more, contract_kw)?;
    let lo = bill(set, class, year, month, energy, contract_kw)?;
    // Bills are non-decreasing in energy (base charges ascend, every line grows), so this only
    // fails on data that breaks that rule.
    hi.total
        .checked_sub(lo.total)
        .ok_or(Error::Overflow("bill decreased with more energy"))
}

/// The bill under one given `version` (whether it is in force that month is the caller's
/// choice). `month` must be 1..=12.
pub fn bill_with(
    version: &TariffVersion,
    class: TariffClass,
    year: u16,
    month: u8,
    energy: EnergyWh,
    contract_kw: Option<u32>,
) -> Result<Bill, Error> {
    if !(1..=12).contains(&month) {
        return Err(Error::InvalidMonth { year, month });
    }
    let priced = match class {
        TariffClass::ResidentialLow => {
            residential(&version.classes.residential_low, month, energy)?
        }
        TariffClass::ResidentialHigh => {
            residential(&version.classes.residential_high, month, energy)?
        }
        TariffClass::GeneralLow => {
            let kw = contract_kw.ok_or(Error::ContractDemandRequired(class))?;
            general(&version.classes.general_low, month, energy, kw)?
        }
    };
    let c = &version.common;
    let cost =
        |rate: PriceMilliWonPerKwh, what| rate.cost_floor(energy).ok_or(Error::Overflow(what));
    let climate_environment = cost(c.climate_environment, "climate-environment charge")?;
    let fuel_cost_adjustment = cost(c.fuel_cost_adjustment, "fuel-cost adjustment")?;
    let mut energy_charge = MilliWon::ZERO;
    for line in priced.lines.iter().chain(&priced.super_user) {
        energy_charge = add(energy_charge, line.amount, "energy charge")?;
    }
    let unrounded = [energy_charge, climate_environment, fuel_cost_adjustment]
        .into_iter()
        .try_fold(priced.base, |acc, x| add(acc, x, "electricity charge"))?;
    let r = c.rounding;
    let electricity_charge = r
        .electricity_charge
        .apply(unrounded)
        .ok_or(Error::Overflow("electricity charge rounding"))?;
    let share = |bp: u32, rule: crate::Rounding, what| {
        rule.apply_ratio(
            u128::from(electricity_charge.0) * u128::from(bp),
            u128::from(BP_PER_UNIT),
        )
        .ok_or(Error::Overflow(what))
    };
    let vat = share(c.vat_bp, r.vat, "VAT")?;
    let fund = share(c.fund_bp, r.fund, "fund")?;
    let sum = add(add(electricity_charge, vat, "total")?, fund, "total")?;
    let total = r
        .total
        .apply(sum)
        .ok_or(Error::Overflow("total rounding"))?;
    Ok(Bill {
        version_id: version.id.clone(),
        class,
        year,
        month,
        energy_wh: energy,
        contract_kw: if class.needs_contract_kw() {
            contract_kw
        } else {
            None
        },
        season: priced.season,
        base: priced.base,
        energy_lines: priced.lines,
        super_user: priced.super_user,
        energy_charge,
        climate_environment,
        fuel_cost_adjustment,
        electricity_charge_unrounded: unrounded,
        electricity_charge,
        vat_bp: c.vat_bp,
        vat,
        fund_bp: c.fund_bp,
        fund,
        total,
    })
}

fn add(a: MilliWon, b: MilliWon, what: &'static str) -> Result<MilliWon, Error> {
    a.checked_add(b).ok_or(Error::Overflow(what))
}

/// Base charge and energy lines of one class.
struct Priced {
    season: String,
    base: MilliWon,
    lines: Vec<EnergyLine>,
    super_user: Option<EnergyLine>,
}

fn line(
    label: String,
    from: EnergyWh,
    to: Option<EnergyWh>,
    energy: EnergyWh,
    rate: PriceMilliWonPerKwh,
) -> Result<EnergyLine, Error> {
    Ok(EnergyLine {
        label,
        from_wh: from,
        to_wh: to,
        energy_wh: energy,
        rate,
        amount: rate
            .cost_floor(energy)
            .ok_or(Error::Overflow("energy line"))?,
    })
}

fn no_season(month: u8) -> Error {
    crate::error::invalid("seasons", format!("no season covers month {month}"))
}

fn residential(t: &ResidentialTariff, month: u8, energy: EnergyWh) -> Result<Priced, Error> {
    let season = t
        .seasons
        .iter()
        .find(|s| s.months.contains(month))
        .ok_or_else(|| no_season(month))?;
    // Energy above the super-user threshold (in its months) is charged at the super-user rate
    // instead of the tier rates, so the tiers stop at the threshold.
    let su = t.super_user.filter(|s| s.months.contains(month));
    let cap = su.map(|s| s.above_wh);
    let mut lines = Vec::new();
    let mut base = MilliWon::ZERO;
    let mut from = EnergyWh::ZERO;
    for (i, tier) in season.tiers.iter().enumerate() {
        // Base charge of the highest tier the month reaches (tier 1 at zero consumption).
        if i == 0 || energy > from {
            base = tier.base;
        }
        let to = match (tier.up_to_wh, cap) {
            (Some(l), Some(c)) => Some(l.min(c)),
            (l, c) => l.or(c),
        };
        let top = to.map_or(energy, |t| t.min(energy));
        if top > from {
            let e = top.saturating_sub(from);
            lines.push(line(format!("tier {}", i + 1), from, to, e, tier.rate)?);
        }
        match tier.up_to_wh {
            Some(l) => from = l,
            None => break,
        }
    }
    let super_user = match su {
        Some(s) if energy > s.above_wh => Some(line(
            "super-user".into(),
            s.above_wh,
            None,
            energy.saturating_sub(s.above_wh),
            s.rate,
        )?),
        _ => None,
    };
    Ok(Priced {
        season: season.name.clone(),
        base,
        lines,
        super_user,
    })
}

fn general(t: &GeneralTariff, month: u8, energy: EnergyWh, kw: u32) -> Result<Priced, Error> {
    if kw == 0 {
        return Err(Error::ContractDemandZero);
    }
    let season = t
        .seasons
        .iter()
        .find(|s| s.months.contains(month))
        .ok_or_else(|| no_season(month))?;
    let base = t
        .base_per_kw
        .0
        .checked_mul(u64::from(kw))
        .map(MilliWon)
        .ok_or(Error::Overflow("base charge per kW"))?;
    let mut lines = Vec::new();
    if energy > EnergyWh::ZERO {
        lines.push(line(
            season.name.clone(),
            EnergyWh::ZERO,
            None,
            energy,
            season.rate,
        )?);
    }
    Ok(Priced {
        season: season.name.clone(),
        base,
        lines,
        super_user: None,
    })
}
