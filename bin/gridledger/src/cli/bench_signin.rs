//! `gridledger bench-signin`: many clients signing in to one node's dashboard at once.
//!
//! `--concurrency` workers sign in (right password) back to back for `--duration-secs`,
//! spreading over `--logins` (one password check runs at a time per login, so one login alone
//! measures one derivation at a time). Reports successful sign-ins per second, the answers by
//! status and code (`busy` 503 beyond the node's derivation queue, `rate_limited` /
//! `locked_out` 429), latency percentiles, and the node's resident memory before, at its
//! highest sample during the run, and a few seconds after (from its `/metrics`).
use super::{bench::metric_value, bench::Latency, client, password_from_file};
use anyhow::bail;
use clap::Args;
use gridledger_sdk::{Client, Error};
use serde::Serialize;
use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};
use tokio::time::Instant;

const RSS_METRIC: &str = "gridledger_process_rss_bytes";
const PEAK_RSS_METRIC: &str = "gridledger_process_peak_rss_bytes";
const DERIVATIONS_METRIC: &str = "gridledger_kdf_derivations_total";

#[derive(Debug, Args)]
pub struct BenchSigninArgs {
    /// Node API base URL.
    #[arg(long, env = "GRIDLEDGER_RPC")]
    pub rpc: Option<String>,
    /// Logins to sign in as, comma-separated (worker i uses login i mod n), all with the
    /// password in --password-file.
    #[arg(long, value_delimiter = ',', required = true)]
    pub logins: Vec<String>,
    #[arg(long)]
    pub password_file: PathBuf,
    /// Sign-ins in flight at once.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub concurrency: u64,
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3_600))]
    pub duration_secs: u64,
    /// Seconds to wait after the run before reading the node's memory again.
    #[arg(long, default_value_t = 5)]
    pub settle_secs: u64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub concurrency: u64,
    pub duration_secs: f64,
    pub attempts: u64,
    pub signed_in: u64,
    pub signed_in_per_sec: f64,
    /// `status code` -> count of every refused attempt (e.g. `503 busy`, `429 rate_limited`).
    pub refused: BTreeMap<String, u64>,
    /// Transport failures (connection refused or reset, timeouts).
    pub transport_errors: u64,
    pub latency_ms_signed_in: Latency,
    pub latency_ms_all: Latency,
    /// Key derivations the node ran during the run.
    pub derivations: Option<u64>,
    pub node_rss_before_bytes: Option<u64>,
    /// The highest of the node's RSS sampled every 100 ms during the run.
    pub node_rss_max_sampled_bytes: Option<u64>,
    pub node_rss_after_bytes: Option<u64>,
    /// The node's peak RSS since it started (`VmHWM`), read after the run.
    pub node_peak_rss_bytes: Option<u64>,
}

async fn metrics(c: &Client) -> Option<String> {
    c.metrics_text().await.ok()
}

#[derive(Default)]
struct Tally {
    ok_ms: Vec<u64>,
    all_ms: Vec<u64>,
    refused: BTreeMap<String, u64>,
    transport: u64,
}

