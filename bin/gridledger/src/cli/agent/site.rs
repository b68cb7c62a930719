//! `gridledger agent site`: a site's energy management system (k-BEMS for a commercial
//! building, HEMS for a home). Each round it posts the site's meter readings (the meter agent,
//! signed with the meter's key), enters its standing sell/buy rules for the next period of a
//! market whose gate is still open unless the site already has an intention there (signed with
//! the owner's key), and approves its contracts when the market needs approvals.
use super::{parse_interval, time_arg, MeterAgent};
use crate::cli::{client, load_key, parse_won};
use anyhow::{bail, Context};
use clap::Args;
use gridledger_sdk::{
    profile::{seed_of, Profile},
    signer::chain_time_ms,
    Client, TxSigner,
};
use gridledger_types::{
    kst_month, kst_month_start_ms, next_month, MarketId, Payload, PeriodKind, PriceMilliWonPerKwh,
    Side, SiteId, SubmitIntention, TxStatus,
};
use serde_json::Value;
use std::{path::PathBuf, time::Duration};

#[derive(Debug, Args)]
pub struct SiteArgs {
    /// Node API base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, env = "GRIDLEDGER_RPC")]
    pub rpc: Option<String>,
    /// The site this agent manages.
    #[arg(long)]
    pub site: String,
    /// The site owner's key (signs intentions and approvals).
    #[arg(long)]
    pub owner_key: PathBuf,
    /// The site meter's key (signs readings); without it the agent only trades.
    #[arg(long, requires = "profile")]
    pub meter_key: Option<PathBuf>,
    /// Password file of both keys.
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// The meter's synthetic readings: pv:PEAK_W, household:KWH_PER_MONTH,
    /// building:CONTRACT_KW or prosumer:KWH_PER_MONTH,PEAK_W.
    #[arg(long)]
    pub profile: Option<Profile>,
    /// Varies the profile's days (default: the site id).
    #[arg(long)]
    pub seed: Option<String>,
    /// Meter interval: 15m or 1h.
    #[arg(long, default_value = "1h", value_parser = parse_interval)]
    pub interval: u32,
    /// First interval of a meter that has never reported (default: the chain's head time).
    #[arg(long, value_parser = time_arg)]
    pub from: Option<u64>,
    /// The market to trade in.
    #[arg(long, default_value = "monthly")]
    pub market: String,
    /// The market's period: monthly, hourly or 15m.
    #[arg(long, default_value = "monthly", value_parser = parse_period_kind)]
    pub period: PeriodKind,
    /// A standing sell rule, KWH@WON_PER_KWH (e.g. 200@140 or 12.5@131.5); repeatable.
    #[arg(long, value_parser = parse_rule_arg)]
    pub sell: Vec<(u64, PriceMilliWonPerKwh)>,
    /// A standing buy rule, KWH@WON_PER_KWH; repeatable.
    #[arg(long, value_parser = parse_rule_arg)]
    pub buy: Vec<(u64, PriceMilliWonPerKwh)>,
    /// Rules from a JSON file: [{"side": "sell", "kwh": 200, "won_per_kwh": 140}, ...]
    /// (numbers or decimal strings), added to --sell/--buy.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Approve this site's contracts in markets that need approvals.
    #[arg(long)]
    pub approve: bool,
    /// One round, then exit (default: a round every --poll-secs until Ctrl-C).
    #[arg(long)]
    pub once: bool,
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub poll_secs: u64,
}

/// A standing rule: offer or bid this much every period at this limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub side: Side,
    pub energy_wh: u64,
    pub limit: PriceMilliWonPerKwh,
}

pub fn parse_period_kind(s: &str) -> Result<PeriodKind, String> {
    match s.trim() {
        "monthly" | "month" => Ok(PeriodKind::Monthly),
        "hourly" | "1h" => Ok(PeriodKind::Hourly),
        "15m" | "quarter_hour" | "quarter-hour" => Ok(PeriodKind::QuarterHour),
        _ => Err(format!("period {s:?} must be monthly, hourly or 15m")),
    }
}

