//! `gridledger bench`: register and fund fresh accounts, then submit transfers between them at a
//! paced rate and measure submit-to-finalized latency from the node's SSE block stream.
use super::load_key;
use anyhow::{bail, Context};
use clap::Args;
use futures::StreamExt;
use gridledger_api_types::FinalizedEvent;
use gridledger_sdk::{client::encode_tx_hex, generate_key, now_ms, Client, TxSigner};
use gridledger_types::{
    Address, ChainId, Hash32, MilliWon, Payload, PrivateKey, Role, SignedTransaction, Transaction,
    TxStatus,
};
use rand::RngExt as _;
use serde::Serialize;
use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};
use tokio::{
    sync::{mpsc, Semaphore},
    task::JoinSet,
    time::Instant,
};

/// Name of the node's peak resident set size metric.
const PEAK_RSS_METRIC: &str = "gridledger_process_peak_rss_bytes";

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Node API base URL.
    #[arg(long, env = "GRIDLEDGER_RPC")]
    pub rpc: String,
    /// Key file of the operator (registers the accounts).
    #[arg(long)]
    pub operator_key: PathBuf,
    /// Key file of the bank (funds the accounts).
    #[arg(long)]
    pub bank_key: PathBuf,
    /// Password file for both keys (first line); without it you are prompted for each.
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// Fresh accounts to create (at least 2).
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub accounts: u32,
    /// Target submit rate, transactions per second.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub rate: u64,
    /// Length of the load phase in seconds.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub duration_secs: u64,
    /// Transactions per submit request.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub batch: u32,
    /// Submit requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1_024))]
    pub concurrency: u32,
    /// Node process id, to read its peak RSS from /proc when /metrics does not export it.
    #[arg(long)]
    pub node_pid: Option<u32>,
    /// Won minted to each account during setup.
    #[arg(long, default_value_t = 1_000_000)]
    pub mint_won: u64,
    /// Milli-won moved by each transfer.
    #[arg(long, default_value_t = 1)]
    pub transfer_mwon: u64,
    /// Give up on setup (registration, funding) after this many seconds per step.
    #[arg(long, default_value_t = 120)]
    pub setup_timeout_secs: u64,
    /// After the last submit, wait at most this long for finalization.
    #[arg(long, default_value_t = 30)]
    pub drain_secs: u64,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// What `bench` reports.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub accounts: u32,
    pub target_rate: u64,
    pub duration_secs: u64,
    pub batch: u32,
    pub concurrency: u32,
    /// Transactions sent to the node.
    pub submitted: u64,
    pub accepted: u64,
    /// Refused at submission, by error code.
    pub rejected: BTreeMap<String, u64>,
    /// Pre-signed but not sent because their sender had an earlier rejection (nonce gap).
    pub skipped: u64,
    /// Accepted transactions seen in finalized blocks.
    pub finalized: u64,
    /// Finalized with a failed receipt, by code (included in `finalized`).
    pub failed_receipts: BTreeMap<String, u64>,
    /// Accepted but not seen finalized before giving up.
    pub unfinalized: u64,
    /// Achieved submit rate: submitted / (last submit - first submit).
    pub submit_tps: f64,
    /// finalized / (last finalization - first submit).
    pub finalized_tps: f64,
    pub latency_ms: Latency,
    pub node_peak_rss_bytes: Option<u64>,
    /// `metrics`, `proc` or `unknown`.
    pub node_peak_rss_source: String,
    /// Times the event stream had to be reopened (blocks in between may be missed).
    pub event_stream_reconnects: u64,
}

#[derive(Debug, Default, Serialize, PartialEq)]
pub struct Latency {
    pub p50: Option<u64>,
    pub p90: Option<u64>,
    pub p99: Option<u64>,
    pub max: Option<u64>,
}

