//! Sales-company mandates: only a site's owner grants and revokes them, a sales company without
//! one is refused every action for the site (`no_mandate`), a mandated one acts within its
//! sides, markets and window, and a revocation takes effect for periods whose gate has not
//! closed. The money under a mandate is in `mandate_money.rs`; this module holds the world both
//! use. The fixture checks the money invariants after every block.
use gridledger_execution::mandates::{mandate, site_mandates, MAX_MANDATES_PER_SITE};
use gridledger_execution::ppa::ppa;
use gridledger_execution::test_utils::{
    addr, code, key, message, register_site, won, Chain, MarketBuilder,
};
use gridledger_execution::{
    account, contracts, intentions, order_book, participant, StateKey, StateValue,
};
use gridledger_types::{
    kst_month_start_ms, Address, BindMeter, ContractRef, DeviceKind, Event, GrantMandate, Hash32,
    MandateSides, MarketId, Payload, PeriodKind, PrivateKey, ProposePpa, Receipt, Role, Side,
    SiteId, SubmitIntention,
};
use proptest::prelude::*;

pub const DAY: u64 = 86_400_000;
pub const HOUR: u64 = 3_600_000;

pub fn monthly() -> MarketId {
    MarketId::new("monthly").unwrap()
}

pub fn rt() -> MarketId {
    MarketId::new("rt").unwrap()
}

pub fn gen_site() -> SiteId {
    SiteId::new("gen").unwrap()
}

pub fn shop_site() -> SiteId {
    SiteId::new("shop").unwrap()
}

/// 00:00 KST on the 1st of `month`.
pub fn ms(month: u32) -> u64 {
    kst_month_start_ms(month).unwrap()
}

/// A generator with a commercial-building site `gen` (its energy carries VAT), a consumer with
/// a household site `shop`, each with a meter; two sales companies (`company`, and `stranger`
/// that no owner mandates); a monthly market (gate at the period's start, one-day approval and
/// dispute windows) and an hourly one (gate half an hour ahead); billing with feed-in 100
/// won/kWh. The clock: 20 July 2025 (KST).
pub struct World {
    pub c: Chain,
    pub generator: PrivateKey,
    pub consumer: PrivateKey,
    pub company: PrivateKey,
    pub stranger: PrivateKey,
    pub gen_meter: PrivateKey,
    pub shop_meter: PrivateKey,
}

impl World {
    pub fn new() -> Self {
        let mut c = Chain::new(0);
        c.time_ms = ms(202507) + 19 * DAY;
        c.with_billing(100);
        let w = Self {
            generator: key(300),
            consumer: key(301),
            company: key(302),
            stranger: key(303),
            gen_meter: key(304),
            shop_meter: key(305),
            c,
        };
        let op = w.c.operator.clone();
        let mut c = w.c;
        for (k, role, name) in [
            (&w.generator, Role::Generator, "solar farm"),
            (&w.consumer, Role::Consumer, "corner shop"),
            (&w.company, Role::SalesCompany, "sales a"),
            (&w.stranger, Role::SalesCompany, "sales b"),
        ] {
            let r = c.exec(
                &op,
                Payload::RegisterParticipant {
                    account: addr(k),
                    role,
                    name: name.into(),
                },
            );
            assert!(r.is_success(), "{r:?}");
        }
        for (site, owner, meter, building) in [
            (gen_site(), &w.generator, &w.gen_meter, true),
            (shop_site(), &w.consumer, &w.shop_meter, false),
        ] {
            for p in [
                register_site(site.clone(), addr(owner), building, 100, site.to_string()),
                Payload::RegisterDevice {
                    device: addr(meter),
                    kind: DeviceKind::Meter,
                    owner: addr(owner),
                    label: format!("{site} meter"),
                },
                Payload::BindMeter(BindMeter {
                    meter: addr(meter),
                    site,
                }),
            ] {
                let r = c.exec(&op, p);
                assert!(r.is_success(), "{r:?}");
            }
        }
        for (market, kind, gate_lead_ms, window) in [
            (monthly(), PeriodKind::Monthly, 0, DAY),
            (rt(), PeriodKind::Hourly, HOUR / 2, 0),
        ] {
            let r = c.exec(
                &op,
                MarketBuilder::default()
                    .market(market)
                    .period_kind(kind)
                    .gate_lead_ms(gate_lead_ms)
                    .wheeling_fee(won(10))
                    .platform_fee(won(2))
                    .approval_window_ms(window)
                    .dispute_window_ms(window)
                    .payload(),
            );
            assert!(r.is_success(), "{r:?}");
        }
        Self { c, ..w }
    }

