//! What the gateway asks of the charging service: the version-neutral [Backend] trait.
//!
//! The backend owns every business decision (who may charge, session ids, costs, idempotency of
//! stops); the gateway only speaks OCPP. Session ids are `u64` that must fit in `i32` for 1.6.

use async_trait::async_trait;
use serde_json::Value;

/// OCPP version of a connection, chosen by WebSocket subprotocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// OCPP 1.6J (`ocpp1.6`).
    V16,
    /// OCPP 2.0.1 (`ocpp2.0.1`).
    V201,
}

impl Version {
    /// Subprotocols we speak, in no order of preference (the client's order decides).
    pub const SUBPROTOCOLS: [&'static str; 2] = ["ocpp1.6", "ocpp2.0.1"];

    /// The WebSocket subprotocol name.
    pub fn subprotocol(self) -> &'static str {
        match self {
            Version::V16 => "ocpp1.6",
            Version::V201 => "ocpp2.0.1",
        }
    }

    /// The version of a subprotocol name (exact, case-sensitive as RFC 6455 tokens are).
    pub fn from_subprotocol(name: &str) -> Option<Version> {
        match name {
            "ocpp1.6" => Some(Version::V16),
            "ocpp2.0.1" => Some(Version::V201),
            _ => None,
        }
    }
}

/// The outcome of checking a charger's HTTP Basic credentials (security profile 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// Connect. Also the answer for a known charger without a configured secret that sent none.
    Allowed,
    /// No such charger (refused with 401, like a bad secret, so ids cannot be probed).
    Unknown,
    /// Wrong or missing secret.
    BadSecret,
}

/// Status of an id tag / id token. `NoCredit` exists only in 2.0.1 and is sent as `Invalid` in 1.6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdStatus {
    /// May charge.
    Accepted,
    /// Blocked.
    Blocked,
    /// Expired.
    Expired,
    /// Unknown or refused.
    Invalid,
    /// Already charging elsewhere.
    ConcurrentTx,
    /// Not enough balance (2.0.1; `Invalid` in 1.6).
    NoCredit,
}

impl IdStatus {
    /// The status as spelled on the wire for `version`.
    pub fn as_str(self, version: Version) -> &'static str {
        match self {
            IdStatus::Accepted => "Accepted",
            IdStatus::Blocked => "Blocked",
            IdStatus::Expired => "Expired",
            IdStatus::Invalid => "Invalid",
            IdStatus::ConcurrentTx => "ConcurrentTx",
            IdStatus::NoCredit if version == Version::V16 => "Invalid",
            IdStatus::NoCredit => "NoCredit",
        }
    }
}

/// Which charger is asking, and in which OCPP version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChargerRef<'a> {
    /// The charger id from the URL (the OCPP identity).
    pub id: &'a str,
    /// The connection's OCPP version.
    pub version: Version,
}

/// What a charger says about itself at boot.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BootInfo {
    /// `chargePointVendor` / `chargingStation.vendorName`.
    pub vendor: String,
    /// `chargePointModel` / `chargingStation.model`.
    pub model: String,
    /// `chargePointSerialNumber` (or `chargeBoxSerialNumber`) / `chargingStation.serialNumber`.
    pub serial: Option<String>,
    /// `firmwareVersion`.
    pub firmware: Option<String>,
}

/// The answer to an Authorize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorization {
    /// The id's status.
    pub status: IdStatus,
    /// The member's balance, shown as the 2.0.1 `personalMessage`.
    pub balance_mwon: Option<u64>,
}

/// DataTransfer answer status (same names in 1.6 and 2.0.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DtStatus {
    /// Done.
    Accepted,
    /// Refused.
    Rejected,
    /// Vendor known, message id not.
    UnknownMessageId,
    /// Vendor not known.
    UnknownVendorId,
}

impl DtStatus {
    /// The status on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            DtStatus::Accepted => "Accepted",
            DtStatus::Rejected => "Rejected",
            DtStatus::UnknownMessageId => "UnknownMessageId",
            DtStatus::UnknownVendorId => "UnknownVendorId",
        }
    }
}

/// The answer to a charger's DataTransfer.
#[derive(Debug, Clone, PartialEq)]
pub struct DataTransferReply {
    /// Status.
    pub status: DtStatus,
    /// Data: sent as JSON text in 1.6 (a string as is), as JSON in 2.0.1.
    pub data: Option<Value>,
}

/// A transaction as the charger names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TxKey {
    /// 1.6 `transactionId`: the session id we gave in the StartTransaction answer.
    Id(i64),
    /// 2.0.1 `transactionId`: chosen by the station (at most 36 characters).
    Station(String),
}

