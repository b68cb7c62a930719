//! Settling a monthly period and issuing every site's bill, for 10k and 100k sites (half sell
//! to the other half, one contract per pair). Both run through `execute_block` as the chain
//! runs them: `SettlePeriod` (one transaction) and `IssueBills` (one per 1,000 sites).
//!
//! `GRIDLEDGER_BENCH_SITES=10000` limits the sizes (the 100k setup takes a while).
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use gridledger_execution::metering::Site;
use gridledger_execution::test_utils::{won, MarketBuilder};
use gridledger_execution::trading::{Contract, Intention, PeriodState};
use gridledger_execution::{
    apply_writes, execute_block, test_utils as fixture, BlockEnv, MonthTotals, SigCheck, StateKey,
    StateValue,
};
use gridledger_types::{
    kst_month_start_ms, Hash32, MarketId, MilliWon, Payload, Side, SiteId, SiteKind,
};
use std::time::Duration;

const MONTH: u32 = 202508;

/// A chain with `n` household sites, their August totals, and a cleared monthly period in
/// which site 2i sells 100 kWh to site 2i+1 at 190 won.
fn month_state(n: usize) -> fixture::Chain {
    let mut c = fixture::Chain::new(0);
    let aug = kst_month_start_ms(MONTH).unwrap();
    c.time_ms = aug - 86_400_000;
    c.with_billing(100);
    let mk = MarketId::new("monthly").unwrap();
    let op = c.operator.clone();
    let r = c.exec(
        &op,
        MarketBuilder::default()
            .market(mk.clone())
            .wheeling_fee(won(10))
            .platform_fee(won(2))
            .payload(),
    );
    assert!(r.is_success());
    let sid = |i: usize| SiteId::new(format!("s{i:06}")).unwrap();
    let owners: Vec<_> = (0..n)
        .map(|i| fixture::addr(&fixture::key(10_000 + i as u64)))
        .collect();
    for (i, owner) in owners.iter().enumerate() {
        let seller = i % 2 == 0;
        c.state.insert(
            StateKey::Site(sid(i)),
            StateValue::Site(Site {
                owner: owner.clone(),
                kind: SiteKind::Household,
                tariff_class: "residential-low".into(),
                contract_kw: 0,
                feeder: 1,
                name: format!("house {i}"),
                registered_at: 1,
            }),
        );
        let (import_wh, export_wh) = if seller {
            (
                250_000 + (i as u64 % 97) * 1_000,
                90_000 + (i as u64 % 31) * 1_000,
            )
        } else {
            (380_000 + (i as u64 % 113) * 1_000, 0)
        };
        c.state.insert(
            StateKey::SiteMonth(sid(i), MONTH),
            StateValue::SiteMonth(MonthTotals {
                import_wh,
                export_wh,
                intervals: 744,
                corrections: 0,
            }),
        );
        let id = Hash32::digest(&[b"intention", &(i as u64).to_be_bytes()]);
        c.state.insert(
            StateKey::Intention(mk.clone(), aug, i as u32),
            StateValue::Intention(Intention {
                id,
                submitter: owner.clone(),
                owner: owner.clone(),
                side: if seller { Side::Sell } else { Side::Buy },
                site: sid(i),
                feeder: 1,
                energy_wh: 100_000,
                limit: won(if seller { 150 } else { 250 }),
                cancelled: false,
                filled_wh: 100_000,
                escrow: MilliWon::ZERO,
                share_bp: 0,
            }),
        );
        c.state.insert(
            StateKey::IntentionRef(id),
            StateValue::IntentionRef(mk.clone(), aug, i as u32),
        );
    }
    for p in 0..n / 2 {
        let (s, b) = (2 * p, 2 * p + 1);
        let id = |i: usize| Hash32::digest(&[b"intention", &(i as u64).to_be_bytes()]);
        c.state.insert(
            StateKey::Contract(mk.clone(), aug, p as u32),
            StateValue::Contract(Contract {
                sell: id(s),
                buy: id(b),
                seller: owners[s].clone(),
                buyer: owners[b].clone(),
                seller_site: sid(s),
                buyer_site: sid(b),
                energy_wh: 100_000,
                price: won(190),
                approved: true,
                seller_approved: false,
                buyer_approved: false,
                approval_deadline_ms: 0,
                disputed: false,
                resolved_wh: None,
            }),
        );
    }
    c.state.insert(
        StateKey::Period(mk, aug),
        StateValue::Period(PeriodState {
            next_seq: n as u32,
            cleared: true,
            contracts: (n / 2) as u32,
            matched_wh: (n as u64 / 2) * 100_000,
            clearing_price: Some(won(190)),
            settled: false,
        }),
    );
    c.time_ms = kst_month_start_ms(202509).unwrap();
    c
}

fn env(c: &fixture::Chain) -> BlockEnv {
    BlockEnv {
        chain_id: fixture::chain_id(),
        height: c.height + 1,
        timestamp_ms: c.time_ms + 1_000,
    }
}

fn bench(cr: &mut Criterion) {
    let max: usize = std::env::var("GRIDLEDGER_BENCH_SITES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let mut g = cr.benchmark_group("billing");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for n in [10_000usize, 100_000].into_iter().filter(|n| *n <= max) {
        let mut c = month_state(n);
        let op = c.operator.clone();
        let settle = vec![c.signed(
            &op,
            Payload::SettlePeriod {
                market: MarketId::new("monthly").unwrap(),
                period_start_ms: kst_month_start_ms(MONTH).unwrap(),
            },
        )];
        let out = execute_block(
            &c.state,
            c.root,
            env(&c),
            &settle,
            SigCheck::AlreadyVerified,
        )
        .unwrap();
        assert!(out.receipts[0].is_success(), "{:?}", out.receipts[0]);
        g.bench_function(format!("settle_month/{n}_sites"), |b| {
            b.iter(|| {
                execute_block(
                    &c.state,
                    c.root,
                    env(&c),
                    &settle,
                    SigCheck::AlreadyVerified,
                )
                .unwrap()
            })
        });
        apply_writes(&mut c.state, &out.writes);
        c.height += 1;
        let nonce = gridledger_execution::account(&c.state, &fixture::addr(&op)).nonce;
        let issue: Vec<_> = (0..n.div_ceil(1_000) as u64)
            .map(|k| c.signed_nonce(&op, nonce + k, Payload::IssueBills { month: MONTH }))
            .collect();
        let out =
            execute_block(&c.state, c.root, env(&c), &issue, SigCheck::AlreadyVerified).unwrap();
        assert!(out.receipts.iter().all(|r| r.is_success()));
        assert!(matches!(
            out.receipts.last().unwrap().events[0],
            gridledger_types::Event::BillsIssued { done: true, .. }
        ));
        g.bench_function(format!("issue_bills/{n}_sites"), |b| {
            b.iter_batched(
                || issue.clone(),
                |txs| {
                    execute_block(&c.state, c.root, env(&c), &txs, SigCheck::AlreadyVerified)
                        .unwrap()
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
