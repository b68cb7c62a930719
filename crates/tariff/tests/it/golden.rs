//! Bills computed by hand from the reference figures (won unless stated). Rounding: electricity
//! charge floor to 1 won, VAT half-up to 1 won, fund floor to 10 won, total floor to 10 won.
use crate::{kwh_bill, set, won};
use gridledger_tariff::{bill, bill_with, marginal, Error, Rounding, TariffClass};
use gridledger_types::{EnergyWh, MilliWon, PriceMilliWonPerKwh};
use TariffClass::*;

#[test]
fn residential_low_350_kwh_october() {
    let b = kwh_bill(ResidentialLow, 2025, 10, 350, None);
    assert_eq!(b.version_id, "kepco-2025-07");
    assert_eq!(b.season, "other");
    // Tier 2 reached: base 1,600.
    assert_eq!(b.base, won(1_600));
    // Tier 1: 200 kWh x 120.0 = 24,000; tier 2: 150 kWh x 214.6 = 32,190.
    assert_eq!(b.energy_lines.len(), 2);
    let (t1, t2) = (&b.energy_lines[0], &b.energy_lines[1]);
    assert_eq!(
        (t1.label.as_str(), t1.from_wh, t1.to_wh),
        ("tier 1", EnergyWh(0), Some(EnergyWh(200_000)))
    );
    assert_eq!(
        (t1.energy_wh, t1.rate, t1.amount),
        (EnergyWh(200_000), PriceMilliWonPerKwh(120_000), won(24_000))
    );
    assert_eq!(
        (t2.label.as_str(), t2.from_wh, t2.to_wh),
        ("tier 2", EnergyWh(200_000), Some(EnergyWh(400_000)))
    );
    assert_eq!(
        (t2.energy_wh, t2.rate, t2.amount),
        (EnergyWh(150_000), PriceMilliWonPerKwh(214_600), won(32_190))
    );
    assert_eq!(b.super_user, None);
    assert_eq!(b.energy_charge, won(24_000 + 32_190));
    // Climate 350 x 9 = 3,150; fuel 350 x 5 = 1,750.
    assert_eq!(b.climate_environment, won(3_150));
    assert_eq!(b.fuel_cost_adjustment, won(1_750));
    // 1,600 + 24,000 + 32,190 + 3,150 + 1,750 = 62,690 (already whole won).
    assert_eq!(b.electricity_charge, won(62_690));
    // VAT 10 % = 6,269; fund 2.7 % = 1,692.63 -> 1,690.
    assert_eq!(b.vat, won(6_269));
    assert_eq!(b.fund, won(1_690));
    // 62,690 + 6,269 + 1,690 = 70,649 -> 70,640.
    assert_eq!(b.total, won(70_640));
}

#[test]
fn tier_boundaries_non_summer() {
    // 200 kWh is still tier 1: base 910; 200 x 120 = 24,000; climate 1,800; fuel 1,000.
    // 910 + 24,000 + 1,800 + 1,000 = 27,710; VAT 2,771; fund 748.17 -> 740;
    // total 31,221 -> 31,220.
    let b = kwh_bill(ResidentialLow, 2025, 10, 200, None);
    assert_eq!((b.base, b.energy_lines.len()), (won(910), 1));
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(27_710), won(2_771), won(740), won(31_220))
    );

    // 201 kWh reaches tier 2: base 1,600; 24,000 + 1 x 214.6; climate 1,809; fuel 1,005.
    // 1,600 + 24,214.6 + 1,809 + 1,005 = 28,628.6 -> 28,628; VAT 2,862.8 -> 2,863;
    // fund 772.956 -> 770; total 32,261 -> 32,260.
    let b = kwh_bill(ResidentialLow, 2025, 10, 201, None);
    assert_eq!(b.base, won(1_600));
    assert_eq!(b.energy_lines[1].amount, MilliWon(214_600));
    assert_eq!(b.electricity_charge_unrounded, MilliWon(28_628_600));
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(28_628), won(2_863), won(770), won(32_260))
    );

    // 400 kWh is still tier 2: 1,600 + 24,000 + 42,920 + 3,600 + 2,000 = 74,120; VAT 7,412;
    // fund 2,001.24 -> 2,000; total 83,532 -> 83,530.
    let b = kwh_bill(ResidentialLow, 2025, 10, 400, None);
    assert_eq!((b.base, b.energy_lines.len()), (won(1_600), 2));
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(74_120), won(7_412), won(2_000), won(83_530))
    );

    // 401 kWh reaches tier 3: base 7,300; 24,000 + 42,920 + 307.3; climate 3,609; fuel 2,005.
    // 7,300 + 67,227.3 + 3,609 + 2,005 = 80,141.3 -> 80,141; VAT 8,014.1 -> 8,014;
    // fund 2,163.807 -> 2,160; total 90,315 -> 90,310.
    let b = kwh_bill(ResidentialLow, 2025, 10, 401, None);
    assert_eq!(b.base, won(7_300));
    assert_eq!(b.energy_lines[2].to_wh, None);
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(80_141), won(8_014), won(2_160), won(90_310))
    );
}

