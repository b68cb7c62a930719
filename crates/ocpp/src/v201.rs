//! OCPP 2.0.1 messages we handle, as our own serde types.
//!
//! Requests from stations are first checked against [requests] (every field we read: presence,
//! JSON type, length, enumeration; see [crate::schema]); unknown fields are ignored. Replies and
//! our calls are exactly what the official 2.0.1 JSON schemas allow.

use crate::decimal::Reading;
use crate::schema::{int_from, opt, req, Field, Kind};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::v16::{HeartbeatConf as HeartbeatResponse, StatusConf};

/// `ChargingStationType` (what we read of it).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargingStation {
    /// Model.
    pub model: String,
    /// Vendor.
    pub vendor_name: String,
    /// Serial number.
    pub serial_number: Option<String>,
    /// Firmware.
    pub firmware_version: Option<String>,
}

/// `BootNotificationRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BootNotificationRequest {
    /// The station.
    pub charging_station: ChargingStation,
    /// e.g. `PowerUp`.
    pub reason: Option<String>,
}

/// `BootNotificationResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BootNotificationResponse {
    /// Our time.
    pub current_time: String,
    /// Heartbeat (or retry) interval, seconds.
    pub interval: u32,
    /// `Accepted` or `Rejected`.
    pub status: &'static str,
}

/// `StatusNotificationRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusNotificationRequest {
    /// Station time.
    pub timestamp: Option<String>,
    /// e.g. `Available`, `Occupied`.
    pub connector_status: String,
    /// EVSE.
    pub evse_id: u32,
    /// Connector of the EVSE.
    pub connector_id: Option<u32>,
}

/// `IdTokenType`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdToken {
    /// The token.
    pub id_token: String,
    /// e.g. `ISO14443`, `Central`, `KeyCode`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// `AuthorizeRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeRequest {
    /// The token.
    pub id_token: IdToken,
}

/// `MessageContentType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageContent {
    /// Always `UTF8`.
    pub format: &'static str,
    /// At most 512 characters.
    pub content: String,
}

/// `IdTokenInfoType`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdTokenInfo {
    /// Status (2.0.1 names, `NoCredit` included).
    pub status: &'static str,
    /// Shown to the driver (the balance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub personal_message: Option<MessageContent>,
}

/// `AuthorizeResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthorizeResponse {
    /// The token's status.
    pub id_token_info: IdTokenInfo,
}

/// `UnitOfMeasureType`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitOfMeasure {
    /// Default `Wh`.
    pub unit: Option<String>,
    /// Power of ten, default 0.
    pub multiplier: Option<i32>,
}

/// `SampledValueType`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SampledValue {
    /// The reading (a number; text accepted).
    pub value: Reading,
    /// e.g. `Transaction.Begin`.
    pub context: Option<String>,
    /// Default `Energy.Active.Import.Register`.
    pub measurand: Option<String>,
    /// Phase values are skipped.
    pub phase: Option<String>,
    /// Unit and multiplier.
    pub unit_of_measure: Option<UnitOfMeasure>,
}

/// `MeterValueType`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MeterValue {
    /// Station time.
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
            signed: false,
            unit: s.unit_of_measure.as_ref().and_then(|u| u.unit.as_deref()),
            multiplier: s
                .unit_of_measure
                .as_ref()
                .and_then(|u| u.multiplier)
                .unwrap_or(0),
        }
    }))
}

/// `TransactionEventEnumType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum EventType {
    /// First event of a transaction.
    Started,
    /// Any event in between.
    Updated,
    /// Last event.
    Ended,
}

/// `TransactionType` (what we read of it).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionInfo {
    /// The station's transaction id.
    pub transaction_id: String,
    /// Why it ended.
    pub stopped_reason: Option<String>,
}

/// `EVSEType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Evse {
    /// EVSE id.
    pub id: u32,
    /// Connector of the EVSE.
    pub connector_id: Option<u32>,
}