    pub fn exec(&mut self, k: &PrivateKey, p: Payload) -> Receipt {
        self.c.exec(k, p)
    }

    /// Signs `p` as `k` at the chain's next block: the receipt and the transaction's hash.
    pub fn exec_id(&mut self, k: &PrivateKey, p: Payload) -> (Receipt, Hash32) {
        let tx = self.c.signed(k, p);
        let r = self
            .c
            .run(std::slice::from_ref(&tx))
            .unwrap()
            .receipts
            .remove(0);
        (r, tx.hash())
    }

    /// Asserts `k`'s `p` fails with `expected` and changes nothing but `k`'s nonce.
    pub fn refused(&mut self, k: &PrivateKey, p: Payload, expected: &str) {
        let mut expected_state = self.c.state.clone();
        let r = self.c.exec(k, p);
        assert_eq!(code(&r), expected, "{}", message(&r));
        let mut a = account(&expected_state, &addr(k));
        a.nonce += 1;
        expected_state.insert(StateKey::Account(addr(k)), StateValue::Account(a));
        assert_eq!(
            self.c.state, expected_state,
            "a refused transaction changed state"
        );
    }

    /// Mints `won` to `k`'s account.
    pub fn fund(&mut self, k: &PrivateKey, amount: u64) {
        let bank = self.c.bank.clone();
        let r = self.c.exec(
            &bank,
            Payload::Mint {
                to: addr(k),
                amount: gridledger_types::MilliWon(amount),
                bank_ref: format!("dep-{}", self.c.height),
            },
        );
        assert!(r.is_success(), "{r:?}");
    }
}

/// A mandate for `company` over `site`: every market, from now on, until revoked.
pub fn mandate_for(
    site: SiteId,
    company: &PrivateKey,
    sides: MandateSides,
    share_bp: u32,
) -> Payload {
    Payload::GrantMandate(GrantMandate {
        site,
        company: addr(company),
        sides,
        markets: vec![],
        from_ms: 0,
        until_ms: None,
        share_bp,
    })
}

pub fn revoke(site: SiteId, company: &PrivateKey) -> Payload {
    Payload::RevokeMandate {
        site,
        company: addr(company),
    }
}

pub fn intention(
    market: MarketId,
    start: u64,
    side: Side,
    site: SiteId,
    kwh: u64,
    price_won: u64,
) -> Payload {
    Payload::SubmitIntention(SubmitIntention {
        market,
        period_start_ms: start,
        side,
        site,
        energy_wh: kwh * 1_000,
        limit: won(price_won),
    })
}

pub fn clear(market: MarketId, start: u64) -> Payload {
    Payload::ClearPeriod {
        market,
        period_start_ms: start,
    }
}

pub fn ppa_gen_to_shop(start: u32, end: u32, kwh: u64) -> ProposePpa {
    ProposePpa {
        market: monthly(),
        seller_site: gen_site(),
        buyer_site: shop_site(),
        price: won(150),
        start_month: start,
        end_month: end,
        monthly_wh: vec![kwh * 1_000; 12],
        notice_months: 0,
    }
}

