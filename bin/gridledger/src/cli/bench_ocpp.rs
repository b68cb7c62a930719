//! `gridledger bench-ocpp`: many simulated OCPP 1.6 chargers against one node.
//!
//! Phase 1 (connections): `--chargers` chargers connect at `--connect-rate` per second, each
//! boots and reports its connector, then all are held for `--hold-secs`: connections held,
//! failures, and the node's resident memory growth per connection (`/proc/PID/status`).
//! Phase 2 (sessions): `--members` members with an auto-charge authorisation charge at
//! `--session-rate` per second for `--session-secs` (Authorize -> the operator's prepayment,
//! final before `Accepted`; StartTransaction; 2 MeterValues; StopTransaction -> the outbox's
//! cancel + settle); a session counts when its `ChargingSettled` event reaches the SSE stream.
use super::{bench::spawn_event_pump, load_key};
use anyhow::{bail, Context};
use clap::Args;
use gridledger_agents::ocpp_client::Charger;
use gridledger_sdk::{Client, TxSigner};
use gridledger_types::{
    ChargerId, ChargerKind, Event, MilliWon, Payload, PriceMilliWonPerKwh, RegisterCharger,
    TxStatus,
};
use serde::Serialize;
use serde_json::json;
use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};
use tokio::{sync::Notify, time::Instant};

#[derive(Debug, Args)]
pub struct BenchOcppArgs {
    /// Node API base URL.
    #[arg(long, env = "GRIDLEDGER_RPC")]
    pub rpc: String,
    /// OCPP base URL (chargers connect to `<URL>/<chargerId>`).
    #[arg(long, default_value = "ws://127.0.0.1:9000/ocpp")]
    pub ocpp: String,
    /// The charging operator's key (registers the chargers) and the bank's (tops members up).
    #[arg(long)]
    pub charging_key: PathBuf,
    #[arg(long)]
    pub bank_key: PathBuf,
    /// Password file of both keys.
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// The charging operator's bearer token file (member sign-up).
    #[arg(long)]
    pub token_file: PathBuf,
    /// Node process id (its memory is read from /proc).
    #[arg(long)]
    pub node_pid: Option<u32>,
    #[arg(long, default_value_t = 10_000)]
    pub chargers: usize,
    #[arg(long, default_value_t = 500)]
    pub connect_rate: u64,
    #[arg(long, default_value_t = 60)]
    pub hold_secs: u64,
    /// Members (one charger each) for the session phase; 0 skips it.
    #[arg(long, default_value_t = 200)]
    pub members: usize,
    #[arg(long, default_value_t = 100)]
    pub session_rate: u64,
    #[arg(long, default_value_t = 60)]
    pub session_secs: u64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Default, Serialize)]
struct Report {
    chargers: usize,
    connected: usize,
    connect_failures: usize,
    connections_held: usize,
    node_rss_before_bytes: Option<u64>,
    node_rss_held_bytes: Option<u64>,
    rss_per_connection_bytes: Option<u64>,
    members: usize,
    session_secs: f64,
    sessions_started: u64,
    sessions_settled: u64,
    sessions_refused: u64,
    sessions_per_sec: f64,
    prepay_p50_ms: Option<u64>,
    prepay_p99_ms: Option<u64>,
    stop_to_settled_p50_ms: Option<u64>,
    stop_to_settled_p99_ms: Option<u64>,
}

fn vm_rss(pid: Option<u32>) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let line = text.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line["VmRSS:".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb * 1024)
}

fn percentile(v: &mut [u64], p: usize) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[(v.len() - 1) * p / 100])
}

/// Open file descriptors allowed to this process (soft limit), from /proc.
fn fd_limit() -> Option<usize> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Placeholder timestamps (the central system keeps its own clock).
fn now_iso() -> String {
    "2026-01-01T00:00:00Z".to_string()
}

