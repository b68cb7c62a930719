//! Charger calls to [Step]s: decoding each version's payloads into neutral [Request]s.

use super::{Fault, Station, Step};
use crate::{
    backend::{BootInfo, StartTx, StopTx, TxKey, Version},
    frame::ErrorCode,
    request::Request,
    schema, time, v16, v201,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Calls answered `{}` without asking the backend (notifications we do not use).
const ACK_V16: [&str; 2] = [
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
];
/// Calls answered `{}` without asking the backend (notifications we do not use).
const ACK_V201: [&str; 6] = [
    "FirmwareStatusNotification",
    "LogStatusNotification",
    "MeterValues",
    "NotifyEvent",
    "NotifyReport",
    "SecurityEventNotification",
];

/// The description of the `SecurityError` answering a call before an accepted boot.
pub const BOOT_FIRST: &str = "boot first: BootNotification must be accepted";

/// Checks what we read of a payload ([crate::schema]); the fault has the violation's code and
/// names the field, never its value.
fn check(version: Version, action: &str, payload: &Value) -> Result<(), Fault> {
    let fields = match version {
        Version::V16 => v16::requests(action),
        Version::V201 => v201::requests(action),
    };
    match fields.map(|f| schema::check(f, payload)) {
        Some(Err(v)) => Err(Fault::new(v.code, format!("{action}: {v}"))),
        _ => Ok(()),
    }
}

/// Decodes a payload already checked by [check]; the fault names the problem without echoing
/// input values.
fn decode<T: DeserializeOwned>(action: &str, payload: Value) -> Result<T, Fault> {
    serde_json::from_value(payload).map_err(|e| {
        let text = e.to_string();
        let reason = if text.starts_with("missing field") {
            text.split(" at line")
                .next()
                .unwrap_or("missing field")
                .to_owned()
        } else {
            text.split([':', '`'])
                .next()
                .unwrap_or("invalid")
                .trim()
                .to_owned()
        };
        Fault::new(ErrorCode::FormatViolation, format!("{action}: {reason}"))
    })
}

fn empty() -> Value {
    Value::Object(Map::new())
}

impl Station {
    /// Reads a charger's CALL: an immediate answer, a CALLERROR, or a [Request] for the backend.
    /// Until a boot was accepted on this connection, every action but `BootNotification` is
    /// answered `SecurityError` ([BOOT_FIRST]) without asking the backend.
    pub fn handle_call(&mut self, now_ms: u64, action: &str, payload: Value) -> Step {
        let now_ms = self.clock(now_ms);
        if !self.booted && action != "BootNotification" {
            return Step::Error(Fault::new(ErrorCode::SecurityError, BOOT_FIRST));
        }
        if let Err(fault) = check(self.version, action, &payload) {
            return Step::Error(fault);
        }
        let result = match self.version {
            Version::V16 => self.call_v16(now_ms, action, payload),
            Version::V201 => self.call_v201(now_ms, action, payload),
        };
        match result {
            Ok(step) => step,
            Err(fault) => Step::Error(fault),
        }
    }

    fn call_v16(&mut self, now_ms: u64, action: &str, payload: Value) -> Result<Step, Fault> {
        let request = match action {
            "BootNotification" => {
                let req: v16::BootNotificationReq = decode(action, payload)?;
                Request::Boot(BootInfo {
                    vendor: req.charge_point_vendor,
                    model: req.charge_point_model,
                    serial: req
                        .charge_point_serial_number
                        .or(req.charge_box_serial_number),
                    firmware: req.firmware_version,
                })
            }
            "Heartbeat" => Request::Heartbeat,
            "StatusNotification" => {
                let req: v16::StatusNotificationReq = decode(action, payload)?;
                Request::Status {
                    connector: req.connector_id,
                    status: req.status,
                    error_code: req.error_code,
                }
            }
            "Authorize" => {
                let req: v16::AuthorizeReq = decode(action, payload)?;
                Request::Authorize { id_tag: req.id_tag }
            }
            "StartTransaction" => {
                let req: v16::StartTransactionReq = decode(action, payload)?;
                Request::Start(StartTx {
                    connector: req.connector_id,
                    id_tag: req.id_tag,
                    meter_start_wh: req.meter_start,
                    timestamp_ms: stamp(req.timestamp.as_deref(), now_ms),
                    station_tx_id: None,
                })
            }
            "StopTransaction" => {
                let req: v16::StopTransactionReq = decode(action, payload)?;
                Request::Stop(StopTx {
                    tx: TxKey::Id(req.transaction_id),
                    meter_stop_wh: Some(req.meter_stop),
                    timestamp_ms: stamp(req.timestamp.as_deref(), now_ms),
                    reason: req.reason,
                    id_tag: req.id_tag,
                    seq_no: None,
                })
            }
            "MeterValues" => {
                let req: v16::MeterValuesReq = decode(action, payload)?;
                match (req.transaction_id, v16::energy_wh(&req.meter_value)) {
                    (Some(id), Some(energy_wh)) => Request::Meter {
                        tx: TxKey::Id(id),
                        energy_wh,
                    },
                    _ => return Ok(Step::Reply(empty())),
                }
            }
            "DataTransfer" => {
                let req: v16::DataTransferReq = decode(action, payload)?;
                let data = match req.data {
                    Some(Value::String(text)) => {
                        serde_json::from_str(&text).unwrap_or(Value::String(text))
                    }
                    Some(other) => other,
                    None => Value::Null,
                };
                Request::DataTransfer {
                    vendor_id: req.vendor_id,
                    message_id: req.message_id,
                    data,
                }
            }
            _ if ACK_V16.contains(&action) => return Ok(Step::Reply(empty())),
            _ => return Err(not_implemented(action)),
        };
        Ok(Step::Ask(request))
    }

    fn call_v201(&mut self, now_ms: u64, action: &str, payload: Value) -> Result<Step, Fault> {
        let request = match action {
            "BootNotification" => {
                let req: v201::BootNotificationRequest = decode(action, payload)?;
                let station = req.charging_station;
                Request::Boot(BootInfo {
                    vendor: station.vendor_name,
                    model: station.model,
                    serial: station.serial_number,
                    firmware: station.firmware_version,
                })
            }
            "Heartbeat" => Request::Heartbeat,
            "StatusNotification" => {
                let req: v201::StatusNotificationRequest = decode(action, payload)?;
                Request::Status {
                    connector: req.evse_id,
                    status: req.connector_status,
                    error_code: None,
                }
            }
            "Authorize" => {
                let req: v201::AuthorizeRequest = decode(action, payload)?;
                Request::Authorize {
                    id_tag: req.id_token.id_token,
                }
            }
            "TransactionEvent" => {
                let req: v201::TransactionEventRequest = decode(action, payload)?;
                return Ok(transaction_event(now_ms, req));
            }
            "DataTransfer" => {
                let req: v201::DataTransferRequest = decode(action, payload)?;
                Request::DataTransfer {
                    vendor_id: req.vendor_id,
                    message_id: req.message_id,
                    data: req.data.unwrap_or(Value::Null),
                }
            }
            _ if ACK_V201.contains(&action) => return Ok(Step::Reply(empty())),
            _ => return Err(not_implemented(action)),
        };
        Ok(Step::Ask(request))
    }
}

/// A 2.0.1 TransactionEvent: `Ended` stops; an event carrying an id token starts (the backend
/// keeps starts idempotent per station transaction id); an energy reading meters; else `{}`.
fn transaction_event(now_ms: u64, req: v201::TransactionEventRequest) -> Step {
    let energy = v201::energy_wh(&req.meter_value);
    let timestamp_ms = stamp(req.timestamp.as_deref(), now_ms);
    let station_tx = req.transaction_info.transaction_id;
    let id_tag = req.id_token.map(|t| t.id_token);
    match (req.event_type, id_tag, energy) {
        (v201::EventType::Ended, id_tag, _) => Step::Ask(Request::Stop(StopTx {
            tx: TxKey::Station(station_tx),
            meter_stop_wh: energy,
            timestamp_ms,
            reason: req.transaction_info.stopped_reason,
            id_tag,
            seq_no: req.seq_no,
        })),
        (_, Some(id_tag), _) => Step::Ask(Request::Start(StartTx {
            connector: req.evse.map(|e| e.id).unwrap_or(0),
            id_tag,
            meter_start_wh: energy.unwrap_or(0),
            timestamp_ms,
            station_tx_id: Some(station_tx),
        })),
        (_, None, Some(energy_wh)) => Step::Ask(Request::Meter {
            tx: TxKey::Station(station_tx),
            energy_wh,
        }),
        (_, None, None) => Step::Reply(empty()),
    }
}

fn not_implemented(action: &str) -> Fault {
    let mut name: String = action.chars().take(64).collect();
    name.retain(|c| c.is_ascii_alphanumeric());
    Fault::new(
        ErrorCode::NotImplemented,
        format!("{name} is not implemented"),
    )
}

/// The charger's time if readable, else the receive time.
fn stamp(text: Option<&str>, now_ms: u64) -> u64 {
    text.and_then(time::parse_ms).unwrap_or(now_ms)
}