#[test]
pub fn a_stranger_sales_company_is_refused_every_action_for_a_site() {
    let mut w = World::new();
    let (g, cons, co, st) = (
        w.generator.clone(),
        w.consumer.clone(),
        w.company.clone(),
        w.stranger.clone(),
    );
    let aug = ms(202508);
    let r = w.exec(&g, mandate_for(gen_site(), &co, MandateSides::Sell, 0));
    assert!(r.is_success(), "{r:?}");
    let r = w.exec(&cons, mandate_for(shop_site(), &co, MandateSides::Buy, 0));
    assert!(r.is_success(), "{r:?}");

    // Intentions: the stranger for either site; the mandated company for both.
    let sell = intention(monthly(), aug, Side::Sell, gen_site(), 100, 150);
    let buy = intention(monthly(), aug, Side::Buy, shop_site(), 100, 250);
    w.refused(&st, sell.clone(), "no_mandate");
    w.refused(&st, buy.clone(), "no_mandate");
    let (r, sell_id) = w.exec_id(&co, sell);
    assert!(r.is_success(), "{r:?}");
    let (r, buy_id) = w.exec_id(&co, buy);
    assert!(r.is_success(), "{r:?}");
    // A participant that is no sales company keeps the old refusal.
    w.refused(
        &cons,
        intention(monthly(), aug, Side::Sell, gen_site(), 1, 1),
        "not_site_owner",
    );

    // Cancellation.
    w.refused(
        &st,
        Payload::CancelIntention { intention: sell_id },
        "no_mandate",
    );
    w.refused(
        &cons,
        Payload::CancelIntention { intention: sell_id },
        "not_authorized",
    );

    // Pairing at the gate (anyone), then approval: the stranger is refused; the company,
    // mandated for both sites, approves both sides at once.
    w.c.time_ms = aug;
    assert!(w.exec(&st, clear(monthly(), aug)).is_success());
    let cs = contracts(&w.c.state, &monthly(), aug);
    assert_eq!(cs.len(), 1);
    assert_eq!(
        (&cs[0].seller, &cs[0].buyer, cs[0].sell, cs[0].buy),
        (&addr(&g), &addr(&cons), sell_id, buy_id)
    );
    let approve = Payload::ApproveContract {
        market: monthly(),
        period_start_ms: aug,
        number: 0,
    };
    w.refused(&st, approve.clone(), "no_mandate");
    let r = w.exec(&co, approve);
    assert!(
        matches!(&r.events[..], [Event::ContractApproved { approved: true, by, .. }] if by == &addr(&co)),
        "{r:?}"
    );

    // Disputes, within the window after the month: the stranger, then the company once the
    // consumer has revoked it; the consumer itself always may.
    w.c.time_ms = ms(202509) + HOUR;
    let dispute = Payload::DisputeContract {
        contract: ContractRef {
            market: monthly(),
            period_start_ms: aug,
            number: 0,
        },
        reason: "the shop was closed".into(),
    };
    w.refused(&st, dispute.clone(), "no_mandate");
    assert!(w.exec(&cons, revoke(shop_site(), &co)).is_success());
    w.refused(&co, dispute.clone(), "mandate_revoked");
    assert!(w.exec(&cons, dispute).is_success());

    // PPAs: proposal, acceptance, withdrawal and termination.
    let p = ppa_gen_to_shop(202511, 202512, 50);
    w.refused(&st, Payload::ProposePpa(p.clone()), "no_mandate");
    let (r, id) = w.exec_id(&co, Payload::ProposePpa(p));
    assert!(r.is_success(), "{r:?}");
    assert_eq!(ppa(&w.c.state, &id).unwrap().seller_agent, Some(addr(&co)));
    w.refused(&st, Payload::AcceptPpa { ppa: id }, "no_mandate");
    w.refused(&st, Payload::WithdrawPpa { ppa: id }, "no_mandate");
    assert!(w.exec(&cons, Payload::AcceptPpa { ppa: id }).is_success());
    w.refused(&st, Payload::TerminatePpa { ppa: id }, "no_mandate");

    // Mandates themselves: only the site's owner grants or revokes them.
    w.refused(
        &st,
        mandate_for(gen_site(), &st, MandateSides::Both, 0),
        "not_site_owner",
    );
    w.refused(&st, revoke(gen_site(), &co), "not_site_owner");
    w.refused(&co, revoke(gen_site(), &co), "not_site_owner");
}

