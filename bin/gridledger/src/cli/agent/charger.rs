//! `gridledger agent charger`: the command line of the charger simulator
//! ([gridledger_agents::charger], on the `bench-ocpp` client [gridledger_agents::ocpp_client]).
use crate::cli::password_from_file;
use anyhow::{bail, Context};
use clap::Args;
pub use gridledger_agents::charger::{describe, Sim};
use std::{path::PathBuf, time::Duration};

#[derive(Debug, Args)]
pub struct ChargerArgs {
    /// OCPP base URL (the charger connects to `<URL>/<charger>`).
    #[arg(long, default_value = "ws://127.0.0.1:9000/ocpp")]
    pub ocpp: String,
    /// The charger's id (registered on chain by its charging operator).
    #[arg(long)]
    pub charger: String,
    /// File holding the charger's secret (`gridledger charging charger-secret`), sent as HTTP
    /// Basic auth. Without it the charger connects without credentials, which only a devnet
    /// started with --ocpp-insecure accepts.
    #[arg(long)]
    pub secret_file: Option<PathBuf>,
    /// A member's RFID card (with auto-charge); repeat for several, used in turn.
    #[arg(long = "card", required = true)]
    pub cards: Vec<String>,
    /// Seconds from one session's start to the next.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub every_secs: u64,
    /// Energy charged per session, Wh.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub energy_wh: u64,
    /// MeterValues per session.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub meter_values: u32,
    /// Seconds between MeterValues.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=3600))]
    pub meter_secs: u64,
    /// Stop after this many sessions (0: keep going until Ctrl-C).
    #[arg(long, default_value_t = 0)]
    pub sessions: u64,
    /// Heartbeat period in seconds (default: what the central system asks at boot).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub heartbeat_secs: Option<u64>,
    /// Connector to charge on.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub connector: u32,
}

pub async fn run(a: ChargerArgs) -> anyhow::Result<()> {
    if !gridledger_types::ChargerId::is_valid(&a.charger) {
        bail!(
            "--charger {:?}: 1-48 of A-Z a-z 0-9 . _ - expected",
            a.charger
        );
    }
    if !(a.ocpp.starts_with("ws://") || a.ocpp.starts_with("wss://")) {
        bail!("--ocpp {:?} must be a ws:// or wss:// URL", a.ocpp);
    }
    let secret = match &a.secret_file {
        Some(p) => {
            let s = password_from_file(p)?;
            if s.is_empty() {
                bail!("{} is empty", p.display());
            }
            Some(s.to_string())
        }
        None => None,
    };
    let sim = Sim {
        ocpp: a.ocpp.trim_end_matches('/').to_string(),
        charger: a.charger.clone(),
        secret,
        cards: a.cards,
        every: Duration::from_secs(a.every_secs),
        energy_wh: a.energy_wh,
        meter_values: a.meter_values,
        meter_pause: Duration::from_secs(a.meter_secs),
        sessions: a.sessions,
        heartbeat: a.heartbeat_secs.map(Duration::from_secs),
        connector: a.connector,
        gate: None,
        patient: false,
    };
    println!(
        "charger {} -> {}/{} ({} card(s), a session every {} s)",
        sim.charger,
        sim.ocpp,
        sim.charger,
        sim.cards.len(),
        a.every_secs
    );
    let charger = sim.charger.clone();
    tokio::select! {
        r = sim.run(|_, card, out| {
            println!("{}", describe(&charger, &card, &out));
            std::future::ready(())
        }) => {
            r.context("charger simulator")
        }
        r = tokio::signal::ctrl_c() => {
            r.context("listening for Ctrl-C")?;
            println!("stopped");
            Ok(())
        }
    }
}