/// `TransactionEventRequest`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionEventRequest {
    /// Started, Updated or Ended.
    pub event_type: EventType,
    /// Station time.
    pub timestamp: Option<String>,
    /// Sequence number.
    pub seq_no: Option<u64>,
    /// Sent after being offline.
    pub offline: Option<bool>,
    /// The transaction.
    pub transaction_info: TransactionInfo,
    /// The token, in the event where the driver was authorized.
    pub id_token: Option<IdToken>,
    /// Where.
    pub evse: Option<Evse>,
    /// Meter values.
    #[serde(default)]
    pub meter_value: Vec<MeterValue>,
}

/// `TransactionEventResponse`. `totalCost` is whole won (rounded up; see [crate::decimal::won_ceil]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionEventResponse {
    /// Running or final cost, whole won.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_cost: Option<u64>,
    /// Present when the event carried an id token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_info: Option<IdTokenInfo>,
}

/// `DataTransferRequest` (from the station).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DataTransferRequest {
    /// Vendor.
    pub vendor_id: String,
    /// Message id.
    pub message_id: Option<String>,
    /// Any JSON.
    pub data: Option<Value>,
}

/// `DataTransferResponse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DataTransferResponse {
    /// Accepted, Rejected, UnknownMessageId, UnknownVendorId.
    pub status: &'static str,
    /// Any JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// `RequestStopTransactionRequest` (ours).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestStopTransactionRequest {
    /// The station's transaction id.
    pub transaction_id: String,
}

/// `CostUpdatedRequest` (ours). `totalCost` is whole won, rounded up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CostUpdatedRequest {
    /// Running cost, whole won.
    pub total_cost: u64,
    /// The station's transaction id.
    pub transaction_id: String,
}

/// `BootReasonEnumType`.
pub const BOOT_REASONS: &[&str] = &[
    "ApplicationReset",
    "FirmwareUpdate",
    "LocalReset",
    "PowerUp",
    "RemoteReset",
    "ScheduledReset",
    "Triggered",
    "Unknown",
    "Watchdog",
];

/// `ConnectorStatusEnumType`.
pub const CONNECTOR_STATUSES: &[&str] = &[
    "Available",
    "Occupied",
    "Reserved",
    "Unavailable",
    "Faulted",
];

/// `IdTokenEnumType`.
pub const ID_TOKEN_TYPES: &[&str] = &[
    "Central",
    "eMAID",
    "ISO14443",
    "ISO15693",
    "KeyCode",
    "Local",
    "MacAddress",
    "NoAuthorization",
];

/// `TransactionEventEnumType`.
pub const EVENT_TYPES: &[&str] = &["Ended", "Started", "Updated"];

/// `ReasonEnumType` (why a transaction stopped).
pub const REASONS: &[&str] = &[
    "DeAuthorized",
    "EmergencyStop",
    "EnergyLimitReached",
    "EVDisconnected",
    "GroundFault",
    "ImmediateReset",
    "Local",
    "LocalOutOfCredit",
    "MasterPass",
    "Other",
    "OvercurrentFault",
    "PowerLoss",
    "PowerQuality",
    "Reboot",
    "Remote",
    "SOCLimitReached",
    "StoppedByEV",
    "TimeLimitReached",
    "Timeout",
];

/// `ReadingContextEnumType`.
pub const CONTEXTS: &[&str] = &[
    "Interruption.Begin",
    "Interruption.End",
    "Other",
    "Sample.Clock",
    "Sample.Periodic",
    "Transaction.Begin",
    "Transaction.End",
    "Trigger",
];

