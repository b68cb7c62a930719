//! `gridledger agent site`: the command line of the site agent ([gridledger_agents::site]).
use super::{parse_interval, time_arg, MeterAgent};
use crate::cli::{client, load_key, parse_won};
use anyhow::{bail, Context};
use clap::Args;
pub use gridledger_agents::site::{Rule, Seen, SiteAgent};
use gridledger_sdk::{
    profile::{seed_of, Profile},
    TxSigner,
};
use gridledger_types::{MarketId, PeriodKind, PriceMilliWonPerKwh, Side, SiteId};
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
            Err(gridledger_agents::Error::Sdk(e)) if !a.once => {
                eprintln!("warning: {e:#}; retrying in {} s", poll.as_secs());
            }
            Err(e) => return Err(super::exit_on_failed_tx(e)),
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
    fn period_kinds_parse() {
        assert_eq!(parse_period_kind("15m"), Ok(PeriodKind::QuarterHour));
        assert!(parse_period_kind("weekly").is_err());
    }
}
