//! What the API needs from a node ([NodeApi]): the reads behind the routes, admission of
//! submitted transactions, and the stream of finalized blocks.
use crate::views::{
    AccountView, BlockView, ClockAdvance, ClockView, DeviceView, FinalizedEvent, ParticipantView,
    PeriodView, SiteMandatesView, SiteReadingsView, SiteView, StatusView, TxView, ValidatorsView,
};
use futures_core::Stream;
use gridledger_types::{Address, ChargerId, Hash32, SessionState, SignedTransaction, SiteId};
use std::{pin::Pin, sync::Arc};

/// A subscriber fell this many finalized blocks behind and missed them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lagged(pub u64);

/// Finalized blocks as they happen, from the moment of [NodeApi::subscribe]; ends when the
/// node stops.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<Arc<FinalizedEvent>, Lagged>> + Send>>;

/// A read of charging state (for the member service and the charging routes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChargingQuery {
    Config {
        operator: Address,
    },
    Charger {
        charger: ChargerId,
    },
    Chargers,
    Member {
        member_no: u64,
    },
    MemberByAccount {
        account: Address,
    },
    MemberByCard {
        card: String,
    },
    Session {
        charger: ChargerId,
        session: u64,
    },
    /// `states` empty = any.
    Sessions {
        charger: Option<ChargerId>,
        member_no: Option<u64>,
        states: Vec<SessionState>,
        limit: usize,
    },
    /// How many prepaid holds have expired at `now_ms` (at most `limit`).
    DueExpiries {
        now_ms: u64,
        limit: usize,
    },
    /// KST days `YYYYMMDD`, inclusive.
    Revenue {
        charger: Option<ChargerId>,
        from: u32,
        to: u32,
    },
}

/// A read of the billing routes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BillingQuery {
    /// `GET /api/v1/sites/{site}/bills/{month}`
    SiteBill { site: SiteId, month: u32 },
    /// `GET /api/v1/accounts/{address}/bills/{month}`
    AccountBill { account: Address, month: u32 },
    /// `GET /api/v1/billing/{month}`
    Month { month: u32 },
    /// `GET /api/v1/sites/{site}/forecast/{month}`
    Forecast { site: SiteId, month: u32 },
    /// `GET /api/v1/ppas/{id}`
    Ppa { id: Hash32 },
    /// `GET /api/v1/markets/{market}/ppas` (an empty list for an unknown market)
    MarketPpas { market: SiteId },
    /// `GET /api/v1/reports/bank/{month}`; `csv` asks for the CSV text as a JSON string.
    BankReport {
        month: u32,
        period: Option<(SiteId, u64)>,
        csv: bool,
    },
}

/// Why the node did not move its clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClockRefusal {
    /// The node does not allow clock control (anything but `devnet --clock-control`).
    Disabled,
    /// The step is zero, too large, or would move chain time backwards (the message says).
    Invalid(String),
}

/// Why the node refused a submitted transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    /// Stable code, e.g. `bad_signature`, `stale_nonce`, `expired`, `mempool_full`.
    pub code: String,
    pub message: String,
}

/// Failure inside the node while answering a read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeError(pub String);

/// What the API needs from a node. Implemented by the real node (crates/node) and by
/// test doubles in this crate's tests.
pub trait NodeApi: Send + Sync + 'static {
    fn status(&self) -> StatusView;
    /// Admit decoded transactions to the mempool; one result per transaction, in order.
    fn submit(&self, txs: Vec<SignedTransaction>) -> Vec<Result<Hash32, Rejected>>;
    fn tx(&self, hash: &Hash32) -> Result<Option<TxView>, NodeError>;
    fn block(&self, height: u64) -> Result<Option<BlockView>, NodeError>;
    fn account(&self, address: &Address) -> Result<AccountView, NodeError>;
    fn participant(&self, address: &Address) -> Result<Option<ParticipantView>, NodeError>;
    /// The device registered at `address`, if any. Nodes without devices keep this default
    /// (none: a device's signed reads then see only its own account).
    fn device(&self, address: &Address) -> Result<Option<DeviceView>, NodeError> {
        let _ = address;
        Ok(None)
    }
    /// Transactions that name `address`, newest first, strictly older than `before`
    /// (height, index) when given.
    fn history(
        &self,
        address: &Address,
        before: Option<(u64, u32)>,
        limit: usize,
    ) -> Result<Vec<TxView>, NodeError>;
    fn site(&self, site: &SiteId) -> Result<Option<SiteView>, NodeError>;
    /// `None` if the site does not exist.
    fn site_readings(
        &self,
        site: &SiteId,
        month: u32,
    ) -> Result<Option<SiteReadingsView>, NodeError>;
    /// `None` if the market does not exist.
    fn market_period(
        &self,
        market: &SiteId,
        period_start_ms: u64,
    ) -> Result<Option<PeriodView>, NodeError>;
    /// Bills, billing progress and bank reports as JSON (the execution crate's records); `None`
    /// when the thing asked for does not exist (yet).
    fn billing(&self, q: &BillingQuery) -> Result<Option<serde_json::Value>, NodeError>;
    /// Charging records as JSON (the execution crate's charging views); `None` when the thing
    /// asked for does not exist. Nodes without charging state keep this default.
    fn charging(&self, q: &ChargingQuery) -> Result<Option<serde_json::Value>, NodeError> {
        let _ = q;
        Ok(None)
    }
    /// The validator set of the finalized state. Nodes without one keep this default, which
    /// is an error (`500 internal_error`).
    fn validators(&self) -> Result<ValidatorsView, NodeError> {
        Err(NodeError(
            "this node does not serve the validator set".into(),
        ))
    }
    /// Everything registered on chain (the execution crate's `Directory` as JSON). Nodes
    /// without one keep this default, which is an error (`500 internal_error`).
    fn directory(&self) -> Result<serde_json::Value, NodeError> {
        Err(NodeError("this node does not serve the directory".into()))
    }
    /// Transactions filed under a topic key (`gridledger_types::Topic::key`), newest first, as
    /// [NodeApi::history]. Nodes without a history index keep this default (empty).
    fn topic_history(
        &self,
        key: &[u8; 32],
        before: Option<(u64, u32)>,
        limit: usize,
    ) -> Result<Vec<TxView>, NodeError> {
        let _ = (key, before, limit);
        Ok(Vec::new())
    }
    /// A site's sales-company mandates; `None` if the site does not exist. Nodes without them
    /// keep this default, which is an error (`500 internal_error`).
    fn site_mandates(&self, site: &SiteId) -> Result<Option<SiteMandatesView>, NodeError> {
        let _ = site;
        Err(NodeError("this node does not serve mandates".into()))
    }
    /// Finalized blocks as they happen (the subscription starts at this call).
    fn subscribe(&self) -> EventStream;
    /// Node-specific Prometheus metrics in text exposition format (the API adds its own).
    fn metrics_text(&self) -> String;
    /// Moves the chain clock forward (devnet only). Nodes without clock control keep this
    /// default, which refuses.
    fn advance_clock(&self, step: ClockAdvance) -> Result<ClockView, ClockRefusal> {
        let _ = step;
        Err(ClockRefusal::Disabled)
    }
}