/// `KWH@WON_PER_KWH`, each a decimal with at most 3 fraction digits (Wh and milli-won).
pub fn parse_rule_arg(s: &str) -> Result<(u64, PriceMilliWonPerKwh), String> {
    let Some((kwh, won)) = s.split_once('@') else {
        return Err(format!(
            "{s:?}: expected KWH@WON_PER_KWH, e.g. 200@140 (200 kWh at 140 won/kWh)"
        ));
    };
    let wh = parse_won(kwh)
        .map_err(|e| format!("energy in {s:?}: {}", e.replace("won", "kWh")))?
        .0;
    if wh == 0 {
        return Err(format!("{s:?}: the energy must be more than 0 kWh"));
    }
    let price = parse_won(won).map_err(|e| format!("price in {s:?}: {e}"))?;
    if price.0 == 0 {
        return Err(format!("{s:?}: the price must be more than 0 won/kWh"));
    }
    Ok((wh, PriceMilliWonPerKwh(price.0)))
}

/// Rules from a JSON file's text.
pub fn parse_rules_json(text: &str) -> anyhow::Result<Vec<Rule>> {
    let v: Value = serde_json::from_str(text).context("rules file is not JSON")?;
    let Some(items) = v.as_array() else {
        bail!("rules file: expected a JSON array of {{\"side\", \"kwh\", \"won_per_kwh\"}}");
    };
    let num = |x: &Value, what: &str, i: usize| -> anyhow::Result<String> {
        match x {
            Value::Number(n) => Ok(n.to_string()),
            Value::String(s) => Ok(s.clone()),
            _ => bail!(
                "rule {}: {what} must be a number or a decimal string",
                i + 1
            ),
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let side = match r["side"].as_str() {
                Some("sell") => Side::Sell,
                Some("buy") => Side::Buy,
                _ => bail!("rule {}: side must be \"sell\" or \"buy\"", i + 1),
            };
            let spec = format!(
                "{}@{}",
                num(&r["kwh"], "kwh", i)?,
                num(&r["won_per_kwh"], "won_per_kwh", i)?
            );
            let (energy_wh, limit) =
                parse_rule_arg(&spec).map_err(|e| anyhow::anyhow!("rule {}: {e}", i + 1))?;
            Ok(Rule {
                side,
                energy_wh,
                limit,
            })
        })
        .collect()
}

/// Starts of the periods after the one containing `now` (the next `n`).
pub fn next_periods(kind: PeriodKind, now: u64, n: usize) -> Vec<u64> {
    match kind {
        PeriodKind::Monthly => {
            let mut m = kst_month(now);
            (0..n)
                .filter_map(|_| {
                    m = next_month(m);
                    kst_month_start_ms(m)
                })
                .collect()
        }
        PeriodKind::Hourly | PeriodKind::QuarterHour => {
            let p = if kind == PeriodKind::Hourly {
                3_600_000
            } else {
                900_000
            };
            let first = now - now % p + p;
            (0..n as u64).map(|i| first + i * p).collect()
        }
    }
}

/// The period containing `now`.
pub fn current_period(kind: PeriodKind, now: u64) -> u64 {
    match kind {
        PeriodKind::Monthly => kst_month_start_ms(kst_month(now)).unwrap_or(0),
        PeriodKind::Hourly => now - now % 3_600_000,
        PeriodKind::QuarterHour => now - now % 900_000,
    }
}

/// What one round did, as lines for a log.
#[derive(Debug, Default)]
pub struct Round {
    pub readings_batches: usize,
    pub intentions: usize,
    pub approvals: usize,
    pub lines: Vec<String>,
}

/// A site's energy management system; see the module docs.
pub struct SiteAgent {
    pub client: Client,
    pub site: SiteId,
    pub owner: TxSigner,
    pub meter: Option<MeterAgent>,
    pub market: MarketId,
    pub period: PeriodKind,
    pub rules: Vec<Rule>,
    pub approve: bool,
    /// What earlier rounds learned (fewer reads per round).
    pub seen: Seen,
}

