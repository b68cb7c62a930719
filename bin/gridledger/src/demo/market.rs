//! The operator's integrated operating system in the demo: the market calendar's steps, each
//! sent once its time has come (pairing at gate closure, settlement after the dispute window,
//! bills, early payments, auto-debit on the due day), and the bank topping up EV wallets.
use super::{
    cast::{self, SITES},
    say,
    seed::submit_all,
};
use crate::cli::agent::site::SiteAgent;
use anyhow::Result;
use gridledger_sdk::{client::Client, signer::TxSigner};
use gridledger_types::{
    kst_month, kst_month_start_ms, next_month, MilliWon, Payload, SignedTransaction,
};
use serde_json::Value;
use std::collections::BTreeSet;

const DAY_MS: u64 = 86_400_000;

/// The operator's and the bank's signers and what is already done.
pub struct Operator {
    pub client: Client,
    pub op: TxSigner,
    pub bank: TxSigner,
    /// First month the demo traded or metered.
    pub first_month: u32,
    /// Months whose bills are collected (nothing left to do).
    pub finished: BTreeSet<u32>,
    /// Months whose early payers paid.
    pub paid_early: BTreeSet<u32>,
    /// The month whose EV wallets were last checked.
    pub topped_up: u32,
    pub members: Vec<gridledger_types::Address>,
}

fn prev_month(m: u32) -> u32 {
    if m % 100 == 1 {
        (m / 100 - 1) * 100 + 12
    } else {
        m - 1
    }
}

fn month_label(m: u32) -> String {
    format!("{}-{:02}", m / 100, m % 100)
}

