use crate::executor::Rejection;

/// Errors of the execution crate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    /// A block contains a transaction that may not be included.
    #[error("transaction {index} of the block is rejected: {rejection}")]
    Rejected {
        index: usize,
        #[source]
        rejection: Rejection,
    },
    #[error("invalid genesis: {0}")]
    Genesis(String),
}

impl From<(usize, Rejection)> for Error {
    fn from((index, rejection): (usize, Rejection)) -> Self {
        Self::Rejected { index, rejection }
    }
}