/// Periods an agent already dealt with (in memory; a restarted agent reads them again).
#[derive(Debug, Default)]
pub struct Seen {
    /// Gate closure of each period looked at.
    gates: std::collections::BTreeMap<u64, u64>,
    /// Periods where the site has its intentions (or that are cleared).
    entered: std::collections::BTreeSet<u64>,
    /// Cleared periods with nothing left for this site to approve.
    approved: std::collections::BTreeSet<u64>,
}

impl Seen {
    /// Forgets periods that started more than 40 days before `now`.
    fn prune(&mut self, now: u64) {
        let old = now.saturating_sub(40 * 86_400_000);
        self.gates.retain(|s, _| *s >= old);
        self.entered.retain(|s| *s >= old);
        self.approved.retain(|s| *s >= old);
    }
}

/// How much chain time must be left before a gate for the agent to still enter an intention.
pub const GATE_MARGIN_MS: u64 = 60_000;

impl SiteAgent {
    /// One round: readings up to the head time, intentions for the next open period,
    /// approvals.
    pub async fn round(&mut self) -> anyhow::Result<Round> {
        let mut r = Round::default();
        let status = self.client.status().await?;
        if let Some(m) = &mut self.meter {
            r.readings_batches = m.catch_up(status.timestamp_ms).await?;
        }
        if self.rules.is_empty() && !self.approve {
            return Ok(r);
        }
        // The owner may also sign elsewhere (the dashboard): take the nonce and clock fresh.
        self.owner.resync(&self.client).await?;
        self.owner.resync_clock(&self.client).await?;
        let now = chain_time_ms(&self.client.status().await?);
        self.seen.prune(now);
        if !self.rules.is_empty() {
            self.intentions(now, &mut r).await?;
        }
        if self.approve {
            self.approvals(now, &mut r).await?;
        }
        Ok(r)
    }

    async fn period(&self, start: u64) -> anyhow::Result<Value> {
        self.client
            .market_period(self.market.as_str(), start)
            .await?
            .with_context(|| format!("no market {}", self.market))
    }

    /// The first period whose gate is still open: the rules, unless the site is in its book.
    async fn intentions(&mut self, now: u64, r: &mut Round) -> anyhow::Result<()> {
        for start in next_periods(self.period, now, 3) {
            if let Some(&gate) = self.seen.gates.get(&start) {
                if gate < now + GATE_MARGIN_MS {
                    continue;
                }
                if self.seen.entered.contains(&start) {
                    return Ok(());
                }
            }
            let p = self.period(start).await?;
            let gate = p["gate_closure_ms"].as_u64().unwrap_or(0);
            self.seen.gates.insert(start, gate);
            if gate < now + GATE_MARGIN_MS {
                continue;
            }
            let mine = |list: &Value| {
                list.as_array()
                    .is_some_and(|l| l.iter().any(|i| i["site"] == self.site.as_str()))
            };
            if mine(&p["sells"]) || mine(&p["buys"]) || p["cleared"] == true {
                self.seen.entered.insert(start);
                return Ok(());
            }
            let txs: Vec<_> = self
                .rules
                .clone()
                .iter()
                .map(|rule| {
                    self.owner.sign(
                        Payload::SubmitIntention(SubmitIntention {
                            market: self.market.clone(),
                            period_start_ms: start,
                            side: rule.side,
                            site: self.site.clone(),
                            energy_wh: rule.energy_wh,
                            limit: rule.limit,
                        }),
                        None,
                    )
                })
                .collect();
            for (tx, rule) in txs.iter().zip(&self.rules) {
                let status = confirm(&self.client, tx).await?;
                let side = if rule.side == Side::Sell {
                    "sell"
                } else {
                    "buy"
                };
                r.lines.push(format!(
                    "{}: {side} {} at {} for the period from {} KST: {status}",
                    self.site,
                    fmt_kwh(rule.energy_wh),
                    fmt_price(rule.limit),
                    crate::cli::readings::fmt_kst(start),
                ));
                if status == "success" {
                    r.intentions += 1;
                }
            }
            return Ok(());
        }
        Ok(())
    }

