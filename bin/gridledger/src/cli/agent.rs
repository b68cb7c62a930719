//! `gridledger meter-agent` and `gridledger agent ...`: the command lines of the agents in
//! [gridledger_agents] (the meter agent [gridledger_agents::meter] here). Backfill posts what is due up to `--to` (or
//! the chain's head time) and exits; `--follow` keeps posting each interval once the chain's head
//! time has passed its end, until Ctrl-C.
use super::{
    client, load_key,
    readings::{fmt_kst, parse_time},
    Exit, EXIT_TX_FAILED,
};

pub mod charger;
pub mod operator;
pub mod site;
use anyhow::{bail, Context};
use clap::Args;
pub use gridledger_agents::meter::{MeterAgent, Source};
use gridledger_sdk::{
    profile::{seed_of, Profile},
    TxSigner,
};
use gridledger_types::{Address, Registers};
use std::{path::PathBuf, time::Duration};

/// `gridledger agent ...`.
// Parsed once per process: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, clap::Subcommand)]
pub enum AgentCmd {
    /// A site's energy management system (k-BEMS / HEMS): posts its meter's readings, enters
    /// its standing sell/buy rules each period, approves its contracts.
    Site(site::SiteArgs),
    /// An OCPP 1.6 charger simulator: boots, heartbeats, runs member sessions on a schedule.
    Charger(charger::ChargerArgs),
    /// A meter posting its own readings (the same as `meter-agent`).
    Meter(AgentArgs),
    /// The market operator's calendar on any network: pairs each period at its gate, settles
    /// it after its dispute window, issues bills on the 1st, auto-debits on the due day and
    /// expires charging holds, all by block time, from what the chain shows.
    Operator(operator::OperatorArgs),
}

pub async fn run_cmd(cmd: AgentCmd) -> anyhow::Result<()> {
    match cmd {
        AgentCmd::Site(a) => site::run(a).await,
        AgentCmd::Charger(a) => charger::run(a).await,
        AgentCmd::Meter(a) => run(a).await,
        AgentCmd::Operator(a) => operator::run(a).await,
    }
}

#[derive(Debug, Args)]
pub struct AgentArgs {
    /// Node API base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "GRIDLEDGER_RPC")]
    pub rpc: Option<String>,
    /// The meter's key file.
    #[arg(long)]
    pub key: PathBuf,
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// Boundary readings to post, as for `readings import` (re-read every step in --follow).
    #[arg(long, required_unless_present = "profile", conflicts_with = "profile")]
    pub csv: Option<PathBuf>,
    /// Synthetic readings: pv:PEAK_W, household:KWH_PER_MONTH, building:CONTRACT_KW or
    /// prosumer:KWH_PER_MONTH,PEAK_W.
    #[arg(long)]
    pub profile: Option<Profile>,
    /// Varies the profile's days: a number, or any text such as the site id (default: the
    /// meter's address).
    #[arg(long, conflicts_with = "csv")]
    pub seed: Option<String>,
    /// Register values at --from of a meter that has never reported (profile only).
    #[arg(long, default_value_t = 0, conflicts_with = "csv")]
    pub start_import_wh: u64,
    #[arg(long, default_value_t = 0, conflicts_with = "csv")]
    pub start_export_wh: u64,
    /// Interval length: 15m or 1h.
    #[arg(long, default_value = "1h", value_parser = parse_interval)]
    pub interval: u32,
    /// Start of the first interval (RFC 3339, `YYYY-MM-DD HH:MM` in KST, or Unix ms; rounded
    /// down to the interval). Needed for a meter that has never reported; a meter that has
    /// continues from its last reading (or from here, if later).
    #[arg(long, value_parser = time_arg)]
    pub from: Option<u64>,
    /// Post the intervals that end by this time (default and at most: the chain's head time),
    /// then exit.
    #[arg(long, value_parser = time_arg, conflicts_with = "follow")]
    pub to: Option<u64>,
    /// Keep posting each interval once the chain's head time has passed its end (Ctrl-C stops).
    #[arg(long)]
    pub follow: bool,
    /// How often --follow looks at the chain's head time, in seconds (1-3600).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub poll_secs: u64,
}