async fn register_chargers(
    client: &Client,
    signer: &mut TxSigner,
    n: usize,
    events: &mut super::bench::Events,
) -> anyhow::Result<()> {
    let mut txs = Vec::new();
    for i in 0..n {
        let charger = ChargerId::new(format!("BENCH-{i}"))?;
        if client
            .charging_charger(&charger.to_string())
            .await?
            .is_some()
        {
            continue;
        }
        txs.push(signer.sign(
            Payload::RegisterCharger(RegisterCharger {
                charger,
                kind: ChargerKind::Slow,
                connectors: 1,
                price: PriceMilliWonPerKwh(300_000),
                idle_fee_per_min: MilliWon(0),
                idle_grace_min: 0,
                active: true,
                label: "bench".into(),
            }),
            None,
        ));
    }
    for wave in txs.chunks(1_000) {
        super::bench::setup_step(
            client,
            "register chargers",
            wave.to_vec(),
            500,
            events,
            Duration::from_secs(120),
        )
        .await?;
    }
    Ok(())
}

async fn phase_connections(a: &BenchOcppArgs, r: &mut Report) {
    r.chargers = a.chargers;
    r.node_rss_before_bytes = vm_rss(a.node_pid);
    let stop = Arc::new(Notify::new());
    let held = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let mut tasks = tokio::task::JoinSet::new();
    let gap = Duration::from_micros(1_000_000 / a.connect_rate.max(1));
    let start = Instant::now();
    for i in 0..a.chargers {
        tokio::time::sleep_until(start + gap * i as u32).await;
        let (base, stop, held, failed, done) = (
            a.ocpp.clone(),
            stop.clone(),
            held.clone(),
            failed.clone(),
            done.clone(),
        );
        tasks.spawn(async move {
            let c = async {
                let mut c = Charger::connect(&base, &format!("BENCH-{i}"), None).await?;
                c.boot("bench", "sim").await?;
                anyhow::Ok(c)
            }
            .await;
            done.fetch_add(1, Ordering::SeqCst);
            match c {
                Ok(c) => {
                    held.fetch_add(1, Ordering::SeqCst);
                    c.hold(stop).await;
                    held.fetch_sub(1, Ordering::SeqCst);
                }
                Err(e) => {
                    if failed.fetch_add(1, Ordering::SeqCst) < 3 {
                        eprintln!("charger BENCH-{i}: {e:#}");
                    }
                }
            }
        });
    }
    while done.load(Ordering::SeqCst) < a.chargers {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    r.connected = held.load(Ordering::SeqCst);
    r.connect_failures = failed.load(Ordering::SeqCst);
    eprintln!(
        "phase 1: {} connected, {} failed in {:.1} s; holding {} s",
        r.connected,
        r.connect_failures,
        start.elapsed().as_secs_f64(),
        a.hold_secs
    );
    tokio::time::sleep(Duration::from_secs(a.hold_secs)).await;
    r.connections_held = held.load(Ordering::SeqCst);
    r.node_rss_held_bytes = vm_rss(a.node_pid);
    if let (Some(b), Some(h)) = (r.node_rss_before_bytes, r.node_rss_held_bytes) {
        if r.connections_held > 0 {
            r.rss_per_connection_bytes = Some(h.saturating_sub(b) / r.connections_held as u64);
        }
    }
    stop.notify_waiters();
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}
}

#[derive(Default)]
struct Settled {
    /// (charger, session) -> settled at
    at: Mutex<BTreeMap<(String, u64), Instant>>,
    notify: Notify,
    count: AtomicU64,
}

