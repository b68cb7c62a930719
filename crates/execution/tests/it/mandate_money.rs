//! Money under a mandate: the site's owner is the money party (escrow is held from it, it pays
//! and is paid) and a selling company's share of the energy amount is a separate `sales_share`
//! payment line (rounded down), in account bills and the bank report; a PPA a company arranged
//! pays the share for the months whose gate closed within the mandate. The generator and
//! consumer roles trade for themselves and through a company.
use crate::mandates::{
    clear, gen_site, intention, mandate_for, monthly, ms, ppa_gen_to_shop, revoke, rt, shop_site,
    World, DAY, HOUR,
};
use gridledger_execution::test_utils::{addr, code, one_interval};
use gridledger_execution::{
    account,
    billing::{site_bill, site_p2p},
    contracts, participant,
    payments::{lines, Payment},
    ppa,
    report::bank_report,
    settlement_line, supply,
};
use gridledger_types::{
    Address, CorrectReadings, MandateSides, Payload, PaymentKind, PrivateKey, Role, Side, SiteId,
};

/// The lines of `payer`'s bill of `month` as (payee, kind, amount, paid).
fn bill_lines(w: &World, month: u32, payer: &PrivateKey) -> Vec<(Address, PaymentKind, u64, bool)> {
    lines(&w.c.state, month, &addr(payer))
        .into_iter()
        .map(
            |(
                _,
                Payment {
                    payee,
                    kind,
                    amount,
                    paid_by,
                    ..
                },
            )| { (payee, kind, amount.0, paid_by.is_some()) },
        )
        .collect()
}

/// The one line of `kind`, if any.
fn line_of(
    ls: &[(Address, PaymentKind, u64, bool)],
    kind: PaymentKind,
) -> Option<(Address, u64, bool)> {
    let mut it = ls.iter().filter(|l| l.1 == kind);
    let one = it.next().map(|l| (l.0.clone(), l.2, l.3));
    assert!(it.next().is_none(), "two {kind} lines");
    one
}

/// The operator states a site's measured month (an audited correction).
fn measure(w: &mut World, site: SiteId, month: u32, import_wh: i64, export_wh: i64) {
    let op = w.c.operator.clone();
    let r = w.exec(
        &op,
        Payload::CorrectReadings(CorrectReadings {
            site,
            month,
            import_adjust_wh: import_wh,
            export_adjust_wh: export_wh,
            reason: "test totals".into(),
        }),
    );
    assert!(r.is_success(), "{r:?}");
}

fn settle(w: &mut World, market: gridledger_types::MarketId, start: u64) {
    let op = w.c.operator.clone();
    let r = w.exec(
        &op,
        Payload::SettlePeriod {
            market,
            period_start_ms: start,
        },
    );
    assert!(r.is_success(), "{r:?}");
}

