//! OCPP-J framing: `[2,id,action,payload]`, `[3,id,payload]`, `[4,id,code,description,details]`.
//!
//! Parsing says which part of a frame is wrong ([FramePart]) and keeps the message id when it
//! could be read, so the caller can answer a CALLERROR with it (or `"-1"`). A message id that is
//! not a string of 1..=36 characters is still *readable* when it is a JSON string (any length:
//! echoed exactly as received, so the sender can match our CALLERROR to its call) or a JSON
//! integer (echoed as its decimal text); anything else is answered with `"-1"`.

use crate::{backend::Version, Error};
use serde_json::{Map, Value};
use std::fmt;

/// Longest message id allowed by OCPP-J.
pub const ID_MAX_LEN: usize = 36;
/// Longest action name we accept (the longest OCPP action is well under this).
pub const ACTION_MAX_LEN: usize = 64;
/// Longest CALLERROR description we send (2.0.1 `errorDescription` is at most 255 characters).
pub const DESCRIPTION_MAX_LEN: usize = 255;

/// One OCPP-J message.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// A request: `[2, id, action, payload]`.
    Call {
        /// Unique message id chosen by the sender.
        id: String,
        /// OCPP action, e.g. `BootNotification`.
        action: String,
        /// The request payload (a JSON object).
        payload: Value,
    },
    /// A successful answer: `[3, id, payload]`.
    CallResult {
        /// Id of the call answered.
        id: String,
        /// The answer payload (a JSON object).
        payload: Value,
    },
    /// A failed answer: `[4, id, code, description, details]`.
    CallError {
        /// Id of the call answered.
        id: String,
        /// Error code, e.g. `NotImplemented`.
        code: String,
        /// Human-readable description.
        description: String,
        /// Details (a JSON object).
        details: Value,
    },
}

/// The part of a frame that is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramePart {
    /// Not JSON at all.
    Json,
    /// Not an array of the right length for its message type.
    Shape,
    /// The first element is not 2, 3 or 4.
    MessageType,
    /// The id is not a string of 1..=36 characters.
    Id,
    /// The action is not a non-empty string of at most 64 characters.
    Action,
    /// The payload is not a JSON object.
    Payload,
    /// The error code or description of a CALLERROR is not a string.
    ErrorCode,
    /// The details of a CALLERROR are not a JSON object.
    Details,
}

impl fmt::Display for FramePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FramePart::Json => "not valid JSON",
            FramePart::Shape => "not an array of the right length",
            FramePart::MessageType => "message type is not 2, 3 or 4",
            FramePart::Id => "message id is not a string of 1..=36 characters",
            FramePart::Action => "action is not a non-empty string of at most 64 characters",
            FramePart::Payload => "payload is not a JSON object",
            FramePart::ErrorCode => "error code or description is not a string",
            FramePart::Details => "error details are not a JSON object",
        })
    }
}

/// CALLERROR codes we send. The names are 2.0.1's; [ErrorCode::as_str] spells them per version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// Unknown action.
    NotImplemented,
    /// Action known but not supported.
    NotSupported,
    /// An internal error kept us from answering.
    InternalError,
    /// Incomplete payload or wrong order.
    ProtocolError,
    /// Security problem.
    SecurityError,
    /// Not valid JSON / wrong shape: 1.6 `FormationViolation`, 2.0.1 `FormatViolation`.
    FormatViolation,
    /// A field has a value outside its enumeration or range.
    PropertyConstraintViolation,
    /// A field has the wrong JSON type, or a string is longer than its OCPP type allows
    /// (`CiString20Type`, `string(36)`, ...).
    TypeConstraintViolation,
    /// A required field is missing, or a list has too few items. Spelled
    /// `OccurenceConstraintViolation` in both versions: the OCPP-J 1.6 table prints it so (errata
    /// 5.1: "will not be fixed") and 2.0.1 kept it; the corrected spelling arrives with 2.1.
    OccurrenceConstraintViolation,
    /// The message id could not be read as a valid id: 2.0.1 `RpcFrameworkError`, 1.6
    /// `FormationViolation`.
    RpcFrameworkError,
    /// 2.0.1 only: unknown message type number (1.6 gets `FormationViolation`).
    MessageTypeNotSupported,
    /// Anything else.
    GenericError,
}

