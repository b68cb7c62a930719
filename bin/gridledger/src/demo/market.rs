//! The operator's side of the demo: the market calendar is the operator agent's
//! ([gridledger_agents::operator], one round per demo tick, so every step gets its turn before
//! the market clock moves on); around it, what the demo's cast does by itself: early payers pay
//! their bills on the 10th and the bank tops up EV wallets once a month.
use super::{
    cast::{self, SITES},
    say,
    seed::submit_all,
};
use crate::cli::agent::site::SiteAgent;
use anyhow::Result;
use gridledger_agents::operator::{lines::won, OperatorAgent};
use gridledger_sdk::{client::Client, signer::TxSigner};
use gridledger_types::{kst_month, kst_month_start_ms, MilliWon, Payload};

const DAY_MS: u64 = 86_400_000;

/// The operator agent, the bank's signer and the EV members it tops up.
pub struct Operator {
    pub client: Client,
    pub agent: OperatorAgent,
    pub bank: TxSigner,
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

impl Operator {
    /// One tick of duties at chain time `now`.
    pub async fn duties(&mut self, now: u64, agents: &mut [SiteAgent]) -> Result<()> {
        for r in self.agent.round().await? {
            say(&r.line);
        }
        self.pay_early(now, prev_month(kst_month(now)), agents)
            .await?;
        let cur = kst_month(now);
        if self.topped_up != cur {
            self.bank.resync(&self.client).await?;
            self.bank.resync_clock(&self.client).await?;
            self.top_up().await?;
            self.topped_up = cur;
        }
        Ok(())
    }

    /// From the 10th, the early payers pay last month's bills if they are still unpaid.
    async fn pay_early(&mut self, now: u64, m: u32, agents: &mut [SiteAgent]) -> Result<()> {
        let end = kst_month_start_ms(gridledger_types::next_month(m)).unwrap_or(u64::MAX);
        if now < end.saturating_add((u64::from(cast::PAY_DAY) - 1) * DAY_MS) {
            return Ok(());
        }
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
