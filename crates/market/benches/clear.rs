//! `clear` on 100,000 and 1,000,000 random orders (half sells, half buys, overlapping price
//! ranges, 10,000 participants on both sides, 50 feeders), for both pricing rules and with the
//! feeder preference.
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use gridledger_market::{clear, ClearingConfig, Order, PricingRule, Side};
use gridledger_types::{EnergyWh, PriceMilliWonPerKwh};

/// A small deterministic generator (SplitMix64) so the bench needs no rand dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn book(n: usize, seed: u64) -> Vec<Order<u32>> {
    let mut rng = Rng(seed);
    (0..n as u64)
        .map(|id| {
            let side = if rng.below(2) == 0 {
                Side::Sell
            } else {
                Side::Buy
            };
            // Sells 100..250 won/kWh, buys 120..270 won/kWh, in milli-won.
            let base = if side == Side::Sell { 100_000 } else { 120_000 };
            Order {
                id,
                participant: rng.below(10_000) as u32,
                side,
                energy: EnergyWh(1 + rng.below(20_000)),
                limit: PriceMilliWonPerKwh(base + rng.below(150_000)),
                seq: rng.below(1 << 40),
                feeder: rng.below(50) as u32,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("clear");
    g.sample_size(10);
    for n in [100_000usize, 1_000_000] {
        let orders = book(n, 42);
        for (name, rule, feeder) in [
            ("uniform", PricingRule::Uniform, false),
            ("pay_as_bid", PricingRule::PayAsBid, false),
            ("uniform_feeder", PricingRule::Uniform, true),
        ] {
            let cfg = ClearingConfig {
                rule,
                prefer_same_feeder: feeder,
                ..ClearingConfig::default()
            };
            let out = clear(&orders, &cfg).expect("valid book");
            assert!(!out.matches.is_empty());
            g.bench_function(format!("{name}/{n}"), |b| {
                b.iter_batched(
                    || (),
                    |()| clear(&orders, &cfg).expect("valid book"),
                    BatchSize::PerIteration,
                )
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
