//! Validating and applying one meter's batch of 24 hourly readings (a day), the market issue's
//! metering hot path; with and without the signature check.
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use gridledger_execution::test_utils::SiteBuilder;
use gridledger_execution::{execute_block, test_utils as fixture, SigCheck};
use gridledger_types::{
    kst_month_start_ms, BindMeter, DeviceKind, Payload, Registers, SiteId, SubmitReadings,
};

const HOUR: u64 = 3_600_000;

fn bench(c: &mut Criterion) {
    let mut chain = fixture::Chain::new(1);
    let day = kst_month_start_ms(202507).unwrap();
    chain.time_ms = day - HOUR;
    let meter = fixture::key(4242);
    let op = chain.operator.clone();
    let owner = chain.user(0);
    for p in [
        SiteBuilder::default()
            .site(SiteId::new("h").unwrap())
            .owner(owner.clone())
            .name("h".into())
            .payload(),
        Payload::RegisterDevice {
            device: fixture::addr(&meter),
            kind: DeviceKind::Meter,
            owner,
            label: "m".into(),
        },
        Payload::BindMeter(BindMeter {
            meter: fixture::addr(&meter),
            site: SiteId::new("h").unwrap(),
        }),
    ] {
        assert!(chain.exec(&op, p).is_success());
    }
    let registers: Vec<Registers> = (0..=24u64)
        .map(|h| Registers {
            import_wh: 10_000 + h * 450,
            export_wh: 2_000 + h * 120,
        })
        .collect();
    let tx = chain.signed(
        &meter,
        Payload::SubmitReadings(SubmitReadings {
            first_interval_start_ms: day,
            interval_ms: HOUR as u32,
            registers,
        }),
    );
    let env = gridledger_execution::BlockEnv {
        chain_id: fixture::chain_id(),
        height: chain.height + 1,
        timestamp_ms: day + 25 * HOUR,
    };
    let txs = vec![tx];
    let out = execute_block(
        &chain.state,
        chain.root,
        env.clone(),
        &txs,
        SigCheck::Verify,
    )
    .unwrap();
    assert!(out.receipts[0].is_success(), "{:?}", out.receipts[0]);
    let mut g = c.benchmark_group("readings");
    for (name, sig) in [
        ("24_hourly_verify", SigCheck::Verify),
        ("24_hourly_preverified", SigCheck::AlreadyVerified),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(
                || env.clone(),
                |env| execute_block(&chain.state, chain.root, env, &txs, sig).unwrap(),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