    /// Approves this site's side of contracts still waiting for it.
    async fn approvals(&mut self, now: u64, r: &mut Round) -> anyhow::Result<()> {
        let mut starts = vec![current_period(self.period, now)];
        starts.extend(next_periods(self.period, now, 1));
        for start in starts {
            let not_yet = self.seen.gates.get(&start).is_some_and(|g| *g > now);
            if not_yet || self.seen.approved.contains(&start) {
                continue;
            }
            let p = self.period(start).await?;
            let Some(contracts) = p["contracts"].as_array() else {
                continue;
            };
            let mut all_done = p["cleared"] == true;
            for c in contracts {
                let waiting = (c["seller_site"] == self.site.as_str()
                    && c["seller_approved"] == false)
                    || (c["buyer_site"] == self.site.as_str() && c["buyer_approved"] == false);
                let open = c["approval_deadline_ms"].as_u64().unwrap_or(0) > now;
                let Some(number) = c["number"].as_u64() else {
                    continue;
                };
                if !waiting || !open || c["approved"] == true {
                    continue;
                }
                let tx = self.owner.sign(
                    Payload::ApproveContract {
                        market: self.market.clone(),
                        period_start_ms: start,
                        number: number as u32,
                    },
                    None,
                );
                let status = confirm(&self.client, &tx).await?;
                r.lines.push(format!(
                    "{}: approved contract {}/{start}/{number}: {status}",
                    self.site, self.market
                ));
                if status == "success" {
                    r.approvals += 1;
                } else {
                    all_done = false;
                }
            }
            if all_done {
                self.seen.approved.insert(start);
            }
        }
        Ok(())
    }
}

/// Submits and waits: `success` or `failed <code>: <message>`.
pub async fn confirm(
    client: &Client,
    tx: &gridledger_types::SignedTransaction,
) -> anyhow::Result<String> {
    let hash = client.submit(tx).await?;
    let v = client.wait_for_tx(&hash, Duration::from_secs(60)).await?;
    Ok(match v.receipt.status {
        TxStatus::Success => "success".into(),
        TxStatus::Failed { code, message } => format!("failed {code}: {message}"),
    })
}

fn fmt_kwh(wh: u64) -> String {
    if wh.is_multiple_of(1_000) {
        format!("{} kWh", wh / 1_000)
    } else {
        format!("{}.{:03} kWh", wh / 1_000, wh % 1_000)
    }
}

fn fmt_price(p: PriceMilliWonPerKwh) -> String {
    if p.0.is_multiple_of(1_000) {
        format!("{} won/kWh", p.0 / 1_000)
    } else {
        format!("{}.{:03} won/kWh", p.0 / 1_000, p.0 % 1_000)
    }
}