/// `MeasurandEnumType`.
pub const MEASURANDS: &[&str] = &[
    "Current.Export",
    "Current.Import",
    "Current.Offered",
    "Energy.Active.Export.Register",
    "Energy.Active.Import.Register",
    "Energy.Reactive.Export.Register",
    "Energy.Reactive.Import.Register",
    "Energy.Active.Export.Interval",
    "Energy.Active.Import.Interval",
    "Energy.Active.Net",
    "Energy.Reactive.Export.Interval",
    "Energy.Reactive.Import.Interval",
    "Energy.Reactive.Net",
    "Energy.Apparent.Net",
    "Energy.Apparent.Import",
    "Energy.Apparent.Export",
    "Frequency",
    "Power.Active.Export",
    "Power.Active.Import",
    "Power.Factor",
    "Power.Offered",
    "Power.Reactive.Export",
    "Power.Reactive.Import",
    "SoC",
    "Voltage",
];

/// `PhaseEnumType` (the same values as 1.6).
pub use crate::v16::PHASES;

/// `LocationEnumType` (the same values as 1.6).
pub use crate::v16::LOCATIONS;

/// An OCPP 2.0.1 `integer` (32 bits, signed).
const INT32: Kind = Kind::Int(i32::MIN as i64, i32::MAX as i64);

const ID_TOKEN: Kind = Kind::Object(&[
    req("idToken", Kind::Text(36)),
    req("type", Kind::Enum(ID_TOKEN_TYPES)),
]);

const SAMPLED_VALUE: Kind = Kind::Object(&[
    req("value", Kind::Number),
    opt("context", Kind::Enum(CONTEXTS)),
    opt("measurand", Kind::Enum(MEASURANDS)),
    opt("phase", Kind::Enum(PHASES)),
    opt("location", Kind::Enum(LOCATIONS)),
    opt(
        "unitOfMeasure",
        Kind::Object(&[opt("unit", Kind::Text(20)), opt("multiplier", INT32)]),
    ),
]);

const METER_VALUE: Kind = Kind::Object(&[
    req("timestamp", Kind::Time),
    req("sampledValue", Kind::List(&SAMPLED_VALUE, 1)),
]);

/// What we read of each 2.0.1 request: `None` for actions whose payload we do not read.
pub fn requests(action: &str) -> Option<&'static [Field]> {
    const BOOT: &[Field] = &[
        req(
            "chargingStation",
            Kind::Object(&[
                req("model", Kind::Text(20)),
                req("vendorName", Kind::Text(50)),
                opt("serialNumber", Kind::Text(25)),
                opt("firmwareVersion", Kind::Text(50)),
            ]),
        ),
        req("reason", Kind::Enum(BOOT_REASONS)),
    ];
    const STATUS: &[Field] = &[
        req("timestamp", Kind::Time),
        req("connectorStatus", Kind::Enum(CONNECTOR_STATUSES)),
        req("evseId", int_from(0)),
        req("connectorId", int_from(0)),
    ];
    const AUTHORIZE: &[Field] = &[req("idToken", ID_TOKEN)];
    const TRANSACTION_EVENT: &[Field] = &[
        req("eventType", Kind::Enum(EVENT_TYPES)),
        req("timestamp", Kind::Time),
        req("seqNo", int_from(0)),
        opt("offline", Kind::Bool),
        req(
            "transactionInfo",
            Kind::Object(&[
                req("transactionId", Kind::Text(36)),
                opt("stoppedReason", Kind::Enum(REASONS)),
            ]),
        ),
        opt("idToken", ID_TOKEN),
        opt(
            "evse",
            Kind::Object(&[req("id", int_from(0)), opt("connectorId", int_from(0))]),
        ),
        opt("meterValue", Kind::List(&METER_VALUE, 1)),
    ];
    const DATA_TRANSFER: &[Field] = &[
        req("vendorId", Kind::Text(255)),
        opt("messageId", Kind::Text(50)),
        opt("data", Kind::Any),
    ];
    Some(match action {
        "BootNotification" => BOOT,
        "StatusNotification" => STATUS,
        "Authorize" => AUTHORIZE,
        "TransactionEvent" => TRANSACTION_EVENT,
        "DataTransfer" => DATA_TRANSFER,
        _ => return None,
    })
}
