//! `gridledger meter-agent`: posts one meter's readings by itself, from a CSV export or a
//! synthetic profile ([gridledger_sdk::profile]), signed with the meter's key.
//!
//! Every step starts from the meter's position on chain (its newest accepted batch), so an
//! interrupted or repeated run posts nothing twice. Backfill posts what is due up to `--to` (or
//! the chain's head time) and exits; `--follow` keeps posting each interval once the chain's head
//! time has passed its end, until Ctrl-C.
use super::{
    client, load_key,
    readings::{check_rows, fmt_kst, parse_csv, parse_time, post_batches_with},
};

pub mod charger;
pub mod operator;
pub mod site;
use anyhow::{bail, Context};
use clap::Args;
use gridledger_sdk::{
    profile::{seed_of, Profile},
    readings::{self, cumulative, last_position, IntervalEnergy, MeterPosition},
    Client, TxSigner,
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

/// Where readings come from.
#[derive(Debug, Clone)]
pub enum Source {
    Csv(PathBuf),
    Profile {
        profile: Profile,
        seed: u64,
        start: Registers,
    },
}

/// Boundary readings ready to post: the first at `start_ms`, then one per interval.
#[derive(Debug, PartialEq, Eq)]
pub struct Plan {
    pub start_ms: u64,
    pub registers: Vec<Registers>,
}

/// Most intervals planned in one step (then the meter's position is read again).
pub const STEP_MAX_INTERVALS: usize = 100 * readings::BATCH_MAX_INTERVALS;
/// Longest gap a profile fills between the meter's last reading and a later `--from`.
pub const GAP_MAX_INTERVALS: u64 = 1_000_000;

fn floor(t: u64, step: u64) -> u64 {
    t - t % step.max(1)
}

/// A profile's readings from the meter's position (or `from` with `start` registers for a meter
/// that never reported) up to `until`. A `from` after the position skips ahead; the registers
/// still advance by the profile's energy over the skipped time.
pub fn plan_profile(
    (profile, seed): (Profile, u64),
    start: Registers,
    pos: Option<MeterPosition>,
    from: Option<u64>,
    until: u64,
    interval_ms: u32,
) -> anyhow::Result<Option<Plan>> {
    let step = u64::from(interval_ms).max(1);
    let from = from.map(|t| floor(t, step));
    let (mut t, mut regs) = match (pos, from) {
        (Some(p), _) => (p.last_boundary_ms, p.last),
        (None, Some(f)) => (f, start),
        (None, None) => bail!("the meter has never reported: give --from"),
    };
    if let Some(f) = from.filter(|f| *f > t) {
        let gap = (f - t) / step;
        if gap > GAP_MAX_INTERVALS {
            bail!(
                "--from is {gap} intervals after the meter's last reading \
                 (at most {GAP_MAX_INTERVALS})"
            );
        }
        let e = profile.intervals(seed, t, interval_ms, gap as usize).fold(
            IntervalEnergy::default(),
            |a, e| IntervalEnergy {
                import_wh: a.import_wh.saturating_add(e.import_wh),
                export_wh: a.export_wh.saturating_add(e.export_wh),
            },
        );
        regs = cumulative(regs, [e])
            .and_then(|r| r.last().copied())
            .context("a register would pass u64::MAX")?;
        t = f;
    }
    let until = floor(until, step);
    if until <= t {
        return Ok(None);
    }
    let n = ((until - t) / step).min(STEP_MAX_INTERVALS as u64) as usize;
    let registers = cumulative(regs, profile.intervals(seed, t, interval_ms, n))
        .context("a register would pass u64::MAX")?;
    Ok(Some(Plan {
        start_ms: t,
        registers,
    }))
}

/// CSV rows from the meter's position (or `from`, if later) up to `until`.
pub fn plan_rows(
    rows: &[(u64, Registers)],
    pos: Option<MeterPosition>,
    from: Option<u64>,
    until: u64,
    interval_ms: u32,
) -> anyhow::Result<Option<Plan>> {
    let lower = pos.map(|p| p.last_boundary_ms).max(from).unwrap_or(0);
    let rows: Vec<_> = rows
        .iter()
        .filter(|(t, _)| *t >= lower && *t <= until)
        .take(STEP_MAX_INTERVALS + 1)
        .copied()
        .collect();
    if rows.len() < 2 {
        return Ok(None);
    }
    check_rows(&rows, interval_ms)?;
    if rows[0].0 % u64::from(interval_ms).max(1) != 0 {
        bail!(
            "the reading at {} ms is not on an interval boundary",
            rows[0].0
        );
    }
    if let Some(p) = pos {
        let (t, r) = rows[0];
        let continues = t == p.last_boundary_ms;
        if (continues && r != p.last)
            || r.import_wh < p.last.import_wh
            || r.export_wh < p.last.export_wh
        {
            bail!(
                "the CSV reading at {} KST (import {} / export {} Wh) does not follow the meter's \
                 last accepted reading at {} KST (import {} / export {} Wh)",
                fmt_kst(t),
                r.import_wh,
                r.export_wh,
                fmt_kst(p.last_boundary_ms),
                p.last.import_wh,
                p.last.export_wh
            );
        }
    }
    Ok(Some(Plan {
        start_ms: rows[0].0,
        registers: rows.iter().map(|(_, r)| *r).collect(),
    }))
}

/// One meter posting its readings (`meter-agent`, and the meter half of `agent site`).
pub struct MeterAgent {
    pub client: Client,
    pub signer: TxSigner,
    pub meter: Address,
    pub source: Source,
    pub interval_ms: u32,
    pub from: Option<u64>,
    /// Print one line per batch posted.
    pub print: bool,
}

impl MeterAgent {
    /// A meter posting a synthetic profile; a meter that never reported starts at `from` with
    /// zero registers.
    pub fn profile(
        client: Client,
        signer: TxSigner,
        (profile, seed): (Profile, u64),
        interval_ms: u32,
        from: Option<u64>,
    ) -> Self {
        Self {
            client,
            meter: signer.address().clone(),
            signer,
            source: Source::Profile {
                profile,
                seed,
                start: Registers {
                    import_wh: 0,
                    export_wh: 0,
                },
            },
            interval_ms,
            from,
            print: true,
        }
    }

    /// Posts what is due up to `until`, at most [STEP_MAX_INTERVALS]; the number of batches.
    pub async fn step(&mut self, until: u64) -> anyhow::Result<usize> {
        // A devnet's clock may have moved (a transaction signed against the old time expires).
        self.signer.resync_clock(&self.client).await?;
        let pos = last_position(&self.client, &self.meter).await?;
        if let Some(p) = pos.filter(|p| p.interval_ms != self.interval_ms) {
            bail!(
                "meter {} reports {} min intervals; use --interval {}",
                self.meter,
                p.interval_ms / 60_000,
                if p.interval_ms == 900_000 {
                    "15m"
                } else {
                    "1h"
                }
            );
        }
        let plan = match &self.source {
            Source::Csv(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                plan_rows(&parse_csv(&text)?, pos, self.from, until, self.interval_ms)?
            }
            Source::Profile {
                profile,
                seed,
                start,
            } => plan_profile(
                (*profile, *seed),
                *start,
                pos,
                self.from,
                until,
                self.interval_ms,
            )?,
        };
        let Some(plan) = plan else {
            return Ok(0);
        };
        let batches = readings::batches(plan.start_ms, self.interval_ms, &plan.registers);
        post_batches_with(&self.client, &mut self.signer, batches, self.print).await
    }

    /// Posts everything due up to `until` (repeating steps); the number of batches.
    pub async fn catch_up(&mut self, until: u64) -> anyhow::Result<usize> {
        let mut posted = 0;
        loop {
            let n = self.step(until).await?;
            if n == 0 {
                return Ok(posted);
            }
            posted += n;
        }
    }

    /// Posts everything due up to `to` (at most the head time), then returns.
    async fn backfill(&mut self, to: Option<u64>) -> anyhow::Result<()> {
        let head = self.client.status().await?.timestamp_ms;
        let until = to.map_or(head, |t| t.min(head));
        if self.catch_up(until).await? == 0 {
            println!("nothing new to post up to {} KST", fmt_kst(until));
        }
        Ok(())
    }

    /// Posts each interval once the head time has passed its end; node errors are retried.
    async fn follow(&mut self, poll: Duration) -> anyhow::Result<()> {
        loop {
            let posted = match self.client.status().await {
                Ok(s) => self.step(s.timestamp_ms).await,
                Err(e) => Err(e.into()),
            };
            match posted {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) if e.downcast_ref::<gridledger_sdk::Error>().is_some() => {
                    eprintln!("warning: {e:#}; retrying in {} s", poll.as_secs());
                    let _ = self.signer.resync(&self.client).await;
                }
                Err(e) => return Err(e),
            }
            tokio::time::sleep(poll).await;
        }
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
        return agent.backfill(a.to).await;
    }
    tokio::select! {
        r = agent.follow(Duration::from_secs(a.poll_secs)) => r,
        r = tokio::signal::ctrl_c() => {
            r.context("listening for Ctrl-C")?;
            println!("stopped");
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests;