impl Latency {
    /// Nearest-rank percentiles of latencies in ms.
    pub fn of(mut ms: Vec<u64>) -> Self {
        ms.sort_unstable();
        let pct = |p: u64| -> Option<u64> {
            if ms.is_empty() {
                return None;
            }
            let rank = (p * ms.len() as u64).div_ceil(100).max(1);
            Some(ms[(rank as usize - 1).min(ms.len() - 1)])
        };
        Self {
            p50: pct(50),
            p90: pct(90),
            p99: pct(99),
            max: ms.last().copied(),
        }
    }
}

pub(crate) type Events = mpsc::UnboundedReceiver<(Instant, FinalizedEvent)>;

/// Reads the event stream into a channel, reopening it when it drops, until the receiver goes.
pub(crate) fn spawn_event_pump(
    client: Client,
    first: impl futures::Stream<Item = gridledger_sdk::Result<FinalizedEvent>> + Send + 'static,
    reconnects: Arc<std::sync::atomic::AtomicU64>,
) -> (Events, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let handle = tokio::spawn(async move {
        let mut stream = first.boxed();
        loop {
            while let Some(item) = stream.next().await {
                match item {
                    Ok(ev) => {
                        if tx.send((Instant::now(), ev)).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        eprintln!("warning: event stream: {e}");
                        break;
                    }
                }
            }
            if tx.is_closed() {
                return;
            }
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                if tx.is_closed() {
                    return;
                }
                match client.events().await {
                    Ok(s) => {
                        reconnects.fetch_add(1, Ordering::Relaxed);
                        eprintln!("warning: event stream reopened; blocks in between are not seen");
                        stream = s.boxed();
                        break;
                    }
                    Err(e) => eprintln!("warning: reopening event stream: {e}"),
                }
            }
        }
    });
    (rx, handle)
}

/// Most setup transactions of one signer in flight at once (the node accepts nonces at most
/// 1,024 ahead of the account's).
const SETUP_WAVE: usize = 1_000;

/// Submits `txs` in batches (all must be accepted) and waits until all are finalized
/// successfully.
pub(crate) async fn setup_step(
    client: &Client,
    what: &str,
    txs: Vec<SignedTransaction>,
    batch: usize,
    events: &mut Events,
    timeout: Duration,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut pending: HashSet<Hash32> = txs.iter().map(|t| t.hash()).collect();
    for chunk in txs.chunks(batch) {
        let resp = client
            .submit_batch(chunk)
            .await
            .with_context(|| format!("setup ({what})"))?;
        for r in resp.results {
            if !r.accepted {
                let (code, message) = r
                    .error
                    .map(|e| (e.code, e.message))
                    .unwrap_or_else(|| ("rejected".into(), String::new()));
                bail!("setup ({what}): transaction rejected: {code}: {message}");
            }
        }
    }
    let deadline = started + timeout;
    while !pending.is_empty() {
        let (_, ev) = match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => bail!(
                "setup ({what}): {} of {} transactions not finalized within {timeout:?}",
                pending.len(),
                txs.len()
            ),
            Ok(None) => bail!("setup ({what}): event stream ended"),
            Ok(Some(ev)) => ev,
        };
        for r in &ev.receipts {
            if pending.remove(&r.tx_hash) {
                if let TxStatus::Failed { code, message } = &r.status {
                    bail!(
                        "setup ({what}): transaction {} failed: {code}: {message}",
                        r.tx_hash
                    );
                }
            }
        }
    }
    eprintln!(
        "setup: {what}: {} transactions finalized in {:.1} s",
        txs.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A pre-signed transfer.
struct Prepared {
    hash: Hash32,
    hex: String,
    sender: usize,
}

/// Signs `total` random transfers between `accounts` on a thread of its own, in batches, ahead
/// of the submitter (the channel's capacity is how far ahead). Senders marked in `poisoned`
/// are no longer used.
#[allow(clippy::too_many_arguments)]
fn spawn_presigner(
    accounts: Arc<Vec<PrivateKey>>,
    chain_id: ChainId,
    total: u64,
    batch: usize,
    amount: MilliWon,
    expires_at_ms: u64,
    poisoned: Arc<Vec<AtomicBool>>,
    out: mpsc::Sender<Vec<Prepared>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let addresses: Vec<Address> = accounts.iter().map(Address::of).collect();
        let mut nonces = vec![0u64; accounts.len()];
        let mut rng = rand::rng();
        let n = accounts.len();
        let mut left = total;
        while left > 0 {
            let size = (batch as u64).min(left) as usize;
            let mut chunk = Vec::with_capacity(size);
            for _ in 0..size {
                let mut from = rng.random_range(0..n);
                let mut tries = 0;
                while poisoned[from].load(Ordering::Relaxed) && tries < n {
                    from = (from + 1) % n;
                    tries += 1;
                }
                let to = (from + rng.random_range(1..n)) % n;
                let tx = Transaction {
                    chain_id: chain_id.clone(),
                    signer: addresses[from].clone(),
                    nonce: nonces[from],
                    expires_at_ms,
                    payload: Payload::Transfer {
                        to: addresses[to].clone(),
                        amount,
                        memo: String::new(),
                    },
                }
                .sign(&accounts[from]);
                nonces[from] += 1;
                chunk.push(Prepared {
                    hash: tx.hash(),
                    hex: encode_tx_hex(&tx),
                    sender: from,
                });
            }
            left -= size as u64;
            if out.blocking_send(chunk).is_err() {
                return;
            }
        }
    })
}

