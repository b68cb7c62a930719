//! A month of the monthly market end to end inside the chain: disputes, settlement with the bank
//! split and VAT, site bills with and without P2P, pay-bill, auto-debit on the 18th, overdue,
//! and the bank report. The fixture checks the money invariants after every block.
use gridledger_execution::billing::{month_billing, site_bill, site_p2p};
use gridledger_execution::payments::{account_bill, due_ms, lines};
use gridledger_execution::report::bank_report;
use gridledger_execution::test_utils::{addr, code, register_site, won, Chain, MarketBuilder};
use gridledger_execution::{settlement_line, supply};
use gridledger_tariff::{bill, TariffClass, TariffSet};
use gridledger_types::{
    kst_month_start_ms, ContractRef, EnergyWh, Event, MarketId, MilliWon, Payload, PaymentKind,
    PeriodKind, Side, SiteId, SubmitIntention,
};

const DAY: u64 = 86_400_000;

fn sid(i: usize) -> SiteId {
    SiteId::new(format!("s{i}")).unwrap()
}

fn mk() -> MarketId {
    MarketId::new("monthly").unwrap()
}

/// Users 0..4 own s0..s3: s1 is a commercial building on general service (20 kW), the others
/// households. A monthly uniform-price market with 10 + 2 won/kWh fees and a one-day dispute
/// window. Feed-in 100 won/kWh.
fn setup() -> (Chain, u64) {
    let mut c = Chain::new(4);
    let aug = kst_month_start_ms(202508).unwrap();
    c.time_ms = aug - DAY;
    c.with_billing(100);
    let op = c.operator.clone();
    for i in 0..4 {
        let building = i == 1;
        let r = c.exec(
            &op,
            register_site(sid(i), c.user(i), building, 20, format!("site {i}")),
        );
        assert_eq!(code(&r), "success");
    }
    let r = c.exec(
        &op,
        MarketBuilder::default()
            .market(mk())
            .wheeling_fee(won(10))
            .platform_fee(won(2))
            .dispute_window_ms(DAY)
            .payload(),
    );
    assert_eq!(code(&r), "success");
    (c, aug)
}

fn intend(c: &mut Chain, user: usize, start: u64, side: Side, kwh: u64, limit: u64) {
    let k = c.users[user].clone();
    let r = c.exec(
        &k,
        Payload::SubmitIntention(SubmitIntention {
            market: mk(),
            period_start_ms: start,
            side,
            site: sid(user),
            energy_wh: kwh * 1_000,
            limit: won(limit),
        }),
    );
    assert_eq!(code(&r), "success", "{r:?}");
}

fn measure(c: &mut Chain, site: usize, import_kwh: i64, export_kwh: i64) {
    let op = c.operator.clone();
    let r = c.exec(
        &op,
        Payload::CorrectReadings(gridledger_types::CorrectReadings {
            site: sid(site),
            month: 202508,
            import_adjust_wh: import_kwh * 1_000,
            export_adjust_wh: export_kwh * 1_000,
            reason: "test totals".into(),
        }),
    );
    assert_eq!(code(&r), "success");
}

fn contract(n: u32, aug: u64) -> ContractRef {
    ContractRef {
        market: mk(),
        period_start_ms: aug,
        number: n,
    }
}

/// The KEPCO bill total of `wh` for the class in August 2025 (the tariff crate's own result).
fn kepco(class: TariffClass, wh: u64, kw: Option<u32>) -> MilliWon {
    bill(
        &TariffSet::kepco().unwrap(),
        class,
        2025,
        8,
        EnergyWh(wh),
        kw,
    )
    .unwrap()
    .total
}