pub(crate) fn time_arg(s: &str) -> Result<u64, String> {
    parse_time(s).map_err(|e| format!("{e:#} (expected RFC 3339, YYYY-MM-DD HH:MM or Unix ms)"))
}

/// `15m` or `1h` (also `60m`) in ms.
pub fn parse_interval(s: &str) -> Result<u32, String> {
    match s.trim() {
        "15m" => Ok(900_000),
        "1h" | "60m" => Ok(3_600_000),
        _ => Err(format!("interval {s:?} must be 15m or 1h")),
    }
}

/// Posts everything due up to `to` (at most the head time), then returns.
async fn backfill(agent: &mut MeterAgent, to: Option<u64>) -> anyhow::Result<()> {
    let head = agent.client.status().await?.timestamp_ms;
    let until = to.map_or(head, |t| t.min(head));
    if agent.catch_up(until).await.map_err(exit_on_failed_tx)? == 0 {
        println!("nothing new to post up to {} KST", fmt_kst(until));
    }
    Ok(())
}

/// A failed readings transaction ends the command with [EXIT_TX_FAILED] after printing its line.
pub fn exit_on_failed_tx(e: gridledger_agents::Error) -> anyhow::Error {
    match e {
        gridledger_agents::Error::TxFailed(line) => {
            println!("{line}");
            Exit(EXIT_TX_FAILED).into()
        }
        e => e.into(),
    }
}

/// Posts each interval once the head time has passed its end; node errors are retried.
async fn follow(agent: &mut MeterAgent, poll: Duration) -> anyhow::Result<()> {
    loop {
        let posted = match agent.client.status().await {
            Ok(s) => agent.step(s.timestamp_ms).await,
            Err(e) => Err(e.into()),
        };
        match posted {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(gridledger_agents::Error::Sdk(e)) => {
                eprintln!("warning: {e:#}; retrying in {} s", poll.as_secs());
                let _ = agent.signer.resync(&agent.client).await;
            }
            Err(e) => return Err(exit_on_failed_tx(e)),
        }
        tokio::time::sleep(poll).await;
    }
}

pub async fn run(a: AgentArgs) -> anyhow::Result<()> {
    let client = client(a.rpc.as_deref())?;
    let key = load_key(&a.key, a.password_file.as_ref())?;
    let meter = Address::of(&key);
    let source = match (&a.csv, a.profile) {
        (Some(csv), _) => Source::Csv(csv.clone()),
        (None, Some(profile)) => Source::Profile {
            profile,
            seed: seed_of(a.seed.as_deref().unwrap_or(&meter.to_hex())),
            start: Registers {
                import_wh: a.start_import_wh,
                export_wh: a.start_export_wh,
            },
        },
        (None, None) => bail!("give --csv FILE or --profile SPEC"),
    };
    match &source {
        Source::Csv(p) => println!(
            "meter {meter}: {} ({} min)",
            p.display(),
            a.interval / 60_000
        ),
        Source::Profile { profile, seed, .. } => {
            println!(
                "meter {meter}: profile {profile} seed {seed} ({} min)",
                a.interval / 60_000
            )
        }
    }
    let signer = TxSigner::connect(&client, key, None).await?;
    // The meter reads its own account and its site's records (as its owner) with its key.
    let client = signer.reads(&client);
    let mut agent = MeterAgent {
        client,
        signer,
        meter,
        source,
        interval_ms: a.interval,
        from: a.from,
        print: true,
    };
    if !a.follow {
        return backfill(&mut agent, a.to).await;
    }
    tokio::select! {
        r = follow(&mut agent, Duration::from_secs(a.poll_secs)) => r,
        r = tokio::signal::ctrl_c() => {
            r.context("listening for Ctrl-C")?;
            println!("stopped");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests;
