/// Errors of the types crate: decoding and parsing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
    #[error("invalid encoding: {0}")]
    Codec(String),
    #[error("invalid hex: {0}")]
    Hex(String),
    #[error("expected {expected} bytes, got {got}")]
    Length { expected: usize, got: usize },
    #[error("invalid public key")]
    PublicKey,
    #[error("invalid chain id: {0}")]
    ChainId(String),
    #[error("unknown {kind} '{value}'")]
    Unknown { kind: &'static str, value: String },
    #[error("invalid {what}: {why}")]
    Invalid { what: &'static str, why: String },
}

impl From<commonware_codec::Error> for Error {
    fn from(e: commonware_codec::Error) -> Self {
        Self::Codec(e.to_string())
    }
}
