/// Errors of the node: storage, decoding of stored data, and broken chain invariants.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("storage: {0}")]
    Storage(#[from] gridledger_storage::Error),
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    #[error("the data directory belongs to another chain: {0}")]
    WrongChain(String),
    #[error("finalized block {height} does not extend the head: {reason}")]
    NotNext { height: u64, reason: String },
    #[error("finalized block {height} failed execution at tx {index}: {reason}")]
    InvalidFinalized {
        height: u64,
        index: usize,
        reason: String,
    },
    #[error("config: {0}")]
    Config(String),
    /// commonware's storage under `<data-dir>/consensus` cannot be used as it is.
    #[error("consensus store: {0}")]
    ConsensusStore(String),
    /// The node will not start on its files: what is wrong, with which file, and what to do
    /// (one paragraph, for the operator).
    #[error("{0}")]
    Refused(String),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}