impl ErrorCode {
    /// The code as spelled on the wire for `version`.
    pub fn as_str(self, version: Version) -> &'static str {
        match (self, version) {
            (ErrorCode::NotImplemented, _) => "NotImplemented",
            (ErrorCode::NotSupported, _) => "NotSupported",
            (ErrorCode::InternalError, _) => "InternalError",
            (ErrorCode::ProtocolError, _) => "ProtocolError",
            (ErrorCode::SecurityError, _) => "SecurityError",
            (ErrorCode::FormatViolation, Version::V16) => "FormationViolation",
            (ErrorCode::FormatViolation, Version::V201) => "FormatViolation",
            (ErrorCode::PropertyConstraintViolation, _) => "PropertyConstraintViolation",
            (ErrorCode::TypeConstraintViolation, _) => "TypeConstraintViolation",
            (ErrorCode::OccurrenceConstraintViolation, _) => "OccurenceConstraintViolation",
            (ErrorCode::RpcFrameworkError, Version::V16) => "FormationViolation",
            (ErrorCode::RpcFrameworkError, Version::V201) => "RpcFrameworkError",
            (ErrorCode::MessageTypeNotSupported, Version::V16) => "FormationViolation",
            (ErrorCode::MessageTypeNotSupported, Version::V201) => "MessageTypeNotSupported",
            (ErrorCode::GenericError, _) => "GenericError",
        }
    }
}

fn frame_error(part: FramePart, id: Option<&str>) -> Error {
    Error::Frame {
        part,
        id: id.map(str::to_owned),
        reply: true,
    }
}

/// A malformed CALLRESULT or CALLERROR: counted, never answered.
fn answer_error(part: FramePart, id: &str) -> Error {
    Error::Frame {
        part,
        id: Some(id.to_owned()),
        reply: false,
    }
}

fn valid_id(v: &Value) -> Option<&str> {
    v.as_str()
        .filter(|s| !s.is_empty() && s.chars().count() <= ID_MAX_LEN)
}

/// The id to answer a call whose id is not valid: a string as received, an integer as its
/// decimal text, else nothing (the caller uses `"-1"`).
fn readable_id(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(n.to_string()),
        _ => None,
    }
}

impl Frame {
    /// Parses one text message. Errors are [Error::Frame].
    pub fn parse(text: &str) -> Result<Frame, Error> {
        let value: Value =
            serde_json::from_str(text).map_err(|_| frame_error(FramePart::Json, None))?;
        let Value::Array(mut items) = value else {
            return Err(frame_error(FramePart::Shape, None));
        };
        let id = items.get(1).and_then(valid_id).map(str::to_owned);
        let kind = items.first().and_then(Value::as_u64);
        let id_ref = id.as_deref();
        let expected_len = match kind {
            Some(2) => 4,
            Some(3) => 3,
            Some(4) => 5,
            _ => return Err(frame_error(FramePart::MessageType, id_ref)),
        };
        let Some(id) = id else {
            return Err(Error::Frame {
                part: FramePart::Id,
                id: items.get(1).and_then(readable_id),
                reply: kind == Some(2),
            });
        };
        // A CALLERROR without details is accepted (details = {}).
        let short_error = kind == Some(4) && items.len() == 4;
        if items.len() != expected_len && !short_error {
            return Err(match kind {
                Some(2) => frame_error(FramePart::Shape, Some(&id)),
                _ => answer_error(FramePart::Shape, &id),
            });
        }
        match kind {
            Some(2) => {
                let payload = items.pop().unwrap_or(Value::Null);
                let action = items.pop().unwrap_or(Value::Null);
                let action = action
                    .as_str()
                    .filter(|a| !a.is_empty() && a.len() <= ACTION_MAX_LEN)
                    .ok_or_else(|| frame_error(FramePart::Action, Some(&id)))?
                    .to_owned();
                if !payload.is_object() {
                    return Err(frame_error(FramePart::Payload, Some(&id)));
                }
                Ok(Frame::Call {
                    id,
                    action,
                    payload,
                })
            }
            Some(3) => {
                let payload = items.pop().unwrap_or(Value::Null);
                if !payload.is_object() {
                    return Err(answer_error(FramePart::Payload, &id));
                }
                Ok(Frame::CallResult { id, payload })
            }
            _ => {
                let details = if short_error {
                    Value::Object(Map::new())
                } else {
                    items.pop().unwrap_or(Value::Null)
                };
                if !details.is_object() {
                    return Err(answer_error(FramePart::Details, &id));
                }
                let description = items.pop().unwrap_or(Value::Null);
                let code = items.pop().unwrap_or(Value::Null);
                let (Some(code), Some(description)) = (code.as_str(), description.as_str()) else {
                    return Err(answer_error(FramePart::ErrorCode, &id));
                };
                Ok(Frame::CallError {
                    id,
                    code: code.to_owned(),
                    description: description.to_owned(),
                    details,
                })
            }
        }
    }

