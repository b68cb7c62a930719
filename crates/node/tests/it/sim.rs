//! Deterministic simulation of our consensus stack: scenarios, the checks after each run, and
//! the tests. A run is a function of its seed (network links, fault plan, workload, every
//! message delay and loss); a failing seed is named in the panic and replays alone with
//! `GRIDLEDGER_SIM_SEED=<seed>`. `GRIDLEDGER_SIM_SEEDS=<count>` changes how many seeds a test runs.
use crate::{
    sim_harness::{finalized_txs, ledger, Byzantine, Ledger, Sim},
    sim_workload::{key, Workload},
};
use commonware_runtime::{deterministic, Clock as _, Runner as _, Supervisor as _};
use gridledger_execution::{check_invariants, Genesis};
use gridledger_types::{Address, ChainId};
use rand::RngExt as _;
use std::{
    collections::BTreeMap,
    panic::{catch_unwind, AssertUnwindSafe},
    time::{Duration, UNIX_EPOCH},
};

/// Genesis time; the deterministic runtime starts its clock here, so chain time is runtime time.
const T0_MS: u64 = 1_750_000_000_000;
const USERS: usize = 6;
/// After the last fault is repaired, every honest node must finalize this many more blocks
/// (beyond the highest height any honest node had then): liveness is back and laggards caught up.
const BLOCKS_AFTER_FAULTS: u64 = 5;
/// A run that has not met its goal after this much simulated time fails.
const DEADLINE: Duration = Duration::from_secs(120);
/// The driver's step: workload and fault plan advance every 20..=120 ms of simulated time.
const STEP_MS: std::ops::RangeInclusive<u64> = 20..=120;

#[derive(Clone, Copy, Debug)]
pub enum Faults {
    /// Only the links' latency, jitter and loss.
    None,
    /// One partition that heals: either up to f nodes cut off (the rest keep finalizing), or a
    /// split where no side has a quorum (nothing finalizes until it heals).
    Partition,
    /// Up to f honest nodes crash at random times and restart from their storage.
    Crash,
    /// One validator (f = 1 of 4) runs a byzantine mock instead of our engine.
    Byzantine(Byzantine),
}

#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    pub name: &'static str,
    /// Validators; `None`: 4 on even seeds, 7 on odd ones.
    pub validators: Option<usize>,
    pub min_height: u64,
    pub faults: Faults,
}

/// What a run produced: compared across runs of one seed.
#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Each honest node's finalized ledger, by validator index.
    pub ledgers: BTreeMap<usize, Ledger>,
    /// Transactions in the longest honest ledger.
    pub txs: u64,
    /// The deterministic runtime's audit digest (every task poll, message and storage access).
    pub audit: String,
    pub simulated_ms: u64,
    /// What the fault plan did, and when (for the log).
    pub events: Vec<String>,
}

enum Event {
    Partition(Vec<bool>),
    Heal,
    Crash(usize),
    Restart(usize),
}

fn random_subset(
    ctx: &mut deterministic::Context,
    n: usize,
    k: usize,
    exclude: &[usize],
) -> Vec<usize> {
    let mut pool: Vec<usize> = (0..n).filter(|i| !exclude.contains(i)).collect();
    let mut out = Vec::with_capacity(k);
    for _ in 0..k.min(pool.len()) {
        out.push(pool.swap_remove(ctx.random_range(0..pool.len())));
    }
    out.sort_unstable();
    out
}

/// The fault plan, from the runtime's seeded randomness: `(ms after start, event)`, in order.
fn plan(ctx: &mut deterministic::Context, n: usize, faults: Faults) -> Vec<(u64, Event)> {
    let f = (n - 1) / 3;
    let mut plan = Vec::new();
    match faults {
        Faults::None | Faults::Byzantine(_) => {}
        Faults::Partition => {
            let at = ctx.random_range(300..=2_000);
            let cut = if ctx.random_range(0..2u8) == 0 {
                let k = ctx.random_range(1..=f);
                random_subset(ctx, n, k, &[])
            } else {
                // No side has 2f+1 of n.
                random_subset(ctx, n, n / 2, &[])
            };
            let side: Vec<bool> = (0..n).map(|i| cut.contains(&i)).collect();
            plan.push((at, Event::Partition(side)));
            plan.push((at + ctx.random_range(1_000..=5_000), Event::Heal));
        }
        Faults::Crash => {
            let count = ctx.random_range(1..=f);
            for i in random_subset(ctx, n, count, &[]) {
                let at = ctx.random_range(300..=3_000);
                plan.push((at, Event::Crash(i)));
                plan.push((at + ctx.random_range(500..=4_000), Event::Restart(i)));
            }
        }
    }
    plan.sort_by_key(|(at, _)| *at);
    plan
}

