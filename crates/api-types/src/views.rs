//! JSON shapes of the API's reads and submissions, shared by the server and the SDK client. Amounts are integers in
//! milli-won, hashes and addresses are lowercase hex.
use crate::error::ErrorBody;
use gridledger_types::{
    Address, DeviceKind, Hash32, MandateSides, MilliWon, Receipt, Role, SiteId, ValidatorEntry,
};
use serde::{Deserialize, Serialize};

/// `GET /api/v1/status`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    pub chain_id: String,
    /// Last finalized height.
    pub height: u64,
    /// Hash of the last finalized block.
    pub block_hash: Hash32,
    /// State root after the last finalized block.
    pub state_root: Hash32,
    /// Timestamp of the last finalized block (ms since the Unix epoch).
    pub timestamp_ms: u64,
    /// The node's chain clock (ms since the Unix epoch): the time it would stamp on a block
    /// now. Wall time on a real network; a devnet's clock may be started elsewhere and moved
    /// ahead. Sign expiries against this, not the local clock. (0 from nodes that predate it.)
    #[serde(default)]
    pub now_ms: u64,
    /// `validator` or `full`.
    pub role: String,
    pub peers: Vec<String>,
    pub mempool_txs: u64,
    pub version: String,
}

/// `GET /api/v1/blocks/{height}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockView {
    pub height: u64,
    pub hash: Hash32,
    pub parent: Hash32,
    pub timestamp_ms: u64,
    pub state_root: Hash32,
    pub tx_count: u32,
    pub tx_hashes: Vec<Hash32>,
}

/// `GET /api/v1/txs/{hash}`: a finalized transaction with its receipt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxView {
    pub hash: Hash32,
    pub height: u64,
    pub index: u32,
    pub block_hash: Hash32,
    pub timestamp_ms: u64,
    /// The decoded transaction (chain id, signer, nonce, expiry, payload, signature).
    pub tx: serde_json::Value,
    pub receipt: Receipt,
}

/// A hold (escrow) as shown on an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldView {
    pub id: Hash32,
    pub payer: Address,
    pub beneficiary: Address,
    pub amount: MilliWon,
    pub expires_at_ms: u64,
}

/// `GET /api/v1/accounts/{address}`. An unknown address is a zero account, not an error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub address: Address,
    pub balance: MilliWon,
    /// Sum of the account's open holds (as payer).
    pub held: MilliWon,
    /// The nonce its next transaction must carry.
    pub nonce: u64,
    pub role: Option<Role>,
    pub suspended: bool,
    pub holds: Vec<HoldView>,
}

/// `GET /api/v1/participants/{address}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantView {
    pub address: Address,
    pub role: Role,
    pub name: String,
    pub suspended: bool,
}

/// A registered device (a meter's or a charger's own key) and its owner: a signed read by a
/// device's key reads as its owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceView {
    pub device: Address,
    pub kind: DeviceKind,
    pub owner: Address,
}

/// `GET /api/v1/validators`: the validator set in the finalized state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorsView {
    /// Blocks per epoch; epoch `e` covers heights `[e*L, (e+1)*L - 1]`.
    pub epoch_length: u64,
    /// The epoch of the last finalized block.
    pub current_epoch: u64,
    /// The set in force in `current_epoch`, sorted by key.
    pub validators: Vec<ValidatorEntry>,
    /// A different set recorded for a later epoch (by `ChangeValidators`), if any. It can still
    /// change until the last block of the current epoch is finalized.
    pub scheduled: Option<ScheduledValidators>,
}

/// A validator set that takes effect at the first block of `epoch`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduledValidators {
    pub epoch: u64,
    pub validators: Vec<ValidatorEntry>,
}

/// `GET /api/v1/sites/{site}`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteView {
    pub site: SiteId,
    pub owner: Address,
    /// `commercial_building` or `household`.
    pub kind: String,
    pub tariff_class: String,
    pub contract_kw: u32,
    pub feeder: u32,
    pub name: String,
    pub registered_at: u64,
}

/// A sales company's mandate for a site (live or ended).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MandateView {
    pub company: Address,
    pub sides: MandateSides,
    /// Empty: every market.
    pub markets: Vec<SiteId>,
    pub from_ms: u64,
    /// `None`: until revoked.
    pub until_ms: Option<u64>,
    /// Basis points of the site's energy sales paid to the company.
    pub share_bp: u32,
    pub granted_at_ms: u64,
    pub revoked_at_ms: Option<u64>,
    /// The company may act under it at the head's block time.
    pub active: bool,
}