fn won(mwon: u64) -> String {
    let w = mwon / 1_000;
    let s = w.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Operator {
    async fn resync(&mut self) -> Result<()> {
        self.op.resync(&self.client).await?;
        self.op.resync_clock(&self.client).await?;
        self.bank.resync(&self.client).await?;
        self.bank.resync_clock(&self.client).await?;
        Ok(())
    }

    /// One tick of duties at chain time `now`.
    pub async fn duties(&mut self, now: u64, agents: &mut [SiteAgent]) -> Result<()> {
        self.resync().await?;
        let cur = kst_month(now);
        for m in [cur, next_month(cur)] {
            self.clear(now, m).await?;
        }
        // Months that have ended, newest three.
        let mut m = prev_month(cur);
        let mut months = Vec::new();
        while m >= self.first_month && months.len() < 3 {
            if !self.finished.contains(&m) {
                months.push(m);
            }
            m = prev_month(m);
        }
        for m in months.into_iter().rev() {
            self.month_end(now, m, agents).await?;
        }
        if self.topped_up != cur {
            self.top_up().await?;
            self.topped_up = cur;
        }
        Ok(())
    }

    async fn period(&self, m: u32) -> Result<Option<Value>> {
        let Some(start) = kst_month_start_ms(m) else {
            return Ok(None);
        };
        Ok(self.client.market_period(cast::MARKET, start).await?)
    }

    async fn send(&mut self, what: &str, payload: Payload) -> Result<bool> {
        let tx: SignedTransaction = self.op.sign(payload, None);
        Ok(submit_all(&self.client, what, &[tx]).await? == 1)
    }

    /// Pairing at gate closure: the month's intentions become contracts.
    async fn clear(&mut self, now: u64, m: u32) -> Result<()> {
        let Some(p) = self.period(m).await? else {
            return Ok(());
        };
        let has_book = |k: &str| p[k].as_array().is_some_and(|l| !l.is_empty());
        let gate = p["gate_closure_ms"].as_u64().unwrap_or(u64::MAX);
        if p["cleared"] == true || now < gate || !(has_book("sells") || has_book("buys")) {
            return Ok(());
        }
        let start = kst_month_start_ms(m).unwrap_or(0);
        if !self
            .send(
                "pairing",
                Payload::ClearPeriod {
                    market: gridledger_types::MarketId::new(cast::MARKET)?,
                    period_start_ms: start,
                },
            )
            .await?
        {
            return Ok(());
        }
        let p = self.period(m).await?.unwrap_or_default();
        let n = p["contracts"].as_array().map_or(0, Vec::len);
        say(&format!(
            "gate closed for {}: ClearPeriod paired {n} contracts, {} kWh at {} won/kWh \
             (the sites approve them within 2 days)",
            month_label(m),
            p["matched_wh"].as_u64().unwrap_or(0) / 1_000,
            won(p["clearing_price"].as_u64().unwrap_or(0))
        ));
        Ok(())
    }

    /// After a month: settlement, bills, early payments, auto-debit on the due day.
    async fn month_end(&mut self, now: u64, m: u32, agents: &mut [SiteAgent]) -> Result<()> {
        let end = kst_month_start_ms(next_month(m)).unwrap_or(u64::MAX);
        if now < end + cast::DISPUTE_WINDOW_MS {
            return Ok(());
        }
        let p = self.period(m).await?.unwrap_or_default();
        let has_book = |k: &str| p[k].as_array().is_some_and(|l| !l.is_empty());
        let traded = p["cleared"] == true || has_book("sells") || has_book("buys");
        let Some(mb) = self.client.month_billing(m).await? else {
            return Ok(());
        };
        let started = mb["progress"]["started"] == true;
        if traded && p["cleared"] != true && !started {
            self.clear(now, m).await?;
            return Ok(());
        }
        if traded && p["settled"] != true && !started {
            let start = kst_month_start_ms(m).unwrap_or(0);
            if self
                .send(
                    "settlement",
                    Payload::SettlePeriod {
                        market: gridledger_types::MarketId::new(cast::MARKET)?,
                        period_start_ms: start,
                    },
                )
                .await?
            {
                let p = self.period(m).await?.unwrap_or_default();
                let contracts = p["contracts"].as_array().cloned().unwrap_or_default();
                let delivered: u64 = contracts
                    .iter()
                    .filter_map(|c| c["delivered_wh"].as_u64())
                    .sum();
                let amount: u64 = contracts
                    .iter()
                    .filter_map(|c| c["energy_amount"].as_u64())
                    .sum();
                say(&format!(
                    "1st: {} settled (SettlePeriod): {} contracts delivered {} kWh worth {} won",
                    month_label(m),
                    contracts.len(),
                    delivered / 1_000,
                    won(amount)
                ));
            }
            return Ok(());
        }
        if mb["progress"]["done"] != true {
            if self.send("bills", Payload::IssueBills { month: m }).await? {
                let mb = self.client.month_billing(m).await?.unwrap_or_default();
                say(&format!(
                    "1st: bills for {} issued (IssueBills): {} sites billed with and without \
                     P2P, {} account bills due on the {}th",
                    month_label(m),
                    mb["progress"]["sites_billed"],
                    mb["bills"],
                    cast::DUE_DAY
                ));
            }
            return Ok(());
        }
        if !self.paid_early.contains(&m) && now >= end + (u64::from(cast::PAY_DAY) - 1) * DAY_MS {
            for (s, a) in SITES.iter().zip(agents.iter_mut()) {
                if !s.pays_early {
                    continue;
                }
                let bill = self.client.account_bill(a.owner.address(), m).await?;
                if bill.as_ref().is_none_or(|b| b["status"] != "unpaid") {
                    continue;
                }
                a.owner.resync(&self.client).await?;
                a.owner.resync_clock(&self.client).await?;
                let tx = a.owner.sign(Payload::PayBill { month: m }, None);
                if submit_all(&self.client, "payment", &[tx]).await? == 1 {
                    let due = bill.map_or(0, |b| b["bill"]["due"].as_u64().unwrap_or(0));
                    say(&format!(
                        "{}th: {} paid its {} bill of {} won early (PayBill)",
                        cast::PAY_DAY,
                        s.login,
                        month_label(m),
                        won(due)
                    ));
                }
            }
            self.paid_early.insert(m);
        }
        let due = mb["due_ms"].as_u64().unwrap_or(u64::MAX);
        if now >= due && mb["progress"]["collected"] != true {
            if self
                .send("collection", Payload::CollectBills { month: m })
                .await?
            {
                let mb = self.client.month_billing(m).await?.unwrap_or_default();
                say(&format!(
                    "{}th: bills for {} due: CollectBills auto-debited the wallets: {} of {} \
                     paid, {} overdue",
                    cast::DUE_DAY,
                    month_label(m),
                    mb["paid"],
                    mb["bills"],
                    mb["overdue"]
                ));
            }
        } else if mb["progress"]["collected"] == true {
            self.finished.insert(m);
        }
        Ok(())
    }

    /// Once a month the bank tops up EV wallets that ran low (members' deposits).
    async fn top_up(&mut self) -> Result<()> {
        let mut txs = Vec::new();
        for a in &self.members {
            let acct = self.client.account(a).await?;
            if acct.balance.0 < 60_000_000 {
                txs.push(self.bank.sign(
                    Payload::Mint {
                        to: a.clone(),
                        amount: MilliWon::from_won(100_000).unwrap_or_default(),
                        bank_ref: format!("DEMO-EV-TOPUP-{}", &a.to_hex()[..8]),
                    },
                    None,
                ));
            }
        }
        if !txs.is_empty() {
            let n = submit_all(&self.client, "top-up", &txs).await?;
            say(&format!("bank: {n} EV members topped up 100,000 won"));
        }
        Ok(())
    }
}