#[test]
pub fn a_mandate_covers_only_its_sides_markets_and_window() {
    let mut w = World::new();
    let (g, co) = (w.generator.clone(), w.company.clone());
    let (now, aug, sep) = (w.c.time_ms, ms(202508), ms(202509));
    // Sell only, in the monthly market, from an hour ahead until the August gate.
    let grant = GrantMandate {
        site: gen_site(),
        company: addr(&co),
        sides: MandateSides::Sell,
        markets: vec![monthly()],
        from_ms: now + HOUR,
        until_ms: Some(aug),
        share_bp: 250,
    };
    let r = w.exec(&g, Payload::GrantMandate(grant.clone()));
    assert_eq!(r.events, vec![Event::MandateGranted(grant)]);
    let sell_aug = intention(monthly(), aug, Side::Sell, gen_site(), 10, 150);
    w.refused(&co, sell_aug.clone(), "mandate_not_started");
    w.c.time_ms = now + HOUR;
    w.refused(
        &co,
        intention(monthly(), aug, Side::Buy, gen_site(), 10, 150),
        "outside_mandate",
    );
    w.refused(
        &co,
        intention(rt(), aug + 10 * HOUR, Side::Sell, gen_site(), 10, 150),
        "outside_mandate",
    );
    // September's gate closes after the mandate ends.
    w.refused(
        &co,
        intention(monthly(), sep, Side::Sell, gen_site(), 10, 150),
        "outside_mandate",
    );
    let (r, first) = w.exec_id(&co, sell_aug.clone());
    assert!(r.is_success(), "{r:?}");
    let (r, second) = w.exec_id(&co, sell_aug);
    assert!(r.is_success(), "{r:?}");
    let book = intentions(&w.c.state, &monthly(), aug);
    let i = &book[0].1;
    assert_eq!(
        (&i.submitter, &i.owner, i.share_bp, i.escrow.0),
        (&addr(&co), &addr(&g), 250, 0)
    );
    // The owner always acts for its site: it cancels one of the company's intentions.
    assert!(w
        .exec(&g, Payload::CancelIntention { intention: first })
        .is_success());
    // At the end of the window the company can do nothing more for the site (the gate has
    // closed too, but the mandate is checked first).
    w.c.time_ms = aug - BLOCK;
    w.refused(
        &co,
        Payload::CancelIntention { intention: second },
        "mandate_expired",
    );
    w.refused(
        &co,
        Payload::ProposePpa(ppa_gen_to_shop(202510, 202510, 10)),
        "mandate_expired",
    );
    // The generator's own PPA proposal is fine.
    assert!(w
        .exec(&g, Payload::ProposePpa(ppa_gen_to_shop(202510, 202510, 10)))
        .is_success());
}

/// Block spacing of the fixture's `run` (so `time_ms = t - BLOCK` runs the next block at `t`).
const BLOCK: u64 = gridledger_execution::test_utils::BLOCK_MS;

