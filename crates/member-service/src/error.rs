//! The one error type of the member service.
use gridledger_api_types::ChargingFailure;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("storage: {0}")]
    Store(String),
    #[error("keystore: {0}")]
    Keystore(String),
    #[error("node: {0}")]
    Node(String),
    #[error("{code}: {message}")]
    Refused { code: String, message: String },
    #[error("config: {0}")]
    Config(String),
}

impl Error {
    pub fn refused(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Refused {
            code: code.into(),
            message: message.into(),
        }
    }

    /// The HTTP status and code the API shows for this error.
    pub fn to_failure(&self) -> ChargingFailure {
        match self {
            Self::Refused { code, message } => {
                let status = match code.as_str() {
                    "unauthorized" => 401,
                    "forbidden" | "invalid_password" | "member_blocked" | "member_expired" => 403,
                    "member_locked" => 429,
                    "not_found" | "unknown_member" | "unknown_charger" | "unknown_session" => 404,
                    "invalid_request" => 400,
                    "weak_password" | "bad_connector" | "bad_amount" | "cap_too_high"
                    | "bad_card" => 422,
                    "busy" => 503,
                    _ => 409,
                };
                let f = ChargingFailure::new(status, code.clone(), message.clone());
                if status == 503 {
                    f.retry_after(gridledger_sdk::kdf_pool::BUSY_RETRY_AFTER_S)
                } else {
                    f
                }
            }
            Self::Node(m) if m.contains("not finalized in time") => {
                ChargingFailure::new(504, "timeout", m.clone())
            }
            Self::Node(m) => ChargingFailure::new(503, "busy", m.clone()),
            other => ChargingFailure::new(500, "internal_error", other.to_string()),
        }
    }
}

impl From<redb::Error> for Error {
    fn from(e: redb::Error) -> Self {
        Self::Store(e.to_string())
    }
}

macro_rules! redb_err {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Self::Store(e.to_string())
            }
        }
    )*};
}
redb_err!(
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