async fn phase_sessions(
    a: &BenchOcppArgs,
    client: &Client,
    bank: &mut TxSigner,
    events: super::bench::Events,
    r: &mut Report,
) -> anyhow::Result<()> {
    let token = std::fs::read_to_string(&a.token_file)?.trim().to_string();
    const PW: &str = "135790";
    r.members = a.members;
    eprintln!("phase 2: signing up {} members (argon2id each)", a.members);
    let mut members = Vec::new();
    let run = std::process::id();
    for i in 0..a.members {
        // Auto-charge answers to cards only (member numbers are not secret).
        let card = format!("B{run}C{i}");
        let s = client
            .charging_signup(Some(&token), PW, Some(&card))
            .await?;
        members.push((s, card));
    }
    let mints: Vec<_> = members
        .iter()
        .enumerate()
        .map(|(i, (m, _))| {
            bank.sign(
                Payload::Mint {
                    to: m.address.clone(),
                    amount: MilliWon::from_won(10_000_000).unwrap_or(MilliWon(0)),
                    bank_ref: format!("BENCH-{i}-{}", m.member_no),
                },
                None,
            )
        })
        .collect();
    let mut events = events;
    for wave in mints.chunks(1_000) {
        super::bench::setup_step(
            client,
            "top up members",
            wave.to_vec(),
            500,
            &mut events,
            Duration::from_secs(120),
        )
        .await?;
    }
    for (m, _) in &members {
        client
            .charging_auto_charge(&gridledger_api_types::AutoChargeBody {
                member_no: m.member_no,
                password: PW.into(),
                cap_mwon: 10_000_000,
                valid_until_ms: 0,
            })
            .await?;
    }
    // Watch settlements.
    let settled = Arc::new(Settled::default());
    let s2 = settled.clone();
    let watcher = tokio::spawn(async move {
        while let Some((at, ev)) = events.recv().await {
            for rc in &ev.receipts {
                if !matches!(rc.status, TxStatus::Success) {
                    continue;
                }
                for e in &rc.events {
                    if let Event::ChargingSettled {
                        charger, session, ..
                    } = e
                    {
                        s2.at
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert((charger.to_string(), *session), at);
                        s2.count.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            s2.notify.notify_waiters();
        }
    });
    let started = Arc::new(AtomicU64::new(0));
    let refused = Arc::new(AtomicU64::new(0));
    let lat = Arc::new(Mutex::new((Vec::<u64>::new(), Vec::<u64>::new())));
    let end = Instant::now() + Duration::from_secs(a.session_secs);
    let t0 = Instant::now();
    let count0 = settled.count.load(Ordering::SeqCst);
    let tokens = Arc::new(tokio::sync::Semaphore::new(0));
    let tk = tokens.clone();
    let rate = a.session_rate;
    let pacer = tokio::spawn(async move {
        let gap = Duration::from_micros(1_000_000 / rate.max(1));
        let mut next = Instant::now();
        loop {
            next += gap;
            tokio::time::sleep_until(next).await;
            tk.add_permits(1);
        }
    });
    let mut tasks = tokio::task::JoinSet::new();
    for (i, (_, card)) in members.iter().enumerate() {
        let (base, tag) = (a.ocpp.clone(), card.clone());
        let (settled, started, refused, lat, tokens) = (
            settled.clone(),
            started.clone(),
            refused.clone(),
            lat.clone(),
            tokens.clone(),
        );
        tasks.spawn(async move {
            let mut c = Charger::connect(&base, &format!("BENCH-{i}"), None).await?;
            c.boot("bench", "sim").await?;
            while Instant::now() < end {
                let Ok(p) = tokens.acquire().await else { break };
                p.forget();
                let t = Instant::now();
                let auth = c.call("Authorize", json!({"idTag": tag})).await?;
                if auth["idTagInfo"]["status"] != "Accepted" {
                    refused.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
                let prepay_ms = t.elapsed().as_millis() as u64;
                let st = c.call("StartTransaction", json!({"connectorId": 1, "idTag": tag, "meterStart": 0, "timestamp": now_iso()})).await?;
                let tx = st["transactionId"].as_u64().unwrap_or(0);
                if st["idTagInfo"]["status"] != "Accepted" {
                    refused.fetch_add(1, Ordering::SeqCst);
                    continue;
                }
                started.fetch_add(1, Ordering::SeqCst);
                for wh in [500, 1_000] {
                    c.call("MeterValues", json!({"connectorId": 1, "transactionId": tx, "meterValue": [{"timestamp": now_iso(), "sampledValue": [{"value": wh.to_string()}]}]})).await?;
                }
                let stop_at = Instant::now();
                c.call("StopTransaction", json!({"transactionId": tx, "meterStop": 1_000, "timestamp": now_iso()})).await?;
                let key = (format!("BENCH-{i}"), tx);
                let settled_at = loop {
                    let wait = settled.notify.notified();
                    if let Some(at) = settled.at.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
                        break Some(*at);
                    }
                    if tokio::time::timeout(Duration::from_secs(60), wait).await.is_err() {
                        break None;
                    }
                };
                if let Some(at) = settled_at {
                    let mut l = lat.lock().unwrap_or_else(|e| e.into_inner());
                    l.0.push(prepay_ms);
                    l.1.push(at.saturating_duration_since(stop_at).as_millis() as u64);
                }
            }
            anyhow::Ok(())
        });
    }
    while let Some(res) = tasks.join_next().await {
        if let Ok(Err(e)) = res {
            eprintln!("session worker: {e:#}");
        }
    }
    pacer.abort();
    let secs = t0.elapsed().as_secs_f64();
    watcher.abort();
    r.session_secs = secs;
    r.sessions_started = started.load(Ordering::SeqCst);
    r.sessions_refused = refused.load(Ordering::SeqCst);
    r.sessions_settled = settled.count.load(Ordering::SeqCst) - count0;
    r.sessions_per_sec = r.sessions_settled as f64 / secs;
    let mut l = lat.lock().unwrap_or_else(|e| e.into_inner());
    r.prepay_p50_ms = percentile(&mut l.0, 50);
    r.prepay_p99_ms = percentile(&mut l.0, 99);
    r.stop_to_settled_p50_ms = percentile(&mut l.1, 50);
    r.stop_to_settled_p99_ms = percentile(&mut l.1, 99);
    Ok(())
}

pub async fn run(a: BenchOcppArgs) -> anyhow::Result<()> {
    if let Some(limit) = fd_limit() {
        if limit < a.chargers + 256 {
            bail!(
                "this process may open {limit} files; {} chargers need more (ulimit -n)",
                a.chargers
            );
        }
    }
    let client = Client::new(&a.rpc)?;
    let charging = load_key(&a.charging_key, a.password_file.as_ref())?;
    let bank = load_key(&a.bank_key, a.password_file.as_ref())?;
    let mut charging = TxSigner::connect(&client, charging, None).await?;
    let mut bank = TxSigner::connect(&client, bank, None).await?;
    // Receipts on the event stream need an entitled role: the bank.
    let client = bank.reads(&client);
    let stream = client.events().await.context("opening the event stream")?;
    let (mut events, _pump) = spawn_event_pump(client.clone(), stream, Arc::new(AtomicU64::new(0)));
    register_chargers(
        &client,
        &mut charging,
        a.chargers.max(a.members),
        &mut events,
    )
    .await?;
    let mut r = Report::default();
    if a.chargers > 0 {
        phase_connections(&a, &mut r).await;
    }
    if a.members > 0 {
        phase_sessions(&a, &client, &mut bank, events, &mut r).await?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        let mb =
            |b: Option<u64>| b.map_or("-".into(), |b| format!("{:.1} MiB", b as f64 / 1_048_576.0));
        println!("chargers                {}", r.chargers);
        println!(
            "connected / failed      {} / {}",
            r.connected, r.connect_failures
        );
        println!("connections held        {}", r.connections_held);
        println!(
            "node RSS before / held  {} / {}",
            mb(r.node_rss_before_bytes),
            mb(r.node_rss_held_bytes)
        );
        println!(
            "RSS per connection      {}",
            r.rss_per_connection_bytes
                .map_or("-".into(), |b| format!("{:.1} KB", b as f64 / 1000.0))
        );
        println!("members                 {}", r.members);
        println!(
            "sessions settled        {} in {:.1} s ({} started, {} refused)",
            r.sessions_settled, r.session_secs, r.sessions_started, r.sessions_refused
        );
        println!(
            "sessions per second     {:.1} (3 finalized transactions each)",
            r.sessions_per_sec
        );
        println!(
            "prepay p50 / p99        {:?} / {:?} ms",
            r.prepay_p50_ms, r.prepay_p99_ms
        );
        println!(
            "stop->settled p50 / p99 {:?} / {:?} ms",
            r.stop_to_settled_p50_ms, r.stop_to_settled_p99_ms
        );
    }
    Ok(())
}
