//! Bills for many sites: 10,000 and 100,000 sites with varied classes, months and energies.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gridledger_tariff::{bill, TariffClass, TariffSet};
use gridledger_types::EnergyWh;
use std::hint::black_box;

/// Deterministic pseudo-random sites: (class, month, energy, contracted kW).
fn sites(n: usize) -> Vec<(TariffClass, u8, EnergyWh, Option<u32>)> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let class = TariffClass::ALL[(x % 3) as usize];
            let month = (x >> 8) % 12 + 1;
            let energy = match class {
                TariffClass::GeneralLow => (x >> 16) % 20_000_000,
                _ => (x >> 16) % 1_500_000,
            };
            (
                class,
                month as u8,
                EnergyWh(energy),
                Some(((x >> 40) % 200 + 1) as u32),
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let set = TariffSet::kepco().unwrap();
    let mut g = c.benchmark_group("bill");
    for n in [10_000usize, 100_000] {
        let sites = sites(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("sites", n), &sites, |b, sites| {
            b.iter(|| {
                let mut total = 0u64;
                for &(class, month, energy, kw) in sites {
                    total += bill(&set, class, 2025, month, energy, kw).unwrap().total.0;
                }
                black_box(total)
            })
        });
    }
    g.finish();
    c.bench_function("load kepco.json", |b| {
        b.iter(|| black_box(TariffSet::kepco().unwrap()))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
