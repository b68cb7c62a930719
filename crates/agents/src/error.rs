//! The agents' one error type.

/// What an agent's round can fail with (the round is retried on the next tick).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The node could not be reached or answered with an error.
    #[error(transparent)]
    Sdk(#[from] gridledger_sdk::Error),
    /// The node answered something the agent cannot read.
    #[error("unexpected answer from the node: {0}")]
    Unexpected(String),
    /// Readings that cannot be read or planned (a CSV line, a time, a gap), with the reason.
    #[error("{0}")]
    Readings(String),
    /// A local file could not be read.
    #[error("{what}: {err}")]
    Io { what: String, err: std::io::Error },
    /// An OCPP connection or call failed (the WebSocket, a refusal, a timeout).
    #[error("{0}")]
    Ocpp(String),
    /// The node has no such market.
    #[error("no market {0}")]
    NoMarket(String),
    /// A transaction was finalized but failed; the line says which and why.
    #[error("{0}")]
    TxFailed(String),
}