pub async fn run(a: SiteArgs) -> anyhow::Result<()> {
    let site = SiteId::new(a.site.clone()).map_err(|e| anyhow::anyhow!("--site: {e}"))?;
    let market = MarketId::new(a.market.clone()).map_err(|e| anyhow::anyhow!("--market: {e}"))?;
    let mut rules: Vec<Rule> = a
        .sell
        .iter()
        .map(|&(energy_wh, limit)| Rule {
            side: Side::Sell,
            energy_wh,
            limit,
        })
        .chain(a.buy.iter().map(|&(energy_wh, limit)| Rule {
            side: Side::Buy,
            energy_wh,
            limit,
        }))
        .collect();
    if let Some(path) = &a.rules {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        rules.extend(parse_rules_json(&text).with_context(|| path.display().to_string())?);
    }
    let client = client(a.rpc.as_deref())?;
    let owner = load_key(&a.owner_key, a.password_file.as_ref())?;
    let owner = TxSigner::connect(&client, owner, None).await?;
    // The owner's reads (its account, its contracts, its transactions) are signed by the owner.
    let client = owner.reads(&client);
    let info = client
        .site(&site)
        .await?
        .with_context(|| format!("no site {site} on chain"))?;
    if info.owner != *owner.address() {
        bail!(
            "{} is not the owner of site {site} (the owner is {})",
            owner.address(),
            info.owner
        );
    }
    let meter = match (&a.meter_key, a.profile) {
        (Some(path), Some(profile)) => {
            let key = load_key(path, a.password_file.as_ref())?;
            let signer = TxSigner::connect(&client, key, None).await?;
            let from = match a.from {
                Some(f) => f,
                None => client.status().await?.timestamp_ms,
            };
            let seed = seed_of(a.seed.as_deref().unwrap_or(site.as_str()));
            println!(
                "site {site}: meter {} profile {profile} seed {seed}",
                signer.address()
            );
            Some(MeterAgent::profile(
                signer.reads(&client),
                signer,
                (profile, seed),
                a.interval,
                Some(from),
            ))
        }
        _ => None,
    };
    println!(
        "site {site}: owner {} market {market}, {} standing rule(s){}",
        owner.address(),
        rules.len(),
        if a.approve {
            ", approving contracts"
        } else {
            ""
        }
    );
    let mut agent = SiteAgent {
        client,
        site,
        owner,
        meter,
        market,
        period: a.period,
        rules,
        approve: a.approve,
        seen: Seen::default(),
    };
    let poll = Duration::from_secs(a.poll_secs);
    loop {
        match agent.round().await {
            Ok(r) => {
                for l in &r.lines {
                    println!("{l}");
                }
                if a.once {
                    return Ok(());
                }
            }
            Err(e) if !a.once && e.downcast_ref::<gridledger_sdk::Error>().is_some() => {
                eprintln!("warning: {e:#}; retrying in {} s", poll.as_secs());
            }
            Err(e) => return Err(e),
        }
        tokio::select! {
            _ = tokio::time::sleep(poll) => {}
            r = tokio::signal::ctrl_c() => {
                r.context("listening for Ctrl-C")?;
                println!("stopped");
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_in_kwh_and_won() {
        assert_eq!(
            parse_rule_arg("200@140"),
            Ok((200_000, PriceMilliWonPerKwh(140_000)))
        );
        assert_eq!(
            parse_rule_arg("12.5@131.25"),
            Ok((12_500, PriceMilliWonPerKwh(131_250)))
        );
        for bad in [
            "200", "@140", "200@", "0@140", "200@0", "x@1", "1@-3", "1.2345@1",
        ] {
            assert!(parse_rule_arg(bad).is_err(), "{bad}");
        }
        let rules = parse_rules_json(
            r#"[{"side":"sell","kwh":200,"won_per_kwh":"140.5"},{"side":"buy","kwh":"1.5","won_per_kwh":250}]"#,
        )
        .unwrap();
        assert_eq!(
            rules,
            vec![
                Rule {
                    side: Side::Sell,
                    energy_wh: 200_000,
                    limit: PriceMilliWonPerKwh(140_500)
                },
                Rule {
                    side: Side::Buy,
                    energy_wh: 1_500,
                    limit: PriceMilliWonPerKwh(250_000)
                }
            ]
        );
        for bad in [
            "{}",
            "[{\"side\":\"hold\",\"kwh\":1,\"won_per_kwh\":1}]",
            "[{\"side\":\"buy\",\"kwh\":true,\"won_per_kwh\":1}]",
            "nope",
        ] {
            assert!(parse_rules_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn periods_follow_the_kst_calendar() {
        // 2026-06-15 12:00 KST -> July and August 2026.
        let june15 = kst_month_start_ms(202606).unwrap() + 14 * 86_400_000 + 12 * 3_600_000;
        assert_eq!(
            next_periods(PeriodKind::Monthly, june15, 2),
            vec![
                kst_month_start_ms(202607).unwrap(),
                kst_month_start_ms(202608).unwrap()
            ]
        );
        assert_eq!(
            current_period(PeriodKind::Monthly, june15),
            kst_month_start_ms(202606).unwrap()
        );
        // December rolls over into January.
        let dec = kst_month_start_ms(202612).unwrap() + 1;
        assert_eq!(
            next_periods(PeriodKind::Monthly, dec, 1),
            vec![kst_month_start_ms(202701).unwrap()]
        );
        assert_eq!(
            next_periods(PeriodKind::QuarterHour, 1_000, 2),
            vec![900_000, 1_800_000]
        );
        assert_eq!(
            next_periods(PeriodKind::Hourly, 3_600_000, 1),
            vec![7_200_000]
        );
        assert!(parse_period_kind("weekly").is_err());
    }
}