#[test]
pub fn settlement_pays_the_owner_and_the_company_s_share_as_separate_lines() {
    let mut w = World::new();
    let (g, cons, co) = (w.generator.clone(), w.consumer.clone(), w.company.clone());
    let aug = ms(202508);
    assert!(w
        .exec(&g, mandate_for(gen_site(), &co, MandateSides::Sell, 333))
        .is_success());
    assert!(w
        .exec(
            &co,
            intention(monthly(), aug, Side::Sell, gen_site(), 100, 150)
        )
        .is_success());
    assert!(w
        .exec(
            &cons,
            intention(monthly(), aug, Side::Buy, shop_site(), 100, 250)
        )
        .is_success());
    w.c.time_ms = aug;
    assert!(w.exec(&cons, clear(monthly(), aug)).is_success());
    // The company approves the seller's side, the consumer its own.
    let approve = Payload::ApproveContract {
        market: monthly(),
        period_start_ms: aug,
        number: 0,
    };
    assert!(w.exec(&co, approve.clone()).is_success());
    let c0 = &contracts(&w.c.state, &monthly(), aug)[0];
    assert!(c0.seller_approved && !c0.buyer_approved && !c0.approved);
    assert!(w.exec(&cons, approve).is_success());

    // The generator exported 33.333 kWh of the 100 sold; the shop imported 100 kWh.
    measure(&mut w, gen_site(), 202508, 0, 33_333);
    measure(&mut w, shop_site(), 202508, 100_000, 0);
    w.c.time_ms = ms(202509) + DAY;
    settle(&mut w, monthly(), aug);
    // 33,333 Wh at the uniform 200 won/kWh; the share is 3.33 % of it, rounded down; VAT (the
    // generator's site is a commercial building) is on the whole energy amount.
    let amount = 33_333 * 200;
    let share = amount * 333 / 10_000;
    assert_eq!((amount, share), (6_666_600, 221_997));
    let l = settlement_line(&w.c.state, &monthly(), aug, 0).unwrap();
    assert_eq!((l.energy_amount.0, l.sales_share.0), (amount, share));
    let ls = bill_lines(&w, 202508, &cons);
    assert_eq!(
        line_of(&ls, PaymentKind::Energy),
        Some((addr(&g), amount - share, false))
    );
    assert_eq!(
        line_of(&ls, PaymentKind::SalesShare),
        Some((addr(&co), share, false))
    );
    assert_eq!(
        line_of(&ls, PaymentKind::EnergyVat),
        Some((addr(&g), amount / 10, false))
    );
    // The company owes nothing: the owners are the parties.
    assert!(lines(&w.c.state, 202508, &addr(&co)).is_empty());
    let p2p = site_p2p(&w.c.state, &gen_site(), 202508);
    assert_eq!((p2p.sales.0, p2p.sales_share.0), (amount, share));

    // Bills, then the consumer pays: each line reaches its payee.
    let anyone = w.stranger.clone();
    let r = w.exec(&anyone, Payload::IssueBills { month: 202508 });
    assert!(r.is_success(), "{r:?}");
    let b = site_bill(&w.c.state, &gen_site(), 202508).unwrap();
    assert_eq!(
        b.net_with_p2p(),
        i128::from(b.grid_charge.0) - i128::from(amount - share) - i128::from(b.feed_in.0)
    );
    w.fund(&cons, 100_000_000);
    let before = supply(&w.c.state);
    let r = w.exec(&cons, Payload::PayBill { month: 202508 });
    assert!(r.is_success(), "{r:?}");
    assert_eq!(w.c.balance(&addr(&co)), share);
    assert_eq!(w.c.balance(&addr(&g)), amount - share + amount / 10);
    assert_eq!(supply(&w.c.state), before);
    let report = bank_report(&w.c.state, 202508, None);
    assert!(report.balances());
    let of = |a: &Address| report.accounts.iter().find(|t| &t.account == a).unwrap();
    assert_eq!(
        of(&addr(&co)).by_kind[&PaymentKind::SalesShare].received,
        share
    );
    assert_eq!(
        of(&addr(&cons)).by_kind[&PaymentKind::SalesShare].paid,
        share
    );
    assert_eq!(
        of(&addr(&g)).by_kind[&PaymentKind::Energy].received,
        amount - share
    );
    assert!(report
        .to_csv()
        .contains(&format!("{},sales_share,0,{share},0", addr(&co))));
}