#[test]
pub fn only_the_owner_grants_a_sales_company_a_bounded_mandate() {
    let mut w = World::new();
    let (g, cons, co) = (w.generator.clone(), w.consumer.clone(), w.company.clone());
    let grant = |company: Address, sides, markets: Vec<MarketId>, until, share_bp| {
        Payload::GrantMandate(GrantMandate {
            site: gen_site(),
            company,
            sides,
            markets,
            from_ms: 0,
            until_ms: until,
            share_bp,
        })
    };
    let now = w.c.time_ms;
    let both = MandateSides::Both;
    w.refused(
        &co,
        grant(addr(&co), both, vec![], None, 0),
        "not_site_owner",
    );
    w.refused(
        &cons,
        grant(addr(&co), both, vec![], None, 0),
        "not_site_owner",
    );
    w.refused(
        &g,
        Payload::GrantMandate(GrantMandate {
            site: SiteId::new("nowhere").unwrap(),
            company: addr(&co),
            sides: both,
            markets: vec![],
            from_ms: 0,
            until_ms: None,
            share_bp: 0,
        }),
        "unknown_site",
    );
    w.refused(&g, grant(addr(&g), both, vec![], None, 0), "self_mandate");
    w.refused(
        &g,
        grant(addr(&key(999)), both, vec![], None, 0),
        "unknown_company",
    );
    w.refused(
        &g,
        grant(addr(&cons), both, vec![], None, 0),
        "not_sales_company",
    );
    let nowhere = MarketId::new("nowhere").unwrap();
    w.refused(
        &g,
        grant(addr(&co), both, vec![nowhere], None, 0),
        "unknown_market",
    );
    w.refused(
        &g,
        grant(addr(&co), both, vec![rt(), monthly(), rt()], None, 0),
        "duplicate_market",
    );
    w.refused(
        &g,
        grant(addr(&co), both, vec![], None, 10_001),
        "invalid_share",
    );
    w.refused(
        &g,
        grant(addr(&co), MandateSides::Buy, vec![], None, 1),
        "invalid_share",
    );
    w.refused(
        &g,
        grant(addr(&co), both, vec![], Some(now), 0),
        "invalid_window",
    );
    w.refused(
        &g,
        Payload::GrantMandate(GrantMandate {
            site: gen_site(),
            company: addr(&co),
            sides: both,
            markets: vec![],
            from_ms: now + DAY,
            until_ms: Some(now + DAY),
            share_bp: 0,
        }),
        "invalid_window",
    );
    assert!(w
        .exec(&g, grant(addr(&co), both, vec![], None, 10_000))
        .is_success());
    // Granting again replaces the company's mandate.
    assert!(w
        .exec(
            &g,
            grant(addr(&co), MandateSides::Sell, vec![rt()], None, 100)
        )
        .is_success());
    let m = mandate(&w.c.state, &gen_site(), &addr(&co)).unwrap();
    assert_eq!(
        (m.sides, &m.markets[..], m.share_bp),
        (MandateSides::Sell, &[rt()][..], 100)
    );

    // Revocation: owner only, of a mandate that exists, once.
    w.refused(&co, revoke(gen_site(), &co), "not_site_owner");
    w.refused(
        &g,
        revoke(SiteId::new("nowhere").unwrap(), &co),
        "unknown_site",
    );
    let stranger = w.stranger.clone();
    w.refused(&g, revoke(gen_site(), &stranger), "no_mandate");
    let r = w.exec(&g, revoke(gen_site(), &co));
    assert_eq!(
        r.events,
        vec![Event::MandateRevoked {
            site: gen_site(),
            company: addr(&co),
            revoked_at_ms: w.c.time_ms,
        }]
    );
    w.refused(&g, revoke(gen_site(), &co), "already_revoked");

    // A site keeps a bounded number of records (ended ones count); a full site still lets its
    // owner grant again to a company it already named.
    let op = w.c.operator.clone();
    let extra: Vec<PrivateKey> = (0..MAX_MANDATES_PER_SITE as u64)
        .map(|i| key(400 + i))
        .collect();
    for (i, k) in extra.iter().enumerate() {
        let r = w.exec(
            &op,
            Payload::RegisterParticipant {
                account: addr(k),
                role: Role::SalesCompany,
                name: format!("sales {i}"),
            },
        );
        assert!(r.is_success());
    }
    for k in &extra[..MAX_MANDATES_PER_SITE - 1] {
        assert!(w
            .exec(&g, grant(addr(k), both, vec![], None, 0))
            .is_success());
    }
    assert_eq!(
        site_mandates(&w.c.state, &gen_site()).len(),
        MAX_MANDATES_PER_SITE
    );
    w.refused(
        &g,
        grant(
            addr(&extra[MAX_MANDATES_PER_SITE - 1]),
            both,
            vec![],
            None,
            0,
        ),
        "too_many_mandates",
    );
    assert!(w
        .exec(&g, grant(addr(&co), both, vec![], None, 0))
        .is_success());
    assert_eq!(
        participant(&w.c.state, &addr(&co)).unwrap().role,
        Role::SalesCompany
    );
}

