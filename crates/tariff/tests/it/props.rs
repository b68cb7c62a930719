//! Properties over random classes, months and energies.
use crate::set;
use gridledger_tariff::{bill, Bill, Rounding, TariffClass, TariffSet};
use gridledger_types::{EnergyWh, MilliWon};
use proptest::prelude::*;
use std::sync::OnceLock;

fn shared() -> &'static TariffSet {
    static SET: OnceLock<TariffSet> = OnceLock::new();
    SET.get_or_init(set)
}

fn class() -> impl Strategy<Value = TariffClass> {
    prop::sample::select(TariffClass::ALL.to_vec())
}

/// A month with a version in force (June 2023 onwards).
fn year_month() -> impl Strategy<Value = (u16, u8)> {
    (2023u16..=2027, 1u8..=12)
        .prop_filter("before the first version", |(y, m)| (*y, *m) >= (2023, 6))
}

fn check_components(b: &Bill, r: &gridledger_tariff::RoundingRules) {
    let lines: u64 = b
        .energy_lines
        .iter()
        .chain(&b.super_user)
        .map(|l| l.amount.0)
        .sum();
    let energy: u64 = b
        .energy_lines
        .iter()
        .chain(&b.super_user)
        .map(|l| l.energy_wh.0)
        .sum();
    assert_eq!(energy, b.energy_wh.0, "lines cover all energy");
    assert_eq!(lines, b.energy_charge.0);
    let unrounded = b.base.0 + lines + b.climate_environment.0 + b.fuel_cost_adjustment.0;
    assert_eq!(unrounded, b.electricity_charge_unrounded.0);
    assert_eq!(
        r.electricity_charge.apply(MilliWon(unrounded)),
        Some(b.electricity_charge)
    );
    let ec = u128::from(b.electricity_charge.0);
    assert_eq!(
        r.vat.apply_ratio(ec * u128::from(b.vat_bp), 10_000),
        Some(b.vat)
    );
    assert_eq!(
        r.fund.apply_ratio(ec * u128::from(b.fund_bp), 10_000),
        Some(b.fund)
    );
    let sum = b.electricity_charge.0 + b.vat.0 + b.fund.0;
    assert_eq!(r.total.apply(MilliWon(sum)), Some(b.total));
    assert!(b.total.0 <= sum && sum - b.total.0 < 10_000);
    assert_eq!(b.total.0 % 10_000, 0);
    assert_eq!(b.electricity_charge.0 % 1_000, 0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn total_is_monotonic_in_energy(
        class in class(), (year, month) in year_month(), kw in 1u32..2_000,
        a in 0u64..3_000_000, b in 0u64..3_000_000,
    ) {
        let s = shared();
        let (lo, hi) = (a.min(b), a.max(b));
        let kw = Some(kw);
        let lo_bill = bill(s, class, year, month, EnergyWh(lo), kw).unwrap();
        let hi_bill = bill(s, class, year, month, EnergyWh(hi), kw).unwrap();
        prop_assert!(lo_bill.total <= hi_bill.total, "{lo} Wh: {:?} > {hi} Wh: {:?}", lo_bill.total, hi_bill.total);
        prop_assert!(lo_bill.electricity_charge <= hi_bill.electricity_charge);
        // One Wh more never costs less either.
        let next = bill(s, class, year, month, EnergyWh(lo + 1), kw).unwrap();
        prop_assert!(lo_bill.total <= next.total);
    }

    #[test]
    fn components_sum_as_defined(
        class in class(), (year, month) in year_month(), kw in 1u32..2_000,
        energy in prop_oneof![0u64..2_000_000, 0u64..1_000_000_000_000],
    ) {
        let s = shared();
        let b = bill(s, class, year, month, EnergyWh(energy), Some(kw)).unwrap();
        let v = s.version_for(year, month).unwrap();
        prop_assert_eq!(&b.version_id, &v.id);
        check_components(&b, &v.common.rounding);
    }

    #[test]
    fn never_panics(
        class in class(), year in any::<u16>(), month in any::<u8>(),
        energy in any::<u64>(), kw in any::<Option<u32>>(),
    ) {
        let _ = bill(shared(), class, year, month, EnergyWh(energy), kw);
    }

    #[test]
    fn never_panics_with_any_rounding(
        class in class(), energy in any::<u64>(), unit in any::<u64>(), half in any::<bool>(),
        vat_bp in 0u32..=10_000,
    ) {
        let mut v = shared().version_for(2025, 8).unwrap().clone();
        let r = if half { Rounding::HalfUpTo(unit) } else { Rounding::FloorTo(unit) };
        v.common.rounding.total = r;
        v.common.rounding.vat = r;
        v.common.vat_bp = vat_bp;
        let _ = gridledger_tariff::bill_with(&v, class, 2025, 8, EnergyWh(energy), Some(1));
    }
}

#[test]
fn large_energies_overflow_cleanly() {
    let s = shared();
    // 736.2 won/kWh * e Wh must stay below u64::MAX milli-won: about 2.5e16 Wh works...
    assert!(bill(
        s,
        TariffClass::ResidentialLow,
        2025,
        8,
        EnergyWh(10_000_000_000_000),
        None
    )
    .is_ok());
    // ...and u64::MAX Wh is an error, not a wrap.
    assert!(bill(
        s,
        TariffClass::ResidentialLow,
        2025,
        8,
        EnergyWh(u64::MAX),
        None
    )
    .is_err());
}
