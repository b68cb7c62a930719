//! `gridledger bench-reads`: the latency of `GET /api/v1/accounts/{address}` as a client sees
//! it, signed (`--key`: the client signs every request, the node verifies it and looks the key
//! up before answering) or unsigned (as every read was before read authorization; against a
//! node of this version an unsigned read of an account is refused, so the baseline is measured
//! against an older node). Requests go back to back on `--concurrency` keep-alive connections.
use super::{bench::Latency, load_key};
use anyhow::{bail, Context};
use clap::Args;
use gridledger_sdk::Client;
use gridledger_types::{Address, ReadAuth};
use serde::Serialize;
use std::{
    path::PathBuf,
    time::{Duration, Instant},
};

#[derive(Debug, Args)]
pub struct BenchReadsArgs {
    /// Node API base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "GRIDLEDGER_RPC")]
    pub rpc: String,
    /// Sign every read with this encrypted key file; without it the reads are unsigned.
    #[arg(long)]
    pub key: Option<PathBuf>,
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// The account to read (default: the key's own; required without --key).
    #[arg(long)]
    pub account: Option<Address>,
    /// Measured requests (after the warm-up).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub requests: u64,
    /// Requests sent before measuring (connections, caches).
    #[arg(long, default_value_t = 1_000)]
    pub warmup: u64,
    /// Connections sending requests back to back.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=256))]
    pub concurrency: u64,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
pub struct ReadsReport {
    pub signed: bool,
    pub requests: u64,
    pub concurrency: u64,
    /// Latency per request in microseconds (client-side: signing included when signed).
    pub latency_us: Latency,
    pub mean_us: u64,
    pub requests_per_sec: f64,
    /// What signing one header costs the client, in microseconds (mean of 1,000).
    pub client_sign_us: Option<f64>,
}

/// One connection's share: `n` reads, each one's latency in microseconds.
async fn reads(client: Client, account: Address, n: u64) -> anyhow::Result<Vec<u64>> {
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let t = Instant::now();
        client
            .account(&account)
            .await
            .context("reading the account")?;
        out.push(t.elapsed().as_micros() as u64);
    }
    Ok(out)
}

async fn round(
    client: &Client,
    account: &Address,
    total: u64,
    conns: u64,
) -> anyhow::Result<(Vec<u64>, Duration)> {
    let start = Instant::now();
    let tasks: Vec<_> = (0..conns)
        .map(|i| {
            let n = total / conns + u64::from(i < total % conns);
            tokio::spawn(reads(client.clone(), account.clone(), n))
        })
        .collect();
    let mut all = Vec::with_capacity(total as usize);
    for t in tasks {
        all.extend(t.await.context("a reader task failed")??);
    }
    Ok((all, start.elapsed()))
}

pub async fn run(a: BenchReadsArgs) -> anyhow::Result<()> {
    let client = Client::new(&a.rpc)?;
    let chain_id = client.status().await?.chain_id;
    let (client, account, sign_us) = match &a.key {
        Some(path) => {
            let key = load_key(path, a.password_file.as_ref())?;
            let account = a.account.clone().unwrap_or_else(|| Address::of(&key));
            let t = Instant::now();
            for i in 0..1_000u64 {
                let _ = ReadAuth::sign(&key, &chain_id, "GET", "/api/v1/accounts/x", i);
            }
            let sign_us = t.elapsed().as_secs_f64() * 1e6 / 1_000.0;
            (
                client.with_signer_on(key, &chain_id),
                account,
                Some(sign_us),
            )
        }
        None => match &a.account {
            Some(acc) => (client, acc.clone(), None),
            None => bail!("give --account ADDRESS (or --key to read the key's own account)"),
        },
    };
    round(&client, &account, a.warmup, a.concurrency).await?;
    let (us, took) = round(&client, &account, a.requests, a.concurrency).await?;
    let mean_us = us.iter().sum::<u64>() / us.len().max(1) as u64;
    let report = ReadsReport {
        signed: a.key.is_some(),
        requests: a.requests,
        concurrency: a.concurrency,
        latency_us: Latency::of(us),
        mean_us,
        requests_per_sec: a.requests as f64 / took.as_secs_f64(),
        client_sign_us: sign_us,
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let l = &report.latency_us;
        let show = |v: Option<u64>| v.map_or("-".to_string(), |x| x.to_string());
        println!(
            "{} GET /api/v1/accounts/{account}: {} requests, {} connections",
            if report.signed { "signed" } else { "unsigned" },
            report.requests,
            report.concurrency
        );
        println!(
            "latency_us p50 {} p90 {} p99 {} max {} mean {}",
            show(l.p50),
            show(l.p90),
            show(l.p99),
            show(l.max),
            report.mean_us
        );
        println!("requests_per_sec {:.0}", report.requests_per_sec);
        if let Some(s) = report.client_sign_us {
            println!("client_sign_us {s:.1}");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        a: BenchReadsArgs,
    }

    #[test]
    fn parses_with_defaults_and_bounds() {
        let t = T::try_parse_from(["t", "--rpc", "http://x:1", "--key", "k.json"]).unwrap();
        assert_eq!(
            (t.a.requests, t.a.warmup, t.a.concurrency),
            (20_000, 1_000, 4)
        );
        assert!(T::try_parse_from(["t", "--rpc", "http://x:1", "--concurrency", "0"]).is_err());
        assert!(T::try_parse_from(["t", "--rpc", "http://x:1", "--requests", "0"]).is_err());
    }
}