fn genesis() -> Genesis {
    Genesis {
        chain_id: ChainId::new("gridledger-sim").expect("chain id"),
        genesis_time_ms: T0_MS,
        operator: Address::of(&key(1)),
        operator_name: "operator".into(),
        bank: Address::of(&key(2)),
        bank_name: "bank".into(),
        // Short epochs: every run crosses epoch boundaries (a new simplex instance each time).
        epoch_length: SIM_EPOCH_LENGTH,
    }
}

/// Blocks per epoch in the simulation.
const SIM_EPOCH_LENGTH: u64 = 8;

/// Runs `scenario` with `seed` and checks it; panics (naming nothing: see [run_seeds]) on any
/// failed check.
pub fn run(scenario: &Scenario, seed: u64) -> Outcome {
    // redb commits durably (fsync); on tmpfs that costs nothing and the run is no less real.
    let shm = std::path::Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm)
    } else {
        tempfile::tempdir()
    }
    .expect("tempdir");
    let path = dir.path().to_path_buf();
    let scenario = *scenario;
    let cfg = deterministic::Config::new()
        .with_seed(seed)
        .with_start_time(UNIX_EPOCH + Duration::from_millis(T0_MS))
        .with_timeout(Some(DEADLINE + Duration::from_secs(60)));
    deterministic::Runner::new(cfg).start(|mut ctx| async move {
        let n = scenario
            .validators
            .unwrap_or(if seed.is_multiple_of(2) { 4 } else { 7 });
        let faults = scenario.faults;
        let mut sim = Sim::new(ctx.child("sim"), n, genesis(), path).await;
        let byzantine = match faults {
            Faults::Byzantine(kind) => Some((ctx.random_range(0..n), kind)),
            _ => None,
        };
        for i in 0..n {
            match byzantine {
                Some((b, kind)) if b == i => sim.start_byzantine(i, kind).await,
                _ => sim.start_honest(i),
            }
        }
        let plan = plan(&mut ctx, n, faults);
        let mut workload = Workload::new(genesis().chain_id, key(1), key(2), USERS);
        // Every run crosses at least one epoch boundary.
        let mut goal = scenario.min_height.max(SIM_EPOCH_LENGTH + 2);
        let mut next_event = 0;
        let mut before_crash: BTreeMap<usize, Vec<Ledger>> = BTreeMap::new();
        let mut events = Vec::new();
        if let Some((b, kind)) = byzantine {
            events.push(format!("{kind:?} {b}"));
        }
        let start = ctx.current();
        let elapsed_ms = |ctx: &deterministic::Context| {
            ctx.current()
                .duration_since(start)
                .map_or(0, |d| d.as_millis() as u64)
        };
        loop {
            let step = ctx.random_range(STEP_MS);
            ctx.sleep(Duration::from_millis(step)).await;
            let now = elapsed_ms(&ctx);
            while next_event < plan.len() && plan[next_event].0 <= now {
                let top = sim.up().iter().map(|(_, c)| c.head().height).max();
                let top = top.unwrap_or(0);
                match &plan[next_event].1 {
                    Event::Partition(side) => {
                        sim.partition(side).await;
                        let cut: Vec<usize> = (0..n).filter(|i| side[*i]).collect();
                        events.push(format!("{now}ms h{top} partition {cut:?}"));
                    }
                    Event::Heal => sim.heal().await,
                    Event::Crash(i) => {
                        let had = sim.crash(*i).await;
                        events.push(format!("{now}ms h{top} crash {i} at h{}", had.len() - 1));
                        before_crash.entry(*i).or_default().push(had);
                    }
                    Event::Restart(i) => sim.start_honest(*i),
                }
                if let Event::Heal | Event::Restart(_) = &plan[next_event].1 {
                    goal = goal.max(top + BLOCKS_AFTER_FAULTS);
                    let what = match &plan[next_event].1 {
                        Event::Restart(i) => format!("restart {i}"),
                        _ => "heal".into(),
                    };
                    events.push(format!("{now}ms h{top} {what}, goal h{goal}"));
                }
                next_event += 1;
            }
            let up = sim.up();
            let entries = sim.entry_points();
            if let Some(reference) = entries.iter().max_by_key(|e| e.chain.head().height) {
                let reference = reference.chain.clone();
                workload.step(&mut ctx, &reference, &entries);
            }
            let heights: Vec<u64> = up.iter().map(|(_, c)| c.head().height).collect();
            let honest = (0..n).filter(|i| !sim.is_byzantine(*i)).count();
            if next_event == plan.len()
                && heights.len() == honest
                && heights.iter().all(|h| *h >= goal)
            {
                break;
            }
            assert!(
                now <= DEADLINE.as_millis() as u64,
                "no progress: after {now} ms honest heights {heights:?} (up: {:?}), goal {goal}, \
                 {} of {} planned faults applied",
                up.iter().map(|(i, _)| i).collect::<Vec<_>>(),
                next_event,
                plan.len()
            );
        }
        let simulated_ms = elapsed_ms(&ctx);
        check(&sim, goal, &before_crash, workload.submitted).await;
        let ledgers: BTreeMap<usize, Ledger> =
            sim.up().into_iter().map(|(i, c)| (i, ledger(&c))).collect();
        let txs = sim
            .up()
            .iter()
            .map(|(_, c)| finalized_txs(c))
            .max()
            .unwrap_or(0);
        Outcome {
            ledgers,
            txs,
            audit: ctx.auditor().state(),
            simulated_ms,
            events,
        }
    })
}

