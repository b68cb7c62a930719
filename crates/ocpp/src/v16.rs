//! OCPP 1.6J messages we handle, as our own serde types.
//!
//! Requests from chargers are first checked against [requests] (every field we read: presence,
//! JSON type, length, enumeration; see [crate::schema]); unknown fields are ignored, timestamps
//! are text read leniently by [crate::time]. Replies and our calls are exactly what the official
//! 1.6 JSON schemas allow (optional fields left out when empty).

use crate::decimal::Reading;
use crate::schema::{int_from, opt, req, Field, Kind, TEXT};
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
    pub meter_start: u64,
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
    /// Meter at stop, Wh.
    pub meter_stop: u64,
    /// Charger time.
    pub timestamp: Option<String>,
    /// Who stopped it.
    pub id_tag: Option<String>,
    /// Why, e.g. `Local`, `Remote`, `EVDisconnected`.
    pub reason: Option<String>,
    // `transactionData` is checked ([requests]) but not read: `meterStop` is the register.
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

/// `ChargePointStatus`.
pub const STATUSES: &[&str] = &[
    "Available",
    "Preparing",
    "Charging",
    "SuspendedEVSE",
    "SuspendedEV",
    "Finishing",
    "Reserved",
    "Unavailable",
    "Faulted",
];

/// `ChargePointErrorCode`.
pub const ERROR_CODES: &[&str] = &[
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "LocalListConflict",
    "NoError",
    "OtherError",
    "OverCurrentFailure",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "OverVoltage",
    "WeakSignal",
];

/// `Reason` (of a StopTransaction).
pub const REASONS: &[&str] = &[
    "EmergencyStop",
    "EVDisconnected",
    "HardReset",
    "Local",
    "Other",
    "PowerLoss",
    "Reboot",
    "Remote",
    "SoftReset",
    "UnlockCommand",
    "DeAuthorized",
];

/// `ReadingContext`.
pub const CONTEXTS: &[&str] = &[
    "Interruption.Begin",
    "Interruption.End",
    "Sample.Clock",
    "Sample.Periodic",
    "Transaction.Begin",
    "Transaction.End",
    "Trigger",
    "Other",
];

/// `ValueFormat`.
pub const FORMATS: &[&str] = &["Raw", "SignedData"];

/// `Measurand`.
pub const MEASURANDS: &[&str] = &[
    "Energy.Active.Export.Register",
    "Energy.Active.Import.Register",
    "Energy.Reactive.Export.Register",
    "Energy.Reactive.Import.Register",
    "Energy.Active.Export.Interval",
    "Energy.Active.Import.Interval",
    "Energy.Reactive.Export.Interval",
    "Energy.Reactive.Import.Interval",
    "Power.Active.Export",
    "Power.Active.Import",
    "Power.Offered",
    "Power.Reactive.Export",
    "Power.Reactive.Import",
    "Power.Factor",
    "Current.Import",
    "Current.Export",
    "Current.Offered",
    "Voltage",
    "Frequency",
    "Temperature",
    "SoC",
    "RPM",
];

/// `Phase`.
pub const PHASES: &[&str] = &[
    "L1", "L2", "L3", "N", "L1-N", "L2-N", "L3-N", "L1-L2", "L2-L3", "L3-L1",
];

/// `Location`.
pub const LOCATIONS: &[&str] = &["Cable", "EV", "Inlet", "Outlet", "Body"];

/// `UnitOfMeasure` (the schema lists both `Celcius` and `Celsius`).
pub const UNITS: &[&str] = &[
    "Wh",
    "kWh",
    "varh",
    "kvarh",
    "W",
    "kW",
    "VA",
    "kVA",
    "var",
    "kvar",
    "A",
    "V",
    "K",
    "Celcius",
    "Celsius",
    "Fahrenheit",
    "Percent",
];

/// An OCPP 1.6 `integer` (32 bits, signed).
const INT32: Kind = Kind::Int(i32::MIN as i64, i32::MAX as i64);
/// `CiString20Type`, the id tag.
const ID_TAG: Kind = Kind::Text(20);

const SAMPLED_VALUE: Kind = Kind::Object(&[
    req("value", TEXT),
    opt("context", Kind::Enum(CONTEXTS)),
    opt("format", Kind::Enum(FORMATS)),
    opt("measurand", Kind::Enum(MEASURANDS)),
    opt("phase", Kind::Enum(PHASES)),
    opt("location", Kind::Enum(LOCATIONS)),
    opt("unit", Kind::Enum(UNITS)),
]);

const METER_VALUE: Kind = Kind::Object(&[
    req("timestamp", Kind::Time),
    req("sampledValue", Kind::List(&SAMPLED_VALUE, 1)),
]);

/// What we read of each 1.6 request: `None` for actions whose payload we do not read.
pub fn requests(action: &str) -> Option<&'static [Field]> {
    const BOOT: &[Field] = &[
        req("chargePointVendor", Kind::Text(20)),
        req("chargePointModel", Kind::Text(20)),
        opt("chargePointSerialNumber", Kind::Text(25)),
        opt("chargeBoxSerialNumber", Kind::Text(25)),
        opt("firmwareVersion", Kind::Text(50)),
    ];
    const STATUS: &[Field] = &[
        req("connectorId", int_from(0)),
        req("errorCode", Kind::Enum(ERROR_CODES)),
        req("status", Kind::Enum(STATUSES)),
        opt("timestamp", Kind::Time),
    ];
    const AUTHORIZE: &[Field] = &[req("idTag", ID_TAG)];
    const START: &[Field] = &[
        req("connectorId", int_from(1)),
        req("idTag", ID_TAG),
        req("meterStart", int_from(0)),
        req("timestamp", Kind::Time),
    ];
    const STOP: &[Field] = &[
        req("transactionId", INT32),
        req("meterStop", int_from(0)),
        req("timestamp", Kind::Time),
        opt("idTag", ID_TAG),
        opt("reason", Kind::Enum(REASONS)),
        opt("transactionData", Kind::List(&METER_VALUE, 0)),
    ];
    const METER_VALUES: &[Field] = &[
        req("connectorId", int_from(0)),
        opt("transactionId", INT32),
        req("meterValue", Kind::List(&METER_VALUE, 1)),
    ];
    const DATA_TRANSFER: &[Field] = &[
        req("vendorId", Kind::Text(255)),
        opt("messageId", Kind::Text(50)),
        opt("data", TEXT),
    ];
    Some(match action {
        "BootNotification" => BOOT,
        "StatusNotification" => STATUS,
        "Authorize" => AUTHORIZE,
        "StartTransaction" => START,
        "StopTransaction" => STOP,
        "MeterValues" => METER_VALUES,
        "DataTransfer" => DATA_TRANSFER,
        _ => return None,
    })
}