#[test]
pub fn a_month_from_intentions_to_paid_bills() {
    let (mut c, aug) = setup();
    // Contracts at the uniform price of 190 won: s0->s2 60 kWh, s0->s3 40 kWh, s1->s3 50 kWh.
    intend(&mut c, 0, aug, Side::Sell, 100, 150);
    intend(&mut c, 1, aug, Side::Sell, 50, 180);
    intend(&mut c, 2, aug, Side::Buy, 60, 250);
    intend(&mut c, 3, aug, Side::Buy, 90, 200);
    c.time_ms = aug;
    let anyone = c.users[0].clone();
    let clear = Payload::ClearPeriod {
        market: mk(),
        period_start_ms: aug,
    };
    assert_eq!(code(&c.exec(&anyone, clear)), "success");

    // August as measured: every contract can be delivered in full.
    measure(&mut c, 0, 200, 300);
    measure(&mut c, 1, 3_000, 50);
    measure(&mut c, 2, 500, 0);
    measure(&mut c, 3, 150, 0);

    // Bills cannot be issued before the month ends, nor while its period is unsettled.
    let issue = Payload::IssueBills { month: 202508 };
    assert_eq!(code(&c.exec(&anyone, issue.clone())), "month_not_ended");
    let sep = kst_month_start_ms(202509).unwrap();
    c.time_ms = sep;
    assert_eq!(code(&c.exec(&anyone, issue.clone())), "periods_unsettled");

    // The dispute window: s3 objects to s1's 50 kWh; s2 may not dispute others' contracts.
    let settle = Payload::SettlePeriod {
        market: mk(),
        period_start_ms: aug,
    };
    assert_eq!(
        code(&c.exec(&anyone, settle.clone())),
        "dispute_window_open"
    );
    let (s2, s3) = (c.users[2].clone(), c.users[3].clone());
    let dispute = |n| Payload::DisputeContract {
        contract: contract(n, aug),
        reason: "meter shows less".into(),
    };
    assert_eq!(code(&c.exec(&s2, dispute(2))), "not_buyer");
    assert_eq!(code(&c.exec(&s3, dispute(2))), "success");
    assert_eq!(code(&c.exec(&s3, dispute(2))), "already_disputed");
    let op = c.operator.clone();
    let resolve = |wh| Payload::ResolveDispute {
        contract: contract(2, aug),
        delivered_wh: wh,
        reason: "site visit: 20 kWh".into(),
    };
    assert_eq!(code(&c.exec(&s3, resolve(20_000))), "not_operator");
    assert_eq!(code(&c.exec(&op, resolve(60_000))), "invalid_energy");
    assert_eq!(code(&c.exec(&op, resolve(20_000))), "success");

    c.time_ms = sep + DAY;
    assert_eq!(code(&c.exec(&s3, dispute(1))), "outside_dispute_window");
    let supply_before = supply(&c.state);
    let r = c.exec(&anyone, settle.clone());
    assert_eq!(code(&r), "success", "{r:?}");
    assert_eq!(code(&c.exec(&anyone, settle)), "already_settled");
    let delivered: Vec<u64> = (0..3)
        .map(|n| {
            settlement_line(&c.state, &mk(), aug, n)
                .unwrap()
                .delivered_wh
        })
        .collect();
    assert_eq!(delivered, vec![60_000, 40_000, 20_000]);
    // The building's energy carries VAT (10 %); the households' does not.
    let l2 = settlement_line(&c.state, &mk(), aug, 2).unwrap();
    assert_eq!(l2.energy_amount.0, 20_000 * 190);
    assert_eq!(l2.energy_vat.0, 20_000 * 19);
    assert_eq!(
        settlement_line(&c.state, &mk(), aug, 0)
            .unwrap()
            .energy_vat
            .0,
        0
    );

    // s3 bought 40 kWh from s0 and 20 from s1: energy 60 x 190, VAT on 20 kWh of it,
    // fees 12 won/kWh + 10 % VAT.
    let p3 = site_p2p(&c.state, &sid(3), 202508);
    assert_eq!(p3.bought_wh, 60_000);
    assert_eq!(
        p3.purchases.0,
        60_000 * 190 + 20_000 * 19 + 60_000 * 10 + 60_000 + 60_000 * 2 + 60_000 * 2 / 10
    );

    let r = c.exec(&anyone, issue.clone());
    assert_eq!(code(&r), "success", "{r:?}");
    assert!(matches!(
        r.events[0],
        Event::BillsIssued {
            sites: 4,
            done: true,
            ..
        }
    ));
    assert_eq!(code(&c.exec(&anyone, issue)), "already_billed");
    assert!(month_billing(&c.state, 202508).done);
    // Money only moves on payment: billing created no credits.
    assert_eq!(supply(&c.state), supply_before);

    // s2: 500 kWh imported, 60 from s0, 440 from the grid; without P2P all 500 from the grid.
    let b2 = site_bill(&c.state, &sid(2), 202508).unwrap();
    assert_eq!((b2.grid_wh, b2.excess_wh), (440_000, 0));
    let res = TariffClass::ResidentialLow;
    assert_eq!(b2.grid_charge, kepco(res, 440_000, None));
    assert_eq!(b2.grid_charge_without_p2p, kepco(res, 500_000, None));
    let p2 = site_p2p(&c.state, &sid(2), 202508);
    assert_eq!(
        b2.net_with_p2p(),
        i128::from(b2.grid_charge.0) + i128::from(p2.purchases.0)
    );
    // 60 kWh at the top of the summer tiers cost more than 190 + 12 won + VAT.
    assert!(b2.savings() > 0, "{b2:?}");
    // s0 exported 300 kWh, sold 100: 200 kWh fed in at 100 won.
    let b0 = site_bill(&c.state, &sid(0), 202508).unwrap();
    assert_eq!((b0.excess_wh, b0.feed_in.0), (200_000, 200_000 * 100));
    assert_eq!(b0.feed_in_without_p2p.0, 300_000 * 100);
    assert_eq!(b0.p2p.sales.0, 100_000 * 190);
    // s0 earned 190 won instead of 100 for each of the 100 kWh sold.
    assert_eq!(b0.savings(), 100_000 * 90);
    // The building's bill uses general service with its contracted 20 kW.
    let b1 = site_bill(&c.state, &sid(1), 202508).unwrap();
    assert_eq!(
        b1.grid_charge,
        kepco(TariffClass::GeneralLow, 3_000_000, Some(20))
    );

    // Each payer's bill sums its lines; s2's lines are the split of its contract and the grid.
    let u2 = c.user(2);
    let bill2 = account_bill(&c.state, 202508, &u2);
    let l2s = lines(&c.state, 202508, &u2);
    assert_eq!(
        bill2.due.0,
        l2s.iter().map(|(_, l)| l.amount.0).sum::<u64>()
    );
    let kinds: Vec<PaymentKind> = l2s.iter().map(|(_, l)| l.kind).collect();
    assert_eq!(
        kinds,
        vec![
            PaymentKind::Energy,
            PaymentKind::Wheeling,
            PaymentKind::WheelingVat,
            PaymentKind::Platform,
            PaymentKind::PlatformVat,
            PaymentKind::GridSupply
        ]
    );

    // s2 pays early from its wallet; paying twice fails; too little money fails and changes
    // nothing.
    let pay = Payload::PayBill { month: 202508 };
    assert_eq!(code(&c.exec(&s2, pay.clone())), "insufficient_balance");
    c.fund(2, bill2.due.0);
    let seller_before = c.balance(&c.user(0));
    let r = c.exec(&s2, pay.clone());
    assert_eq!(code(&r), "success", "{r:?}");
    assert_eq!(c.balance(&u2), 0);
    assert_eq!(c.balance(&c.user(0)) - seller_before, 60_000 * 190);
    assert_eq!(code(&c.exec(&s2, pay.clone())), "already_paid");

    // Auto-debit on the 18th: s3 and s0 are funded, s1 is not (overdue); the grid company
    // pays the feed-in.
    let collect = Payload::CollectBills { month: 202508 };
    let due = due_ms(202508, 18).unwrap();
    assert_eq!(due, kst_month_start_ms(202509).unwrap() + 17 * DAY);
    assert_eq!(code(&c.exec(&anyone, collect.clone())), "not_due");
    for i in [0, 3] {
        let d = account_bill(&c.state, 202508, &c.user(i)).due.0;
        c.fund(i, d);
    }
    let grid = addr(&c.grid);
    let grid_due = account_bill(&c.state, 202508, &grid).due.0;
    assert!(grid_due > 0);
    let bank = c.bank.clone();
    let r = c.exec(
        &bank,
        Payload::Mint {
            to: grid.clone(),
            amount: MilliWon(grid_due),
            bank_ref: "grid-float".into(),
        },
    );
    assert!(r.is_success());
    c.time_ms = due;
    let r = c.exec(&anyone, collect.clone());
    assert_eq!(code(&r), "success", "{r:?}");
    let overdue: Vec<_> = r
        .events
        .iter()
        .filter(|e| matches!(e, Event::BillOverdue { .. }))
        .collect();
    assert_eq!(overdue.len(), 1);
    assert!(account_bill(&c.state, 202508, &c.user(1)).overdue);
    for who in [c.user(0), c.user(3), grid.clone()] {
        let b = account_bill(&c.state, 202508, &who);
        assert!(b.paid_by.is_some() && !b.late, "{b:?}");
    }
    assert_eq!(code(&c.exec(&anyone, collect)), "already_collected");

    // The building pays late, after the due day.
    let d1 = account_bill(&c.state, 202508, &c.user(1)).due.0;
    c.fund(1, d1);
    c.time_ms = due + 2 * DAY;
    let s1 = c.users[1].clone();
    let r = c.exec(&s1, pay);
    assert!(matches!(r.events[0], Event::BillPaid { late: true, .. }));

    // The bank report balances and accounts for every line; everything is paid now.
    let rep = bank_report(&c.state, 202508, None);
    assert!(rep.balances());
    assert_eq!(rep.unpaid_total, 0);
    let all_due: u64 = [c.user(0), c.user(1), c.user(2), c.user(3), grid.clone()]
        .iter()
        .map(|a| account_bill(&c.state, 202508, a).due.0)
        .sum();
    assert_eq!(rep.paid_total, all_due);
    let csv = rep.to_csv();
    assert!(csv.starts_with("account,kind,paid_mkrw,received_mkrw,unpaid_mkrw\n"));
    assert!(csv.ends_with(&format!("TOTAL,,{all_due},{all_due},0\n")));
    // The period's own report covers just its contracts' lines.
    let per = bank_report(&c.state, 202508, Some((&mk(), aug)));
    assert!(per.balances());
    assert_eq!(per.lines, 3 * 5 + 1);
}