#[test]
fn summer_450_vs_451_kwh_in_july() {
    // July tiers: 300 / 450. 450 kWh: base 1,600; 300 x 120 = 36,000; 150 x 214.6 = 32,190;
    // climate 4,050; fuel 2,250: 76,090; VAT 7,609; fund 2,054.43 -> 2,050; total 85,749 -> 85,740.
    let b = kwh_bill(ResidentialLow, 2025, 7, 450, None);
    assert_eq!(b.season, "summer");
    assert_eq!(b.base, won(1_600));
    assert_eq!(b.energy_lines[0].to_wh, Some(EnergyWh(300_000)));
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(76_090), won(7_609), won(2_050), won(85_740))
    );
    // 451 kWh: base 7,300; 36,000 + 32,190 + 307.3; climate 4,059; fuel 2,255:
    // 82,111.3 -> 82,111; VAT 8,211.1 -> 8,211; fund 2,216.997 -> 2,210; total 92,532 -> 92,530.
    let b = kwh_bill(ResidentialLow, 2025, 7, 451, None);
    assert_eq!(b.base, won(7_300));
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(82_111), won(8_211), won(2_210), won(92_530))
    );
}

#[test]
fn super_user_in_august_and_december_not_october() {
    // August, 1,200 kWh: 300 x 120 = 36,000; 150 x 214.6 = 32,190; 550 x 307.3 = 169,015;
    // super-user 200 x 736.2 = 147,240; base 7,300; climate 10,800; fuel 6,000.
    // 7,300 + 36,000 + 32,190 + 169,015 + 147,240 + 10,800 + 6,000 = 408,545;
    // VAT 40,854.5 -> 40,855 (half up); fund 11,030.715 -> 11,030; total 460,430.
    let b = kwh_bill(ResidentialLow, 2025, 8, 1_200, None);
    let t3 = &b.energy_lines[2];
    assert_eq!(
        (t3.from_wh, t3.to_wh, t3.energy_wh, t3.amount),
        (
            EnergyWh(450_000),
            Some(EnergyWh(1_000_000)),
            EnergyWh(550_000),
            won(169_015)
        )
    );
    let su = b.super_user.as_ref().expect("super-user in August");
    assert_eq!(
        (su.from_wh, su.to_wh, su.energy_wh, su.rate, su.amount),
        (
            EnergyWh(1_000_000),
            None,
            EnergyWh(200_000),
            PriceMilliWonPerKwh(736_200),
            won(147_240)
        )
    );
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(408_545), won(40_855), won(11_030), won(460_430))
    );

    // December, 1,200 kWh (non-summer tiers): 24,000 + 42,920 + 600 x 307.3 = 184,380;
    // super-user 147,240; 7,300 + 24,000 + 42,920 + 184,380 + 147,240 + 10,800 + 6,000 = 422,640;
    // VAT 42,264; fund 11,411.28 -> 11,410; total 476,314 -> 476,310.
    let b = kwh_bill(ResidentialLow, 2025, 12, 1_200, None);
    assert_eq!(b.super_user.as_ref().map(|s| s.amount), Some(won(147_240)));
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(422_640), won(42_264), won(11_410), won(476_310))
    );

    // October, 1,200 kWh: no super-user; tier 3 takes 800 x 307.3 = 245,840.
    // 7,300 + 24,000 + 42,920 + 245,840 + 10,800 + 6,000 = 336,860; VAT 33,686;
    // fund 9,095.22 -> 9,090; total 379,636 -> 379,630.
    let b = kwh_bill(ResidentialLow, 2025, 10, 1_200, None);
    assert_eq!(b.super_user, None);
    assert_eq!(b.energy_lines[2].amount, won(245_840));
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(336_860), won(33_686), won(9_090), won(379_630))
    );

    // Exactly 1,000 kWh in August: no super-user line yet.
    assert_eq!(
        kwh_bill(ResidentialLow, 2025, 8, 1_000, None).super_user,
        None
    );
}