    /// The frame as text for the wire.
    pub fn to_text(&self) -> String {
        let value = match self {
            Frame::Call {
                id,
                action,
                payload,
            } => Value::Array(vec![
                Value::from(2),
                Value::from(id.as_str()),
                Value::from(action.as_str()),
                payload.clone(),
            ]),
            Frame::CallResult { id, payload } => Value::Array(vec![
                Value::from(3),
                Value::from(id.as_str()),
                payload.clone(),
            ]),
            Frame::CallError {
                id,
                code,
                description,
                details,
            } => Value::Array(vec![
                Value::from(4),
                Value::from(id.as_str()),
                Value::from(code.as_str()),
                Value::from(description.as_str()),
                details.clone(),
            ]),
        };
        value.to_string()
    }

    /// A CALLERROR frame with empty details; the description is cut to [DESCRIPTION_MAX_LEN]
    /// characters.
    pub fn error(id: &str, code: ErrorCode, version: Version, description: &str) -> Frame {
        Frame::CallError {
            id: id.to_owned(),
            code: code.as_str(version).to_owned(),
            description: description.chars().take(DESCRIPTION_MAX_LEN).collect(),
            details: Value::Object(Map::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn part(text: &str) -> (FramePart, Option<String>) {
        match Frame::parse(text) {
            Err(Error::Frame { part, id, .. }) => (part, id),
            other => panic!("expected a frame error, got {other:?}"),
        }
    }

    #[test]
    fn parses_the_three_kinds() {
        let call = Frame::parse(r#"[2,"a1","Heartbeat",{}]"#).unwrap();
        assert_eq!(
            call,
            Frame::Call {
                id: "a1".into(),
                action: "Heartbeat".into(),
                payload: json!({})
            }
        );
        let result = Frame::parse(r#"[3,"a1",{"status":"Accepted"}]"#).unwrap();
        assert_eq!(
            result,
            Frame::CallResult {
                id: "a1".into(),
                payload: json!({"status":"Accepted"})
            }
        );
        let error = Frame::parse(r#"[4,"a1","NotImplemented","no",{}]"#).unwrap();
        assert!(matches!(error, Frame::CallError { ref code, .. } if code == "NotImplemented"));
        let short = Frame::parse(r#"[4,"a1","GenericError","x"]"#).unwrap();
        assert!(matches!(short, Frame::CallError { ref details, .. } if details == &json!({})));
    }

    #[test]
    fn round_trips_through_text() {
        for frame in [
            Frame::Call {
                id: "x".into(),
                action: "Authorize".into(),
                payload: json!({"idTag":"A\"B"}),
            },
            Frame::CallResult {
                id: "y".into(),
                payload: json!({}),
            },
            Frame::error("z", ErrorCode::FormatViolation, Version::V16, "bad"),
        ] {
            assert_eq!(Frame::parse(&frame.to_text()).unwrap(), frame);
        }
    }

    #[test]
    fn names_the_wrong_part() {
        assert_eq!(part("not json"), (FramePart::Json, None));
        assert_eq!(part(r#"{"a":1}"#), (FramePart::Shape, None));
        assert_eq!(part("[]"), (FramePart::MessageType, None));
        assert_eq!(
            part(r#"[5,"i",{}]"#),
            (FramePart::MessageType, Some("i".into()))
        );
        assert_eq!(part(r#"["2","i","A",{}]"#).0, FramePart::MessageType);
        assert_eq!(part(r#"[2,null,"A",{}]"#), (FramePart::Id, None));
        assert_eq!(part(r#"[2,{"a":1},"A",{}]"#), (FramePart::Id, None));
        assert_eq!(part(r#"[2,1.5,"A",{}]"#), (FramePart::Id, None));
        let max = "x".repeat(36);
        assert!(Frame::parse(&format!(r#"[2,"{max}","A",{{}}]"#)).is_ok());
        assert_eq!(part(r#"[2,"i","A"]"#), (FramePart::Shape, Some("i".into())));
        assert_eq!(
            part(r#"[2,"i","A",{},1]"#),
            (FramePart::Shape, Some("i".into()))
        );
        assert_eq!(
            part(r#"[2,"i","",{}]"#),
            (FramePart::Action, Some("i".into()))
        );
        assert_eq!(
            part(r#"[2,"i",3,{}]"#),
            (FramePart::Action, Some("i".into()))
        );
        assert_eq!(
            part(r#"[2,"i","A",[]]"#),
            (FramePart::Payload, Some("i".into()))
        );
        assert_eq!(
            part(r#"[2,"i","A","{}"]"#),
            (FramePart::Payload, Some("i".into()))
        );
        assert_eq!(
            part(r#"[3,"i",null]"#),
            (FramePart::Payload, Some("i".into()))
        );
        assert_eq!(
            part(r#"[4,"i",1,"d",{}]"#),
            (FramePart::ErrorCode, Some("i".into()))
        );
        assert_eq!(
            part(r#"[4,"i","c","d",[]]"#),
            (FramePart::Details, Some("i".into()))
        );
    }

    #[test]
    fn an_invalid_but_readable_id_is_kept_as_received() {
        // Over 36 characters: echoed whole, so the sender can match the CALLERROR.
        let long = "x".repeat(37);
        assert_eq!(
            part(&format!(r#"[2,"{long}","Heartbeat",{{}}]"#)),
            (FramePart::Id, Some(long.clone()))
        );
        let unicode = "é".repeat(40);
        assert_eq!(
            part(&format!(r#"[2,"{unicode}","Heartbeat",{{}}]"#)),
            (FramePart::Id, Some(unicode))
        );
        assert_eq!(
            part(r#"[2,"","A",{}]"#),
            (FramePart::Id, Some(String::new()))
        );
        assert_eq!(part(r#"[2,7,"A",{}]"#), (FramePart::Id, Some("7".into())));
        assert_eq!(part(r#"[2,-7,"A",{}]"#), (FramePart::Id, Some("-7".into())));
        // 36 characters counted as characters, not bytes.
        assert!(Frame::parse(&format!(r#"[2,"{}","A",{{}}]"#, "é".repeat(36))).is_ok());
    }

    #[test]
    fn descriptions_are_cut_to_255_characters() {
        let Frame::CallError { description, .. } = Frame::error(
            "i",
            ErrorCode::GenericError,
            Version::V201,
            &"d".repeat(300),
        ) else {
            panic!("not a CALLERROR")
        };
        assert_eq!(description.chars().count(), DESCRIPTION_MAX_LEN);
    }

    #[test]
    fn only_calls_are_owed_an_error() {
        let owed = |text: &str| match Frame::parse(text) {
            Err(Error::Frame { reply, .. }) => reply,
            other => panic!("expected a frame error, got {other:?}"),
        };
        assert!(owed("nope"));
        assert!(owed(r#"[9,"i"]"#));
        assert!(owed(r#"[2,"i","A",1]"#));
        assert!(!owed(r#"[3,"i",1]"#));
        assert!(!owed(r#"[3,"i",{},{}]"#));
        assert!(!owed(r#"[4,"i",1,"d",{}]"#));
    }

    #[test]
    fn codes_are_spelled_per_version() {
        use ErrorCode::*;
        use Version::{V16, V201};
        for (code, version, text) in [
            (FormatViolation, V16, "FormationViolation"),
            (FormatViolation, V201, "FormatViolation"),
            (NotImplemented, V16, "NotImplemented"),
            (MessageTypeNotSupported, V16, "FormationViolation"),
            (MessageTypeNotSupported, V201, "MessageTypeNotSupported"),
            (
                OccurrenceConstraintViolation,
                V16,
                "OccurenceConstraintViolation",
            ),
            (
                OccurrenceConstraintViolation,
                V201,
                "OccurenceConstraintViolation",
            ),
            (RpcFrameworkError, V16, "FormationViolation"),
            (RpcFrameworkError, V201, "RpcFrameworkError"),
        ] {
            assert_eq!(code.as_str(version), text, "{code:?} {version:?}");
        }
    }
}