/// The checks after a run.
async fn check(sim: &Sim, goal: u64, before_crash: &BTreeMap<usize, Vec<Ledger>>, submitted: u64) {
    let up = sim.up();
    let honest: Vec<usize> = (0..sim.len()).filter(|i| !sim.is_byzantine(*i)).collect();
    assert_eq!(
        up.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        honest,
        "every honest node is up at the end"
    );
    let ledgers: Vec<(usize, Ledger)> = up.iter().map(|(i, c)| (*i, ledger(c))).collect();
    // Liveness: every honest node reached the goal.
    for (i, l) in &ledgers {
        assert!(
            l.len() as u64 > goal,
            "node {i} finalized only up to {} (goal {goal})",
            l.len() - 1
        );
    }
    // Safety: identical block hash and state root at every height all of them finalized.
    let common = ledgers.iter().map(|(_, l)| l.len()).min().unwrap_or(0);
    let (first, reference) = &ledgers[0];
    for (i, l) in &ledgers[1..] {
        for h in 0..common {
            assert_eq!(
                l[h], reference[h],
                "nodes {first} and {i} disagree at height {h} (block hash, state root)"
            );
        }
    }
    // Durability: a restarted node still has everything it had finalized before each crash.
    for (i, crashes) in before_crash {
        let (_, now) = ledgers
            .iter()
            .find(|(j, _)| j == i)
            .expect("a crashed node is up again");
        for had in crashes {
            assert!(
                now.len() >= had.len() && now[..had.len()] == had[..],
                "node {i} lost finalized blocks across a restart: had {} blocks, now {}",
                had.len(),
                now.len()
            );
        }
    }
    // The ledger's own invariants on every node's final state; same height, same state.
    let mut by_height: BTreeMap<u64, (usize, _)> = BTreeMap::new();
    for (i, c) in &up {
        let st = c.read();
        check_invariants(&st.state)
            .unwrap_or_else(|e| panic!("node {i}: ledger invariant broken: {e}"));
        match by_height.get(&st.head.height) {
            Some((j, state)) => assert!(
                *state == st.state,
                "nodes {i} and {j} at height {} hold different states",
                st.head.height
            ),
            None => {
                by_height.insert(st.head.height, (*i, st.state.clone()));
            }
        }
    }
    // The workload went through consensus: some of what was submitted got finalized.
    let txs = up.iter().map(|(_, c)| finalized_txs(c)).max().unwrap_or(0);
    assert!(
        submitted > 0 && txs > 0,
        "no transaction finalized ({submitted} submitted)"
    );
    // Nobody blocked an honest node (equivocation evidence may only be held against a mock).
    let blocked = sim.oracle.blocked().await.expect("network up");
    for (by, whom) in blocked {
        let (by, whom) = (sim.index_of(&by), sim.index_of(&whom));
        assert!(
            whom.is_some_and(|w| sim.is_byzantine(w)),
            "node {by:?} blocked honest node {whom:?}"
        );
    }
}

/// Seeds for a test: `GRIDLEDGER_SIM_SEED` (one seed to replay), else `GRIDLEDGER_SIM_SEEDS`
/// (a count) or `default` seeds from `first`.
fn seeds(first: u64, default: u64) -> Vec<u64> {
    if let Ok(s) = std::env::var("GRIDLEDGER_SIM_SEED") {
        return vec![s.trim().parse().expect("GRIDLEDGER_SIM_SEED must be a u64")];
    }
    let count = std::env::var("GRIDLEDGER_SIM_SEEDS")
        .map(|s| {
            s.trim()
                .parse()
                .expect("GRIDLEDGER_SIM_SEEDS must be a count")
        })
        .unwrap_or(default);
    (first..first + count).collect()
}