/// `GET /api/v1/sites/{site}/mandates`: the site's mandate records, by company key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteMandatesView {
    pub site: SiteId,
    pub owner: Address,
    pub mandates: Vec<MandateView>,
}

/// One interval's energy at a site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntervalView {
    pub start_ms: u64,
    pub import_wh: u64,
    pub export_wh: u64,
}

/// `GET /api/v1/sites/{site}/readings?month=YYYYMM`: a site's measured KST month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteReadingsView {
    pub site: SiteId,
    pub month: u32,
    /// Month totals including corrections and energy across reporting gaps.
    pub import_wh: u64,
    pub export_wh: u64,
    pub corrections: u32,
    /// Per-interval energy, oldest first.
    pub intervals: Vec<IntervalView>,
}

/// An intention in a period's order book.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentionView {
    pub id: Hash32,
    /// Arrival number within the period (ties are broken by it).
    pub seq: u32,
    pub owner: Address,
    pub site: SiteId,
    pub feeder: u32,
    pub energy_wh: u64,
    /// Minimum (sell) or maximum (buy) price, milli-won per kWh.
    pub limit: u64,
    pub filled_wh: u64,
}

/// A contract set at gate closure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContractView {
    pub number: u32,
    pub sell: Hash32,
    pub buy: Hash32,
    pub seller: Address,
    pub buyer: Address,
    pub seller_site: SiteId,
    pub buyer_site: SiteId,
    pub energy_wh: u64,
    /// Milli-won per kWh.
    pub price: u64,
    /// Approved at pairing, or once both parties approved.
    pub approved: bool,
    pub seller_approved: bool,
    pub buyer_approved: bool,
    /// Approvals count until this time (0 where none is needed); after it an unapproved
    /// contract has lapsed.
    pub approval_deadline_ms: u64,
    /// After settlement: energy delivered and the amounts it is worth (milli-won).
    pub delivered_wh: Option<u64>,
    pub energy_amount: Option<u64>,
    pub fees: Option<u64>,
}

/// `GET /api/v1/markets/{market}/periods/{start}`: the sorted order book of a period and, once
/// cleared, its contracts and clearing price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodView {
    pub market: SiteId,
    pub period_start_ms: u64,
    pub gate_closure_ms: u64,
    /// When the period ends (settlement and delivery are counted up to here).
    pub period_end_ms: u64,
    /// `monthly`, `hourly` or `quarter_hour`.
    pub period_kind: String,
    pub cleared: bool,
    pub settled: bool,
    pub clearing_price: Option<u64>,
    pub matched_wh: u64,
    /// Open sells, cheapest first.
    pub sells: Vec<IntentionView>,
    /// Open buys, highest price first.
    pub buys: Vec<IntentionView>,
    /// How many intentions were ever entered for the period (open, cancelled or filled). A
    /// period with any must be cleared before its month's bills, even if none is open now.
    pub intentions_entered: u32,
    pub contracts: Vec<ContractView>,
}

/// `GET /api/v1/accounts/{address}/txs?limit=N&cursor=C`: newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub items: Vec<TxView>,
    /// Pass back as `cursor` for the next (older) page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// `POST /api/v1/txs` body: one transaction or a batch, each the hex of its canonical encoding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SubmitRequest {
    One { tx: String },
    Batch { txs: Vec<String> },
}

/// Outcome of one submitted transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitResult {
    pub hash: Option<Hash32>,
    pub accepted: bool,
    pub error: Option<ErrorBody>,
}

/// `POST /api/v1/txs` response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitResponse {
    pub results: Vec<SubmitResult>,
}

/// One finalized block and its receipts, as pushed on `GET /api/v1/events` (SSE, event `block`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalizedEvent {
    pub block: BlockView,
    pub receipts: Vec<Receipt>,
}

/// The longest one `POST /api/v1/admin/clock/advance` may move the clock: 40 days.
pub const MAX_CLOCK_STEP_MS: u64 = 40 * 86_400_000;

/// `POST /api/v1/admin/clock/advance` body: `{"ms": N}` moves chain time forward by N ms,
/// `{"to_ms": T}` moves it forward to T (ms since the Unix epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClockAdvance {
    #[serde(rename = "ms")]
    By(u64),
    #[serde(rename = "to_ms")]
    To(u64),
}

/// `POST /api/v1/admin/clock/advance` response: the chain clock after the move.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockView {
    /// Chain time now (ms since the Unix epoch).
    pub now_ms: u64,
    /// Chain time minus the node's runtime (wall) time, in ms; negative for a chain that runs
    /// behind the wall clock.
    pub offset_ms: i64,
}
