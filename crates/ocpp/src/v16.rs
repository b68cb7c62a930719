//! OCPP 1.6J messages we handle, as our own serde types.
//!
//! Requests from chargers are lenient: only the fields we need are required, unknown fields are
//! ignored, timestamps are text read by [crate::time]. Replies and our calls are exactly what the
//! official 1.6 JSON schemas allow (optional fields left out when empty).

use crate::decimal::Reading;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::decimal::DEFAULT_MEASURAND;
/// The OCA "California pricing" vendor id for cost messages.
pub const COSTMSG_VENDOR: &str = "org.openchargealliance.costmsg";

/// `BootNotification.req`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BootNotificationReq {
    /// Vendor.
    pub charge_point_vendor: String,
    /// Model.
    pub charge_point_model: String,
    /// Serial number.
    pub charge_point_serial_number: Option<String>,
    /// Charge box serial number (deprecated, used if the former is absent).
    pub charge_box_serial_number: Option<String>,
    /// Firmware.
    pub firmware_version: Option<String>,
}

/// `BootNotification.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BootNotificationConf {
    /// `Accepted` or `Rejected`.
    pub status: &'static str,
    /// Our time, RFC 3339.
    pub current_time: String,
    /// Heartbeat interval (or retry interval when rejected), seconds.
    pub interval: u32,
}

/// `Heartbeat.conf` (also the 2.0.1 `HeartbeatResponse`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HeartbeatConf {
    /// Our time, RFC 3339.
    pub current_time: String,
}

/// `StatusNotification.req`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusNotificationReq {
    /// Connector (0 = the whole charge point).
    pub connector_id: u32,
    /// Status, e.g. `Available`, `Charging`.
    pub status: String,
    /// Error code, `NoError` when fine.
    pub error_code: Option<String>,
}

/// `Authorize.req`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeReq {
    /// The id tag.
    pub id_tag: String,
}

/// `IdTagInfo` (status only: Accepted, Blocked, Expired, Invalid, ConcurrentTx).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdTagInfo {
    /// Status.
    pub status: &'static str,
}

/// `Authorize.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeConf {
    /// The id's status.
    pub id_tag_info: IdTagInfo,
}

/// `StartTransaction.req`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartTransactionReq {
    /// Connector.
    pub connector_id: u32,
    /// Id tag.
    pub id_tag: String,
    /// Meter at start, Wh.
    pub meter_start: Reading,
    /// Charger time.
    pub timestamp: Option<String>,
}

/// `StartTransaction.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartTransactionConf {
    /// The id's status.
    pub id_tag_info: IdTagInfo,
    /// Our session id.
    pub transaction_id: i32,
}

/// `SampledValue`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SampledValue {
    /// The reading (text in 1.6; a number is accepted).
    pub value: Reading,
    /// e.g. `Sample.Periodic`, `Transaction.End`.
    pub context: Option<String>,
    /// `Raw` or `SignedData` (the latter is skipped).
    pub format: Option<String>,
    /// Default `Energy.Active.Import.Register`.
    pub measurand: Option<String>,
    /// Phase: phase values are skipped, only totals count.
    pub phase: Option<String>,
    /// Default `Wh`.
    pub unit: Option<String>,
}

/// `MeterValue`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeterValue {
    /// Charger time.
    pub timestamp: Option<String>,
    /// Samples.
    #[serde(default)]
    pub sampled_value: Vec<SampledValue>,
}

/// The highest total `Energy.Active.Import.Register` reading in `values`, in Wh.
pub fn energy_wh(values: &[MeterValue]) -> Option<u64> {
    crate::decimal::highest_energy_wh(values.iter().flat_map(|v| v.sampled_value.iter()).map(|s| {
        crate::decimal::Sample {
            value: &s.value,
            measurand: s.measurand.as_deref(),
            phase: s.phase.as_deref(),
            signed: s.format.as_deref() == Some("SignedData"),
            unit: s.unit.as_deref(),
            multiplier: 0,
        }
    }))
}

/// `StopTransaction.req`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StopTransactionReq {
    /// Our session id.
    pub transaction_id: i64,
    /// Meter at stop, Wh (lenient: unreadable -> unknown).
    pub meter_stop: Option<Value>,
    /// Charger time.
    pub timestamp: Option<String>,
    /// Who stopped it.
    pub id_tag: Option<String>,
    /// Why, e.g. `Local`, `Remote`, `EVDisconnected`.
    pub reason: Option<String>,
    /// Meter values of the transaction.
    #[serde(default)]
    pub transaction_data: Vec<MeterValue>,
}

/// `StopTransaction.conf`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StopTransactionConf {
    /// Present when the request named an id tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_tag_info: Option<IdTagInfo>,
}

/// `MeterValues.req`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeterValuesReq {
    /// Connector.
    pub connector_id: u32,
    /// Our session id, if the values belong to a transaction.
    pub transaction_id: Option<i64>,
    /// Values.
    #[serde(default)]
    pub meter_value: Vec<MeterValue>,
}

/// `DataTransfer.req` (both directions). `data` is JSON text by the schema; an object is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataTransferReq {
    /// Vendor.
    pub vendor_id: String,
    /// Message id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// Data.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// `DataTransfer.conf` (both directions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataTransferConf {
    /// Accepted, Rejected, UnknownMessageId, UnknownVendorId.
    pub status: String,
    /// JSON text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// `RemoteStopTransaction.req` (ours).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoteStopTransactionReq {
    /// The session to stop.
    pub transaction_id: i32,
}

/// `ChangeConfiguration.req` (ours).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeConfigurationReq {
    /// Key (at most 50 characters).
    pub key: String,
    /// Value (at most 500 characters).
    pub value: String,
}

/// The answer to our calls that carry only a status (RemoteStop, ChangeConfiguration, ...).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StatusConf {
    /// e.g. `Accepted`, `Rejected`.
    pub status: String,
}