/// Runs `scenario` for each seed; a failure names the seed and how to replay it.
fn run_seeds(scenario: &Scenario, seeds: &[u64]) {
    for &seed in seeds {
        let started = std::time::Instant::now();
        match catch_unwind(AssertUnwindSafe(|| run(scenario, seed))) {
            Ok(o) => eprintln!(
                "sim {} seed {seed}: ok, {} honest, heights {:?}, {} txs, {} ms simulated, {} ms real; {}",
                scenario.name,
                o.ledgers.len(),
                o.ledgers.values().map(|l| l.len() - 1).collect::<Vec<_>>(),
                o.txs,
                o.simulated_ms,
                started.elapsed().as_millis(),
                o.events.join("; ")
            ),
            Err(e) => {
                let msg = e
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| e.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)");
                panic!(
                    "sim {} failed with seed {seed}: {msg}\n\
                     replay (every sim test, this seed only): \
                     GRIDLEDGER_SIM_SEED={seed} cargo test -p gridledger-node --test it sim_",
                    scenario.name
                );
            }
        }
    }
}

const LOSSY_4: Scenario = Scenario {
    name: "lossy-4",
    validators: Some(4),
    min_height: 15,
    faults: Faults::None,
};
const LOSSY_7: Scenario = Scenario {
    name: "lossy-7",
    validators: Some(7),
    min_height: 15,
    faults: Faults::None,
};
const PARTITION: Scenario = Scenario {
    name: "partition",
    validators: None,
    min_height: 10,
    faults: Faults::Partition,
};
const CRASH: Scenario = Scenario {
    name: "crash-restart",
    validators: None,
    min_height: 10,
    faults: Faults::Crash,
};
const EQUIVOCATOR: Scenario = Scenario {
    name: "byzantine-equivocator",
    validators: Some(4),
    min_height: 10,
    faults: Faults::Byzantine(Byzantine::Equivocator),
};
const CONFLICTER: Scenario = Scenario {
    name: "byzantine-conflicter",
    validators: Some(4),
    min_height: 10,
    faults: Faults::Byzantine(Byzantine::Conflicter),
};

// Seeds per scenario in the fast (`ci`) profile: 170 runs of about 0.5-1.5 s each (most of it
// is opening and syncing the archives of every node in the in-memory storage), so the suite
// takes about 2 minutes on 2 cores.

#[test]
fn sim_four_validators_lossy_links() {
    run_seeds(&LOSSY_4, &seeds(0, 40));
}

#[test]
fn sim_seven_validators_lossy_links() {
    run_seeds(&LOSSY_7, &seeds(0, 30));
}

#[test]
fn sim_partitions_heal() {
    run_seeds(&PARTITION, &seeds(0, 40));
}

#[test]
fn sim_crashed_nodes_restart_and_catch_up() {
    run_seeds(&CRASH, &seeds(0, 40));
}

#[test]
fn sim_byzantine_equivocator_is_tolerated() {
    run_seeds(&EQUIVOCATOR, &seeds(0, 25));
}

#[test]
fn sim_byzantine_conflicter_is_tolerated() {
    run_seeds(&CONFLICTER, &seeds(0, 25));
}

#[test]
fn sim_same_seed_same_outcome() {
    for scenario in [&CRASH, &EQUIVOCATOR] {
        let mut audits = Vec::new();
        for seed in seeds(0, 2) {
            let a = run(scenario, seed);
            let b = run(scenario, seed);
            assert_eq!(a, b, "sim {} seed {seed}: two runs differ", scenario.name);
            audits.push(a.audit);
        }
        // The audit digest does tell runs apart: different seeds, different runs.
        audits.dedup();
        assert!(
            audits.len() != 1 || seeds(0, 2).len() == 1,
            "sim {}: different seeds gave the same audit digest",
            scenario.name
        );
    }
}

// Many more seeds of every scenario, from seed 1000: `cargo nextest run --profile slow`.
const SLOW_FIRST_SEED: u64 = 1_000;
const SLOW_SEEDS: u64 = 60;

#[test]
fn sim_slow_four_validators_lossy_links() {
    run_seeds(&LOSSY_4, &seeds(SLOW_FIRST_SEED, SLOW_SEEDS));
}

#[test]
fn sim_slow_seven_validators_lossy_links() {
    run_seeds(&LOSSY_7, &seeds(SLOW_FIRST_SEED, SLOW_SEEDS));
}

#[test]
fn sim_slow_partitions_heal() {
    run_seeds(&PARTITION, &seeds(SLOW_FIRST_SEED, SLOW_SEEDS));
}

#[test]
fn sim_slow_crashed_nodes_restart_and_catch_up() {
    run_seeds(&CRASH, &seeds(SLOW_FIRST_SEED, SLOW_SEEDS));
}

#[test]
fn sim_slow_byzantine_equivocator_is_tolerated() {
    run_seeds(&EQUIVOCATOR, &seeds(SLOW_FIRST_SEED, SLOW_SEEDS));
}

#[test]
fn sim_slow_byzantine_conflicter_is_tolerated() {
    run_seeds(&CONFLICTER, &seeds(SLOW_FIRST_SEED, SLOW_SEEDS));
}
