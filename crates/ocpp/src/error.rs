//! The crate's one error type.

use crate::frame::FramePart;

/// Everything that can go wrong in this crate, as a value: no input panics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// An OCPP-J frame could not be read; `part` names what is wrong, `id` is the message id if it
    /// could be read.
    #[error("bad OCPP-J frame: {part}")]
    Frame {
        /// The part of the frame that is wrong.
        part: FramePart,
        /// The message id, when it could be read.
        id: Option<String>,
        /// Whether a CALLERROR is owed: false when the frame was a CALLRESULT or CALLERROR.
        reply: bool,
    },
    /// A payload does not match the message type (missing field, wrong type).
    #[error("bad {action} payload: {reason}")]
    Payload {
        /// The OCPP action.
        action: String,
        /// What is wrong, without echoing input values.
        reason: String,
    },
    /// The charger has no open connection to this gateway.
    #[error("charger {0} is offline")]
    Offline(String),
    /// The charger's outgoing queue is full.
    #[error("charger {0} is busy")]
    Busy(String),
    /// The transaction key does not fit the charger's OCPP version (1.6 uses integer ids that fit
    /// in i32, 2.0.1 the station's string ids of at most 36 characters).
    #[error("transaction key does not fit OCPP {0}")]
    TxKey(&'static str),
    /// Listening or serving failed.
    #[error("i/o: {0}")]
    Io(String),
}