#[test]
pub fn a_real_time_trade_under_mandates_is_paid_from_the_owner_s_escrow_share_included() {
    let mut w = World::new();
    let (g, cons, co) = (w.generator.clone(), w.consumer.clone(), w.company.clone());
    assert!(w
        .exec(&g, mandate_for(gen_site(), &co, MandateSides::Sell, 1_000))
        .is_success());
    assert!(w
        .exec(&cons, mandate_for(shop_site(), &co, MandateSides::Both, 0))
        .is_success());
    w.fund(&cons, 5_000_000);
    let h = ms(202507) + 19 * DAY + 3 * HOUR;
    assert!(w
        .exec(&co, intention(rt(), h, Side::Sell, gen_site(), 10, 150))
        .is_success());
    assert!(w
        .exec(&co, intention(rt(), h, Side::Buy, shop_site(), 10, 200))
        .is_success());
    w.c.time_ms = h - HOUR / 2;
    assert!(w.exec(&co, clear(rt(), h)).is_success());
    // The hour as measured: the generator exports 10 kWh, the shop imports 10 kWh.
    for (meter, imp, exp) in [
        (w.gen_meter.clone(), 0, 10_000),
        (w.shop_meter.clone(), 10_000, 0),
    ] {
        let tx = w.c.signed(&meter, one_interval(h, HOUR as u32, imp, exp));
        assert!(w.c.run_at(h + HOUR + 1_000, &[tx]).unwrap().receipts[0].is_success());
    }
    w.c.time_ms = h + HOUR + 2_000;
    settle(&mut w, rt(), h);
    // 10 kWh at 175 won: the share (10 %) and the rest go out of the consumer's escrow at once.
    let (amount, share, vat) = (1_750_000, 175_000, 175_000);
    let ls = bill_lines(&w, 202507, &cons);
    assert!(
        ls.iter().all(|l| l.3),
        "every line paid from escrow: {ls:?}"
    );
    assert_eq!(
        line_of(&ls, PaymentKind::SalesShare),
        Some((addr(&co), share, true))
    );
    assert_eq!(
        line_of(&ls, PaymentKind::Energy),
        Some((addr(&g), amount - share, true))
    );
    let total = amount + vat + 10_000 * 10 + 10_000 + 10_000 * 2 + 2_000;
    let a = account(&w.c.state, &addr(&cons));
    assert_eq!((a.balance.0, a.held.0), (5_000_000 - total, 0));
    assert_eq!(w.c.balance(&addr(&co)), share);
    assert_eq!(w.c.balance(&addr(&g)), amount - share + vat);
    let report = bank_report(&w.c.state, 202507, Some((&rt(), h)));
    assert!(report.balances() && report.unpaid_total == 0);
    assert_eq!(report.paid_total, total);
}

#[test]
pub fn a_ppa_a_company_arranged_pays_its_share_for_months_whose_gate_closed_within_its_mandate() {
    let mut w = World::new();
    let (g, cons, co) = (w.generator.clone(), w.consumer.clone(), w.company.clone());
    assert!(w
        .exec(&g, mandate_for(gen_site(), &co, MandateSides::Sell, 500))
        .is_success());
    let (r, id) = w.exec_id(
        &co,
        Payload::ProposePpa(ppa_gen_to_shop(202509, 202510, 50)),
    );
    assert!(r.is_success(), "{r:?}");
    // The company proposed for the seller's side: the acceptance must come from the buyer's.
    w.refused(&g, Payload::AcceptPpa { ppa: id }, "own_proposal");
    assert!(w.exec(&cons, Payload::AcceptPpa { ppa: id }).is_success());
    let p = ppa::ppa(&w.c.state, &id).unwrap();
    assert_eq!(
        (&p.seller, &p.buyer, &p.seller_agent),
        (&addr(&g), &addr(&cons), &Some(addr(&co)))
    );

    // Mid-September (September's gate closed, October's not) the generator revokes.
    w.c.time_ms = ms(202509) + 14 * DAY;
    assert!(w.exec(&g, revoke(gen_site(), &co)).is_success());
    w.refused(&co, Payload::TerminatePpa { ppa: id }, "mandate_revoked");
    let anyone = w.stranger.clone();
    assert!(w.exec(&anyone, clear(monthly(), ms(202509))).is_success());
    measure(&mut w, gen_site(), 202509, 0, 50_000);
    measure(&mut w, shop_site(), 202509, 50_000, 0);
    w.c.time_ms = ms(202510) + DAY;
    settle(&mut w, monthly(), ms(202509));
    assert!(w.exec(&anyone, clear(monthly(), ms(202510))).is_success());
    measure(&mut w, gen_site(), 202510, 0, 50_000);
    measure(&mut w, shop_site(), 202510, 50_000, 0);
    w.c.time_ms = ms(202511) + DAY;
    settle(&mut w, monthly(), ms(202510));

    // 50 kWh at 150 won a month: September pays the company 5 %, October nothing.
    let amount = 50_000 * 150;
    let sep = bill_lines(&w, 202509, &cons);
    assert_eq!(
        line_of(&sep, PaymentKind::SalesShare),
        Some((addr(&co), amount / 20, false))
    );
    assert_eq!(
        line_of(&sep, PaymentKind::Energy),
        Some((addr(&g), amount - amount / 20, false))
    );
    let oct = bill_lines(&w, 202510, &cons);
    assert_eq!(line_of(&oct, PaymentKind::SalesShare), None);
    assert_eq!(
        line_of(&oct, PaymentKind::Energy),
        Some((addr(&g), amount, false))
    );
    assert_eq!(
        gridledger_execution::settlement::ppa_settlement(&w.c.state, &id, 202509)
            .map(|l| l.sales_share.0),
        Some(amount / 20)
    );
    assert_eq!(
        gridledger_execution::settlement::ppa_settlement(&w.c.state, &id, 202510)
            .map(|l| l.sales_share.0),
        Some(0)
    );
}

