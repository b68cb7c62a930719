//! `devnet --demo`: the pilot in miniature. Seeds the operator's world once ([seed]), then runs
//! in process what would run at the sites and the operator: a site agent (k-BEMS / HEMS) for
//! each of the 15 sites, a charger simulator for each charger with members charging, and the
//! operator agent's market calendar ([market]) against a market clock that moves the devnet's chain
//! time so a month passes in a few minutes. One line per notable step on stdout. A restart on
//! the same data dir continues (nothing is seeded twice).
mod cast;
mod market;
mod seed;

use crate::cli::agent::{
    charger::{describe, Sim},
    site::{Rule, SiteAgent},
    MeterAgent,
};
use anyhow::{Context, Result};
use gridledger_api_types::ClockAdvance;
use gridledger_sdk::{client::Client, profile::seed_of, signer::TxSigner};
use gridledger_types::{kst_date, kst_month, kst_month_start_ms, MarketId, PeriodKind, SiteId};
use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};
use tokio::sync::RwLock;

/// How the demo runs.
#[derive(Clone, Debug)]
pub struct Config {
    pub rpc: String,
    pub data_dir: PathBuf,
    /// The node's OCPP listener (no charger simulators without one).
    pub ocpp: Option<SocketAddr>,
    /// Wall seconds per chain month.
    pub secs_per_month: u64,
    /// The devnet's clock token (the demo moves the clock with it).
    pub clock_token: String,
}

/// Wall time between the demo's ticks (agents' rounds, operator duties, one clock step).
const TICK: Duration = Duration::from_secs(2);
const MONTH_MS: u64 = 30 * 86_400_000;
/// The clock moves at most this much per tick (a month's steps all get their turn).
const MAX_STEP_MS: u64 = 24 * 3_600_000;

/// Where the demo's chain clock starts on a fresh devnet: 00:00 KST five days before the
/// current KST month (intentions for the month are entered before its gate).
pub fn clock_start(now_ms: u64) -> u64 {
    kst_month_start_ms(kst_month(now_ms)).map_or(now_ms, |s| s - 5 * 86_400_000)
}

/// How far the clock moves each tick for `secs_per_month`.
pub fn step_ms(secs_per_month: u64) -> u64 {
    let ticks = (secs_per_month * 1_000 / TICK.as_millis() as u64).max(1);
    (MONTH_MS / ticks).clamp(60_000, MAX_STEP_MS)
}

/// A line of the demo's log (stdout), stamped with the chain's KST time when known.
pub fn say(line: &str) {
    println!("demo: {line}");
}

/// Runs the demo on its own thread and runtime (the node owns the main thread).
pub fn spawn(cfg: Config) {
    let _ = std::thread::Builder::new()
        .name("demo".into())
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => return eprintln!("demo: cannot start runtime: {e}"),
            };
            if let Err(e) = rt.block_on(run(cfg)) {
                eprintln!("demo stopped: {e:#}");
            }
        });
}

fn kst_label(ms: u64) -> String {
    let (y, m, d) = kst_date(ms);
    let h = (ms + 9 * 3_600_000) % 86_400_000 / 3_600_000;
    format!("{y}-{m:02}-{d:02} {h:02}:00 KST")
}

