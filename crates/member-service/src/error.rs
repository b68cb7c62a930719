//! The one error type of the member service.
use gridledger_api_types::{ChargingFailure, ErrorCode};

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
                use ErrorCode as C;
                let status = match ErrorCode::parse(code) {
                    Some(C::Unauthorized) => 401,
                    Some(
                        C::Forbidden | C::InvalidPassword | C::MemberBlocked | C::MemberExpired,
                    ) => 403,
                    Some(C::MemberLocked) => 429,
                    Some(
                        C::NotFound | C::UnknownMember | C::UnknownCharger | C::UnknownSession,
                    ) => 404,
                    Some(C::InvalidRequest) => 400,
                    Some(
                        C::WeakPassword
                        | C::BadConnector
                        | C::BadAmount
                        | C::CapTooHigh
                        | C::BadCard,
                    ) => 422,
                    Some(C::Busy) => 503,
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
                ChargingFailure::new(504, ErrorCode::Timeout, m.clone())
            }
            Self::Node(m) => ChargingFailure::new(503, ErrorCode::Busy, m.clone()),
            other => ChargingFailure::new(500, ErrorCode::InternalError, other.to_string()),
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
