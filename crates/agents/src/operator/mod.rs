//! The operator agent: runs the calendar of every market on a network with the market
//! operator's key.
//!
//! Each round it reads the block time (the newest finalized block's timestamp), the markets'
//! configurations (`/api/v1/directory`), the periods of the last three months and their
//! billing, and sends what is due ([calendar] decides):
//! - `ClearPeriod` once a period's gate has closed (a monthly period always; a real-time one if
//!   intentions were entered for it, even if all were cancelled since),
//! - `SettlePeriod` once its dispute window has closed (a monthly period always; a real-time one
//!   if pairing made contracts),
//! - `IssueBills` once a month has ended (the 1st, 00:00 KST) and all its periods are closed,
//!   one batch of sites a round until every site is billed,
//! - `CollectBills` (auto-debit) from the bills' due time, a batch a round until all are tried,
//! - `ExpireChargingHolds` when prepaid charging sessions have expired (on nodes that serve the
//!   charging routes).
//!
//! Restart-safe and idempotent: a round starts from the chain only. The one thing kept between
//! rounds is a read cache of periods the chain showed finished (settled, or closed with nothing
//! to pair), facts that never change. A step another agent sent first is refused by the chain
//! (`already_cleared`, `already_settled`, `already_billed`, `already_collected`,
//! `nothing_expired`, or `nonce_taken` at admission for the same key) and reported as
//! [Outcome::AlreadyDone] or [Outcome::Refused].
pub mod calendar;
pub mod lines;

use crate::Error;
use calendar::{MonthState, MonthStep, PeriodState, PeriodStep};
use gridledger_sdk::{api::SessionFilter, Client, TxSigner};
use gridledger_types::{
    kst_month, kst_month_start_ms, ConfigureMarket, MarketId, Payload, PrivateKey, TxStatus,
    EXPIRE_BATCH_MAX,
};
use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

/// Months looked back on (the current one and the two before it).
pub const MONTHS_BACK: u32 = 2;
/// How long a round waits for one of its transactions to be finalized.
pub const TX_WAIT: Duration = Duration::from_secs(30);

/// One step of the calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Clear { market: MarketId, start_ms: u64 },
    Settle { market: MarketId, start_ms: u64 },
    IssueBills { month: u32 },
    CollectBills { month: u32 },
    ExpireHolds { max: u32 },
}

impl Action {
    fn payload(&self) -> Payload {
        match self {
            Self::Clear { market, start_ms } => Payload::ClearPeriod {
                market: market.clone(),
                period_start_ms: *start_ms,
            },
            Self::Settle { market, start_ms } => Payload::SettlePeriod {
                market: market.clone(),
                period_start_ms: *start_ms,
            },
            Self::IssueBills { month } => Payload::IssueBills { month: *month },
            Self::CollectBills { month } => Payload::CollectBills { month: *month },
            Self::ExpireHolds { max } => Payload::ExpireChargingHolds { max: *max },
        }
    }
}

/// What became of a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Finalized and succeeded.
    Done,
    /// Finalized but failed because it was already done (another agent was first).
    AlreadyDone { code: String },
    /// Finalized but failed otherwise.
    Failed { code: String, message: String },
    /// Not admitted (e.g. `nonce_taken`: another agent with the same key signed first), or its
    /// fate is unknown (not finalized in [TX_WAIT]); the next round reads the chain again.
    Refused { message: String },
}

/// One step a round took, with a line for people.
#[derive(Clone, Debug)]
pub struct Report {
    pub action: Action,
    pub outcome: Outcome,
    pub line: String,
}

/// Failure codes meaning "this step was already taken".
const ALREADY: &[&str] = &[
    "already_cleared",
    "already_settled",
    "already_billed",
    "already_collected",
    "nothing_expired",
];

/// The operator agent (see the module doc).
pub struct OperatorAgent {
    /// Reads signed with the operator's key (it reads everything a market operator may).
    client: Client,
    signer: TxSigner,
    /// Periods the chain showed finished: (market, start).
    finished: BTreeSet<(MarketId, u64)>,
    /// Timestamp of block 1 (no month before it is paired or billed).
    genesis_ms: Option<u64>,
}

impl OperatorAgent {
    /// An agent signing with `key` (the market operator's) on the node `client` talks to.
    pub async fn connect(client: Client, key: PrivateKey) -> Result<Self, Error> {
        let signer = TxSigner::connect(&client, key, None).await?;
        Ok(Self {
            client: signer.reads(&client),
            signer,
            finished: BTreeSet::new(),
            genesis_ms: None,
        })
    }

    /// The address it signs with.
    pub fn address(&self) -> &gridledger_types::Address {
        self.signer.address()
    }