#[test]
pub fn billing_rules_and_closed_months() {
    let (mut c, aug) = setup();
    let anyone = c.users[0].clone();
    c.time_ms = kst_month_start_ms(202509).unwrap();
    // No intentions in August: bills can be issued at once and pay only the grid.
    let r = c.exec(&anyone, Payload::IssueBills { month: 202508 });
    assert_eq!(code(&r), "success", "{r:?}");
    // The month is closed: its period can no longer be cleared.
    let r = c.exec(
        &anyone,
        Payload::ClearPeriod {
            market: mk(),
            period_start_ms: aug,
        },
    );
    assert_eq!(code(&r), "month_billed");
    assert_eq!(
        code(&c.exec(&anyone, Payload::IssueBills { month: 202513 })),
        "invalid_month"
    );
    // Bills of a month without a bill for the signer.
    assert_eq!(
        code(&c.exec(&anyone, Payload::PayBill { month: 202507 })),
        "bills_not_issued"
    );
    // A bill is paid by its own payer: the operator owes nothing for August and cannot pay
    // anyone else's bill (the payload names no payer).
    let op = c.operator.clone();
    assert_eq!(
        code(&c.exec(&op, Payload::PayBill { month: 202508 })),
        "no_bill"
    );
    assert!(!account_bill(&c.state, 202508, &c.user(0)).due.is_zero());
    // Only the operator configures billing; the grid company must have that role.
    let u = c.user(1);
    let r = c.exec(
        &anyone,
        Payload::ConfigureBilling(gridledger_types::ConfigureBilling {
            grid_company: u.clone(),
            platform_account: u.clone(),
            feed_in_price: won(1),
            due_day: 18,
        }),
    );
    assert_eq!(code(&r), "not_operator");
    let op = c.operator.clone();
    let opa = addr(&op);
    let r = c.exec(
        &op,
        Payload::ConfigureBilling(gridledger_types::ConfigureBilling {
            grid_company: u,
            platform_account: opa.clone(),
            feed_in_price: won(1),
            due_day: 18,
        }),
    );
    assert_eq!(code(&r), "not_grid_company");
    let r = c.exec(
        &op,
        Payload::ConfigureBilling(gridledger_types::ConfigureBilling {
            grid_company: addr(&c.grid),
            platform_account: opa,
            feed_in_price: won(1),
            due_day: 29,
        }),
    );
    assert_eq!(code(&r), "invalid_due_day");
    // Tariff versions are operator data: nobody else sets one; garbage is refused.
    let version =
        commonware_codec::Encode::encode(TariffSet::kepco().unwrap().versions().last().unwrap())
            .to_vec();
    let r = c.exec(&anyone, Payload::SetTariff { version });
    assert_eq!(code(&r), "not_operator");
    let r = c.exec(
        &op,
        Payload::SetTariff {
            version: vec![1, 2, 3],
        },
    );
    assert_eq!(code(&r), "invalid_tariff");
    // A version that would be in force in billed August is refused; one for October is not.
    let mut v = TariffSet::kepco()
        .unwrap()
        .versions()
        .last()
        .unwrap()
        .clone();
    v.id = "late".into();
    v.effective_from = gridledger_tariff::Date::new(2025, 7, 20).unwrap();
    let enc = |v: &gridledger_tariff::TariffVersion| commonware_codec::Encode::encode(v).to_vec();
    let r = c.exec(&op, Payload::SetTariff { version: enc(&v) });
    assert_eq!(code(&r), "month_billed");
    v.effective_from = gridledger_tariff::Date::new(2025, 10, 1).unwrap();
    let r = c.exec(&op, Payload::SetTariff { version: enc(&v) });
    assert_eq!(code(&r), "success");
}