/// A transaction start: 1.6 StartTransaction, or 2.0.1 TransactionEvent carrying an idToken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartTx {
    /// 1.6 `connectorId`, 2.0.1 `evse.id` (0 if absent).
    pub connector: u32,
    /// The id tag / id token.
    pub id_tag: String,
    /// Meter at start: 1.6 `meterStart`; 2.0.1 the event's `Energy.Active.Import.Register`, else 0.
    pub meter_start_wh: u64,
    /// Charger time, or receive time if unreadable.
    pub timestamp_ms: u64,
    /// 2.0.1 station transaction id.
    pub station_tx_id: Option<String>,
}

/// A cost ceiling for a running transaction: RemoteStop when the running cost reaches the hold
/// minus the configured margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostLimit {
    /// The prepaid hold.
    pub hold_mwon: u64,
    /// Energy price (informational; costs come from [Backend::meter]).
    pub price_mwon_per_kwh: u64,
}

/// The answer to a meter reading of a known transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeterAnswer {
    /// The running cost.
    pub cost_mwon: u64,
    /// The transaction's cost ceiling, if any. A connection that did not see the start (after a
    /// reconnect or a node restart) starts tracking the transaction from it, so the RemoteStop
    /// at the hold still happens; for a tracked transaction it replaces the known limit.
    pub limit: Option<CostLimit>,
}

/// The answer to a start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartDecision {
    /// Session id (1.6 `transactionId`, so at most `i32::MAX` there). A fresh id even if refused.
    pub session: u64,
    /// Whether the id may charge.
    pub status: IdStatus,
    /// The cost ceiling, if any.
    pub limit: Option<CostLimit>,
}

/// A transaction stop: 1.6 StopTransaction, or 2.0.1 TransactionEvent `Ended`. May repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopTx {
    /// Which transaction.
    pub tx: TxKey,
    /// Meter at stop, if readable.
    pub meter_stop_wh: Option<u64>,
    /// Charger time, or receive time if unreadable.
    pub timestamp_ms: u64,
    /// 1.6 `reason` / 2.0.1 `stoppedReason`.
    pub reason: Option<String>,
    /// The id that stopped it, if given.
    pub id_tag: Option<String>,
    /// 2.0.1 `seqNo`.
    pub seq_no: Option<u64>,
}

/// The answer to a stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StopReply {
    /// The final cost, if known (2.0.1 `totalCost`, 1.6 costmsg `FinalCost`).
    pub cost_mwon: Option<u64>,
}

/// The charging service, as the gateway sees it. Answer fast: calls are awaited on the
/// charger's connection, and chargers time out after about 30 s.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Checks HTTP Basic credentials (`None` when the charger sent none).
    async fn credentials(&self, charger: &str, basic_password: Option<&str>) -> Credentials;
    /// A BootNotification; `true` accepts it.
    async fn boot(&self, c: ChargerRef<'_>, info: BootInfo) -> bool;
    /// Whether a charger that connects again without booting (an OCPP 1.6 charger sends
    /// BootNotification only after it restarts) may be served as booted. Default: no, it must
    /// boot on every connection.
    async fn admitted(&self, charger: &str) -> bool {
        let _ = charger;
        false
    }
    /// Online after each accepted boot, offline when that connection closes (not when it was
    /// replaced by a newer connection).
    async fn connection(&self, charger: &str, online: bool, now_ms: u64);
    /// A Heartbeat.
    async fn heartbeat(&self, charger: &str, now_ms: u64);
    /// A StatusNotification: `connector` is the 1.6 `connectorId` or the 2.0.1 `evseId`.
    async fn status(
        &self,
        charger: &str,
        connector: u32,
        status: String,
        error_code: Option<String>,
        now_ms: u64,
    );
    /// An Authorize.
    async fn authorize(&self, c: ChargerRef<'_>, id_tag: &str) -> Authorization;
    /// A DataTransfer from the charger (1.6 `data` text is passed parsed when it is JSON).
    async fn data_transfer(
        &self,
        c: ChargerRef<'_>,
        vendor_id: &str,
        message_id: Option<&str>,
        data: Value,
    ) -> DataTransferReply;
    /// A transaction start (idempotent per 2.0.1 `station_tx_id` is the backend's job).
    async fn start(&self, c: ChargerRef<'_>, s: StartTx) -> StartDecision;
    /// A meter reading of a transaction; returns the running cost and the transaction's cost
    /// ceiling if known (`None` for an unknown transaction).
    async fn meter(
        &self,
        c: ChargerRef<'_>,
        tx: TxKey,
        energy_wh: u64,
        now_ms: u64,
    ) -> Option<MeterAnswer>;
    /// A transaction stop; may arrive more than once and late: the backend keeps it idempotent.
    async fn stop(&self, c: ChargerRef<'_>, s: StopTx) -> StopReply;
}