#[test]
pub fn a_generator_sells_for_itself_and_a_sales_company_buys_for_a_consumer() {
    let mut w = World::new();
    let (g, cons, co) = (w.generator.clone(), w.consumer.clone(), w.company.clone());
    assert_eq!(
        participant(&w.c.state, &addr(&g)).unwrap().role,
        Role::Generator
    );
    let aug = ms(202508);
    assert!(w
        .exec(&cons, mandate_for(shop_site(), &co, MandateSides::Buy, 0))
        .is_success());
    assert!(w
        .exec(
            &g,
            intention(monthly(), aug, Side::Sell, gen_site(), 20, 100)
        )
        .is_success());
    assert!(w
        .exec(
            &co,
            intention(monthly(), aug, Side::Buy, shop_site(), 20, 200)
        )
        .is_success());
    // The company has no mandate to sell for the generator.
    w.refused(
        &co,
        intention(monthly(), aug, Side::Sell, gen_site(), 1, 100),
        "no_mandate",
    );
    w.c.time_ms = aug;
    assert!(w.exec(&g, clear(monthly(), aug)).is_success());
    let c0 = contracts(&w.c.state, &monthly(), aug)[0].clone();
    assert_eq!(
        (&c0.seller, &c0.buyer, c0.energy_wh),
        (&addr(&g), &addr(&cons), 20_000)
    );
    let approve = Payload::ApproveContract {
        market: monthly(),
        period_start_ms: aug,
        number: 0,
    };
    assert!(w.exec(&g, approve.clone()).is_success());
    let r = w.exec(&co, approve);
    assert_eq!(code(&r), "success");
    assert!(contracts(&w.c.state, &monthly(), aug)[0].approved);
    measure(&mut w, gen_site(), 202508, 0, 20_000);
    measure(&mut w, shop_site(), 202508, 20_000, 0);
    w.c.time_ms = ms(202509) + DAY;
    settle(&mut w, monthly(), aug);
    // The consumer pays the generator the whole energy amount (150 won/kWh); no share.
    let ls = bill_lines(&w, 202508, &cons);
    assert_eq!(
        line_of(&ls, PaymentKind::Energy),
        Some((addr(&g), 20_000 * 150, false))
    );
    assert_eq!(line_of(&ls, PaymentKind::SalesShare), None);
    assert!(lines(&w.c.state, 202508, &addr(&co)).is_empty());
}