#[test]
pub fn a_new_tariff_version_applies_from_its_effective_month() {
    let (mut c, _) = setup();
    let set = TariffSet::kepco().unwrap();
    let mut v = set.versions().last().unwrap().clone();
    v.id = "test-2025-08".into();
    v.effective_from = gridledger_tariff::Date::new(2025, 8, 1).unwrap();
    v.common.fuel_cost_adjustment = won(0);
    let op = c.operator.clone();
    let bytes = commonware_codec::Encode::encode(&v).to_vec();
    let r = c.exec(&op, Payload::SetTariff { version: bytes });
    assert!(
        matches!(
            &r.events[0],
            Event::TariffSet {
                effective: 20250801,
                ..
            }
        ),
        "{r:?}"
    );
    let anyone = c.users[0].clone();
    c.time_ms = kst_month_start_ms(202509).unwrap();
    measure(&mut c, 2, 300, 0);
    assert!(c
        .exec(&anyone, Payload::IssueBills { month: 202508 })
        .is_success());
    let b = site_bill(&c.state, &sid(2), 202508).unwrap();
    assert_eq!(b.tariff_version, "test-2025-08");
    let expect = gridledger_tariff::bill_with(
        &v,
        TariffClass::ResidentialLow,
        2025,
        8,
        EnergyWh(300_000),
        None,
    )
    .unwrap();
    assert_eq!(b.grid_charge, expect.total);
    assert!(b.grid_charge < kepco(TariffClass::ResidentialLow, 300_000, None));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Any book and any meters: energy is conserved per site, settlement and billing move
        /// no money, paying moves exactly the bills, nothing settles twice or early, and the
        /// bank report balances. (The fixture also checks the money invariants every block.)
        #[test]
        fn money_and_energy_are_conserved_through_a_month(
            book in proptest::collection::vec((any::<bool>(), 1u64..200, 100u64..300), 4),
            meters in proptest::collection::vec((0i64..400, 0i64..400), 4),
            funded in proptest::collection::vec(any::<bool>(), 4),
        ) {
            let (mut c, aug) = setup();
            for (i, (sell, kwh, price)) in book.iter().enumerate() {
                let side = if *sell { Side::Sell } else { Side::Buy };
                intend(&mut c, i, aug, side, *kwh, *price);
            }
            c.time_ms = aug;
            let anyone = c.users[0].clone();
            let clear = Payload::ClearPeriod { market: mk(), period_start_ms: aug };
            prop_assert!(c.exec(&anyone, clear).is_success());
            for (i, (imp, exp)) in meters.iter().enumerate() {
                measure(&mut c, i, *imp, *exp);
            }
            let settle = Payload::SettlePeriod { market: mk(), period_start_ms: aug };
            let early = c.exec(&anyone, settle.clone());
            prop_assert_eq!(code(&early), "period_not_ended");
            c.time_ms = kst_month_start_ms(202509).unwrap() + DAY;
            let supply0 = supply(&c.state);
            prop_assert!(c.exec(&anyone, settle.clone()).is_success());
            let again = c.exec(&anyone, settle);
            prop_assert_eq!(code(&again), "already_settled");
            let issue = Payload::IssueBills { month: 202508 };
            prop_assert!(c.exec(&anyone, issue).is_success());
            prop_assert_eq!(supply(&c.state), supply0);

            let (mut bought, mut sold) = (0u64, 0u64);
            for (i, (imp, exp)) in meters.iter().enumerate() {
                let b = site_bill(&c.state, &sid(i), 202508).unwrap();
                // Delivered never exceeds what the meters measured; grid + P2P = consumption.
                prop_assert!(b.p2p.bought_wh <= *imp as u64 * 1_000);
                prop_assert!(b.p2p.sold_wh <= *exp as u64 * 1_000);
                prop_assert_eq!(b.grid_wh + b.p2p.bought_wh, b.import_wh);
                prop_assert_eq!(b.excess_wh + b.p2p.sold_wh, b.export_wh);
                bought += b.p2p.bought_wh;
                sold += b.p2p.sold_wh;
            }
            prop_assert_eq!(bought, sold);

            // Pay: funded users pay their bills in full; the others are left unpaid.
            let mut expected_paid = 0u64;
            for (i, f) in funded.iter().enumerate() {
                let due = account_bill(&c.state, 202508, &c.user(i)).due.0;
                if *f && due > 0 {
                    c.fund(i, due);
                    let k = c.users[i].clone();
                    let pay = Payload::PayBill { month: 202508 };
                    prop_assert!(c.exec(&k, pay).is_success());
                    expected_paid += due;
                }
            }
            let rep = bank_report(&c.state, 202508, None);
            prop_assert!(rep.balances());
            prop_assert_eq!(rep.paid_total, expected_paid);
        }
    }
}