    /// Rounds every `poll` until the future is dropped; `report` sees each step and each
    /// round's error (the next round retries).
    pub async fn run(mut self, poll: Duration, mut report: impl FnMut(Result<&Report, &Error>)) {
        loop {
            match self.round().await {
                Ok(steps) => steps.iter().for_each(|s| report(Ok(s))),
                Err(e) => report(Err(&e)),
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// One round: reads the chain and sends what is due at its block time.
    pub async fn round(&mut self) -> Result<Vec<Report>, Error> {
        let now = self.client.status().await?.timestamp_ms;
        let Some(genesis) = self.genesis().await? else {
            return Ok(Vec::new());
        };
        self.signer.resync(&self.client).await?;
        self.signer.resync_clock(&self.client).await?;
        let cur = kst_month(now);
        let mut months = vec![cur];
        for _ in 0..MONTHS_BACK {
            let prev = calendar_prev(months[0]);
            if prev < kst_month(genesis) {
                break;
            }
            months.insert(0, prev);
        }
        let mut billing = BTreeMap::new();
        for m in &months {
            if let Some(v) = self.client.month_billing(*m).await? {
                let s = MonthState::from_view(&v)
                    .ok_or_else(|| Error::Unexpected(format!("billing view of {m}: {v}")))?;
                billing.insert(*m, s);
            }
        }
        let from = kst_month_start_ms(months[0]).unwrap_or(genesis);
        let (periods, open) = self.periods_due(now, from, &billing).await?;
        let mut out = Vec::new();
        for a in periods {
            out.push(self.send(a).await);
        }
        for m in months.iter().filter(|m| **m < cur) {
            let Some(s) = billing.get(m) else { continue };
            let action = match calendar::month_step(*m, s, open.contains(m), now) {
                MonthStep::Issue => Action::IssueBills { month: *m },
                MonthStep::Collect => Action::CollectBills { month: *m },
                MonthStep::Wait | MonthStep::Done => continue,
            };
            out.push(self.send(action).await);
        }
        if let Some(n) = self.expired_holds(now).await? {
            out.push(self.send(Action::ExpireHolds { max: n }).await);
        }
        Ok(out)
    }

    /// Timestamp of block 1, once there is one.
    async fn genesis(&mut self) -> Result<Option<u64>, Error> {
        if self.genesis_ms.is_none() {
            self.genesis_ms = self.client.block(1).await?.map(|b| b.timestamp_ms);
        }
        Ok(self.genesis_ms)
    }

    /// The pairings and settlements due at `now` for periods starting from `from_ms`, and the
    /// months that still have a period open.
    async fn periods_due(
        &mut self,
        now: u64,
        from_ms: u64,
        billing: &BTreeMap<u32, MonthState>,
    ) -> Result<(Vec<Action>, BTreeSet<u32>), Error> {
        let dir = self.client.directory().await?;
        let markets: Vec<ConfigureMarket> = serde_json::from_value(dir["markets"].clone())
            .map_err(|e| Error::Unexpected(format!("directory markets: {e}")))?;
        let (mut clears, mut settles, mut open) = (Vec::new(), Vec::new(), BTreeSet::new());
        for m in &markets {
            let to = now.saturating_add(m.gate_lead_ms);
            for start in calendar::period_starts(m.period_kind, from_ms, to) {
                let month = kst_month(start);
                // A month whose billing started has its periods closed.
                if billing.get(&month).is_some_and(|b| b.started)
                    || self.finished.contains(&(m.market.clone(), start))
                {
                    continue;
                }
                let Some(v) = self.client.market_period(m.market.as_str(), start).await? else {
                    continue;
                };
                let p = PeriodState::from_view(&v)
                    .ok_or_else(|| Error::Unexpected(format!("period view: {v}")))?;
                let market = m.market.clone();
                match calendar::period_step(m.period_kind, m.dispute_window_ms, &p, now) {
                    PeriodStep::Done => {
                        self.finished.insert((market, start));
                        continue;
                    }
                    PeriodStep::Clear => clears.push(Action::Clear {
                        market,
                        start_ms: start,
                    }),
                    PeriodStep::Settle => settles.push(Action::Settle {
                        market,
                        start_ms: start,
                    }),
                    PeriodStep::Wait => {}
                }
                open.insert(month);
            }
        }
        clears.append(&mut settles);
        Ok((clears, open))
    }

    /// How many charging holds to expire now, if any (`None` also where the node serves no
    /// charging routes).
    async fn expired_holds(&self, now: u64) -> Result<Option<u32>, Error> {
        let filter = SessionFilter {
            state: Some("open".into()),
            limit: Some(1_000),
            ..Default::default()
        };
        let sessions = match self.client.charging_sessions(&filter).await {
            Ok(v) => v,
            Err(gridledger_sdk::Error::Api { .. }) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let n = calendar::expired_holds(&sessions, now) as u32;
        Ok((n > 0).then_some(n.min(EXPIRE_BATCH_MAX)))
    }

    /// Signs and submits `action`, waits for it and describes what became of it.
    async fn send(&mut self, action: Action) -> Report {
        let tx = self.signer.sign(action.payload(), None);
        let outcome = match self.client.submit(&tx).await {
            Err(e) => {
                // A refused nonce leaves the local count ahead: relearn it.
                let _ = self.signer.resync(&self.client).await;
                Outcome::Refused {
                    message: e.to_string(),
                }
            }
            Ok(hash) => match self.client.wait_for_tx(&hash, TX_WAIT).await {
                Ok(v) => match v.receipt.status {
                    TxStatus::Success => Outcome::Done,
                    TxStatus::Failed { code, .. } if ALREADY.contains(&code.as_str()) => {
                        Outcome::AlreadyDone { code }
                    }
                    TxStatus::Failed { code, message } => Outcome::Failed { code, message },
                },
                Err(e) => Outcome::Refused {
                    message: e.to_string(),
                },
            },
        };
        let line = lines::describe(&self.client, &action, &outcome).await;
        Report {
            action,
            outcome,
            line,
        }
    }
}

/// The month before `yyyymm`.
fn calendar_prev(yyyymm: u32) -> u32 {
    if yyyymm % 100 <= 1 {
        (yyyymm / 100 - 1) * 100 + 12
    } else {
        yyyymm - 1
    }
}
