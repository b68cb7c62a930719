//! The site agent: a site's energy management system (k-BEMS for a commercial building, HEMS
//! for a home). Each round it posts the site's meter readings (the [crate::meter] agent, signed
//! with the meter's key), enters its standing sell/buy rules for the next period of a market
//! whose gate is still open unless the site already has an intention there (signed with the
//! owner's key), and approves its contracts when the market needs approvals.
use crate::{meter::MeterAgent, readings::fmt_kst, Error};
use gridledger_sdk::{signer::chain_time_ms, Client, TxSigner};
use gridledger_types::{
    kst_month, kst_month_start_ms, next_month, MarketId, Payload, PeriodKind, PriceMilliWonPerKwh,
    Side, SiteId, SubmitIntention, TxStatus,
};
use serde_json::Value;
use std::time::Duration;

/// A standing rule: offer or bid this much every period at this limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub side: Side,
    pub energy_wh: u64,
    pub limit: PriceMilliWonPerKwh,
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
    pub async fn round(&mut self) -> Result<Round, Error> {
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

    async fn period(&self, start: u64) -> Result<Value, Error> {
        self.client
            .market_period(self.market.as_str(), start)
            .await?
            .ok_or_else(|| Error::NoMarket(self.market.to_string()))
    }

    /// The first period whose gate is still open: the rules, unless the site is in its book.
    async fn intentions(&mut self, now: u64, r: &mut Round) -> Result<(), Error> {
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
                    fmt_kst(start),
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
    async fn approvals(&mut self, now: u64, r: &mut Round) -> Result<(), Error> {
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
) -> Result<String, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