pub async fn run(a: BenchSigninArgs) -> anyhow::Result<()> {
    let c = client(a.rpc.as_deref())?;
    if a.logins.iter().any(|l| l.is_empty()) {
        bail!("--logins has an empty login");
    }
    let password = password_from_file(&a.password_file)?;
    // One check of the password before loading the node with it.
    if let Err(e) = c.sign_in(&a.logins[0], &password).await {
        bail!("the password does not sign in as {}: {e}", a.logins[0]);
    }
    let before = metrics(&c).await;
    let rss_before = before.as_deref().and_then(|t| metric_value(t, RSS_METRIC));
    let derived_before = before
        .as_deref()
        .and_then(|t| metric_value(t, DERIVATIONS_METRIC));

    let stop = Arc::new(AtomicBool::new(false));
    let max_rss = Arc::new(AtomicU64::new(rss_before.unwrap_or(0)));
    let sampler = {
        let (c, stop, max_rss) = (c.clone(), stop.clone(), max_rss.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                if let Some(v) = metrics(&c).await.and_then(|t| metric_value(&t, RSS_METRIC)) {
                    max_rss.fetch_max(v, Ordering::SeqCst);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    let until = started + Duration::from_secs(a.duration_secs);
    let mut workers = tokio::task::JoinSet::new();
    for i in 0..a.concurrency {
        let login = a.logins[(i as usize) % a.logins.len()].clone();
        let (c, password, tally) = (c.clone(), password.clone(), tally.clone());
        workers.spawn(async move {
            while Instant::now() < until {
                let t = Instant::now();
                let r = c.sign_in(&login, &password).await;
                let ms = t.elapsed().as_millis() as u64;
                let refused = r.is_err();
                {
                    let mut s = tally.lock().unwrap_or_else(|p| p.into_inner());
                    s.all_ms.push(ms);
                    match r {
                        Ok(_) => s.ok_ms.push(ms),
                        Err(Error::Api { status, code, .. }) => {
                            *s.refused.entry(format!("{status} {code}")).or_default() += 1;
                        }
                        Err(_) => s.transport += 1,
                    }
                }
                if refused {
                    // A refusal comes back at once: do not spin on it.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
    let elapsed = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::SeqCst);
    let _ = sampler.await;
    tokio::time::sleep(Duration::from_secs(a.settle_secs)).await;
    let after = metrics(&c).await;
    let s = std::mem::take(&mut *tally.lock().unwrap_or_else(|p| p.into_inner()));
    let signed_in = s.ok_ms.len() as u64;
    let r = Report {
        concurrency: a.concurrency,
        duration_secs: elapsed,
        attempts: s.all_ms.len() as u64,
        signed_in,
        signed_in_per_sec: signed_in as f64 / elapsed.max(0.001),
        refused: s.refused,
        transport_errors: s.transport,
        latency_ms_signed_in: Latency::of(s.ok_ms),
        latency_ms_all: Latency::of(s.all_ms),
        derivations: after
            .as_deref()
            .and_then(|t| metric_value(t, DERIVATIONS_METRIC))
            .zip(derived_before)
            .map(|(a, b)| a.saturating_sub(b)),
        node_rss_before_bytes: rss_before,
        node_rss_max_sampled_bytes: Some(max_rss.load(Ordering::SeqCst)).filter(|v| *v > 0),
        node_rss_after_bytes: after.as_deref().and_then(|t| metric_value(t, RSS_METRIC)),
        node_peak_rss_bytes: after
            .as_deref()
            .and_then(|t| metric_value(t, PEAK_RSS_METRIC)),
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    let mib = |v: Option<u64>| {
        v.map_or("-".to_string(), |b| {
            format!("{:.1} MiB", b as f64 / 1_048_576.0)
        })
    };
    let ms = |v: Option<u64>| v.map_or("-".to_string(), |m| m.to_string());
    println!("{:<26}{}", "concurrency", r.concurrency);
    println!("{:<26}{:.1}", "duration s", r.duration_secs);
    println!("{:<26}{}", "attempts", r.attempts);
    println!("{:<26}{}", "signed in", r.signed_in);
    println!("{:<26}{:.1}", "signed in per s", r.signed_in_per_sec);
    for (k, n) in &r.refused {
        println!("{:<26}{n}", format!("refused {k}"));
    }
    println!("{:<26}{}", "transport errors", r.transport_errors);
    println!("{:<26}{}", "derivations", ms(r.derivations));
    println!(
        "{:<26}{}",
        "signed-in p50 ms",
        ms(r.latency_ms_signed_in.p50)
    );
    println!(
        "{:<26}{}",
        "signed-in p99 ms",
        ms(r.latency_ms_signed_in.p99)
    );
    println!("{:<26}{}", "all answers p50 ms", ms(r.latency_ms_all.p50));
    println!("{:<26}{}", "all answers p99 ms", ms(r.latency_ms_all.p99));
    println!("{:<26}{}", "node RSS before", mib(r.node_rss_before_bytes));
    println!(
        "{:<26}{}",
        "node RSS max (sampled)",
        mib(r.node_rss_max_sampled_bytes)
    );
    println!("{:<26}{}", "node RSS after", mib(r.node_rss_after_bytes));
    println!(
        "{:<26}{}",
        "node peak RSS (VmHWM)",
        mib(r.node_peak_rss_bytes)
    );
    Ok(())
}