#[test]
pub fn revocation_takes_effect_for_periods_whose_gate_has_not_closed() {
    let mut w = World::new();
    let (g, cons, co) = (w.generator.clone(), w.consumer.clone(), w.company.clone());
    assert!(w
        .exec(&g, mandate_for(gen_site(), &co, MandateSides::Sell, 0))
        .is_success());
    assert!(w
        .exec(&cons, mandate_for(shop_site(), &co, MandateSides::Buy, 0))
        .is_success());
    w.fund(&cons, 5_000_000);
    // Two hours of the real-time market (gates half an hour ahead).
    let h1 = ms(202507) + 19 * DAY + 3 * HOUR;
    let h2 = h1 + HOUR;
    let mut buys = Vec::new();
    for h in [h1, h2] {
        let r = w.exec(&co, intention(rt(), h, Side::Sell, gen_site(), 10, 150));
        assert!(r.is_success(), "{r:?}");
        let (r, id) = w.exec_id(&co, intention(rt(), h, Side::Buy, shop_site(), 10, 200));
        assert!(r.is_success(), "{r:?}");
        buys.push(id);
    }
    // The buys hold the consumer's money (the money party), never the company's.
    let max = 10_000 * 212 + 10_000 * 212 / 10;
    assert_eq!(account(&w.c.state, &addr(&cons)).held.0, 2 * max);
    let a = account(&w.c.state, &addr(&co));
    assert_eq!((a.balance.0, a.held.0), (0, 0));

    // The first hour's gate closes; then the consumer revokes the company.
    w.c.time_ms = h1 - HOUR / 2;
    assert!(w.exec(&cons, revoke(shop_site(), &co)).is_success());
    w.refused(
        &co,
        intention(rt(), h2, Side::Buy, shop_site(), 1, 200),
        "mandate_revoked",
    );
    w.refused(
        &co,
        Payload::CancelIntention { intention: buys[1] },
        "mandate_revoked",
    );
    // The second hour's book no longer shows the company's buy; the first hour's does.
    let (_, b2) = order_book(&w.c.state, &rt(), h2);
    assert!(b2.is_empty());
    let (_, b1) = order_book(&w.c.state, &rt(), h1);
    assert_eq!(b1.len(), 1);

    // The first hour pairs (its gate closed before the revocation) ...
    assert!(w.exec(&co, clear(rt(), h1)).is_success());
    assert_eq!(contracts(&w.c.state, &rt(), h1).len(), 1);
    // ... the second does not: the company's buy is dropped and its escrow goes back.
    w.c.time_ms = h2 - HOUR / 2;
    let r = w.exec(&co, clear(rt(), h2));
    assert!(
        matches!(&r.events[..], [Event::PeriodCleared { contracts: 0, .. }]),
        "{r:?}"
    );
    let dropped = &intentions(&w.c.state, &rt(), h2)[1].1;
    assert!(dropped.cancelled && dropped.escrow.0 == 0);
    let keep = 10_000 * 212 + 10_000 * 212 / 10;
    assert_eq!(account(&w.c.state, &addr(&cons)).held.0, keep);
    // The company's sell for the generator (still mandated) stood, unmatched.
    assert!(!intentions(&w.c.state, &rt(), h2)[0].1.cancelled);
}

#[test]
pub fn the_owner_acts_alone_after_revoking_but_a_closed_period_keeps_the_company_s_intentions() {
    let mut w = World::new();
    let (g, cons, co) = (w.generator.clone(), w.consumer.clone(), w.company.clone());
    let aug = ms(202508);
    assert!(w
        .exec(&g, mandate_for(gen_site(), &co, MandateSides::Sell, 500))
        .is_success());
    assert!(w
        .exec(
            &cons,
            intention(monthly(), aug, Side::Buy, shop_site(), 10, 250)
        )
        .is_success());
    assert!(w
        .exec(
            &co,
            intention(monthly(), aug, Side::Sell, gen_site(), 10, 150)
        )
        .is_success());
    // The gate closes; the generator revokes before anyone pairs.
    w.c.time_ms = aug;
    assert!(w.exec(&g, revoke(gen_site(), &co)).is_success());
    assert!(w.exec(&cons, clear(monthly(), aug)).is_success());
    let cs = contracts(&w.c.state, &monthly(), aug);
    assert_eq!(cs.len(), 1, "the closed period keeps the company's sell");
    // Approving needs a mandate in force: the company is refused, the owners approve.
    let approve = Payload::ApproveContract {
        market: monthly(),
        period_start_ms: aug,
        number: 0,
    };
    w.refused(&co, approve.clone(), "mandate_revoked");
    assert!(w.exec(&g, approve.clone()).is_success());
    assert!(w.exec(&cons, approve).is_success());
    assert!(contracts(&w.c.state, &monthly(), aug)[0].approved);
}

