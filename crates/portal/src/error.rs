//! The one error type of the portal (what the API sees is its [PortalError]).
use gridledger_api_types::PortalError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The lockout store could not be opened, read or written.
    #[error("portal lockout store: {0}")]
    Store(String),
    /// The keystore directory could not be read.
    #[error("portal keystores: {0}")]
    Keystore(String),
}

impl Error {
    pub(crate) fn store(e: impl std::fmt::Display) -> Self {
        Self::Store(e.to_string())
    }
}

impl From<Error> for PortalError {
    fn from(e: Error) -> Self {
        PortalError::Unavailable(e.to_string())
    }
}