#[test]
fn residential_high() {
    // October, 350 kWh: base 1,260 (assumed figure); 200 x 105 = 21,000; 150 x 174 = 26,100;
    // 1,260 + 21,000 + 26,100 + 3,150 + 1,750 = 53,260; VAT 5,326; fund 1,438.02 -> 1,430;
    // total 60,016 -> 60,010.
    let b = kwh_bill(ResidentialHigh, 2025, 10, 350, None);
    assert_eq!(
        (b.base, b.energy_lines[1].amount),
        (won(1_260), won(26_100))
    );
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(53_260), won(5_326), won(1_430), won(60_010))
    );
    // August, 1,200 kWh: 300 x 105 = 31,500; 150 x 174 = 26,100; 550 x 242.3 = 133,265;
    // super-user 200 x 601.3 = 120,260 (assumed); base 6,060 (assumed).
    // 6,060 + 31,500 + 26,100 + 133,265 + 120,260 + 10,800 + 6,000 = 333,985;
    // VAT 33,398.5 -> 33,399; fund 9,017.595 -> 9,010; total 376,394 -> 376,390.
    let b = kwh_bill(ResidentialHigh, 2025, 8, 1_200, None);
    assert_eq!(b.super_user.as_ref().map(|s| s.amount), Some(won(120_260)));
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(333_985), won(33_399), won(9_010), won(376_390))
    );
    // The contracted demand is ignored for residential classes.
    assert_eq!(
        kwh_bill(ResidentialHigh, 2025, 8, 1_200, Some(7)).total,
        won(376_390)
    );
}

#[test]
fn general_low_50_kw_by_season() {
    // Base 50 kW x 6,160 = 308,000; 10,000 kWh; climate 90,000; fuel 50,000.
    // 2026 (fund 2.7 %). January (winter 119.0): 1,190,000 -> 1,638,000; VAT 163,800; fund 44,226 -> 44,220;
    // total 1,846,020.
    let b = kwh_bill(GeneralLow, 2026, 1, 10_000, Some(50));
    assert_eq!(
        (b.season.as_str(), b.base, b.contract_kw),
        ("winter", won(308_000), Some(50))
    );
    assert_eq!(b.energy_lines[0].amount, won(1_190_000));
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(1_638_000), won(163_800), won(44_220), won(1_846_020))
    );
    // July 2025 (summer 132.4): 1,324,000 -> 1,772,000; VAT 177,200; fund 47,844 -> 47,840;
    // total 1,997,040.
    let b = kwh_bill(GeneralLow, 2025, 7, 10_000, Some(50));
    assert_eq!(b.season, "summer");
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(1_772_000), won(177_200), won(47_840), won(1_997_040))
    );
    // April 2026 (spring/autumn 91.9): 919,000 -> 1,367,000; VAT 136,700; fund 36,909 -> 36,900;
    // total 1,540,600.
    let b = kwh_bill(GeneralLow, 2026, 4, 10_000, Some(50));
    assert_eq!(b.season, "spring-autumn");
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(1_367_000), won(136_700), won(36_900), won(1_540_600))
    );

    let e = EnergyWh(1_000);
    assert_eq!(
        bill(&set(), GeneralLow, 2025, 4, e, None),
        Err(Error::ContractDemandRequired(GeneralLow))
    );
    assert_eq!(
        bill(&set(), GeneralLow, 2025, 4, e, Some(0)),
        Err(Error::ContractDemandZero)
    );
}

#[test]
fn fund_rate_changes_on_2024_07_and_2025_07() {
    // 200 kWh is tier 1 in June and July alike: 910 + 24,000 + 1,800 + 1,000 = 27,710; VAT 2,771.
    let cases = [
        // 3.7 % (June 2024 still uses the version of 2023-05-16): 1,025.27 -> 1,020; 27,710 + 2,771 + 1,020 = 31,501 -> 31,500.
        (2024, 6, "kepco-2023-05", 1_020, 31_500),
        // 3.2 %: 886.72 -> 880; 31,361 -> 31,360.
        (2024, 7, "kepco-2024-07", 880, 31_360),
        (2025, 6, "kepco-2024-07", 880, 31_360),
        // 2.7 %: 748.17 -> 740; 31,221 -> 31,220.
        (2025, 7, "kepco-2025-07", 740, 31_220),
    ];
    for (y, m, id, fund, total) in cases {
        let b = kwh_bill(ResidentialLow, y, m, 200, None);
        assert_eq!(b.version_id, id, "{y}-{m}");
        assert_eq!((b.electricity_charge, b.vat), (won(27_710), won(2_771)));
        assert_eq!((b.fund, b.total), (won(fund), won(total)), "{y}-{m}");
    }
}