#[test]
pub fn nobody_trades_for_a_suspended_owner() {
    let mut w = World::new();
    let (g, co, op) = (w.generator.clone(), w.company.clone(), w.c.operator.clone());
    assert!(w
        .exec(&g, mandate_for(gen_site(), &co, MandateSides::Sell, 0))
        .is_success());
    let sell = intention(monthly(), ms(202508), Side::Sell, gen_site(), 10, 150);
    let suspend = Payload::SuspendParticipant {
        account: addr(&g),
        reason: "audit".into(),
    };
    assert!(w.exec(&op, suspend).is_success());
    w.refused(&co, sell.clone(), "owner_suspended");
    let reinstate = Payload::ReinstateParticipant { account: addr(&g) };
    assert!(w.exec(&op, reinstate).is_success());
    assert!(w.exec(&co, sell).is_success());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Reference model: one mandate (random sides, markets, window, maybe revoked) and one
    /// intention by the company at a random time for a random side, market and period; the
    /// chain's verdict equals the rule written out here.
    #[test]
    fn the_chain_judges_a_company_s_intention_as_the_rule_says(
        sides in prop_oneof![Just(MandateSides::Sell), Just(MandateSides::Buy), Just(MandateSides::Both)],
        only_monthly in any::<bool>(),
        from_h in 0u64..48,
        until_h in proptest::option::of(1u64..96),
        revoke_h in proptest::option::of(0u64..72),
        act_h in 0u64..72,
        sell in any::<bool>(),
        in_rt in any::<bool>(),
        period_h in 1u64..120,
    ) {
        let mut w = World::new();
        let (g, co) = (w.generator.clone(), w.company.clone());
        // Real-time buys hold the owner's money.
        w.fund(&g, 10_000_000);
        let t0 = ms(202507) + 19 * DAY;
        let from = t0 + from_h * HOUR;
        let until = until_h.map(|h| from + h * HOUR);
        let grant = Payload::GrantMandate(GrantMandate {
            site: gen_site(),
            company: addr(&co),
            sides,
            markets: if only_monthly { vec![monthly()] } else { vec![] },
            from_ms: from,
            until_ms: until,
            share_bp: 0,
        });
        prop_assert!(w.exec(&g, grant).is_success());
        let act = t0 + act_h * HOUR + HOUR / 4;
        let revoked = revoke_h.map(|h| t0 + h * HOUR + HOUR / 8).filter(|r| *r < act);
        if let Some(r) = revoked {
            w.c.time_ms = r - BLOCK;
            prop_assert!(w.exec(&g, revoke(gen_site(), &co)).is_success());
        }
        let (market, start, gate) = if in_rt {
            let start = t0 + period_h * HOUR;
            (rt(), start, start - HOUR / 2)
        } else {
            // The first or second month after the clock's month.
            let start = if period_h % 2 == 0 { ms(202508) } else { ms(202509) };
            (monthly(), start, start)
        };
        let side = if sell { Side::Sell } else { Side::Buy };
        w.c.time_ms = act - BLOCK;
        let r = w.exec(&co, intention(market.clone(), start, side, gen_site(), 1, 100));
        let end = until.unwrap_or(u64::MAX).min(revoked.unwrap_or(u64::MAX));
        let expected = if act >= gate {
            "gate_closed"
        } else if revoked.is_some() {
            "mandate_revoked"
        } else if act < from {
            "mandate_not_started"
        } else if until.is_some_and(|u| u <= act) {
            "mandate_expired"
        } else if !sides.covers(side) || (only_monthly && market != monthly()) || gate > end {
            "outside_mandate"
        } else {
            "success"
        };
        prop_assert_eq!(code(&r), expected, "{}", message(&r));
    }
}