async fn run(cfg: Config) -> Result<()> {
    let client = Client::new(&cfg.rpc)?.with_clock_token(cfg.clock_token.clone());
    let mut tries = 0;
    while client.status().await.is_err() {
        tries += 1;
        if tries > 600 {
            anyhow::bail!("node API did not come up");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let cast = seed::seed(&client, &cfg.data_dir)
        .await
        .context("seeding")?;
    let start = cast.state.start_ms;
    // The demo runs inside the operator's devnet and reads as the market operator.
    let client = client.with_signer(cast.operator.clone());
    // Every site's energy management system: its meter (from the demo's start) and its rule.
    let mut agents = Vec::new();
    for ((s, owner), meter) in cast::SITES.iter().zip(&cast.owners).zip(&cast.meters) {
        let meter = TxSigner::connect(&client, meter.clone(), None).await?;
        let mut m = MeterAgent::profile(
            client.clone(),
            meter,
            (
                s.profile.parse().map_err(anyhow::Error::msg)?,
                seed_of(s.login),
            ),
            3_600_000,
            Some(start),
        );
        m.print = false;
        agents.push(SiteAgent {
            client: client.clone(),
            site: SiteId::new(s.login)?,
            owner: TxSigner::connect(&client, owner.clone(), None).await?,
            meter: Some(m),
            market: MarketId::new(cast::MARKET)?,
            period: PeriodKind::Monthly,
            rules: vec![Rule {
                side: s.rule.0,
                energy_wh: s.rule.1 * 1_000,
                limit: gridledger_types::PriceMilliWonPerKwh(s.rule.2 * 1_000),
            }],
            approve: true,
            seen: Default::default(),
        });
    }
    let mut operator = market::Operator {
        client: client.clone(),
        agent: gridledger_agents::operator::OperatorAgent::connect(
            client.clone(),
            cast.operator.clone(),
        )
        .await?,
        bank: TxSigner::connect(&client, cast.bank.clone(), None).await?,
        topped_up: 0,
        members: cast
            .state
            .members
            .iter()
            .map(|m| m.address.clone())
            .collect(),
    };
    let _ = &cast.grid;
    // The chargers, with the members' cards in turn.
    let gate = Arc::new(RwLock::new(()));
    if let Some(addr) = cfg.ocpp {
        for (i, (c, secret)) in cast::CHARGERS.iter().zip(&cast.secrets).enumerate() {
            // Half the members charge at each charger (a member has one session at a time).
            let cards: Vec<String> = cast
                .state
                .members
                .iter()
                .skip(i)
                .step_by(cast::CHARGERS.len())
                .map(|m| m.card.clone())
                .collect();
            let sim = Sim {
                ocpp: format!("ws://{addr}/ocpp"),
                charger: c.id.into(),
                secret: Some(secret.trim().to_string()),
                cards,
                every: Duration::from_secs(c.every_secs),
                energy_wh: c.session_wh,
                meter_values: 2,
                meter_pause: Duration::from_secs(1),
                sessions: 0,
                heartbeat: Some(Duration::from_secs(30)),
                connector: 1,
                gate: Some(gate.clone()),
                patient: true,
            };
            let client = client.clone();
            tokio::spawn(async move {
                let id = sim.charger.clone();
                say(&format!("charger {id}: booting (OCPP 1.6, Basic auth)"));
                let r = sim
                    .run(|_, card, out| {
                        let client = client.clone();
                        let id = id.clone();
                        async move {
                            say(&describe(&id, &card, &out));
                            if let Some(tx) = out.transaction_id.filter(|_| out.stopped) {
                                settled_line(&client, &id, tx).await;
                            }
                        }
                    })
                    .await;
                if let Err(e) = r {
                    say(&format!("charger simulator stopped: {e:#}"));
                }
            });
        }
    } else {
        say("no OCPP listener (--ocpp off): no charger simulators");
    }
    let step = step_ms(cfg.secs_per_month);
    say(&format!(
        "market clock: {} of chain time every {} s (a month in about {} s); 15 site agents, \
         {} charger simulators",
        if step.is_multiple_of(3_600_000) {
            format!("{} h", step / 3_600_000)
        } else {
            format!("{} min", step / 60_000)
        },
        TICK.as_secs(),
        cfg.secs_per_month,
        if cfg.ocpp.is_some() { 2 } else { 0 }
    ));
    let mut last_day = 0;
    loop {
        let tick = tokio::time::Instant::now();
        let now = client.status().await.map(|s| s.timestamp_ms).unwrap_or(0);
        let day = now / 86_400_000;
        if day != last_day && now > 0 {
            say(&format!("── {}", kst_label(now)));
            last_day = day;
        }
        // Sites: readings up to now, standing rules before the gate, approvals after pairing.
        let rounds = futures::future::join_all(agents.iter_mut().map(|a| a.round())).await;
        for (a, r) in agents.iter().zip(rounds) {
            match r {
                Ok(r) => r.lines.iter().for_each(|l| say(l)),
                Err(e) => say(&format!("{}: {e:#}", a.site)),
            }
        }
        let now = client.status().await.map(|s| s.timestamp_ms).unwrap_or(0);
        if let Err(e) = operator.duties(now, &mut agents).await {
            say(&format!("operator: {e:#}"));
        }
        // The market clock: between charging sessions, never during one, and only once the
        // mempool is empty, so a transaction someone just signed (in the dashboard, with the
        // CLI) is included before its expiry jumps past (waits at most one tick).
        {
            let _w = gate.write().await;
            for _ in 0..20 {
                if client.status().await.is_ok_and(|s| s.mempool_txs == 0) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            match client.advance_clock(ClockAdvance::By(step)).await {
                Ok(v) => {
                    for _ in 0..100 {
                        if client
                            .status()
                            .await
                            .is_ok_and(|s| s.timestamp_ms >= v.now_ms.saturating_sub(1_000))
                        {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
                Err(e) => say(&format!("clock: {e}")),
            }
        }
        tokio::time::sleep_until(tick + TICK).await;
    }
}

/// After a stop: the session's three transactions once the gateway has settled it.
async fn settled_line(client: &Client, charger: &str, session: u64) {
    for _ in 0..50 {
        if let Ok(Some(s)) = client.charging_session(charger, session).await {
            if s["state"] == "settled" {
                let short = |k: &str| {
                    s[k].as_str()
                        .map_or("-".to_string(), |h| h.chars().take(10).collect())
                };
                say(&format!(
                    "charger {charger}: session {session} settled on chain: prepay {} cancel {} \
                     settle {}, {} Wh cost {} won",
                    short("prepay_tx"),
                    short("cancel_tx"),
                    short("settle_tx"),
                    s["energy_wh"],
                    s["cost_mwon"].as_u64().unwrap_or(0) / 1_000
                ));
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    say(&format!(
        "charger {charger}: session {session} not settled yet"
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_starts_before_a_month_and_steps_are_bounded() {
        let dec2 = kst_month_start_ms(202612).unwrap() + 86_400_000 + 5;
        let s = clock_start(dec2);
        assert_eq!(s, kst_month_start_ms(202612).unwrap() - 5 * 86_400_000);
        assert_eq!(kst_date(s), (2026, 11, 26));
        // 4 minutes a month: 120 ticks of 6 h.
        assert_eq!(step_ms(240), 6 * 3_600_000);
        assert_eq!(step_ms(1), MAX_STEP_MS);
        assert_eq!(step_ms(10_000_000), 60_000);
    }
}