#[test]
pub fn a_site_never_sells_more_in_a_month_than_its_meter_across_markets() {
    let (mut c, aug) = setup();
    // A second monthly market; s0 sells 100 kWh in each, s2 and s3 buy them.
    let op = c.operator.clone();
    let other = MarketId::new("other").unwrap();
    let r = c.exec(
        &op,
        MarketBuilder::default().market(other.clone()).payload(),
    );
    assert!(r.is_success());
    intend(&mut c, 0, aug, Side::Sell, 100, 150);
    intend(&mut c, 2, aug, Side::Buy, 100, 250);
    for (user, side, limit) in [(0usize, Side::Sell, 150u64), (3, Side::Buy, 250)] {
        let k = c.users[user].clone();
        let r = c.exec(
            &k,
            Payload::SubmitIntention(SubmitIntention {
                market: other.clone(),
                period_start_ms: aug,
                side,
                site: sid(user),
                energy_wh: 100_000,
                limit: won(limit),
            }),
        );
        assert!(r.is_success(), "{r:?}");
    }
    // A market's period length never changes once it exists.
    let hourly = MarketBuilder::default()
        .market(other.clone())
        .period_kind(PeriodKind::Hourly)
        .build();
    assert_eq!(
        code(&c.exec(&op, Payload::ConfigureMarket(hourly.clone()))),
        "period_kind_fixed"
    );
    c.time_ms = aug;
    let anyone = c.users[1].clone();
    for m in [mk(), other.clone()] {
        let clear = Payload::ClearPeriod {
            market: m,
            period_start_ms: aug,
        };
        assert!(c.exec(&anyone, clear).is_success());
    }
    // Cleared: no more intentions, no cancelling.
    let k0 = c.users[0].clone();
    let late = Payload::SubmitIntention(SubmitIntention {
        market: mk(),
        period_start_ms: aug,
        side: Side::Sell,
        site: sid(0),
        energy_wh: 1_000,
        limit: won(1),
    });
    assert_eq!(code(&c.exec(&k0, late)), "gate_closed");
    // s0 exported only 100 kWh in August.
    measure(&mut c, 0, 0, 100);
    measure(&mut c, 2, 300, 0);
    measure(&mut c, 3, 300, 0);
    c.time_ms = kst_month_start_ms(202509).unwrap() + DAY;
    for m in [mk(), other.clone()] {
        let settle = Payload::SettlePeriod {
            market: m,
            period_start_ms: aug,
        };
        assert!(c.exec(&anyone, settle).is_success());
    }
    let first = settlement_line(&c.state, &mk(), aug, 0)
        .unwrap()
        .delivered_wh;
    let second = settlement_line(&c.state, &other, aug, 0)
        .unwrap()
        .delivered_wh;
    assert_eq!((first, second), (100_000, 0));
    assert_eq!(site_p2p(&c.state, &sid(0), 202508).sold_wh, 100_000);
    // Once the month is billed its readings can no longer be corrected.
    assert!(c
        .exec(&anyone, Payload::IssueBills { month: 202508 })
        .is_success());
    let r = c.exec(
        &op,
        Payload::CorrectReadings(gridledger_types::CorrectReadings {
            site: sid(0),
            month: 202508,
            import_adjust_wh: 0,
            export_adjust_wh: -1_000,
            reason: "late fix".into(),
        }),
    );
    assert_eq!(code(&r), "month_billed");
}