#[test]
fn rounding_edges_and_configurable_rules() {
    // 450 kWh in October: 7,300 + 24,000 + 42,920 + 50 x 307.3 (15,365) + 4,050 + 2,250 = 95,885.
    // VAT 9,588.5 exactly: half-up gives 9,589. Fund 2,588.895 -> 2,580 (floor to 10 won).
    // Total 95,885 + 9,589 + 2,580 = 108,054 -> 108,050.
    let b = kwh_bill(ResidentialLow, 2025, 10, 450, None);
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(95_885), won(9_589), won(2_580), won(108_050))
    );

    // The same bill with the VAT rule changed in the data to "floor to 1 won": 9,588.
    let set = set();
    let mut v = set.version_for(2025, 10).unwrap().clone();
    v.common.rounding.vat = Rounding::FloorTo(1_000);
    let b = bill_with(&v, ResidentialLow, 2025, 10, EnergyWh(450_000), None).unwrap();
    assert_eq!((b.vat, b.total), (won(9_588), won(108_050)));
    // Fund to the nearest won instead: 2,588.895 -> 2,589; total 95,885 + 9,588 + 2,589 = 108,062 -> 108,060.
    v.common.rounding.fund = Rounding::HalfUpTo(1_000);
    let b = bill_with(&v, ResidentialLow, 2025, 10, EnergyWh(450_000), None).unwrap();
    assert_eq!((b.fund, b.total), (won(2_589), won(108_060)));

    // Fractions of a kWh: 0.001 kWh of tier 1 is 0.12 won; base 910 + 0.12 + 0.009 + 0.005
    // = 910.134 -> 910; VAT 91; fund 24.57 -> 20; total 1,021 -> 1,020.
    let b = bill(&set, ResidentialLow, 2025, 10, EnergyWh(1), None).unwrap();
    assert_eq!(b.energy_lines[0].amount, MilliWon(120));
    assert_eq!(b.electricity_charge_unrounded, MilliWon(910_134));
    assert_eq!(
        (b.electricity_charge, b.vat, b.fund, b.total),
        (won(910), won(91), won(20), won(1_020))
    );
    // Zero consumption: the tier-1 base charge alone, no energy lines.
    let b = bill(&set, ResidentialLow, 2025, 10, EnergyWh(0), None).unwrap();
    assert!(b.energy_lines.is_empty());
    assert_eq!(b.total, won(1_020));
}

#[test]
fn p2p_margin_between_400_and_450_kwh_is_about_490_won() {
    // bill(450) - bill(400) = 108,050 - 83,530 = 24,520 won for 50 kWh = 490.4 won/kWh.
    let m = marginal(
        &set(),
        ResidentialLow,
        2025,
        10,
        EnergyWh(400_000),
        EnergyWh(50_000),
        None,
    )
    .unwrap();
    assert_eq!(m, won(24_520));
    let per_kwh_mwon = m.0 / 50;
    assert!(
        (480_000..=500_000).contains(&per_kwh_mwon),
        "{per_kwh_mwon} mKRW/kWh"
    );
}

#[test]
fn bad_months_and_overflow_are_errors() {
    let s = set();
    let e = EnergyWh(1_000);
    assert_eq!(
        bill(&s, ResidentialLow, 2025, 13, e, None),
        Err(Error::InvalidMonth {
            year: 2025,
            month: 13
        })
    );
    assert_eq!(
        bill(&s, ResidentialLow, 2025, 0, e, None),
        Err(Error::InvalidMonth {
            year: 2025,
            month: 0
        })
    );
    assert_eq!(
        bill(&s, ResidentialLow, 2023, 5, e, None),
        Err(Error::NoVersionInForce {
            year: 2023,
            month: 5
        })
    );
    assert!(matches!(
        bill(&s, ResidentialLow, 2025, 8, EnergyWh(u64::MAX), None),
        Err(Error::Overflow(_))
    ));
    // 4,294,967,295 kW x 6,160 won still fits in u64 milli-won.
    assert!(bill(&s, GeneralLow, 2025, 8, EnergyWh(1), Some(u32::MAX)).is_ok());
    assert!(matches!(
        marginal(
            &s,
            ResidentialLow,
            2025,
            8,
            EnergyWh(u64::MAX),
            EnergyWh(1),
            None
        ),
        Err(Error::Overflow(_))
    ));
}

#[test]
fn general_low_fund_follows_the_version() {
    // January 2025 is under kepco-2024-07 (fund 3.2 %): 1,638,000 x 3.2 % = 52,416 -> 52,410;
    // total 1,638,000 + 163,800 + 52,410 = 1,854,210.
    let b = kwh_bill(GeneralLow, 2025, 1, 10_000, Some(50));
    assert_eq!(b.version_id, "kepco-2024-07");
    assert_eq!((b.fund, b.total), (won(52_410), won(1_854_210)));
}