#[derive(Default)]
struct SubmitStats {
    submitted: u64,
    accepted: u64,
    rejected: BTreeMap<String, u64>,
    skipped: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

/// Shared between the submitter and the collector: submit time of every accepted (or in
/// flight) transaction not yet seen finalized.
type Pending = Arc<Mutex<HashMap<Hash32, Instant>>>;

#[allow(clippy::too_many_arguments)]
async fn submit_loop(
    client: Client,
    mut batches: mpsc::Receiver<Vec<Prepared>>,
    rate: u64,
    batch: u32,
    duration: Duration,
    concurrency: u32,
    pending: Pending,
    poisoned: Arc<Vec<AtomicBool>>,
    stats: Arc<Mutex<SubmitStats>>,
) {
    let period = Duration::from_secs_f64(batch as f64 / rate as f64);
    let sem = Arc::new(Semaphore::new(concurrency as usize));
    let start = Instant::now();
    let end = start + duration;
    let mut tasks = JoinSet::new();
    for i in 0u32.. {
        let target = start + period.mul_f64(i as f64);
        if target >= end {
            break;
        }
        tokio::time::sleep_until(target).await;
        let Ok(permit) = sem.clone().acquire_owned().await else {
            break;
        };
        if Instant::now() >= end {
            break;
        }
        let Some(chunk) = batches.recv().await else {
            break;
        };
        let mut hexes = Vec::with_capacity(chunk.len());
        let mut sent = Vec::with_capacity(chunk.len());
        let now = Instant::now();
        {
            let mut p = pending.lock().unwrap_or_else(|e| e.into_inner());
            let mut s = stats.lock().unwrap_or_else(|e| e.into_inner());
            for tx in chunk {
                if poisoned[tx.sender].load(Ordering::Relaxed) {
                    s.skipped += 1;
                    continue;
                }
                p.insert(tx.hash, now);
                hexes.push(tx.hex);
                sent.push((tx.hash, tx.sender));
            }
            s.submitted += sent.len() as u64;
            s.first.get_or_insert(now);
            s.last = Some(now);
        }
        if sent.is_empty() {
            continue;
        }
        let client = client.clone();
        let pending = pending.clone();
        let poisoned = poisoned.clone();
        let stats = stats.clone();
        tasks.spawn(async move {
            let result = client.submit_hex_batch(hexes).await;
            drop(permit);
            // One rejection code (or None if accepted) per sent transaction.
            let outcomes: Vec<Option<String>> = match result {
                Ok(resp) if resp.results.len() == sent.len() => resp
                    .results
                    .into_iter()
                    .map(|r| (!r.accepted).then(|| r.error.map_or("rejected".into(), |e| e.code)))
                    .collect(),
                Ok(_) => vec![Some("bad_response".into()); sent.len()],
                Err(e) => vec![Some(e.api_code().unwrap_or("http_error").to_string()); sent.len()],
            };
            let mut p = pending.lock().unwrap_or_else(|e| e.into_inner());
            let mut s = stats.lock().unwrap_or_else(|e| e.into_inner());
            for ((hash, sender), outcome) in sent.iter().zip(outcomes) {
                match outcome {
                    None => s.accepted += 1,
                    Some(code) => {
                        p.remove(hash);
                        poisoned[*sender].store(true, Ordering::Relaxed);
                        *s.rejected.entry(code).or_default() += 1;
                    }
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

/// Peak RSS of the node: the metric if exported, else /proc/PID/status VmHWM.
async fn node_peak_rss(client: &Client, pid: Option<u32>) -> (Option<u64>, &'static str) {
    if let Ok(text) = client.metrics_text().await {
        if let Some(v) = metric_value(&text, PEAK_RSS_METRIC) {
            return (Some(v), "metrics");
        }
    }
    if let Some(pid) = pid {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if let Some(v) = vm_hwm_bytes(&status) {
                return (Some(v), "proc");
            }
        }
    }
    (None, "unknown")
}

/// The value of an (unlabelled or first labelled) sample of `name` in Prometheus text.
pub fn metric_value(text: &str, name: &str) -> Option<u64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let mut parts = l.split_whitespace();
        let series = parts.next()?;
        let value = parts.next()?;
        let base = series.split('{').next()?;
        (base == name)
            .then(|| value.parse::<f64>().ok())
            .flatten()
            .filter(|v| v.is_finite() && *v >= 0.0)
            .map(|v| v as u64)
    })
}

/// `VmHWM` of a /proc/PID/status text, in bytes.
pub fn vm_hwm_bytes(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line["VmHWM:".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    kb.checked_mul(1024)
}

pub async fn run(a: BenchArgs) -> anyhow::Result<()> {
    let client = Client::new(&a.rpc)?;
    let status = client.status().await?;
    let chain_id = ChainId::new(status.chain_id.clone())?;
    let operator = load_key(&a.operator_key, a.password_file.as_ref())?;
    let bank = load_key(&a.bank_key, a.password_file.as_ref())?;
    let mut operator = TxSigner::connect(&client, operator, Some(chain_id.clone())).await?;
    let mut bank = TxSigner::connect(&client, bank, Some(chain_id.clone())).await?;
    // Receipts on the event stream and transaction reads need an entitled role: the operator.
    let client = operator.reads(&client);
    let mint = MilliWon::from_won(a.mint_won).context("--mint-won overflows")?;

    let n = a.accounts as usize;
    let accounts: Arc<Vec<PrivateKey>> =
        Arc::new((0..n).map(|_| generate_key()).collect::<Result<_, _>>()?);
    let poisoned: Arc<Vec<AtomicBool>> = Arc::new((0..n).map(|_| AtomicBool::new(false)).collect());

    // Pre-sign the load while setup runs.
    let total = a.rate.saturating_mul(a.duration_secs);
    let ahead = ((5 * a.rate) / a.batch as u64).clamp(2, 10_000) as usize;
    let (batch_tx, batch_rx) = mpsc::channel(ahead);
    let load_expiry = operator.chain_now_ms()
        + (2 * a.setup_timeout_secs + a.duration_secs + a.drain_secs + 600) * 1_000;
    let presigner = spawn_presigner(
        accounts.clone(),
        chain_id.clone(),
        total,
        a.batch as usize,
        MilliWon(a.transfer_mwon),
        load_expiry,
        poisoned.clone(),
        batch_tx,
    );

    let reconnects = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let stream = client.events().await.context("opening the event stream")?;
    let (mut events, pump) = spawn_event_pump(client.clone(), stream, reconnects.clone());

    let setup_timeout = Duration::from_secs(a.setup_timeout_secs);
    let registrations: Vec<_> = accounts
        .iter()
        .enumerate()
        .map(|(i, k)| {
            operator.sign(
                Payload::RegisterParticipant {
                    account: Address::of(k),
                    role: Role::Consumer,
                    name: format!("bench-{i}"),
                },
                None,
            )
        })
        .collect();
    let batch = a.batch as usize;
    // One signer's pending nonces may run at most 1,024 ahead on the node: set up in waves.
    for wave in registrations.chunks(SETUP_WAVE) {
        setup_step(
            &client,
            "register",
            wave.to_vec(),
            batch,
            &mut events,
            setup_timeout,
        )
        .await?;
    }
    let mints: Vec<_> = accounts
        .iter()
        .enumerate()
        .map(|(i, k)| {
            bank.sign(
                Payload::Mint {
                    to: Address::of(k),
                    amount: mint,
                    bank_ref: format!("bench-{}-{i}", now_ms()),
                },
                None,
            )
        })
        .collect();
    for wave in mints.chunks(SETUP_WAVE) {
        setup_step(
            &client,
            "mint",
            wave.to_vec(),
            batch,
            &mut events,
            setup_timeout,
        )
        .await?;
    }

    // Load.
    eprintln!(
        "load: {total} transfers at {} tx/s for {} s",
        a.rate, a.duration_secs
    );
    let pending: Pending = Arc::default();
    let stats: Arc<Mutex<SubmitStats>> = Arc::default();
    let mut submitter = tokio::spawn(submit_loop(
        client.clone(),
        batch_rx,
        a.rate,
        a.batch,
        Duration::from_secs(a.duration_secs),
        a.concurrency,
        pending.clone(),
        poisoned.clone(),
        stats.clone(),
    ));
    let mut latencies: Vec<u64> = Vec::new();
    let mut failed_receipts: BTreeMap<String, u64> = BTreeMap::new();
    let mut last_final: Option<Instant> = None;
    let mut submit_done = false;
    let mut events_open = true;
    let far = Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let mut drain_deadline = far;
    loop {
        tokio::select! {
            _ = &mut submitter, if !submit_done => {
                submit_done = true;
                let last = stats.lock().unwrap_or_else(|e| e.into_inner()).last;
                drain_deadline = last.unwrap_or_else(Instant::now) + Duration::from_secs(a.drain_secs);
            }
            ev = events.recv(), if events_open => match ev {
                Some((at, ev)) => {
                    let mut p = pending.lock().unwrap_or_else(|e| e.into_inner());
                    for r in &ev.receipts {
                        if let Some(sent) = p.remove(&r.tx_hash) {
                            latencies.push(at.saturating_duration_since(sent).as_millis() as u64);
                            last_final = Some(at);
                            if let TxStatus::Failed { code, .. } = &r.status {
                                *failed_receipts.entry(code.clone()).or_default() += 1;
                            }
                        }
                    }
                }
                None => events_open = false,
            },
            _ = tokio::time::sleep_until(drain_deadline), if submit_done => break,
        }
        if submit_done
            && (!events_open || pending.lock().unwrap_or_else(|e| e.into_inner()).is_empty())
        {
            break;
        }
    }
    drop(events);
    pump.abort();
    // The pre-signer stops when its channel closes (the submitter dropped the receiver).
    let _ = tokio::task::spawn_blocking(move || presigner.join()).await;

    let (rss, rss_source) = node_peak_rss(&client, a.node_pid).await;
    let s = stats.lock().unwrap_or_else(|e| e.into_inner());
    let unfinalized = pending.lock().unwrap_or_else(|e| e.into_inner()).len() as u64;
    let secs = |from: Option<Instant>, to: Option<Instant>| match (from, to) {
        (Some(f), Some(t)) if t > f => t.duration_since(f).as_secs_f64(),
        _ => 0.0,
    };
    let rate = |count: u64, secs: f64| if secs > 0.0 { count as f64 / secs } else { 0.0 };
    let finalized = latencies.len() as u64;
    let report = Report {
        accounts: a.accounts,
        target_rate: a.rate,
        duration_secs: a.duration_secs,
        batch: a.batch,
        concurrency: a.concurrency,
        submitted: s.submitted,
        accepted: s.accepted,
        rejected: s.rejected.clone(),
        skipped: s.skipped,
        finalized,
        failed_receipts,
        unfinalized,
        submit_tps: rate(s.submitted, secs(s.first, s.last)),
        finalized_tps: rate(finalized, secs(s.first, last_final)),
        latency_ms: Latency::of(latencies),
        node_peak_rss_bytes: rss,
        node_peak_rss_source: rss_source.into(),
        event_stream_reconnects: reconnects.load(Ordering::Relaxed),
    };
    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        print_table(&report);
    }
    Ok(())
}

fn counts(m: &BTreeMap<String, u64>) -> String {
    if m.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = m.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    format!("  ({})", parts.join(", "))
}

fn print_table(r: &Report) {
    let ms = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
    let rejected: u64 = r.rejected.values().sum();
    let failed: u64 = r.failed_receipts.values().sum();
    println!(
        "bench: {} accounts, target {} tx/s for {} s, batch {}, concurrency {}",
        r.accounts, r.target_rate, r.duration_secs, r.batch, r.concurrency
    );
    println!("{:<22}{}", "submitted", r.submitted);
    println!("{:<22}{}", "accepted", r.accepted);
    println!("{:<22}{}{}", "rejected", rejected, counts(&r.rejected));
    println!("{:<22}{}", "skipped", r.skipped);
    println!("{:<22}{}", "finalized", r.finalized);
    println!(
        "{:<22}{}{}",
        "failed receipts",
        failed,
        counts(&r.failed_receipts)
    );
    println!("{:<22}{}", "unfinalized", r.unfinalized);
    println!("{:<22}{:.1}", "submit tx/s", r.submit_tps);
    println!("{:<22}{:.1}", "finalized tx/s", r.finalized_tps);
    println!("{:<22}{}", "latency p50 ms", ms(r.latency_ms.p50));
    println!("{:<22}{}", "latency p90 ms", ms(r.latency_ms.p90));
    println!("{:<22}{}", "latency p99 ms", ms(r.latency_ms.p99));
    println!("{:<22}{}", "latency max ms", ms(r.latency_ms.max));
    match r.node_peak_rss_bytes {
        Some(b) => println!(
            "{:<22}{:.1} MiB ({})",
            "node peak RSS",
            b as f64 / (1024.0 * 1024.0),
            r.node_peak_rss_source
        ),
        None => println!("{:<22}unknown", "node peak RSS"),
    }
    if r.event_stream_reconnects > 0 {
        println!("{:<22}{}", "event reconnects", r.event_stream_reconnects);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        b: BenchArgs,
    }

    #[test]
    fn parses_with_defaults_and_bounds() {
        let base = [
            "t",
            "--rpc",
            "http://n:1",
            "--operator-key",
            "op.json",
            "--bank-key",
            "bank.json",
            "--password-file",
            "pw",
        ];
        let t = T::try_parse_from(base).unwrap();
        let b = t.b;
        assert_eq!(
            (b.accounts, b.rate, b.duration_secs, b.batch, b.concurrency),
            (200, 1000, 20, 100, 4)
        );
        assert_eq!(b.node_pid, None);
        assert!(!b.json);
        let mut v = base.to_vec();
        v.extend([
            "--accounts",
            "10",
            "--rate",
            "50",
            "--node-pid",
            "42",
            "--json",
        ]);
        let b = T::try_parse_from(v).unwrap().b;
        assert_eq!(
            (b.accounts, b.rate, b.node_pid, b.json),
            (10, 50, Some(42), true)
        );
        for bad in [
            ["--accounts", "1"],
            ["--rate", "0"],
            ["--batch", "0"],
            ["--concurrency", "0"],
        ] {
            let mut v = base.to_vec();
            v.extend(bad);
            assert!(T::try_parse_from(v).is_err(), "{bad:?}");
        }
        assert!(T::try_parse_from(["t", "--rpc", "http://n:1"]).is_err());
    }

    #[test]
    fn percentiles() {
        assert_eq!(Latency::of(vec![]), Latency::default());
        let l = Latency::of((1..=100).rev().collect());
        assert_eq!(
            l,
            Latency {
                p50: Some(50),
                p90: Some(90),
                p99: Some(99),
                max: Some(100)
            }
        );
        let l = Latency::of(vec![7]);
        assert_eq!((l.p50, l.p99, l.max), (Some(7), Some(7), Some(7)));
    }

    #[test]
    fn metric_and_proc_parsing() {
        let text = "# HELP gridledger_process_peak_rss_bytes peak\n# TYPE gridledger_process_peak_rss_bytes gauge\ngridledger_process_peak_rss_bytes_total 1\ngridledger_process_peak_rss_bytes 1.2345e8\ngridledger_process_rss_bytes 5\n";
        assert_eq!(metric_value(text, PEAK_RSS_METRIC), Some(123_450_000));
        assert_eq!(metric_value(text, "gridledger_process_rss_bytes"), Some(5));
        assert_eq!(metric_value("x 1\n", PEAK_RSS_METRIC), None);
        assert_eq!(
            metric_value(
                "gridledger_process_peak_rss_bytes{node=\"a\"} 10\n",
                PEAK_RSS_METRIC
            ),
            Some(10)
        );
        let status = "Name:\tgridledger\nVmPeak:\t  200 kB\nVmHWM:\t    1024 kB\nVmRSS:\t 512 kB\n";
        assert_eq!(vm_hwm_bytes(status), Some(1024 * 1024));
        assert_eq!(vm_hwm_bytes("Name: x\n"), None);
    }

    #[test]
    fn presigner_signs_valid_transfers_with_per_account_nonces() {
        let keys: Vec<PrivateKey> = (0..3).map(|_| generate_key().unwrap()).collect();
        let accounts = Arc::new(keys);
        let poisoned: Arc<Vec<AtomicBool>> =
            Arc::new((0..3).map(|_| AtomicBool::new(false)).collect());
        poisoned[2].store(true, Ordering::Relaxed);
        let (tx, mut rx) = mpsc::channel(100);
        let h = spawn_presigner(
            accounts.clone(),
            ChainId::new("test").unwrap(),
            25,
            10,
            MilliWon(1),
            1_000,
            poisoned,
            tx,
        );
        h.join().unwrap();
        let mut sizes = vec![];
        let mut next = [0u64; 3];
        while let Ok(chunk) = rx.try_recv() {
            sizes.push(chunk.len());
            for p in chunk {
                assert_ne!(p.sender, 2, "poisoned sender used");
                let bytes = hex::decode(&p.hex).unwrap();
                let tx = <SignedTransaction as gridledger_types::DecodeExt<()>>::decode(
                    bytes.as_slice(),
                )
                .unwrap();
                assert!(tx.verify_signature());
                assert_eq!(tx.hash(), p.hash);
                assert_eq!(tx.tx.nonce, next[p.sender]);
                next[p.sender] += 1;
                let Payload::Transfer { to, .. } = &tx.tx.payload else {
                    panic!()
                };
                assert_ne!(to, &tx.tx.signer);
            }
        }
        assert_eq!(sizes, vec![10, 10, 5]);
    }
}
